"""Security of the account pages: CSRF on every form, log-in rate limits."""

from __future__ import annotations

import pytest

from tests.conftest import DEFAULT_PASSWORD, csrf_token_from

WRONG = "not the password at all"
TOO_MANY = "Too many attempts. Please wait a minute and try again."


def attempt(client, email: str, password: str = WRONG, ip: str = "192.0.2.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


# --- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/logout",
        "/register",
        "/reset-password",
        "/confirm/resend",
        "/account/",
        "/account/password",
        "/account/logout-everywhere",
        "/account/tokens",
        "/account/delete",
    ],
)
def test_every_account_form_needs_its_csrf_token(csrf_client, path):
    response = csrf_client.post(path, data={"email": "x@example.org", "password": WRONG})

    assert response.status_code == 400
    assert "The form had expired or was not sent from this site." in response.get_data(as_text=True)


def test_log_out_needs_a_post_with_the_token(csrf_client, user):
    page = csrf_client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    response = csrf_client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302

    assert csrf_client.get("/logout").status_code == 200  # a question, not a log-out
    assert csrf_client.get("/account/").status_code == 200
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/account/").status_code == 200

    token = csrf_token_from(csrf_client.get("/logout").get_data(as_text=True))
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert csrf_client.get("/account/").status_code == 302


def test_a_token_from_another_session_is_refused(app, csrf_client):
    other = app.test_client()
    token = csrf_token_from(other.get("/login").get_data(as_text=True))

    response = csrf_client.post(
        "/login", data={"csrf_token": token, "email": "a@example.org", "password": WRONG}
    )

    assert response.status_code == 400


# --- log-in rate limits ---------------------------------------------------------------------


def test_the_sixth_wrong_password_for_an_account_within_a_minute_is_refused(client, user):
    for _ in range(5):
        assert attempt(client, user.email).status_code == 200

    response = attempt(client, user.email)

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    # Even the right password waits now.
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 429


def test_the_account_and_address_limit_ignores_letter_case(client, user):
    for n in range(5):
        address = user.email.upper() if n % 2 else user.email
        assert attempt(client, address).status_code == 200

    assert attempt(client, user.email.title()).status_code == 429
    # The owner, elsewhere, is not held (tests/web/test_login_throttling.py has the rest).
    assert attempt(client, user.email, DEFAULT_PASSWORD, ip="198.51.100.99").status_code == 302


def test_one_client_address_trying_many_accounts_is_stopped(app, client, create_user):
    allowed = int(app.config["LOGIN_ADDRESS_RATE_LIMIT"].split()[0])  # 20 failures a minute
    per_account = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    users = [create_user() for _ in range(allowed // per_account + 1)]
    for n in range(allowed):
        assert attempt(client, users[n // per_account].email).status_code == 200

    assert attempt(client, users[-1].email).status_code == 429
    # Another client address is not affected.
    assert attempt(client, users[-1].email, DEFAULT_PASSWORD, ip="192.0.2.2").status_code == 302


def test_only_failed_attempts_count(client, user):
    for _ in range(6):
        assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 302
        client.post("/logout")
    for _ in range(4):
        assert attempt(client, user.email).status_code == 200
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 302
    client.post("/logout")
    assert attempt(client, user.email).status_code == 200  # the fifth failure

    assert attempt(client, user.email).status_code == 429


def test_showing_the_form_and_unfinished_forms_do_not_count(client, user):
    for _ in range(6):
        assert client.get("/login").status_code == 200
        assert client.post("/login", data={"email": user.email}).status_code == 200

    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_rate_limits_can_be_switched_off(app_config, user, db):
    """RATELIMIT_ENABLED=false (CONTRACT): for load tests on a private host."""
    from app import create_app

    class Unlimited(app_config):
        RATELIMIT_ENABLED = False

    email = user.email
    db.session.commit()  # end this session's (SQLite: writing) transaction
    unlimited = create_app(Unlimited)
    try:
        with unlimited.app_context():
            client = unlimited.test_client()
            for _ in range(7):
                assert attempt(client, email).status_code == 200
            db.session.remove()
    finally:
        with unlimited.app_context():
            db.engine.dispose()


def test_asking_for_mail_is_rate_limited(client, user):
    for _ in range(5):
        assert client.post("/reset-password", data={"email": user.email}).status_code == 200

    response = client.post("/reset-password", data={"email": user.email})

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)


def test_asking_for_confirmation_links_is_rate_limited(client):
    for n in range(5):
        response = client.post(
            "/confirm/resend",
            data={"email": "someone@example.org"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
        assert response.status_code == 302

    response = client.post("/confirm/resend", data={"email": "someone@example.org"})

    assert response.status_code == 429
