"""Reading annotations: what a viewer may see, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.core.permissions import is_moderator
from app.extensions import db
from app.models import PaperVersion, User
from app.models.annotation import Annotation, AnnotationKind, AnnotationRevision, AnnotationStatus
from app.papers.queries import VERSION_COLUMNS

SORTS = ("oldest", "newest", "replies")
# Seen by everyone: published words, and the placeholders of deleted and hidden ones.
PUBLIC_STATUSES = (AnnotationStatus.PUBLISHED, AnnotationStatus.DELETED, AnnotationStatus.HIDDEN)
# Counted in the margin and the contents: what says something to the viewer.
COUNTED_STATUSES = (AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING)


@dataclass
class Thread:
    """A root annotation with the number of replies the viewer may see."""

    root: Annotation
    reply_count: int


def _restricted_authors():
    """Accounts whose contributions only they and moderators see (Hypothesis's NIPSA)."""
    return select(User.id).where(User.restricted_at.is_not(None))


def visible_to(viewer: Any, model: Any = Annotation):
    """What a viewer may see of a discussion.

    Everyone sees published contributions, and placeholders (deleted or hidden) that
    keep their replies' place — except those of restricted accounts. Authors also see
    their own pending, hidden and rejected contributions; moderators see everything
    but what was rejected. `model` may be an alias of Annotation, for replies.
    """
    shown = model.status.in_(PUBLIC_STATUSES)
    if is_moderator(viewer):
        return or_(
            model.status.in_([*PUBLIC_STATUSES, AnnotationStatus.PENDING]),
            model.author_id == viewer.id,
        )
    public = shown & model.author_id.not_in(_restricted_authors())
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return or_(public, model.author_id == viewer.id)
    return public


def placeholder_for(viewer: Any, model: Any = Annotation):
    """Contributions the viewer sees only as a placeholder ("deleted", "hidden by a
    moderator"): worth showing only while they keep visible replies."""
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return (model.status == AnnotationStatus.DELETED) | (
            (model.status == AnnotationStatus.HIDDEN) & (model.author_id != viewer.id)
        )
    return model.status.in_([AnnotationStatus.DELETED, AnnotationStatus.HIDDEN])


def _reply_counts(viewer: Any, version_id: int, *, section: str | None = None, roots=None):
    """Visible replies per root, only among the version's (or section's, or given roots')."""
    reply = aliased(Annotation)
    query = (
        select(reply.root_id.label("root_id"), func.count(reply.id).label("n"))
        .where(reply.version_id == version_id, reply.root_id.is_not(None))
        .where(visible_to(viewer, reply))
    )
    if section is not None:
        query = query.where(reply.section_key == section)
    if roots is not None:
        query = query.where(reply.root_id.in_(roots))
    return query.group_by(reply.root_id).subquery()


def _worth_showing(viewer: Any):
    """A root is shown unless it is a placeholder with no visible reply left."""
    reply = aliased(Annotation)
    answered = (
        select(reply.id).where(reply.root_id == Annotation.id, visible_to(viewer, reply)).exists()
    )
    return or_(~placeholder_for(viewer), answered)


def threads_query(
    version: PaperVersion,
    viewer: Any,
    *,
    section: str | None = None,
    kind: AnnotationKind | None = None,
    sort: str = "oldest",
) -> Select:
    """Roots of a version (or of one section) with their reply counts, sorted."""
    counts = _reply_counts(viewer, version.id, section=section)
    reply_count = func.coalesce(counts.c.n, 0)
    query = (
        select(Annotation, reply_count)
        .outerjoin(counts, counts.c.root_id == Annotation.id)
        .where(Annotation.version_id == version.id, Annotation.parent_id.is_(None))
        .where(visible_to(viewer))
        .options(selectinload(Annotation.author))
    )
    if section is not None:
        query = query.where(Annotation.section_key == section)
    if kind is not None:
        query = query.where(Annotation.kind == kind)
    # A placeholder with no visible replies left has nothing to show.
    query = query.where(~placeholder_for(viewer) | (reply_count > 0))
    if sort == "newest":
        query = query.order_by(Annotation.created_at.desc(), Annotation.id.desc())
    elif sort == "replies":
        query = query.order_by(reply_count.desc(), Annotation.created_at, Annotation.id)
    else:
        query = query.order_by(Annotation.created_at, Annotation.id)
    return query


def threads(version: PaperVersion, viewer: Any, **filters) -> list[Thread]:
    """All visible threads of a version: two queries (roots with counts, their authors)."""
    rows = db.session.execute(threads_query(version, viewer, **filters)).all()
    return [Thread(root, count) for root, count in rows]


def section_counts(version: PaperVersion, viewer: Any) -> dict[str, int]:
    """Visible contributions (threads and replies) per section key: one query."""
    rows = db.session.execute(
        select(Annotation.section_key, func.count(Annotation.id))
        .where(Annotation.version_id == version.id)
        .where(visible_to(viewer))
        .where(Annotation.status.in_(COUNTED_STATUSES))
        .group_by(Annotation.section_key)
    ).all()
    return dict(rows)


def thread_replies(root: Annotation, viewer: Any) -> list[Annotation]:
    """Every visible reply of a thread in the order written, with authors: two queries."""
    return list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.root_id == root.id)
            .where(visible_to(viewer))
            .options(selectinload(Annotation.author))
            .order_by(Annotation.created_at, Annotation.id)
        )
    )


def get_visible(annotation_id: int, viewer: Any) -> Annotation | None:
    """One annotation if the viewer may see it, with its author, paper and version loaded
    (the version without its Markdown source, which no page of a thread needs)."""
    return db.session.scalar(
        select(Annotation)
        .where(Annotation.id == annotation_id)
        .where(visible_to(viewer))
        .options(
            selectinload(Annotation.author),
            selectinload(Annotation.paper),
            selectinload(Annotation.version).load_only(*VERSION_COLUMNS),
        )
    )


def revisions(annotation: Annotation) -> list[AnnotationRevision]:
    """What an annotation said before each edit, newest first."""
    return list(
        db.session.scalars(
            select(AnnotationRevision)
            .where(AnnotationRevision.annotation_id == annotation.id)
            .order_by(AnnotationRevision.id.desc())
        )
    )


@dataclass
class Margin:
    """What the margin of a version shows: counts and the latest threads per section key."""

    threads: dict[str, int]
    contributions: dict[str, int]
    latest: dict[str, list[Thread]]


def margin(version: PaperVersion, viewer: Any, per_section: int = 3) -> Margin:
    """The margin in a fixed number of queries: one when nothing is said, four otherwise.

    The rest of each discussion is on the section's own page.
    """
    threads = thread_counts(version, viewer)
    if not threads:
        return Margin({}, {}, {})
    return Margin(
        threads,
        section_counts(version, viewer),
        latest_threads(version, viewer, per_section=per_section),
    )


def reply_count(annotation: Annotation, viewer: Any) -> int:
    """Visible replies in the thread of a root annotation, or direct replies of a reply."""
    column = Annotation.root_id if annotation.is_root else Annotation.parent_id
    return (
        db.session.scalar(
            select(func.count(Annotation.id))
            .where(column == annotation.id)
            .where(visible_to(viewer))
        )
        or 0
    )


def latest_threads(
    version: PaperVersion, viewer: Any, per_section: int = 3
) -> dict[str, list[Thread]]:
    """The newest visible threads of each section, for the margin: two queries.

    Replies are counted for the chosen threads only, not for the whole version.
    """
    rank = (
        func.row_number()
        .over(
            partition_by=Annotation.section_key,
            order_by=(Annotation.created_at.desc(), Annotation.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(Annotation.id.label("id"), rank)
        .where(Annotation.version_id == version.id, Annotation.parent_id.is_(None))
        .where(visible_to(viewer))
        .where(_worth_showing(viewer))
        .subquery()
    )
    chosen = select(ranked.c.id).where(ranked.c.rank <= per_section)
    counts = _reply_counts(viewer, version.id, roots=chosen)
    rows = db.session.execute(
        select(Annotation, func.coalesce(counts.c.n, 0))
        .where(Annotation.id.in_(chosen))
        .outerjoin(counts, counts.c.root_id == Annotation.id)
        .options(selectinload(Annotation.author))
        .order_by(Annotation.section_key, Annotation.created_at.desc(), Annotation.id.desc())
    ).all()
    by_section: dict[str, list[Thread]] = {}
    for root, count in rows:
        by_section.setdefault(root.section_key, []).append(Thread(root, count))
    return by_section


def thread_counts(version: PaperVersion, viewer: Any) -> dict[str, int]:
    """Visible threads per section key: one query."""
    rows = db.session.execute(
        select(Annotation.section_key, func.count(Annotation.id))
        .where(Annotation.version_id == version.id, Annotation.parent_id.is_(None))
        .where(visible_to(viewer))
        .where(_worth_showing(viewer))
        .group_by(Annotation.section_key)
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class PassageAnchor:
    """Where a visible passage or paragraph thread stands, for highlighting it."""

    id: int
    section: str
    start: int
    end: int
    kind: str


def passage_anchors(version: PaperVersion, viewer: Any) -> list[PassageAnchor]:
    """Every visible thread with a quote in a version, as light rows: one query."""
    rows = db.session.execute(
        select(
            Annotation.id,
            Annotation.section_key,
            Annotation.quote_start,
            Annotation.quote_end,
            Annotation.kind,
        )
        .where(Annotation.version_id == version.id, Annotation.parent_id.is_(None))
        .where(Annotation.quote_start.is_not(None))
        .where(visible_to(viewer))
        .where(Annotation.status.in_(COUNTED_STATUSES))
        .order_by(Annotation.section_key, Annotation.quote_start, Annotation.id)
    ).all()
    return [PassageAnchor(i, s, b, e, str(k.value)) for i, s, b, e, k in rows]
