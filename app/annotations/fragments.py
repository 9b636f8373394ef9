"""The discussion in place: HTML fragments for static/js/threads.js.

The server stays the one renderer. Each fragment is drawn by the same macros as the
pages (templates/annotations/fragments/_article.html, _forms.html, _macros.html), and
each POST here takes the same fields (CSRF token included) and calls the same services
as its page-answering twin in views.py — but answers with the piece of HTML that
changed instead of a redirect:

- GET  /annotations/<id>/card                  the margin card of the thread (root)
- GET  /annotations/<id>/fragment              one contribution's <article>
- GET  /annotations/<id>/reply-form.fragment   a reply form to open under it
- POST /annotations/<id>/replies.fragment      the new reply's <li>, placed by data-*
- GET  /annotations/<id>/edit.fragment         the edit form
- POST /annotations/<id>/edit.fragment         the edited <article> ("edited")
- GET  /annotations/<id>/delete.fragment       the confirmation
- POST /annotations/<id>/delete.fragment       the placeholder <article>, or what went
- POST …/replies/preview.fragment, …/edit/preview.fragment   previews, storing nothing
- POST /papers/<slug>/v/<label>/sections/<key>/threads.fragment
                                               the new thread's <li>, placed as sorted

A refused form comes back as the form with its errors (`data-fragment-kind="form"`),
422 or the service's status; nothing is stored. Creating and editing draw on the one
`posting_limit`; previews do not.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.annotations import queries, services
from app.annotations.forms import (
    KIND_HINTS,
    DeleteForm,
    EditForm,
    ReplyForm,
    ThreadFilterForm,
    ThreadForm,
    attach_error,
)
from app.annotations.limits import posting_limit
from app.annotations.services import AnnotationError
from app.annotations.views import (
    ANNOTATION_ID,
    Node,
    _discard,
    _load,
    _load_section,
    _paragraphs,
    _status,
    _thread_root,
    bp,
    create_thread_from,
    edit_from,
    moderation_context,
    posted_message,
    takes_replies_from_viewer,
    thread_tree,
)
from app.core.diffing import word_diff
from app.core.i18n import ngettext
from app.core.markdown import render_markdown
from app.core.permissions import (
    can_delete_annotation,
    can_edit_annotation,
    can_read_words,
    is_author,
)
from app.extensions import db
from app.models.annotation import Annotation, AnnotationStatus
from app.papers import queries as paper_queries

FRAGMENT = f"/annotations/{ANNOTATION_ID}"


# --- helpers ------------------------------------------------------------------------------


def _logged_in() -> None:
    if not current_user.is_authenticated:
        abort(401)


def _section_of(root: Annotation):
    try:
        return services.find_section(root.version, root.section_key)
    except AnnotationError:
        return None


def _render(template: str, root: Annotation, status: int = 200, **context):
    """A fragment, with what the shared macros read from the page: the root and the period."""
    html = render_template(
        f"annotations/fragments/{template}",
        root=root,
        period=paper_queries.comment_period(root.paper),
        **context,
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Vary": "Cookie"}


def _prefix_ids(form, prefix: str) -> None:
    """Give a form opened in place its own ids (labels and hints follow); names stay."""
    for field in form:
        field.id = f"{prefix}{field.name}"
        field.label.field_id = field.id


def _find(nodes: list[Node], annotation_id: int, owner: Node | None = None):
    """The node of `annotation_id` in a thread tree, its list and the node owning that list."""
    for node in nodes:
        if node.annotation.id == annotation_id:
            return node, nodes, owner
        found = _find(node.children, annotation_id, node)
        if found:
            return found
    return None


def _tree(root: Annotation):
    replies = queries.thread_replies(root, current_user)
    return replies, thread_tree(root, replies)


def _replies_heading(count: int) -> str:
    return ngettext("%(num)d reply", "%(num)d replies", count)


def _article(annotation: Annotation, root: Annotation, status: int = 200, **context):
    """One contribution's article, as the thread page draws it (nesting decides "in reply to")."""
    replies, tree = _tree(root)
    context = {**moderation_context([annotation]), **context}
    if annotation.id == root.id:
        return _render(
            "article.html",
            root,
            status,
            node=None,
            section=_section_of(root),
            heading=_replies_heading(len(replies)),
            **context,
        )
    found = _find(tree, annotation.id)
    node = found[0] if found else Node(annotation)
    return _render(
        "article.html",
        root,
        status,
        node=node,
        heading=_replies_heading(len(replies)),
        **context,
    )


# --- reading ------------------------------------------------------------------------------


@bp.get(f"{FRAGMENT}/card")
def card_fragment(annotation_id: int):
    """The margin card of the thread an annotation belongs to, with its reply count."""
    annotation = _load(annotation_id)
    root = _thread_root(annotation)
    count = queries.reply_count(root, current_user)
    if not can_read_words(current_user, root) and not count:  # a placeholder with nothing below
        abort(404)
    return _render("card.html", root, thread=queries.Thread(root, count))


@bp.get(f"{FRAGMENT}/fragment")
def article_fragment(annotation_id: int):
    """One contribution's article, as on its thread page."""
    annotation = _load(annotation_id)
    return _article(annotation, _thread_root(annotation))


# --- replying -----------------------------------------------------------------------------


def _reply_slot(parent, root, form, *, preview=False, status=200):
    inline = request.args.get("in") == "inline"
    if inline:
        _prefix_ids(form, f"reply-{parent.id}-")
    preview_html = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    return _render(
        "reply_form.html",
        root,
        status,
        parent=parent,
        form=form,
        inline=inline,
        slot_only=request.method == "POST",
        preview=preview,
        preview_html=preview_html,
    )


def _replyable(annotation_id: int):
    parent = _load(annotation_id)
    _logged_in()
    return parent, _thread_root(parent)


@bp.get(f"{FRAGMENT}/reply-form.fragment")
def reply_form_fragment(annotation_id: int):
    """A reply form to open under a contribution."""
    parent, root = _replyable(annotation_id)
    if parent.status is AnnotationStatus.DELETED:
        abort(409, "This contribution has been deleted; it takes no more replies.")
    if not takes_replies_from_viewer(parent):
        abort(
            403,
            "This contribution takes no replies: it is hidden, not published or awaiting review.",
        )
    return _reply_slot(parent, root, ReplyForm(formdata=None))


@bp.post(f"{FRAGMENT}/replies.fragment")
@posting_limit
def reply_fragment(annotation_id: int):
    """Answer a contribution; the new reply comes back where the thread places it."""
    parent, root = _replyable(annotation_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _reply_slot(parent, root, form, status=422)
    if form.preview.data:
        return _reply_slot(parent, root, form, preview=True)
    try:
        answer = services.reply(current_user, parent, form.body.data or "")
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        root, parent = _load(root.id), _load(parent.id)
        return _reply_slot(parent, root, form, status=_status(error))
    db.session.commit()
    root = _load(root.id)  # the commit expired what was loaded
    replies, tree = _tree(root)
    node, siblings, owner = _find(tree, answer.id) or (Node(answer), [], None)
    index = siblings.index(node) if node in siblings else 0
    if index:
        place = {"data-after": f"a{siblings[index - 1].annotation.id}"}
    else:
        place = {"data-into": f"a{owner.annotation.id}" if owner else "top"}
    return _render(
        "reply.html",
        root,
        201,
        node=node,
        place=place,
        heading=_replies_heading(len(replies)),
        announcement=posted_message(node.annotation),
    )


@bp.post(f"{FRAGMENT}/replies/preview.fragment")
def reply_preview_fragment(annotation_id: int):
    """The reply form with the reply's sanitised HTML above it; nothing is stored."""
    parent, root = _replyable(annotation_id)
    form = ReplyForm()
    valid = form.validate_on_submit()
    return _reply_slot(parent, root, form, preview=True, status=200 if valid else 422)


# --- starting a thread --------------------------------------------------------------------


def _thread_slot(paper, version, section, form, status, *, preview=False):
    preview_html = preview_change = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    if preview and form.kind.data == "suggestion" and form.proposed and form.paragraph_number:
        start, end = _paragraphs(section)[form.paragraph_number - 1]
        preview_change = word_diff(section.text[start:end], form.proposed)
    html = render_template(
        "annotations/fragments/thread_form.html",
        paper=paper,
        version=version,
        section=section,
        form=form,
        preview=preview,
        preview_html=preview_html,
        preview_change=preview_change,
        kind_hints={kind.value: hint for kind, hint in KIND_HINTS.items()},
        period=paper_queries.comment_period(paper),
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Vary": "Cookie"}


@bp.post("/papers/<slug>/v/<label>/sections/<key>/threads.fragment")
@posting_limit
def thread_fragment(slug: str, label: str, key: str):
    """Start a thread; its list item comes back where the section page's sort places it.

    The page's query string (sort, kind) comes along, so that the place and the heading
    are those of the list the reader sees.
    """
    paper, version, section = _load_section(slug, label, key)
    _logged_in()
    spans = _paragraphs(section)
    form = ThreadForm(paragraphs=[section.text[s:e] for s, e in spans])
    if not form.validate_on_submit():
        return _thread_slot(paper, version, section, form, 422)
    if form.preview.data:  # the script sends previews to the page; stored nothing either way
        return _thread_slot(paper, version, section, form, 200, preview=True)
    try:
        annotation = create_thread_from(form, paper, version, section, spans)
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        return _thread_slot(paper, version, section, form, _status(error))
    db.session.commit()
    annotation_id = annotation.id
    paper, version, section = _load_section(slug, label, key)  # the commit expired them
    filters = ThreadFilterForm(request.args)
    shown = queries.threads(
        version, current_user, section=key, kind=filters.chosen_kind, sort=filters.chosen_sort
    )
    ids = [thread.root.id for thread in shown]
    if annotation_id in ids:
        thread = shown[ids.index(annotation_id)]
        index = ids.index(annotation_id)
        place = {"data-after": f"thread-{ids[index - 1]}"} if index else {"data-into": "top"}
    else:  # not of the kind the list shows
        thread = queries.Thread(_load(annotation_id), 0)
        place = {"data-hidden": ""}
    return (
        render_template(
            "annotations/fragments/thread_item.html",
            thread=thread,
            place=place,
            count=len(shown),
            filters=filters,
            period=paper_queries.comment_period(paper),
            announcement=posted_message(thread.root),
        ),
        201,
        {"Content-Type": "text/html; charset=utf-8", "Vary": "Cookie"},
    )


# --- editing ------------------------------------------------------------------------------


def _editable(annotation_id: int) -> Annotation:
    annotation = _load(annotation_id)
    _logged_in()
    if annotation.status is AnnotationStatus.DELETED and is_author(current_user, annotation):
        abort(409, "This contribution has been deleted.")
    if not can_edit_annotation(current_user, annotation):
        abort(403)
    return annotation


def _edit_slot(annotation, form, *, preview=False, status=200):
    _prefix_ids(form, f"edit-{annotation.id}-")
    suggestion = annotation.is_suggestion
    preview_html = preview_change = None
    if preview and form.body.data and form.body.data.strip():
        preview_html = render_markdown(form.body.data)
    if preview and suggestion and form.proposed and annotation.quote_exact:
        preview_change = word_diff(annotation.quote_exact, form.proposed)
    return _render(
        "edit_form.html",
        _thread_root(annotation),
        status,
        annotation=annotation,
        suggestion=suggestion,
        form=form,
        slot_only=request.method == "POST",
        preview=preview,
        preview_html=preview_html,
        preview_change=preview_change,
    )


@bp.route(f"{FRAGMENT}/edit.fragment", methods=["GET", "POST"])
@posting_limit
def edit_fragment(annotation_id: int):
    """The edit form (GET); the edited contribution, marked "edited" (POST)."""
    annotation = _editable(annotation_id)
    if request.method == "GET":
        return _edit_slot(annotation, EditForm(obj=annotation))
    form = EditForm()
    if not form.validate_on_submit():
        return _edit_slot(annotation, form, status=422)
    if form.preview.data:
        return _edit_slot(annotation, form, preview=True)
    try:
        edit_from(form, annotation)
    except AnnotationError as error:
        _discard()
        attach_error(form, error)
        return _edit_slot(_load(annotation.id), form, status=_status(error))
    db.session.commit()
    annotation = _load(annotation.id)  # the commit expired what was loaded
    return _article(annotation, _thread_root(annotation))


@bp.post(f"{FRAGMENT}/edit/preview.fragment")
def edit_preview_fragment(annotation_id: int):
    """The edit form with the changed text's sanitised HTML; nothing is stored."""
    annotation = _editable(annotation_id)
    form = EditForm()
    valid = form.validate_on_submit()
    return _edit_slot(annotation, form, preview=True, status=200 if valid else 422)


# --- deleting -----------------------------------------------------------------------------


def _deletable(annotation_id: int) -> Annotation:
    annotation = _load(annotation_id)
    _logged_in()
    if annotation.status is AnnotationStatus.DELETED and is_author(current_user, annotation):
        abort(409, "This contribution has been deleted.")
    if not can_delete_annotation(current_user, annotation):
        abort(403)
    return annotation


@bp.route(f"{FRAGMENT}/delete.fragment", methods=["GET", "POST"])
def delete_fragment(annotation_id: int):
    """The confirmation (GET); the placeholder, or which contributions went (POST)."""
    annotation = _deletable(annotation_id)
    root = _thread_root(annotation)
    form = DeleteForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _render("delete_form.html", root, status, annotation=annotation, form=form)
    # A placeholder above it goes too when this was its last reply: remember the chain.
    chain, current = [annotation.id], annotation
    while current.parent_id is not None:
        current = db.session.get(Annotation, current.parent_id)
        if current is None or current.status is not AnnotationStatus.DELETED:
            break
        chain.append(current.id)
    paper, version, key = annotation.paper, annotation.version, annotation.section_key
    thread_id = annotation.thread_id
    try:
        removed = services.delete(current_user, annotation)
    except AnnotationError as error:
        _discard()
        abort(error.status, error.message)
    db.session.commit()
    if not removed:
        return _article(annotation, _load(thread_id))
    left = set(db.session.scalars(select(Annotation.id).where(Annotation.id.in_(chain))))
    gone = [f"a{i}" for i in chain if i not in left]
    thread = queries.get_visible(thread_id, current_user)
    redirect_to = None
    if thread is None or f"a{thread_id}" in gone:
        thread = None
        redirect_to = url_for("annotations.section", slug=paper.slug, label=version.label, key=key)
    count = len(queries.thread_replies(thread, current_user)) if thread is not None else 0
    return render_template(
        "annotations/fragments/removed.html",
        gone=gone,
        redirect_to=redirect_to,
        heading=_replies_heading(count),
    ), 200
