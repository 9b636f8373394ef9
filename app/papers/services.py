"""Storing paper versions: reading a source file, checking that it may be the next
version of its paper, and adding the version with its sections. Services add and flush;
the request or command that calls them commits.

Carrying the threads of the previous version forward is the editors' part of publishing
(`app.editor.publishing`), which stores versions through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.extensions import db
from app.models import Paper, PaperVersion, Section, User
from app.papers import queries
from app.papers.source import (
    PaperSource,
    SectionSource,
    SourceError,
    parse_source,
    version_key,
)


def source_files(path: Path) -> list[Path]:
    """A folder `papers/<slug>/` gives its versions in version order; a file gives itself."""
    if path.is_dir():
        files = [p for p in path.glob("*.md") if p.is_file()]

        def order(p: Path):
            try:
                return (0, version_key(p.stem))
            except ValueError:
                return (1, (0,))

        return sorted(files, key=order)
    return [path]


def read_source(path: Path) -> tuple[str, PaperSource]:
    """Read and parse `papers/<slug>/<version>.md`; the folder names the paper."""
    filename = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(filename, 1, f"the file is not UTF-8 ({error.reason})") from None
    except OSError as error:
        raise SourceError(filename, 1, f"cannot read the file: {error.strerror}") from None
    parsed = parse_source(text, filename)
    if path.stem != parsed.version:
        raise SourceError(
            filename,
            1,
            f"the file name says version {path.stem} but its front matter says {parsed.version}",
        )
    slug = path.resolve().parent.name
    return slug, parsed


class VersionConflict(SourceError):
    """The version cannot be published next to those already published: its label is
    taken (identically or not), or it is older than the latest."""


@dataclass
class VersionCheck:
    """What `check_version` found: the paper (None for a new one), its latest version,
    and whether this very source is already published under its label."""

    slug: str
    paper: Paper | None
    latest: PaperVersion | None
    unchanged: bool


def field_line(parsed: PaperSource, name: str) -> int:
    """The line of a front matter field (1 when it is not there)."""
    lines = parsed.source.split("\n")
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() in {"---", "..."}:
            break
        if line.startswith(f"{name}:"):
            return number
    return 1


def check_version(slug: str, parsed: PaperSource) -> VersionCheck:
    """Check, without writing, that a parsed version may be stored as the next version of
    paper `slug`; raise `SourceError` (`VersionConflict` for a taken or older label).

    An unchanged version is no error (`unchanged`): importing it again changes nothing.
    A changed published version, or one older than the latest, is refused, because
    published versions never change; after the first version a change note is required.
    """
    found = queries.version_by_label(slug, parsed.version)
    paper = found.paper if found else None
    existing = found.version if found else None
    latest = found.versions[-1] if found else None
    if existing is not None:
        if existing.source_sha256 == parsed.sha256:
            return VersionCheck(slug, paper, latest, unchanged=True)
        raise VersionConflict(
            parsed.filename,
            field_line(parsed, "version"),
            f"version {parsed.version} of '{slug}' is already published and differs from this "
            "file; published versions never change, so publish the change as a new version",
        )
    if latest is not None:
        if version_key(parsed.version) <= version_key(latest.label):
            raise VersionConflict(
                parsed.filename,
                field_line(parsed, "version"),
                f"version {parsed.version} is older than the latest published version "
                f"{latest.label} of '{slug}'",
            )
        if not (parsed.meta.get("change_note") or "").strip():
            raise SourceError(
                parsed.filename, 1, "front matter has no 'change_note' (required after version 1)"
            )
    return VersionCheck(slug, paper, latest, unchanged=False)


def add_version(check: VersionCheck, parsed: PaperSource, *, published_by: User | None = None
                ) -> PaperVersion:  # fmt: skip
    """Add a checked version and its sections (and the paper, when new); flush."""
    slug, paper, latest = check.slug, check.paper, check.latest
    meta = parsed.meta
    if paper is None:
        paper = Paper(slug=slug, title=parsed.title)
        db.session.add(paper)
    paper.title = parsed.title
    paper.number = meta.get("number")
    paper.series = meta.get("series") or ""
    period = meta.get("comment_period") or {}
    if "comment_period" in meta:
        paper.comment_opens = period.get("opens")
        paper.comment_closes = period.get("closes")

    details = {
        key: value
        for key, value in meta.items()
        if key
        not in {"title", "version", "authors", "editors", "date", "acknowledgement",
                "change_note", "comment_period", "number", "series"}
        and isinstance(value, str | int | float | bool | list)
    }  # fmt: skip
    version = PaperVersion(
        paper=paper,
        label=parsed.version,
        sequence=(latest.sequence + 1) if latest else 1,
        title=parsed.title,
        authors=list(meta["authors"]),
        editors=list(meta.get("editors") or []),
        details=details,
        acknowledgement=(meta.get("acknowledgement") or "").strip(),
        date=meta["date"],
        change_note=(meta.get("change_note") or "").strip(),
        source=parsed.source,
        source_sha256=parsed.sha256,
        published_by_id=published_by.id if published_by else None,
    )
    db.session.add(version)
    version.sections.extend(section_row(s) for s in parsed.sections)
    db.session.flush()
    return version


# What a stored section keeps of its source, as it was parsed (notes apart).
SECTION_FIELDS = ("key", "number", "title", "level", "position", "parent_key", "html", "text")


def section_row(parsed: SectionSource) -> Section:
    """The stored section of a parsed one, with its notes."""
    notes = [{"label": n.label, "html": n.html, "text": n.text} for n in parsed.notes]
    return Section(**{name: getattr(parsed, name) for name in SECTION_FIELDS}, notes=notes)
