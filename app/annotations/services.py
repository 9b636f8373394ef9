"""The rules of annotating: who may say what, where, and within which limits.

Services add and flush; the request's one boundary commits (`app.core.transaction`).
Every failure is an `AnnotationError` (a `ServiceError`) carrying a machine-readable
code, a message for people, the field at fault and the HTTP status it is answered with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.annotations.queries import section_at
from app.core.anchoring import AnchorError, anchor_quote
from app.core.diffing import word_diff
from app.core.errors import ServiceError
from app.core.languages import check_language, chosen_language
from app.core.markdown import render_markdown
from app.core.permissions import (
    can_annotate,
    can_delete_annotation,
    can_edit_annotation,
    is_author,
)
from app.extensions import db
from app.models import Paper, PaperVersion, Section, User
from app.models.annotation import (
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    TargetType,
)
from app.models.base import utcnow
from app.moderation.services import initial_status, needs_review
from app.notifications import events as notifications
from app.papers.queries import PeriodState, comment_period

MAX_BODY_LENGTH = 10_000
MAX_LINKS = 20


class AnnotationError(ServiceError):
    """A rule was broken; nothing was stored."""


@dataclass(frozen=True)
class QuoteInput:
    exact: str
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None
    end: int | None = None


def _check_body(body: str, field: str = "body") -> str:
    if not isinstance(body, str) or not body.strip():
        raise AnnotationError("Write something first.", code="empty", field=field)
    if len(body) > MAX_BODY_LENGTH:
        raise AnnotationError(
            f"At most {MAX_BODY_LENGTH:,} characters ({len(body):,} given).",
            code="too_long",
            field=field,
        )
    return body


def _render(body: str) -> str:
    html = render_markdown(body)
    links = len(re.findall(r"<a\s", html))
    if links > MAX_LINKS:
        raise AnnotationError(
            f"At most {MAX_LINKS} links in one contribution ({links} given).",
            code="too_many_links",
            field="body",
        )
    return html


def _check_period(paper: Paper) -> None:
    period = comment_period(paper)
    if period.state is PeriodState.UPCOMING:
        raise AnnotationError(
            f"Comments on this paper open on {period.opens.isoformat()}.",
            code="comment_period_closed",
            status=403,
        )
    if period.state is PeriodState.CLOSED:
        raise AnnotationError(
            f"Comments on this paper closed on {period.closes.isoformat()}.",
            code="comment_period_closed",
            status=403,
        )


def _check_latest(version: PaperVersion, versions: Sequence[PaperVersion] | None) -> None:
    """New threads go on the latest version; earlier ones are carried forward only when a
    version is published, so a thread started on a superseded version would be left behind.
    `versions`, all of the paper's when the caller has them loaded, spare a query."""
    if versions is not None and any(v.id == version.id for v in versions):
        later = [v for v in versions if v.sequence > version.sequence]
        newer = max(later, key=lambda v: v.sequence).label if later else None
    else:
        newer = db.session.scalar(
            select(PaperVersion.label)
            .where(
                PaperVersion.paper_id == version.paper_id,
                PaperVersion.sequence > version.sequence,
            )
            .order_by(PaperVersion.sequence.desc())
            .limit(1)
        )
    if newer is not None:
        raise AnnotationError(
            f"Version {version.label} has been superseded; comment on version {newer}.",
            code="superseded",
            field="version",
            status=409,
        )


def _check_author(user: User) -> None:
    if not can_annotate(user):
        raise AnnotationError(
            "Log in with a confirmed account to take part.", code="forbidden", status=403
        )


def _suggestion(kind: AnnotationKind, exact: str | None, proposed: str | None):
    """A suggestion proposes new wording for its quote; other kinds carry none."""
    if kind is not AnnotationKind.SUGGESTION:
        if proposed:
            raise AnnotationError("Only suggestions carry proposed wording.", field="proposed_text")
        return None, None
    if exact is None:
        raise AnnotationError(
            "A suggestion proposes new wording for a passage: select the passage first.",
            field="quote",
        )
    if proposed is None or not proposed.strip():
        raise AnnotationError("Give the wording you propose.", field="proposed_text")
    if len(proposed) > MAX_BODY_LENGTH:
        raise AnnotationError(
            f"At most {MAX_BODY_LENGTH:,} characters.", code="too_long", field="proposed_text"
        )
    return proposed, [list(pair) for pair in word_diff(exact, proposed)]


def find_section(version: PaperVersion, key: str) -> Section:
    """The section `key` of a version; an `AnnotationError` when it has none."""
    section = section_at(version.id, key)
    if section is None:
        raise AnnotationError(
            f"Version {version.label} has no section '{key}'.",
            code="unknown_section",
            field="section",
        )
    return section


def create_thread(
    author: User,
    paper: Paper,
    version: PaperVersion,
    section: Section,
    body: str,
    *,
    kind: AnnotationKind = AnnotationKind.COMMENT,
    quote: QuoteInput | None = None,
    target: TargetType | None = None,
    proposed_text: str | None = None,
    versions: Sequence[PaperVersion] | None = None,
    language: Any = None,
) -> Annotation:
    """Start a thread on a section, or on a paragraph or passage of it. `versions`: all
    the paper's versions, when the caller has loaded them already. `language`: the tag of
    the language it is written in (default: the interface's)."""
    _check_author(author)
    _check_period(paper)
    _check_latest(version, versions)
    body = _check_body(body)
    language = chosen_language(language, AnnotationError)
    placed = None
    if quote is not None:
        try:
            placed = anchor_quote(
                section.text,
                quote.exact,
                prefix=quote.prefix,
                suffix=quote.suffix,
                start=quote.start,
                end=quote.end,
            )
        except AnchorError as error:
            raise AnnotationError(str(error).capitalize() + ".", code="quote_not_found",
                                  field="quote") from None  # fmt: skip
    if target is None:
        target = TargetType.PASSAGE if placed else TargetType.SECTION
    if target is TargetType.SECTION and placed is not None:
        raise AnnotationError("A comment on a whole section quotes no passage.", field="target")
    if target is not TargetType.SECTION and placed is None:
        raise AnnotationError("A paragraph or passage needs its quote.", field="quote")
    proposed, diff = _suggestion(kind, placed.exact if placed else None, proposed_text)
    now = utcnow()
    annotation = Annotation(
        paper_id=paper.id,
        version_id=version.id,
        section_key=section.key,
        author_id=author.id,
        kind=kind,
        status=initial_status(author, AnnotationStatus),
        target=target,
        body=body,
        body_html=_render(body),
        language=language,
        proposed_text=proposed,
        proposed_diff=diff,
        quote_exact=placed.exact if placed else None,
        quote_prefix=placed.prefix if placed else None,
        quote_suffix=placed.suffix if placed else None,
        quote_start=placed.start if placed else None,
        quote_end=placed.end if placed else None,
        created_at=now,
        updated_at=now,
        depth=0,
    )
    db.session.add(annotation)
    db.session.flush()
    notifications.contribution_published(annotation)
    return annotation


def reply(author: User, parent: Annotation, body: str, language: Any = None) -> Annotation:
    """Answer an annotation; the reply joins the parent's thread. `language`: as for a
    thread (a reply may well be in another language than what it answers)."""
    _check_author(author)
    if parent.status is AnnotationStatus.DELETED:
        raise AnnotationError(
            "This contribution has been deleted; it takes no more replies.",
            code="parent_deleted",
            field="parent",
            status=409,
        )
    if parent.status in {AnnotationStatus.HIDDEN, AnnotationStatus.REJECTED}:
        raise AnnotationError(
            "This contribution is not public; it takes no replies.",
            code="parent_unavailable",
            field="parent",
            status=409,
        )
    if parent.status is AnnotationStatus.PENDING and parent.author_id != author.id:
        raise AnnotationError(
            "This contribution awaits review; it takes replies once published.",
            code="parent_unavailable",
            field="parent",
            status=409,
        )
    root = parent if parent.root_id is None else db.session.get(Annotation, parent.root_id)
    _check_thread_open(author, root)
    paper = db.session.get(Paper, parent.paper_id)
    _check_period(paper)
    body = _check_body(body)
    language = chosen_language(language, AnnotationError)
    now = utcnow()
    annotation = Annotation(
        paper_id=parent.paper_id,
        version_id=parent.version_id,
        section_key=parent.section_key,
        author_id=author.id,
        parent_id=parent.id,
        root_id=parent.root_id or parent.id,
        depth=parent.depth + 1,
        kind=AnnotationKind.COMMENT,
        # In a thread (or under a contribution) not out in the open, a reply waits too.
        status=initial_status(author, AnnotationStatus, within=(parent, root)),
        target=TargetType.SECTION,
        body=body,
        body_html=_render(body),
        language=language,
        created_at=now,
        updated_at=now,
    )
    db.session.add(annotation)
    db.session.flush()
    notifications.contribution_published(annotation)
    return annotation


def _check_thread_open(author: User, root: Annotation | None) -> None:
    """A thread that awaits review takes replies from its author only; a rejected one
    from nobody (others could reach it through a reply a moderator let out)."""
    if root is None:
        return
    if root.status is AnnotationStatus.REJECTED or (
        root.status is AnnotationStatus.PENDING and root.author_id != author.id
    ):
        raise AnnotationError(
            "This thread is not public; it takes no replies.",
            code="parent_unavailable",
            field="parent",
            status=409,
        )


def edit(
    user: User,
    annotation: Annotation,
    body: str,
    proposed_text: Any = ...,
    language: Any = None,
) -> Annotation:
    """Change the body (and a suggestion's wording, and the language it is said to be
    in: `None` keeps it); the earlier text stays in the history.

    A pending contribution stays pending. A published one of an author whose
    contributions are still reviewed before they appear is not changed: the new words
    would reach others without a moderator's approval.
    """
    _refuse_placeholder(user, annotation)
    if not can_edit_annotation(user, annotation):
        raise AnnotationError("Only its author can edit this.", code="forbidden", status=403)
    if annotation.status is AnnotationStatus.PUBLISHED and needs_review(user):
        raise AnnotationError(
            "Your contributions are reviewed before others see them, so a published one "
            "can no longer be changed; add a reply instead.",
            code="under_review",
            status=409,
        )
    body = _check_body(body)
    language = (
        annotation.language if language is None else check_language(language, AnnotationError)
    )
    proposed, diff = annotation.proposed_text, annotation.proposed_diff
    if proposed_text is not ...:
        proposed, diff = _suggestion(annotation.kind, annotation.quote_exact, proposed_text)
    if body == annotation.body and proposed == annotation.proposed_text:
        # Only the language corrected: no new wording, so no revision to keep.
        if language != annotation.language:
            annotation.language = language
            annotation.updated_at = utcnow()
            db.session.flush()
        return annotation
    html = _render(body)
    db.session.add(
        AnnotationRevision(
            annotation_id=annotation.id,
            body=annotation.body,
            proposed_text=annotation.proposed_text,
            created_at=annotation.edited_at or annotation.created_at,
        )
    )
    now = utcnow()
    annotation.body, annotation.body_html = body, html
    annotation.language = language
    annotation.proposed_text, annotation.proposed_diff = proposed, diff
    annotation.edited_at = annotation.updated_at = now
    db.session.flush()
    return annotation


def delete(user: User, annotation: Annotation) -> bool:
    """Delete one's own annotation: gone when nothing answers it, else a placeholder.

    Returns True when the row was removed. A placeholder keeps its place in the
    thread (and its replies) but loses its words and their history.
    """
    _refuse_placeholder(user, annotation)
    if not can_delete_annotation(user, annotation):
        raise AnnotationError("Only its author can delete this.", code="forbidden", status=403)
    if not _has_replies(annotation):
        _remove(annotation)
        return True
    below = _descendants(annotation)
    if _never_out(annotation) and all(_never_out(a) for a in below):
        # Nothing of it was ever shown to others, so no placeholder may show it now: it
        # goes with what answers it, which only its author could write.
        for item in reversed(below):  # the deepest first
            db.session.delete(item)
            db.session.flush()
        _remove(annotation)
        return True
    now = utcnow()
    annotation.status = AnnotationStatus.DELETED
    annotation.deleted_at = annotation.updated_at = now
    annotation.body = annotation.body_html = ""
    annotation.proposed_text, annotation.proposed_diff = None, None
    db.session.execute(
        AnnotationRevision.__table__.delete().where(
            AnnotationRevision.annotation_id == annotation.id
        )
    )
    db.session.flush()
    return False


def _never_out(annotation: Annotation) -> bool:
    """Awaiting review or rejected: others never saw it (a hidden one was shown, and is
    shown as a placeholder already)."""
    return annotation.status in (AnnotationStatus.PENDING, AnnotationStatus.REJECTED)


def _descendants(annotation: Annotation) -> list[Annotation]:
    """Everything that answers an annotation, directly or further down: one query."""
    root_id = annotation.root_id or annotation.id
    in_thread = list(db.session.scalars(select(Annotation).where(Annotation.root_id == root_id)))
    below, found = {annotation.id}, []
    for item in sorted(in_thread, key=lambda a: a.depth):
        if item.parent_id in below:
            below.add(item.id)
            found.append(item)
    return found


def _refuse_placeholder(user: User, annotation: Annotation) -> None:
    """Its author learns that a deleted contribution is gone; others are simply refused."""
    if annotation.status is AnnotationStatus.DELETED and is_author(user, annotation):
        raise AnnotationError("This contribution has been deleted.", code="deleted", status=409)


def _has_replies(annotation: Annotation) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(Annotation.id)).where(Annotation.parent_id == annotation.id)
        )
    )


def _remove(annotation: Annotation) -> None:
    """Remove an annotation that nothing answers, and the deleted placeholder above it
    when this was its last reply (and so on up the thread)."""
    parent_id = annotation.parent_id
    db.session.delete(annotation)
    db.session.flush()
    if parent_id is None:
        return
    parent = db.session.get(Annotation, parent_id)
    if (
        parent is not None
        and parent.status is AnnotationStatus.DELETED
        and not _has_replies(parent)
    ):
        _remove(parent)
