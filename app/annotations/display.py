"""What the discussion pages and their fragments show, worked out once for both.

A thread's replies as a tree, what moderation tells the viewer about each contribution,
previews of a form's text, and the context that the new-thread and edit forms are drawn
with: the page (`views.py`) and the piece a script swaps in (`fragments.py`) render the
same macros from the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, request, url_for
from flask_login import current_user

from app.annotations import queries
from app.annotations.context import SectionContext
from app.annotations.forms import (
    KIND_HINTS,
    KIND_LABELS,
    EditForm,
    ThreadFilterForm,
    ThreadForm,
)
from app.core.diffing import word_diff
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.markdown import render_markdown
from app.core.permissions import can_flag, is_author, is_moderator
from app.models import TargetKind
from app.models.annotation import Annotation, AnnotationKind, AnnotationStatus
from app.moderation import queries as moderation_queries
from app.papers import queries as paper_queries

# Replies nest this deep; deeper ones follow their depth-3 ancestor, "in reply to" someone.
MAX_NESTING = 3


# --- a thread as a tree ---------------------------------------------------------------------


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


def find_node(
    nodes: list[Node], annotation_id: int, owner: Node | None = None
) -> tuple[Node, list[Node], Node | None] | None:
    """The node of `annotation_id` in a thread tree, its list and the node owning that list."""
    for node in nodes:
        if node.annotation.id == annotation_id:
            return node, nodes, owner
        found = find_node(node.children, annotation_id, node)
        if found:
            return found
    return None


def replies_heading(count: int) -> str:
    """The heading of a thread's replies ("3 replies")."""
    return ngettext("%(num)d reply", "%(num)d replies", count)


def section_url(annotation: Annotation) -> str:
    """The discussion page of the section an annotation was made on."""
    return url_for(
        "annotations.section",
        slug=annotation.paper.slug,
        label=annotation.version.label,
        key=annotation.section_key,
    )


# --- what the viewer is told ----------------------------------------------------------------


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


def posted_message(annotation: Annotation) -> str:
    """What its author is told once a contribution is posted: what it became ("Question
    posted."), or, when it waits for a moderator, that only they see it until then."""
    if annotation.status is AnnotationStatus.PENDING:
        return _("Sent for review — visible to you until a moderator decides.")
    if not annotation.is_root:
        return _("Reply posted.")
    return _("%(kind)s posted.", kind=KIND_LABELS[annotation.kind])


# --- a section's threads -------------------------------------------------------------------


def listed_threads(place: SectionContext) -> tuple[ThreadFilterForm, list[queries.Thread]]:
    """The section's threads as the reader's filters (the query string) sort and choose them."""
    filters = ThreadFilterForm(request.args)
    threads = queries.threads(
        place.version,
        current_user,
        section=place.section.key,
        kind=filters.chosen_kind,
        sort=filters.chosen_sort,
    )
    return filters, threads


# Threads listed on one page of a section's discussion; the next ones are a link away.
SECTION_PAGE = 50


@dataclass
class ThreadPage:
    """One page of a section's threads: those shown, how many there are in all, which
    page this is."""

    threads: list[queries.Thread]
    total: int
    page: int
    address: str
    size: int = SECTION_PAGE

    @property
    def has_next(self) -> bool:
        return self.total > self.page * self.size

    def url(self, page: int) -> str:
        """The address of another page, with the same sort and kind."""
        kept = {k: v for k, v in request.args.items() if k != "page"}
        return url_for(self.address, **request.view_args, **kept, page=page)


def listed_page(place: SectionContext) -> tuple[ThreadFilterForm, ThreadPage]:
    """One page (`?page=N`, from 1) of the section's threads as the reader's filters sort
    and choose them: the page's threads, and their total only when there is more than
    one page (a second query). A page past the last is not found."""
    filters = ThreadFilterForm(request.args)
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= page <= 100_000 else 1
    asked = {
        "section": place.section.key,
        "kind": filters.chosen_kind,
        "sort": filters.chosen_sort,
    }
    threads = queries.threads(
        place.version,
        current_user,
        limit=SECTION_PAGE + 1,
        offset=(page - 1) * SECTION_PAGE,
        **asked,
    )
    if page > 1 and not threads:
        abort(404)  # past the last page
    if page == 1 and len(threads) <= SECTION_PAGE:
        total = len(threads)
    else:
        total = queries.count_threads(place.version, current_user, **asked)
    return filters, ThreadPage(threads[:SECTION_PAGE], total, page, "annotations.section")


# --- forms and their previews ---------------------------------------------------------------


def preview_html(form, preview: bool) -> str | None:
    """The sanitised HTML of a form's body, when previewing and there is something to show."""
    body = form.body.data
    return render_markdown(body) if preview and body and body.strip() else None


def _change(original: str | None, form, preview: bool):
    """The proposed wording as a word-by-word change against `original`, when previewing."""
    if preview and original and form.proposed:
        return word_diff(original, form.proposed)
    return None


def thread_form_context(place: SectionContext, form: ThreadForm, *, preview: bool = False) -> dict:
    """What the new-thread form is drawn with, on the section page and in place."""
    original = None
    if form.chosen_kind is AnnotationKind.SUGGESTION and not form.paragraph.errors:
        original = form.passage or place.paragraph_text(form.paragraph_number)
    return {
        "paper": place.paper,
        "version": place.version,
        "section": place.section,
        "form": form,
        "preview": preview,
        "preview_html": preview_html(form, preview),
        "preview_change": _change(original, form, preview),
        "kind_hints": {kind.value: hint for kind, hint in KIND_HINTS.items()},
        "period": paper_queries.comment_period(place.paper),
    }


def edit_form_context(annotation: Annotation, form: EditForm, *, preview: bool = False) -> dict:
    """What the edit form is drawn with, on its page and in place."""
    suggestion = annotation.is_suggestion
    return {
        "annotation": annotation,
        "suggestion": suggestion,
        "form": form,
        "preview": preview,
        "preview_html": preview_html(form, preview),
        "preview_change": _change(annotation.quote_exact if suggestion else None, form, preview),
    }
