"""Keeping the index in step with every write, in the same transaction.

An `after_flush` hook on every session looks at the sections, annotations, proposals and
terms that the flush inserted, changed (in the attributes whose words are indexed) or
deleted, and replaces or removes their index rows through the flush's own connection. A
request that is rolled back therefore leaves the index as it was, and a committed one
leaves it matching what it stored. Status changes write nothing: whether a hit may be
shown is asked of the real row at search time.

Bulk statements (`insert(Annotation)` with a list of rows, as bench/seed.py uses) do not
go through the flush; after them, `flask search reindex` rebuilds the index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.search import index


def _changed(row: Any) -> bool:
    state = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in index.WORDED[type(row)])


def _follow_flush(session: Session, _context: Any) -> None:
    entries: list[index.Entry] = []
    removed: list[int] = []
    for row in session.new:
        if type(row) in index.MODELS:
            entries.append(index.entry(row))
    for row in session.dirty:
        if type(row) in index.MODELS and _changed(row):
            entries.append(index.entry(row))
    for row in session.deleted:
        kind = index.MODELS.get(type(row))
        if kind is not None:
            removed.append(index.rowid(kind, row.id))
    if entries or removed:
        index.write(session.connection(), entries, removed)


if not event.contains(Session, "after_flush", _follow_flush):
    event.listen(Session, "after_flush", _follow_flush)
