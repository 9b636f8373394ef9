"""Editors' exports: every public contribution of one version, read a page at a time.

What goes out is what an anonymous reader can read on the version's pages, as words:

- the threads shown on the version — made on it, or carried into it from an earlier
  version (`app.annotations.queries.placed_roots`, the query behind the version's thread
  list) — each where it stands there: section, quote and offsets as anchored in that
  version, and the anchor's status;
- their published replies (`app.annotations.queries.published_words`: a reply whose
  parent nobody else sees stays out), also those of a thread whose first contribution
  was deleted or hidden, which readers still see below its placeholder;
- the proposed definitions of the glossary terms that occur in the version's text
  (`app.definitions.finding`), with their support and oppose counts: annotations have no
  votes, proposals do.

Pending, rejected, hidden and deleted words are left out, and so is everything written by
an account that is restricted or suspended at the time of the export (a suspension
keeps the account's earlier words on the site, but an export is a copy that outlives
it; the account's words come back in the next export once it is reinstated). A
proposal rejected by an editor stays readable in the glossary with the reason, but it
is rejected content and stays out too. Authors are named with their id, display name,
stakeholder type and country; never with their e-mail address.

Memory stays the same however long the discussion: rows are read as plain tuples (no
ORM objects, so nothing accumulates in the session), `EXPORT_BATCH` at a time with a
keyset on the id, and handed on one by one. Each page of threads costs one query, each
page of their replies one more; the proposals one query per page after two for the
terms and the version's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from app.annotations.queries import placed_roots, published_words, visible_to
from app.core.i18n import gettext as _
from app.definitions.finding import Finder
from app.definitions.queries import visible_proposals, visible_terms
from app.extensions import db
from app.models import (
    Anchor,
    Annotation,
    AnnotationStatus,
    DefinitionProposal,
    Disposition,
    PaperVersion,
    ProposalStatus,
    Section,
    Term,
    User,
)
from app.models.base import utcnow

# Rows read per query. Tests make it small to see the pages.
EXPORT_BATCH = 500


# --- who wrote it --------------------------------------------------------------------------


def _withheld_authors():
    """Accounts whose words no export carries: restricted ones (only they and moderators
    see what they write) and those suspended now."""
    now = utcnow()
    suspended = User.suspended_at.is_not(None) & (
        User.suspended_until.is_(None) | (User.suspended_until > now)
    )
    return select(User.id).where(User.restricted_at.is_not(None) | suspended)


def _exported(model: Any = Annotation):
    """A contribution that goes out: published words of an account neither restricted nor
    suspended."""
    return published_words(model) & model.author_id.not_in(_withheld_authors())


@dataclass(frozen=True)
class Author:
    """An author as exports name them: never an e-mail address."""

    id: int
    name: str
    stakeholder_type: str | None
    country: str | None


def _author(user_id: int | None, name: str | None, anonymised_at: datetime | None,
            stakeholder: Any = None, country: str | None = None) -> Author | None:  # fmt: skip
    """A deleted account is "Former participant", as everywhere its name shows."""
    if user_id is None:
        return None
    shown = _("Former participant") if anonymised_at is not None else name or ""
    return Author(user_id, shown, stakeholder.value if stakeholder else None, country)


# --- contributions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a thread stands in the exported version: its section (None when its section
    is gone: an orphan at the end of the paper), its quote and offsets there, and how it
    got there (`exact` on its own version, else the anchor's status)."""

    key: str | None
    number: str | None
    title: str | None
    exact: str | None
    start: int | None
    end: int | None
    status: str


@dataclass(frozen=True)
class Answer:
    """The editors' current answer to a thread."""

    outcome: str
    response: str
    answered_at: datetime
    answered_by: Author | None
    version: str | None


@dataclass(frozen=True)
class Contribution:
    """A thread (`root` is its own id) or a reply, with its thread's place."""

    id: int
    root: int
    parent: int | None
    made_on: str
    place: Place
    kind: str
    target: str | None
    status: str
    body: str
    proposed_text: str | None
    created: datetime
    updated: datetime
    reply_count: int
    answer: Answer | None
    author: Author

    @property
    def is_thread(self) -> bool:
        return self.parent is None


def _thread_query(version_id: int, batch: int) -> Select:
    """The next `batch` threads shown on the version after the id `:after`, as plain rows
    with their place, author, exported replies and current answer. Built once per export
    and run once per page: a statement built anew for every page would leave its
    constructs to the garbage collector, page after page."""
    placed = placed_roots(version_id)
    reply = aliased(Annotation)
    replies = (
        select(func.count(reply.id))
        .where(reply.root_id == Annotation.id, _exported(reply))
        .scalar_subquery()
    )
    latest = aliased(Disposition)
    current = (
        select(func.max(latest.id)).where(latest.annotation_id == Annotation.id).scalar_subquery()
    )
    made_on = aliased(PaperVersion)
    answering = aliased(PaperVersion)
    editor = aliased(User)
    shown = (Annotation.status == AnnotationStatus.PUBLISHED) & Annotation.author_id.not_in(
        _withheld_authors()
    )
    query = (
        select(
            Annotation.id,
            Annotation.kind,
            Annotation.target,
            Annotation.status,
            Annotation.body,
            Annotation.proposed_text,
            Annotation.created_at,
            Annotation.updated_at,
            Annotation.quote_exact,
            made_on.label.label("made_on"),
            placed.c.key,
            placed.c.start,
            placed.c.end,
            placed.c.anchor_id,
            Anchor.status.label("anchor_status"),
            Anchor.exact.label("anchor_exact"),
            Section.number.label("section_number"),
            Section.title.label("section_title"),
            User.id.label("author_id"),
            User.stored_name,
            User.anonymised_at,
            User.stakeholder_type,
            User.country,
            replies.label("reply_count"),
            shown.label("shown"),
            Disposition.outcome,
            Disposition.response,
            Disposition.created_at.label("answered_at"),
            editor.id.label("editor_id"),
            editor.stored_name.label("editor_name"),
            editor.anonymised_at.label("editor_anonymised_at"),
            answering.label.label("answered_in"),
        )
        .join(placed, placed.c.root_id == Annotation.id)
        .join(made_on, made_on.id == Annotation.version_id)
        .join(User, User.id == Annotation.author_id)
        .outerjoin(Anchor, Anchor.id == placed.c.anchor_id)
        .outerjoin(Section, (Section.version_id == version_id) & (Section.key == placed.c.key))
        .outerjoin(Disposition, Disposition.id == current)
        .outerjoin(editor, editor.id == Disposition.editor_id)
        .outerjoin(answering, answering.id == Disposition.version_id)
        # Placeholders too (deleted or hidden): their published replies go out.
        .where(visible_to(None))
        # On the union's own column, so that the database takes the keyset into both of
        # its parts rather than placing every thread for each page.
        .where(placed.c.root_id > bindparam("after"))
        .order_by(placed.c.root_id)
        .limit(batch)
    )
    return query


def _place(row: Any) -> Place:
    if row.anchor_id is None:
        exact, status = row.quote_exact, "exact"
    else:
        exact, status = row.anchor_exact, row.anchor_status.value
    return Place(row.key, row.section_number, row.section_title, exact, row.start, row.end, status)


def _thread(row: Any, place: Place) -> Contribution:
    answer = None
    if row.outcome is not None:
        answer = Answer(
            row.outcome.value,
            row.response or "",
            row.answered_at,
            _author(row.editor_id, row.editor_name, row.editor_anonymised_at),
            row.answered_in,
        )
    return Contribution(
        id=row.id,
        root=row.id,
        parent=None,
        made_on=row.made_on,
        place=place,
        kind=row.kind.value,
        target=row.target.value,
        status=row.status.value,
        body=row.body,
        proposed_text=row.proposed_text,
        created=row.created_at,
        updated=row.updated_at,
        reply_count=row.reply_count,
        answer=answer,
        author=_author(
            row.author_id, row.stored_name, row.anonymised_at, row.stakeholder_type, row.country
        ),
    )


def _reply_query(batch: int) -> Select:
    """The next `batch` exported replies of the threads `:roots`, thread by thread in the
    order written, after (`:last_root`, `:last_id`). Built once per export."""
    child = aliased(Annotation)
    answers = (
        select(func.count(child.id))
        .where(child.parent_id == Annotation.id, _exported(child))
        .scalar_subquery()
    )
    made_on = aliased(PaperVersion)
    last_root, last_id = bindparam("last_root"), bindparam("last_id")
    query = (
        select(
            Annotation.id,
            Annotation.root_id,
            Annotation.parent_id,
            Annotation.kind,
            Annotation.status,
            Annotation.body,
            Annotation.created_at,
            Annotation.updated_at,
            made_on.label.label("made_on"),
            User.id.label("author_id"),
            User.stored_name,
            User.anonymised_at,
            User.stakeholder_type,
            User.country,
            answers.label("reply_count"),
        )
        .join(made_on, made_on.id == Annotation.version_id)
        .join(User, User.id == Annotation.author_id)
        .where(Annotation.root_id.in_(bindparam("roots", expanding=True)), _exported())
        .where(
            or_(
                Annotation.root_id > last_root,
                and_(Annotation.root_id == last_root, Annotation.id > last_id),
            )
        )
        .order_by(Annotation.root_id, Annotation.id)
        .limit(batch)
    )
    return query


def _reply(row: Any, place: Place) -> Contribution:
    return Contribution(
        id=row.id,
        root=row.root_id,
        parent=row.parent_id,
        made_on=row.made_on,
        place=place,
        kind=row.kind.value,
        target=None,
        status=row.status.value,
        body=row.body,
        proposed_text=None,
        created=row.created_at,
        updated=row.updated_at,
        reply_count=row.reply_count,
        answer=None,
        author=_author(
            row.author_id, row.stored_name, row.anonymised_at, row.stakeholder_type, row.country
        ),
    )


def contributions(version_id: int, batch: int | None = None) -> Iterator[Contribution]:
    """Every public contribution of the version: each thread (oldest first; ids grow with
    time), then its replies in the order written.

    Threads are read `batch` at a time; the replies of each page of threads `batch` at a
    time too, so that a thread with thousands of replies costs pages, not memory.
    """
    batch = batch or EXPORT_BATCH
    thread_query, reply_query = _thread_query(version_id, batch), _reply_query(batch)
    after = 0
    while True:
        threads = db.session.execute(thread_query, {"after": after}).all()
        if not threads:
            return
        places = {row.id: _place(row) for row in threads}
        replies = _replies_of(reply_query, [row.id for row in threads], batch)
        pending = next(replies, None)
        for row in threads:
            place = places[row.id]
            if row.shown:
                yield _thread(row, place)
            while pending is not None and pending.root_id == row.id:
                yield _reply(pending, place)
                pending = next(replies, None)
        if len(threads) < batch:
            return
        after = threads[-1].id


def _replies_of(query: Select, root_ids: list[int], batch: int) -> Iterator[Any]:
    """The exported replies of a page of threads, thread by thread, a page at a time."""
    values: dict[str, Any] = {"roots": root_ids, "last_root": 0, "last_id": 0}
    while True:
        rows = db.session.execute(query, values).all()
        yield from rows
        if len(rows) < batch:
            return
        values.update(last_root=rows[-1].root_id, last_id=rows[-1].id)


# --- proposed definitions ------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A proposed definition of a term that occurs in the version's text (`occurrences`
    times), with its votes."""

    id: int
    term_slug: str
    term_label: str
    occurrences: int
    text: str
    rationale: str
    status: str
    support: int
    oppose: int
    created: datetime
    updated: datetime
    adopted_at: datetime | None
    author: Author


def term_occurrences(version_id: int) -> dict[int, tuple[str, str, int]]:
    """The public terms that occur in the version's text: (slug, label, occurrences) by
    term id. Two queries: the terms, the sections' text."""
    terms = db.session.execute(
        select(Term.id, Term.label, Term.slug, Term.aliases).where(visible_terms(None))
    ).all()
    if not terms:
        return {}
    finder = Finder(terms)
    counts: dict[int, int] = {}
    for (text,) in db.session.execute(select(Section.text).where(Section.version_id == version_id)):
        for occurrence in finder.find(text):
            counts[occurrence.term_id] = counts.get(occurrence.term_id, 0) + 1
    return {t.id: (t.slug, t.label, counts[t.id]) for t in terms if t.id in counts}


def proposals(version_id: int, batch: int | None = None) -> Iterator[Proposal]:
    """The public proposals of the terms that occur in the version's text, in the order
    proposed, `batch` per query."""
    batch = batch or EXPORT_BATCH
    terms = term_occurrences(version_id)
    if not terms:
        return
    model = DefinitionProposal
    query = (
        select(
            model.id,
            model.term_id,
            model.text,
            model.rationale,
            model.status,
            model.support_count,
            model.oppose_count,
            model.created_at,
            model.updated_at,
            model.adopted_at,
            User.id.label("author_id"),
            User.stored_name,
            User.anonymised_at,
            User.stakeholder_type,
            User.country,
        )
        .join(User, User.id == model.author_id)
        .where(model.term_id.in_(list(terms)), visible_proposals(None))
        .where(model.status != ProposalStatus.REJECTED)
        .where(model.author_id.not_in(_withheld_authors()))
        .where(model.id > bindparam("after"))
        .order_by(model.id)
        .limit(batch)
    )
    after = 0
    while True:
        rows = db.session.execute(query, {"after": after}).all()
        for row in rows:
            slug, label, count = terms[row.term_id]
            yield Proposal(
                id=row.id,
                term_slug=slug,
                term_label=label,
                occurrences=count,
                text=row.text,
                rationale=row.rationale or "",
                status=row.status.value,
                support=row.support_count,
                oppose=row.oppose_count,
                created=row.created_at,
                updated=row.updated_at,
                adopted_at=row.adopted_at,
                author=_author(
                    row.author_id,
                    row.stored_name,
                    row.anonymised_at,
                    row.stakeholder_type,
                    row.country,
                ),
            )
        if len(rows) < batch:
            return
        after = rows[-1].id
