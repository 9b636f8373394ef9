"""JSON API for the editors' answers to threads (dispositions).

`POST /annotations/{id}/disposition` — editors and admins: `{outcome, response, version?}`
→ 201 with the answer. The thread's JSON then carries it in `disposition`. The view is
thin, as in `app.api.annotations`: authenticate (401), authorise (403), read the JSON
strictly (400, 415, 422), load the thread (404), call the service, commit once, answer.
"""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from app.annotations import dispositions, queries
from app.annotations.services import AnnotationError
from app.api import serializers
from app.api.annotations import ANNOTATION_ID, _Fields, _json_object, _unauthorized
from app.api.views import bp
from app.core.errors import ApiError
from app.core.permissions import can_answer
from app.extensions import db
from app.models import PaperVersion
from app.models.annotation import DispositionOutcome
from app.papers import queries as paper_queries

DISPOSITION_FIELDS = frozenset({"outcome", "response", "version"})


def _editor():
    """The editor making the request: 401 without an account, 403 for others."""
    if not current_user.is_authenticated:
        raise _unauthorized()
    user = current_user._get_current_object()
    if not can_answer(user):
        raise ApiError(403, "Only series editors answer threads.", code="forbidden")
    return user


def _version_named(paper_slug: str, label: str) -> PaperVersion:
    """A version of the thread's paper by its label, or 422 naming `version`."""
    found = paper_queries.paper_with_versions(paper_slug)
    versions = found[1] if found is not None else []
    chosen = next((v for v in versions if v.label == label), None)
    if chosen is None:
        known = ", ".join(v.label for v in versions)
        message = f"The paper has no version '{label}' (versions: {known})."
        raise ApiError(422, message, code="unknown_version", fields={"version": message})
    return chosen


@bp.post(f"/annotations/{ANNOTATION_ID}/disposition")
@dispositions.answer_limit
def answer_thread(annotation_id: int):
    """An editor answers a thread: accepted, partly accepted, not accepted or noted."""
    editor = _editor()
    data = _json_object()
    fields = _Fields()
    fields.unknown(data, DISPOSITION_FIELDS)
    if "outcome" not in data:
        fields.bad("outcome", "required")
    outcome = (
        fields.choice(data["outcome"], "outcome", DispositionOutcome)
        if ("outcome" in data)
        else None
    )
    response = fields.text(data.get("response", ""), "response", nullable=True)
    label = fields.text(data.get("version"), "version", nullable=True)
    fields.raise_if_any()

    root = queries.get_visible(annotation_id, editor)
    if root is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    version = _version_named(root.paper.slug, label) if label is not None else None
    try:
        answer = dispositions.answer(editor, root, outcome, response, version)
    except AnnotationError as error:
        db.session.rollback()
        problems = {error.field: error.message} if error.field else None
        raise ApiError(error.status, error.message, code=error.code, fields=problems) from None
    body = serializers.disposition_json(answer)
    db.session.commit()
    response_ = jsonify(body)
    response_.status_code = 201
    return response_
