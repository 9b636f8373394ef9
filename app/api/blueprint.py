"""The /api/v1 blueprint, its hooks, and what every API view shares: who is asking, the
JSON body, list parameters and the shape of a 201.

The route modules (`papers`, `annotations`, `definitions`, `dispositions`,
`moderation`, `openapi`) import from here; `app.api.views` imports them all, which
registers their routes on `bp`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.accounts.bearer import authenticated_by_token
from app.core.errors import ApiError, ServiceError
from app.extensions import csrf
from app.models import Annotation
from app.models.limits import integer_range
from app.papers import queries as paper_queries

bp = Blueprint("api", __name__)
# Bearer-token clients carry no CSRF token; cookie-authenticated scripts are checked below.
csrf.exempt(bp)

MAX_LIMIT = 200
# Ids beyond their column's range name nothing (and would overflow PostgreSQL's integer
# columns); every table's id is an Integer, read from the models.
MAX_ID = integer_range(Annotation, "id")[1]
DEFAULT_LIMIT = 50

LOG_IN_FIRST = (
    "Log in first: send `Authorization: Bearer <token>`, or the session cookie with an "
    "X-CSRFToken header."
)


# Every `<int:…>` of the site takes 1 up to the id columns' maximum (app.core.urls).
ANNOTATION_ID = "<int:annotation_id>"
PROPOSAL_ID = "<int:proposal_id>"
COMMENT_ID = "<int:comment_id>"


@bp.before_request
def protect_cookie_writes():
    """Writes authenticated by the session cookie need the `X-CSRFToken` header.

    Only a valid bearer token of the account making the request exempts it: any other
    `Authorization` header (a bogus token beside the session cookie) changes nothing."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    if authenticated_by_token(current_user):
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


# --- who is asking ----------------------------------------------------------------------


def caller():
    """The account making the request, or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def signed_in(message: str = LOG_IN_FIRST):
    """The account making the request: 401 without one."""
    if not current_user.is_authenticated:
        raise ApiError(401, message, code="unauthorized")
    return current_user._get_current_object()


def allowed(check: Callable[[Any], bool], refusal: str):
    """The account making the request: 401 without one, 403 when `check` refuses it."""
    user = signed_in()
    if not check(user):
        raise ApiError(403, refusal, code="forbidden")
    return user


# --- the body ---------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """How a JSON value is called in an error message ("a string", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 415 when it is not JSON, 400 when it is broken."""
    if not request.is_json:
        raise ApiError(
            415,
            "Send the body as JSON, with the header Content-Type: application/json.",
            code="unsupported_media_type",
        )
    try:
        data = json.loads(request.get_data(cache=True), parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"The body is not valid JSON: {error}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(
            400, f"The body must be a JSON object, not {json_type(data)}.", code="invalid_json"
        )
    return data


def optional_json_object() -> dict[str, Any]:
    """A body that may be left out: none (or an empty one) reads as `{}`; one that is sent
    is read as strictly as any other."""
    if not request.get_data(cache=True):
        return {}
    return json_object()


@contextmanager
def fields_named(names: dict[str, str]) -> Iterator[None]:
    """A service's refusal naming its own field (`text`) names the body's (`definition`)."""
    try:
        yield
    except ServiceError as error:
        error.fields = {names.get(k, k): v for k, v in error.fields.items()}
        raise


# --- answers ----------------------------------------------------------------------------


def answer(model: Any, status: int = 200, location: str | None = None):
    """The answer a presenter built (a model of `app.api.schemas`), as JSON: what it was
    given, nothing it was not (members left out stay out)."""
    response = jsonify(model.model_dump(mode="json", exclude_unset=True))
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


def created(model: Any, location: str | None = None):
    """201 with the new resource, and where it lives."""
    return answer(model, 201, location)


def paper_version(slug: str, label: str):
    """The paper and version named in a URL or a body, or a 404 saying which is unknown."""
    found = version_lookup(slug, label)
    return found.paper, found.version


def version_lookup(slug: str, label: str) -> paper_queries.VersionLookup:
    """As `paper_version`, with all the paper's versions (`versions`) beside."""
    if "\x00" in slug:
        raise ApiError(404, "no such paper", fields={"paper": "unknown paper"})
    found = paper_queries.version_by_label(slug, label)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'", fields={"paper": "unknown paper"})
    if found.version is None:
        raise ApiError(
            404,
            f"paper '{slug}' has no version '{label}' (versions: {found.known_labels})",
            fields={"version": "unknown version"},
        )
    return found
