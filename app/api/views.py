"""JSON API views: load, authorise, validate, call a service, answer."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user

from app.api import serializers
from app.core.errors import ApiError
from app.extensions import csrf
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


from app.api import annotations, moderation, openapi  # noqa: E402, F401
