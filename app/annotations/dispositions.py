"""Dispositions: the editors' answers to threads, and the "response to comments" report.

An editor answers a thread (its root) with an outcome — accepted, partly accepted, not
accepted or noted — and a response in Markdown, usually while preparing the next version,
which the answer may name. Answers are appended, never rewritten: the latest one of a
thread is its current answer, the earlier ones its history. Answers are public, like the
threads they answer.

Rules (`answer`), each an `AnnotationError` with the field at fault:

- only editors and admins answer (403);
- only a thread's first contribution is answered, never a reply (422, field `annotation`);
- only a published thread: a pending, hidden, rejected or deleted one cannot be answered (409);
- the response is required for every outcome but `noted`, where "noted" says it all; it
  is Markdown of at most `MAX_RESPONSE_LENGTH` characters (422, field `response`);
- the version, when given, is one of the thread's paper and later than the thread's own
  version (422, field `version`).

Answering is not bound by the paper's comment period: editors answer after it closes.

Like the other services, `answer` adds and flushes; the request's boundary commits once.

The report of a version lists the threads on the version before it, section by section,
with their current answers: what became of the comments on 5.0, read with 5.1. The first
version of a paper has no previous version, and its report says so and lists nothing. The
report shows what everyone may read: published threads (not pending, hidden, rejected or
deleted ones, nor those of restricted accounts), whoever asks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from app.annotations.queries import placed_roots, visible_to
from app.annotations.services import AnnotationError
from app.core.i18n import gettext as _
from app.core.languages import chosen_language
from app.core.markdown import render_markdown
from app.core.permissions import can_answer
from app.core.ratelimits import account_key
from app.extensions import db, limiter
from app.models import Paper, PaperVersion, Section, User
from app.models.annotation import Annotation, AnnotationStatus, Disposition, DispositionOutcome
from app.models.base import utcnow
from app.notifications import events as notifications
from app.papers.queries import VERSION_COLUMNS, sections_of

MAX_RESPONSE_LENGTH = 10_000
# Outcomes that stand without a response.
SILENT_OUTCOMES = frozenset({DispositionOutcome.NOTED})
OUTCOME_NAMES = ", ".join(o.value for o in DispositionOutcome)


def _answer_rate() -> str:
    """Editors' answers have an allowance of the size of moderators' decisions: answering a
    version's threads one after the other must not hit the participants' posting limit."""
    return current_app.config["MODERATION_RATE_LIMIT"]


# Shared by the thread page's form and the API.
answer_limit = limiter.shared_limit(
    _answer_rate,
    scope="editor-answers",
    key_func=account_key,
    methods=["POST"],
    error_message="Too many answers at once. Please wait a minute and try again.",
)


# --- answering ------------------------------------------------------------------------------


def _outcome(value: Any) -> DispositionOutcome:
    if isinstance(value, DispositionOutcome):
        return value
    try:
        return DispositionOutcome(value)
    except ValueError:
        raise AnnotationError(
            f"Choose one of: {OUTCOME_NAMES}.", code="invalid", field="outcome"
        ) from None


def _response(outcome: DispositionOutcome, response: Any) -> str:
    if response is None:
        response = ""
    if not isinstance(response, str):
        raise AnnotationError("The response is text.", field="response")
    if len(response) > MAX_RESPONSE_LENGTH:
        raise AnnotationError(
            f"At most {MAX_RESPONSE_LENGTH:,} characters ({len(response):,} given).",
            code="too_long",
            field="response",
        )
    if not response.strip():
        if outcome not in SILENT_OUTCOMES:
            raise AnnotationError(
                "Say what was done, or why not: only “noted” stands without a response.",
                code="empty",
                field="response",
            )
        return ""
    return response


def _check_version(root: Annotation, version: PaperVersion | None) -> None:
    if version is None:
        return
    if version.paper_id != root.paper_id:
        raise AnnotationError(f"Version {version.label} belongs to another paper.", field="version")
    own = db.session.get(PaperVersion, root.version_id)
    if version.sequence <= own.sequence:
        raise AnnotationError(
            f"The answering version must be later than the thread's own version {own.label}.",
            field="version",
        )


def answer(
    editor: User,
    root: Annotation,
    outcome: DispositionOutcome | str,
    response: str | None,
    version: PaperVersion | None = None,
    language: Any = None,
) -> Disposition:
    """Give the editors' answer to a thread; earlier answers stay as its history.
    `language`: the tag of the response's language (default: the interface's)."""
    if not can_answer(editor):
        raise AnnotationError("Only series editors answer threads.", code="forbidden", status=403)
    if root.parent_id is not None:
        raise AnnotationError(
            "Only a thread is answered, not a reply: answer its first contribution.",
            code="not_a_thread",
            field="annotation",
        )
    if root.status is not AnnotationStatus.PUBLISHED:
        raise AnnotationError(
            "Only a published thread can be answered.",
            code="not_answerable",
            field="annotation",
            status=409,
        )
    outcome = _outcome(outcome)
    text = _response(outcome, response)
    _check_version(root, version)
    language = chosen_language(language, AnnotationError)
    disposition = Disposition(
        annotation_id=root.id,
        version_id=version.id if version is not None else None,
        editor_id=editor.id,
        outcome=outcome,
        response=text,
        response_html=render_markdown(text) if text else "",
        language=language,
        created_at=utcnow(),
        editor=editor,
        version=version,
    )
    db.session.add(disposition)
    db.session.flush()
    notifications.thread_answered(editor, root, disposition)
    return disposition


# --- reading --------------------------------------------------------------------------------


def _with_editor_and_version(query):
    return query.options(
        joinedload(Disposition.editor),
        joinedload(Disposition.version).load_only(*VERSION_COLUMNS),
    )


def current_dispositions(root_ids: Iterable[int]) -> dict[int, Disposition]:
    """The current (latest) answer of each of these threads that has one: one query, none
    for no threads. Editors and versions come loaded."""
    ids = sorted(set(root_ids))
    if not ids:
        return {}
    latest = (
        select(func.max(Disposition.id))
        .where(Disposition.annotation_id.in_(ids))
        .group_by(Disposition.annotation_id)
    )
    rows = db.session.scalars(
        _with_editor_and_version(select(Disposition).where(Disposition.id.in_(latest)))
    ).unique()
    return {row.annotation_id: row for row in rows}


def history(root: Annotation) -> list[Disposition]:
    """Every answer to a thread, newest (the current one) first: one query."""
    return list(
        db.session.scalars(
            _with_editor_and_version(
                select(Disposition)
                .where(Disposition.annotation_id == root.id)
                .order_by(Disposition.id.desc())
            )
        ).unique()
    )


def later_versions(root: Annotation) -> list[PaperVersion]:
    """The versions of the thread's paper after its own, in order: those that may answer it."""
    own = select(PaperVersion.sequence).where(PaperVersion.id == root.version_id)
    return list(
        db.session.scalars(
            select(PaperVersion)
            .options(load_only(*VERSION_COLUMNS))
            .where(PaperVersion.paper_id == root.paper_id)
            .where(PaperVersion.sequence > own.scalar_subquery())
            .order_by(PaperVersion.sequence)
        )
    )


def answers_for(user: User, limit: int = 50) -> list[Disposition]:
    """The current answers to a participant's threads, newest first (for the account
    area): one query, with the thread, its paper and version, the editor."""
    latest = (
        select(func.max(Disposition.id))
        .join(Annotation, Annotation.id == Disposition.annotation_id)
        .where(Annotation.author_id == user.id, Annotation.parent_id.is_(None))
        .where(Annotation.status != AnnotationStatus.DELETED)
        .group_by(Disposition.annotation_id)
    )
    return list(
        db.session.scalars(
            _with_editor_and_version(
                select(Disposition)
                .where(Disposition.id.in_(latest))
                .options(
                    joinedload(Disposition.annotation).joinedload(Annotation.paper),
                    joinedload(Disposition.annotation)
                    .joinedload(Annotation.version)
                    .load_only(*VERSION_COLUMNS),
                )
                .order_by(Disposition.id.desc())
                .limit(limit)
            )
        ).unique()
    )


# --- the report -----------------------------------------------------------------------------


@dataclass
class ReportRow:
    """A thread on the previous version, and its current answer (None: not answered yet)."""

    thread: Annotation
    disposition: Disposition | None


@dataclass
class ReportSection:
    key: str | None  # None: threads whose section was gone already (comments on earlier text)
    section: Section | None  # None for a key the version has no section for
    rows: list[ReportRow] = field(default_factory=list)

    @property
    def heading(self) -> str:
        if self.section is not None:
            return self.section.heading
        return self.key if self.key is not None else _("Comments on earlier text")

    @property
    def anchor(self) -> str:
        """An id for the page: the section key, or one that no key can take."""
        return self.key if self.key is not None else "earlier-text"


@dataclass
class Report:
    paper: Paper
    version: PaperVersion
    previous: PaperVersion | None
    sections: list[ReportSection]
    counts: dict[str, int]  # per outcome value, and "unanswered"

    @property
    def total(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def previous_version(versions: list[PaperVersion], version: PaperVersion) -> PaperVersion | None:
    earlier = [v for v in versions if v.sequence < version.sequence]
    return max(earlier, key=lambda v: v.sequence) if earlier else None


def report(paper: Paper, versions: list[PaperVersion], version: PaperVersion) -> Report:
    """What became of the threads on the version before `version`, section by section.

    A fixed number of queries whatever the number of threads: the sections, the threads,
    their authors, and the current answers with their editors and versions.
    """
    counts = {o.value: 0 for o in DispositionOutcome} | {"unanswered": 0}
    previous = previous_version(versions, version)
    if previous is None:
        return Report(paper, version, None, [], counts)
    sections = sections_of(previous)
    # Threads made on the previous version and those carried into it from earlier ones,
    # in the section where they stood there.
    placed = placed_roots(previous.id)
    threads = db.session.execute(
        select(Annotation, placed.c.key)
        .join(placed, placed.c.root_id == Annotation.id)
        .where(Annotation.status == AnnotationStatus.PUBLISHED)
        .where(visible_to(None))
        .options(selectinload(Annotation.author))
        .order_by(Annotation.created_at, Annotation.id)
    ).all()
    answers: dict[int, Disposition] = {}
    if threads:
        latest = (
            select(func.max(Disposition.id))
            .where(Disposition.annotation_id.in_(select(placed.c.root_id)))
            .group_by(Disposition.annotation_id)
        )
        rows = db.session.scalars(
            _with_editor_and_version(select(Disposition).where(Disposition.id.in_(latest)))
        ).unique()
        answers = {row.annotation_id: row for row in rows}
    groups = {s.key: ReportSection(s.key, s) for s in sections}
    for thread, key in threads:
        group = groups.setdefault(key, ReportSection(key, None))
        disposition = answers.get(thread.id)
        group.rows.append(ReportRow(thread, disposition))
        counts[disposition.outcome.value if disposition else "unanswered"] += 1
    return Report(paper, version, previous, [g for g in groups.values() if g.rows], counts)


# --- CSV ------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = (
    "thread_id",
    "thread_url",
    "section_key",
    "section",
    "kind",
    "author",
    "created",
    "quote",
    "body",
    "outcome",
    "response",
    "editor",
    "answered",
    "answered_in_version",
)


def safe_cell(value: Any) -> str:
    """A CSV cell shown as text by spreadsheets, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _moment(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def csv_lines(found: Report, thread_url) -> Iterator[str]:
    """The report as CSV lines: a header, then one record per thread, section by section.

    `thread_url(id)` gives the permalink of a thread. Bodies and responses are the Markdown
    as written; every cell is neutralised against formulas.
    """

    def line(values) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([safe_cell(v) for v in values])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for group in found.sections:
        for row in group.rows:
            thread, answer_ = row.thread, row.disposition
            yield line(
                (
                    thread.id,
                    thread_url(thread.id),
                    group.key or "",
                    group.heading,
                    thread.kind.value,
                    thread.author.display_name,
                    _moment(thread.created_at),
                    thread.quote_exact or "",
                    thread.body,
                    answer_.outcome.value if answer_ else "",
                    answer_.response if answer_ else "",
                    (answer_.editor.display_name if answer_.editor else "") if answer_ else "",
                    _moment(answer_.created_at) if answer_ else "",
                    (answer_.version.label if answer_.version else "") if answer_ else "",
                )
            )
