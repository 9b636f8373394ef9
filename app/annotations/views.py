"""Discussion pages without JavaScript: a section's threads, a thread's permalink, and
the plain forms that start, answer, edit and delete contributions.

Views are thin: load (404), authorise (log in / 403), validate the form, call one
service, commit, redirect (303). "Preview" buttons post to their own addresses
(`formaction`), which render the same page with the sanitised HTML and store nothing,
so that previewing does not draw on the posting allowance of `posting_limit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime as _format_datetime
from flask_login import current_user

from app.annotations import dispositions, queries, services
from app.annotations.forms import (
    KIND_HINTS,
    KIND_LABELS,
    KIND_PLURALS,
    OUTCOME_HINTS,
    OUTCOME_LABELS,
    DeleteForm,
    DispositionForm,
    EditForm,
    FlagForm,
    ReplyForm,
    ThreadFilterForm,
    ThreadForm,
    attach_error,
)
from app.annotations.limits import posting_limit
from app.annotations.services import AnnotationError, QuoteInput
from app.core.anchoring import block_spans
from app.core.diffing import word_diff
from app.core.i18n import gettext as _
from app.core.markdown import render_markdown
from app.core.permissions import (
    can_answer,
    can_delete_annotation,
    can_edit_annotation,
    can_flag,
    can_read_words,
    is_author,
    is_moderator,
)
from app.extensions import db, login_manager
from app.models import TargetKind
from app.models.annotation import (
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
ANNOTATION_ID = "<int(min=1, max=2147483647):annotation_id>"

# Replies nest this deep; deeper ones follow their depth-3 ancestor, "in reply to" someone.
MAX_NESTING = 3


@bp.app_template_global()
def kind_label(kind) -> str:
    """The label of an annotation kind ("Question")."""
    return str(KIND_LABELS[AnnotationKind(kind)])


@bp.app_template_global()
def kind_plural(kind) -> str:
    """The plural label of an annotation kind ("Questions")."""
    return str(KIND_PLURALS[AnnotationKind(kind)])


@bp.app_template_global()
def format_datetime(value, format: str = "d MMMM y, HH:mm") -> str:
    """A moment in words ("28 November 2026, 14:05"), in UTC."""
    return _format_datetime(value, format)


@bp.app_template_global()
def accepts_comments(period) -> bool:
    """Whether forms are offered: the services refuse only upcoming and closed periods."""
    return period.state not in {"upcoming", "closed"}


# --- loading ------------------------------------------------------------------------------


def _load_section(slug: str, label: str, key: str):
    found = paper_queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    paper, versions = found
    version = next((v for v in versions if v.label == label), None)
    if version is None:
        abort(404)
    try:
        section = services.find_section(version, key)
    except AnnotationError:
        abort(404)
    return paper, version, section


def _load(annotation_id: int) -> Annotation:
    """An annotation the viewer may see, or 404.

    A thread whose first contribution the viewer sees only as a placeholder (deleted, or
    hidden by a moderator) is not found once no visible reply is left under it, as the
    margin and the section page do not list it either.
    """
    annotation = queries.get_visible(annotation_id, current_user)
    if annotation is None or not _worth_showing(annotation):
        abort(404)
    return annotation


def _worth_showing(annotation: Annotation) -> bool:
    """Whether an annotation has something to show the viewer: its words, or replies."""
    if not annotation.is_root or can_read_words(current_user, annotation):
        return True
    return queries.reply_count(annotation, current_user) > 0


@bp.app_template_global()
def takes_replies_from_viewer(annotation: Annotation) -> bool:
    """What the services accept as a parent: published, or the viewer's own pending."""
    if annotation.status is AnnotationStatus.PUBLISHED:
        return True
    return annotation.status is AnnotationStatus.PENDING and is_author(current_user, annotation)


def moderation_context(annotations: list[Annotation]) -> dict:
    """What the contributions of a thread need about moderation, in at most two queries:

    - `moderation_decisions`: the latest decision on each hidden or rejected contribution the viewer
      wrote (their reason is told to them), or, for moderators, on each hidden one;
    - `flagged_ids`: the ids of those the viewer has already flagged.
    """
    decided = [
        a.id
        for a in annotations
        if (
            a.status in {AnnotationStatus.HIDDEN, AnnotationStatus.REJECTED}
            and is_author(current_user, a)
        )
        or (a.status is AnnotationStatus.HIDDEN and is_moderator(current_user))
    ]
    flaggable = []
    if can_flag(current_user):
        flaggable = [
            a.id
            for a in annotations
            if a.status is AnnotationStatus.PUBLISHED and not is_author(current_user, a)
        ]
    return {
        "moderation_decisions": moderation_queries.latest_decisions(TargetKind.ANNOTATION, decided),
        "flagged_ids": moderation_queries.flagged_by(
            current_user, TargetKind.ANNOTATION, flaggable
        ),
    }


def posted_message(annotation: Annotation) -> str | None:
    """What the author of a contribution waiting for review is told once, after posting."""
    if annotation.status is AnnotationStatus.PENDING:
        return _("It will appear to others after a moderator approves it.")
    return None


def _paragraphs(section) -> list[tuple[int, int]]:
    return block_spans(section.text)


def _discard() -> None:
    """A refused service call stored nothing; make sure nothing it may have added stays.

    The rollback expires what was loaded, so the page that explains the refusal loads
    the annotations it shows again.
    """
    db.session.rollback()


def _status(error: AnnotationError) -> int:
    return error.status if error.status in {403, 409, 422} else 422


# --- a section's discussion ---------------------------------------------------------------


def create_thread_from(form: ThreadForm, paper, version, section, spans) -> Annotation:
    """Start the thread a valid section form describes: on the section or on a paragraph.

    Shared by the page and its in-place fragment; raises `AnnotationError`.
    """
    quote = target = None
    if form.paragraph_number:
        start, end = spans[form.paragraph_number - 1]
        quote = QuoteInput(section.text[start:end], start=start, end=end)
        target = TargetType.PARAGRAPH
    return services.create_thread(
        current_user,
        paper,
        version,
        section,
        form.body.data or "",
        kind=AnnotationKind(form.kind.data),
        quote=quote,
        target=target,
        proposed_text=form.proposed,
    )


@bp.route("/papers/<slug>/v/<label>/sections/<key>/", methods=["GET", "POST"])
@posting_limit
def section(slug: str, label: str, key: str):
    """All threads of a section, sorted and filtered, and the form to start one."""
    paper, version, section = _load_section(slug, label, key)
    spans = _paragraphs(section)
    form = ThreadForm(paragraphs=[section.text[s:e] for s, e in spans])
    if request.method == "GET":
        chosen = request.args.get("paragraph", "")
        if chosen.isdigit() and 1 <= int(chosen) <= len(spans):
            form.paragraph.data = chosen
        return _render_section(paper, version, section, form)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not form.validate_on_submit():
        return _render_section(paper, version, section, form, status=422)
    if form.preview.data:
        return _render_section(paper, version, section, form, preview=True)
    try:
        annotation = create_thread_from(form, paper, version, section, spans)
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        return _render_section(paper, version, section, form, status=_status(error))
    db.session.commit()
    message = _("Your %(kind)s is posted.", kind=kind_label(annotation.kind).lower())
    if waiting := posted_message(annotation):
        message = f"{message} {waiting}"
    flash(message, "success")
    return redirect(url_for("annotations.thread", annotation_id=annotation.id), 303)


@bp.post("/papers/<slug>/v/<label>/sections/<key>/preview")
def section_preview(slug: str, label: str, key: str):
    """The section page again, with the new thread's sanitised HTML; nothing is stored."""
    paper, version, section = _load_section(slug, label, key)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = ThreadForm(paragraphs=[section.text[s:e] for s, e in _paragraphs(section)])
    valid = form.validate_on_submit()
    return _render_section(
        paper, version, section, form, preview=True, status=200 if valid else 422
    )


def _render_section(paper, version, section, form, *, preview=False, status=200):
    filters = ThreadFilterForm(request.args)
    threads = queries.threads(
        version,
        current_user,
        section=section.key,
        kind=filters.chosen_kind,
        sort=filters.chosen_sort,
    )
    preview_html = preview_change = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    if preview and form.kind.data == "suggestion" and form.proposed and not form.paragraph.errors:
        number = form.paragraph_number
        if number:
            start, end = _paragraphs(section)[number - 1]
            preview_change = word_diff(section.text[start:end], form.proposed)
    return render_template(
        "annotations/section.html",
        paper=paper,
        version=version,
        section=section,
        threads=threads,
        filters=filters,
        form=form,
        preview=preview,
        preview_html=preview_html,
        preview_change=preview_change,
        kind_hints={kind.value: hint for kind, hint in KIND_HINTS.items()},
        period=paper_queries.comment_period(paper),
    ), status


# --- a thread -----------------------------------------------------------------------------


@dataclass
class Node:
    """An annotation as the thread page shows it: nested, or flat "in reply to" someone."""

    annotation: Annotation
    children: list[Node] = field(default_factory=list)
    in_reply_to: Annotation | None = None
    parent_missing: bool = False


def thread_tree(root: Annotation, replies: list[Annotation]) -> list[Node]:
    """The replies of `root` as nested nodes, at most `MAX_NESTING` levels deep.

    A reply deeper than that is listed right after its ancestor at the last level,
    in the order written, and names the contribution it answers. A reply whose parent
    the viewer may not see is listed at the first level.
    """
    by_parent: dict[int, list[Annotation]] = {}
    for reply in replies:
        by_parent.setdefault(reply.parent_id, []).append(reply)
    shown = {root.id, *(reply.id for reply in replies)}

    def flat_descendants(annotation: Annotation) -> list[Node]:
        out = []
        for child in by_parent.get(annotation.id, []):
            out.append(Node(child, in_reply_to=annotation))
            out.extend(flat_descendants(child))
        return out

    def build(annotation: Annotation, level: int) -> list[Node]:
        nodes = []
        for child in by_parent.get(annotation.id, []):
            node = Node(child)
            if level < MAX_NESTING:
                node.children = build(child, level + 1)
                nodes.append(node)
            else:
                nodes.append(node)
                nodes.extend(flat_descendants(child))
        return nodes

    top = build(root, 1)
    for reply in replies:
        if reply.parent_id not in shown:
            top.append(Node(reply, parent_missing=True, children=build(reply, 2)))
    return top


@bp.route(f"/annotations/{ANNOTATION_ID}")
def thread(annotation_id: int):
    """The permalink of a thread; a reply's id leads to its place in the thread."""
    annotation = _load(annotation_id)
    if not annotation.is_root:
        return redirect(
            url_for(
                "annotations.thread", annotation_id=annotation.root_id, _anchor=f"a{annotation.id}"
            )
        )
    return _render_thread(annotation, ReplyForm(formdata=None))


def _render_thread(root, form, *, parent=None, preview=False, status=200, answer_form=None):
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
    try:
        section = services.find_section(root.version, root.section_key)
    except AnnotationError:
        section = None
    preview_html = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    return render_template(
        "annotations/thread.html",
        root=root,
        paper=root.paper,
        version=root.version,
        section=section,
        replies=replies,
        tree=thread_tree(root, replies),
        parent=parent,
        form=form,
        preview_html=preview_html,
        preview=preview,
        period=paper_queries.comment_period(root.paper),
        answers=answers,
        answer_form=answer_form,
        outcome_hints={o.value: hint for o, hint in OUTCOME_HINTS.items()},
        **moderation_context([root, *replies]),
    ), status


def _thread_root(annotation: Annotation) -> Annotation:
    return annotation if annotation.is_root else _load(annotation.root_id)


@bp.route(f"/annotations/{ANNOTATION_ID}/replies", methods=["GET", "POST"])
@posting_limit
def reply(annotation_id: int):
    """Answer a contribution; without a form post, open the thread at the reply form."""
    parent = _load(annotation_id)
    root = _thread_root(parent)
    if request.method == "GET":
        return redirect(
            url_for(
                "annotations.thread",
                annotation_id=root.id,
                reply_to=parent.id,
                _anchor="reply-form",
            )
        )
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_thread(root, form, parent=parent, status=422)
    if form.preview.data:
        return _render_thread(root, form, parent=parent, preview=True)
    try:
        answer = services.reply(current_user, parent, form.body.data or "")
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        root, parent = _load(root.id), _load(parent.id)
        return _render_thread(root, form, parent=parent, status=_status(error))
    db.session.commit()
    message = _("Your reply is posted.")
    if waiting := posted_message(answer):
        message = f"{message} {waiting}"
    flash(message, "success")
    return redirect(
        url_for("annotations.thread", annotation_id=root.id, _anchor=f"a{answer.id}"), 303
    )


@bp.post(f"/annotations/{ANNOTATION_ID}/replies/preview")
def reply_preview(annotation_id: int):
    """The thread again, with the reply's sanitised HTML under its form; nothing is stored."""
    parent = _load(annotation_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = ReplyForm()
    valid = form.validate_on_submit()
    return _render_thread(
        _thread_root(parent), form, parent=parent, preview=True, status=200 if valid else 422
    )


# --- the editors' answer -----------------------------------------------------------------


@bp.app_template_global()
def outcome_label(outcome) -> str:
    """The label of a disposition's outcome ("Partly accepted")."""
    return str(OUTCOME_LABELS[DispositionOutcome(outcome)])


@bp.post(f"/annotations/{ANNOTATION_ID}/disposition")
@dispositions.answer_limit
def disposition(annotation_id: int):
    """An editor answers a thread; earlier answers stay as its history. Back to the thread."""
    annotation = _load(annotation_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not can_answer(current_user):
        abort(403)
    root = _thread_root(annotation)
    later = dispositions.later_versions(root)
    form = DispositionForm(versions=later)
    if not form.validate_on_submit():
        return _render_thread(root, ReplyForm(formdata=None), answer_form=form, status=422)
    version = None
    if form.version.data:
        known = {v.label: v for v in paper_queries.paper_with_versions(root.paper.slug)[1]}
        version = known.get(form.version.data)
        if version is None:
            form.version.errors = [*form.version.errors, _("Choose one of the listed versions.")]
            return _render_thread(root, ReplyForm(formdata=None), answer_form=form, status=422)
    try:
        dispositions.answer(
            current_user._get_current_object(),
            annotation,
            form.outcome.data,
            form.response.data or "",
            version,
        )
    except AnnotationError as error:
        _discard()
        form.attach(error)
        root = _load(root.id)
        return _render_thread(
            root, ReplyForm(formdata=None), answer_form=form, status=_status(error)
        )
    db.session.commit()
    flash(_("Your answer is published."), "success")
    return redirect(
        url_for("annotations.thread", annotation_id=root.id, _anchor="disposition"), 303
    )


# --- edit, delete, history ----------------------------------------------------------------


def _refuse_placeholder(annotation: Annotation) -> None:
    """Its author learns that a deleted contribution is gone (409); others get 403 next."""
    if annotation.status is AnnotationStatus.DELETED and is_author(current_user, annotation):
        page = render_template(
            "errors/error.html",
            status=409,
            title=_("Deleted"),
            message=_("This contribution has been deleted."),
        )
        abort(make_response(page, 409))


def _editable(annotation_id: int) -> Annotation:
    annotation = _load(annotation_id)
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    _refuse_placeholder(annotation)
    if not can_edit_annotation(current_user, annotation):
        abort(403)
    return annotation


@bp.route(f"/annotations/{ANNOTATION_ID}/edit", methods=["GET", "POST"])
@posting_limit
def edit(annotation_id: int):
    """Change one's own contribution; the earlier text is kept in its history."""
    annotation = _editable(annotation_id)
    form = EditForm(obj=annotation if request.method == "GET" else None)
    if request.method == "GET":
        return _render_edit(annotation, form)
    if not form.validate_on_submit():
        return _render_edit(annotation, form, status=422)
    if form.preview.data:
        return _render_edit(annotation, form, preview=True)
    try:
        edit_from(form, annotation)
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        return _render_edit(_load(annotation.id), form, status=_status(error))
    db.session.commit()
    flash(_("Your changes are saved."), "success")
    return redirect(
        url_for(
            "annotations.thread", annotation_id=annotation.thread_id, _anchor=f"a{annotation.id}"
        ),
        303,
    )


def edit_from(form: EditForm, annotation: Annotation) -> Annotation:
    """Apply a valid edit form; shared by the page and its in-place fragment."""
    wording = {"proposed_text": form.proposed} if annotation.is_suggestion else {}
    return services.edit(current_user, annotation, form.body.data or "", **wording)


@bp.post(f"/annotations/{ANNOTATION_ID}/edit/preview")
def edit_preview(annotation_id: int):
    """The edit form again, with the changed text's sanitised HTML; nothing is stored."""
    annotation = _editable(annotation_id)
    form = EditForm()
    valid = form.validate_on_submit()
    return _render_edit(annotation, form, preview=True, status=200 if valid else 422)


def _render_edit(annotation, form, *, preview=False, status=200):
    suggestion = annotation.is_suggestion
    preview_html = preview_change = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    if preview and suggestion and form.proposed and annotation.quote_exact:
        preview_change = word_diff(annotation.quote_exact, form.proposed)
    return render_template(
        "annotations/edit.html",
        annotation=annotation,
        suggestion=suggestion,
        form=form,
        preview=preview,
        preview_html=preview_html,
        preview_change=preview_change,
    ), status


@bp.route(f"/annotations/{ANNOTATION_ID}/delete", methods=["GET", "POST"])
def delete(annotation_id: int):
    """Delete one's own contribution, after a confirmation page."""
    annotation = _load(annotation_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    _refuse_placeholder(annotation)
    if not can_delete_annotation(current_user, annotation):
        abort(403)
    form = DeleteForm()
    if not form.validate_on_submit():
        return render_template("annotations/delete.html", annotation=annotation, form=form)
    paper, version, key = annotation.paper, annotation.version, annotation.section_key
    thread_id, was_root = annotation.thread_id, annotation.is_root
    try:
        removed = services.delete(current_user, annotation)
    except AnnotationError as error:
        _discard()
        abort(error.status, error.message)
    db.session.commit()
    flash(
        _("Your contribution is deleted.")
        if removed
        else _("Your contribution is deleted; a placeholder keeps the replies in their place."),
        "success",
    )
    if not (removed and was_root) and queries.get_visible(thread_id, current_user):
        anchor = None if removed else f"a{annotation_id}"
        return redirect(url_for("annotations.thread", annotation_id=thread_id, _anchor=anchor), 303)
    return redirect(
        url_for("annotations.section", slug=paper.slug, label=version.label, key=key), 303
    )


@bp.route(f"/annotations/{ANNOTATION_ID}/history")
def history(annotation_id: int):
    """What a contribution said before each edit, newest first."""
    annotation = _load(annotation_id)
    revisions = queries.revisions(annotation)
    earlier = [
        (revision, render_markdown(revision.body) if revision.body else "")
        for revision in revisions
    ]
    readable = can_read_words(current_user, annotation)
    return render_template(
        "annotations/history.html",
        annotation=annotation,
        earlier=earlier if readable else [],
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


def _render_flag(annotation: Annotation, form: FlagForm, *, refusal=None, status=200):
    return render_template(
        "annotations/flag.html",
        annotation=annotation,
        form=form,
        refusal=refusal,
        max_note=moderation_services.MAX_NOTE_LENGTH,
    ), status


@bp.route(f"/annotations/{ANNOTATION_ID}/flag", methods=["GET", "POST"])
def flag(annotation_id: int):
    """Report a contribution to the moderators, with a reason and an optional note."""
    annotation = _load(annotation_id)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = FlagForm()
    if request.method == "GET":
        refusal = _flag_refusal(annotation)
        if refusal is not None:
            return _render_flag(annotation, form, refusal=refusal[0], status=refusal[1])
        return _render_flag(annotation, form)
    if not form.validate_on_submit():
        return _render_flag(annotation, form, status=422)
    try:
        moderation_services.flag(
            current_user, TargetKind.ANNOTATION, annotation, form.reason.data, form.note.data
        )
    except ModerationError as error:
        _discard()
        annotation = _load(annotation_id)
        refusal = None
        field_at_fault = getattr(form, error.field, None) if error.field else None
        if field_at_fault is not None:
            field_at_fault.errors = [*field_at_fault.errors, error.message]
        elif error.status in {403, 409}:
            refusal = error.message
        else:
            form.form_errors.append(error.message)
        status = error.status if error.status in {403, 409, 422} else 422
        return _render_flag(annotation, form, refusal=refusal, status=status)
    thread_id, target_id = annotation.thread_id, annotation.id
    section_page = url_for(
        "annotations.section",
        slug=annotation.paper.slug,
        label=annotation.version.label,
        key=annotation.section_key,
    )
    db.session.commit()
    flash(_("Thank you. A moderator will look at it."), "success")
    root = queries.get_visible(thread_id, current_user)
    if root is None or not _worth_showing(root):  # hidden after enough flags, nothing left
        return redirect(section_page, 303)
    return redirect(
        url_for("annotations.thread", annotation_id=thread_id, _anchor=f"a{target_id}"), 303
    )


from app.annotations import fragments  # noqa: E402, F401
