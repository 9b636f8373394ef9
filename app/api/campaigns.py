"""Campaigns for the editors: the groups of near-identical comments among the threads
shown on a version (`app.editor.campaigns`), the same the triage list folds together."""

from __future__ import annotations

from app.api import schemas, validation
from app.api.blueprint import allowed, answer, bp, paper_version
from app.core.permissions import can_edit_papers
from app.core.urls import absolute_url
from app.editor import campaigns

EDITORS_ONLY = "Only series editors and admins see a version's campaigns."


@bp.get("/papers/<slug>/versions/<label>/campaigns")
def version_campaigns(slug: str, label: str):
    """The campaigns among a version's published threads (near-identical comments), each
    with its size, its threads' ids and a sample text; by their first thread's id, a page
    at a time. Editors only."""
    allowed(can_edit_papers, EDITORS_ONLY)
    asked = validation.query(schemas.Page)
    paper, version = paper_version(slug, label)
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
