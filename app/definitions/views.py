"""The glossary pages, without JavaScript: the A–Z list of terms, a term's page with its
adopted definition, history, proposals and their discussions, and the plain forms that
start terms, propose, vote, discuss, withdraw, adopt, reject and flag.

Views are thin: load (404), log in, validate the form, call one service, commit, flash,
redirect (303) to the place on the term's page. A refused service call (`DefinitionError`)
stores nothing: the term's page is shown again with the message at the form that was
sent, and the error's status.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from string import ascii_uppercase
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.annotations.forms import FlagForm
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import can_annotate, can_flag, is_author
from app.definitions import queries, services
from app.definitions.forms import (
    ActionForm,
    AdoptForm,
    AliasesForm,
    CommentForm,
    ProposalForm,
    RejectForm,
    TermForm,
)
from app.definitions.services import DefinitionError
from app.extensions import db, login_manager
from app.models import (
    DefinitionProposal,
    ProposalStatus,
    TargetKind,
    Term,
)
from app.moderation import queries as moderation_queries
from app.moderation import services as moderation_services
from app.moderation.services import ModerationError

bp = Blueprint("definitions", __name__, url_prefix="/glossary")

PROPOSAL = "<slug>/proposals/<int(min=1, max=2147483647):proposal_id>"
FILTER_LABELS = {
    "all": _l("All terms"),
    "adopted": _l("With a definition"),
    "open": _l("With open proposals"),
    "none": _l("No proposal yet"),
}
FLAG_KINDS = {
    "term": TargetKind.TERM,
    "proposal": TargetKind.PROPOSAL,
    "comment": TargetKind.COMMENT,
}


# --- helpers shared with the templates ------------------------------------------------------


def _letter(term: Term) -> str:
    """The letter a term is filed under: its first letter without accents, else "#"."""
    first = unicodedata.normalize("NFKD", term.label)[:1].upper()
    return first if first.isalpha() else "#"


@bp.app_template_global()
def may_vote_on(proposal: DefinitionProposal) -> bool:
    """Vote buttons: participants, on open proposals that are not their own."""
    return (
        can_annotate(current_user)
        and not is_author(current_user, proposal)
        and proposal.status is ProposalStatus.PUBLISHED
    )


@bp.app_template_global()
def takes_comments(proposal: DefinitionProposal) -> bool:
    """What `services.comment` accepts, so that the form is offered only there."""
    if proposal.status in (ProposalStatus.HIDDEN, ProposalStatus.REJECTED):
        return False
    if proposal.status is ProposalStatus.PENDING:
        return is_author(current_user, proposal)
    return can_annotate(current_user)


@bp.app_template_global()
def may_flag(item: Any) -> bool:
    """A "Flag" link: for others' published terms, proposals and comments."""
    return (
        can_flag(current_user)
        and not is_author(current_user, item)
        and str(item.status.value) == "published"
    )


def _discard() -> None:
    """A refused service call stored nothing; make sure nothing it may have added stays."""
    db.session.rollback()


def _status(error: DefinitionError | ModerationError) -> int:
    return error.status if error.status in {403, 404, 409, 422} else 422


def _given(value: str | None) -> str | None:
    """An optional text field: None when left empty, so that the services see "not given"."""
    return value if value and value.strip() else None


def _waiting(item: Any) -> str:
    if str(item.status.value) == "pending":
        return " " + _("It will appear to others after a moderator approves it.")
    return ""


# --- the glossary ----------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
def index():
    """Every term A–Z, filtered; a POST starts a term (with a first definition)."""
    form = TermForm(formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        return _render_index(form)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not form.validate_on_submit():
        return _render_index(form, status=422)
    try:
        term, _proposal = services.create_term(
            current_user,
            form.label.data or "",
            definition=_given(form.definition.data),
            rationale=_given(form.rationale.data),
        )
    except DefinitionError as error:
        _discard()
        form.attach(error)
        return _render_index(form, status=_status(error))
    slug = term.slug
    message = _("“%(label)s” is in the glossary.", label=term.label) + _waiting(term)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("definitions.term", slug=slug), 303)


def _render_index(form: TermForm, *, status: int = 200):
    state = request.args.get("state", "all")
    if state not in queries.FILTERS:
        state = "all"
    summaries = queries.glossary(current_user, state)
    groups: dict[str, list] = {}
    for summary in summaries:
        groups.setdefault(_letter(summary.term), []).append(summary)
    letters = [*ascii_uppercase, *sorted(k for k in groups if k not in ascii_uppercase)]
    return render_template(
        "definitions/index.html",
        groups=groups,
        letters=letters,
        count=len(summaries),
        state=state,
        filters=FILTER_LABELS,
        form=form,
    ), status


@bp.get("/new")
def new():
    """The "Start a term" form alone, the label filled in from the reader's selection."""
    label = " ".join((request.args.get("label") or "").split())[: services.MAX_LABEL_LENGTH]
    existing = queries.term_named(label, current_user) if label else None
    form = TermForm(formdata=None, label=label)
    return render_template("definitions/new.html", form=form, existing=existing, label=label)


# --- a term -----------------------------------------------------------------------------------


def _load_term(slug: str) -> Term:
    term = queries.term_by_slug(slug, current_user)
    if term is None:
        abort(404)
    return term


def _load_proposal(term: Term, proposal_id: int) -> DefinitionProposal:
    proposal = queries.proposal_by_id(proposal_id, current_user)
    if proposal is None or proposal.term_id != term.id:
        abort(404)
    return proposal


@dataclass
class Forms:
    """The forms of a proposal, each with its own prefix so that ids stay unique."""

    adopt: AdoptForm
    reject: RejectForm
    comment: CommentForm
    error: str | None = None  # a refusal that belongs to no field (a vote, a withdrawal)


def _proposal_forms(proposal: DefinitionProposal, reply_to: int | None) -> Forms:
    comment = CommentForm(formdata=None, prefix=f"p{proposal.id}")
    if reply_to is not None:
        comment.parent_id.data = str(reply_to)
    return Forms(
        adopt=AdoptForm(formdata=None, prefix=f"adopt{proposal.id}"),
        reject=RejectForm(formdata=None, prefix=f"reject{proposal.id}"),
        comment=comment,
    )


@dataclass
class Sent:
    """What a refused request sent, to show again with its errors."""

    propose: ProposalForm | None = None
    aliases: AliasesForm | None = None
    proposal_id: int | None = None
    forms: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@bp.get("/<slug>")
def term(slug: str):
    """A term: its adopted definition and history, then the proposals and discussions."""
    return _render_term(_load_term(slug))


def _render_term(term: Term, sent: Sent | None = None, *, status: int = 200):
    sent = sent or Sent()
    page = queries.term_page(term, current_user)
    settled = [p for p in (page.adopted, *page.history) if p is not None]
    comments = queries.discussions([p.id for p in settled], current_user)
    for view in page.proposals:
        comments[view.proposal.id] = view.comments
    reply_to = request.args.get("reply", type=int)
    forms = {}
    for proposal in [*settled, *(v.proposal for v in page.proposals)]:
        replying = next((c.id for c in comments.get(proposal.id, []) if c.id == reply_to), None)
        forms[proposal.id] = _proposal_forms(proposal, replying)
    if sent.proposal_id in forms:
        target = forms[sent.proposal_id]
        for name, form in sent.forms.items():
            setattr(target, name, form)
        target.error = sent.error
    commenters = {c.id: c for items in comments.values() for c in items}
    aliases_form = sent.aliases or AliasesForm(formdata=None, aliases="\n".join(term.aliases or []))
    return render_template(
        "definitions/term.html",
        term=term,
        appearances=queries.appearances(term),
        page=page,
        comments=comments,
        commenters=commenters,
        forms=forms,
        reply_to=reply_to if reply_to in commenters else None,
        propose_form=sent.propose or ProposalForm(formdata=None),
        aliases_form=aliases_form,
        page_error=sent.error if sent.proposal_id not in forms else None,
    ), status


def _refused(slug: str, error: DefinitionError, sent: Sent):
    """Show the term's page again after a refusal; nothing was stored."""
    _discard()
    return _render_term(_load_term(slug), sent, status=_status(error))


def _back(slug: str, proposal_id: int | None = None, anchor: str | None = None):
    if anchor is None and proposal_id is not None:
        anchor = f"proposal-{proposal_id}"
    return redirect(url_for("definitions.term", slug=slug, _anchor=anchor), 303)


@bp.post("/<slug>/proposals")
def propose(slug: str):
    """Propose a definition of the term."""
    term = _load_term(slug)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = ProposalForm()
    if not form.validate_on_submit():
        return _render_term(term, Sent(propose=form), status=422)
    try:
        proposal = services.propose(current_user, term, form.text.data, form.rationale.data)
    except DefinitionError as error:
        form.attach(error)
        return _refused(slug, error, Sent(propose=form))
    proposal_id, message = proposal.id, _("Your definition is proposed.") + _waiting(proposal)
    db.session.commit()
    flash(message, "success")
    return _back(slug, proposal_id)


@bp.post("/<slug>/aliases")
def aliases(slug: str):
    """Editors set the term's aliases."""
    term = _load_term(slug)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = AliasesForm()
    if not form.validate_on_submit():
        return _render_term(term, Sent(aliases=form), status=422)
    try:
        services.set_aliases(current_user, term, form.values)
    except DefinitionError as error:
        form.attach(error)
        return _refused(slug, error, Sent(aliases=form))
    db.session.commit()
    flash(_("The aliases are saved."), "success")
    return _back(slug, anchor="aliases")


def _proposal_action(slug: str, proposal_id: int, form_name: str | None, form, action):
    """Load the term and the proposal, log in, validate, call `action(proposal)`, commit;
    or show the page again with the refusal at the proposal's form."""
    term = _load_term(slug)
    proposal = _load_proposal(term, proposal_id)
    if not current_user.is_authenticated:
        return None, login_manager.unauthorized()
    sent_forms = {form_name: form} if form_name else {}
    if not form.validate_on_submit():
        return None, _render_term(term, Sent(proposal_id=proposal_id, forms=sent_forms), status=422)
    try:
        result = action(proposal)
    except DefinitionError as error:
        message = None
        if form_name and error.field:
            form.attach(error)
        else:
            message = error.message
        sent = Sent(proposal_id=proposal_id, forms=sent_forms, error=message)
        return None, _refused(slug, error, sent)
    return result, None


@bp.post(f"/{PROPOSAL}/vote")
def vote(slug: str, proposal_id: int):
    """Support or oppose a proposal, change one's vote, or withdraw it (`stance`)."""
    stance = request.form.get("stance", "")

    def act(proposal):
        if stance == "withdraw":
            return services.withdraw_vote(current_user, proposal)
        return services.vote(current_user, proposal, stance)

    _result, refused = _proposal_action(slug, proposal_id, None, ActionForm(), act)
    if refused is not None:
        return refused
    db.session.commit()
    if stance == "withdraw":
        flash(_("Your vote is withdrawn."), "success")
    elif stance == "support":
        flash(_("You support this proposal."), "success")
    else:
        flash(_("You oppose this proposal."), "success")
    return _back(slug, proposal_id)


@bp.post(f"/{PROPOSAL}/withdraw")
def withdraw(slug: str, proposal_id: int):
    """The author withdraws their proposal."""
    _result, refused = _proposal_action(
        slug, proposal_id, None, ActionForm(), lambda p: services.withdraw(current_user, p)
    )
    if refused is not None:
        return refused
    db.session.commit()
    flash(_("Your proposal is withdrawn."), "success")
    return _back(slug, proposal_id)


@bp.post(f"/{PROPOSAL}/adopt")
def adopt(slug: str, proposal_id: int):
    """An editor adopts a proposal as the term's definition, possibly edited."""
    form = AdoptForm(prefix=f"adopt{proposal_id}")
    _result, refused = _proposal_action(
        slug, proposal_id, "adopt", form, lambda p: services.adopt(current_user, p, form.text.data)
    )
    if refused is not None:
        return refused
    db.session.commit()
    flash(_("The definition is adopted."), "success")
    return _back(slug, anchor="definition")


@bp.post(f"/{PROPOSAL}/reject")
def reject(slug: str, proposal_id: int):
    """An editor rejects a proposal, saying why."""
    form = RejectForm(prefix=f"reject{proposal_id}")
    _result, refused = _proposal_action(
        slug,
        proposal_id,
        "reject",
        form,
        lambda p: services.reject(current_user, p, form.reason.data),
    )
    if refused is not None:
        return refused
    db.session.commit()
    flash(_("The proposal is rejected."), "success")
    return _back(slug, proposal_id)


@bp.post(f"/{PROPOSAL}/comments")
def comment(slug: str, proposal_id: int):
    """Comment on a proposal, or reply to a comment on it (`parent_id`)."""
    form = CommentForm(prefix=f"p{proposal_id}")

    def act(proposal):
        parent = None
        if form.parent is not None:
            parent = queries.comment_by_id(form.parent, current_user)
            if parent is None:
                raise DefinitionError(
                    _("Answer a comment on this proposal."), field="parent", status=409
                )
        return services.comment(current_user, proposal, form.body.data, parent)

    item, refused = _proposal_action(slug, proposal_id, "comment", form, act)
    if refused is not None:
        return refused
    anchor, message = f"comment-{item.id}", _("Your comment is posted.") + _waiting(item)
    db.session.commit()
    flash(message, "success")
    return _back(slug, anchor=anchor)


# --- flags ------------------------------------------------------------------------------------


def _flag_target(kind: str, item_id: int) -> tuple[Any, str, str]:
    """The item, its term's slug and the anchor it has on the term's page; or 404."""
    if kind == "term":
        term = queries.term_by_id(item_id, current_user)
        if term is None:
            abort(404)
        return term, term.slug, "term"
    if kind == "proposal":
        proposal = queries.proposal_by_id(item_id, current_user)
        if proposal is None or queries.term_by_id(proposal.term_id, current_user) is None:
            abort(404)
        return proposal, proposal.term.slug, f"proposal-{proposal.id}"
    if kind == "comment":
        item = queries.comment_by_id(item_id, current_user)
        if item is None:
            abort(404)
        return item, item.proposal.term.slug, f"comment-{item.id}"
    abort(404)


def _flag_refusal(kind: str, item: Any) -> tuple[str, int] | None:
    """Why the viewer cannot flag this item at all, and the status that says so."""
    if not can_flag(current_user):
        return _("Confirm your e-mail address to flag contributions."), 403
    if is_author(current_user, item):
        return _("You cannot flag your own contribution."), 403
    if str(item.status.value) != "published":
        return _("Only published contributions can be flagged."), 409
    if item.id in moderation_queries.flagged_by(current_user, FLAG_KINDS[kind], [item.id]):
        return _("You have already flagged this contribution."), 409
    return None


@bp.route("/flag/<kind>/<int(min=1, max=2147483647):item_id>", methods=["GET", "POST"])
def flag(kind: str, item_id: int):
    """Report a term, a proposal or a comment to the moderators."""
    item, slug, anchor = _flag_target(kind, item_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = FlagForm()

    def render(refusal=None, status=200):
        return render_template(
            "definitions/flag.html",
            kind=kind,
            item=item,
            form=form,
            refusal=refusal,
            back=url_for("definitions.term", slug=slug, _anchor=anchor),
        ), status

    if request.method == "GET":
        refusal = _flag_refusal(kind, item)
        return render(*refusal) if refusal else render()
    if not form.validate_on_submit():
        return render(status=422)
    try:
        moderation_services.flag(
            current_user, FLAG_KINDS[kind], item, form.reason.data, form.note.data
        )
    except ModerationError as error:
        _discard()
        item, slug, anchor = _flag_target(kind, item_id)
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
            return render(status=_status(error))
        if error.status in {403, 409}:
            return render(refusal=error.message, status=error.status)
        form.form_errors.append(error.message)
        return render(status=_status(error))
    db.session.commit()
    flash(_("Thank you. A moderator will look at it."), "success")
    if kind == "term" and queries.term_by_slug(slug, current_user) is None:
        return redirect(url_for("definitions.index"), 303)
    return redirect(url_for("definitions.term", slug=slug, _anchor=anchor), 303)


# What a proposal's status badge says (in words, not only in colour).
STATUS_LABELS = {
    ProposalStatus.PENDING: _l("Awaiting review"),
    ProposalStatus.PUBLISHED: _l("Open"),
    ProposalStatus.ADOPTED: _l("Adopted"),
    ProposalStatus.SUPERSEDED: _l("Superseded"),
    ProposalStatus.REJECTED: _l("Rejected"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
    ProposalStatus.HIDDEN: _l("Hidden"),
}


@bp.app_template_global()
def proposal_status_label(status: ProposalStatus) -> str:
    """The words of a proposal's status badge."""
    return str(STATUS_LABELS[ProposalStatus(status)])


@bp.app_template_global()
def is_author_of(item: Any) -> bool:
    """Whether the viewer wrote this term, proposal or comment."""
    return is_author(current_user, item)
