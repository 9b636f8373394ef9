"""JSON API for search: `GET /search?q=`, the results the caller may see, best first.

The same search as the site's page (`app.search.queries`), its filters as query
parameters; `after` counts the results already given (results are ranked, not in the
order of an id), and `next` asks for the following page.
"""

from __future__ import annotations

from app.api import presenters, schemas, validation
from app.api.blueprint import answer, bp, caller
from app.core.urls import absolute_url
from app.models import AnnotationKind, StakeholderType
from app.search import queries
from app.search.index import Kind


@bp.get("/search")
def search():
    """Search sections, annotations, proposed definitions and terms."""
    asked = validation.query(schemas.SearchQuery)
    filters = queries.Filters(
        type=next((k for k in Kind if k.label == asked.type), None),
        paper=asked.paper or None,
        version=asked.version or None,
        kind=AnnotationKind(asked.kind) if asked.kind else None,
        author=(asked.author or "").strip() or None,
        author_id=asked.author_id,
        stakeholder=StakeholderType(asked.stakeholder) if asked.stakeholder else None,
    )
    results = queries.search(caller(), asked.q, filters, offset=asked.after, limit=asked.limit)
    next_url = None
    if asked.after + asked.limit < results.total:
        kept = asked.model_dump(
            exclude={"limit", "after"}, exclude_none=True, exclude_defaults=True
        )
        next_url = absolute_url(
            "api.search", **kept, limit=asked.limit, after=asked.after + asked.limit
        )
    items = []
    for hit in results.hits:
        endpoint, values = hit.target
        items.append(presenters.search_hit(hit, absolute_url(endpoint, **values)))
    return answer(schemas.SearchResults(items=items, total=results.total, next=next_url))
