"""A new version from a word-processor file: the document's text, the previous version's
front matter.

A .docx or .odt carries the text of a paper (`app.papers.convert`) but not what its
front matter says. The next version's front matter is therefore the latest published
version's (title, number, series, authors, editors, acknowledgement, links ...), with:

- `version`: the one the editor gave, or the latest's with its last number raised
  ("5.0" → "5.1");
- `date`: the day of the conversion (UTC);
- `change_note`: the one the editor gave (none otherwise: the preview then asks for it);
- no `comment_period`: publishing a source sets the paper's period from it, and the
  period is the editors' to move on its own page, not something a document brings back.

The document's own title and authors (its properties) are left aside: they are often a
template's or the last person's who saved the file. Every heading whose title is one of
the latest version's gets that section's key, so that the section stays the same section.
The editor sees all of it in the preview's text box and may correct anything there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from sqlalchemy import select

from app.extensions import db
from app.models import Paper, PaperVersion, Section
from app.papers import convert
from app.papers.convert import ConversionError

__all__ = [
    "ConversionError",
    "document_source",
    "is_document",
    "latest_version",
    "source_from_document",
]

# Front matter fields that belong to one version only, or that a source must not move.
NOT_CARRIED = frozenset({"version", "date", "change_note", "comment_period"})


def is_document(filename: str | None) -> bool:
    """Whether `filename` names a word-processor file (.docx, .odt) to convert."""
    return convert.document_format(filename or "") is not None


def front_matter(source: str) -> dict[str, Any]:
    """The YAML front matter of a stored source, as a dict (empty when it has none)."""
    lines = source.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        return {}
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def latest_version(paper_slug: str) -> PaperVersion | None:
    """The latest published version of a paper (one query), or None."""
    return db.session.scalar(
        select(PaperVersion)
        .join(Paper, PaperVersion.paper_id == Paper.id)
        .where(Paper.slug == paper_slug)
        .order_by(PaperVersion.sequence.desc())
        .limit(1)
    )


def source_from_document(paper_slug: str, data: bytes, filename: str, *,
                         version: str | None = None, change_note: str | None = None,
                         today: dt.date | None = None) -> str:  # fmt: skip
    """The paper source (front matter and Markdown) of the next version of `paper_slug`
    made from the document `data`; `ConversionError` when it cannot be converted.
    Reads two queries; stores nothing."""
    converted = convert.convert(data, filename)
    latest = latest_version(paper_slug)
    if latest is None:
        meta = convert.document_meta(converted)
        body = converted.body
    else:
        previous = front_matter(latest.source)
        meta = {k: v for k, v in previous.items() if k not in NOT_CARRIED}
        meta.setdefault("title", latest.title)
        sections = db.session.execute(
            select(Section.key, Section.title).where(Section.version_id == latest.id)
        ).all()
        body = convert.carry_keys(converted.body, [(key, title) for key, title in sections])
    label = (version or "").strip() or (convert.bump_version(latest.label) if latest else "1.0")
    meta["version"] = label
    meta["date"] = today or dt.datetime.now(dt.UTC).date()
    note = (change_note or "").strip()
    if note:
        meta["change_note"] = note
    return convert.source_text(body, meta)


def document_source(data: bytes, filename: str) -> str:
    """A document as Markdown, with front matter only for what it says of itself (title,
    authors, date): `flask papers convert` without a paper. `ConversionError` when it
    cannot be converted."""
    converted = convert.convert(data, filename)
    meta = convert.document_meta(converted)
    return convert.source_text(converted.body, meta) if meta else converted.body
