"""The editors' answers in the API: `POST /annotations/{id}/disposition`, and the
`disposition` member of a thread in every answer that carries it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import PaperVersion, Role
from app.models.annotation import Disposition
from tests.unit.test_dispositions import later_source
from tests.web.test_api_annotations import API, THREADS_URL, auth, open_for_comments, token_for
from tests.web.test_openapi import _check


def stored(db) -> int:
    return db.session.scalar(select(func.count(Disposition.id)))


def answer(client, token, annotation_id, payload, **kwargs):
    return client.post(
        f"{API}/annotations/{annotation_id}/disposition",
        json=payload,
        headers=auth(token),
        **kwargs,
    )


@pytest.fixture
def thread(create_annotation, paper, db):
    open_for_comments(paper, db)
    return create_annotation("Please define 'public value'.")


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Erin Editor")


@pytest.fixture
def editor_token(editor, db):
    return token_for(editor, db)


@pytest.fixture
def next_version(import_paper, paper, db):
    import_paper(later_source())
    open_for_comments(paper, db)
    return db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))


@pytest.fixture
def document(client):
    return client.get(f"{API}/openapi.json").get_json()


def test_an_editor_answers_and_the_thread_carries_it(
    client, editor, editor_token, thread, next_version, create_annotation, document
):
    reply = create_annotation("Me too.", parent=thread)
    response = answer(
        client,
        editor_token,
        thread.id,
        {"outcome": "partly_accepted", "response": "See **3.2**.", "version": "5.1"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["outcome"] == "partly_accepted" and body["version"] == "5.1"
    assert body["response"] == "See **3.2**."
    assert "<strong>3.2</strong>" in body["response_html"]
    assert body["editor"] == {"id": editor.id, "name": "Erin Editor"}
    _check(document, "Disposition", body)

    one = client.get(f"{API}/annotations/{thread.id}").get_json()
    assert one["disposition"] == body
    assert one["replies"][0]["disposition"] is None
    assert client.get(f"{API}/annotations/{reply.id}").get_json()["disposition"] is None
    _check(document, "Thread", one)
    listed = client.get(THREADS_URL).get_json()
    assert listed["items"][0]["disposition"] == body
    _check(document, "AnnotationList", listed)


def test_the_latest_answer_is_the_current_one(client, editor_token, thread, db):
    assert answer(client, editor_token, thread.id, {"outcome": "noted"}).status_code == 201
    second = answer(client, editor_token, thread.id, {"outcome": "accepted", "response": "Done."})
    assert second.status_code == 201
    assert stored(db) == 2
    current = client.get(f"{API}/annotations/{thread.id}").get_json()["disposition"]
    assert (current["outcome"], current["response"], current["version"]) == (
        "accepted",
        "Done.",
        None,
    )


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("participant", 403), ("moderator", 403)]
)
def test_only_editors_answer(client, create_user, thread, db, role, status):
    token = token_for(create_user(Role(role)), db) if role else None
    response = answer(client, token, thread.id, {"outcome": "accepted", "response": "Yes."})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] in {"unauthorized", "forbidden"}
    assert stored(db) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"outcome": "maybe", "response": "x"}, "outcome"),
        ({"response": "x"}, "outcome"),
        ({"outcome": "accepted", "response": "x", "colour": "red"}, "colour"),
        ({"outcome": "accepted", "response": ""}, "response"),
        ({"outcome": "accepted", "response": 3}, "response"),
        ({"outcome": "accepted", "response": "x" * 10_001}, "response"),
        ({"outcome": "accepted", "response": "x", "version": "5.0"}, "version"),
        ({"outcome": "accepted", "response": "x", "version": "9.9"}, "version"),
    ],
)
def test_refused_answers_name_the_field_and_store_nothing(
    client, editor_token, thread, db, payload, field
):
    response = answer(client, editor_token, thread.id, payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert stored(db) == 0


def test_a_reply_or_an_unpublished_thread_is_not_answered(
    client, editor_token, thread, create_annotation, db
):
    reply = create_annotation("Me too.", parent=thread)
    response = answer(client, editor_token, reply.id, {"outcome": "noted"})
    assert response.status_code == 422
    assert "annotation" in response.get_json()["error"]["fields"]
    thread.status = "hidden"
    db.session.commit()
    assert answer(client, editor_token, thread.id, {"outcome": "noted"}).status_code == 409
    assert answer(client, editor_token, 987654, {"outcome": "noted"}).status_code == 404
    bad = client.post(
        f"{API}/annotations/{thread.id}/disposition",
        data="outcome=noted",
        headers={**auth(editor_token), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status_code == 415
    assert stored(db) == 0


def test_the_list_costs_the_same_queries_with_answers(
    client, create_annotation, editor_token, thread, count_queries
):
    def add(n):
        for i in range(n):
            found = create_annotation(f"Thread {i}")
            answer(client, editor_token, found.id, {"outcome": "noted"})

    add(2)
    with count_queries() as few:
        client.get(THREADS_URL)
    add(8)
    with count_queries() as many:
        items = client.get(THREADS_URL).get_json()["items"]
    assert sum(1 for i in items if i["disposition"]) == 10
    assert few.count == many.count
