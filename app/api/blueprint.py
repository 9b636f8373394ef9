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

from app.core.errors import ApiError, ServiceError
from app.extensions import csrf

bp = Blueprint("api", __name__)
# Bearer-token clients carry no CSRF token; cookie-authenticated scripts are checked below.
csrf.exempt(bp)

MAX_LIMIT = 200
# Ids beyond a 32-bit integer name nothing (and would overflow PostgreSQL's integer columns).
MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 50

LOG_IN_FIRST = (
    "Log in first: send `Authorization: Bearer <token>`, or the session cookie with an "
    "X-CSRFToken header."
)


def id_converter(name: str) -> str:
    """A URL part that takes a positive 32-bit id: `<int(min=1, max=...):name>`."""
    return f"<int(min=1, max={MAX_ID}):{name}>"


ANNOTATION_ID = id_converter("annotation_id")
PROPOSAL_ID = id_converter("proposal_id")
COMMENT_ID = id_converter("comment_id")


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


def created(body: dict[str, Any], location: str | None = None):
    """201 with the new resource, and where it lives."""
    response = jsonify(body)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


# --- list parameters --------------------------------------------------------------------


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


class Fields:
    """Collects what is wrong with each field, so that one answer names them all."""

    def __init__(self, message: str = "The request is not valid; `fields` says what to change."):
        self.problems: dict[str, str] = {}
        self.message = message

    def bad(self, name: str, why: str) -> None:
        self.problems.setdefault(name, why)

    def unknown(self, data: dict, allowed: frozenset[str], prefix: str = "") -> None:
        for name in sorted(set(data) - allowed):
            self.bad(prefix + name, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def text(self, value: Any, name: str, *, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            or_null = " or null" if nullable else ""
            self.bad(name, f"must be a string{or_null}, not {json_type(value)}")
            return None
        if "\x00" in value:
            self.bad(name, "must not contain the character U+0000")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.bad(name, "must be valid Unicode (it contains an unpaired surrogate)")
            return None
        return value

    def integer(self, value: Any, name: str, *, nullable: bool = True) -> int | None:
        if value is None and nullable:
            return None
        # JSON true is a Python int, and 3.0 is a float: neither is an offset or an id.
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(name, f"must be a whole number, not {json_type(value)}")
            return None
        return value

    def choice(self, value: Any, name: str, allowed: type) -> Any:
        text = self.text(value, name)
        if text is None:
            return None
        try:
            return allowed(text)
        except ValueError:
            self.bad(name, f"must be one of {', '.join(m.value for m in allowed)}")
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise ApiError(422, self.message, code="invalid", fields=self.problems)
