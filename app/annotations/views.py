"""The discussion pages: a section's threads, a thread's permalink, and the forms that
start, answer, edit, delete and flag contributions.

One view per action. Each loads and authorises what it acts on once, through a loader of
`context.py`, and answers the address it was called through: the page (a form posted
without JavaScript: redirect 303 on success) or its `….fragment` twin, which
static/js/threads.js calls and which answers with the piece of HTML that changed
(`fragments.py`). A refused form comes back with its errors and the service's status (422,
409, 403); the request's one transaction is committed or rolled back after the view
(`app.core.transaction`). "Preview" buttons post to their own addresses (`formaction`),
which render the same form with the sanitised HTML and store nothing, so that previewing
does not draw on the posting allowance of `posting_limit`.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_time, get_locale
from flask_login import current_user

from app.annotations import display, dispositions, feeds, fragments, queries, services
from app.annotations.context import (
    SectionContext,
    ThreadContext,
    fragment_wanted,
    require_login,
    takes_replies_from_viewer,
    visible,
    worth_showing,
)
from app.annotations.display import moderation_context, posted_message, thread_tree
from app.annotations.forms import (
    KIND_LABELS,
    KIND_PLURALS,
    OUTCOME_HINTS,
    OUTCOME_LABELS,
    SORT_LABELS,
    DeleteForm,
    DispositionForm,
    EditForm,
    FlagForm,
    ReplyForm,
    ThreadForm,
    attach_error,
)
from app.annotations.limits import posting_limit
from app.annotations.services import AnnotationError, QuoteInput
from app.core import atom
from app.core.i18n import gettext as _
from app.core.markdown import render_markdown
from app.core.page_cache import public_page
from app.core.permissions import can_answer, can_flag, can_read_words, is_author
from app.models import TargetKind
from app.models.annotation import (
    AnchorStatus,
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    DispositionOutcome,
    TargetType,
)
from app.moderation import queries as moderation_queries
from app.moderation import services as moderation_services
from app.moderation.services import ModerationError
from app.papers import queries as paper_queries

bp = Blueprint("annotations", __name__)
# Ids beyond a 32-bit integer name nothing (and would overflow PostgreSQL's integer columns).
ONE = "/annotations/<int:annotation_id>"
SECTION = "/papers/<slug>/v/<label>/sections/<key>/"
FORM = ["GET", "POST"]

# The states the templates tell apart, compared there by identity (`is sameas`).
bp.add_app_template_global(AnnotationStatus, "AnnotationStatus")
bp.add_app_template_global(AnchorStatus, "AnchorStatus")
bp.add_app_template_global(takes_replies_from_viewer)


@bp.app_template_global()
def kind_label(kind) -> str:
    """The label of an annotation kind ("Question")."""
    return str(KIND_LABELS[AnnotationKind(kind)])


@bp.app_template_global()
def kind_plural(kind) -> str:
    """The plural label of an annotation kind ("Questions")."""
    return str(KIND_PLURALS[AnnotationKind(kind)])


@bp.app_template_global()
def outcome_label(outcome) -> str:
    """The label of a disposition's outcome ("Partly accepted")."""
    return str(OUTCOME_LABELS[DispositionOutcome(outcome)])


@bp.app_template_global()
def format_datetime(value, *, short: bool = False) -> str:
    """A moment in words in the reader's language, in UTC: "28 November 2026, 14:05",
    "28 novembre 2026, 14:05", "28. November 2026, 14:05"; `short`, the day alone as
    lists show it ("28 Nov 2026", "28.11.2026")."""
    if short:
        return format_date(value, "medium")
    joined = get_locale().datetime_formats["medium"].replace("'", "")
    return joined.replace("{1}", format_date(value, "long")).replace(
        "{0}", format_time(value, "HH:mm")
    )


@bp.app_template_global()
def accepts_comments(period) -> bool:
    """Whether forms are offered: the services refuse only upcoming and closed periods."""
    return period.takes_comments


def _thread_url(annotation: Annotation, **anchor) -> str:
    """The thread page of an annotation, at the place `anchor` names."""
    return url_for("annotations.thread", annotation_id=annotation.thread_id, **anchor)


# --- a section's discussion ---------------------------------------------------------------


def _section_page(place: SectionContext, form: ThreadForm, *, preview=False, status=200):
    filters, listed = display.listed_page(place)
    context = display.thread_form_context(place, form, preview=preview)
    page = render_template(
        "annotations/section.html",
        threads=listed.threads,
        listed=listed,
        filters=filters,
        **context,
    )
    return page, status


def _thread_form(place: SectionContext, form: ThreadForm, *, preview=False, status=200):
    """The new-thread form again: in its section page, or alone for a script."""
    answer = fragments.thread_form if fragment_wanted() else _section_page
    return answer(place, form, preview=preview, status=status)


def _create_thread(place: SectionContext, form: ThreadForm) -> Annotation:
    """Start the thread a valid form describes: on the section, a paragraph or a passage."""
    quote = target = None
    if form.passage:
        quote = QuoteInput(form.passage, start=form.quote_start.data, end=form.quote_end.data)
    elif form.paragraph_number:
        start, end = place.spans[form.paragraph_number - 1]
        quote = QuoteInput(place.section.text[start:end], start=start, end=end)
        target = TargetType.PARAGRAPH
    return services.create_thread(
        current_user,
        place.paper,
        place.version,
        place.section,
        form.body.data or "",
        kind=form.chosen_kind,
        quote=quote,
        target=target,
        proposed_text=form.proposed,
        versions=place.versions,
    )


@bp.route(SECTION, methods=FORM)
@bp.post(f"{SECTION}threads.fragment", endpoint="thread_fragment")
@posting_limit
@public_page()
def section(slug: str, label: str, key: str):
    """All threads of a section, sorted and filtered, and the form to start one.

    Through `threads.fragment`, the new thread's list item comes back where the section
    page's sort places it.
    """
    place = SectionContext.load(slug, label, key)
    form = ThreadForm(paragraphs=place.paragraphs)
    if request.method == "GET":
        chosen = request.args.get("paragraph", "")
        if chosen.isdigit() and 1 <= int(chosen) <= len(place.spans):
            form.paragraph.data = chosen
        return _section_page(place, form)
    require_login()
    if not form.validate_on_submit():
        return _thread_form(place, form, status=422)
    if form.preview.data:
        return _thread_form(place, form, preview=True)
    try:
        annotation = _create_thread(place, form)
    except AnnotationError as error:
        attach_error(form, error)
        return _thread_form(place, form, status=error.status)
    if fragment_wanted():
        return fragments.new_thread(place, annotation)
    flash(posted_message(annotation), "success")
    return redirect(_thread_url(annotation), 303)


@bp.post(f"{SECTION}preview")
def section_preview(slug: str, label: str, key: str):
    """The section page again, with the new thread's sanitised HTML; nothing is stored."""
    place = SectionContext.load(slug, label, key)
    require_login()
    form = ThreadForm(paragraphs=place.paragraphs)
    valid = form.validate_on_submit()
    return _thread_form(place, form, preview=True, status=200 if valid else 422)


# --- the paper's margin -------------------------------------------------------------------


def _paragraph_asked(place: SectionContext, source) -> int | None:
    """The paragraph a request names (`paragraph=N`, from 1), None for none; 404 for one
    the section does not have."""
    asked = source.get("paragraph", "")
    if not asked:
        return None
    if not asked.isdigit() or not 1 <= int(asked) <= len(place.spans):
        abort(404)
    return int(asked)


@bp.get(f"{SECTION}margin.fragment", endpoint="margin_fragment")
@public_page()
def margin(slug: str, label: str, key: str):
    """A section's threads for the paper's margin, in the order of the text (`sort` for
    time or replies), a hundred at a time (`page`); `paragraph=N` for one paragraph's."""
    place = SectionContext.load(slug, label, key)
    sort = request.args.get("sort", "position")
    if sort not in SORT_LABELS:
        sort = "position"
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= page <= 100_000 else 1
    return fragments.margin(
        place, sort=sort, paragraph=_paragraph_asked(place, request.args), page=page
    )


@bp.get(f"{SECTION}passages.json", endpoint="passages")
def passages(slug: str, label: str, key: str):
    """The passages of a section's visible threads, for the margin's script to highlight:
    `{"section": key, "anchors": [{id, section, start, end, kind}, ...]}` in the order of the
    text. The paper page carries only those of the threads it draws."""
    place = SectionContext.load(slug, label, key)
    found = queries.passage_anchors(place.version, current_user, section=place.section.key)
    return jsonify(section=place.section.key, anchors=[vars(anchor) for anchor in found])


def _margin_form(place: SectionContext, form: ThreadForm, *, preview=False, status=200):
    """The margin's form again: with its errors, its preview, or blank."""
    return fragments.margin_form(place, form, preview=preview, status=status)


@bp.route(f"{SECTION}margin-form.fragment", methods=FORM, endpoint="margin_form_fragment")
@posting_limit
def margin_form(slug: str, label: str, key: str):
    """Start a thread from the paper's margin: GET the form for the section, a paragraph
    (`paragraph=N`) or a passage (`quote`, `quote_start`, `quote_end`); POST it, and the new
    thread's card comes back with the section's counts.

    The form is the section page's (`ThreadForm`), with the paragraph or passage chosen
    where the reader pointed rather than in a list.
    """
    place = SectionContext.load(slug, label, key)
    require_login()
    if request.method == "GET":
        form = ThreadForm(formdata=None, paragraphs=place.paragraphs)
        form.paragraph.data = str(_paragraph_asked(place, request.args) or "")
        form.quote.data = request.args.get("quote", "")[: len(place.section.text)]
        form.quote_start.data = request.args.get("quote_start", type=int)
        form.quote_end.data = request.args.get("quote_end", type=int)
        return _margin_form(place, form)
    form = ThreadForm(paragraphs=place.paragraphs)
    if not form.validate_on_submit():
        return _margin_form(place, form, status=422)
    try:
        annotation = _create_thread(place, form)
    except AnnotationError as error:
        attach_error(form, error)
        return _margin_form(place, form, status=error.status)
    return fragments.new_margin_thread(place, annotation)


@bp.post(f"{SECTION}margin-preview.fragment", endpoint="margin_preview_fragment")
def margin_preview(slug: str, label: str, key: str):
    """The margin's form with the new thread's sanitised HTML; nothing is stored."""
    place = SectionContext.load(slug, label, key)
    require_login()
    form = ThreadForm(paragraphs=place.paragraphs)
    valid = form.validate_on_submit()
    return _margin_form(place, form, preview=True, status=200 if valid else 422)


# --- a thread -----------------------------------------------------------------------------


def _thread_page(root, form, *, parent=None, preview=False, status=200, answer_form=None):
    replies = queries.thread_replies(root, current_user)
    answers = dispositions.history(root) if can_read_words(current_user, root) else []
    if (
        answer_form is None
        and can_answer(current_user)
        and root.status is AnnotationStatus.PUBLISHED
    ):
        answer_form = DispositionForm(formdata=None, versions=dispositions.later_versions(root))
    if parent is None:
        wanted = request.args.get("reply_to", type=int)
        parent = next((r for r in replies if r.id == wanted), root)
    return render_template(
        "annotations/thread.html",
        root=root,
        paper=root.paper,
        version=root.version,
        section=queries.section_at(root.version_id, root.section_key),
        replies=replies,
        tree=thread_tree(root, replies),
        parent=parent,
        form=form,
        preview_html=display.preview_html(form, preview),
        preview=preview,
        period=paper_queries.comment_period(root.paper),
        answers=answers,
        answer_form=answer_form,
        outcome_hints={o.value: hint for o, hint in OUTCOME_HINTS.items()},
        **moderation_context([root, *replies]),
    ), status


@bp.route(ONE)
@bp.get(f"{ONE}/fragment", endpoint="article_fragment")
def thread(annotation_id: int):
    """The permalink of a thread; a reply's id leads to its place in the thread.

    Through `/fragment`, one contribution's article, as on its thread page.
    """
    found = ThreadContext.load(annotation_id)
    annotation = found.annotation
    if fragment_wanted():
        return fragments.article(annotation, found.root)
    if not annotation.is_root:
        return redirect(_thread_url(annotation, _anchor=f"a{annotation.id}"))
    return _thread_page(annotation, ReplyForm(formdata=None))


@bp.get(f"{ONE}/card", endpoint="card_fragment")
def card(annotation_id: int):
    """The margin card of the thread an annotation belongs to, with its reply count."""
    root = ThreadContext.load(annotation_id).root
    count = queries.reply_count(root, current_user)
    if not can_read_words(current_user, root) and not count:  # a placeholder with nothing below
        abort(404)
    return fragments.card(root, count)


def _reply_form(found: ThreadContext, form: ReplyForm, *, preview=False, status=200):
    """The reply form again: in its thread page, or alone for a script."""
    parent, root = found.annotation, found.root
    if fragment_wanted():
        return fragments.reply_form(parent, root, form, preview=preview, status=status)
    return _thread_page(root, form, parent=parent, preview=preview, status=status)


@bp.route(f"{ONE}/replies", methods=FORM)
@bp.get(f"{ONE}/reply-form.fragment", endpoint="reply_form_fragment")
@bp.post(f"{ONE}/replies.fragment", endpoint="reply_fragment")
@posting_limit
def reply(annotation_id: int):
    """Answer a contribution; without a form post, open the thread at the reply form.

    Through `reply-form.fragment`, a reply form to open under the contribution; through
    `replies.fragment`, the new reply, where the thread places it.
    """
    found = ThreadContext.load(annotation_id)
    parent, root = found.annotation, found.root
    if request.method == "GET":
        if not fragment_wanted():
            return redirect(_thread_url(root, reply_to=parent.id, _anchor="reply-form"))
        found.require_open_to_replies()
        return fragments.reply_form(parent, root, ReplyForm(formdata=None))
    require_login()
    form = ReplyForm()
    if not form.validate_on_submit():
        return _reply_form(found, form, status=422)
    if form.preview.data:
        return _reply_form(found, form, preview=True)
    try:
        answer = services.reply(current_user, parent, form.body.data or "")
    except AnnotationError as error:
        attach_error(form, error)
        return _reply_form(found, form, status=error.status)
    if fragment_wanted():
        return fragments.new_reply(root, answer)
    flash(posted_message(answer), "success")
    return redirect(_thread_url(root, _anchor=f"a{answer.id}"), 303)


@bp.post(f"{ONE}/replies/preview")
@bp.post(f"{ONE}/replies/preview.fragment", endpoint="reply_preview_fragment")
def reply_preview(annotation_id: int):
    """The reply form with the reply's sanitised HTML; nothing is stored."""
    found = ThreadContext.load(annotation_id)
    require_login()
    form = ReplyForm()
    valid = form.validate_on_submit()
    return _reply_form(found, form, preview=True, status=200 if valid else 422)


# --- the editors' answer -----------------------------------------------------------------


@bp.post(f"{ONE}/disposition")
@dispositions.answer_limit
def disposition(annotation_id: int):
    """An editor answers a thread; earlier answers stay as its history. Back to the thread."""
    found = ThreadContext.load(annotation_id)
    found.require_answerer()
    root = found.root
    form = DispositionForm(versions=dispositions.later_versions(root))

    def refused(status: int):
        return _thread_page(root, ReplyForm(formdata=None), answer_form=form, status=status)

    if not form.validate_on_submit():
        return refused(422)
    version = None
    if form.version.data:
        version = paper_queries.version_by_label(root.paper.slug, form.version.data).version
        if version is None:
            form.version.errors = [*form.version.errors, _("Choose one of the listed versions.")]
            return refused(422)
    try:
        dispositions.answer(
            current_user._get_current_object(),
            found.annotation,
            form.outcome.data,
            form.response.data or "",
            version,
        )
    except AnnotationError as error:
        attach_error(form, error)
        return refused(error.status)
    flash(_("Your answer is published."), "success")
    return redirect(_thread_url(root, _anchor="disposition"), 303)


# --- edit, delete, history ----------------------------------------------------------------


def _edit_form(found: ThreadContext, form: EditForm, *, preview=False, status=200):
    """The edit form: on its page, or opened in place for a script."""
    if fragment_wanted():
        return fragments.edit_form(
            found.annotation, found.root, form, preview=preview, status=status
        )
    context = display.edit_form_context(found.annotation, form, preview=preview)
    return render_template("annotations/edit.html", **context), status


@bp.route(f"{ONE}/edit", methods=FORM)
@bp.route(f"{ONE}/edit.fragment", methods=FORM, endpoint="edit_fragment")
@posting_limit
def edit(annotation_id: int):
    """Change one's own contribution; the earlier text is kept in its history.

    Through `edit.fragment`, the form opened in place, and then the edited contribution,
    marked "edited".
    """
    found = ThreadContext.load(annotation_id)
    found.require_editable()
    annotation = found.annotation
    if request.method == "GET":
        return _edit_form(found, EditForm(obj=annotation))
    form = EditForm()
    if not form.validate_on_submit():
        return _edit_form(found, form, status=422)
    if form.preview.data:
        return _edit_form(found, form, preview=True)
    wording = {"proposed_text": form.proposed} if annotation.is_suggestion else {}
    try:
        services.edit(current_user, annotation, form.body.data or "", **wording)
    except AnnotationError as error:
        attach_error(form, error)
        return _edit_form(found, form, status=error.status)
    if fragment_wanted():
        return fragments.article(annotation, found.root)
    flash(_("Your changes are saved."), "success")
    return redirect(_thread_url(annotation, _anchor=f"a{annotation.id}"), 303)


@bp.post(f"{ONE}/edit/preview")
@bp.post(f"{ONE}/edit/preview.fragment", endpoint="edit_preview_fragment")
def edit_preview(annotation_id: int):
    """The edit form again, with the changed text's sanitised HTML; nothing is stored."""
    found = ThreadContext.load(annotation_id)
    found.require_editable()
    form = EditForm()
    valid = form.validate_on_submit()
    return _edit_form(found, form, preview=True, status=200 if valid else 422)


@bp.route(f"{ONE}/delete", methods=FORM)
@bp.route(f"{ONE}/delete.fragment", methods=FORM, endpoint="delete_fragment")
def delete(annotation_id: int):
    """Delete one's own contribution, after a confirmation.

    Through `delete.fragment`, the confirmation opened in place, and then the placeholder,
    or which contributions went.
    """
    found = ThreadContext.load(annotation_id)
    found.require_deletable()
    annotation = found.annotation
    form = DeleteForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        if fragment_wanted():
            return fragments.delete_form(annotation, found.root, form, status)
        return render_template("annotations/delete.html", annotation=annotation, form=form), status
    # A placeholder above it goes too when this was its last reply: remember the chain.
    chain = fragments.deletion_chain(annotation) if fragment_wanted() else []
    section_page = display.section_url(annotation)
    thread_id, was_root = annotation.thread_id, annotation.is_root
    removed = services.delete(current_user, annotation)
    if fragment_wanted():
        if not removed:
            return fragments.article(annotation, visible(thread_id))
        return fragments.removed(chain, thread_id, section_page)
    flash(
        _("Your contribution is deleted.")
        if removed
        else _("Your contribution is deleted; a placeholder keeps the replies in their place."),
        "success",
    )
    if not (removed and was_root) and queries.get_visible(thread_id, current_user):
        anchor = None if removed else f"a{annotation_id}"
        return redirect(url_for("annotations.thread", annotation_id=thread_id, _anchor=anchor), 303)
    return redirect(section_page, 303)


@bp.route(f"{ONE}/history")
def history(annotation_id: int):
    """What a contribution said before each edit, newest first."""
    annotation = ThreadContext.load(annotation_id).annotation
    readable = can_read_words(current_user, annotation)
    earlier = [
        (revision, render_markdown(revision.body) if revision.body else "")
        for revision in (queries.revisions(annotation) if readable else [])
    ]
    return render_template(
        "annotations/history.html",
        annotation=annotation,
        earlier=earlier,
        readable=readable,
        deleted=annotation.status is AnnotationStatus.DELETED,
    )


# --- flagging -----------------------------------------------------------------------------


def _flag_refusal(annotation: Annotation) -> tuple[str, int] | None:
    """Why the viewer cannot flag this contribution at all, and the status that says so."""
    if not can_flag(current_user):
        return _("Confirm your e-mail address to flag contributions."), 403
    if is_author(current_user, annotation):
        return _("You cannot flag your own contribution."), 403
    if annotation.status is not AnnotationStatus.PUBLISHED:
        return _("Only published contributions can be flagged."), 409
    flagged = moderation_queries.flagged_by(current_user, TargetKind.ANNOTATION, [annotation.id])
    if annotation.id in flagged:
        return _("You have already flagged this contribution."), 409
    return None


@bp.route(f"{ONE}/flag", methods=FORM)
def flag(annotation_id: int):
    """Report a contribution to the moderators, with a reason and an optional note."""
    annotation = ThreadContext.load(annotation_id).annotation
    require_login()
    form = FlagForm()

    def flag_page(status: int = 200, refusal: str | None = None):
        max_note = moderation_services.MAX_NOTE_LENGTH
        page = render_template(
            "annotations/flag.html",
            annotation=annotation,
            form=form,
            refusal=refusal,
            max_note=max_note,
        )
        return page, status

    if request.method == "GET":
        refusal = _flag_refusal(annotation)
        return flag_page(refusal[1], refusal[0]) if refusal else flag_page()
    if not form.validate_on_submit():
        return flag_page(422)
    try:
        moderation_services.flag(
            current_user, TargetKind.ANNOTATION, annotation, form.reason.data, form.note.data
        )
    except ModerationError as error:
        if error.field is None and error.status in {403, 409}:
            return flag_page(error.status, refusal=error.message)
        attach_error(form, error)
        return flag_page(error.status)
    flash(_("Thank you. A moderator will look at it."), "success")
    root = queries.get_visible(annotation.thread_id, current_user)
    if root is None or not worth_showing(root):  # hidden after enough flags, nothing left
        return redirect(display.section_url(annotation), 303)
    return redirect(_thread_url(annotation, _anchor=f"a{annotation.id}"), 303)


# --- feeds -----------------------------------------------------------------------------------


def _atom(feed):
    return Response(atom.render(feed), content_type=atom.CONTENT_TYPE)


@bp.get("/papers/<slug>/feed.atom")
def paper_feed(slug: str):
    """A paper's new versions and public contributions, for feed readers."""
    paper = feeds.paper_by_slug(slug)
    if paper is None:
        abort(404)
    return _atom(feeds.paper_feed(paper))


@bp.get("/papers/<slug>/sections/<key>/feed.atom")
def section_feed(slug: str, key: str):
    """A section's new public contributions, whichever version they were written on: the
    address stays the same when a new version is published, so a subscription goes on."""
    paper = feeds.paper_by_slug(slug)
    section = feeds.latest_section(paper, key) if paper is not None else None
    if section is None:
        abort(404)
    return _atom(feeds.section_feed(paper, section))
