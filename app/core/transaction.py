"""The one place where work is committed or rolled back.

A web request is one unit of work: services add and flush, views never commit, and
when the response is ready this boundary commits what the request wrote if it
succeeded (a status below 400, and nothing asked for a rollback) and rolls it back
otherwise, so that a refused request leaves nothing half-written. An unexpected
exception rolls back too. A request that wrote nothing is left to end with the
session, at the end of the application context.
Mail queued by the services leaves from the session's `after_commit` event
(`app.core.mail`), so it goes out only once the work it tells of is stored.

Outside requests (the `flask` commands, scripts) `unit_of_work()` is the same boundary
as a context manager: it commits when its block ends normally and rolls back when the
block raises.

A view that catches a service's refusal to show it beside a form, and still answers
200, calls `discard()`: what the service flushed before refusing is then rolled back.

Work that runs once the answer has gone (`response.call_on_close`) and writes on a
connection of its own (the password-reset page's mail) is wrapped in `after_answer()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.core import revisions
from app.core.database import READS_ONLY
from app.core.mail import pending_mail
from app.extensions import db

_WROTE = "app.transaction.wrote"


def discard() -> None:
    """Roll this request's work back at its end, whatever its status."""
    g.transaction_discarded = True


def roll_back_now() -> None:
    """End a failed transaction at once, so that an error page can still read the database."""
    db.session.rollback()


def reads_only_from_here() -> None:
    """In a request whose answer is streamed after this boundary has run: what follows
    only reads. A request with a bearer token began its transaction as a writer (its
    token's use is recorded); left open through a long stream, that transaction would hold
    SQLite's write lock for the whole download. So it ends here — whatever the request
    wrote, the boundary has committed already — and the reads that follow begin deferred,
    one snapshot from their first query to the end of the stream."""
    setattr(g, READS_ONLY, True)
    db.session.rollback()


def _discarded() -> bool:
    return bool(g.get("transaction_discarded"))


def _has_work(session: Session) -> bool:
    """Whether the session holds writes, flushed or not, that a commit would store, or
    mail that a commit would send (a password reset queues mail and writes nothing)."""
    return bool(
        session.new
        or session.dirty
        or session.deleted
        or session.info.get(_WROTE)
        or pending_mail(session)
    )


def _note_flush(session: Session, _context) -> None:
    session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    """An UPDATE, DELETE or INSERT statement run through the session flushes nothing, so
    `after_flush` never hears of it; it is work all the same."""
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info[_WROTE] = True


def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


for _name, _hook in (
    ("after_flush", _note_flush),
    ("do_orm_execute", _note_statement),
    ("after_transaction_end", _forget_writes),
):
    if not event.contains(Session, _name, _hook):
        event.listen(Session, _name, _hook)
# What the public pages show is counted in the same transactions (kept pages, ETags).
revisions.listen()


def init_app(app: Flask) -> None:
    """Commit each successful request once, after its view; roll back every other."""

    @app.after_request
    def end_unit_of_work(response: Response) -> Response:
        session = db.session()
        if not _has_work(session):
            return response
        if response.status_code < 400 and not _discarded():
            session.commit()
        else:
            session.rollback()
        return response

    @app.teardown_request
    def roll_back_on_exception(error: BaseException | None) -> None:
        if error is not None and _has_work(db.session()):
            db.session.rollback()


def after_answer(work: Callable[[], Any]) -> Callable[[], Any]:
    """`work` to run once the answer has gone, after the request's session has ended.

    A server pops the request's application context, and with it the session, before
    it closes the response, so there is nothing to do. Flask's test client keeps the
    test's context open across requests instead, and with it a session the request left
    open because it wrote nothing: its transaction would hold SQLite's write lock or an
    old snapshot while `work` writes on a connection of its own. It holds nothing to
    store, so it is ended first, as the end of the context would have ended it.
    """
    app = current_app._get_current_object()

    def run() -> Any:
        if has_app_context() and current_app._get_current_object() is app:
            session = db.session()
            if session.in_transaction() and not _has_work(session):
                session.rollback()
        return work()

    return run


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit the block's work when it ends normally; roll it back when it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
