"""Reading annotations: what a viewer may see, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from app.core.permissions import is_moderator
from app.extensions import db
from app.models import (
    Anchor,
    AnchorStatus,
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    PaperVersion,
    Section,
    User,
)
from app.models.annotation import AnnotationRevision
from app.papers.queries import VERSION_COLUMNS

# Orders by time and replies, which the API pages through with a cursor on them; the pages
# also list threads in the order of the text ("position").
SORTS = ("oldest", "newest", "replies")
# Seen by everyone: published words, and the placeholders of deleted and hidden ones.
PUBLIC_STATUSES = (AnnotationStatus.PUBLISHED, AnnotationStatus.DELETED, AnnotationStatus.HIDDEN)
# Counted in the margin and the contents: what says something to the viewer.
COUNTED_STATUSES = (AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING)


@dataclass
class Thread:
    """A root annotation with the number of replies the viewer may see, and where it
    stands in the version shown: `anchor` is None for a thread made on that version,
    else its Anchor (carried over from an earlier version: exact, moved, fuzzy, applied
    or orphaned)."""

    root: Annotation
    reply_count: int
    anchor: Anchor | None = None

    @property
    def carried(self) -> bool:
        return self.anchor is not None

    @property
    def orphaned(self) -> bool:
        return self.anchor is not None and self.anchor.status is AnchorStatus.ORPHANED


def placed_roots(version_id: int):
    """Every thread shown on a version — made on it, or carried into it — with the section
    it stands in there (`key`: None when orphaned at the end of the paper), its offsets
    and, for carried ones, the anchor's id."""
    own = select(
        Annotation.id.label("root_id"),
        Annotation.section_key.label("key"),
        Annotation.quote_start.label("start"),
        Annotation.quote_end.label("end"),
        literal(None, Integer).label("anchor_id"),
    ).where(Annotation.version_id == version_id, Annotation.parent_id.is_(None))
    carried = select(
        Anchor.annotation_id.label("root_id"),
        Anchor.section_key.label("key"),
        Anchor.start.label("start"),
        Anchor.end.label("end"),
        Anchor.id.label("anchor_id"),
    ).where(Anchor.version_id == version_id)
    return union_all(own, carried).subquery("placed")


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


def words_shown_to(viewer: Any, model: Any = Annotation):
    """The SQL twin of `app.core.permissions.can_read_words`: contributions whose words the
    viewer reads, not only their placeholder. Deleted words are gone for everyone; hidden
    and rejected ones are read by their author and moderators. Asked beside `visible_to`
    where words are shown out of their thread (search results)."""
    kept = model.status != AnnotationStatus.DELETED
    if is_moderator(viewer):
        return kept
    moderated = model.status.in_([AnnotationStatus.HIDDEN, AnnotationStatus.REJECTED])
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return kept & (~moderated | (model.author_id == viewer.id))
    return kept & ~moderated


def placeholder_for(viewer: Any, model: Any = Annotation):
    """Contributions the viewer sees only as a placeholder ("deleted", "hidden by a
    moderator"): worth showing only while they keep visible replies."""
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return (model.status == AnnotationStatus.DELETED) | (
            (model.status == AnnotationStatus.HIDDEN) & (model.author_id != viewer.id)
        )
    return model.status.in_([AnnotationStatus.DELETED, AnnotationStatus.HIDDEN])


def _reply_counts(viewer: Any, placed, *, section: str | None = None, roots=None):
    """Visible replies per root, among the roots shown on a version (or in one section of
    it, or the given roots). Roots are matched by id in a subquery, which the database
    can index, rather than joined to the union of placed roots, which it cannot."""
    reply = aliased(Annotation)
    if roots is None:
        roots = select(placed.c.root_id)
        if section is not None:
            roots = roots.where(placed.c.key == section)
    query = (
        select(reply.root_id.label("root_id"), func.count(reply.id).label("n"))
        .where(reply.root_id.in_(roots))
        .where(visible_to(viewer, reply))
    )
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
    section_gone: bool = False,
    within: tuple[int, int] | None = None,
) -> Select:
    """Roots shown on a version (or in one section of it) — made on it or carried into
    it — with their reply counts and anchors, sorted. `section_gone` asks for the threads
    whose section did not survive into this version (listed at the end of the paper);
    `within` (start, end) for those whose passage begins in that stretch of the text (a
    paragraph's threads)."""
    placed = placed_roots(version.id)
    counts = _reply_counts(viewer, placed, section=section)
    reply_count = func.coalesce(counts.c.n, 0)
    query = _with_version_label(
        select(Annotation, reply_count, Anchor)
        .join(placed, placed.c.root_id == Annotation.id)
        .outerjoin(Anchor, Anchor.id == placed.c.anchor_id)
        .outerjoin(counts, counts.c.root_id == Annotation.id)
        .where(visible_to(viewer))
        .options(selectinload(Annotation.author))
    )
    if section is not None:
        query = query.where(placed.c.key == section)
    if section_gone:
        query = query.where(placed.c.key.is_(None))
    if kind is not None:
        query = query.where(Annotation.kind == kind)
    if within is not None:
        query = query.where(placed.c.start >= within[0], placed.c.start < within[1])
    # A placeholder with no visible replies left has nothing to show.
    query = query.where(~placeholder_for(viewer) | (reply_count > 0))
    if sort == "position":
        query = query.order_by(*_text_order(placed))
    elif sort == "newest":
        query = query.order_by(Annotation.created_at.desc(), Annotation.id.desc())
    elif sort == "replies":
        query = query.order_by(reply_count.desc(), Annotation.created_at, Annotation.id)
    else:
        query = query.order_by(Annotation.created_at, Annotation.id)
    return query


def _text_order(placed) -> tuple:
    """The order of the text: whole-section threads first (they have no place in it), then
    by where the passage begins, the longer passage first, then the older thread (ids grow
    with time)."""
    return (func.coalesce(placed.c.start, -1), placed.c.end.desc(), Annotation.id)


def threads(
    version: PaperVersion,
    viewer: Any,
    *,
    limit: int | None = None,
    offset: int = 0,
    **filters,
) -> list[Thread]:
    """The visible threads of a version (all of them, or `limit` from `offset`): two
    queries (roots with counts, anchors and their versions' labels; their authors)."""
    query = threads_query(version, viewer, **filters)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = db.session.execute(query).all()
    return [Thread(root, count, anchor) for root, count, anchor in rows]


def count_threads(version: PaperVersion, viewer: Any, **filters) -> int:
    """How many threads `threads` lists with the same filters: one query."""
    listed = threads_query(version, viewer, **filters).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(listed)) or 0


def _with_version_label(query: Select) -> Select:
    """Load each root's own version, its label only ("made on version 5.0"), in the same
    query."""
    return query.join(Annotation.version).options(
        contains_eager(Annotation.version).load_only(
            PaperVersion.id, PaperVersion.label, PaperVersion.sequence
        )
    )


def section_counts(version: PaperVersion, viewer: Any) -> dict[str | None, int]:
    """Visible contributions (threads and replies) per section key: one query.

    Threads made on the version count where they were made; carried ones where their
    anchor puts them (their roots and their replies, through indexed joins).
    """
    counted = Annotation.status.in_(COUNTED_STATUSES)
    own = (
        select(Annotation.section_key.label("key"), func.count(Annotation.id).label("n"))
        .where(Annotation.version_id == version.id, visible_to(viewer), counted)
        .group_by(Annotation.section_key)
    )
    carried_roots = (
        select(Anchor.section_key.label("key"), func.count(Annotation.id).label("n"))
        .join(Annotation, Annotation.id == Anchor.annotation_id)
        .where(Anchor.version_id == version.id, visible_to(viewer), counted)
        .group_by(Anchor.section_key)
    )
    carried_replies = (
        select(Anchor.section_key.label("key"), func.count(Annotation.id).label("n"))
        .join(Annotation, Annotation.root_id == Anchor.annotation_id)
        .where(Anchor.version_id == version.id, visible_to(viewer), counted)
        .group_by(Anchor.section_key)
    )
    totals: dict[str | None, int] = {}
    for key, n in db.session.execute(union_all(own, carried_roots, carried_replies)).all():
        totals[key] = totals.get(key, 0) + n
    return totals


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


# Built once: every new thread asks it, and building costs more than running it.
_SECTION_AT = select(Section).where(
    Section.version_id == bindparam("version_id"), Section.key == bindparam("key")
)


def section_at(version_id: int, key: str) -> Section | None:
    """The section `key` of a version, or None: one query."""
    return db.session.scalar(_SECTION_AT, {"version_id": version_id, "key": key})


def revisions(annotation: Annotation) -> list[AnnotationRevision]:
    """What an annotation said before each edit, newest first."""
    return list(
        db.session.scalars(
            select(AnnotationRevision)
            .where(AnnotationRevision.annotation_id == annotation.id)
            .order_by(AnnotationRevision.id.desc())
        )
    )


# Threads of each section drawn with the page; the margin's script fetches the rest as the
# reader comes near them, and the section's page lists them all without it.
FIRST_IN_MARGIN = 3


@dataclass
class Margin:
    """What the margin of a version shows: counts, and the first threads of each section
    in the order of the text."""

    threads: dict[str, int]
    contributions: dict[str, int]
    first: dict[str, list[Thread]]


def margin(version: PaperVersion, viewer: Any, per_section: int = FIRST_IN_MARGIN) -> Margin:
    """The margin in a fixed number of queries, however many threads there are: one when
    nothing is said, four otherwise."""
    threads = thread_counts(version, viewer)
    if not threads:
        return Margin({}, {}, {})
    return Margin(
        threads,
        section_counts(version, viewer),
        first_threads(version, viewer, per_section=per_section),
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


def first_threads(
    version: PaperVersion, viewer: Any, per_section: int = FIRST_IN_MARGIN
) -> dict[str | None, list[Thread]]:
    """The first visible threads of each section in the order of the text, for the margin:
    two queries.

    Replies are counted for the chosen threads only, not for the whole version. Threads
    orphaned with their section gone are under the key None (the end of the paper).
    """
    placed = placed_roots(version.id)
    rank = (
        func.row_number()
        .over(partition_by=placed.c.key, order_by=_text_order(placed))
        .label("rank")
    )
    # Ranked once (a common table expression), for the chosen roots and their reply counts.
    ranked = (
        select(
            Annotation.id.label("id"),
            placed.c.key.label("key"),
            placed.c.anchor_id.label("anchor_id"),
            func.coalesce(placed.c.start, -1).label("start"),
            placed.c.end.label("end"),
            rank,
        )
        .join(placed, placed.c.root_id == Annotation.id)
        .where(visible_to(viewer))
        .where(_worth_showing(viewer))
        .cte("ranked")
    )
    chosen = select(ranked.c.id).where(ranked.c.rank <= per_section)
    counts = _reply_counts(viewer, placed, roots=chosen)
    rows = db.session.execute(
        _with_version_label(
            select(Annotation, func.coalesce(counts.c.n, 0), Anchor, ranked.c.key)
            .join(ranked, ranked.c.id == Annotation.id)
            .where(ranked.c.rank <= per_section)
            .outerjoin(Anchor, Anchor.id == ranked.c.anchor_id)
            .outerjoin(counts, counts.c.root_id == Annotation.id)
            .options(selectinload(Annotation.author))
        ).order_by(ranked.c.key, ranked.c.start, ranked.c.end.desc(), Annotation.id)
    ).all()
    by_section: dict[str | None, list[Thread]] = {}
    for root, count, anchor, key in rows:
        by_section.setdefault(key, []).append(Thread(root, count, anchor))
    return by_section


# A thread as plain data, which any cache can hold: its root's id, its visible replies, and
# the id of the anchor that carries it into the version (None for one made on it).
ThreadRow = tuple[int, int, int | None]


def thread_rows(first: dict[str | None, list[Thread]]) -> dict[str | None, list[ThreadRow]]:
    """`first_threads` as plain data, in its order."""
    return {
        key: [
            (thread.root.id, thread.reply_count, thread.anchor.id if thread.anchor else None)
            for thread in listed
        ]
        for key, listed in first.items()
    }


def threads_of_rows(
    version: PaperVersion, rows: dict[str | None, list[ThreadRow]]
) -> dict[str | None, list[Thread]]:
    """The threads `thread_rows` named, in the same order and shape as `first_threads`
    gives them: one query, for their roots, authors, own versions' labels and anchors."""
    ids = [root_id for listed in rows.values() for root_id, _, _ in listed]
    if not ids:
        return {}
    anchor_ids = [anchor_id for listed in rows.values() for _, _, anchor_id in listed if anchor_id]
    found = db.session.execute(
        _with_version_label(
            select(Annotation, Anchor)
            .outerjoin(Anchor, (Anchor.annotation_id == Annotation.id) & Anchor.id.in_(anchor_ids))
            .where(Annotation.id.in_(ids))
            .options(joinedload(Annotation.author, innerjoin=True))
        )
    ).all()
    loaded = {root.id: (root, anchor) for root, anchor in found}
    by_section: dict[str | None, list[Thread]] = {}
    for key, listed in rows.items():
        for root_id, count, _ in listed:
            if root_id in loaded:
                root, anchor = loaded[root_id]
                by_section.setdefault(key, []).append(Thread(root, count, anchor))
    return by_section


def thread_counts(version: PaperVersion, viewer: Any) -> dict[str | None, int]:
    """Visible threads per section key (None: orphaned at the end of the paper): one query."""
    placed = placed_roots(version.id)
    rows = db.session.execute(
        select(placed.c.key, func.count(Annotation.id))
        .join(placed, placed.c.root_id == Annotation.id)
        .where(visible_to(viewer))
        .where(_worth_showing(viewer))
        .group_by(placed.c.key)
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


def passage_anchors(
    version: PaperVersion, viewer: Any, section: str | None = None
) -> list[PassageAnchor]:
    """Every visible thread with a passage in a version (or in one section of it), as
    light rows: one query.

    Carried threads stand at their anchor's offsets; orphaned ones have none.
    """
    placed = placed_roots(version.id)
    query = (
        select(placed.c.root_id, placed.c.key, placed.c.start, placed.c.end, Annotation.kind)
        .join(Annotation, Annotation.id == placed.c.root_id)
        .where(placed.c.start.is_not(None), placed.c.key.is_not(None))
        .where(visible_to(viewer))
        .where(Annotation.status.in_(COUNTED_STATUSES))
        .order_by(placed.c.key, placed.c.start, placed.c.root_id)
    )
    if section is not None:
        query = query.where(placed.c.key == section)
    rows = db.session.execute(query).all()
    return [PassageAnchor(i, s, b, e, str(k.value)) for i, s, b, e, k in rows]


def drawn_anchors(first: dict[str | None, list[Thread]]) -> list[PassageAnchor]:
    """The passages of the threads a page draws (the margin's first ones), from the threads
    themselves: no query. The rows `passage_anchors` would give for them, in its order."""
    found = []
    for key, listed in first.items():
        for thread in listed:
            root, anchor = thread.root, thread.anchor
            start, end = (
                (anchor.start, anchor.end) if anchor else (root.quote_start, root.quote_end)
            )
            if key is None or start is None or root.status not in COUNTED_STATUSES:
                continue
            found.append(PassageAnchor(root.id, key, start, end, str(root.kind.value)))
    return sorted(found, key=lambda a: (a.section, a.start, a.id))


# Rows read at a time when a paper's whole public discussion is streamed out.
EXPORT_BATCH = 500


def published_words(model: Any = Annotation):
    """What anyone may read of a discussion as words: published contributions (roots and
    replies) of accounts that are not restricted, replies only where anyone sees their
    parent (as words or as a placeholder). Placeholders of deleted and hidden
    contributions say nothing, so they are left out. `model` may be an alias of
    Annotation (replies counted beside their thread)."""
    parent = aliased(Annotation)
    parent_seen = select(parent.id).where(parent.id == model.parent_id, visible_to(None, parent))
    return (
        (model.status == AnnotationStatus.PUBLISHED)
        & visible_to(None, model)
        & (model.parent_id.is_(None) | parent_seen.exists())
    )


def _published_of_paper(paper_id: int):
    """A paper's published words (`published_words`), threads and replies of all its
    versions."""
    return (Annotation.paper_id == paper_id) & published_words()


def public_count(paper_id: int) -> int:
    """How many contributions `public_rows` yields for a paper: one query."""
    return db.session.scalar(select(func.count(Annotation.id)).where(_published_of_paper(paper_id)))


def public_rows(paper_id: int, batch: int | None = None):
    """Every published contribution of a paper, threads and replies of all its versions,
    as (annotation, version label, author's display name) in the order written (ids grow
    with time). Read `batch` rows per query with a keyset on the id, so that memory stays
    the same however long the discussion is."""
    batch = batch or EXPORT_BATCH
    after = 0
    while True:
        rows = db.session.execute(
            select(Annotation, PaperVersion.label, User.display_name)
            .join(PaperVersion, PaperVersion.id == Annotation.version_id)
            .join(User, User.id == Annotation.author_id)
            .where(_published_of_paper(paper_id), Annotation.id > after)
            .order_by(Annotation.id)
            .limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1][0].id
        # Rows already written out need not stay in the session's identity map.
        for row in rows:
            db.session.expunge(row[0])
