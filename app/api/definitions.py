"""JSON API for the glossary: terms, proposed definitions, votes, discussion, adoption.

Views stay thin, as in `app.api.annotations`: authenticate (401), read the JSON strictly
(400 for malformed JSON, 415 when it is not JSON, 422 for wrong types and unknown
fields), load what the URL names (404 when it is unknown or the caller may not see it),
call one service from `app.definitions.services`, answer. Editors' actions
check the role before reading the body, so that a participant learns 403 at once. A
`DefinitionError` answers with its own status, code and field; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from sqlalchemy import inspect as sa_inspect

from app.annotations.limits import posting_limit
from app.api import presenters, schemas, validation
from app.api.blueprint import (
    COMMENT_ID,
    MAX_ID,
    PROPOSAL_ID,
    allowed,
    answer,
    bp,
    caller,
    created,
    fields_named,
    signed_in,
)
from app.api.moderation import flag, flagger
from app.core.errors import ApiError
from app.core.permissions import can_adopt, can_annotate
from app.core.ratelimits import account_key
from app.core.urls import absolute_url
from app.definitions import queries, services
from app.extensions import db, limiter
from app.models import ProposalStatus, TargetKind, Term


def _vote_rate() -> str:
    return current_app.config["VOTE_RATE_LIMIT"]


# Votes have their own allowance: going down a term's proposals must not eat into the
# posting limit, but a script voting in a loop is stopped.
vote_limit = limiter.limit(
    _vote_rate,
    key_func=account_key,
    methods=["PUT"],
    error_message="Too many votes at once. Please wait a minute and try again.",
)


# --- shared -----------------------------------------------------------------------------


def _participant():
    """The account making a contribution: 401 without one, 403 when it may not take part."""
    return allowed(can_annotate, "Log in with a confirmed account to take part.")


def _editor(action: str):
    """The editor making the request: 401 without an account, 403 for others."""
    return allowed(can_adopt, f"Only series editors {action}.")


def _term(slug: str, viewer: Any):
    if "\x00" in slug:
        raise ApiError(404, "no such term")
    found = queries.term_by_slug(slug, viewer)
    if found is None:
        raise ApiError(404, f"no term '{slug}'")
    return found


def _proposal(proposal_id: int, viewer: Any):
    found = queries.proposal_by_id(proposal_id, viewer)
    if found is None:
        raise ApiError(404, f"no proposal {proposal_id}")
    return found


def _people(*rows: Any) -> dict[int, Any]:
    """The accounts that `rows` (terms, proposals, comments) name and have not loaded:
    one query for all of them, none when every one is loaded."""
    wanted = set()
    for row in rows:
        unloaded = sa_inspect(row).unloaded
        for name in ("author", "adopted_by"):
            key = getattr(row, f"{name}_id", None)
            if name in unloaded and key is not None:
                wanted.add(key)
    return queries.users_by_id(wanted)


def _term_of(proposal: Any) -> Any:
    """The term of a proposal: loaded with it, or from the session."""
    if "term" not in sa_inspect(proposal).unloaded:
        return proposal.term
    return db.session.get(Term, proposal.term_id)


def _proposal_answer(found: Any, viewer: Any, **extra: Any) -> schemas.Proposal:
    votes = queries.votes_of(viewer, [found.id])
    return presenters.proposal(
        found,
        term=_term_of(found),
        people=_people(found),
        my_vote=votes.get(found.id),
        **extra,
    )


# --- reading ----------------------------------------------------------------------------


@bp.get("/terms")
def terms():
    """The glossary A–Z: each term with its adopted definition and its open proposals."""
    asked = validation.query(schemas.TermsQuery)
    limit, after = asked.limit, asked.after
    viewer = caller()
    summaries = queries.glossary(viewer, queries.term_filter(asked.state))
    total = len(summaries)
    page = summaries[after : after + limit]
    adopted = [s.adopted for s in page if s.adopted is not None]
    users = queries.users_by_id(
        {s.term.author_id for s in page} | {p.adopted_by_id for p in adopted}
    )
    votes = queries.votes_of(viewer, [p.id for p in adopted])
    next_url = None
    if after + limit < total:
        kept = asked.model_dump(include={"state"}, exclude_unset=True)
        # Terms are in alphabetical order, not by id: the cursor counts the terms given.
        next_url = absolute_url("api.terms", **kept, limit=limit, after=after + limit)
    items = [
        presenters.term(
            s.term, adopted=s.adopted, open_proposals=s.open_count, people=users, votes=votes
        )
        for s in page
    ]
    return answer(schemas.TermList(items=items, total=total, next=next_url))


def _term_detail(term: Any, viewer: Any, **extra: Any) -> schemas.TermDetail:
    """A term with its definition, its proposals (open ones by support first) and the
    definitions adopted before, newest first."""
    page = queries.term_page(term, viewer)
    settled = ([page.adopted] if page.adopted else []) + page.history
    votes = queries.votes_of(viewer, [p.id for p in settled])
    open_count = sum(1 for v in page.proposals if v.proposal.status is ProposalStatus.PUBLISHED)
    people = _people(term, *settled, *(v.proposal for v in page.proposals))
    return presenters.term(
        term,
        adopted=page.adopted,
        open_proposals=open_count,
        votes=votes,
        people=people,
        model=schemas.TermDetail,
        proposals=[
            presenters.proposal(v.proposal, term=term, my_vote=v.my_vote, people=people)
            for v in page.proposals
        ],
        history=[
            presenters.proposal(p, term=term, my_vote=votes.get(p.id), people=people)
            for p in page.history
        ],
        **extra,
    )


@bp.get("/terms/<slug>")
def term(slug: str):
    """One term: its definition, history and proposals, and where it occurs in the papers."""
    viewer = caller()
    found = _term(slug, viewer)
    occurrences = [
        schemas.Occurrence(
            paper=a.paper_slug, version=a.version, section=a.section_key, count=a.count
        )
        for a in queries.appearances(found)
    ]
    return answer(_term_detail(found, viewer, occurrences=occurrences))


@bp.get(f"/proposals/{PROPOSAL_ID}")
def proposal(proposal_id: int):
    """One proposal with its discussion, oldest first."""
    viewer = caller()
    found = _proposal(proposal_id, viewer)
    comments = queries.discussions([found.id], viewer).get(found.id, [])
    people = _people(*comments)
    listed = [presenters.proposal_comment(c, people) for c in comments]
    return answer(_proposal_answer(found, viewer, model=schemas.ProposalDetail, comments=listed))


# --- contributing -----------------------------------------------------------------------


@bp.post("/terms")
@posting_limit
def create_term():
    """Start a term, with a first proposed definition when `definition` is given."""
    user = _participant()
    new = validation.body(schemas.NewTerm)
    with fields_named({"text": "definition"}):
        made, _first = services.create_term(
            user,
            new.label,
            definition=new.definition,
            rationale=new.rationale,
            language=new.language,
        )
    body = _term_detail(queries.term_by_slug(made.slug, user), user)
    return created(body, url_for("api.term", slug=made.slug))


@bp.post("/terms/<slug>/proposals")
@posting_limit
def create_proposal(slug: str):
    """Propose a definition of a term: `{text, rationale?, language?}`."""
    user = _participant()
    found = _term(slug, user)
    new = validation.body(schemas.NewProposal)
    made = services.propose(user, found, new.text, new.rationale, language=new.language)
    body = presenters.proposal(made, term=found, people=_people(made))
    return created(body, url_for("api.proposal", proposal_id=made.id))


@bp.put(f"/proposals/{PROPOSAL_ID}/vote")
@vote_limit
def vote(proposal_id: int):
    """Support or oppose a proposal: `{stance}`. One vote per account, which it may change."""
    user = _participant()
    found = _proposal(proposal_id, user)
    new = validation.body(schemas.NewVote)
    row = services.vote(user, found, new.stance)
    return answer(presenters.vote(row, found))


@bp.delete(f"/proposals/{PROPOSAL_ID}/vote")
def withdraw_vote(proposal_id: int):
    """Take one's vote back (204 whether or not there was one)."""
    user = _participant()
    services.withdraw_vote(user, _proposal(proposal_id, user))
    return "", 204


@bp.post(f"/proposals/{PROPOSAL_ID}/comments")
@posting_limit
def create_comment(proposal_id: int):
    """Discuss a proposal: `{body, parent?, language?}` (`parent`: the comment answered)."""
    user = _participant()
    found = _proposal(proposal_id, user)
    new = validation.body(schemas.NewProposalComment)
    parent = None
    if new.parent is not None:
        if 1 <= new.parent <= MAX_ID:
            parent = queries.comment_by_id(new.parent, user)
        if parent is None:
            raise ApiError(
                404, f"no comment {new.parent} to answer", fields={"parent": "no such comment"}
            )
    item = services.comment(user, found, new.body, parent, language=new.language)
    body = presenters.proposal_comment(item, _people(item))
    return created(body, url_for("api.proposal", proposal_id=found.id))


# --- the author's and the editors' decisions ---------------------------------------------


@bp.post(f"/proposals/{PROPOSAL_ID}/withdraw")
def withdraw(proposal_id: int):
    """Its author withdraws a proposal that is open or awaits review."""
    user = signed_in()
    found = _proposal(proposal_id, user)
    validation.body(schemas.NoBody, optional=True)
    services.withdraw(user, found)
    body = presenters.proposal(found, term=_term_of(found), people=_people(found))
    return answer(body)


@bp.post(f"/proposals/{PROPOSAL_ID}/adopt")
def adopt(proposal_id: int):
    """Editors make a proposal the term's definition, as proposed or edited (`{text?}`)."""
    editor = _editor("adopt definitions")
    found = _proposal(proposal_id, editor)
    new = validation.body(schemas.Adoption, optional=True)
    services.adopt(editor, found, new.text)
    return answer(_proposal_answer(found, editor))


@bp.post(f"/proposals/{PROPOSAL_ID}/reject")
def reject(proposal_id: int):
    """Editors turn an open proposal down: `{reason}`, shown with it."""
    editor = _editor("reject definitions")
    found = _proposal(proposal_id, editor)
    new = validation.body(schemas.Rejection)
    services.reject(editor, found, new.reason)
    return answer(_proposal_answer(found, editor))


@bp.put("/terms/<slug>/aliases")
def set_aliases(slug: str):
    """Editors set a term's aliases (variants and plurals): `{aliases: [...]}`, replacing
    the list."""
    editor = _editor("manage aliases")
    found = _term(slug, editor)
    new = validation.body(schemas.Aliases)
    services.set_aliases(editor, found, new.aliases)
    return answer(_term_detail(found, editor))


# --- flags ------------------------------------------------------------------------------


@bp.post("/terms/<slug>/flags")
@posting_limit
def flag_term(slug: str):
    """Report a term to the moderators: `{reason, note?}`, once per account."""
    user = flagger()
    return flag(TargetKind.TERM, _term(slug, user), user)


@bp.post(f"/proposals/{PROPOSAL_ID}/flags")
@posting_limit
def flag_proposal(proposal_id: int):
    """Report a proposal to the moderators: `{reason, note?}`, once per account."""
    user = flagger()
    return flag(TargetKind.PROPOSAL, _proposal(proposal_id, user), user)


@bp.post(f"/proposal-comments/{COMMENT_ID}/flags")
@posting_limit
def flag_comment(comment_id: int):
    """Report a comment on a proposal to the moderators: `{reason, note?}`, once per account."""
    user = flagger()
    found = queries.comment_by_id(comment_id, user)
    if found is None:
        raise ApiError(404, f"no comment {comment_id}")
    return flag(TargetKind.COMMENT, found, user)
