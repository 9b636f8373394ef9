"""The revision of what the public pages show, raised in the same transaction as the change.

The pages kept for anonymous readers (`app.core.page_cache`) and their ETags are keyed on
these counters, so a counter that failed to move would serve a stale page. Nothing here
relies on the services remembering it: Session events watch every write.

- After each flush, every row added, changed or deleted names the scope it belongs to: its
  paper (a paper, a version, an annotation, and what hangs on an annotation already loaded
  in the session) or the whole site (terms, definitions, votes, accounts, and whatever
  this module cannot place). Rows no public page shows are `QUIET`, and so are the columns
  of an account that no page shows (its log-in time, password, e-mail address).
- An INSERT, UPDATE or DELETE statement run through the session (a bulk change of
  statuses, say) flushes nothing; it raises the site's counter, unless its table is quiet.
- Just before the commit, the counters of the scopes gathered are raised at once, in a
  fixed order (so that two writers never wait on each other's rows), on the transaction's
  own connection: the new counters become visible with the change, never before.

A reader asks for the counters once per request, with one small query (`state_of`): the
page kept for anonymous readers and the margin kept for every reader who sees what they see
(`app.annotations.margin_cache`) ask the same answer. A transaction that wrote what pages show
is `unsettled` until it commits: the counters still name the pages as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, has_app_context
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from app.models import (
    SITE_SCOPE,
    Annotation,
    ApiToken,
    Flag,
    Follow,
    IdempotencyRecord,
    ModerationLog,
    Notification,
    NotificationSetting,
    OutgoingMail,
    PageRevision,
    Paper,
    PaperVersion,
    User,
    UserSession,
)
from app.models.base import utcnow

_SCOPES = "app.revisions.scopes"
_STATES = "app.revisions.states"

# Rows that no public page shows: writing them leaves every page as it was. (A flag that
# hides an item changes the item's status, which counts; the log only follows decisions.)
QUIET = (
    PageRevision,
    Flag,
    ModerationLog,
    UserSession,
    ApiToken,
    IdempotencyRecord,
    OutgoingMail,
    Notification,
    NotificationSetting,
    Follow,
)
# An account's columns that no public page shows. A new account shows nowhere until it
# posts, and its post raises its paper's counter.
QUIET_USER_COLUMNS = frozenset(
    {
        "email",
        "password_hash",
        "last_login_at",
        "session_version",
        "email_confirmed_at",
        "terms_accepted_at",
        "trusted",
    }
)


def _scopes(session: Session) -> set[int]:
    return session.info.setdefault(_SCOPES, set())


def _loaded_paper_id(session: Session, model: type, row_id) -> int | None:
    """The paper of a row already in the session (no query in the middle of a flush)."""
    if row_id is None:
        return None
    found = session.identity_map.get(identity_key(model, row_id))
    return getattr(found, "paper_id", None) if found is not None else None


def _scope_of(session: Session, row: object, *, added: bool) -> int | None:
    """The scope whose pages show `row`; None for a row no public page shows."""
    if isinstance(row, QUIET):
        return None
    if isinstance(row, User):
        if added:
            return None
        state = inspect(row)
        changed = {
            attr.key
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()
        }
        return SITE_SCOPE if changed - QUIET_USER_COLUMNS else None
    if isinstance(row, Paper):
        return row.id
    paper_id = getattr(row, "paper_id", None)
    if paper_id is None:
        paper_id = _loaded_paper_id(session, Annotation, getattr(row, "annotation_id", None))
    if paper_id is None:
        paper_id = _loaded_paper_id(session, PaperVersion, getattr(row, "version_id", None))
    return paper_id if isinstance(paper_id, int) else SITE_SCOPE


def _note_flush(session: Session, _context) -> None:
    scopes = _scopes(session)
    changed = [row for row in session.dirty if session.is_modified(row)]
    for rows, added in ((session.new, True), (changed, False), (session.deleted, False)):
        for row in rows:
            scope = _scope_of(session, row, added=added)
            if scope is not None:
                scopes.add(scope)


def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, QUIET):
        return
    _scopes(state.session).add(SITE_SCOPE)


def _raise_counters(session: Session) -> None:
    """Raise the gathered counters on the transaction's connection, just before it commits."""
    session.flush()  # the commit would flush next; its rows must be counted first
    scopes = session.info.pop(_SCOPES, None)
    if not scopes:
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    for scope in sorted(scopes):
        statement = insert(PageRevision.__table__).values(scope=scope, revision=1, changed_at=now)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["scope"],
                set_={"revision": PageRevision.__table__.c.revision + 1, "changed_at": now},
            )
        )


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SCOPES, None)
        if has_app_context():
            g.pop(_STATES, None)


def unsettled(session: Session) -> bool:
    """Whether this transaction changed what a page shows without having committed it yet
    (its counters are raised at the commit): what it reads then is not what the counters
    read so far name."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return bool(session.info.get(_SCOPES))


def listen() -> None:
    """Watch every Session (idempotent: `create_app` may run many times in one process)."""
    from sqlalchemy import event

    for name, hook in (
        ("after_flush", _note_flush),
        ("do_orm_execute", _note_statement),
        ("before_commit", _raise_counters),
        ("after_transaction_end", _forget),
    ):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


@dataclass(frozen=True)
class PagesState:
    """What a public page depends on in the database: a token that changes with it, and
    when it last changed (None before the first change)."""

    token: str
    changed_at: datetime | None


def state_of(session: Session, slug: str | None) -> PagesState | None:
    """One query. With `slug`, the counters of the site and of that paper (None if that paper
    has none: no such paper, or nothing to key its pages on yet); without, every counter,
    for the pages that show every paper (the list of papers, the glossary).

    Asked again in the same request and transaction, the first answer: the counters move
    there only by its own commit (which forgets the answer) or by another's under READ
    COMMITTED, and an answer older than what is read next only names a page that is then
    computed afresh once more."""
    if not has_app_context():
        return _read_state(session, slug)
    known = g.setdefault(_STATES, {})
    if slug not in known:
        known[slug] = _read_state(session, slug)
    return known[slug]


def _read_state(session: Session, slug: str | None) -> PagesState | None:
    table = PageRevision.__table__
    if slug is None:
        total, count, latest = session.execute(
            select(
                func.coalesce(func.sum(table.c.revision), 0),
                func.count(),
                func.max(table.c.changed_at),
            )
        ).one()
        return PagesState(f"all.{count}.{total}", latest)
    paper = select(Paper.id).where(Paper.slug == slug).scalar_subquery()
    rows = session.execute(
        select(table.c.scope, table.c.revision, table.c.changed_at).where(
            or_(table.c.scope == SITE_SCOPE, table.c.scope == paper)
        )
    ).all()
    site = next((r for r in rows if r.scope == SITE_SCOPE), None)
    own = next((r for r in rows if r.scope != SITE_SCOPE), None)
    if own is None:
        return None
    latest = max(r.changed_at for r in rows)
    return PagesState(f"p{own.scope}.{own.revision}.s{site.revision if site else 0}", latest)
