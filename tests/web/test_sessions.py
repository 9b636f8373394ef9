"""Sessions kept on the server: log-out ends them for every copy of the cookies; the
account page lists them and logs out one or all; a password reset or change revokes
API tokens and ends the other sessions; suspension and deletion end them too."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.accounts import services
from app.models import ApiToken, UserSession
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD

NEW_PASSWORD = "another fine passphrase 7"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def device(app, user_agent: str = FIREFOX, address: str = "192.0.2.10"):
    """A browser of its own: a test client with its own cookies, agent and address."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return client


def log_in(client, user, *, remember: bool = False):
    data = {"email": user.email, "password": DEFAULT_PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def is_logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def copy_of(app, client, *names: str):
    """Another browser holding copies of `client`'s cookies (only those named)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value)
    return thief


def session_cookie(app) -> str:
    return app.config.get("SESSION_COOKIE_NAME", "session")


def remember_cookie(app) -> str:
    return app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def open_rows(db, user) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
    )


def new_token(db, user) -> str:
    token = services.issue_api_token(user, "script")
    db.session.commit()
    return token


def api_status(app, token: str) -> int:
    """401 when the token names no one; 404 (no such annotation) when it names someone."""
    response = app.test_client().delete(
        "/api/v1/annotations/999999", headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


def mailed_reset_path(app) -> str:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    (message,) = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]
    return re.search(r"https?://[^/\s]+(/reset-password/\S+)", message.get_content()).group(1)


# --- log-out ends the session on the server -----------------------------------------------


def test_a_copied_session_cookie_is_anonymous_after_log_out(app, user):
    browser = log_in(device(app), user)
    stolen = copy_of(app, browser, session_cookie(app))
    assert is_logged_in(stolen)  # the copy works while the session is open

    browser.post("/logout")

    assert not is_logged_in(browser)
    assert not is_logged_in(stolen)
    page = stolen.get("/account/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_copied_remember_me_cookie_does_not_bring_an_ended_session_back(app, user):
    browser = log_in(device(app), user, remember=True)
    stolen = copy_of(app, browser, remember_cookie(app))
    assert is_logged_in(stolen)  # the remember-me cookie alone opens the session...

    browser.post("/logout")

    assert not is_logged_in(copy_of(app, stolen, remember_cookie(app)))  # ...but not after


def test_logging_in_again_opens_a_new_session_and_the_old_cookie_stays_dead(app, user, db):
    browser = log_in(device(app), user)
    stolen = copy_of(app, browser, session_cookie(app))
    browser.post("/logout")
    log_in(browser, user)

    assert is_logged_in(browser)
    assert not is_logged_in(stolen)
    assert len(open_rows(db, user)) == 1


def test_a_session_id_from_before_server_sessions_names_no_one(app, user):
    browser = device(app)
    with browser.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
        session["_fresh"] = True

    assert not is_logged_in(browser)


# --- the account page lists the sessions -------------------------------------------------


def test_the_account_page_lists_the_open_sessions_and_marks_this_one(app, user, db):
    laptop = log_in(device(app, FIREFOX, "192.0.2.10"), user)
    phone = log_in(device(app, SAFARI, "2001:db8::7"), user)
    other = log_in(device(app, FIREFOX, "198.51.100.3"), user)
    other.post("/logout")

    page = laptop.get("/account/")
    html = page.get_data(as_text=True)
    section = html[html.index('id="sessions"') : html.index('id="api-tokens"')]

    assert "Firefox on Linux" in section and "Safari on iOS" in section
    assert "192.0.2.10" in section and "2001:db8::7" in section
    assert "198.51.100.3" not in section  # ended
    assert section.count("Log out this one") == 2
    assert section.count("(this session)") == 1
    current = re.search(r'<tr class="sessions__current"[^>]*>(.*?)</tr>', section, re.S).group(1)
    assert "192.0.2.10" in current
    assert "this session" in phone.get("/account/").get_data(as_text=True)


def test_logging_out_another_session_from_the_list(app, user, db):
    laptop = log_in(device(app, FIREFOX), user)
    phone = log_in(device(app, SAFARI), user)
    phone_row = next(row for row in open_rows(db, user) if row.user_agent == "Safari on iOS")

    response = laptop.post(f"/account/sessions/{phone_row.id}/end")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/#sessions")
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    assert [row.user_agent for row in open_rows(db, user)] == ["Firefox on Linux"]


def test_logging_out_this_session_from_the_list(app, user, db):
    laptop = log_in(device(app), user)
    (row,) = open_rows(db, user)

    response = laptop.post(f"/account/sessions/{row.id}/end")

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not is_logged_in(laptop)
    assert open_rows(db, user) == []


def test_nobody_ends_the_session_of_someone_else(app, user, create_user, db):
    victim = log_in(device(app), user)
    (row,) = open_rows(db, user)
    intruder = log_in(device(app), create_user())

    assert intruder.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert intruder.post("/account/sessions/999999/end").status_code == 404
    assert intruder.post(f"/account/sessions/{2**64}/end").status_code == 404
    assert intruder.post("/account/sessions/0/end").status_code == 404
    assert is_logged_in(victim)


def test_ending_an_ended_session_is_a_404(app, user, db):
    laptop = log_in(device(app), user)
    phone = log_in(device(app, SAFARI), user)
    phone_row = next(row for row in open_rows(db, user) if row.user_agent == "Safari on iOS")
    phone.post("/logout")

    assert laptop.post(f"/account/sessions/{phone_row.id}/end").status_code == 404


def test_log_out_everywhere_ends_every_server_session(app, user, db):
    laptop = log_in(device(app), user, remember=True)
    phone = log_in(device(app, SAFARI), user)
    stolen = copy_of(app, laptop, session_cookie(app), remember_cookie(app))

    assert laptop.post("/account/logout-everywhere").status_code == 302

    assert not any(is_logged_in(c) for c in (laptop, phone, stolen))
    assert open_rows(db, user) == []


# --- password reset and change ------------------------------------------------------------


def test_a_password_reset_revokes_api_tokens_and_ends_every_session(app, user, db):
    token = new_token(db, user)
    phone = log_in(device(app, SAFARI), user, remember=True)
    stolen = copy_of(app, phone, remember_cookie(app))
    assert api_status(app, token) == 404  # the token works: the annotation is unknown

    visitor = device(app)
    visitor.post(
        "/reset-password", data={"email": user.email}, buffered=True
    )  # mail leaves after the answer
    done = visitor.post(
        mailed_reset_path(app), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]

    assert api_status(app, token) == 401
    assert not is_logged_in(phone) and not is_logged_in(stolen)
    assert open_rows(db, user) == []
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.revoked_at is not None


def test_a_password_change_keeps_this_session_and_ends_the_others(app, user, db):
    token = new_token(db, user)
    laptop = log_in(device(app), user, remember=True)
    phone = log_in(device(app, SAFARI), user)
    assert api_status(app, token) == 404

    response = laptop.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert api_status(app, token) == 401
    (kept,) = open_rows(db, user)
    assert kept.user_agent == "Firefox on Linux"
    # the new remember-me cookie brings the kept session back, as it should
    assert is_logged_in(copy_of(app, laptop, remember_cookie(app)))


def test_a_refused_password_change_ends_nothing(app, user, db):
    token = new_token(db, user)
    laptop = log_in(device(app), user)
    phone = log_in(device(app, SAFARI), user)

    response = laptop.post(
        "/account/password",
        data={
            "current_password": "not my password at all",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert is_logged_in(phone) and is_logged_in(laptop)
    assert api_status(app, token) == 404
    assert len(open_rows(db, user)) == 2


# --- suspension and deletion --------------------------------------------------------------


def test_suspension_ends_the_server_sessions(app, user, db):
    laptop = log_in(device(app), user, remember=True)
    stolen = copy_of(app, laptop, session_cookie(app), remember_cookie(app))
    user.suspended_at = utcnow()
    user.session_version += 1  # as the moderation service does
    db.session.commit()

    assert not is_logged_in(laptop) and not is_logged_in(stolen)
    user.suspended_at = None
    db.session.commit()
    assert not is_logged_in(stolen)  # reinstated: the old sessions stay ended
    assert open_rows(db, user) == []


def test_deleting_the_account_forgets_its_sessions(app, user, db):
    laptop = log_in(device(app), user)
    stolen = copy_of(app, laptop, session_cookie(app))

    laptop.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})

    assert not is_logged_in(stolen)
    db.session.expire_all()
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all() == []


def test_the_data_export_lists_the_sessions(app, user):
    laptop = log_in(device(app, SAFARI, "203.0.113.9"), user)

    export = laptop.get("/account/export.json").json

    (row,) = export["sessions"]
    assert row["user_agent"] == "Safari on iOS" and row["client_address"] == "203.0.113.9"
    assert row["ended_at"] is None


# --- what it costs ------------------------------------------------------------------------


def test_last_seen_is_noted_at_most_every_few_minutes(app, user, db):
    laptop = log_in(device(app), user)
    (row,) = open_rows(db, user)
    first_seen = row.last_seen_at

    laptop.get("/account/")
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at == first_seen

    row = db.session.get(UserSession, row.id)
    row.last_seen_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    laptop.get("/account/")
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_seen_at > utcnow() - timedelta(minutes=1)


def test_the_session_check_is_one_query(app, user, db, count_queries):
    anonymous = device(app)
    logged_in = log_in(device(app), user)
    anonymous.get("/"), logged_in.get("/")  # warm up
    db.session.remove()

    with count_queries() as seen_anonymous:
        assert anonymous.get("/").status_code == 200
    db.session.remove()
    with count_queries() as seen_logged_in:
        assert logged_in.get("/").status_code == 200

    checks = [s for s in seen_logged_in.statements if "user_sessions" in s]
    assert len(checks) == 1  # the session and its account, in one statement
    # The session check, and the header's unread count (the bell) of notifications.
    assert seen_logged_in.count - seen_anonymous.count <= 2
    assert len([s for s in seen_logged_in.statements if "notifications" in s]) == 1


def test_a_session_left_unused_for_a_week_asks_for_the_password_again(
    app, user, logged_in, db, monkeypatch
):
    from app.accounts import sessions

    client = logged_in(user)
    assert client.get("/account/").status_code == 200
    later = utcnow() + timedelta(days=7, minutes=6)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)

    response = client.get("/account/")

    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    db.session.expire_all()
    (row,) = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None
