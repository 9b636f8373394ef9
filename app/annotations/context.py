"""Loading and authorising what a discussion view acts on, once for the page and its fragment.

Each address of the discussion answers in one of two ways: with the page, or — through
its `….fragment` twin, which `static/js/threads.js` calls — with the piece of HTML that
changed. Both go through the same view, and the view goes through one of the loaders
here first (as Hypothesis's `h/traversal` does): a section (`SectionContext`) or a
contribution with its thread (`ThreadContext`). What does not exist, or what the viewer
may not see, is not found (404); what the viewer may not do is refused (403), and the
author of a deleted contribution is told it is gone (409). The permissions are the
predicates of `app.core.permissions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import abort, request
from flask_login import current_user

from app.annotations import queries, services
from app.core.anchoring import block_spans
from app.core.permissions import (
    can_answer,
    can_delete_annotation,
    can_edit_annotation,
    can_read_words,
    is_author,
)
from app.extensions import login_manager
from app.models import Paper, PaperVersion, Section
from app.models.annotation import Annotation, AnnotationStatus
from app.papers import queries as paper_queries

FRAGMENT_SUFFIX = "_fragment"


def fragment_wanted() -> bool:
    """Whether the request came through a fragment's address (endpoint `…_fragment`)."""
    return (request.endpoint or "").endswith(FRAGMENT_SUFFIX)


def require_login() -> None:
    """Anonymous visitors are sent to log in; a script asking for a fragment gets 401."""
    if current_user.is_authenticated:
        return
    if fragment_wanted():
        abort(401)
    abort(login_manager.unauthorized())


@dataclass
class SectionContext:
    """A section of a version of a paper, as its discussion page shows it."""

    paper: Paper
    version: PaperVersion
    section: Section
    # All the paper's versions, in order, when loaded with the version (None: not loaded).
    versions: list[PaperVersion] | None = None

    @classmethod
    def load(cls, slug: str, label: str, key: str) -> SectionContext:
        """The section `key` of version `label` of paper `slug`, or 404."""
        found = paper_queries.version_by_label(slug, label)
        if found is None or found.version is None:
            abort(404)
        section = queries.section_at(found.version.id, key)
        if section is None:
            abort(404)
        return cls(found.paper, found.version, section, found.versions)

    @cached_property
    def spans(self) -> list[tuple[int, int]]:
        """Where each paragraph of the section starts and ends in its text."""
        return block_spans(self.section.text)

    @property
    def paragraphs(self) -> list[str]:
        """The text of each paragraph, in order."""
        return [self.section.text[start:end] for start, end in self.spans]

    def paragraph_text(self, number: int | None) -> str | None:
        """The text of paragraph `number` (from 1), or None for no such paragraph."""
        if number is None or not 1 <= number <= len(self.spans):
            return None
        start, end = self.spans[number - 1]
        return self.section.text[start:end]


@dataclass
class ThreadContext:
    """A contribution the viewer may see, and the first contribution of its thread."""

    annotation: Annotation

    @classmethod
    def load(cls, annotation_id: int) -> ThreadContext:
        """The contribution `annotation_id`, or 404 when the viewer has nothing of it to see."""
        return cls(visible(annotation_id))

    @cached_property
    def root(self) -> Annotation:
        """The thread's first contribution (404 when nothing of it is left to see)."""
        annotation = self.annotation
        return annotation if annotation.is_root else visible(annotation.root_id)

    def refuse_placeholder(self) -> None:
        """Its author learns that a deleted contribution is gone (409); others get 403 next."""
        annotation = self.annotation
        if annotation.status is AnnotationStatus.DELETED and is_author(current_user, annotation):
            raise services.AnnotationError(
                "This contribution has been deleted.", code="deleted", status=409
            )

    def require_editable(self) -> None:
        """Only its author edits what is still there."""
        require_login()
        self.refuse_placeholder()
        if not can_edit_annotation(current_user, self.annotation):
            abort(403)

    def require_deletable(self) -> None:
        """Only its author deletes it."""
        require_login()
        self.refuse_placeholder()
        if not can_delete_annotation(current_user, self.annotation):
            abort(403)

    def require_answerer(self) -> None:
        """Only series editors give the editors' answer."""
        require_login()
        if not can_answer(current_user):
            abort(403)

    def require_open_to_replies(self) -> None:
        """A reply form opens only under what takes replies from the viewer."""
        require_login()
        status = self.annotation.status
        if status is AnnotationStatus.DELETED:
            raise services.AnnotationError(
                "This contribution has been deleted; it takes no more replies.",
                code="parent_deleted",
                status=409,
            )
        if not takes_replies_from_viewer(self.annotation):
            raise services.AnnotationError(
                "This contribution takes no replies: it is hidden, not published or awaiting "
                "review.",
                code="parent_unavailable",
                status=403,
            )


def takes_replies_from_viewer(annotation: Annotation) -> bool:
    """What the services accept as a parent: published, or the viewer's own pending."""
    if annotation.status is AnnotationStatus.PUBLISHED:
        return True
    return annotation.status is AnnotationStatus.PENDING and is_author(current_user, annotation)


def visible(annotation_id: int) -> Annotation:
    """An annotation the viewer may see, or 404.

    A thread whose first contribution the viewer sees only as a placeholder (deleted, or
    hidden by a moderator) is not found once no visible reply is left under it, as the
    margin and the section page do not list it either.
    """
    annotation = queries.get_visible(annotation_id, current_user)
    if annotation is None or not worth_showing(annotation):
        abort(404)
    return annotation


def worth_showing(annotation: Annotation) -> bool:
    """Whether an annotation has something to show the viewer: its words, or replies."""
    if not annotation.is_root or can_read_words(current_user, annotation):
        return True
    return queries.reply_count(annotation, current_user) > 0
