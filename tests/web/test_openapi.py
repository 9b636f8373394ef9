"""The OpenAPI document: valid OpenAPI 3.1, complete, and true to what the API answers."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.web.test_api_annotations import (
    API,
    CONTRACT_FIELDS,
    THREADS_URL,
    VERSION_URL,
    open_for_comments,
    post,
    root,
    token_for,
)

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def _api_routes(app) -> dict[str, set[str]]:
    """Every route under /api/v1, as OpenAPI paths (`<int:x>` → `{x}`) with their methods."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule[len(API) :])
        routes.setdefault(path, set()).update(m for m in rule.methods if m not in IGNORED_METHODS)
    return routes


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_described_and_nothing_else(app, document):
    described = {
        path: {m.upper() for m in item if m not in {"parameters", "summary", "description"}}
        for path, item in document["paths"].items()
    }

    assert described == _api_routes(app)
    assert {
        "/papers",
        "/annotations",
        "/annotations/{annotation_id}",
        "/openapi.json",
        "/papers/{slug}/versions/{label}/annotations",
    } <= set(described)


def test_every_operation_has_an_id_a_summary_and_its_errors(document):
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            ids.append(operation["operationId"])
            assert operation["summary"], (path, method)
            codes = set(operation["responses"])
            if method in {"post", "patch", "delete"}:
                assert {"401", "403", "404"} <= codes, (path, method)
            if method in {"post", "patch"}:
                assert {"400", "415", "422", "429"} <= codes, (path, method)
    assert len(ids) == len(set(ids))


def test_security_schemes_parameters_and_unknown_fields(document):
    components = document["components"]
    schemes = components["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["csrfHeader"] == {**schemes["csrfHeader"], "in": "header", "name": "X-CSRFToken"}
    assert document["paths"]["/annotations"]["post"]["security"] == [
        {"bearerAuth": []},
        {"sessionCookie": [], "csrfHeader": []},
    ]
    limit = components["parameters"]["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    assert {"after", "section", "kind", "sort"} <= set(components["parameters"])
    for name in ("NewThread", "NewReply", "QuoteInput", "AnnotationChange"):
        assert components["schemas"][name]["additionalProperties"] is False
    assert "unknown fields are refused" in document["info"]["description"]
    annotation = components["schemas"]["Annotation"]
    assert set(annotation["required"]) == CONTRACT_FIELDS


def _validator(document, name: str) -> Draft202012Validator:
    """A JSON Schema validator for one component, resolving refs inside the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(schema)


def _check(document, name: str, instance) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in _validator(document, name).iter_errors(instance)
    ]
    assert errors == [], (name, errors)


def test_real_answers_match_their_schemas(client, paper, create_user, db, document):
    """What the API really sends validates against the schemas the document gives."""
    open_for_comments(paper, db)
    token = token_for(create_user(), db)
    thread = post(client, token, root(quote={"exact": "'lost cause'"})).get_json()
    post(client, token, {"parent": thread["id"], "body": "Reply"})
    suggestion = post(
        client,
        token,
        root(kind="suggestion", quote={"exact": "'lost cause'"}, proposed_text="'hard case'"),
    ).get_json()

    _check(document, "Annotation", thread)
    _check(document, "Annotation", suggestion)
    _check(document, "Thread", client.get(f"{API}/annotations/{thread['id']}").get_json())
    _check(document, "AnnotationList", client.get(f"{THREADS_URL}?limit=1").get_json())
    _check(document, "PaperList", client.get(f"{API}/papers").get_json())
    _check(document, "Paper", client.get(f"{API}/papers/think-paper-1").get_json())
    _check(document, "Version", client.get(VERSION_URL).get_json())
    _check(document, "Error", client.get(f"{API}/annotations/987654").get_json())
    _check(document, "Error", post(client, token, root(kind="rant")).get_json())
    # And the request bodies the tests send are what the document allows.
    _check(document, "NewThread", root(quote={"exact": "x", "start": 1, "end": 2}))
    _check(document, "NewReply", {"parent": 1, "body": "x"})
    assert list(_validator(document, "NewThread").iter_errors({**root(), "qoute": {}}))


def test_every_route_is_declared_once_and_every_declaration_routed(app):
    from app.api.routes import ROUTES

    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert {f"api.{name}" for name in ROUTES} == endpoints


def test_the_document_is_generated_from_the_models(document):
    """The schemas are those of the models that read requests and shape answers."""
    from app.api import schemas

    components = document["components"]
    for name in ("NewThread", "NewReply", "Annotation", "Thread", "TermDetail", "NewDecision"):
        model = getattr(schemas, name)
        assert set(components["schemas"][name]["properties"]) == set(model.model_fields)
    threads = document["paths"]["/papers/{slug}/versions/{label}/annotations"]["get"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in threads["parameters"]}
    assert {"slug", "label", "section", "kind", "sort", "limit"} <= names
    publish = document["paths"]["/papers/{slug}/versions"]["post"]
    assert set(publish["responses"]) >= {"200", "201", "409", "422"}
    ref = publish["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/NewVersion")


def test_reads_and_writes_are_described_by_their_own_method(document):
    """A read needs no credentials and meets no write refusals; a write needs a token or the
    session with its CSRF header; only POSTs take an Idempotency-Key."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = set(operation["responses"])
            keyed = any(
                p.get("$ref", "").endswith("/Idempotency-Key")
                for p in operation.get("parameters", [])
            )
            assert keyed == (method == "post"), where
            if method == "get":
                assert {} in operation["security"], where
                assert not responses & {"415", "422", "429"}, where
            else:
                assert {} not in operation["security"], where
                assert {"401", "403"} <= responses, where
