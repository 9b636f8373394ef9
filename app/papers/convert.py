"""Word-processor files (.docx, .odt) as paper sources, through pandoc.

Authors write in Word or LibreOffice; the site publishes Markdown with YAML front matter
(`app.papers.source`). `convert` turns a document into that Markdown's body: headings
become `#`, `##`, `###` sections, footnotes `[^n]`, tables pipe tables (or HTML tables
where a cell holds a list or several paragraphs), lists and emphasis stay what they are.
Images are not carried (a paper source has none): their description stays as text.

A document cannot carry what the front matter holds (version, change note, editors,
acknowledgement, ...). `source_text` writes the front matter from what the caller knows
(the previous version's, the form's fields) and `carry_keys` gives each heading the key
of the previous version's section with the same title, so that a section keeps its
threads' home across versions even though a document has no `{#key}`.

Hostile files are refused before pandoc sees them: a wrong extension, a file that is
not the zip archive its name promises, a damaged archive, one that unpacks to more than
`MAX_UNPACKED_BYTES` (a zip bomb); pandoc itself runs with `--sandbox` (it reads nothing
but the file) and a time limit. Every refusal is a `ConversionError` with a message for
the person who sent the file.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

from app.papers.source import HEADING, HEADING_KEY, HEADING_NUMBER

# The extensions a document may have, and pandoc's name for its reader.
FORMATS = {"docx": "docx", "odt": "odt"}
# Think Paper 1 is 26 kB as .docx; figures, which are not carried, make files larger. A
# request is refused above 2 MB anyway (MAX_CONTENT_LENGTH), so a document may be as
# large as a Markdown source.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# What the archive may unpack to (a zip bomb is small packed and huge unpacked).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 5000
# pandoc takes well under a second for a paper; a document that takes longer is refused.
PANDOC_TIMEOUT = 30.0
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

# GitHub-flavoured Markdown is what the paper parser reads: ATX headings, `[^n]`
# footnotes, pipe tables, and raw HTML tables where a pipe table cannot hold a cell.
WRITER = "gfm"
# The metadata as one JSON line, then the body.
TEMPLATE = "$meta-json$\n$body$\n"
# Images become their description (a paper source has no images); spans and divs (word
# processors' bookmarks and styles, which would come out as raw HTML) give way to their
# content.
FILTER = """
function Image(image)
  return image.caption
end
function Span(span)
  return span.content
end
function Div(div)
  return div.content
end
"""


class ConversionError(ValueError):
    """A document that cannot be converted, with why, for the person who sent it."""


@dataclass
class Converted:
    """A document as Markdown: its body, and the title, authors and date it says it has."""

    body: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: str | None = None


def document_format(filename: str) -> str | None:
    """pandoc's reader for a file name (`docx`, `odt`), or None when it is not a document."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    return FORMATS.get(suffix)


def check_document(data: bytes, fmt: str) -> None:
    """Refuse what is not a well-formed `fmt` archive of a reasonable size, before pandoc."""
    kind = ".docx" if fmt == "docx" else ".odt"
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ConversionError(f"the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    if not data.startswith(b"PK\x03\x04"):
        raise ConversionError(f"the file is not a {kind} document (it is not a zip archive)")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ConversionError(f"the {kind} archive holds too many files")
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise ConversionError(
                    f"the {kind} archive unpacks to more than "
                    f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB"
                )
            names = {entry.filename for entry in entries}
            if fmt == "docx" and not {"[Content_Types].xml", "word/document.xml"} <= names:
                raise ConversionError("the file is a zip archive but not a Word document (.docx)")
            if fmt == "odt" and (
                "content.xml" not in names
                or "mimetype" not in names
                or archive.read("mimetype").strip() != ODT_MIMETYPE
            ):
                raise ConversionError(
                    "the file is a zip archive but not an OpenDocument text (.odt)"
                )
            damaged = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as error:  # fmt: skip
        if isinstance(error, ConversionError):
            raise
        raise ConversionError(
            f"the {kind} file is damaged (its zip archive is unreadable)"
        ) from None
    if damaged is not None:
        raise ConversionError(f"the {kind} file is damaged ({damaged} cannot be read)")


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def convert(data: bytes, filename: str) -> Converted:
    """The document `data` (named `filename`) as paper Markdown, or `ConversionError`."""
    fmt = document_format(filename)
    if fmt is None:
        raise ConversionError("only .docx and .odt documents can be converted")
    check_document(data, fmt)
    with tempfile.TemporaryDirectory(prefix="tpc-convert-") as folder:
        where = Path(folder)
        document = where / f"document.{fmt}"
        document.write_bytes(data)
        (where / "template.md").write_text(TEMPLATE, encoding="utf-8")
        (where / "images.lua").write_text(FILTER, encoding="utf-8")
        command = [
            _pandoc(),
            "--sandbox",
            f"--from={fmt}",
            f"--to={WRITER}",
            "--wrap=none",
            "--standalone",
            f"--template={where / 'template.md'}",
            f"--lua-filter={where / 'images.lua'}",
            str(document),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - a fixed command on our own temporary file
                command, capture_output=True, timeout=PANDOC_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise ConversionError(
                f"converting the document took longer than {PANDOC_TIMEOUT:.0f} seconds"
            ) from None
        except OSError as error:
            raise ConversionError(f"the converter could not run ({error.strerror})") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConversionError(
            "the document could not be converted" + (f" ({why[-1][:200]})" if why else "")
        )
    output = done.stdout.decode("utf-8", "replace").replace("\r\n", "\n").replace("\x00", "")
    meta_line, _, body = output.partition("\n")
    try:
        meta = json.loads(meta_line) if meta_line.strip() else {}
    except ValueError:
        meta = {}
    return Converted(
        body=_tidy(body).strip() + "\n",
        title=_plain(meta.get("title")),
        authors=[a for a in (_plain(x) for x in _as_list(meta.get("author"))) if a],
        date=_plain(meta.get("date")),
    )


# What pandoc writes into an HTML table that a paper source does without: column widths,
# and a paragraph inside the caption (which would make the caption a block of its own in
# the section's text).
COLGROUP = re.compile(r"<colgroup>.*?</colgroup>\n?", re.S)
CAPTION = re.compile(r"<caption>\s*<p>(.*?)</p>\s*</caption>", re.S)
# A caption written as a paragraph just above an HTML table ("Table 1 ..."), as the .odt
# reader gives it, becomes the table's caption.
CAPTION_ABOVE = re.compile(r"^((?:Table|Tableau|Tabelle|Tabla) [0-9][^\n<|]*)\n\n<table>\n", re.M)


def _tidy(body: str) -> str:
    body = CAPTION.sub(r"<caption>\1</caption>", COLGROUP.sub("", body))
    return CAPTION_ABOVE.sub(r"<table>\n<caption>\1</caption>\n", body)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> str | None:
    """A metadata value (Markdown, as the writer rendered it) as one line of text."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).strip()
    return text or None


# --- the source around the body --------------------------------------------------------


def source_text(body: str, meta: dict[str, Any]) -> str:
    """A paper source: `meta` as YAML front matter (in the given order), then `body`."""
    front = yaml.safe_dump(
        meta, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000
    )
    return f"---\n{front}---\n\n{body.lstrip()}"


def document_meta(converted: Converted) -> dict[str, Any]:
    """The front matter a document carries by itself: its title, authors and date."""
    meta: dict[str, Any] = {}
    if converted.title:
        meta["title"] = converted.title
    if converted.authors:
        meta["authors"] = converted.authors
    if converted.date:
        meta["date"] = converted.date
    return meta


def _title_key(title: str) -> str:
    """A heading's title without its number, its `{#key}` and differences of case or space."""
    title = HEADING_KEY.sub("", title).strip()
    numbered = HEADING_NUMBER.match(title)
    if numbered:
        title = numbered.group(2)
    return " ".join(title.replace("\\", "").split()).casefold()


def carry_keys(body: str, sections: Iterable[tuple[str, str]]) -> str:
    """`body` with `{#key}` after every heading whose title (number aside) is the title of
    one of `sections` (key, title pairs, the previous version's): the section keeps its
    key, and so its threads, across versions. Headings with a key already keep theirs; a
    title that two earlier sections share is left alone, and so is a key already used."""
    keys: dict[str, str | None] = {}
    for key, title in sections:
        found = _title_key(title)
        keys[found] = None if found in keys else key
    used: set[str] = set()
    lines = body.split("\n")
    fence = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        heading = None if fence else HEADING.match(line)
        if heading is None or HEADING_KEY.search(heading.group(2)):
            continue
        key = keys.get(_title_key(heading.group(2)))
        if key and key not in used:
            used.add(key)
            lines[index] = f"{heading.group(1)} {heading.group(2)} {{#{key}}}"
    return "\n".join(lines)


def bump_version(label: str) -> str:
    """The next version's label after `label`: "5.0" → "5.1", "2" → "3"."""
    head, _, last = label.rpartition(".")
    if not re.fullmatch(r"\d+", last):
        return label
    return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
