"""Reading the glossary: what a viewer may see, in a fixed number of queries.

The same rules as the discussion: published things are public (except what restricted
accounts post); authors also see their own pending, hidden and rejected contributions;
moderators see what awaits review and what was hidden.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Subquery, func, or_, select
from sqlalchemy.orm import selectinload

from app.core.permissions import is_moderator
from app.definitions.finding import Finder
from app.extensions import db
from app.models import (
    CommentStatus,
    DefinitionProposal,
    Paper,
    PaperVersion,
    ProposalComment,
    ProposalStatus,
    Section,
    Term,
    TermStatus,
    User,
    Vote,
)


class TermState(enum.StrEnum):
    """Where a term stands: with an adopted definition, with open proposals only, or with
    neither."""

    ADOPTED = "adopted"
    OPEN = "open"
    NONE = "none"


# The glossary's filters: every term ("all"), or those in one state.
ALL_TERMS = "all"
FILTERS = (ALL_TERMS, *(state.value for state in TermState))


def term_filter(value: str | None) -> TermState | None:
    """The state a glossary filter asks for; None for every term (or a filter not known)."""
    return next((state for state in TermState if state.value == value), None)


# Proposals everyone sees: out in the open, settled, or turned down by an editor.
PUBLIC_PROPOSALS = (
    ProposalStatus.PUBLISHED,
    ProposalStatus.ADOPTED,
    ProposalStatus.SUPERSEDED,
    ProposalStatus.WITHDRAWN,
)


def _authenticated(viewer: Any) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", False)


def _not_restricted(author_id):
    return author_id.not_in(select(User.id).where(User.restricted_at.is_not(None)))


def _visible(model: Any, viewer: Any, public: Any, also_for_moderators: list) -> Any:
    """A condition on a glossary model: what is `public`, unless its author is restricted;
    one's own contributions; and for moderators also those in `also_for_moderators`."""
    shown = public & _not_restricted(model.author_id)
    if is_moderator(viewer):
        return or_(shown, model.status.in_(also_for_moderators), model.author_id == viewer.id)
    if _authenticated(viewer):
        return or_(shown, model.author_id == viewer.id)
    return shown


def visible_terms(viewer: Any):
    """A condition on Term: published terms, one's own, and for moderators every published
    one and those awaiting review or hidden."""
    moderated = [TermStatus.PUBLISHED, TermStatus.PENDING, TermStatus.HIDDEN]
    return _visible(Term, viewer, Term.status == TermStatus.PUBLISHED, moderated)


def visible_proposals(viewer: Any):
    """A condition on DefinitionProposal (see `app.core.permissions.can_see_proposal`)."""
    model = DefinitionProposal
    editor_rejected = (model.status == ProposalStatus.REJECTED) & model.editor_reason.is_not(None)
    public = model.status.in_(PUBLIC_PROPOSALS) | editor_rejected
    return _visible(model, viewer, public, [ProposalStatus.PENDING, ProposalStatus.HIDDEN])


def visible_comments(viewer: Any):
    """A condition on ProposalComment: as for annotations."""
    moderated = [CommentStatus.PUBLISHED, CommentStatus.PENDING, CommentStatus.HIDDEN]
    public = ProposalComment.status == CommentStatus.PUBLISHED
    return _visible(ProposalComment, viewer, public, moderated)


@dataclass
class TermSummary:
    """A line of the glossary: the term, its adopted definition if any, its open proposals."""

    term: Term
    adopted: DefinitionProposal | None
    open_count: int

    @property
    def state(self) -> TermState:
        if self.adopted is not None:
            return TermState.ADOPTED
        return TermState.OPEN if self.open_count else TermState.NONE


def open_proposal_counts(viewer: Any) -> Subquery:
    """A subquery of (term_id, n): the open proposals of each term that the viewer sees."""
    return (
        select(DefinitionProposal.term_id, func.count(DefinitionProposal.id).label("n"))
        .where(DefinitionProposal.status == ProposalStatus.PUBLISHED)
        .where(visible_proposals(viewer))
        .group_by(DefinitionProposal.term_id)
        .subquery()
    )


def glossary(viewer: Any, wanted: TermState | None = None) -> list[TermSummary]:
    """Every term the viewer may see (or those in the state `wanted`), A–Z, with its adopted
    definition and the number of open proposals: three queries whatever the number of terms."""
    open_counts = open_proposal_counts(viewer)
    rows = db.session.execute(
        select(Term, func.coalesce(open_counts.c.n, 0))
        .outerjoin(open_counts, open_counts.c.term_id == Term.id)
        .where(visible_terms(viewer))
        .order_by(Term.label_key)
    ).all()
    ids = [term.id for term, _n in rows]
    adopted = adopted_definitions(ids)
    summaries = [TermSummary(term, adopted.get(term.id), n) for term, n in rows]
    if wanted is not None:
        summaries = [s for s in summaries if s.state is wanted]
    return summaries


def adopted_definitions(term_ids: list[int] | None = None) -> dict[int, DefinitionProposal]:
    """The adopted definition of each term (of the given ones, or of all): one query, two
    with their authors."""
    query = (
        select(DefinitionProposal)
        .where(DefinitionProposal.status == ProposalStatus.ADOPTED)
        .options(selectinload(DefinitionProposal.author))
    )
    if term_ids is not None:
        if not term_ids:
            return {}
        query = query.where(DefinitionProposal.term_id.in_(term_ids))
    return {p.term_id: p for p in db.session.scalars(query)}


def term_by_slug(slug: str, viewer: Any) -> Term | None:
    return db.session.scalar(
        select(Term)
        .where(Term.slug == slug)
        .where(visible_terms(viewer))
        .options(selectinload(Term.author))
    )


@dataclass
class ProposalView:
    proposal: DefinitionProposal
    comments: list[ProposalComment] = field(default_factory=list)
    my_vote: str | None = None


@dataclass
class TermPage:
    """A term with its adopted definition, its history (earlier adoptions, newest first) and
    the proposals: open ones by support, then the rest."""

    term: Term
    adopted: DefinitionProposal | None
    history: list[DefinitionProposal]
    proposals: list[ProposalView]


def term_page(term: Term, viewer: Any) -> TermPage:
    """Everything a term's page shows: four queries (proposals with authors and editors,
    comments with authors, the viewer's votes) whatever the number of proposals."""
    proposals = list(
        db.session.scalars(
            select(DefinitionProposal)
            .where(DefinitionProposal.term_id == term.id)
            .where(visible_proposals(viewer))
            .options(
                selectinload(DefinitionProposal.author),
                selectinload(DefinitionProposal.adopted_by),
            )
            .order_by(
                DefinitionProposal.support_count.desc(),
                DefinitionProposal.oppose_count,
                DefinitionProposal.created_at,
                DefinitionProposal.id,
            )
        )
    )
    ids = [p.id for p in proposals]
    comments = discussions(ids, viewer)
    votes = votes_of(viewer, ids)
    adopted = next((p for p in proposals if p.status is ProposalStatus.ADOPTED), None)
    history = sorted(
        (p for p in proposals if p.status is ProposalStatus.SUPERSEDED and p.adopted_at),
        key=lambda p: p.adopted_at,
        reverse=True,
    )
    order = {ProposalStatus.PUBLISHED: 0, ProposalStatus.PENDING: 1}
    rest = sorted(
        (p for p in proposals if p is not adopted and p not in history),
        key=lambda p: order.get(p.status, 2),
    )  # stable: open ones keep their order by support
    return TermPage(
        term,
        adopted,
        history,
        [ProposalView(p, comments.get(p.id, []), votes.get(p.id)) for p in rest],
    )


def proposal_by_id(proposal_id: int, viewer: Any) -> DefinitionProposal | None:
    return db.session.scalar(
        select(DefinitionProposal)
        .where(DefinitionProposal.id == proposal_id)
        .where(visible_proposals(viewer))
        .options(selectinload(DefinitionProposal.term), selectinload(DefinitionProposal.author))
    )


def proposal_counts(term_ids: list[int], viewer: Any) -> dict[int, int]:
    """Open proposals per term, for terms without an adopted definition: one query."""
    if not term_ids:
        return {}
    return dict(
        db.session.execute(
            select(DefinitionProposal.term_id, func.count(DefinitionProposal.id))
            .where(DefinitionProposal.term_id.in_(term_ids))
            .where(DefinitionProposal.status == ProposalStatus.PUBLISHED)
            .where(visible_proposals(viewer))
            .group_by(DefinitionProposal.term_id)
        ).all()
    )


# --- for the glossary pages (app/definitions/views.py) ------------------------------------


def term_named(name: str, viewer: Any) -> Term | None:
    """The visible term whose label or one of whose aliases is `name` (case and spacing
    aside): one query."""
    key = " ".join(name.casefold().split())
    if not key:
        return None
    for term in db.session.scalars(select(Term).where(visible_terms(viewer))):
        if term.label_key == key or any(
            " ".join(alias.casefold().split()) == key for alias in term.aliases or []
        ):
            return term
    return None


def term_by_id(term_id: int, viewer: Any) -> Term | None:
    return db.session.scalar(select(Term).where(Term.id == term_id).where(visible_terms(viewer)))


def comment_by_id(comment_id: int, viewer: Any) -> ProposalComment | None:
    """A comment the viewer may see, with its proposal and term (both visible too)."""
    return db.session.scalar(
        select(ProposalComment)
        .join(DefinitionProposal, DefinitionProposal.id == ProposalComment.proposal_id)
        .join(Term, Term.id == DefinitionProposal.term_id)
        .where(ProposalComment.id == comment_id)
        .where(visible_comments(viewer), visible_proposals(viewer), visible_terms(viewer))
        .options(
            selectinload(ProposalComment.author),
            selectinload(ProposalComment.proposal).selectinload(DefinitionProposal.term),
        )
    )


def discussions(proposal_ids: list[int], viewer: Any) -> dict[int, list[ProposalComment]]:
    """The visible comments on each proposal, oldest first, with their authors: two
    queries whatever the number (none without proposals). `term_page` gives them for the
    proposals it lists; this gives them for the adopted definition and its history."""
    comments: dict[int, list[ProposalComment]] = {}
    if not proposal_ids:
        return comments
    for item in db.session.scalars(
        select(ProposalComment)
        .where(ProposalComment.proposal_id.in_(proposal_ids))
        .where(visible_comments(viewer))
        .options(selectinload(ProposalComment.author))
        .order_by(ProposalComment.created_at, ProposalComment.id)
    ):
        comments.setdefault(item.proposal_id, []).append(item)
    return comments


# --- for the JSON API ---------------------------------------------------------------------


def votes_of(viewer: Any, proposal_ids: list[int]) -> dict[int, str]:
    """The viewer's stance on each of the proposals it voted on: one query, none when
    anonymous or when there are no proposals."""
    if not proposal_ids or not _authenticated(viewer):
        return {}
    return {
        proposal_id: stance.value
        for proposal_id, stance in db.session.execute(
            select(Vote.proposal_id, Vote.stance).where(
                Vote.proposal_id.in_(proposal_ids), Vote.user_id == viewer.id
            )
        )
    }


def users_by_id(user_ids: set[int] | list[int]) -> dict[int, User]:
    """Accounts by id (authors and editors of a page): one query."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


@dataclass(frozen=True)
class Appearance:
    """Where a term occurs: a section of the latest version of a paper, and how often."""

    paper_slug: str
    paper_title: str
    version: str
    section_key: str
    section_heading: str
    count: int


def appearances(term: Term) -> list[Appearance]:
    """The term's occurrences across all papers' current text (the latest version of each):
    whole words, case-insensitive, aliases included. One query for the sections."""
    latest = (
        select(PaperVersion.paper_id, func.max(PaperVersion.sequence).label("sequence"))
        .group_by(PaperVersion.paper_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Paper.slug,
            Paper.title,
            PaperVersion.label,
            Section.key,
            Section.number,
            Section.title,
            Section.text,
        )
        .join(PaperVersion, PaperVersion.paper_id == Paper.id)
        .join(
            latest,
            (latest.c.paper_id == PaperVersion.paper_id)
            & (latest.c.sequence == PaperVersion.sequence),
        )
        .join(Section, Section.version_id == PaperVersion.id)
        .order_by(Paper.slug, Section.position)
    ).all()
    finder = Finder([term])
    found = []
    for slug, title, label, key, number, section_title, text in rows:
        count = len(finder.find(text))
        if count:
            heading = f"{number} {section_title}" if number else section_title
            found.append(Appearance(slug, title, label, key, heading, count))
    return found
