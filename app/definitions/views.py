"""The glossary pages, without JavaScript: the A–Z list of terms, a term's page with its
adopted definition, history, proposals and their discussions, and the plain forms that
start terms, propose, vote, discuss, withdraw, adopt, reject and flag.

Views are thin: load (404, one loader per resource: `_load_term`, `_load_proposal`,
`_flag_target`), log in, validate the form, call one service (`_attempt`), flash,
redirect (303) to the place on the term's page; the request's work is committed once it
succeeded (`app.core.transaction`). A refused service call (`DefinitionError`) stores
nothing: the term's page is shown again with the message at the form that was sent, and
the error's status.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from string import ascii_uppercase
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.core import atom
from app.core.i18n import gettext as _
from app.core.i18n import lazy_gettext as _l
from app.core.page_cache import public_page
from app.core.permissions import can_annotate, can_flag, is_author
from app.definitions import feeds, queries, services
from app.definitions.forms import (
    ActionForm,
    AdoptForm,
    AliasesForm,
    CommentForm,
    GlossaryForm,
    ProposalForm,
    RejectForm,
    TermForm,
)
from app.definitions.services import DefinitionError
from app.extensions import login_manager
from app.models import (
    CommentStatus,
    DefinitionProposal,
    ProposalStatus,
    TargetKind,
    Term,
    TermStatus,
)
from app.moderation import queries as moderation_queries
from app.moderation import services as moderation_services
from app.moderation.forms import FlagForm, attach_error
from app.moderation.services import ModerationError
from app.moderation.states import is_pending, is_published
from app.notifications.queries import follow_keys

bp = Blueprint("definitions", __name__, url_prefix="/glossary")

PROPOSAL = "<slug>/proposals/<int:proposal_id>"
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


@bp.app_context_processor
def _statuses() -> dict[str, Any]:
    """The glossary's status enums and the shared moderation states, so that templates
    compare a status by identity (`p.status is sameas ProposalStatus.ADOPTED`)."""
    return {
        "ProposalStatus": ProposalStatus,
        "TermStatus": TermStatus,
        "TermState": queries.TermState,
        "CommentStatus": CommentStatus,
        "is_pending": is_pending,
        "is_published": is_published,
    }


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
    return can_flag(current_user) and not is_author(current_user, item) and is_published(item)


def _given(value: str | None) -> str | None:
    """An optional text field: None when left empty, so that the services see "not given"."""
    return value if value and value.strip() else None


def _waiting(item: Any) -> str:
    if is_pending(item):
        return " " + _("It will appear to others after a moderator approves it.")
    return ""


def _done(message: str, slug: str, proposal_id: int | None = None, anchor: str | None = None):
    """After a change: say so, and go back to its place on the term's page (303)."""
    flash(message, "success")
    if anchor is None and proposal_id is not None:
        anchor = f"proposal-{proposal_id}"
    return redirect(url_for("definitions.term", slug=slug, _anchor=anchor), 303)


# --- the glossary ----------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@public_page(paper=False)
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
            language=form.language.data,
        )
    except DefinitionError as error:
        form.attach(error)
        return _render_index(form, status=error.status)
    return _done(_("“%(label)s” is in the glossary.", label=term.label) + _waiting(term), term.slug)


def _render_index(form: TermForm, *, status: int = 200):
    wanted = queries.term_filter(request.args.get("state"))
    summaries = queries.glossary(current_user, wanted)
    groups: dict[str, list] = {}
    for summary in summaries:
        groups.setdefault(_letter(summary.term), []).append(summary)
    letters = [*ascii_uppercase, *sorted(k for k in groups if k not in ascii_uppercase)]
    return render_template(
        "definitions/index.html",
        groups=groups,
        letters=letters,
        count=len(summaries),
        state=wanted.value if wanted else queries.ALL_TERMS,
        filtered=wanted is not None,
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
    """The term the viewer may see under `slug`; or 404."""
    term = queries.term_by_slug(slug, current_user)
    if term is None:
        abort(404)
    return term


def _load_proposal(slug: str, proposal_id: int) -> tuple[Term, DefinitionProposal]:
    """The term and its proposal, both visible to the viewer; or 404."""
    term = _load_term(slug)
    proposal = queries.proposal_by_id(proposal_id, current_user)
    if proposal is None or proposal.term_id != term.id:
        abort(404)
    return term, proposal


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

    def refused(self, form: GlossaryForm, error: DefinitionError) -> None:
        """Put a refusal where the page shows it: at the field of the form that was sent,
        or, for a proposal's buttons and a refusal of no field, at the proposal."""
        if self.proposal_id is None or (self.forms and error.field):
            form.attach(error)
        else:
            self.error = error.message


@bp.get("/<slug>")
@public_page(paper=False)
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
        following=bool(follow_keys(current_user, [f"term:{term.id}"])),
    ), status


def _attempt(term: Term, form: GlossaryForm, sent: Sent, act: Callable[[], Any], done):
    """Ask to log in, validate the form, call `act()` and answer `done(its result)`; or
    answer with the log-in page, or with the term's page again showing what was sent and
    the refusal where it belongs, with the refusal's status (nothing of it is stored)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not form.validate_on_submit():
        return _render_term(term, sent, status=422)
    try:
        result = act()
    except DefinitionError as error:
        sent.refused(form, error)
        return _render_term(term, sent, status=error.status)
    return done(result)


def _on_term(slug: str, form: GlossaryForm, sent: Sent, act, done):
    """`_attempt` on a term: load it (404), then `act(term)`."""
    term = _load_term(slug)
    return _attempt(term, form, sent, lambda: act(term), done)


def _on_proposal(slug: str, proposal_id: int, form: GlossaryForm, act, done, form_name=None):
    """`_attempt` on a proposal: load the term and the proposal (404), then `act(proposal)`;
    a refusal is shown at the proposal, on its form `form_name` if it has one."""
    term, proposal = _load_proposal(slug, proposal_id)
    sent = Sent(proposal_id=proposal_id, forms={form_name: form} if form_name else {})
    return _attempt(term, form, sent, lambda: act(proposal), done)


@bp.post("/<slug>/proposals")
def propose(slug: str):
    """Propose a definition of the term."""
    form = ProposalForm()
    return _on_term(
        slug,
        form,
        Sent(propose=form),
        lambda term: services.propose(
            current_user, term, form.text.data, form.rationale.data, language=form.language.data
        ),
        lambda new: _done(_("Your definition is proposed.") + _waiting(new), slug, new.id),
    )


@bp.post("/<slug>/aliases")
def aliases(slug: str):
    """Editors set the term's aliases."""
    form = AliasesForm()

    def save(term):
        return services.set_aliases(current_user, term, form.values)

    def saved(_term):
        return _done(_("The aliases are saved."), slug, anchor="aliases")

    return _on_term(slug, form, Sent(aliases=form), save, saved)


VOTED = {
    "withdraw": _l("Your vote is withdrawn."),
    "support": _l("You support this proposal."),
    "oppose": _l("You oppose this proposal."),
}


@bp.post(f"/{PROPOSAL}/vote")
def vote(slug: str, proposal_id: int):
    """Support or oppose a proposal, change one's vote, or withdraw it (`stance`)."""
    stance = request.form.get("stance", "")

    def act(proposal):
        if stance == "withdraw":
            return services.withdraw_vote(current_user, proposal)
        return services.vote(current_user, proposal, stance)

    def done(_vote):
        return _done(str(VOTED.get(stance, VOTED["oppose"])), slug, proposal_id)

    return _on_proposal(slug, proposal_id, ActionForm(), act, done)


@bp.post(f"/{PROPOSAL}/withdraw")
def withdraw(slug: str, proposal_id: int):
    """The author withdraws their proposal."""
    return _on_proposal(
        slug,
        proposal_id,
        ActionForm(),
        lambda proposal: services.withdraw(current_user, proposal),
        lambda _proposal: _done(_("Your proposal is withdrawn."), slug, proposal_id),
    )


# An editor's decision on a proposal: its form, the field whose text goes with it, the
# service, what the editor is told, and where on the term's page they return.
EDITOR_DECISIONS = {
    "adopt": (AdoptForm, "text", services.adopt, _l("The definition is adopted."), "definition"),
    "reject": (RejectForm, "reason", services.reject, _l("The proposal is rejected."), None),
}


def _editor_decides(slug: str, proposal_id: int, name: str):
    form_class, field_name, decide, message, anchor = EDITOR_DECISIONS[name]
    form = form_class(prefix=f"{name}{proposal_id}")
    return _on_proposal(
        slug,
        proposal_id,
        form,
        lambda proposal: decide(current_user, proposal, form[field_name].data),
        lambda _proposal: _done(str(message), slug, proposal_id, anchor),
        name,
    )


@bp.post(f"/{PROPOSAL}/adopt")
def adopt(slug: str, proposal_id: int):
    """An editor adopts a proposal as the term's definition, possibly edited."""
    return _editor_decides(slug, proposal_id, "adopt")


@bp.post(f"/{PROPOSAL}/reject")
def reject(slug: str, proposal_id: int):
    """An editor rejects a proposal, saying why."""
    return _editor_decides(slug, proposal_id, "reject")


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
        return services.comment(
            current_user, proposal, form.body.data, parent, language=form.language.data
        )

    def done(item):
        return _done(
            _("Your comment is posted.") + _waiting(item), slug, anchor=f"comment-{item.id}"
        )

    return _on_proposal(slug, proposal_id, form, act, done, "comment")


# --- flags ------------------------------------------------------------------------------------


def _flag_target(kind: TargetKind, item_id: int) -> tuple[Any, str, str]:
    """The item, its term's slug and the anchor it has on the term's page; or 404."""
    if kind is TargetKind.TERM:
        term = queries.term_by_id(item_id, current_user)
        if term is None:
            abort(404)
        return term, term.slug, "term"
    if kind is TargetKind.PROPOSAL:
        proposal = queries.proposal_by_id(item_id, current_user)
        if proposal is None or queries.term_by_id(proposal.term_id, current_user) is None:
            abort(404)
        return proposal, proposal.term.slug, f"proposal-{proposal.id}"
    if kind is TargetKind.COMMENT:
        item = queries.comment_by_id(item_id, current_user)
        if item is None:
            abort(404)
        return item, item.proposal.term.slug, f"comment-{item.id}"
    abort(404)


def _flag_refusal(kind: TargetKind, item: Any) -> tuple[str, int] | None:
    """Why the viewer cannot flag this item at all, and the status that says so."""
    if not can_flag(current_user):
        return _("Confirm your e-mail address to flag contributions."), 403
    if is_author(current_user, item):
        return _("You cannot flag your own contribution."), 403
    if not is_published(item):
        return _("Only published contributions can be flagged."), 409
    if item.id in moderation_queries.flagged_by(current_user, kind, [item.id]):
        return _("You have already flagged this contribution."), 409
    return None


@bp.route("/flag/<kind>/<int:item_id>", methods=["GET", "POST"])
def flag(kind: str, item_id: int):
    """Report a term, a proposal or a comment to the moderators."""
    target_kind = FLAG_KINDS.get(kind)
    if target_kind is None:
        abort(404)
    item, slug, anchor = _flag_target(target_kind, item_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = FlagForm()

    def render(refusal=None, status=200):
        return render_template(
            "definitions/flag.html",
            kind=target_kind,
            item=item,
            form=form,
            refusal=refusal,
            back=url_for("definitions.term", slug=slug, _anchor=anchor),
        ), status

    if request.method == "GET":
        refusal = _flag_refusal(target_kind, item)
        return render(*refusal) if refusal else render()
    if not form.validate_on_submit():
        return render(status=422)
    try:
        moderation_services.flag(current_user, target_kind, item, form.reason.data, form.note.data)
    except ModerationError as error:
        if error.field is None and error.status in {403, 409}:
            return render(refusal=error.message, status=error.status)
        attach_error(form, error)
        return render(status=error.status)
    message = _("Thank you. A moderator will look at it.")
    if target_kind is TargetKind.TERM and not queries.term_by_slug(slug, current_user):
        # The flag hid the term: its page is gone for this viewer.
        flash(message, "success")
        return redirect(url_for("definitions.index"), 303)
    return _done(message, slug, anchor=anchor)


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


@bp.get("/<slug>/feed.atom")
def term_feed(slug: str):
    """A term's new public proposals, comments and adoptions, for feed readers."""
    term = feeds.public_term(slug)
    if term is None:
        abort(404)
    return Response(atom.render(feeds.term_feed(term)), content_type=atom.CONTENT_TYPE)
