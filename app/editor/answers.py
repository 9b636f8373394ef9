"""The report of answers of a version: its threads, section by section, each with the
editors' current answer — the document editors send to the Commission.

The threads are those anyone reads on the version as words (`published_words`), made
on it or carried into it, each in the section where it stands there; those whose section
did not survive come last, as comments on earlier text. One query for the sections, one
for the threads with their author, place and current answer, whatever their number.

The same rows go out as a page, as CSV (every cell through `safe_cell`, so that no
spreadsheet runs one as a formula) and as word-processor files: an HTML rendering of the
report, with every participant's words escaped as text, that pandoc turns into `.docx`
or `.odt`. Pandoc runs with `--sandbox` (it reads and fetches nothing beyond its input),
and characters that XML cannot hold are dropped from the words first, so that no comment
can break the file.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pypandoc
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.annotations.dispositions import safe_cell
from app.annotations.queries import placed_roots, published_words
from app.core.i18n import gettext as _
from app.extensions import db
from app.models import Anchor, Annotation, Disposition, PaperVersion, Section, User

# Characters XML 1.0 cannot hold (a word-processor file is XML inside a zip).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMATS = {"docx": "docx", "odt": "odt"}
MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


@dataclass(frozen=True)
class Row:
    """A thread with its editors' answer (`outcome` None: not answered yet)."""

    id: int
    kind: str
    quote: str | None
    body: str
    created: datetime
    author: str
    stakeholder_type: str
    outcome: str | None
    response: str
    answered_in: str | None


@dataclass
class Group:
    key: str | None  # None: comments on text the version no longer has
    heading: str
    rows: list[Row] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"section-{self.key}" if self.key is not None else "earlier-text"


@dataclass
class Report:
    groups: list[Group]  # every section of the version in order, then the earlier text

    @property
    def total(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def answered(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if r.outcome is not None)


def build(version: PaperVersion) -> Report:
    """The threads of the version with their answers, section by section: two queries."""
    groups = {
        key: Group(key, f"{number} {title}" if number else title)
        for key, number, title in db.session.execute(
            select(Section.key, Section.number, Section.title)
            .where(Section.version_id == version.id)
            .order_by(Section.position)
        )
    }
    earlier = Group(None, _("Comments on earlier text"))
    placed = placed_roots(version.id)
    latest = aliased(Disposition)
    current = (
        select(func.max(latest.id)).where(latest.annotation_id == Annotation.id).scalar_subquery()
    )
    answering = aliased(PaperVersion)
    rows = db.session.execute(
        select(
            Annotation.id,
            placed.c.key,
            Annotation.kind,
            func.coalesce(Anchor.exact, Annotation.quote_exact),
            Annotation.body,
            Annotation.created_at,
            User.stored_name,
            User.anonymised_at,
            User.stakeholder_type,
            Disposition.outcome,
            Disposition.response,
            answering.label,
        )
        .join(placed, placed.c.root_id == Annotation.id)
        .join(User, User.id == Annotation.author_id)
        .outerjoin(Anchor, Anchor.id == placed.c.anchor_id)
        .outerjoin(Disposition, Disposition.id == current)
        .outerjoin(answering, answering.id == Disposition.version_id)
        .where(published_words())
        .order_by(placed.c.start.is_not(None), placed.c.start, Annotation.id)
    ).all()
    for (
        id_,
        key,
        kind,
        quote,
        body,
        created,
        name,
        gone,
        stakeholder,
        outcome,
        response,
        in_,
    ) in rows:
        group = groups.get(key, earlier) if key is not None else earlier
        group.rows.append(
            Row(
                id=id_,
                kind=kind.value,
                quote=quote,
                body=body,
                created=created,
                author=_("Former participant") if gone is not None else name,
                stakeholder_type=stakeholder.value,
                outcome=outcome.value if outcome is not None else None,
                response=response or "",
                answered_in=in_,
            )
        )
    return Report([*groups.values(), earlier])


# --- CSV -----------------------------------------------------------------------------------

CSV_HEADER = (
    "thread_id",
    "thread_url",
    "section_key",
    "section",
    "kind",
    "quote",
    "comment",
    "author",
    "stakeholder_type",
    "outcome",
    "response",
    "answered_in_version",
)


def csv_lines(report: Report, thread_url) -> Iterator[str]:
    """The report as CSV (RFC 4180), after a byte order mark for Excel: a header, then a
    record per thread. `thread_url(id)` is a thread's permalink."""

    def line(values) -> str:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([safe_cell(v) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_HEADER)
    for group in report.groups:
        for row in group.rows:
            yield line(
                (
                    row.id,
                    thread_url(row.id),
                    group.key or "",
                    group.heading,
                    row.kind,
                    row.quote or "",
                    row.body,
                    row.author,
                    row.stakeholder_type,
                    row.outcome or "",
                    row.response,
                    row.answered_in or "",
                )
            )


# --- word-processor files ------------------------------------------------------------------


def xml_safe(text: str | None) -> str:
    """Words as a word-processor file can hold them: without XML's forbidden characters."""
    return NOT_XML.sub("", text or "")


def document(html: str, fmt: str) -> bytes:
    """The report's HTML rendering as a `.docx` or `.odt` file, made by pandoc."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"report.{fmt}"
        pypandoc.convert_text(
            xml_safe(html),
            FORMATS[fmt],
            format="html",
            outputfile=str(target),
            extra_args=["--sandbox"],
        )
        return target.read_bytes()
