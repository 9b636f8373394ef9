"""Word-processor files for the tests: Think Paper 1 (or a revision of it) as .docx and
.odt, made by pandoc from papers/think-paper-1/5.0.md, and hostile look-alikes.

The paper's Table 1 is an HTML table (its cells hold lists), which pandoc's Markdown
reader would keep as raw HTML that a .docx cannot hold: it is first rewritten as a pandoc
grid table, so that the document has a real table, as an author's would.
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pypandoc

PAPER = Path(__file__).resolve().parents[1] / "papers" / "think-paper-1" / "5.0.md"
HTML_TABLE = re.compile(r"<table>.*?</table>", re.S)
HEADING_KEY = re.compile(r"[ \t]*\{#[^}]*\}[ \t]*$", re.M)

# A revision of 5.0: one paragraph of section 2 rewritten, one heading renamed.
OLD_PARAGRAPH_START = "There is currently no model for organisational change"
NEW_PARAGRAPH = (
    "No model of organisational change has yet been made for the public sector alone. "
    "A specific public sector model is needed, and this paper says where to begin."
)
OLD_HEADING = "# 6 Summing up …"
NEW_HEADING = "# 6 In conclusion"


def paper_source() -> str:
    return PAPER.read_text(encoding="utf-8")


def body_of(source: str) -> str:
    """The Markdown after the front matter, as an author's document would hold it: no
    `{#key}` after headings, Table 1 as a table pandoc reads."""
    body = source.split("\n---\n", 1)[1]
    body = HTML_TABLE.sub(
        lambda m: pypandoc.convert_text(
            m.group(0), "markdown-smart", format="html", extra_args=["--wrap=none"]
        ),
        body,
    )
    return HEADING_KEY.sub("", body)


def revised_body() -> str:
    """The 5.0 body with a paragraph rewritten and the last heading renamed."""
    lines = body_of(paper_source()).split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(OLD_PARAGRAPH_START))
    lines[index] = NEW_PARAGRAPH
    heading = lines.index(OLD_HEADING)
    lines[heading] = NEW_HEADING
    return "\n".join(lines)


@functools.lru_cache(maxsize=8)
def document(fmt: str, revised: bool = False, replace: tuple[tuple[str, str], ...] = ()) -> bytes:
    """Think Paper 1 (5.0, or the revision) as a `fmt` ("docx" or "odt") file, with the
    words of `replace` (old, new pairs) replaced."""
    body = revised_body() if revised else body_of(paper_source())
    for old, new in replace:
        assert old in body, old
        body = body.replace(old, new, 1)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"paper.{fmt}"
        pypandoc.convert_text(body, fmt, format="markdown-smart", outputfile=str(out))
        return out.read_bytes()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """A copy of the zip archive `data` with some members' contents replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, replace.get(info.filename, src.read(info)))
    return out.getvalue()


def zip_bomb(names: tuple[str, ...] = ("[Content_Types].xml", "word/document.xml")) -> bytes:
    """A small .docx-looking archive whose document unpacks to 60 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names[:-1]:
            archive.writestr(name, b"<x/>")
        archive.writestr(names[-1], b"\0" * (60 * 1024 * 1024))
    return out.getvalue()
