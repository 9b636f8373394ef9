"""The triage list: every thread shown on a version, filtered and sorted, with campaigns
(near-identical comments, `app.editor.campaigns`) shown once, and several threads answered
together.

The list costs the same number of queries however many threads the version has: one for
the threads that pass the filters (ids and what they are sorted by), one for the page's
threads with their authors and quotes, one for their current answers, one or two for the
campaigns, one for the sections and one for the authors' countries. Paging happens after
the campaigns are folded in, so a campaign counts as one entry of a page.

Annotations have no votes (proposed definitions do); the list shows what threads have:
replies and flags.

`answer_together` answers the chosen threads one after the other through
`app.annotations.dispositions.answer` — the same rules, notifications and mail as one
answer — and refuses all of them when it refuses one: the caller's request then rolls
back what was flushed (`app.core.transaction`), so nothing is half-answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, joinedload

from app.annotations import dispositions
from app.annotations.queries import placed_roots, published_words, visible_to
from app.annotations.services import AnnotationError
from app.editor import campaigns as campaign_groups
from app.extensions import db
from app.models import (
    Anchor,
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Disposition,
    Flag,
    PaperVersion,
    Section,
    StakeholderType,
    User,
)
from app.models.moderation import TargetKind

PER_PAGE = 50
# At most this many threads answered by one request.
MAX_SELECTED = 1000
QUOTE_LENGTH = 140
# A campaign's members shown with their details; the others are listed by id, so that a
# campaign of thousands costs what a campaign of twenty does.
MEMBERS_SHOWN = 20
SORTS = ("position", "newest", "replies", "flags")


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to (None: any) and how it is sorted."""

    section: str | None = None
    kind: AnnotationKind | None = None
    answered: bool | None = None
    stakeholder: StakeholderType | None = None
    country: str | None = None
    flagged: bool = False
    sort: str = "position"


@dataclass
class Item:
    """A thread of the page: the annotation with its author loaded, where it stands in the
    version, its counts and its current answer."""

    thread: Annotation
    key: str | None
    quote: str
    replies: int
    flags: int
    disposition: Disposition | None


@dataclass
class Entry:
    """A line of the list: one thread, or a campaign's members that pass the filters (the
    first of them in the list's order stands for it). `items` are the threads shown with
    their details: a campaign's first `MEMBERS_SHOWN`; the others are listed by id."""

    ids: list[int]
    campaign: campaign_groups.Campaign | None = None
    items: list[Item] = field(default_factory=list)
    replies: int = 0
    flags: int = 0

    @property
    def lead(self) -> Item:
        return self.items[0]

    @property
    def more(self) -> list[int]:
        """The ids of the members listed without their details."""
        return self.ids[len(self.items) :]


@dataclass
class Listing:
    entries: list[Entry]
    total_threads: int
    total_entries: int
    page: int
    pages: int
    campaigns: int


def _shorten(text: str | None, length: int = QUOTE_LENGTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _listed():
    """The threads the list shows: published ones that anyone may read (those editors
    answer); placeholders of deleted or hidden threads and pending ones are left out."""
    return (Annotation.status == AnnotationStatus.PUBLISHED) & visible_to(None)


def _rows(version: PaperVersion, filters: Filters) -> list[Any]:
    """The ids of the threads that pass the filters, in the chosen order: one query."""
    placed = placed_roots(version.id)
    reply = aliased(Annotation)
    replies = (
        select(func.count(reply.id))
        .where(reply.root_id == Annotation.id, published_words(reply))
        .scalar_subquery()
        .label("replies")
    )
    flags = (
        select(func.count(Flag.id))
        .where(Flag.target_kind == TargetKind.ANNOTATION, Flag.target_id == Annotation.id)
        .scalar_subquery()
        .label("flags")
    )
    answered = exists(select(Disposition.id).where(Disposition.annotation_id == Annotation.id))
    query = (
        select(Annotation.id, placed.c.key, replies, flags)
        .join(placed, placed.c.root_id == Annotation.id)
        .join(User, User.id == Annotation.author_id)
        .outerjoin(Section, (Section.version_id == version.id) & (Section.key == placed.c.key))
        .where(_listed())
    )
    if filters.section is not None:
        query = query.where(placed.c.key == filters.section)
    if filters.kind is not None:
        query = query.where(Annotation.kind == filters.kind)
    if filters.answered is True:
        query = query.where(answered)
    elif filters.answered is False:
        query = query.where(~answered)
    if filters.stakeholder is not None:
        query = query.where(User.stakeholder_type == filters.stakeholder)
    if filters.country is not None:
        query = query.where(User.country == filters.country)
    if filters.flagged:
        query = query.where(flags > 0)
    if filters.sort == "newest":
        query = query.order_by(Annotation.created_at.desc(), Annotation.id.desc())
    elif filters.sort == "replies":
        query = query.order_by(replies.desc(), Annotation.id)
    elif filters.sort == "flags":
        query = query.order_by(flags.desc(), Annotation.id)
    else:
        # The order of the text; threads whose section is gone (orphans) at the end.
        query = query.order_by(
            Section.position.is_(None),
            Section.position,
            func.coalesce(placed.c.start, -1),
            Annotation.id,
        )
    return list(db.session.execute(query))


def _items(version: PaperVersion, ids: Sequence[int], counts: dict[int, Any]) -> dict[int, Item]:
    """The threads of a page with their authors, quotes and current answers: two queries
    (none for no threads)."""
    if not ids:
        return {}
    # A thread carried into the version has its anchor there (one per thread and
    # version); one made on it has none. Joined directly rather than through
    # `placed_roots`: PostgreSQL plans the union badly under a long IN list.
    anchored = (Anchor.annotation_id == Annotation.id) & (Anchor.version_id == version.id)
    rows = db.session.execute(
        select(Annotation, Anchor.exact)
        .outerjoin(Anchor, anchored)
        .where(Annotation.id.in_(ids))
        .options(joinedload(Annotation.author))
    ).all()
    answers = dispositions.current_dispositions(ids)
    found = {}
    for thread, carried_exact in rows:
        quote = carried_exact if carried_exact is not None else thread.quote_exact
        row = counts[thread.id]
        found[thread.id] = Item(
            thread, row.key, _shorten(quote), row.replies, row.flags, answers.get(thread.id)
        )
    return found


def listing(version: PaperVersion, filters: Filters, page: int = 1,
            per_page: int | None = None) -> Listing:  # fmt: skip
    """A page of the triage list of a version (`PER_PAGE` entries unless told)."""
    per_page = per_page or PER_PAGE
    rows = _rows(version, filters)
    groups = campaign_groups.by_member(campaign_groups.of_version(version.id))
    entries: list[Entry] = []
    of_campaign: dict[int, Entry] = {}
    for row in rows:
        campaign = groups.get(row.id)
        if campaign is None:
            entries.append(Entry([row.id]))
        elif campaign.first in of_campaign:
            of_campaign[campaign.first].ids.append(row.id)
        else:
            entry = Entry([row.id], campaign)
            of_campaign[campaign.first] = entry
            entries.append(entry)
    pages = max(1, -(-len(entries) // per_page))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * per_page : page * per_page]
    counts = {row.id: row for row in rows}
    items = _items(version, [i for e in shown for i in e.ids[:MEMBERS_SHOWN]], counts)
    for entry in shown:
        entry.items = [items[i] for i in entry.ids[:MEMBERS_SHOWN] if i in items]
        entry.replies = sum(counts[i].replies for i in entry.ids)
        entry.flags = sum(counts[i].flags for i in entry.ids)
    return Listing(
        entries=[e for e in shown if e.items],
        total_threads=len(rows),
        total_entries=len(entries),
        page=page,
        pages=pages,
        campaigns=len(of_campaign),
    )


def countries(version: PaperVersion) -> list[str]:
    """The countries of the authors of the version's listed threads: one query."""
    placed = placed_roots(version.id)
    return list(
        db.session.scalars(
            select(User.country)
            .distinct()
            .join(Annotation, Annotation.author_id == User.id)
            .join(placed, placed.c.root_id == Annotation.id)
            .where(_listed(), User.country.is_not(None))
            .order_by(User.country)
        )
    )


def answering_versions(versions: Sequence[PaperVersion], version: PaperVersion):
    """The versions that may be named as answering the threads of `version` (itself, for
    threads carried into it, and those after it), and the one offered first: the latest,
    when it is later than `version` (a thread made on a version is answered by a later
    one), else none."""
    later = [v for v in versions if v.sequence >= version.sequence]
    latest = later[-1] if later and later[-1].sequence > version.sequence else None
    return later, latest


class BulkRefusal(Exception):
    """Some of the chosen threads could not be answered: `errors` by thread id (0: about
    the whole choice), each an `AnnotationError`."""

    def __init__(self, errors: dict[int, AnnotationError]):
        super().__init__("; ".join(str(e) for e in errors.values()))
        self.errors = errors


def chosen_threads(version: PaperVersion, ids: Iterable[int]) -> list[Annotation]:
    """The chosen threads, if every one is listed on the version: one query. Refused
    (`BulkRefusal`) when none is chosen, too many are, or one is not on the list."""
    wanted = sorted(set(ids))
    if not wanted:
        raise BulkRefusal({0: AnnotationError("Choose at least one thread.", field="threads")})
    if len(wanted) > MAX_SELECTED:
        raise BulkRefusal(
            {0: AnnotationError(f"Answer at most {MAX_SELECTED} threads at once.", field="threads")}
        )
    # Shown on the version: made on it, or carried into it (`placed_roots`, spelled out:
    # PostgreSQL plans the union badly under a long IN list).
    carried = exists(
        select(Anchor.id).where(
            Anchor.annotation_id == Annotation.id, Anchor.version_id == version.id
        )
    )
    on_version = (Annotation.version_id == version.id) | carried
    found = list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.id.in_(wanted), Annotation.parent_id.is_(None), on_version)
            .where(_listed())
            .options(joinedload(Annotation.author))
            .order_by(Annotation.id)
        ).unique()
    )
    missing = set(wanted) - {t.id for t in found}
    if missing:
        names = ", ".join(f"#{n}" for n in sorted(missing)[:10])
        raise BulkRefusal(
            {
                0: AnnotationError(
                    f"Not a thread of this version that can be answered: {names}.",
                    field="threads",
                )
            }
        )
    return found


def answer_together(editor: User, threads: Sequence[Annotation], outcome: Any, response: str,
                    answering: PaperVersion | None,
                    language: Any = None) -> list[Disposition]:  # fmt: skip
    """One answer given to each of the threads, through the one-thread service. When it
    refuses any, `BulkRefusal` lists every refusal; the caller's transaction must then be
    rolled back (the request boundary does it for a 4xx answer)."""
    made, errors = [], {}
    for thread in threads:
        try:
            made.append(dispositions.answer(editor, thread, outcome, response, answering, language))
        except AnnotationError as error:
            errors[thread.id] = error
            if error.field in ("outcome", "response", "language"):
                break  # the same for every thread: said once
    if errors:
        raise BulkRefusal(errors)
    return made
