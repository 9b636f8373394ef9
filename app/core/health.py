"""`/healthz` and `/readyz`, for load balancers, orchestrators and monitors.

- `/healthz` (liveness): `200 ok` whenever the process answers requests.
- `/readyz` (readiness): `200 ok` when the database answers a trivial query and, when
  the rate limits are kept outside the process (`RATELIMIT_STORAGE_URI` such as
  `redis://…`), that storage answers too; otherwise `503` with a short plain-text reason
  (`database unavailable`, `rate-limit storage unavailable`).

Neither is rate-limited or cached; neither says more than that.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core import transaction
from app.extensions import db, limiter

bp = Blueprint("health", __name__)

PLAIN = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
# How long /readyz waits for a Redis server before it calls it unavailable (seconds).
STORAGE_TIMEOUT = 2.0
_STORAGE_KEY = "readyz.ratelimit_storage"


def _plain(body: str, status: int):
    return body, status, PLAIN


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Answer `ok`: the process is alive and answering."""
    return _plain("ok", 200)


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Answer `ok` when the database (and an external rate-limit storage) answer."""
    if not database_answers():
        return _plain("database unavailable", 503)
    if not ratelimit_storage_answers():
        return _plain("rate-limit storage unavailable", 503)
    return _plain("ok", 200)


def database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        transaction.roll_back_now()
        return False
    return True


def ratelimit_storage_answers() -> bool:
    """True for in-memory limits (nothing to reach); else whether the storage answers."""
    try:
        storage = _ratelimit_storage()
        return storage is None or bool(storage.check())
    except Exception:
        return False


def _ratelimit_storage() -> Any:
    """The app's rate-limit storage as a client of its own (made once per app), with a
    short timeout; None when the limits are kept in memory."""
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://"):
        return None
    if _STORAGE_KEY not in current_app.extensions:
        options = dict(current_app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        if uri.split("://", 1)[0] in ("redis", "rediss", "redis+unix"):
            options.setdefault("socket_connect_timeout", STORAGE_TIMEOUT)
            options.setdefault("socket_timeout", STORAGE_TIMEOUT)
        current_app.extensions[_STORAGE_KEY] = storage_from_string(uri, **options)
    return current_app.extensions[_STORAGE_KEY]
