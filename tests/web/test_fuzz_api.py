"""Schemathesis fuzzing of the JSON API against its own OpenAPI document.

Every operation of `/api/v1/openapi.json` (reads and writes: POST, PUT, PATCH, DELETE) is
called through the Flask app (WSGI, no network) with requests generated from the
document, as a participant with an API token. The site holds a paper open for comments,
a thread, a term with a proposal and a comment on it; every other generated request has
its ids, slugs and labels swapped for those real ones, so that requests also reach the
services and the database rather than stopping at a 404.

The promises checked: never a 5xx, and every answer is one the document declares (status
code, content type, body schema). The budget is bounded and derandomized
(`FUZZ_EXAMPLES` examples per operation, a fixed seed) to stay under a minute per
database; `make reliability` (bench/reliability.py) spends a longer one against gunicorn.
Run these alone with `pytest -m fuzz`.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from config import TestingConfig
from tests.edges import app_config  # noqa: F401 (a fixture: rate limits off)
from tests.web.test_api_annotations import API, auth, open_for_comments, root, token_for

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = 20261205
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def fuzz_config(examples: int, seed: int = SEED) -> schemathesis.Config:
    """Valid and invalid requests (mode `all`) through the examples, coverage and fuzzing
    phases, `examples` per operation, reproducible from `seed`."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "generation": {
                "mode": "all",
                "max-examples": examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "cache": {"enabled": False},
            "suppress-health-check": ["all"],
        }
    )


def served_document(examples: int) -> schemathesis.BaseSchema:
    """The document exactly as the app serves it, read at collection from an app of its
    own (which touches no database); each test then calls the app of its fixture.
    (`schemathesis.pytest.from_fixture`, which would read it from the fixture's app,
    fails under pytest 9.2: it sets `Function._nodeid`, which pytest no longer has.)"""
    app = create_app(TestingConfig)
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app, config=fuzz_config(examples))


def with_real_names(case: schemathesis.Case, names: dict[str, Any]) -> None:
    """Swap what the request names (path ids and slugs, a body's paper, version, section
    and parent) for things that exist, keeping every other generated value."""
    terms = case.path.startswith("/terms/")
    for key in list(case.path_parameters or {}):
        real = names["term"] if terms and key == "slug" else names.get(key)
        if real is not None:
            case.path_parameters[key] = real
    if isinstance(case.body, dict):
        for key in ("paper", "version", "section", "parent"):
            if key in case.body:
                case.body[key] = names[key]


@pytest.fixture
def site(client, paper, db, create_user):
    """A participant's credentials, and the names of what exists: a paper open for comments,
    a thread of theirs (to edit and delete) and another participant's (to reply to), that
    one's term, proposal (to vote on) and comment on the proposal."""
    open_for_comments(paper, db)
    other = auth(token_for(create_user(), db))
    mine = auth(token_for(create_user(), db))
    thread = client.post(f"{API}/annotations", json=root(), headers=other).get_json()
    own = client.post(f"{API}/annotations", json=root(), headers=mine).get_json()
    term = client.post(
        f"{API}/terms", json={"label": "Public value", "definition": "Worth."}, headers=other
    ).get_json()
    proposal = term["proposals"][0]["id"]
    comment = client.post(
        f"{API}/proposals/{proposal}/comments", json={"body": "Why?"}, headers=other
    ).get_json()
    return {
        "headers": mine,
        "names": {
            "slug": "think-paper-1",
            "label": "5.0",
            "term": term["slug"],
            "annotation_id": own["id"],
            "proposal_id": proposal,
            "comment_id": comment["id"],
            "paper": "think-paper-1",
            "version": "5.0",
            "section": thread["section"],
            "parent": thread["id"],
        },
        "calls": 0,
    }


schema = served_document(EXAMPLES)


@schema.parametrize()
def test_the_api_keeps_its_document(case, app, site):
    """No generated request gets a 5xx or an answer the document does not declare."""
    site["calls"] += 1
    if site["calls"] % 2:
        with_real_names(case, site["names"])
    # The WSGI transport hands over the body as sent and does not undo a Content-Encoding
    # (an HTTP client would): ask for answers uncompressed.
    headers = {**site["headers"], "Accept-Encoding": "identity"}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)


def test_every_route_of_the_api_is_fuzzed(app):
    """The operations fuzzed are every method of every route under /api/v1, writes too;
    schemathesis leaves out only the document it reads its operations from."""
    fuzzed = {(r.ok().method.upper(), API + r.ok().path) for r in schema.get_all_operations()}
    routed = {
        (method, re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert fuzzed == routed - {("GET", f"{API}/openapi.json")}
    assert {"POST", "PUT", "PATCH", "DELETE"} <= {method for method, _ in fuzzed}


def test_an_id_out_of_range_is_not_found_whatever_the_method(client):
    """Werkzeug answered 405 to `DELETE /annotations/0`: the path's pattern fits a rule
    for other methods before the id (from 1) is checked. No rule takes it: 404, as for
    GET. (Found by the fuzzing above.)"""
    for method, path in [
        ("DELETE", "/annotations/0"),
        ("PATCH", "/annotations/0"),
        ("DELETE", "/proposals/0/vote"),
        ("PUT", "/proposals/99999999999/vote"),
    ]:
        response = client.open(f"{API}{path}", method=method)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.get_json()["error"]["code"] == "not_found"
    # A method that the address really does not take is still a 405.
    assert client.put(f"{API}/annotations/1").status_code == 405
