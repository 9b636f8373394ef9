"""Reading for moderators: the queue with its context, the log, and authors' records.

Every function costs a fixed number of queries however long the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.models import (
    Annotation,
    DefinitionProposal,
    Flag,
    FlagReason,
    ModerationAction,
    ModerationLog,
    ProposalComment,
    Section,
    TargetKind,
    Term,
    User,
)
from app.moderation.states import ModerationState, QueueFilter, is_approved, is_pending
from app.moderation.targets import CONTENT_TYPES
from app.papers.queries import VERSION_COLUMNS

QUEUE_STATES = tuple(f.value for f in QueueFilter)


@dataclass
class AuthorRecord:
    """What a moderator weighs about an author: how long they have been here and how their
    contributions fared."""

    user: User
    published: int = 0
    pending: int = 0
    rejected: int = 0
    hidden: int = 0


@dataclass
class AnnotationContext:
    """Where an annotation stands: its section and, for a reply, its thread and parent."""

    section: Section | None
    root: Annotation | None
    parent: Annotation | None


@dataclass
class GlossaryContext:
    """Where a glossary contribution stands: its term (for a term, the term itself); for a
    comment, also the proposal it discusses and the comment it answers, if any."""

    term: Term | None
    proposal: DefinitionProposal | None = None
    parent: ProposalComment | None = None


GLOSSARY_KINDS = (TargetKind.TERM, TargetKind.PROPOSAL, TargetKind.COMMENT)


@dataclass
class QueueEntry:
    kind: TargetKind
    item: Any
    since: datetime
    pending: bool
    flags: list[Flag] = field(default_factory=list)
    record: AuthorRecord | None = None
    context: AnnotationContext | GlossaryContext | None = None

    @property
    def key(self) -> str:
        """A stable form value naming the item: `annotation:42`."""
        return f"{self.kind.value}:{self.item.id}"


@dataclass
class QueuePage:
    entries: list[QueueEntry]
    total: int
    has_more: bool


def _queue_rows(
    state: QueueFilter, kind: TargetKind | None, reason: FlagReason | None
) -> Select | None:
    """(kind, id, since, pending) of everything waiting for a decision, over all content."""
    parts = []
    for ct in CONTENT_TYPES.values():
        if kind is not None and ct.kind is not kind:
            continue
        model = ct.model
        open_flags = select(
            Flag.target_id.label("id"), func.min(Flag.created_at).label("since")
        ).where(Flag.target_kind == ct.kind, Flag.resolved_at.is_(None))
        if reason is not None:
            open_flags = open_flags.where(Flag.reason == reason)
        open_flags = open_flags.group_by(Flag.target_id).subquery()
        if state is not QueueFilter.FLAGGED and reason is None:
            parts.append(
                select(
                    literal(ct.kind.value).label("kind"),
                    model.id.label("id"),
                    model.created_at.label("since"),
                    literal(1).label("pending"),
                ).where(model.status == ct.status(ModerationState.PENDING))
            )
        if state is not QueueFilter.PENDING:
            parts.append(
                select(
                    literal(ct.kind.value).label("kind"),
                    model.id.label("id"),
                    open_flags.c.since.label("since"),
                    literal(0).label("pending"),
                )
                .join(open_flags, open_flags.c.id == model.id)
                .where(
                    model.status.in_(
                        [ct.status(ModerationState.PUBLISHED), ct.status(ModerationState.HIDDEN)]
                    )
                )
            )
    if not parts:
        return None
    return union_all(*parts).subquery()


def queue(
    *,
    state: str | QueueFilter = QueueFilter.ALL,
    kind: TargetKind | None = None,
    reason: FlagReason | None = None,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """What waits for a decision, oldest first: pending items and items with open flags."""
    rows_query = _queue_rows(QueueFilter(state), kind, reason)
    if rows_query is None:
        return QueuePage([], 0, False)
    total = db.session.scalar(select(func.count()).select_from(rows_query)) or 0
    rows = db.session.execute(
        select(rows_query)
        .order_by(rows_query.c.since, rows_query.c.kind, rows_query.c.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    entries = _entries([(TargetKind(k), i, s, bool(p)) for k, i, s, p in rows])
    return QueuePage(entries, total, has_more)


def entry(kind: TargetKind, target_id: int) -> QueueEntry | None:
    """One item with the same context the queue gives (for a page about it), or None."""
    ct = CONTENT_TYPES.get(kind)
    if ct is None:
        return None
    item = db.session.get(ct.model, target_id)
    if item is None:
        return None
    since = (
        db.session.scalar(
            select(func.min(Flag.created_at)).where(
                Flag.target_kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None)
            )
        )
        or item.created_at
    )
    pending = is_pending(item)
    return _entries([(kind, target_id, since, pending)])[0]


def _entries(rows: list[tuple[TargetKind, int, datetime, bool]]) -> list[QueueEntry]:
    """Load the items, their open flags, their authors' records and their context."""
    if not rows:
        return []
    items: dict[tuple[TargetKind, int], Any] = {}
    for ct in CONTENT_TYPES.values():
        ids = [i for k, i, _s, _p in rows if k is ct.kind]
        if not ids:
            continue
        query = select(ct.model).where(ct.model.id.in_(ids))
        if ct.model is not Annotation:
            query = query.options(selectinload(ct.model.author))
        if ct.model is Annotation:
            query = query.options(
                selectinload(Annotation.author),
                selectinload(Annotation.paper),
                selectinload(Annotation.version).load_only(*VERSION_COLUMNS),
            )
        for item in db.session.scalars(query):
            items[(ct.kind, item.id)] = item
    flags = flags_of([(k, i) for k, i, _s, _p in rows])
    records = author_records({item.author_id for item in items.values()})
    contexts = annotation_contexts(
        [item for (k, _i), item in items.items() if k is TargetKind.ANNOTATION]
    )
    glossary = glossary_contexts(
        {(k, i): item for (k, i), item in items.items() if k in GLOSSARY_KINDS}
    )
    entries = []
    for kind, target_id, since, pending in rows:
        item = items.get((kind, target_id))
        if item is None:
            continue
        if since.tzinfo is None:  # a UNION over SQLite loses the column type
            since = since.replace(tzinfo=UTC)
        entries.append(
            QueueEntry(
                kind=kind,
                item=item,
                since=since,
                pending=pending,
                flags=flags.get((kind, target_id), []),
                record=records.get(item.author_id),
                context=(
                    contexts.get(target_id)
                    if kind is TargetKind.ANNOTATION
                    else glossary.get((kind, target_id))
                ),
            )
        )
    return entries


def flags_of(targets: list[tuple[TargetKind, int]]) -> dict[tuple[TargetKind, int], list[Flag]]:
    """Open flags of the given items, oldest first, with their reporters: two queries."""
    if not targets:
        return {}
    conditions = [
        (Flag.target_kind == kind) & Flag.target_id.in_([i for k, i in targets if k is kind])
        for kind in {k for k, _i in targets}
    ]
    found: dict[tuple[TargetKind, int], list[Flag]] = {}
    for flag in db.session.scalars(
        select(Flag)
        .where(or_(*conditions), Flag.resolved_at.is_(None))
        .options(selectinload(Flag.reporter))
        .order_by(Flag.created_at, Flag.id)
    ):
        found.setdefault((flag.target_kind, flag.target_id), []).append(flag)
    return found


def author_records(user_ids: set[int]) -> dict[int, AuthorRecord]:
    """Each author's account and contribution counts by status: one query per content type."""
    if not user_ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    records = {u.id: AuthorRecord(u) for u in users}
    for ct in CONTENT_TYPES.values():
        rows = db.session.execute(
            select(ct.model.author_id, ct.model.status, func.count(ct.model.id))
            .where(ct.model.author_id.in_(user_ids))
            .group_by(ct.model.author_id, ct.model.status)
        ).all()
        for author_id, status, count in rows:
            record = records.get(author_id)
            # an adopted definition counts as published
            state = ModerationState.PUBLISHED if is_approved(status) else ModerationState.of(status)
            if record is not None and state is not None:
                setattr(record, state.value, getattr(record, state.value) + count)
    return records


def _by_id(model: Any, ids: set[int], *options: Any) -> dict[int, Any]:
    """Rows of `model` by id: one query, none without ids."""
    if not ids:
        return {}
    query = select(model).where(model.id.in_(ids)).options(*options)
    return {row.id: row for row in db.session.scalars(query)}


def annotation_contexts(annotations: list[Annotation]) -> dict[int, AnnotationContext]:
    """Section, thread root and parent of each annotation: at most three queries."""
    if not annotations:
        return {}
    related_ids = {a.root_id for a in annotations if a.root_id} | {
        a.parent_id for a in annotations if a.parent_id
    }
    related = _by_id(Annotation, related_ids, selectinload(Annotation.author))
    pairs = {(a.version_id, a.section_key) for a in annotations}
    sections = {}
    conditions = [
        (Section.version_id == version_id) & (Section.key == key) for version_id, key in pairs
    ]
    # Only what a queue entry shows of a section: not its HTML, text or notes.
    columns = (Section.id, Section.version_id, Section.key, Section.number, Section.title)
    for section in db.session.scalars(
        select(Section).where(or_(*conditions)).options(load_only(*columns))
    ):
        sections[(section.version_id, section.key)] = section
    return {
        a.id: AnnotationContext(
            section=sections.get((a.version_id, a.section_key)),
            root=related.get(a.root_id) if a.root_id else None,
            parent=related.get(a.parent_id) if a.parent_id else None,
        )
        for a in annotations
    }


def glossary_contexts(items: dict[tuple[TargetKind, int], Any]) -> dict[tuple[TargetKind, int],
                                                                      GlossaryContext]:  # fmt: skip
    """Term of each term, proposal and comment; proposal and parent of each comment.

    At most five queries for any number of items: the comments' proposals (with their
    authors), the terms, and the parent comments (with their authors).
    """
    if not items:
        return {}
    comments = [c for (k, _i), c in items.items() if k is TargetKind.COMMENT]
    proposals: dict[int, DefinitionProposal] = {
        p.id: p for (k, _i), p in items.items() if k is TargetKind.PROPOSAL
    }
    wanted = {c.proposal_id for c in comments} - set(proposals)
    if wanted:
        for p in db.session.scalars(
            select(DefinitionProposal)
            .where(DefinitionProposal.id.in_(wanted))
            .options(selectinload(DefinitionProposal.author))
        ):
            proposals[p.id] = p
    term_ids = {p.term_id for p in proposals.values()} - {
        i for (k, i) in items if k is TargetKind.TERM
    }
    terms: dict[int, Term] = {t.id: t for (k, _i), t in items.items() if k is TargetKind.TERM}
    terms.update(_by_id(Term, term_ids))
    parent_ids = {c.parent_id for c in comments if c.parent_id}
    parents = _by_id(ProposalComment, parent_ids, selectinload(ProposalComment.author))
    found: dict[tuple[TargetKind, int], GlossaryContext] = {}
    for (kind, target_id), item in items.items():
        if kind is TargetKind.TERM:
            found[(kind, target_id)] = GlossaryContext(term=item)
        elif kind is TargetKind.PROPOSAL:
            found[(kind, target_id)] = GlossaryContext(term=terms.get(item.term_id))
        elif kind is TargetKind.COMMENT:
            proposal = proposals.get(item.proposal_id)
            found[(kind, target_id)] = GlossaryContext(
                term=terms.get(proposal.term_id) if proposal else None,
                proposal=proposal,
                parent=parents.get(item.parent_id) if item.parent_id else None,
            )
    return found


def glossary_path(
    slug: str, kind: TargetKind | str = TargetKind.TERM, target_id: int | None = None
) -> str:
    """Where a glossary contribution is read: `/glossary/<slug>`, with `#proposal-<id>` or
    `#comment-<id>` for a proposal or a comment."""
    kind = TargetKind(kind)
    path = f"/glossary/{quote(slug, safe='')}"
    if kind is TargetKind.PROPOSAL and target_id is not None:
        return f"{path}#proposal-{target_id}"
    if kind is TargetKind.COMMENT and target_id is not None:
        return f"{path}#comment-{target_id}"
    return path


def glossary_paths(
    targets: list[tuple[TargetKind, int]],
) -> dict[tuple[TargetKind, int], str]:
    """The glossary path of each term, proposal and comment among `targets` (log rows, say):
    one query for any number, none when there is no glossary item."""
    wanted = {kind: {i for k, i in targets if k is kind} for kind in GLOSSARY_KINDS}
    # Each glossary kind's model, and the joins that lead from it to its term.
    to_term = {
        TargetKind.TERM: (Term, []),
        TargetKind.PROPOSAL: (DefinitionProposal, [(Term, Term.id == DefinitionProposal.term_id)]),
        TargetKind.COMMENT: (
            ProposalComment,
            [
                (DefinitionProposal, DefinitionProposal.id == ProposalComment.proposal_id),
                (Term, Term.id == DefinitionProposal.term_id),
            ],
        ),
    }
    parts = []
    for kind, ids in wanted.items():
        if not ids:
            continue
        model, joins = to_term[kind]
        part = select(literal(kind.value).label("kind"), model.id.label("id"), Term.slug)
        for joined, condition in joins:
            part = part.join(joined, condition)
        parts.append(part.where(model.id.in_(ids)))
    if not parts:
        return {}
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    paths = {}
    for kind, target_id, slug in db.session.execute(query).all():
        kind = TargetKind(kind)
        paths[(kind, target_id)] = glossary_path(slug, kind, target_id)
    return paths


# --- the log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFilters:
    action: ModerationAction | None = None
    kind: TargetKind | None = None
    moderator_id: int | None = None
    subject_id: int | None = None
    since: date | None = None
    until: date | None = None


def _log_query(filters: LogFilters) -> Select:
    query = select(ModerationLog)
    if filters.action is not None:
        query = query.where(ModerationLog.action == filters.action)
    if filters.kind is not None:
        query = query.where(ModerationLog.target_kind == filters.kind)
    if filters.moderator_id is not None:
        query = query.where(ModerationLog.moderator_id == filters.moderator_id)
    if filters.subject_id is not None:
        query = query.where(ModerationLog.subject_id == filters.subject_id)
    if filters.since is not None:
        query = query.where(
            ModerationLog.created_at >= datetime.combine(filters.since, time.min, UTC)
        )
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, UTC)
        query = query.where(ModerationLog.created_at < end)
    return query


def log_entries(
    filters: LogFilters = LogFilters(), *, limit: int | None = 50, offset: int = 0
) -> tuple[list[ModerationLog], int]:
    """Log rows matching the filters, newest first, with moderators and subjects; and
    how many match."""
    query = _log_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (
        query.options(selectinload(ModerationLog.moderator), selectinload(ModerationLog.subject))
        .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
        .offset(offset)
    )
    if limit is not None:
        page = page.limit(limit)
    return list(db.session.scalars(page)), total


def log_batches(filters: LogFilters = LogFilters(), size: int = 500):
    """Every matching log row, newest first, in batches of `size` (for exports).

    Batches follow the id, not an offset, so rows logged during an export neither
    repeat nor push others out.
    """
    before: int | None = None
    while True:
        query = _log_query(filters).options(selectinload(ModerationLog.moderator))
        if before is not None:
            query = query.where(ModerationLog.id < before)
        batch = list(db.session.scalars(query.order_by(ModerationLog.id.desc()).limit(size)))
        if batch:
            yield batch
        if len(batch) < size:
            return
        before = batch[-1].id


def moderators() -> list[User]:
    """Everyone who has decided something, for the log's filter."""
    decided = select(ModerationLog.moderator_id).where(ModerationLog.moderator_id.is_not(None))
    return list(
        db.session.scalars(
            select(User).where(User.id.in_(decided)).order_by(User.display_name, User.id)
        )
    )


def decisions_about(user: User, limit: int = 20) -> list[ModerationLog]:
    """Decisions about an account's contributions and the account itself, newest first —
    what its owner is told in the account area."""
    rows, _total = log_entries(LogFilters(subject_id=user.id), limit=limit)
    return rows


def latest_decisions(kind: TargetKind, target_ids: list[int]) -> dict[int, ModerationLog]:
    """The last decision on each of several items: one query."""
    if not target_ids:
        return {}
    newest = (
        select(func.max(ModerationLog.id))
        .where(ModerationLog.target_kind == kind, ModerationLog.target_id.in_(target_ids))
        .group_by(ModerationLog.target_id)
    )
    rows = db.session.scalars(select(ModerationLog).where(ModerationLog.id.in_(newest)))
    return {row.target_id: row for row in rows}


def flagged_by(user: User, kind: TargetKind, target_ids: list[int]) -> set[int]:
    """Which of the items the user has already flagged: one query."""
    if not target_ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(Flag.target_id).where(
                Flag.target_kind == kind,
                Flag.target_id.in_(target_ids),
                Flag.reporter_id == user.id,
            )
        )
    )
