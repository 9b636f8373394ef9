"""Publishing a new version: a preview that stores nothing, then an atomic publish.

`preview` parses a source, runs the same checks as storing it (without writing), and says
what would change: which sections were added, removed, renamed, moved or changed
(`app.papers.correspondence`), and where each thread of the latest version would land in
the new one (`app.annotations.carrying`). `publish` stores the version, its sections and
the anchors of the carried threads; like every service it adds and flushes, and the
request or command that called it commits once (`app.core.transaction`), or rolls back
when anything raised, so that a failure half-way leaves no version, no sections and no
anchors.

The editor area, the API (`POST /api/v1/papers/{slug}/versions`) and `flask papers import`
(`import_paths`) all publish through here. Publishing is the editors' work, and it sits
above the margin (`app.annotations.carrying`) because it carries the threads forward.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.annotations import carrying
from app.extensions import db
from app.models import Anchor, AnchorStatus, Paper, PaperVersion, Section, User
from app.notifications import events as notifications
from app.papers import compare, services
from app.papers.correspondence import Correspondence, SectionFate, SectionInfo, correspond
from app.papers.services import VersionConflict
from app.papers.source import PaperSource, SourceError, parse_source

if TYPE_CHECKING:
    from app.models import Annotation
    from app.papers.reanchoring import Placement

ANCHOR_STATUSES = tuple(status.value for status in AnchorStatus)


class PreviewMismatch(ValueError):
    """The source sent to be published is not the one that was previewed."""


@dataclass(frozen=True)
class SectionChange:
    """One row of the preview's table of sections.

    `labels` says everything that happened to it, most telling first: `added`,
    `removed`, `renamed` (another heading, with or without another key), `moved` (another
    place in the order), `changed` (other words); `unchanged` when none of these.
    """

    row: Correspondence
    labels: tuple[str, ...]

    @property
    def fate(self) -> str:
        return self.labels[0]

    @property
    def old(self) -> SectionInfo | None:
        return self.row.old

    @property
    def new(self) -> SectionInfo | None:
        return self.row.new

    @property
    def similarity(self) -> float:
        return self.row.similarity


@dataclass(frozen=True)
class Landing:
    """Where one thread of the latest version would stand in the new one."""

    annotation: Annotation
    placement: Placement
    old_section: SectionInfo | None
    new_section: SectionInfo | None

    @property
    def status(self) -> str:
        """The placement's status, by name (`exact`, `moved`, `fuzzy`, `applied`, `orphaned`)."""
        return self.placement.status.value


@dataclass
class Preview:
    """What publishing a source would do. `error` is set (and the rest mostly empty) when
    the source cannot be published."""

    slug: str
    filename: str
    source: str
    parsed: PaperSource | None = None
    error: SourceError | None = None
    paper: Paper | None = None
    previous: PaperVersion | None = None
    changes: list[SectionChange] = field(default_factory=list)
    landings: list[Landing] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANCHOR_STATUSES, 0))
    # The text against the latest version, section by section and word by word.
    diff: list[compare.Row] = field(default_factory=list)
    diff_summary: compare.Summary | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.parsed is not None

    @property
    def version(self) -> str | None:
        return self.parsed.version if self.parsed else None

    @property
    def change_note(self) -> str:
        return ((self.parsed.meta.get("change_note") or "") if self.parsed else "").strip()

    @property
    def sha256(self) -> str | None:
        return self.parsed.sha256 if self.parsed else None

    @property
    def error_line_text(self) -> str | None:
        """The text of the line an error stands on, to show next to its message."""
        if self.error is None:
            return None
        lines = self.source.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        rows = lines.split("\n")
        if 1 <= self.error.line <= len(rows):
            return rows[self.error.line - 1]
        return None

    @property
    def applied(self) -> list[Landing]:
        """The suggestions whose proposed wording the new text takes up."""
        return [landing for landing in self.landings if landing.status == "applied"]

    def change_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            for label in change.labels:
                counts[label] = counts.get(label, 0) + 1
        return counts


# --- the change note ---------------------------------------------------------------------


def with_change_note(text: str, note: str | None) -> str:
    """The source with its front matter's `change_note` set to `note` (unchanged when the
    note is blank or the source has no front matter).

    The field is rewritten in the source itself, so that the stored source always says
    what the version's change note is. An existing `change_note` (with any continuation
    lines) is replaced in place; otherwise the field is added at the end of the front
    matter.
    """
    return _set_change_note(text, note)[0]


def _set_change_note(text: str, note: str | None) -> tuple[str, int, int]:
    """`with_change_note`, and how lines moved: lines after line `after` of the original
    are `shift` lines further down in the result."""
    note = (note or "").strip()
    if not note:
        return text, 0, 0
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].strip() != "---":
        return text, 0, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        return text, 0, 0
    # A JSON string is a valid YAML double-quoted scalar.
    note_line = "change_note: " + json.dumps(note, ensure_ascii=False)
    head = lines[1:end]
    start = next((i for i, line in enumerate(head) if line.startswith("change_note:")), None)
    if start is None:
        head.append(note_line)
        after, shift = end, 1  # the closing line (1-based: end + 1) and all below move
    else:
        stop = start + 1
        while stop < len(head) and (head[stop][:1] in {" ", "\t"} or not head[stop].strip()):
            stop += 1
        head[start:stop] = [note_line]
        after, shift = start + 2, 1 - (stop - start)
    return "\n".join([lines[0], *head, *lines[end:]]), after, shift


# --- preview -----------------------------------------------------------------------------


def section_infos(sections) -> list[SectionInfo]:
    """`SectionInfo`s of stored sections or of parsed ones (both have key, title, text,
    number)."""
    return [SectionInfo(s.key, s.title, s.text, s.number) for s in sections]


def _labels(row: Correspondence) -> tuple[str, ...]:
    if row.fate is SectionFate.ADDED:
        return ("added",)
    if row.fate is SectionFate.REMOVED:
        return ("removed",)
    labels = []
    if row.fate is SectionFate.RENAMED or row.retitled:
        labels.append("renamed")
    if row.fate is SectionFate.MOVED:
        labels.append("moved")
    if row.text_changed:
        labels.append("changed")
    return tuple(labels) or ("unchanged",)


def _stored_sections(version: PaperVersion) -> list[Section]:
    return list(
        db.session.scalars(
            select(Section).where(Section.version_id == version.id).order_by(Section.position)
        )
    )


def preview(paper_slug: str, source_text: str, filename: str = "<source>", *,
            change_note: str | None = None) -> Preview:  # fmt: skip
    """What publishing `source_text` as the next version of `paper_slug` would do.

    Stores nothing: parsing, the checks of `services.check_version` and the plans of
    correspondence and carrying only read. A source that cannot be published comes back
    with `error` (a `SourceError`, with its line) instead of raising.

    A `change_note` replaces the front matter's (`with_change_note`): `parsed.source` is
    then the rewritten source, the one to publish, while `source` and the lines of errors
    stay those of `source_text` as written.
    """
    result = Preview(slug=paper_slug, filename=filename, source=source_text)
    result.paper = db.session.scalar(select(Paper).where(Paper.slug == paper_slug))
    text, after, shift = _set_change_note(source_text, change_note)
    try:
        parsed = parse_source(text, filename)
        result.parsed = parsed
        check = services.check_version(paper_slug, parsed)
        if check.unchanged:
            raise _already_published(paper_slug, parsed)
    except SourceError as error:
        if shift and error.line > after:
            error = type(error)(error.filename, max(error.line - shift, 1), error.message)
        result.error = error
        return result
    result.previous = check.latest
    if check.latest is None:
        result.changes = [
            SectionChange(Correspondence(SectionFate.ADDED, None, s, 0.0), ("added",))
            for s in section_infos(parsed.sections)
        ]
        return result

    stored = _stored_sections(check.latest)
    new_infos = section_infos(parsed.sections)
    old_infos = section_infos(stored)
    result.diff, result.diff_summary = compare.compare_sections(
        compare.sides(stored), compare.sides(parsed.sections)
    )
    result.changes = [SectionChange(row, _labels(row)) for row in correspond(old_infos, new_infos)]

    plan = carrying.plan(check.latest, new_infos)
    old_by_key = {s.key: s for s in old_infos}
    new_by_key = {s.key: s for s in new_infos}
    stands_in = _sections_in(check.latest, [annotation for annotation, _ in plan.placements])
    result.landings = [
        Landing(
            annotation,
            placement,
            old_by_key.get(stands_in.get(annotation.id, annotation.section_key)),
            new_by_key.get(placement.section_key) if placement.section_key else None,
        )
        for annotation, placement in plan.placements
    ]
    result.counts = plan.counts
    return result


def _sections_in(previous: PaperVersion, annotations: list[Annotation]) -> dict[int, str]:
    """The section each thread stands in within `previous`: its own for threads made on
    it, its anchor's for threads carried into it (one query)."""
    carried = [a.id for a in annotations if a.version_id != previous.id]
    found = {a.id: a.section_key for a in annotations}
    if carried:
        rows = db.session.execute(
            select(Anchor.annotation_id, Anchor.section_key).where(
                Anchor.version_id == previous.id, Anchor.annotation_id.in_(carried)
            )
        )
        found.update({annotation_id: key for annotation_id, key in rows if key})
    return found


def _already_published(slug: str, parsed: PaperSource) -> VersionConflict:
    return VersionConflict(
        parsed.filename,
        services.field_line(parsed, "version"),
        f"version {parsed.version} of '{slug}' is already published (this very source); "
        "a new version needs a new version number",
    )


# --- publish -----------------------------------------------------------------------------


def publish(editor: User | None, paper_slug: str, source_text: str, filename: str = "<source>",
            expected_sha256: str | None = None) -> tuple[PaperVersion, dict[str, int]]:  # fmt: skip
    """Publish `source_text` as the next version of `paper_slug`, carrying the threads of
    the latest version forward; return the new version and the counts of where its
    threads landed (exact, moved, fuzzy, applied, orphaned).

    Raises `SourceError` (`VersionConflict` for a label already published, even with the
    same source, or older than the latest) and `PreviewMismatch` when `expected_sha256` is
    given and is not the source's. Adds and flushes; the request commits once, or rolls
    back on any exception, so that nothing of a failed publication remains.
    """
    parsed = parse_source(source_text, filename)
    if expected_sha256 is not None and expected_sha256 != parsed.sha256:
        raise PreviewMismatch(
            "The source to publish is not the one that was previewed; preview it again."
        )
    check = services.check_version(paper_slug, parsed)
    if check.unchanged:
        raise _already_published(paper_slug, parsed)
    return _store(check, parsed, editor)


# --- import from files -------------------------------------------------------------------


class ImportStatus(enum.StrEnum):
    IMPORTED = "imported"
    UNCHANGED = "unchanged"  # this very source is already published under its label


@dataclass
class ImportResult:
    slug: str
    version: str
    status: ImportStatus
    sections: int


def import_paths(paths: list[Path]) -> list[ImportResult]:
    """`flask papers import`: check every source first, then store them in order; any
    error stores nothing (the command commits once, at the end).

    A later version is published as from the editor's page: the threads of the version
    before it are carried forward.
    """
    parsed = [services.read_source(file) for path in paths for file in services.source_files(path)]
    return [import_version(slug, source) for slug, source in parsed]


def import_version(slug: str, parsed: PaperSource) -> ImportResult:
    """Store a version read from a file (an unchanged one changes nothing; a changed
    published one, or one older than the latest, is refused) and carry the threads of
    the version before it."""
    check = services.check_version(slug, parsed)
    if check.unchanged:
        return ImportResult(slug, parsed.version, ImportStatus.UNCHANGED, len(parsed.sections))
    _store(check, parsed, None)
    return ImportResult(slug, parsed.version, ImportStatus.IMPORTED, len(parsed.sections))


def _store(check: services.VersionCheck, parsed: PaperSource, editor: User | None
           ) -> tuple[PaperVersion, dict[str, int]]:  # fmt: skip
    """Store a checked version and carry the threads of the one before it: the one way
    a version is stored, whether published from the editor's page, the API or a file.
    Adds and flushes; never commits or rolls back."""
    plan = None
    if check.latest is not None:
        # Planned before the new version exists: it reads the latest version's threads.
        plan = carrying.plan(check.latest, section_infos(parsed.sections))
    try:
        # In a savepoint: a lost race leaves the session usable, to preview again.
        with db.session.begin_nested():
            version = services.add_version(check, parsed, published_by=editor)
    except IntegrityError:  # another publication of this paper won the race
        raise VersionConflict(
            parsed.filename,
            services.field_line(parsed, "version"),
            f"another version of '{check.slug}' was published at the same moment; "
            "preview again to see it",
        ) from None
    counts = dict.fromkeys(ANCHOR_STATUSES, 0)
    if plan is not None:
        carrying.store(plan, version)
        counts = plan.counts
    db.session.flush()
    notifications.version_published(version, editor)
    return version, counts
