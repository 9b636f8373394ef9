"""Logged-in browser sessions, kept on the server (`UserSession`).

Logging in opens a session row and puts a random key in the signed cookie, as part of
the id Flask-Login keeps (`user_id:session_version:key`, see `User.get_id`); only the
key's sha256 is stored. Every request that carries the cookie looks the row up (one
query, which also loads the account). Logging out ends the row, so a copy of the
cookie, or of the remember-me cookie, names no one afterwards. Bumping the account's
`session_version` (log out everywhere, password reset or change, suspension) ends every
session at once.

A session also ends by itself: after `SESSION_IDLE_TIMEOUT` seconds unused (7 days by
default) or `SESSION_MAX_AGE` seconds after the log-in (30 days), whichever comes first.
People read a paper over days and come back to a consultation over weeks, so an idle
limit of minutes, as a bank would set, would only log them out in the middle of a
section; but a session that is never used again should not stay good for ever, and even
one in daily use asks for the password again within a month (OWASP ASVS 3.3, NIST SP
800-63B's 30 days for a single-factor session). The remember-me cookie lasts no longer
than that either (`REMEMBER_COOKIE_DURATION`). An expired row is marked ended (at the
moment it expired) when it is next presented, and rows ended more than
`SESSION_RETENTION` seconds ago (30 days) are deleted: the account's own when it logs
in, everyone's by `flask sessions prune` (for cron).

Services add and flush; the request's boundary commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, select, update

from app.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow

# Noting every request would make every page a write; a few minutes is precise enough.
SEEN_RESOLUTION = timedelta(minutes=5)

USER_AGENT_LENGTH = UserSession.__table__.c.user_agent.type.length
ADDRESS_LENGTH = UserSession.__table__.c.client_address.type.length


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# --- how long a session lasts ----------------------------------------------------------


def idle_timeout() -> timedelta:
    """How long a session may go unused before it ends (`SESSION_IDLE_TIMEOUT`, seconds)."""
    return timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])


def max_age() -> timedelta:
    """How long a session lasts after the log-in however much it is used (`SESSION_MAX_AGE`)."""
    return timedelta(seconds=current_app.config["SESSION_MAX_AGE"])


def retention() -> timedelta:
    """How long an ended session's row is kept before it is deleted (`SESSION_RETENTION`)."""
    return timedelta(seconds=current_app.config["SESSION_RETENTION"])


def expires_at(row: UserSession) -> datetime:
    """When the open session `row` ends by itself: idle too long, or too old."""
    return min(row.last_seen_at + idle_timeout(), row.created_at + max_age())


def _unexpired(now: datetime):
    """The SQL condition of a session that has not yet expired at `now`."""
    return and_(
        UserSession.last_seen_at > now - idle_timeout(),
        UserSession.created_at > now - max_age(),
    )


# --- the user agent, summarised --------------------------------------------------------

# Checked in order: several browsers name others in their header (Edge says Chrome and
# Safari, Chrome says Safari).
_BROWSERS = [
    ("Edge", r"\bEdg(?:e|A|iOS)?/"),
    ("Opera", r"\b(?:OPR|Opera)/"),
    ("Samsung Internet", r"\bSamsungBrowser/"),
    ("Firefox", r"\b(?:Firefox|FxiOS)/"),
    ("Chrome", r"\b(?:Chrome|CriOS|Chromium)/"),
    ("Safari", r"\bSafari/"),
    ("curl", r"^curl/"),
]
_SYSTEMS = [
    ("Android", r"\bAndroid\b"),
    ("iOS", r"\b(?:iPhone|iPad|iPod)\b"),
    ("ChromeOS", r"\bCrOS\b"),
    ("Windows", r"\bWindows\b"),
    ("macOS", r"\bMac OS X\b|\bMacintosh\b"),
    ("Linux", r"\bLinux\b"),
]


def summarise_user_agent(header: str | None) -> str:
    """'Firefox on Linux': enough for a person to recognise a device, nothing more."""
    header = (header or "").strip()
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, header)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, header)), "")
    if browser and system:
        summary = f"{browser} on {system}"
    else:
        summary = browser or system or header.split(" ", 1)[0]
    return "".join(c for c in summary if c.isprintable())[:USER_AGENT_LENGTH]


# --- opening, finding and ending sessions ----------------------------------------------


def start_session(user: User, *, user_agent: str | None, client_address: str | None) -> str:
    """Open a session for `user` (who has just logged in) and return its key.

    The key is also set on `user.session_key`, so that `login_user(user)` keeps it in
    the cookie.
    """
    key = secrets.token_urlsafe(32)
    now = utcnow()
    prune_sessions(user_id=user.id, now=now)
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=key_digest(key),
            session_version=user.session_version,
            created_at=now,
            last_seen_at=now,
            user_agent=summarise_user_agent(user_agent),
            client_address=(client_address or "")[:ADDRESS_LENGTH],
        )
    )
    db.session.flush()
    user.session_key = key
    return key


def _parse_id(session_id: str) -> tuple[int, int, str] | None:
    """`user_id:session_version:key` taken apart, or None when it is not that."""
    parts = session_id.split(":")
    if len(parts) != 3 or not all(parts) or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1]), parts[2]


# Every signed-in request asks it first, so it is built once: building a statement (and its
# cache key) costs more than running this one.
_SESSION_AND_USER = (
    select(UserSession, User)
    .join(User, UserSession.user_id == User.id)
    .where(UserSession.key_hash == bindparam("key_hash"), UserSession.ended_at.is_(None))
)


def load_user(session_id: str) -> User | None:
    """The account an id kept in a session or remember-me cookie names, if its session
    is still open and the account active; one query. Notes that the session was seen."""
    parsed = _parse_id(session_id)
    if parsed is None:
        return None
    user_id, version, key = parsed
    found = db.session.execute(_SESSION_AND_USER, {"key_hash": key_digest(key)}).first()
    if found is None:
        return None
    row, user = found
    if user.id != user_id:
        return None
    if row.session_version != user.session_version:
        row.ended_at = utcnow()  # ended by a new session version (a suspension, say)
        return None
    if version != user.session_version or not user.is_active:
        return None
    now = utcnow()
    if expires_at(row) <= now:
        row.ended_at = expires_at(row)  # shows as ended, from when it expired
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    user.session_key = key
    return user


def active_sessions(user: User) -> list[UserSession]:
    """The account's open sessions, the most recently seen first; expired ones are not
    open, even before they are marked ended."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.session_version == user.session_version,
                _unexpired(utcnow()),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def is_current(row: UserSession, user: User) -> bool:
    """Whether `row` is the session `user` was loaded for in this request."""
    return bool(user.session_key) and row.key_hash == key_digest(user.session_key)


def end_session(user: User, key: str | None) -> None:
    """End the session with this key (logging out); nothing if there is none."""
    if not key:
        return
    db.session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.key_hash == key_digest(key),
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    db.session.flush()


def end_session_by_id(user: User, session_id: int) -> UserSession | None:
    """End one of the account's own open sessions; None when it has no such session."""
    if not 0 < session_id < 2**31:  # beyond the column: no such session (not a 500)
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.session_version == user.session_version,
        )
    )
    if row is not None:
        row.ended_at = utcnow()
        db.session.flush()
    return row


def end_all_sessions(user: User, *, keep: str | None = None) -> None:
    """End every session of the account; `keep` names one (by key) that goes on.

    The account's `session_version` is bumped, which also makes every cookie issued
    before name no one; the kept session moves to the new version, and the caller logs
    its user in again (`login_user`) so that its cookie carries it.
    """
    user.session_version = (user.session_version or 1) + 1
    open_rows = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep:
        kept = key_digest(keep)
        db.session.execute(
            update(UserSession)
            .where(*open_rows, UserSession.key_hash == kept)
            .values(session_version=user.session_version)
        )
        open_rows.append(UserSession.key_hash != kept)
    db.session.execute(update(UserSession).where(*open_rows).values(ended_at=utcnow()))
    db.session.flush()


def prune_sessions(*, user_id: int | None = None, now: datetime | None = None) -> int:
    """Mark expired sessions ended (at the moment they expired) and delete the rows ended
    longer than `SESSION_RETENTION` ago; of one account, or of all. Returns how many rows
    were deleted.

    A row ended recently is kept a while so that a session that was stolen and ended can
    still be told apart from one that never existed; after that it is only personal data
    (a device, an address) kept for nothing.
    """
    now = now or utcnow()
    mine = [UserSession.user_id == user_id] if user_id is not None else []
    expired = [*mine, UserSession.ended_at.is_(None), ~_unexpired(now)]
    # The moment each expired: the earlier of its two limits (done in Python: adding an
    # interval to a column is said differently by each database).
    for row in db.session.scalars(select(UserSession).where(*expired)):
        row.ended_at = expires_at(row)
    db.session.flush()
    result = db.session.execute(
        delete(UserSession).where(*mine, UserSession.ended_at < now - retention())
    )
    db.session.flush()
    return result.rowcount or 0
