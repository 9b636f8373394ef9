"""Who may do what with annotations through the API, for every role and both ways in.

Reading is public. Writing needs an account, shown by a bearer token or by the session
cookie together with the page's CSRF token in `X-CSRFToken`. Only authors edit and
delete their own words; moderators and editors have other tools for that.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Annotation, AnnotationRevision
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from
from tests.web.test_api_annotations import (
    API,
    THREADS_URL,
    auth,
    delete,
    error_of,
    open_for_comments,
    patch,
    post,
    root,
    rows,
    token_for,
)

ROLES = ["anonymous", "author", "participant", "moderator", "editor", "admin"]


@pytest.fixture
def tp1(paper, db):
    return open_for_comments(paper, db)


@pytest.fixture
def author(create_user):
    return create_user(name="Author")


@pytest.fixture
def thread(client, tp1, author, db):
    """A thread by `author`, started through the API."""
    response = post(client, token_for(author, db), root(body="Mine."))
    assert response.status_code == 201
    return response.get_json()


@pytest.fixture
def caller(request, create_user, author, db):
    """The bearer token of the account playing `role` (None for an anonymous caller)."""

    def make(role: str) -> str | None:
        if role == "anonymous":
            return None
        if role == "author":
            return token_for(author, db)
        return token_for(create_user(role), db)

    return make


# --- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("participant", 201), ("moderator", 201), ("editor", 201), ("admin", 201)],
)
def test_who_may_start_a_thread(client, tp1, caller, db, role, status):
    response = post(client, caller(role), root())

    assert response.status_code == status
    if status == 401:
        assert error_of(response, 401)["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert rows(db) == 0
    else:
        assert rows(db) == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("participant", 201),
        ("moderator", 201),
        ("editor", 201),
        ("author", 201),
    ],
)
def test_who_may_reply(client, thread, caller, db, role, status):
    response = post(client, caller(role), {"parent": thread["id"], "body": "Re."})

    assert response.status_code == status
    assert rows(db) == (2 if status == 201 else 1)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("author", 200),
        ("participant", 403),
        ("moderator", 403),
        ("editor", 403),
        ("admin", 403),
    ],
)
def test_only_the_author_edits(client, thread, caller, db, role, status):
    response = patch(client, caller(role), thread["id"], {"body": "Changed."})

    assert response.status_code == status
    body = db.session.scalar(select(Annotation.body).where(Annotation.id == thread["id"]))
    if status == 200:
        assert response.get_json()["body"] == body == "Changed."
    else:
        assert error_of(response, status)["code"] == (
            "unauthorized" if status == 401 else "forbidden"
        )
        assert body == "Mine."
        assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("author", 204),
        ("participant", 403),
        ("moderator", 403),
        ("editor", 403),
        ("admin", 403),
    ],
)
def test_only_the_author_deletes(client, thread, caller, db, role, status):
    response = delete(client, caller(role), thread["id"])

    assert response.status_code == status
    assert rows(db) == (0 if status == 204 else 1)
    if status != 204:
        error_of(response, status)


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads(client, thread, caller, role):
    headers = auth(caller(role))

    assert client.get(f"{API}/annotations/{thread['id']}", headers=headers).status_code == 200
    listed = client.get(THREADS_URL, headers=headers).get_json()
    assert [i["id"] for i in listed["items"]] == [thread["id"]]


# --- accounts that may not take part --------------------------------------------------------


def test_an_unconfirmed_account_may_not_post(client, tp1, create_user, db):
    token = token_for(create_user(confirmed=False), db)

    error = error_of(post(client, token, root()), 403)

    assert error["code"] == "forbidden"
    assert "confirmed" in error["message"]
    assert rows(db) == 0


def test_a_suspended_account_token_names_no_one(client, tp1, create_user, db):
    user = create_user()
    token = token_for(user, db)
    user.suspended_at = utcnow()
    db.session.commit()

    assert error_of(post(client, token, root()), 401)["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_bad_authorization_header_is_a_401(client, tp1, db, header):
    response = client.post(f"{API}/annotations", json=root(), headers={"Authorization": header})

    assert error_of(response, 401)["code"] == "unauthorized"
    assert rows(db) == 0


# --- the session cookie and its CSRF token ------------------------------------------------


def _log_in_with_csrf(client, user) -> str:
    """Log in through the form as a browser does; returns the CSRF token for scripts."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return csrf_token_from(client.get("/account/").get_data(as_text=True))


def test_a_browser_script_writes_with_the_cookie_and_the_csrf_header(csrf_client, tp1, author, db):
    csrf = _log_in_with_csrf(csrf_client, author)

    created = csrf_client.post(f"{API}/annotations", json=root(), headers={"X-CSRFToken": csrf})
    assert created.status_code == 201
    assert created.get_json()["author"]["name"] == "Author"
    thread_id = created.get_json()["id"]
    edited = csrf_client.patch(
        f"{API}/annotations/{thread_id}", json={"body": "Better."}, headers={"X-CSRFToken": csrf}
    )
    assert edited.status_code == 200
    removed = csrf_client.delete(f"{API}/annotations/{thread_id}", headers={"X-CSRFToken": csrf})
    assert removed.status_code == 204


@pytest.mark.parametrize("headers", [{}, {"X-CSRFToken": "forged"}])
def test_a_cookie_write_without_its_csrf_token_is_refused(csrf_client, tp1, author, db, headers):
    csrf = _log_in_with_csrf(csrf_client, author)
    thread = csrf_client.post(f"{API}/annotations", json=root(), headers={"X-CSRFToken": csrf})
    thread_id = thread.get_json()["id"]

    for response in (
        csrf_client.post(f"{API}/annotations", json=root(), headers=headers),
        csrf_client.patch(f"{API}/annotations/{thread_id}", json={"body": "x"}, headers=headers),
        csrf_client.delete(f"{API}/annotations/{thread_id}", headers=headers),
    ):
        assert error_of(response, 400)["code"] == "csrf_failed"
    assert rows(db) == 1
    assert db.session.scalar(select(Annotation.body)) == "A fair point."


def test_a_bearer_token_needs_no_csrf_token(csrf_client, tp1, author, db):
    response = post(csrf_client, token_for(author, db), root())

    assert response.status_code == 201
