"""JSON API views: load, authorise, validate, call a service, answer."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from app.api import serializers
from app.core.errors import ApiError
from app.core.ratelimits import account_key
from app.extensions import csrf, limiter
from app.papers import queries

bp = Blueprint("api", __name__)
# Bearer-token clients carry no CSRF token; cookie-authenticated scripts are checked below.
csrf.exempt(bp)

MAX_LIMIT = 200
# Ids beyond a 32-bit integer name nothing (and would overflow PostgreSQL's integer columns).
MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 50


@bp.before_request
def protect_cookie_writes():
    """Writes authenticated by the session cookie need the `X-CSRFToken` header."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not current_user.is_authenticated:
        # Nothing a forged request could borrow: say how to authenticate instead.
        raise ApiError(401, "Authenticate with a bearer token or a session.", code="unauthorized")
    csrf.protect()


@bp.after_request
def ask_for_credentials(response):
    """A 401 says how to authenticate (RFC 9110: `WWW-Authenticate`)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return response


def _whole_number(text: str) -> bool:
    """ASCII digits only ("²".isdigit() is true, but int() refuses it)."""
    return text.isascii() and text.isdigit() and len(text) <= 12


def page_params() -> tuple[int, int]:
    """`limit` (1–200) and the cursor `after` of a list request, or a 400 naming the field."""
    fields = {}
    limit, after = DEFAULT_LIMIT, 0
    raw_limit = request.args.get("limit")
    if raw_limit is not None:
        if not _whole_number(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            fields["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
        else:
            limit = int(raw_limit)
    raw_after = request.args.get("after")
    if raw_after is not None:
        if not _whole_number(raw_after) or int(raw_after) > MAX_ID:
            fields["after"] = "must be the cursor given in `next`"
        else:
            after = int(raw_after)
    if fields:
        raise ApiError(400, "invalid list parameters", code="invalid_parameters", fields=fields)
    return limit, after


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
    found = queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'")
    paper, versions = found
    chosen = next((v for v in versions if v.label == label), None)
    if chosen is None:
        known = ", ".join(v.label for v in versions)
        raise ApiError(404, f"paper '{slug}' has no version '{label}' (versions: {known})")
    return jsonify(serializers.version_detail(paper, chosen, queries.sections_of(chosen)))


DRY_RUN_VALUES = {"1": True, "true": True, "0": False, "false": False}


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
    from app.api.annotations import _Fields, _json_object
    from app.core.errors import error_json
    from app.core.permissions import can_edit_papers
    from app.editor import publishing
    from app.extensions import db
    from app.papers.services import VersionConflict
    from app.papers.source import SourceError

    if not current_user.is_authenticated:
        raise ApiError(401, "Authenticate with a bearer token or a session.", code="unauthorized")
    if not can_edit_papers(current_user):
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
    data = _json_object()
    fields = _Fields()
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

    def source_error(error: SourceError):
        db.session.rollback()
        status, code = (409, "conflict") if isinstance(error, VersionConflict) else (422, "invalid")
        where = f"line {error.line}: {error.message}"
        response = error_json(status, where, code, {"source": where})
        body = response.get_json()
        body["error"]["line"] = error.line
        response.set_data(jsonify(body).get_data())
        return response

    if dry_run:
        result = publishing.preview(slug, source, filename)  # reads only
        if result.error is not None:
            return source_error(result.error)
        return jsonify(serializers.publish_preview_json(paper, result))
    try:
        version, counts = publishing.publish(
            current_user._get_current_object(), slug, source, filename
        )
        db.session.commit()
    except SourceError as error:
        return source_error(error)
    except Exception:
        db.session.rollback()
        raise
    body = serializers.published_version_json(paper, version, queries.sections_of(version), counts)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.version", slug=slug, label=version.label)
    return response


from app.api import annotations, definitions, dispositions, moderation, openapi  # noqa: E402, F401
