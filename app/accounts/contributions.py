"""One's own contributions, for the account area: threads, replies, proposed definitions,
comments on proposals and votes, newest first, each with where it stands and a link.

Like Hypothesis's user stream and Decidim's "My activity", it answers "what became of
what I wrote?" in one place: awaiting review, hidden (with the moderator's reason),
rejected, answered by the editors, adopted. The page costs a fixed number of queries
whatever it holds: one to count, one to pick the page's rows across the four tables,
then at most one per kind of row and per kind of fact they need.

Only the owner sees this list, so it shows every state of their own items — those are
the states its owner already sees on the pages themselves. What the author deleted is
left out: they took it back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from app.annotations.dispositions import current_dispositions
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import lazy_pgettext
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    CommentStatus,
    DefinitionProposal,
    Disposition,
    ModerationAction,
    ModerationLog,
    ProposalComment,
    ProposalStatus,
    TargetKind,
    User,
    Vote,
)
from app.moderation.queries import glossary_path, latest_decisions
from app.papers.queries import VERSION_COLUMNS

PER_PAGE = 50


class Kind(enum.StrEnum):
    THREAD = "thread"
    REPLY = "reply"
    PROPOSAL = "proposal"
    COMMENT = "comment"
    VOTE = "vote"


KIND_LABELS = {
    Kind.THREAD: _l("Thread"),
    Kind.REPLY: lazy_pgettext("contribution", "Reply"),
    Kind.PROPOSAL: _l("Proposed definition"),
    Kind.COMMENT: _l("Comment on a proposal"),
    Kind.VOTE: _l("Vote"),
}

# Where an item stands, in words (the state is always written out, never a colour alone).
STATE_LABELS = {
    "pending": _l("awaiting review"),
    "published": _l("published"),
    "hidden": _l("hidden by a moderator"),
    "rejected": _l("rejected"),
    "adopted": _l("adopted"),
    "superseded": _l("adopted, since superseded"),
    "withdrawn": _l("withdrawn"),
}

# A vote stands with its proposal: these say where the proposal is.
PROPOSAL_STATE_LABELS = {
    **STATE_LABELS,
    "published": _l("open for votes"),
    "hidden": _l("hidden by a moderator"),
}

# States in which a moderator's decision explains where the item stands.
_DECIDED = {"hidden", "rejected"}


@dataclass
class Contribution:
    """One row of the list: what it is, the item itself, where it stands and why.

    `state` is the item's status value ("pending", "published", "hidden", "rejected",
    "adopted", …; a vote carries its proposal's); `reason` is the moderator's or the
    editors' reason for a hidden or rejected item (empty when hidden automatically after
    flags: `hidden_by_flags` says so); `answer` is the editors' current answer to a
    thread; `proposal` is the proposal a comment or a vote is about.
    """

    kind: Kind
    item: Any
    created_at: datetime
    state: str
    url: str
    reason: str = ""
    hidden_by_flags: bool = False
    answer: Disposition | None = None
    proposal: DefinitionProposal | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def state_label(self) -> str:
        labels = PROPOSAL_STATE_LABELS if self.kind is Kind.VOTE else STATE_LABELS
        return str(labels.get(self.state, self.state))


@dataclass
class ContributionPage:
    """The rows of one page, which page it is of how many, and how many rows in all."""

    items: list[Contribution]
    page: int
    pages: int
    total: int


def _listing(user: User):
    """(kind, id, created_at) of every listed contribution of `user`, over four tables."""
    annotations = select(
        case(
            (Annotation.parent_id.is_(None), literal(Kind.THREAD.value)),
            else_=literal(Kind.REPLY.value),
        ).label("kind"),
        Annotation.id.label("id"),
        Annotation.created_at.label("created_at"),
    ).where(Annotation.author_id == user.id, Annotation.status != AnnotationStatus.DELETED)
    proposals = select(
        literal(Kind.PROPOSAL.value).label("kind"),
        DefinitionProposal.id,
        DefinitionProposal.created_at,
    ).where(DefinitionProposal.author_id == user.id)
    comments = select(
        literal(Kind.COMMENT.value).label("kind"),
        ProposalComment.id,
        ProposalComment.created_at,
    ).where(ProposalComment.author_id == user.id, ProposalComment.status != CommentStatus.DELETED)
    votes = select(literal(Kind.VOTE.value).label("kind"), Vote.id, Vote.created_at).where(
        Vote.user_id == user.id
    )
    return union_all(annotations, proposals, comments, votes).subquery("contributions")


def contributions_of(user: User, page: int = 1, per_page: int = PER_PAGE) -> ContributionPage:
    """One page of `user`'s contributions, newest first, ready to show.

    A page past the last one is shown as the last one, so a stale `?page=` still lands
    somewhere useful.
    """
    listing = _listing(user)
    total = db.session.scalar(select(func.count()).select_from(listing)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    if not total:
        return ContributionPage([], page, pages, total)
    rows = db.session.execute(
        select(listing.c.kind, listing.c.id, listing.c.created_at)
        .order_by(listing.c.created_at.desc(), listing.c.kind, listing.c.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ContributionPage(_present(rows), page, pages, total)


def _ids(rows, *kinds: Kind) -> list[int]:
    return [row.id for row in rows if Kind(row.kind) in kinds]


def _present(rows) -> list[Contribution]:
    """The page's rows as Contributions: at most eight queries for any number of rows."""
    annotations = _by_id(
        Annotation,
        _ids(rows, Kind.THREAD, Kind.REPLY),
        joinedload(Annotation.paper),
        joinedload(Annotation.version).load_only(*VERSION_COLUMNS),
    )
    comments = _by_id(ProposalComment, _ids(rows, Kind.COMMENT))
    votes = _by_id(Vote, _ids(rows, Kind.VOTE))
    proposal_ids = (
        set(_ids(rows, Kind.PROPOSAL))
        | {c.proposal_id for c in comments.values()}
        | {v.proposal_id for v in votes.values()}
    )
    proposals = _by_id(DefinitionProposal, proposal_ids, joinedload(DefinitionProposal.term))
    answers = current_dispositions(
        a.id for a in annotations.values() if a.is_root and a.status is AnnotationStatus.PUBLISHED
    )
    decisions = {
        kind: latest_decisions(kind, [i for i, item in items.items() if item.status in _DECIDED])
        for kind, items in (
            (TargetKind.ANNOTATION, annotations),
            (
                TargetKind.PROPOSAL,
                {i: proposals[i] for i in _ids(rows, Kind.PROPOSAL) if i in proposals},
            ),
            (TargetKind.COMMENT, comments),
        )
    }

    found = []
    for row in rows:
        kind = Kind(row.kind)
        if not _still_there(kind, row.id, annotations, proposals, comments, votes):
            continue  # removed between the listing's query and this one
        if kind in (Kind.THREAD, Kind.REPLY):
            item = annotations[row.id]
            entry = Contribution(kind, item, row.created_at, item.status.value, _thread_url(item))
            entry.answer = answers.get(item.id)
            _explain(entry, decisions[TargetKind.ANNOTATION].get(item.id))
        elif kind is Kind.PROPOSAL:
            item = proposals[row.id]
            entry = Contribution(
                kind,
                item,
                row.created_at,
                item.status.value,
                glossary_path(item.term.slug, TargetKind.PROPOSAL, item.id),
            )
            _explain(entry, decisions[TargetKind.PROPOSAL].get(item.id))
            if item.status is ProposalStatus.REJECTED and item.editor_reason:
                entry.reason = item.editor_reason
        elif kind is Kind.COMMENT:
            item = comments[row.id]
            proposal = proposals[item.proposal_id]
            entry = Contribution(
                kind,
                item,
                row.created_at,
                item.status.value,
                glossary_path(proposal.term.slug, TargetKind.COMMENT, item.id),
                proposal=proposal,
            )
            _explain(entry, decisions[TargetKind.COMMENT].get(item.id))
        else:
            item = votes[row.id]
            proposal = proposals[item.proposal_id]
            entry = Contribution(
                kind,
                item,
                row.created_at,
                proposal.status.value,
                glossary_path(proposal.term.slug, TargetKind.PROPOSAL, proposal.id),
                proposal=proposal,
            )
        found.append(entry)
    return found


def _still_there(kind: Kind, item_id: int, annotations, proposals, comments, votes) -> bool:
    """Whether a listed row and what it needs were found when loaded (a vote withdrawn or
    an account's data removed in between is left out rather than failing the page)."""
    if kind in (Kind.THREAD, Kind.REPLY):
        return item_id in annotations
    if kind is Kind.PROPOSAL:
        return item_id in proposals
    item = (comments if kind is Kind.COMMENT else votes).get(item_id)
    return item is not None and item.proposal_id in proposals


def _by_id(model: Any, ids, *options: Any) -> dict[int, Any]:
    """Rows of `model` by id: one query, none without ids."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    query = select(model).where(model.id.in_(ids)).options(*options)
    return {row.id: row for row in db.session.scalars(query).unique()}


def _thread_url(annotation: Annotation) -> str:
    """A thread's permalink; a reply's is its place in its thread."""
    if annotation.is_root:
        return url_for("annotations.thread", annotation_id=annotation.id)
    return url_for(
        "annotations.thread", annotation_id=annotation.root_id, _anchor=f"a{annotation.id}"
    )


def _explain(entry: Contribution, decision: ModerationLog | None) -> None:
    """Give a hidden or rejected item the reason of the decision that put it there."""
    if entry.state not in _DECIDED or decision is None:
        return
    if decision.action in (ModerationAction.HIDE, ModerationAction.REJECT):
        entry.reason = decision.reason
        entry.hidden_by_flags = decision.moderator_id is None
