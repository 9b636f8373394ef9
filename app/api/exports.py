"""Editors' exports of a version's public contributions, as CSV and as JSON, for the
analysis of a consultation in a spreadsheet or a script (`app.editor.exports` says what
goes out).

Both are streamed as they are read, a page of rows per query, so that a worker's memory
stays the same however long the discussion; both carry the same rows, shaped once
(`schemas.ExportedContribution`, `schemas.ExportedProposal`).

CSV: RFC 4180 (the csv module: CRLF line ends, quotes doubled), one header row, one
record per contribution with its `type` (thread, reply or proposal). It begins with a
UTF-8 byte order mark: Excel reads a CSV file without one in the computer's legacy code
page, which garbles every accented name and quote, and the csv module and other
spreadsheets skip the mark (read it as `utf-8-sig`). A cell that begins with `=`, `+`,
`-`, `@`, a tab or a carriage return gets a `'` in front, so that no spreadsheet runs it
as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

from app.annotations.dispositions import safe_cell
from app.api import presenters
from app.api.blueprint import allowed, bp, paper_version
from app.api.routes import CSV
from app.core.permissions import can_edit_papers
from app.core.transaction import reads_only_from_here
from app.editor import exports
from app.models.base import utcnow

EDITORS_ONLY = "Only series editors and admins export a version's contributions."
BOM = "\ufeff"


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    """A cell read from a dumped row along `path` (empty where a member is null)."""

    def read(row: dict[str, Any]) -> Any:
        value: Any = row
        for name in path:
            if value is None:
                return None
            value = value.get(name)
        return value

    return read


# (header, cell) for every column; proposals leave the annotation columns empty and the
# other way round. `body` is a proposal's text.
COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
    ("type", _get("type")),
    ("id", _get("id")),
    ("root_id", _get("root")),
    ("parent_id", _get("parent")),
    ("made_on_version", _get("made_on")),
    ("section_key", _get("section", "key")),
    ("section_number", _get("section", "number")),
    ("section_title", _get("section", "title")),
    ("kind", _get("kind")),
    ("target", _get("target")),
    ("status", _get("status")),
    ("anchor_status", _get("anchor_status")),
    ("quote_exact", _get("quote", "exact")),
    ("quote_start", _get("quote", "start")),
    ("quote_end", _get("quote", "end")),
    ("body", lambda row: row.get("body", row.get("text"))),
    ("proposed_text", _get("proposed_text")),
    ("created", _get("created")),
    ("updated", _get("updated")),
    ("reply_count", _get("reply_count")),
    ("disposition_outcome", _get("disposition", "outcome")),
    ("disposition_response", _get("disposition", "response")),
    ("answered_at", _get("disposition", "answered_at")),
    ("answered_by_id", _get("disposition", "answered_by", "id")),
    ("answered_by", _get("disposition", "answered_by", "name")),
    ("answered_in_version", _get("disposition", "version")),
    ("author_id", _get("author", "id")),
    ("author_name", _get("author", "name")),
    ("author_stakeholder_type", _get("author", "stakeholder_type")),
    ("author_country", _get("author", "country")),
    ("term", _get("term", "slug")),
    ("term_label", _get("term", "label")),
    ("term_occurrences", _get("term", "occurrences")),
    ("rationale", _get("rationale")),
    ("support", _get("votes", "support")),
    ("oppose", _get("votes", "oppose")),
    ("adopted_at", _get("adopted_at")),
    ("url", _get("url")),
)
CSV_HEADER = tuple(name for name, _cell in COLUMNS)


def csv_record(values: Iterable[Any]) -> str:
    """One CSV record (CRLF-terminated), each cell safe from formulas."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def _rows(version_id: int) -> Iterator[dict[str, Any]]:
    """Every exported row, contributions then proposals, as JSON-ready dicts."""
    for item in exports.contributions(version_id):
        yield presenters.exported_contribution(item).model_dump(mode="json")
    for proposal in exports.proposals(version_id):
        yield {"type": "proposal", **presenters.exported_proposal(proposal).model_dump(mode="json")}


def csv_chunks(version_id: int) -> Iterator[str]:
    """The CSV text: a byte order mark and the header, then one record per row."""
    yield BOM + csv_record(CSV_HEADER)
    for row in _rows(version_id):
        yield csv_record(cell(row) for _name, cell in COLUMNS)


def json_chunks(slug: str, label: str, version_id: int) -> Iterator[str]:
    """The JSON text of a `schemas.VersionExport`, written as it is read: the head, then
    each contribution and each proposal, never the whole list at once."""
    head = {"paper": slug, "version": label, "exported_at": presenters.iso(utcnow())}
    yield json.dumps(head)[:-1] + ', "contributions": ['
    for n, item in enumerate(exports.contributions(version_id)):
        yield ("," if n else "") + presenters.exported_contribution(item).model_dump_json()
    yield '], "proposals": ['
    for n, proposal in enumerate(exports.proposals(version_id)):
        yield ("," if n else "") + presenters.exported_proposal(proposal).model_dump_json()
    yield "]}"


def _reading(chunks: Iterator[str]) -> Iterator[str]:
    """The chunks, read in a transaction of their own that only reads."""
    reads_only_from_here()
    yield from chunks


def _download(chunks: Iterator[str], media_type: str, filename: str) -> Response:
    response = Response(stream_with_context(_reading(chunks)), content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(slug: str, label: str, extension: str) -> str:
    """`<slug>-<version>-contributions.<extension>`, in characters safe in a header."""
    name = f"{slug}-{label}-contributions"
    return re.sub(r"[^A-Za-z0-9._-]", "-", name) + f".{extension}"


@bp.get("/papers/<slug>/versions/<label>/export.csv")
def export_csv(slug: str, label: str):
    """Every public contribution of a version as CSV, for the editors.

    One record per thread (where it stands in this version, carried ones included),
    published reply and proposed definition of a term in the version's text, with a
    `type` column; UTF-8 with a byte order mark; cells that a spreadsheet would run as a
    formula begin with `'`. Streamed.
    """
    allowed(can_edit_papers, EDITORS_ONLY)
    paper, version = paper_version(slug, label)
    filename = _filename(paper.slug, version.label, "csv")
    return _download(csv_chunks(version.id), CSV, filename)


@bp.get("/papers/<slug>/versions/<label>/export.json")
def export_json(slug: str, label: str):
    """Every public contribution of a version as JSON, for the editors.

    The threads shown on the version (carried ones included) with their published
    replies, the editors' answers and the authors (never their e-mail addresses), and the
    proposed definitions of the terms in the version's text with their votes. Streamed.
    """
    allowed(can_edit_papers, EDITORS_ONLY)
    paper, version = paper_version(slug, label)
    chunks = json_chunks(paper.slug, version.label, version.id)
    return _download(chunks, "application/json", _filename(paper.slug, version.label, "json"))
