"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Generated, not written: what each route takes and answers is declared once in
`app.api.routes`, its method and path come from the URL map, its summary from the view's
docstring, and every schema from the same pydantic models that validate the requests and
shape the answers.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel

from app.api import schemas as s
from app.api.blueprint import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT, bp
from app.api.idempotency import HEADER, HEADER_PARAMETER, REPLAYED, REPLAYED_HEADER
from app.api.routes import ROUTES, Route

DESCRIPTION = f"""\
The JSON API of Think Paper Commons: versioned think papers, discussed section by section.

**Authentication.** Reading public content needs none. Writing needs an account: send
`Authorization: Bearer <token>` (a token from your account page or `flask users token`), or,
from a browser script on this site, the session cookie together with an `X-CSRFToken` header.
Without credentials a write answers 401; an account that may not take part (e-mail address not
confirmed, suspended) gets 403.

**Errors** are a 4xx status with `{{"error": {{"code", "message", "fields"?}}}}`; `fields` maps each
field at fault to the reason. Malformed JSON or a body that is not a JSON object answers 400
`invalid_json`; a body that is not `application/json` answers 415. Request bodies are read
strictly: **unknown fields are refused** (422, naming them) rather than ignored, so that a typo
does not silently lose data; types are not coerced (`"3"` or `true` is not a number, `3.0` is
not a whole number).

**Lists** are `{{"items": [...], "total": N, "next": "<url or null>"}}`. `limit` takes 1 to
{MAX_LIMIT} (default {DEFAULT_LIMIT}); follow `next`, whose `after` cursor is opaque and belongs
to the sort it was made with.

**Times** are ISO 8601 in UTC (`Z`). **Offsets** count Unicode code points in a section's
`text`, the section body exactly as a reader sees it (its `textContent`), heading excluded.

**Rate limits.** Creating and editing annotations (threads, replies and edits together) is
limited per account (10 a minute unless the site says otherwise); flags draw on the same
allowance. Moderators' decisions have their own (120 a minute unless the site
says otherwise). Beyond a limit the answer is 429 `rate_limited`.

**Retrying a POST safely.** Send `Idempotency-Key: <a new UUID>` with any POST. If the
answer is lost, send the same request again with the same key: the first answer comes back,
with `Idempotent-Replayed: true`, and nothing is created twice. The same key with another
body, path or method answers 422 `idempotency_key_reused`; a retry while the first request
is still running may answer 409 `idempotency_key_in_flight` (wait a moment and send it
again). Keys belong to the account that sends them and are remembered for a day. Only
successful answers (2xx) are kept: a refused request stores nothing, so it may be corrected
and sent again with the same key. PUT, PATCH and DELETE take no key: sending one twice
already has the effect of sending it once.

**Moderation.** Participants flag annotations; moderators (and admins) read
`GET /moderation/queue` and decide with `POST /moderation/decisions`; every decision is one row
of an append-only log. An annotation's author and moderators see a `moderation` member on it
while it is pending, hidden or rejected; for everyone else, and for published or deleted
annotations, the member is absent.
"""


TAGS = {
    "papers": "Papers, versions and their sections; editors publish new versions.",
    "annotations": "Threads in the margin, replies, and the editors' answers to threads.",
    "moderation": "Flags, the moderators' queue and decisions.",
    "glossary": "Key terms: participants start terms, propose definitions, vote and discuss; "
    "editors adopt one definition or reject proposals with a reason, and manage aliases. "
    "Votes have their own allowance (60 a minute unless the site says otherwise).",
    "exports": "Editors' exports of a version's public contributions, as CSV or JSON.",
    "campaigns": "Editors' view of near-identical comments on a version, grouped.",
    "meta": "About the API itself.",
}
MODULE_TAGS = {"definitions": "glossary", "dispositions": "annotations", "openapi": "meta"}
# `<name>`, `<int:name>` or `<int(min=1, max=...):name>` in a rule: (converter, name).
PATH_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
READ_SECURITY = [{}, {"bearerAuth": []}, {"sessionCookie": []}]
WRITE_SECURITY = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]
WRITE_ERRORS = (400, 401, 403, 404, 415, 422, 429)
REASONS = {
    400: "Malformed request: broken JSON (`invalid_json`), bad query parameters "
    "(`invalid_parameters`), a missing CSRF header (`csrf_failed`) or a malformed "
    "`Idempotency-Key` (`invalid_idempotency_key`).",
    401: "No credentials, or credentials that are not valid.",
    403: "The account may not do this.",
    404: "What the path (or the body) names does not exist, or is not visible to the caller.",
    409: "The request conflicts with the current state (a decision already taken, a version "
    "already published, a closed comment period, ...), or a request with the same "
    "`Idempotency-Key` is still running (`idempotency_key_in_flight`).",
    413: "The body is larger than the site takes (2 MB).",
    415: "The body is not `application/json` (or, where a route says so, `multipart/form-data`).",
    422: "The body breaks a rule; `fields` says which field and why. Also the answer to an "
    "`Idempotency-Key` already used for another request (`idempotency_key_reused`).",
    429: "Too many requests; wait a minute.",
}


class _Components:
    """The schemas and query parameters the operations refer to, each named once."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self.parameters: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str = "serialization") -> dict[str, str]:
        if model.__name__ not in self.schemas:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
            self.schemas.update(schema.pop("$defs", {}))
            self.schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def query(self, model: type[s.Query]) -> list[dict[str, str]]:
        properties = model.model_json_schema()["properties"]
        refs = []
        for name, schema in properties.items():
            description = schema.pop("description", None) or model.model_fields[name].description
            schema.pop("title", None)
            parameter = {"name": name, "in": "query", "required": False, "schema": schema}
            if description:
                parameter["description"] = description
            # A name met again with another meaning (`after`: an id, or a cursor) is kept apart.
            same = self.parameters.get(name, parameter) == parameter
            key = name if same else f"{model.__name__}.{name}"
            self.parameters[key] = parameter
            refs.append({"$ref": f"#/components/parameters/{key}"})
        return refs


def _json(schema: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _parameters(rule: Any, route: Route, parts: _Components) -> list[dict[str, Any]]:
    """The path parameters of the rule (`<int(...):x>` an id), then the query's."""
    parameters = []
    for converter, name in PATH_PARAMETER.findall(rule.rule):
        schema = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters + (parts.query(route.query) if route.query is not None else [])


def _responses(rule: Any, method: str, route: Route, parts: _Components) -> dict[str, Any]:
    """The answers declared, then the refusals a request of this kind may meet."""
    responses: dict[str, Any] = {}
    for status, model in route.answers.items():
        if status == 204:
            responses["204"] = {"description": "Done; nothing to say."}
        elif model is None:
            # JSON of a shape of its own (JSON-LD), or text (CSV).
            json_like = "json" in route.media_type
            responses[str(status)] = {
                "description": "OK",
                "content": _json({"type": "object" if json_like else "string"}, route.media_type),
            }
        else:
            described = (model.__doc__ or model.__name__).split("\n")[0]
            responses[str(status)] = {"description": described, "content": _json(parts.ref(model))}
        if method == "post" and 200 <= status < 300:
            responses[str(status)]["headers"] = {REPLAYED: REPLAYED_HEADER}
    errors = set(route.errors)
    if method == "delete":
        errors |= {400, 401, 403, 404}  # 400: a session's request without its CSRF header
    elif method != "get":
        errors |= set(WRITE_ERRORS)
    if method == "post":
        errors |= {409, 422}  # a key in flight, a key reused
    if route.query is not None:
        errors.add(400)
    if rule.arguments:
        errors.add(404)
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    return responses


def _operation(rule: Any, method: str, route: Route, parts: _Components) -> dict[str, Any]:
    view = current_app.view_functions[rule.endpoint]
    summary, *more = [" ".join(p.split()) for p in (view.__doc__ or "").strip().split("\n\n")]
    module = view.__module__.rsplit(".", 1)[-1]
    operation: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix("api."),
        "summary": summary or rule.endpoint,
        "tags": [MODULE_TAGS.get(module, module)],
        "security": READ_SECURITY if method == "get" else WRITE_SECURITY,
    }
    if more:
        operation["description"] = " ".join(more)
    parameters = _parameters(rule, route, parts)
    if method == "post":  # every POST takes a key (app.api.idempotency)
        parts.parameters[HEADER] = HEADER_PARAMETER
        parameters.append({"$ref": f"#/components/parameters/{HEADER}"})
    if parameters:
        operation["parameters"] = parameters
    if route.body:
        refs = [parts.ref(model, "validation") for model in route.body]
        schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
        content = _json(schema)
        if route.multipart is not None:
            content["multipart/form-data"] = {"schema": parts.ref(route.multipart, "validation")}
        operation["requestBody"] = {"required": not route.body_optional, "content": content}
    operation["responses"] = _responses(rule, method, route, parts)
    return operation


def _paths(parts: _Components) -> dict[str, Any]:
    """Every route of the blueprint, as an OpenAPI path (`<int:x>` → `{x}`)."""
    rules = [r for r in current_app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    prefix = next(r.rule for r in rules if r.endpoint == "api.openapi_document")
    prefix = prefix.removesuffix("/openapi.json")
    paths: dict[str, Any] = {}
    for rule in rules:
        route = ROUTES[rule.endpoint.removeprefix("api.")]
        path = PATH_PARAMETER.sub(r"{\2}", rule.rule.removeprefix(prefix))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            method = method.lower()
            paths.setdefault(path, {})[method] = _operation(rule, method, route, parts)
    return paths


def _version() -> str:
    try:
        return metadata.version("think-paper-commons")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document as a dict."""
    parts = _Components()
    paths = _paths(parts)
    error = parts.ref(s.Error)
    cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Think Paper Commons API",
            "version": _version(),
            "description": DESCRIPTION,
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": parts.schemas,
            "parameters": parts.parameters,
            "responses": {
                f"E{status}": {"description": reason, "content": _json(error)}
                for status, reason in REASONS.items()
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token: `Authorization: Bearer <token>`. Requests "
                    "with one need no CSRF token.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie,
                    "description": "The site's session cookie, for scripts on its own pages.",
                },
                "csrfHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "With the session cookie, writes need the page's CSRF "
                    "token in this header (missing or wrong: 400 `csrf_failed`).",
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_document())
