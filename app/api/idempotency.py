"""`Idempotency-Key` on every POST of the API: a retry gets the first answer back.

A client that sent a POST and got no answer (a dropped connection, a worker killed
after its commit) cannot tell whether it was stored. Sent again with the same key, the
request is answered with what the first one answered, marked `Idempotent-Replayed: true`,
and nothing is created twice; the same key with another request (body, path or method)
is refused with 422 `idempotency_key_reused`. The rules and the storage are in
`app.core.idempotency`; these hooks wrap every POST view of the blueprint, so a new
POST route is covered without a word.

Order matters and Flask keeps it: the blueprint's `before_request` hooks run in the
order they were registered, so authentication and the CSRF check (in `blueprint`) come
first and anonymous requests are refused before a key is looked at; its `after_request`
hooks run before the application's, so the answer is added to the session before the
transaction boundary commits it with the rest of the request's work.

PUT, PATCH and DELETE take no key: they are idempotent by themselves (a vote set twice
is one vote, a deleted annotation deleted again stays deleted), or keyed by their path.
"""

from __future__ import annotations

import hashlib
import json

from flask import Response, current_app, g, request
from flask_login import current_user

from app.api.blueprint import bp
from app.core import idempotency
from app.core.errors import ApiError

HEADER = idempotency.HEADER
REPLAYED = "Idempotent-Replayed"
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})

# The header as the OpenAPI document declares it on every POST.
HEADER_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "A key of your choice, new for each request (a UUID): sent again "
    "with the same request, the first answer comes back (with `Idempotent-Replayed: true`) "
    "and nothing is created twice. The same key with another body or path answers 422 "
    "`idempotency_key_reused`; while the first request is still running, 409 "
    "`idempotency_key_in_flight`. Keys belong to the account and are kept for a day; "
    "refused requests (4xx) store nothing, so a corrected request may reuse its key.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.KEY_LENGTH,
        "pattern": "^[ -~]+$",
    },
    "example": "5f0c8a4e-2b1d-4c3a-9e7f-6a5b4c3d2e1f",
}
REPLAYED_HEADER = {
    "description": "`true` when this is the stored answer to an earlier request with the "
    "same `Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}


def _target() -> str:
    """The path with its query string, as the client sent it."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def _canonical_json(data: bytes) -> bytes | None:
    """A JSON body with its keys sorted and its spacing removed; None if it is not JSON
    (the view will refuse it, and a refusal is not stored)."""
    try:
        parsed = json.loads(data)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode("ascii")
    except (ValueError, RecursionError):
        return None


def _canonical_form() -> bytes:
    """A form (an uploaded file, say) without its boundary, which a client draws anew for
    each attempt: the fields in name order, each file as its name and content's sha256."""
    fields = sorted(request.form.items(multi=True), key=lambda item: item[0])
    files = []
    for name, upload in request.files.items(multi=True):
        content = upload.stream.read()
        upload.stream.seek(0)
        files.append([name, upload.filename or "", hashlib.sha256(content).hexdigest()])
    files.sort(key=lambda item: item[0])
    return json.dumps({"fields": fields, "files": files}, separators=(",", ":")).encode("ascii")


def canonical_body() -> bytes:
    """The request's body in the form its fingerprint is taken of."""
    if request.mimetype in FORM_TYPES:
        return b"form:" + _canonical_form()
    data = request.get_data(cache=True)
    if request.is_json:
        canonical = _canonical_json(data)
        if canonical is not None:
            return b"json:" + canonical
    return b"raw:" + request.mimetype.encode("latin-1") + b"\n" + data


def _key() -> str | None:
    """The request's key: None without one, 400 `invalid_idempotency_key` when bad."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    problem = idempotency.key_problem(key)
    if problem is not None:
        raise ApiError(
            400,
            f"The {HEADER} header {problem}.",
            code="invalid_idempotency_key",
            fields={HEADER: problem},
        )
    return key


@bp.before_request
def replay_or_claim():
    """A POST with a key: answer what the key's first request answered, or claim it."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    key = _key()
    if key is None:
        return None
    fingerprint = idempotency.fingerprint(request.method, _target(), canonical_body())
    outcome = idempotency.claim(current_user.id, key, fingerprint)
    if isinstance(outcome, idempotency.StoredAnswer):
        return _replay(outcome)
    g.idempotency_record = outcome
    return None


def _replay(stored: idempotency.StoredAnswer) -> Response:
    response = current_app.response_class(
        stored.body, status=stored.status, content_type=stored.content_type
    )
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers[REPLAYED] = "true"
    return response


@bp.after_request
def record_answer(response: Response) -> Response:
    """Store a successful answer under its key before the request commits; any other
    gives the key up: a refusal (4xx, 5xx) is rolled back with the rest of its request,
    and another answer (a redirection) releases it."""
    claimed = g.pop("idempotency_record", None)
    if claimed is None:
        return response
    if 200 <= response.status_code < 300:
        idempotency.complete(
            claimed,
            response.status_code,
            response.get_data(),
            response.content_type,
            response.headers.get("Location"),
        )
    elif response.status_code < 400:
        idempotency.release(claimed)
    return response
