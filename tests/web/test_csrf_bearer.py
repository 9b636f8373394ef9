"""Only a valid bearer token exempts an API write from the session's CSRF check.

A browser sends the session cookie with every request, forged ones included; what a
forging page cannot add is the CSRF token. An `Authorization` header that names no
account's token (or another account's) proves nothing, so beside the cookie it must
not stand in for that token.
"""

from __future__ import annotations

import pytest

from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from
from tests.web.test_api_annotations import API, error_of, root, rows, token_for


@pytest.fixture
def tp1(paper, db):
    from tests.web.test_api_annotations import open_for_comments

    return open_for_comments(paper, db)


@pytest.fixture
def author(create_user):
    return create_user(name="Author")


def log_in(client, user) -> str:
    """Log in through the form as a browser does; the CSRF token a page script would send."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return csrf_token_from(client.get("/account/").get_data(as_text=True))


def revoked_token(user, db) -> str:
    from app.models import ApiToken

    token = token_for(user, db)
    for row in db.session.query(ApiToken).filter_by(user_id=user.id):
        row.revoked_at = utcnow()
    db.session.commit()
    return token


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer tpc_" + "x" * 43, "bearer nonsense", "Bearer revoked"]
)
def test_the_cookie_with_a_bogus_bearer_token_still_needs_the_csrf_token(
    csrf_client, tp1, author, db, header
):
    csrf = log_in(csrf_client, author)
    if header == "Bearer revoked":
        header = "Bearer " + revoked_token(author, db)
    thread = csrf_client.post(f"{API}/annotations", json=root(), headers={"X-CSRFToken": csrf})
    url = f"{API}/annotations/{thread.get_json()['id']}"
    bogus = {"Authorization": header}

    for response in (
        csrf_client.post(f"{API}/annotations", json=root(), headers=bogus),
        csrf_client.patch(url, json={"body": "Changed."}, headers=bogus),
        csrf_client.delete(url, headers=bogus),
    ):
        assert error_of(response, 400)["code"] == "csrf_failed"
    assert rows(db) == 1
    assert csrf_client.get(url).get_json()["body"] == "A fair point."


def test_the_cookie_with_another_accounts_token_still_needs_the_csrf_token(
    csrf_client, tp1, author, create_user, db
):
    log_in(csrf_client, author)
    other = token_for(create_user(name="Other"), db)

    response = csrf_client.post(
        f"{API}/annotations", json=root(), headers={"Authorization": f"Bearer {other}"}
    )

    assert error_of(response, 400)["code"] == "csrf_failed"
    assert rows(db) == 0


def test_a_bogus_bearer_token_without_the_cookie_is_a_401(csrf_client, tp1, db):
    response = csrf_client.post(
        f"{API}/annotations", json=root(), headers={"Authorization": "Bearer nonsense"}
    )

    assert error_of(response, 401)["code"] == "unauthorized"
    assert rows(db) == 0


def test_a_valid_bearer_token_works_with_or_without_the_cookie(csrf_client, app, tp1, author, db):
    token = token_for(author, db)
    bare = app.test_client()
    assert (
        bare.post(
            f"{API}/annotations", json=root(), headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 201
    )

    log_in(csrf_client, author)
    response = csrf_client.post(
        f"{API}/annotations", json=root(), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 201
    assert rows(db) == 2


def test_the_cookie_with_its_csrf_token_works(csrf_client, tp1, author, db):
    csrf = log_in(csrf_client, author)

    response = csrf_client.post(f"{API}/annotations", json=root(), headers={"X-CSRFToken": csrf})

    assert response.status_code == 201
    assert rows(db) == 1
