"""JSON API for the glossary: terms, proposed definitions, votes, discussion, adoption.

Views stay thin, as in `app.api.annotations`: authenticate (401), read the JSON strictly
(400 for malformed JSON, 415 when it is not JSON, 422 for wrong types and unknown
fields), load what the URL names (404 when it is unknown or the caller may not see it),
call one service from `app.definitions.services`, commit once, answer. Editors' actions
check the role before reading the body, so that a participant learns 403 at once. A
`DefinitionError` answers with its own status, code and field; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for

from app.annotations.limits import posting_limit
from app.api import serializers
from app.api.blueprint import (
    COMMENT_ID,
    MAX_ID,
    PROPOSAL_ID,
    Fields,
    allowed,
    bp,
    caller,
    created,
    fields_named,
    json_object,
    json_type,
    optional_json_object,
    page_params,
    signed_in,
)
from app.api.moderation import FLAG_FIELDS
from app.core.errors import ApiError
from app.core.permissions import can_adopt, can_annotate, can_flag
from app.core.ratelimits import account_key
from app.definitions import queries, services
from app.extensions import limiter
from app.models import FlagReason, ProposalStatus, TargetKind
from app.moderation import services as moderation

TERM_FIELDS = frozenset({"label", "definition", "rationale"})
PROPOSAL_FIELDS = frozenset({"text", "rationale"})
VOTE_FIELDS = frozenset({"stance"})
ADOPT_FIELDS = frozenset({"text"})
REJECT_FIELDS = frozenset({"reason"})
ALIAS_FIELDS = frozenset({"aliases"})
COMMENT_FIELDS = frozenset({"body", "parent"})


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


def _optional_text(data: dict, name: str, fields: Fields) -> str | None:
    return fields.text(data.get(name), name, nullable=True) if name in data else None


# --- reading ----------------------------------------------------------------------------


@bp.get("/terms")
def terms():
    """The glossary A–Z: each term with its adopted definition and its open proposals."""
    limit, after = page_params()
    state = request.args.get("state", "all")
    if state not in queries.FILTERS:
        raise ApiError(
            400,
            "invalid list parameters",
            code="invalid_parameters",
            fields={"state": f"must be one of {', '.join(queries.FILTERS)}"},
        )
    viewer = caller()
    summaries = queries.glossary(viewer, state)
    total = len(summaries)
    page = summaries[after : after + limit]
    adopted = [s.adopted for s in page if s.adopted is not None]
    users = queries.users_by_id(
        {s.term.author_id for s in page} | {p.adopted_by_id for p in adopted}
    )
    votes = queries.votes_of(viewer, [p.id for p in adopted])
    next_url = None
    if after + limit < total:
        kept = {"state": state} if "state" in request.args else {}
        # Terms are in alphabetical order, not by id: the cursor counts the terms given.
        next_url = url_for("api.terms", **kept, limit=limit, after=after + limit, _external=True)
    items = [
        serializers.term_json(
            s.term, adopted=s.adopted, open_proposals=s.open_count, users=users, votes=votes
        )
        for s in page
    ]
    return jsonify({"items": items, "total": total, "next": next_url})


def _term_detail(term: Any, viewer: Any) -> dict[str, Any]:
    """A term with its definition, its proposals (open ones by support first) and the
    definitions adopted before, newest first."""
    page = queries.term_page(term, viewer)
    settled = ([page.adopted] if page.adopted else []) + page.history
    votes = queries.votes_of(viewer, [p.id for p in settled])
    open_count = sum(1 for v in page.proposals if v.proposal.status is ProposalStatus.PUBLISHED)
    body = serializers.term_json(term, adopted=page.adopted, open_proposals=open_count, votes=votes)
    body["proposals"] = [
        serializers.proposal_json(v.proposal, term=term, my_vote=v.my_vote) for v in page.proposals
    ]
    body["history"] = [
        serializers.proposal_json(p, term=term, my_vote=votes.get(p.id)) for p in page.history
    ]
    return body


@bp.get("/terms/<slug>")
def term(slug: str):
    """One term: its definition, history and proposals, and where it occurs in the papers."""
    viewer = caller()
    found = _term(slug, viewer)
    body = _term_detail(found, viewer)
    body["occurrences"] = [
        {"paper": a.paper_slug, "version": a.version, "section": a.section_key, "count": a.count}
        for a in queries.appearances(found)
    ]
    return jsonify(body)


@bp.get(f"/proposals/{PROPOSAL_ID}")
def proposal(proposal_id: int):
    """One proposal with its discussion, oldest first."""
    viewer = caller()
    found = _proposal(proposal_id, viewer)
    votes = queries.votes_of(viewer, [found.id])
    body = serializers.proposal_json(found, my_vote=votes.get(found.id))
    comments = queries.discussions([found.id], viewer).get(found.id, [])
    body["comments"] = [serializers.comment_json(c) for c in comments]
    return jsonify(body)


# --- contributing -----------------------------------------------------------------------


@bp.post("/terms")
@posting_limit
def create_term():
    """Start a term, with a first proposed definition when `definition` is given."""
    user = _participant()
    data = json_object()
    fields = Fields()
    fields.unknown(data, TERM_FIELDS)
    if "label" not in data:
        fields.bad("label", "required")
    label = fields.text(data.get("label"), "label") if "label" in data else None
    definition = _optional_text(data, "definition", fields)
    rationale = _optional_text(data, "rationale", fields)
    if definition is not None and not definition.strip():
        fields.bad("definition", "must not be blank (leave it out to start a term without one)")
    fields.raise_if_any()
    with fields_named({"text": "definition"}):
        term, _first = services.create_term(user, label, definition=definition, rationale=rationale)
    body = _term_detail(queries.term_by_slug(term.slug, user), user)
    return created(body, url_for("api.term", slug=term.slug))


@bp.post("/terms/<slug>/proposals")
@posting_limit
def create_proposal(slug: str):
    """Propose a definition of a term: `{text, rationale?}`."""
    user = _participant()
    term = _term(slug, user)
    data = json_object()
    fields = Fields()
    fields.unknown(data, PROPOSAL_FIELDS)
    if "text" not in data:
        fields.bad("text", "required")
    text = fields.text(data.get("text"), "text") if "text" in data else None
    rationale = _optional_text(data, "rationale", fields)
    fields.raise_if_any()
    made = services.propose(user, term, text, rationale)
    body = serializers.proposal_json(made, term=term)
    return created(body, url_for("api.proposal", proposal_id=made.id))


@bp.put(f"/proposals/{PROPOSAL_ID}/vote")
@vote_limit
def vote(proposal_id: int):
    """Support or oppose a proposal: `{stance}`. One vote per account, which it may change."""
    user = _participant()
    found = _proposal(proposal_id, user)
    data = json_object()
    fields = Fields()
    fields.unknown(data, VOTE_FIELDS)
    if "stance" not in data:
        fields.bad("stance", "required: support or oppose")
    stance = fields.text(data.get("stance"), "stance") if "stance" in data else None
    fields.raise_if_any()
    row = services.vote(user, found, stance)
    body = serializers.vote_json(row, found)
    return jsonify(body)


@bp.delete(f"/proposals/{PROPOSAL_ID}/vote")
def withdraw_vote(proposal_id: int):
    """Take one's vote back (204 whether or not there was one)."""
    user = _participant()
    found = _proposal(proposal_id, user)
    services.withdraw_vote(user, found)
    return "", 204


@bp.post(f"/proposals/{PROPOSAL_ID}/comments")
@posting_limit
def create_comment(proposal_id: int):
    """Discuss a proposal: `{body, parent?}` (`parent`: the comment answered)."""
    user = _participant()
    found = _proposal(proposal_id, user)
    data = json_object()
    fields = Fields()
    fields.unknown(data, COMMENT_FIELDS)
    if "body" not in data:
        fields.bad("body", "required")
    body = fields.text(data.get("body"), "body") if "body" in data else None
    parent_id = fields.integer(data.get("parent"), "parent")
    fields.raise_if_any()
    parent = None
    if parent_id is not None:
        if 1 <= parent_id <= MAX_ID:
            parent = queries.comment_by_id(parent_id, user)
        if parent is None:
            raise ApiError(
                404,
                f"no comment {parent_id} to answer",
                fields={"parent": "no such comment"},
            )
    item = services.comment(user, found, body, parent)
    answer = serializers.comment_json(item)
    return created(answer, url_for("api.proposal", proposal_id=found.id))


# --- the author's and the editors' decisions ---------------------------------------------


@bp.post(f"/proposals/{PROPOSAL_ID}/withdraw")
def withdraw(proposal_id: int):
    """Its author withdraws a proposal that is open or awaits review."""
    user = signed_in()
    found = _proposal(proposal_id, user)
    data = optional_json_object()
    fields = Fields()
    for name in sorted(data):
        fields.bad(name, "unknown field (this request takes no body, or `{}`)")
    fields.raise_if_any()
    services.withdraw(user, found)
    body = serializers.proposal_json(found, my_vote=None)
    return jsonify(body)


@bp.post(f"/proposals/{PROPOSAL_ID}/adopt")
def adopt(proposal_id: int):
    """Editors make a proposal the term's definition, as proposed or edited (`{text?}`)."""
    editor = _editor("adopt definitions")
    found = _proposal(proposal_id, editor)
    data = optional_json_object()
    fields = Fields()
    fields.unknown(data, ADOPT_FIELDS)
    text = _optional_text(data, "text", fields)
    if text is not None and not text.strip():
        fields.bad("text", "must not be blank (leave it out to adopt the text as proposed)")
    fields.raise_if_any()
    services.adopt(editor, found, text)
    votes = queries.votes_of(editor, [found.id])
    body = serializers.proposal_json(found, my_vote=votes.get(found.id))
    return jsonify(body)


@bp.post(f"/proposals/{PROPOSAL_ID}/reject")
def reject(proposal_id: int):
    """Editors turn an open proposal down: `{reason}`, shown with it."""
    editor = _editor("reject definitions")
    found = _proposal(proposal_id, editor)
    data = json_object()
    fields = Fields()
    fields.unknown(data, REJECT_FIELDS)
    if "reason" not in data:
        fields.bad("reason", "required")
    reason = fields.text(data.get("reason"), "reason") if "reason" in data else None
    fields.raise_if_any()
    services.reject(editor, found, reason)
    votes = queries.votes_of(editor, [found.id])
    body = serializers.proposal_json(found, my_vote=votes.get(found.id))
    return jsonify(body)


@bp.put("/terms/<slug>/aliases")
def set_aliases(slug: str):
    """Editors set a term's aliases (variants and plurals): `{aliases: [...]}`, replacing
    the list."""
    editor = _editor("manage aliases")
    found = _term(slug, editor)
    data = json_object()
    fields = Fields()
    fields.unknown(data, ALIAS_FIELDS)
    if "aliases" not in data:
        fields.bad("aliases", "required (an empty list removes them all)")
    aliases = data.get("aliases")
    if "aliases" in data:
        if not isinstance(aliases, list):
            fields.bad("aliases", f"must be an array of strings, not {json_type(aliases)}")
        else:
            for index, alias in enumerate(aliases):
                fields.text(alias, f"aliases[{index}]")
    fields.raise_if_any()
    services.set_aliases(editor, found, aliases)
    body = _term_detail(found, editor)
    return jsonify(body)


# --- flags ------------------------------------------------------------------------------


def _flag(kind: TargetKind, item: Any, user: Any):
    data = json_object()
    fields = Fields()
    fields.unknown(data, FLAG_FIELDS)
    if "reason" not in data:
        fields.bad("reason", f"required: one of {', '.join(r.value for r in FlagReason)}")
    reason = fields.text(data.get("reason"), "reason") if "reason" in data else None
    note = fields.text(data.get("note"), "note", nullable=True)
    fields.raise_if_any()
    flag = moderation.flag(user, kind, item, reason, note)
    body = serializers.flag_json(flag)
    return created(body)


def _flagger():
    return allowed(can_flag, "Log in with a confirmed account to flag contributions.")


@bp.post("/terms/<slug>/flags")
@posting_limit
def flag_term(slug: str):
    """Report a term to the moderators: `{reason, note?}`, once per account."""
    user = _flagger()
    return _flag(TargetKind.TERM, _term(slug, user), user)


@bp.post(f"/proposals/{PROPOSAL_ID}/flags")
@posting_limit
def flag_proposal(proposal_id: int):
    """Report a proposal to the moderators: `{reason, note?}`, once per account."""
    user = _flagger()
    return _flag(TargetKind.PROPOSAL, _proposal(proposal_id, user), user)


@bp.post(f"/proposal-comments/{COMMENT_ID}/flags")
@posting_limit
def flag_comment(comment_id: int):
    """Report a comment on a proposal to the moderators: `{reason, note?}`, once per account."""
    user = _flagger()
    found = queries.comment_by_id(comment_id, user)
    if found is None:
        raise ApiError(404, f"no comment {comment_id}")
    return _flag(TargetKind.COMMENT, found, user)
