"""Sessions kept on the server (`app.accounts.sessions`): opening, finding, ending them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services, sessions
from app.models import UserSession
from app.models.base import utcnow


def open_session(user, agent: str = "", address: str = "192.0.2.1") -> str:
    return sessions.start_session(user, user_agent=agent, client_address=address)


def row_for(db, key: str) -> UserSession:
    db.session.expire_all()
    return db.session.scalar(
        select(UserSession).where(UserSession.key_hash == sessions.key_digest(key))
    )


@pytest.mark.parametrize(
    ("header", "summary"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "python-requests/2.32.3"),
        ("", ""),
        (None, ""),
        ("\x00\x1b[31mevil\u202e", "[31mevil"),  # no control or format characters
        ("x" * 1000, "x" * 120),
    ],
)
def test_the_user_agent_is_summarised(header, summary):
    assert sessions.summarise_user_agent(header) == summary


def test_only_the_keys_digest_is_stored(user, db):
    key = open_session(user, "curl/8", "2001:db8::1" + "0" * 60)
    db.session.commit()

    row = row_for(db, key)
    assert key not in row.key_hash and len(row.key_hash) == 64
    assert row.user_agent == "curl" and len(row.client_address) == 45
    assert user.get_id() == f"{user.id}:{user.session_version}:{key}"


def test_an_ended_session_names_no_one(user, db):
    key = open_session(user)
    session_id = user.get_id()
    db.session.commit()
    assert services.load_user_from_session(session_id) is user

    sessions.end_session(user, key)
    db.session.commit()

    assert services.load_user_from_session(session_id) is None
    assert row_for(db, key).ended_at is not None


def test_a_key_is_good_only_for_its_own_account_and_version(user, create_user, db):
    other = create_user()
    key = open_session(user)
    db.session.commit()

    assert sessions.load_user(f"{other.id}:{other.session_version}:{key}") is None
    assert sessions.load_user(f"{user.id}:{user.session_version + 1}:{key}") is None
    assert sessions.load_user(f"{user.id}:{user.session_version}:{key}x") is None
    assert sessions.load_user(f"{user.id}:{user.session_version}:{key}") is user


def test_a_new_session_version_ends_the_rows_opened_before_it(user, db):
    key = open_session(user)
    session_id = user.get_id()
    user.session_version += 1  # as a suspension does, without knowing of the rows
    db.session.commit()
    assert sessions.active_sessions(user) == []

    assert sessions.load_user(session_id) is None
    db.session.commit()
    assert row_for(db, key).ended_at is not None


def test_a_suspended_account_is_not_loaded(user, db):
    open_session(user)
    session_id = user.get_id()
    user.suspended_at = utcnow()
    db.session.commit()

    assert sessions.load_user(session_id) is None


def test_ending_all_sessions_can_keep_one(user, db):
    kept = open_session(user, "Firefox/1")
    others = [open_session(user), open_session(user)]
    version = user.session_version
    db.session.commit()

    sessions.end_all_sessions(user, keep=kept)
    db.session.commit()

    assert user.session_version == version + 1
    assert [row.key_hash for row in sessions.active_sessions(user)] == [sessions.key_digest(kept)]
    assert all(row_for(db, key).ended_at is not None for key in others)
    assert sessions.load_user(f"{user.id}:{user.session_version}:{kept}") is user
    assert sessions.load_user(f"{user.id}:{version}:{kept}") is None  # the old cookie


def test_ending_all_sessions_without_keeping_one(user, db):
    keys = [open_session(user), open_session(user)]
    db.session.commit()

    services.end_all_sessions(user)
    db.session.commit()

    assert sessions.active_sessions(user) == []
    assert all(row_for(db, key).ended_at is not None for key in keys)


def test_a_session_is_seen_at_most_every_few_minutes(user, db):
    key = open_session(user)
    session_id = user.get_id()
    db.session.commit()
    first = row_for(db, key).last_seen_at

    sessions.load_user(session_id)
    assert not db.session.dirty

    row = row_for(db, key)
    row.last_seen_at = first - sessions.SEEN_RESOLUTION - timedelta(seconds=1)
    db.session.commit()
    sessions.load_user(session_id)
    db.session.commit()
    assert row_for(db, key).last_seen_at >= first


def test_nobody_ends_a_session_of_another_account(user, create_user, db):
    other = create_user()
    open_session(user)
    db.session.commit()
    (row,) = sessions.active_sessions(user)

    assert sessions.end_session_by_id(other, row.id) is None
    sessions.end_session(other, "not a key")
    assert sessions.end_session_by_id(user, row.id) is row
    assert sessions.end_session_by_id(user, row.id) is None  # already ended
    db.session.rollback()


def test_a_password_reset_revokes_tokens_and_ends_sessions(user, db):
    services.issue_api_token(user, "a")
    services.issue_api_token(user, "b")
    open_session(user)
    db.session.commit()

    services.reset_password(user, "another fine passphrase 7")
    db.session.commit()

    assert services.active_api_tokens(user) == []
    assert sessions.active_sessions(user) == []


def test_a_password_change_revokes_tokens_and_keeps_the_session_making_it(user, db):
    from tests.conftest import DEFAULT_PASSWORD

    services.issue_api_token(user, "a")
    other = open_session(user)
    this = open_session(user)
    db.session.commit()

    services.change_password(user, DEFAULT_PASSWORD, "another fine passphrase 7", keep_session=this)
    db.session.commit()

    assert services.active_api_tokens(user) == []
    assert [row.key_hash for row in sessions.active_sessions(user)] == [sessions.key_digest(this)]
    assert row_for(db, other).ended_at is not None


# --- idle timeout, absolute lifetime, pruning -----------------------------------------------


class Clock:
    """The time the sessions module sees: starts now, moves only when told."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sessions, "utcnow", clock)
    return clock


def test_the_limits_are_a_week_unused_and_a_month_in_all(app):
    assert sessions.idle_timeout() == timedelta(days=7)
    assert sessions.max_age() == timedelta(days=30)
    assert sessions.retention() == timedelta(days=30)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_a_session_unused_for_longer_than_the_idle_timeout_ends(user, db, clock):
    key = open_session(user)
    session_id = user.get_id()
    db.session.commit()

    clock.advance(days=7, seconds=-1)
    assert services.load_user_from_session(session_id) is user  # used: seen again
    db.session.commit()
    clock.advance(days=7, seconds=-1)
    assert services.load_user_from_session(session_id) is user
    db.session.commit()
    seen = row_for(db, key).last_seen_at
    clock.advance(days=7, seconds=1)
    assert sessions.active_sessions(user) == []  # not listed, even before it is marked
    assert services.load_user_from_session(session_id) is None
    db.session.commit()

    assert row_for(db, key).ended_at == seen + timedelta(days=7)  # when it expired
    clock.advance(days=-30)
    assert services.load_user_from_session(session_id) is None  # ended stays ended


def test_a_session_in_daily_use_ends_a_month_after_the_log_in(user, db, clock):
    key = open_session(user)
    session_id = user.get_id()
    started = clock.now
    db.session.commit()

    for _day in range(29):
        clock.advance(days=1)
        assert services.load_user_from_session(session_id) is user
        db.session.commit()
    clock.advance(days=1)
    assert services.load_user_from_session(session_id) is None
    db.session.commit()
    assert row_for(db, key).ended_at == started + timedelta(days=30)


def test_the_limits_come_from_the_configuration(app, user, db, clock):
    app.config["SESSION_IDLE_TIMEOUT"] = 60 * 30
    open_session(user)
    session_id = user.get_id()
    db.session.commit()

    clock.advance(minutes=31)
    assert services.load_user_from_session(session_id) is None


def test_pruning_ends_expired_sessions_and_deletes_those_ended_a_month_ago(
    user, create_user, db, clock
):
    other = create_user()
    old = open_session(user)  # will expire, then be kept a month
    logged_out = open_session(other)
    sessions.end_session(other, logged_out)
    db.session.commit()
    clock.advance(days=25)
    recent = open_session(user)
    db.session.commit()

    clock.advance(days=5)  # `old` expired 23 days ago, `logged_out` ended 30 days ago
    assert sessions.prune_sessions() == 0
    db.session.commit()
    assert row_for(db, old).ended_at is not None
    assert row_for(db, recent).ended_at is None

    clock.advance(days=7, seconds=1)
    assert sessions.prune_sessions() == 2  # `old` and `logged_out`; `recent` only just expired
    db.session.commit()
    assert row_for(db, old) is None and row_for(db, logged_out) is None
    assert row_for(db, recent).ended_at is not None


def test_logging_in_prunes_the_accounts_own_old_sessions(user, create_user, db, clock):
    other = create_user()
    mine = open_session(user)
    theirs = open_session(other)
    db.session.commit()

    clock.advance(days=60)
    open_session(user)
    db.session.commit()

    assert row_for(db, mine) is None
    assert row_for(db, theirs) is not None  # another account's: for `flask sessions prune`


def test_flask_sessions_prune(runner, user, db, clock):
    key = open_session(user)
    db.session.commit()
    clock.advance(days=90)

    result = runner.invoke(args=["sessions", "prune"])

    assert result.exit_code == 0, result.output
    assert "1 ended session(s) deleted" in result.output
    assert row_for(db, key) is None
