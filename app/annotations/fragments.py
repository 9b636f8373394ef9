"""The discussion in place: the HTML fragments that static/js/threads.js swaps in.

The server stays the one renderer. The views of `views.py` answer each `….fragment`
address with one of the pieces drawn here, by the same macros as the pages
(templates/annotations/fragments/_article.html, _forms.html, _macros.html) and from the
same values (`display.py`):

- a contribution's <article> (also after an edit, marked "edited"), a thread's margin card;
- a form opened in place (reply, edit, delete), or after a refused POST the form again with
  its errors (`data-fragment-kind="form"`), with the service's status;
- the new reply's <li> and the new thread's list item, with where they go (data-*);
- after a deletion, the placeholder <article>, or which articles went.
"""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.annotations import margin_cache, queries
from app.annotations.context import SectionContext
from app.annotations.display import (
    Node,
    edit_form_context,
    find_node,
    listed_threads,
    moderation_context,
    posted_message,
    preview_html,
    replies_heading,
    thread_form_context,
    thread_tree,
)
from app.annotations.dispositions import current_dispositions
from app.core.i18n import gettext as _
from app.extensions import db
from app.models.annotation import Annotation, AnnotationStatus
from app.papers import queries as paper_queries

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Vary": "Cookie"}


def _answer(template: str, status: int = 200, **context):
    return render_template(f"annotations/fragments/{template}", **context), status, HEADERS


def _in_thread(template: str, root: Annotation, status: int = 200, **context):
    """A fragment, with what the shared macros read from the page: the root and the period."""
    period = paper_queries.comment_period(root.paper)
    return _answer(template, status, root=root, period=period, **context)


def _prefix_ids(form, prefix: str) -> None:
    """Give a form opened in place its own ids (labels and hints follow); names stay."""
    for field in form:
        field.id = f"{prefix}{field.name}"
        field.label.field_id = field.id


def _tree(root: Annotation) -> tuple[list[Annotation], list[Node]]:
    replies = queries.thread_replies(root, current_user)
    return replies, thread_tree(root, replies)


# --- reading ------------------------------------------------------------------------------


def card(root: Annotation, reply_count: int):
    """The margin card of a thread, with its reply count."""
    return _in_thread("card.html", root, thread=queries.Thread(root, reply_count))


def article(annotation: Annotation, root: Annotation, status: int = 200):
    """One contribution's article, as the thread page draws it (nesting decides "in reply to")."""
    replies, tree = _tree(root)
    context = moderation_context([annotation])
    heading = replies_heading(len(replies))
    if annotation.id == root.id:
        section = queries.section_at(root.version_id, root.section_key)
        return _in_thread(
            "article.html", root, status, node=None, section=section, heading=heading, **context
        )
    found = find_node(tree, annotation.id)
    node = found[0] if found else Node(annotation)
    return _in_thread("article.html", root, status, node=node, heading=heading, **context)


# --- replying -----------------------------------------------------------------------------


def reply_form(parent: Annotation, root: Annotation, form, *, preview=False, status=200):
    """A reply form under a contribution; after a POST, only its slot."""
    inline = request.args.get("in") == "inline"
    if inline:
        _prefix_ids(form, f"reply-{parent.id}-")
    return _in_thread(
        "reply_form.html",
        root,
        status,
        parent=parent,
        form=form,
        inline=inline,
        slot_only=request.method == "POST",
        preview=preview,
        preview_html=preview_html(form, preview),
    )


def new_reply(root: Annotation, answer: Annotation):
    """The new reply, with where the thread places it: after a sibling, or first under one."""
    replies, tree = _tree(root)
    node, siblings, owner = find_node(tree, answer.id) or (Node(answer), [], None)
    index = siblings.index(node) if node in siblings else 0
    if index:
        place = {"data-after": f"a{siblings[index - 1].annotation.id}"}
    else:
        place = {"data-into": f"a{owner.annotation.id}" if owner else "top"}
    return _in_thread(
        "reply.html",
        root,
        201,
        node=node,
        place=place,
        heading=replies_heading(len(replies)),
        announcement=posted_message(node.annotation),
    )


# --- starting a thread --------------------------------------------------------------------


def thread_form(place: SectionContext, form, *, preview=False, status=200):
    """The section page's new-thread form again, with its errors or its preview."""
    return _answer("thread_form.html", status, **thread_form_context(place, form, preview=preview))


def new_thread(place: SectionContext, annotation: Annotation):
    """The new thread's list item, where the section page's sort places it.

    The page's query string (sort, kind) comes along, so that the place and the heading
    are those of the list the reader sees.
    """
    filters, shown = listed_threads(place)
    ids = [thread.root.id for thread in shown]
    if annotation.id in ids:
        index = ids.index(annotation.id)
        thread = shown[index]
        where = {"data-after": f"thread-{ids[index - 1]}"} if index else {"data-into": "top"}
    else:  # not of the kind the list shows
        thread = queries.Thread(queries.get_visible(annotation.id, current_user), 0)
        where = {"data-hidden": ""}
    return _answer(
        "thread_item.html",
        201,
        thread=thread,
        place=where,
        count=len(shown),
        filters=filters,
        period=paper_queries.comment_period(place.paper),
        announcement=posted_message(thread.root),
    )


# --- editing and deleting -----------------------------------------------------------------


def edit_form(annotation: Annotation, root: Annotation, form, *, preview=False, status=200):
    """The edit form opened in place; after a POST, only its slot."""
    _prefix_ids(form, f"edit-{annotation.id}-")
    return _in_thread(
        "edit_form.html",
        root,
        status,
        slot_only=request.method == "POST",
        **edit_form_context(annotation, form, preview=preview),
    )


def delete_form(annotation: Annotation, root: Annotation, form, status: int = 200):
    """The confirmation before deleting, opened in place."""
    return _in_thread("delete_form.html", root, status, annotation=annotation, form=form)


def deletion_chain(annotation: Annotation) -> list[int]:
    """The contribution, and the deleted placeholders above it that go with it when it was
    their last reply: what a deletion may take away."""
    chain, current = [annotation.id], annotation
    while current.parent_id is not None:
        current = db.session.get(Annotation, current.parent_id)
        if current is None or current.status is not AnnotationStatus.DELETED:
            break
        chain.append(current.id)
    return chain


def removed(chain: list[int], thread_id: int, section_page: str):
    """Which articles a deletion took away, and where to go when the thread went with them."""
    left = set(db.session.scalars(select(Annotation.id).where(Annotation.id.in_(chain))))
    gone = [f"a{i}" for i in chain if i not in left]
    thread = queries.get_visible(thread_id, current_user)
    redirect_to = None
    if thread is None or f"a{thread_id}" in gone:
        thread = None
        redirect_to = section_page
        # The script leaves the thread's address for the section's: that page says why.
        flash(_("Your contribution is deleted."), "success")
    count = len(queries.thread_replies(thread, current_user)) if thread is not None else 0
    return _answer(
        "removed.html", 200, gone=gone, redirect_to=redirect_to, heading=replies_heading(count)
    )


# --- the paper's margin -------------------------------------------------------------------

# Threads of a section in one answer of `margin.fragment`; the next page follows.
MARGIN_PAGE = 100


def margin(place: SectionContext, *, sort: str, paragraph: int | None, page: int):
    """A section's threads as the paper's margin draws them, a page at a time, with the
    section's counts as they stand now, so that the page can tell the truth after changes.

    In the order of the text unless `sort` says otherwise; `paragraph` for the threads
    whose passage begins in that paragraph.
    """
    version, key = place.version, place.section.key
    within = place.spans[paragraph - 1] if paragraph else None
    query = queries.threads_query(version, current_user, section=key, sort=sort, within=within)
    rows = db.session.execute(query.limit(MARGIN_PAGE + 1).offset((page - 1) * MARGIN_PAGE)).all()
    threads = [queries.Thread(root, count, anchor) for root, count, anchor in rows[:MARGIN_PAGE]]
    next_url = None
    if len(rows) > MARGIN_PAGE:
        next_url = url_for(
            "annotations.margin_fragment",
            slug=place.paper.slug,
            label=version.label,
            key=key,
            sort=sort,
            paragraph=paragraph,
            page=page + 1,
        )
    return _answer(
        "margin.html",
        place=place,
        threads=threads,
        next_url=next_url,
        paragraph=paragraph,
        **margin_counts(version, key),
        **margin_context(threads),
    )


def margin_counts(version, key: str) -> dict:
    """A section's counts for the margin and the contents: kept for the page revision where
    the reader sees what anyone sees, else two queries."""
    threads, contributions = margin_cache.counts(version, current_user)
    return {"thread_count": threads.get(key, 0), "contribution_count": contributions.get(key, 0)}


def margin_context(threads: list[queries.Thread]) -> dict:
    """What margin cards show beside a thread: the editors' current answer (one query)."""
    return {"answers": current_dispositions(thread.root.id for thread in threads)}


def margin_form(place: SectionContext, form, *, preview=False, status=200):
    """A new thread's form in the margin, beside the section, paragraph or passage it is
    about; after a refused POST, the same form with its errors, or with its preview."""
    _prefix_ids(form, f"mf-{place.section.key}-")
    return _answer(
        "margin_form.html",
        status,
        **thread_form_context(place, form, preview=preview),
        target=margin_target(place, form),
    )


def margin_target(place: SectionContext, form) -> dict:
    """What a margin form is about, in words, with the words it quotes."""
    if form.passage:
        return {"kind": "passage", "words": form.passage, "title": _("Annotate this passage")}
    if form.paragraph_number and not form.paragraph.errors:
        number = form.paragraph_number
        return {
            "kind": "paragraph",
            "words": place.paragraph_text(number),
            "title": _("Comment on paragraph %(n)d", n=number),
        }
    return {"kind": "section", "words": None, "title": _("Comment on this section")}


def new_margin_thread(place: SectionContext, annotation: Annotation):
    """The new thread's card for the margin, with the section's counts and what to say."""
    thread = queries.Thread(queries.get_visible(annotation.id, current_user), 0)
    return _answer(
        "margin_thread.html",
        201,
        thread=thread,
        announcement=posted_message(annotation),
        period=paper_queries.comment_period(place.paper),
        **margin_counts(place.version, place.section.key),
        **margin_context([thread]),
    )
