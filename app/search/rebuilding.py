"""Rebuilding the whole index (`flask search reindex`): emptied, then filled kind by kind in
batches of ids, each batch one INSERT … SELECT with the words of `index.fill_statement` —
the same as migration 0012 writes — so that a progress bar can follow it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Connection

from app.search import index


def plan(connection: Connection, size: int) -> list[index.Batch]:
    """The batches to write, in order."""
    return list(index.batches(connection, size))


def rebuild(connection: Connection, batches: list[index.Batch]) -> Iterator[index.Batch]:
    """Empty the index and write `batches`, yielding each once written."""
    index.clear(connection)
    dialect = connection.dialect.name
    for batch in batches:
        connection.execute(index.fill_statement(batch.kind, dialect, batch.low, batch.high))
        yield batch


def counted(batches: list[index.Batch]) -> dict[str, int]:
    """Rows written per kind."""
    counts = {kind.label: 0 for kind in index.Kind}
    for batch in batches:
        counts[batch.kind.label] += batch.rows
    return counts
