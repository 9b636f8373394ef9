"""JSON API for papers: read them and their versions; editors publish new versions."""

from __future__ import annotations

from flask import jsonify, request, url_for

from app.api import serializers
from app.api.blueprint import Fields, bp, json_object, page_params, signed_in
from app.core.errors import ApiError, error_json
from app.core.permissions import can_edit_papers
from app.core.ratelimits import account_key
from app.extensions import limiter
from app.papers import publishing, queries
from app.papers.services import VersionConflict
from app.papers.source import SourceError

DRY_RUN_VALUES = {"1": True, "true": True, "0": False, "false": False}


@bp.errorhandler(SourceError)
def source_error(error: SourceError):
    """An error in a paper's source (422) or a version that cannot be published (409):
    the answer gives the line."""
    status, code = (409, "conflict") if isinstance(error, VersionConflict) else (422, "invalid")
    where = f"line {error.line}: {error.message}"
    response = error_json(status, where, code, {"source": where})
    body = response.get_json()
    body["error"]["line"] = error.line
    response.set_data(jsonify(body).get_data())
    return response


@bp.route("/papers")
def papers():
    """The published papers, a page at a time."""
    limit, after = page_params()
    summaries = queries.paper_summaries(limit=limit + 1, after_id=after)
    more = len(summaries) > limit
    summaries = summaries[:limit]
    next_url = None
    if more:
        next_url = url_for("api.papers", limit=limit, after=summaries[-1].paper.id, _external=True)
    return jsonify(
        {
            "items": [serializers.paper_item(s.paper, s.latest) for s in summaries],
            "total": queries.paper_count(),
            "next": next_url,
        }
    )


@bp.route("/papers/<slug>")
def paper(slug: str):
    """One paper and its versions."""
    found = queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    paper, versions = found
    return jsonify(serializers.paper_detail(paper, versions, queries.comment_period(paper)))


@bp.route("/papers/<slug>/versions/<label>")
def version(slug: str, label: str):
    """One version with its sections and their text, against which offsets count."""
    found = queries.version_by_label(slug, label)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    if found.version is None:
        raise ApiError(
            404, f"paper '{slug}' has no version '{label}' (versions: {found.known_labels})"
        )
    chosen = found.version
    return jsonify(serializers.version_detail(found.paper, chosen, queries.sections_of(chosen)))


@bp.post("/papers/<slug>/versions")
@limiter.limit(
    "30 per minute",
    key_func=account_key,
    error_message="Too many versions published or previewed at once; wait a minute.",
)
def publish_version(slug: str):
    """Editors publish a new version of an existing paper from its Markdown source, with
    the paper's threads carried forward; `?dry_run=1` previews and stores nothing.

    401 without credentials, 403 for non-editors, 400/415/422 for the body, 404 for an
    unknown paper (a paper's first version comes from `flask papers import`), 422 with
    the line for an error in the source, 409 for a version number already published or
    older than the latest.
    """
    editor = signed_in("Authenticate with a bearer token or a session.")
    if not can_edit_papers(editor):
        raise ApiError(403, "Only series editors publish versions.", code="forbidden")
    raw = request.args.get("dry_run", "0").strip().lower()
    if raw not in DRY_RUN_VALUES:
        raise ApiError(
            400,
            "invalid parameters",
            code="invalid_parameters",
            fields={"dry_run": "must be 1 or 0 (true or false)"},
        )
    dry_run = DRY_RUN_VALUES[raw]
    data = json_object()
    fields = Fields()
    fields.unknown(data, frozenset({"source"}))
    if "source" not in data:
        fields.bad("source", "required")
    source = fields.text(data.get("source"), "source") if "source" in data else None
    if source is not None and not source.strip():
        fields.bad("source", "must not be empty")
    fields.raise_if_any()
    found = queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(
            404,
            f"no paper '{slug}'; a paper's first version is imported with `flask papers import`",
        )
    paper = found[0]
    filename = f"{slug}.md"
    if dry_run:
        result = publishing.preview(slug, source, filename)  # reads only
        if result.error is not None:
            raise result.error
        return jsonify(serializers.publish_preview_json(paper, result))
    version, counts = publishing.publish(editor, slug, source, filename)
    body = serializers.published_version_json(paper, version, queries.sections_of(version), counts)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.version", slug=slug, label=version.label)
    return response
