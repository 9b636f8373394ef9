"""SQLite done right: WAL, enforced foreign keys, a busy timeout, and writers that say so.

A deferred SQLite transaction that reads and then writes fails at once with "database
is locked" when another connection wrote in between, however long the busy timeout.
So a transaction that may write starts with BEGIN IMMEDIATE and waits its turn instead.
Requests that only read (GET, HEAD, OPTIONS without a bearer token, whose last use is
recorded) begin deferred, so that readers never queue behind writers: in WAL mode
they read a snapshot. Outside requests (commands, scripts) transactions are writers
unless `reads_only()` says otherwise, and `writing()` marks a short transaction of its
own as a writer even inside a read-only request (the mail outbox writes after a GET's
commit). PostgreSQL needs none of this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set on `g` when the rest of a request only reads (a streamed answer).
READS_ONLY = "reads_only"
_writer_outside_requests: ContextVar[bool] = ContextVar("writer_outside_requests", default=True)
_writer_here: ContextVar[bool] = ContextVar("writer_here", default=False)


@contextmanager
def reads_only() -> Iterator[None]:
    """Outside a request, begin SQLite transactions deferred (for read-only work)."""
    token = _writer_outside_requests.set(False)
    try:
        yield
    finally:
        _writer_outside_requests.reset(token)


@contextmanager
def writing() -> Iterator[None]:
    """Begin SQLite transactions as writers (BEGIN IMMEDIATE), in a request or not."""
    token = _writer_here.set(True)
    try:
        yield
    finally:
        _writer_here.reset(token)


def _may_write() -> bool:
    if _writer_here.get():
        return True
    if has_request_context():
        if g.get(READS_ONLY):  # app.core.transaction.reads_only_from_here
            return False
        return request.method not in SAFE_METHODS or "Authorization" in request.headers
    return _writer_outside_requests.get()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    # Let SQLAlchemy emit BEGIN itself instead of pysqlite's implicit, deferred one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")
