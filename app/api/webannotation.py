"""A paper's public discussion as a W3C Web Annotation `AnnotationCollection` (JSON-LD),
so that annotation tools and archives can read it without knowing this API.

Every published thread of every version is an `Annotation` on the section it was made
on: its target's `source` is the version's page with the section's fragment (the page
that shows the text its offsets count in), with a `TextQuoteSelector` and a
`TextPositionSelector` (code points of the section's `text`) for passages and
paragraphs. Every published reply is an annotation `replying` to its parent's
permalink. The collection is written out as it is read, a batch of rows at a time, with
all its items in its first (and only) `AnnotationPage`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, stream_with_context

from app.annotations import queries as annotation_queries
from app.api.blueprint import bp
from app.api.routes import WEB_ANNOTATION
from app.core.errors import ApiError
from app.core.i18n import gettext as _
from app.core.urls import absolute_url
from app.models import Paper
from app.models.annotation import Annotation, AnnotationKind, TargetType
from app.papers import queries as paper_queries

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# What a thread does to its passage, in the W3C's words: a question asks (questioning),
# a suggestion proposes other wording (editing), an objection judges the text
# (assessing) rather than only remarking on it (commenting).
MOTIVATIONS = {
    AnnotationKind.COMMENT: "commenting",
    AnnotationKind.QUESTION: "questioning",
    AnnotationKind.OBJECTION: "assessing",
    AnnotationKind.SUGGESTION: "editing",
}


def _time(value: datetime) -> str:
    """xsd:dateTime in UTC, to the second, as the Web Annotation model writes it."""
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def permalink(annotation_id: int) -> str:
    return absolute_url("annotations.thread", annotation_id=annotation_id)


def _target(annotation: Annotation, slug: str, label: str) -> dict[str, Any]:
    """The section of the version the thread was made on; the quoted words within it for
    a passage or a paragraph."""
    source = absolute_url("papers.version", slug=slug, label=label, _anchor=annotation.section_key)
    target: dict[str, Any] = {"type": "SpecificResource", "source": source}
    if annotation.target is not TargetType.SECTION and annotation.quote_exact is not None:
        target["selector"] = [
            {
                "type": "TextQuoteSelector",
                "exact": annotation.quote_exact,
                "prefix": annotation.quote_prefix or "",
                "suffix": annotation.quote_suffix or "",
            },
            {
                "type": "TextPositionSelector",
                "start": annotation.quote_start,
                "end": annotation.quote_end,
            },
        ]
    return target


def web_annotation(annotation: Annotation, slug: str, label: str, name: str) -> dict[str, Any]:
    """One contribution as a W3C `Annotation`. Its body is the Markdown as written;
    a suggestion's second body is the wording it proposes (purpose `editing`)."""
    reply = annotation.parent_id is not None
    motivation = "replying" if reply else MOTIVATIONS[annotation.kind]
    body: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "value": annotation.body,
            "format": "text/markdown",
            "language": annotation.language,
            "purpose": motivation,
        }
    ]
    if not reply and annotation.proposed_text is not None:
        body.append(
            {
                "type": "TextualBody",
                "value": annotation.proposed_text,
                "format": "text/plain",
                "purpose": "editing",
            }
        )
    return {
        "id": permalink(annotation.id),
        "type": "Annotation",
        "motivation": motivation,
        "created": _time(annotation.created_at),
        "modified": _time(annotation.updated_at),
        "creator": {"type": "Person", "name": name},
        "body": body,
        "target": permalink(annotation.parent_id) if reply else _target(annotation, slug, label),
    }


def collection_chunks(paper: Paper, total: int, rows: Iterable[tuple]) -> Iterator[str]:
    """The collection as pieces of JSON text: its head, then one annotation per row."""
    url = absolute_url("api.paper_annotations", slug=paper.slug)
    head = {
        "@context": CONTEXT,
        "id": url,
        "type": "AnnotationCollection",
        "label": _("Public discussion of %(title)s", title=paper.display_title),
        "total": total,
    }
    page = {"id": f"{url}#page1", "type": "AnnotationPage", "partOf": url, "startIndex": 0}
    yield json.dumps(head)[:-1] + ', "first": ' + json.dumps(page)[:-1] + ', "items": ['
    for n, (annotation, label, name) in enumerate(rows):
        item = json.dumps(web_annotation(annotation, paper.slug, label, name))
        yield ("," if n else "") + item
    yield "]}}"


@bp.get("/papers/<slug>/annotations.jsonld")
def paper_annotations(slug: str):
    """The paper's public discussion as a W3C Web Annotation `AnnotationCollection`.

    Every published thread of every version, each targeting its own version's section
    (with a `TextQuoteSelector` and a `TextPositionSelector` for passages), and every
    published reply, targeting its parent. Streamed; all items in the first
    `AnnotationPage`.
    """
    found = paper_queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    paper = found[0]
    total = annotation_queries.public_count(paper.id)
    rows = annotation_queries.public_rows(paper.id)
    chunks = collection_chunks(paper, total, rows)
    return Response(stream_with_context(chunks), mimetype=None, content_type=WEB_ANNOTATION)
