"""`POST /api/v1/papers/{slug}/versions`: editors publish, or preview with dry_run=1."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.annotations import carrying
from app.models import Anchor, PaperVersion
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from
from tests.unit.test_publishing import QUOTE_KEPT, rows, source_51
from tests.web.test_api_annotations import API, auth, token_for

URL = f"{API}/papers/think-paper-1/versions"


@pytest.fixture
def editor_token(create_user, db, paper):
    return token_for(create_user("editor"), db)


def send(client, token, payload, query=""):
    return client.post(URL + query, json=payload, headers=auth(token))


def test_only_editors_publish(client, create_user, db, paper):
    before = rows(db)
    anonymous = send(client, None, {"source": source_51()})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    for role in ("participant", "moderator"):
        token = token_for(create_user(role), db)
        refused = send(client, token, {"source": source_51()})
        assert refused.status_code == 403, role
        assert send(client, token, {"source": source_51()}, "?dry_run=1").status_code == 403
    assert rows(db) == before


def test_a_dry_run_previews_and_stores_nothing(client, db, editor_token, create_annotation):
    thread = create_annotation("Still true?", quote=QUOTE_KEPT)
    before = rows(db)
    response = send(client, editor_token, {"source": source_51()}, "?dry_run=1")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == "5.1" and body["published_at"] is None
    assert body["reanchoring"] == {
        "exact": 1,
        "moved": 0,
        "fuzzy": 0,
        "applied": 0,
        "orphaned": 0,
    }
    assert {"key", "number", "title", "level", "text"} <= set(body["sections"][0])
    preview = body["preview"]
    assert preview["dry_run"] is True and preview["previous_version"] == "5.0"
    renamed = next(
        s
        for s in preview["sections"]
        if s["new"] and s["new"]["key"] == "public-sector-idiosyncrasies"
    )
    assert renamed["labels"] == ["renamed", "changed"]
    assert renamed["old"]["title"] == "Public sector idiosyncrasies …"
    [landing] = preview["threads"]
    assert landing["annotation"] == thread.id and landing["status"] == "exact"
    assert landing["to_section"] == "public-sector-idiosyncrasies"
    assert rows(db) == before


def test_publish(client, db, editor_token, create_annotation):
    thread = create_annotation("Still true?", quote=QUOTE_KEPT)
    versions, sections, anchors = rows(db)
    response = send(client, editor_token, {"source": source_51()})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == "5.1"
    assert body["change_note"] == "Tightened section 3.2."
    assert body["reanchoring"] == {
        "exact": 1,
        "moved": 0,
        "fuzzy": 0,
        "applied": 0,
        "orphaned": 0,
    }
    assert response.headers["Location"].endswith(f"{URL}/5.1")
    assert rows(db) == (versions + 1, sections + len(body["sections"]), anchors + 1)
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    anchor = db.session.scalar(select(Anchor).where(Anchor.version_id == version.id))
    assert anchor.annotation_id == thread.id
    listed = client.get(f"{API}/papers/think-paper-1").get_json()
    assert [v["version"] for v in listed["versions"]] == ["5.0", "5.1"]


def test_a_source_error_is_refused_with_its_line(client, db, editor_token):
    text = source_51(**{"Organisational change practice": "Organisational[^99] change practice"})
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "[^99]" in row)
    before = rows(db)
    for query in ("", "?dry_run=1"):
        response = send(client, editor_token, {"source": text}, query)
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["line"] == line
        assert error["fields"]["source"] == f"line {line}: footnote reference [^99] has no note"
    assert rows(db) == before


def test_the_same_version_again_is_a_conflict(client, db, editor_token):
    assert send(client, editor_token, {"source": source_51()}).status_code == 201
    before = rows(db)
    again = send(client, editor_token, {"source": source_51()})
    assert again.status_code == 409
    assert "already published" in again.get_json()["error"]["message"]
    assert send(client, editor_token, {"source": source_51()}, "?dry_run=1").status_code == 409
    assert rows(db) == before


def test_the_body_is_read_strictly(client, db, editor_token):
    assert send(client, editor_token, {"source": source_51(), "sauce": 1}).status_code == 422
    missing = send(client, editor_token, {})
    assert missing.status_code == 422
    assert missing.get_json()["error"]["fields"]["source"] == "required"
    assert send(client, editor_token, {"source": 51}).status_code == 422
    assert send(client, editor_token, {"source": "  "}).status_code == 422
    not_json = client.post(URL, data=source_51(), headers=auth(editor_token))
    assert not_json.status_code == 415
    bad_flag = send(client, editor_token, {"source": source_51()}, "?dry_run=maybe")
    assert bad_flag.status_code == 400
    assert "dry_run" in bad_flag.get_json()["error"]["fields"]


def test_an_unknown_paper_is_404(client, editor_token):
    response = client.post(
        f"{API}/papers/no-such-paper/versions",
        json={"source": source_51()},
        headers=auth(editor_token),
    )
    assert response.status_code == 404


def test_a_failure_mid_publish_leaves_nothing(
    client, db, editor_token, create_annotation, monkeypatch
):
    create_annotation("Still true?", quote=QUOTE_KEPT)
    before = rows(db)
    original = carrying.store

    def store_then_fail(plan, version):
        original(plan, version)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(carrying, "store", store_then_fail)
    response = send(client, editor_token, {"source": source_51()})
    assert response.status_code == 500
    assert rows(db) == before


def test_cookie_writes_need_the_csrf_header(csrf_client, create_user, db, paper):
    editor = create_user("editor")
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post(
        "/login", data={"email": editor.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    before = rows(db)
    response = csrf_client.post(URL, json={"source": source_51()})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert rows(db) == before
