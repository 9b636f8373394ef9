"""Paper sources: Markdown with YAML front matter, split into sections.

`parse_source` checks a whole source before anything is stored and reports the first
problem with the file and line it stands on. Sections are rendered once here, through
the one sanitiser, because a published version never changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.core.markdown import FOOTNOTE_REF, FootnoteRefExtension, html_to_text, render_markdown
from app.models import Paper, PaperVersion, Section
from app.models.limits import column_length, integer_range, shortest_length

VERSION_LABEL = re.compile(r"^\d{1,4}(?:\.\d{1,4}){0,3}$")
SECTION_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
HEADING = re.compile(r"^(#{1,3})[ \t]+(.*?)[ \t]*#*[ \t]*$")
HEADING_KEY = re.compile(r"[ \t]*\{#([^}]*)\}$")
HEADING_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.?[ \t]+(\S.*)$")
NOTE_START = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]?(.*)$")
FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
REQUIRED_FIELDS = ("title", "version", "authors", "date")
PREAMBLE_KEY = "preamble"
# Front matter fields that hold a link ("url", "source_link", "project_url", ...), at any
# depth: their values must be http(s) URLs, the only links a page builds from a source.
URL_FIELD = re.compile(r"^(?:.*[_-])?(?:url|uri|link|href|website|homepage)s?$", re.IGNORECASE)
LINK_SCHEMES = frozenset({"http", "https"})

# What the columns hold: a longer title or heading is refused with its line, not stored.
MAX_TITLE = shortest_length((Paper, "title"), (PaperVersion, "title"))
MAX_SERIES = column_length(Paper, "series")
MAX_HEADING = column_length(Section, "title")
MAX_SECTION_NUMBER = column_length(Section, "number")
MAX_SECTION_KEY = column_length(Section, "key")
NUMBER_RANGE = integer_range(Paper, "number")


class SourceError(ValueError):
    """A problem in a paper source, located by file and line."""

    def __init__(self, filename: str, line: int, message: str):
        self.filename, self.line, self.message = filename, line, message
        super().__init__(f"{filename}:{line}: {message}")


@dataclass
class NoteSource:
    label: str
    html: str
    text: str
    line: int


@dataclass
class SectionSource:
    key: str
    number: str | None
    title: str
    level: int
    position: int
    parent_key: str | None
    line: int
    markdown: str
    body_line: int = 0
    html: str = ""
    text: str = ""
    notes: list[NoteSource] = field(default_factory=list)


@dataclass
class PaperSource:
    filename: str
    meta: dict[str, Any]
    version: str
    sections: list[SectionSource]
    source: str
    sha256: str

    @property
    def title(self) -> str:
        return str(self.meta["title"])


def version_key(label: str) -> tuple[int, ...]:
    """Sort key of a version label: "5.10" comes after "5.9"."""
    return tuple(int(part) for part in label.split("."))


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w\s-]", "", text.lower(), flags=re.UNICODE)
    slug = re.sub(r"[\s_-]+", "-", slug).strip("-")
    return slug[:MAX_SECTION_KEY] or "section"


def parse_source(text: str, filename: str = "<source>") -> PaperSource:
    """Parse, check and render a whole paper source, or raise `SourceError`."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    meta, body_start = _front_matter(lines, filename)
    version = _check_meta(meta, lines, body_start, filename)
    body = lines[body_start:]
    notes, body_lines = _extract_notes(body, body_start, filename)
    sections = _split_sections(body_lines, filename)
    _check_references(sections, notes, filename)
    _render(sections, notes)
    return PaperSource(
        filename=filename,
        meta=meta,
        version=version,
        sections=sections,
        source=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _front_matter(lines: list[str], filename: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "---":
        raise SourceError(filename, 1, "no front matter: the file must begin with a line '---'")
    for index in range(1, len(lines)):
        if lines[index].strip() in {"---", "..."}:
            break
    else:
        raise SourceError(filename, 1, "the front matter that begins here is never closed by '---'")
    try:
        meta = yaml.safe_load("\n".join(lines[1:index]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise SourceError(filename, line, f"front matter is not valid YAML: {problem}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SourceError(filename, 2, "front matter must be a set of 'name: value' fields")
    return meta, index + 1


def _field_line(lines: list[str], body_start: int, name: str) -> int:
    for number, line in enumerate(lines[:body_start], start=1):
        if re.match(rf"^{re.escape(name)}\s*:", line):
            return number
    return 1


def _check_meta(meta: dict[str, Any], lines: list[str], body_start: int, filename: str) -> str:
    for name in REQUIRED_FIELDS:
        if meta.get(name) in (None, "", []):
            raise SourceError(filename, 1, f"front matter has no '{name}'")

    def fail(name: str, message: str):
        raise SourceError(filename, _field_line(lines, body_start, name), message)

    for name, value in meta.items():
        if not _storable(value):
            fail(
                str(name),
                f"{name} contains a character that cannot be stored "
                "(U+0000 or an unpaired surrogate)",
            )
    version = meta["version"]
    if not isinstance(version, str):
        fail("version", f'version must be a quoted string such as "5.0", not {version!r}')
    if not VERSION_LABEL.match(version):
        fail("version", f"version {version!r} is not a number such as 5.0 or 5.1")
    if not isinstance(meta["title"], str):
        fail("title", "title must be text")
    if len(meta["title"]) > MAX_TITLE:
        fail("title", f"title is longer than {MAX_TITLE} characters")
    authors = meta["authors"]
    if isinstance(authors, str):
        meta["authors"] = [authors]
    elif not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        fail("authors", "authors must be a list of names")
    editors = meta.get("editors") or []
    if isinstance(editors, str):
        editors = [editors]
    if not isinstance(editors, list) or not all(isinstance(e, str) for e in editors):
        fail("editors", "editors must be a list of names")
    meta["editors"] = editors
    if not isinstance(meta["date"], dt.date) or isinstance(meta["date"], dt.datetime):
        fail("date", f"date must be an ISO date such as 2006-10-24, not {meta['date']!r}")
    number = meta.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        fail("number", "number must be a whole number")
    if number is not None and not NUMBER_RANGE[0] <= number <= NUMBER_RANGE[1]:
        fail("number", f"number must lie between {NUMBER_RANGE[0]} and {NUMBER_RANGE[1]}")
    period = meta.get("comment_period")
    if period is not None:
        if not isinstance(period, dict):
            fail("comment_period", "comment_period must have 'opens' and 'closes' dates")
        for name in ("opens", "closes"):
            value = period.get(name)
            if value is not None and (
                not isinstance(value, dt.date) or isinstance(value, dt.datetime)
            ):
                fail("comment_period", f"comment_period {name} must be an ISO date")
        opens, closes = period.get("opens"), period.get("closes")
        if opens and closes and closes < opens:
            fail("comment_period", "comment_period closes before it opens")
    for name in ("acknowledgement", "change_note", "series"):
        if meta.get(name) is not None and not isinstance(meta[name], str):
            fail(name, f"{name} must be text")
    for name, path, value in _url_fields(meta):
        if not is_http_url(value):
            fail(
                name,
                f"{path} must be an http or https address such as https://example.org/, "
                f"not {value!r}",
            )
    if len(meta.get("series") or "") > MAX_SERIES:
        fail("series", f"series is longer than {MAX_SERIES} characters")
    return version


def is_http_url(value: Any) -> bool:
    """Whether `value` is an absolute http(s) URL, with a host and nothing a browser ignores."""
    if not isinstance(value, str) or not value or re.search(r"[\x00-\x20\x7f-\x9f]", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.hostname)


def _url_fields(value: Any, path: str = "", top: str = ""):
    """(top-level field, path, value) of every link-holding field of the front matter."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            where = f"{path}.{name}" if path else name
            if URL_FIELD.match(name):
                items = item if isinstance(item, list) else [item]
                for entry in items:
                    if entry is not None:
                        yield top or name, where, entry
            else:
                yield from _url_fields(item, where, top or name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _url_fields(item, f"{path}[{index}]", top)


def _storable(value: Any) -> bool:
    """No text in a front matter value holds U+0000 or a lone surrogate (YAML's escapes
    "\\0" and "\\ud800" make them), which a database refuses."""
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _extract_notes(
    body: list[str], offset: int, filename: str
) -> tuple[dict[str, tuple[str, int]], list[tuple[int, str]]]:
    """Take the footnote definitions out of the body; return them and the other lines."""
    notes: dict[str, tuple[str, int]] = {}
    kept: list[tuple[int, str]] = []
    fence: str | None = None
    current: str | None = None
    for index, line in enumerate(body):
        number = offset + index + 1
        fence_match = FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            kept.append((number, line))
            continue
        if fence_match:
            fence, current = fence_match.group(1), None
            kept.append((number, line))
            continue
        start = NOTE_START.match(line)
        if start:
            label = start.group(1)
            if label in notes:
                first = notes[label][1]
                raise SourceError(
                    filename,
                    number,
                    f"footnote [^{label}] is defined twice (first on line {first})",
                )
            notes[label] = (start.group(2), number)
            current = label
            continue
        if current is not None and (line.startswith(("    ", "\t")) or not line.strip()):
            if line.strip():
                text, first_line = notes[current]
                notes[current] = (f"{text}\n{line.strip()}", first_line)
            continue
        current = None
        kept.append((number, line))
    return notes, kept


def _split_sections(body: list[tuple[int, str]], filename: str) -> list[SectionSource]:
    sections: list[SectionSource] = []
    preamble: list[str] = []
    current: list[str] = preamble
    bodies: list[list[str]] = []
    fence: str | None = None
    first_line = body[0][0] if body else 1
    for number, line in body:
        fence_match = FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            current.append(line)
            continue
        if fence_match:
            fence = fence_match.group(1)
            current.append(line)
            continue
        heading = HEADING.match(line)
        if not heading:
            current.append(line)
            continue
        level, title = len(heading.group(1)), heading.group(2)
        key = None
        key_match = HEADING_KEY.search(title)
        if key_match:
            key, title = key_match.group(1), title[: key_match.start()].rstrip()
            if len(key) > MAX_SECTION_KEY:
                raise SourceError(
                    filename, number, f"section key is longer than {MAX_SECTION_KEY} characters"
                )
            if not SECTION_KEY.match(key):
                raise SourceError(
                    filename,
                    number,
                    f"section key {{#{key}}} may use only letters, digits, '-' and '_'",
                )
        section_number = None
        numbered = HEADING_NUMBER.match(title)
        if numbered:
            section_number, title = numbered.group(1), numbered.group(2)
        if not title.strip():
            raise SourceError(filename, number, "heading has no title")
        if len(title.strip()) > MAX_HEADING:
            raise SourceError(filename, number, f"heading is longer than {MAX_HEADING} characters")
        if section_number is not None and len(section_number) > MAX_SECTION_NUMBER:
            raise SourceError(
                filename,
                number,
                f"section number is longer than {MAX_SECTION_NUMBER} characters",
            )
        sections.append(
            SectionSource(
                key=key or slugify(title),
                number=section_number,
                title=title.strip(),
                level=level,
                position=0,
                parent_key=None,
                line=number,
                markdown="",
            )
        )
        current = []
        bodies.append(current)

    if "\n".join(preamble).strip():
        sections.insert(
            0,
            SectionSource(
                key=PREAMBLE_KEY,
                number=None,
                title="Preamble",
                level=1,
                position=0,
                parent_key=None,
                line=first_line,
                markdown="",
            ),
        )
        bodies.insert(0, preamble)
    if not sections:
        raise SourceError(filename, first_line, "the paper has no text")

    seen: dict[str, int] = {}
    stack: list[SectionSource] = []
    for position, (section, lines) in enumerate(zip(sections, bodies, strict=True)):
        if section.key in seen:
            raise SourceError(
                filename,
                section.line,
                f"duplicate section key '{section.key}' (first used on line {seen[section.key]})",
            )
        seen[section.key] = section.line
        section.position = position
        section.markdown = "\n".join(lines)
        section.body_line = first_line if section.key == PREAMBLE_KEY else section.line + 1
        if section.key != PREAMBLE_KEY:
            while stack and stack[-1].level >= section.level:
                stack.pop()
            section.parent_key = stack[-1].key if stack else None
            stack.append(section)
    return sections


def _references(section: SectionSource) -> list[tuple[str, int]]:
    """Footnote references in a section body, with their line numbers, in order."""
    found = []
    fence: str | None = None
    for offset, line in enumerate(section.markdown.split("\n")):
        fence_match = FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        found.extend((m.group(1), section.body_line + offset) for m in FOOTNOTE_REF.finditer(line))
    return found


def _check_references(
    sections: list[SectionSource], notes: dict[str, tuple[str, int]], filename: str
) -> None:
    """Every reference has a note and every note is referenced; notes go where first cited."""
    cited: set[str] = set()
    for section in sections:
        for label, line in _references(section):
            if label not in notes:
                raise SourceError(filename, line, f"footnote reference [^{label}] has no note")
            if label not in cited:
                cited.add(label)
                section.notes.append(NoteSource(label, notes[label][0], "", notes[label][1]))
    for label, (_, line) in notes.items():
        if label not in cited:
            raise SourceError(filename, line, f"footnote [^{label}] is never referenced")


def _render(sections: list[SectionSource], notes: dict[str, tuple[str, int]]) -> None:
    footnotes = FootnoteRefExtension()
    for section in sections:
        section.html = render_markdown(section.markdown, footnotes=footnotes)
        section.text = html_to_text(section.html)
        for note in section.notes:
            note.html = render_markdown(note.html)
            note.text = html_to_text(note.html).strip()
