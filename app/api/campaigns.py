"""Campaigns for the editors: the groups of near-identical comments among the threads
shown on a version (`app.editor.campaigns`), the same the triage list folds together."""

from __future__ import annotations

from app.api import schemas, validation
from app.api.blueprint import allowed, answer, bp
from app.core.errors import ApiError
from app.core.permissions import can_edit_papers
from app.core.urls import absolute_url
from app.editor import campaigns
from app.papers import queries as paper_queries

EDITORS_ONLY = "Only series editors and admins see a version's campaigns."


def _paper_version(slug: str, label: str):
    """The paper and version of the URL, or a 404 saying which is unknown (as the
    version's thread list answers)."""
    found = paper_queries.version_by_label(slug, label) if "\x00" not in slug else None
    if found is None:
        raise ApiError(404, f"no paper '{slug}'", fields={"paper": "unknown paper"})
    if found.version is None:
        raise ApiError(
            404,
            f"paper '{slug}' has no version '{label}' (versions: {found.known_labels})",
            fields={"version": "unknown version"},
        )
    return found.paper, found.version


@bp.get("/papers/<slug>/versions/<label>/campaigns")
def version_campaigns(slug: str, label: str):
    """The campaigns among a version's published threads (near-identical comments), each
    with its size, its threads' ids and a sample text; by their first thread's id, a page
    at a time. Editors only."""
    allowed(can_edit_papers, EDITORS_ONLY)
    asked = validation.query(schemas.Page)
    paper, version = _paper_version(slug, label)
    found = campaigns.of_version(version.id)
    rest = [c for c in found if c.first > asked.after]
    page = rest[: asked.limit]
    next_url = None
    if len(rest) > asked.limit:
        next_url = absolute_url(
            "api.version_campaigns",
            slug=paper.slug,
            label=version.label,
            limit=asked.limit,
            after=page[-1].first,
        )
    items = [
        schemas.Campaign(size=c.size, annotations=list(c.annotations), sample=c.sample)
        for c in page
    ]
    return answer(schemas.CampaignList(items=items, total=len(found), next=next_url))
