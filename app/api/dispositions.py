"""JSON API for the editors' answers to threads (dispositions).

`POST /annotations/{id}/disposition` — editors and admins: `{outcome, response, version?}`
→ 201 with the answer. The thread's JSON then carries it in `disposition`. The view is
thin, as in `app.api.annotations`: authenticate (401), authorise (403), read the JSON
strictly (400, 415, 422), load the thread (404), call the service, answer.
"""

from __future__ import annotations

from app.annotations import dispositions, queries
from app.api import presenters, schemas, validation
from app.api.blueprint import ANNOTATION_ID, allowed, bp, created
from app.core.errors import ApiError
from app.core.permissions import can_answer
from app.models import PaperVersion
from app.papers import queries as paper_queries


def _editor():
    """The editor making the request: 401 without an account, 403 for others."""
    return allowed(can_answer, "Only series editors answer threads.")


def _version_named(paper_slug: str, label: str) -> PaperVersion:
    """A version of the thread's paper by its label, or 422 naming `version`."""
    found = paper_queries.version_by_label(paper_slug, label)
    if found is None or found.version is None:
        known = found.known_labels if found is not None else ""
        message = f"The paper has no version '{label}' (versions: {known})."
        raise ApiError(422, message, code="unknown_version", fields={"version": message})
    return found.version


@bp.post(f"/annotations/{ANNOTATION_ID}/disposition")
@dispositions.answer_limit
def answer_thread(annotation_id: int):
    """An editor answers a thread: accepted, partly accepted, not accepted or noted."""
    editor = _editor()
    new = validation.body(schemas.NewDisposition)
    root = queries.get_visible(annotation_id, editor)
    if root is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    version = _version_named(root.paper.slug, new.version) if new.version is not None else None
    given = dispositions.answer(
        editor, root, new.outcome, new.response, version, language=new.language
    )
    return created(presenters.disposition(given))
