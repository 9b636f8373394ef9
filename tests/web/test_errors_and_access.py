"""Error pages and role-guarded areas."""

import pytest
from flask import Blueprint

from app.models import Role


def test_unknown_url_gets_a_styled_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and 'class="site-header"' in html


def test_an_exception_gets_a_styled_500_without_a_traceback(app, caplog):
    failing = Blueprint("failing", __name__)

    @failing.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    app.register_blueprint(failing)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and 'class="site-header"' in html
    assert "secret internal detail" not in html and "Traceback" not in html
    assert "secret internal detail" in caplog.text  # logged for the operators


def test_an_exception_under_the_api_is_a_json_500(app):
    failing = Blueprint("failing_api", __name__)

    @failing.route("/api/v1/boom")
    def boom():
        raise RuntimeError("secret")

    app.register_blueprint(failing)
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "editor", "moderation"),
    [
        (None, 302, 302),
        (Role.PARTICIPANT, 403, 403),
        (Role.MODERATOR, 403, 200),
        (Role.EDITOR, 200, 403),
        (Role.ADMIN, 200, 200),
    ],
)
def test_editor_and_moderation_areas_by_role(
    client, create_user, logged_in, paper, role, editor, moderation
):
    if role is not None:
        logged_in(create_user(role))
    editor_response = client.get("/editor/")
    moderation_response = client.get("/moderation/")
    assert editor_response.status_code == editor
    assert moderation_response.status_code == moderation
    if role is None:
        assert "/login" in editor_response.headers["Location"]
    if editor == 200:
        assert "Think Paper 1" in editor_response.get_data(as_text=True)
    if editor == 403:
        assert "Not allowed" in editor_response.get_data(as_text=True)


def test_security_headers_are_sent(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_a_nul_character_anywhere_is_a_400_not_a_database_error(client, paper):
    assert client.get("/papers/think%00paper/").status_code == 400
    assert client.get("/?q=a%00b").status_code == 400
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400


def test_an_oversized_request_is_a_413(client, user):
    response = client.post(
        "/api/v1/annotations", data=b"x" * (2 * 1024 * 1024 + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
