"""The search index: one row per indexed thing, in one table that both engines share the
shape of.

On SQLite it is an FTS5 virtual table; on PostgreSQL a table whose `document` column (a
`tsvector`, generated from `title` and `body`, with a GIN index) is what is matched. Both
hold `kind` (section, annotation, proposal or term), `ref` (the id of the row in its own
table) and the words (`title`, weighted higher, and `body`), keyed by `rowid`, a number
made of the kind and the id, so that a row is found and replaced without a search.

The index holds words only: whether a hit may be shown is decided when searching, by
joining back to the real rows and asking each area's visibility rules. A row whose thing
is gone (deleted by a cascade in the database) simply joins to nothing.

The words of a row are declared twice, as a Python function (`words_of`, used by the
flush hook) and as SQL (`fill_statements`, used by `flask search reindex`, in the same
shape as migration 0012's filling): the text as written (Markdown for contributions, the
plain text of sections), without the two private-use characters that snippets use to
mark matches.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.engine import Connection

from app.models import Annotation, DefinitionProposal, Section, Term

TABLE = "search_index"
# What PostgreSQL stems and drops stop words with; SQLite's tokenizer stems with Porter's
# algorithm likewise (migration 0012). The papers are in English.
TEXT_SEARCH_CONFIG = "english"
# Marks around the matched words in a snippet: characters of Unicode's private use area,
# removed from the indexed text, so that every mark in a snippet is the engine's.
MARK_START = "\ue000"
MARK_END = "\ue001"


class Kind(enum.IntEnum):
    """What an index row stands for; the value is part of its `rowid`."""

    SECTION = 0
    ANNOTATION = 1
    PROPOSAL = 2
    TERM = 3

    @property
    def label(self) -> str:
        return self.name.lower()


KINDS = tuple(kind.label for kind in Kind)

# Not part of the models' metadata: the table is made by migration 0012 with what each
# engine needs (a virtual table, a generated column), which the models cannot declare.
metadata = MetaData()
search_index = Table(
    TABLE,
    metadata,
    Column("rowid", BigInteger, primary_key=True),
    Column("kind", String(16)),
    Column("ref", Integer),
    Column("title", Text),
    Column("body", Text),
)

MODELS: dict[type, Kind] = {
    Section: Kind.SECTION,
    Annotation: Kind.ANNOTATION,
    DefinitionProposal: Kind.PROPOSAL,
    Term: Kind.TERM,
}
# The attributes whose change changes a row's words.
WORDED: dict[type, tuple[str, ...]] = {
    Section: ("number", "title", "text"),
    Annotation: ("body", "proposed_text"),
    DefinitionProposal: ("text", "rationale", "adopted_text"),
    Term: ("label", "aliases"),
}


def rowid(kind: Kind, ref: int) -> int:
    return ref * len(Kind) + kind.value


def _clean(text: str | None) -> str:
    return (text or "").replace(MARK_START, "").replace(MARK_END, "")


def _joined(first: str | None, *more: str | None) -> str:
    """The first part, then each other that is not empty, on lines of their own."""
    return "\n".join([_clean(first), *(c for c in map(_clean, more) if c)])


def words_of(row: Any) -> tuple[str, str]:
    """The (title, body) indexed for a section, annotation, proposal or term."""
    if isinstance(row, Section):
        heading = f"{row.number} {row.title}" if row.number else row.title
        return _clean(heading), _clean(row.text)
    if isinstance(row, Annotation):
        return "", _joined(row.body, row.proposed_text)
    if isinstance(row, DefinitionProposal):
        return "", _joined(row.text, row.rationale, row.adopted_text)
    if isinstance(row, Term):
        return _clean(row.label), _joined(row.label, ", ".join(row.aliases or []))
    raise TypeError(f"not indexed: {type(row).__name__}")


@dataclass(frozen=True)
class Entry:
    rowid: int
    kind: str
    ref: int
    title: str
    body: str

    def values(self) -> dict[str, Any]:
        return {
            "rowid": self.rowid,
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "body": self.body,
        }


def entry(row: Any) -> Entry:
    kind = MODELS[type(row)]
    title, body = words_of(row)
    return Entry(rowid(kind, row.id), kind.label, row.id, title, body)


def write(connection: Connection, entries: list[Entry], removed: list[int]) -> None:
    """Replace the rows of `entries` and remove those of `removed` (rowids).

    Entries are written with one upsert (SQLite's `INSERT OR REPLACE`, which FTS5 honours;
    PostgreSQL's `ON CONFLICT (rowid) DO UPDATE`), not a DELETE then an INSERT: every
    new contribution passes here, and a row may still be there for its rowid (a thing
    removed by a cascade in the database leaves its row behind)."""
    for start in range(0, len(removed), 500):
        connection.execute(
            delete(search_index).where(search_index.c.rowid.in_(removed[start : start + 500]))
        )
    if entries:
        connection.execute(_upsert(connection.dialect.name), [e.values() for e in entries])


def _upsert(dialect: str):
    if dialect == "postgresql":
        statement = postgresql_insert(search_index)
        return statement.on_conflict_do_update(
            index_elements=[search_index.c.rowid],
            set_={name: statement.excluded[name] for name in ("kind", "ref", "title", "body")},
        )
    return insert(search_index).prefix_with("OR REPLACE")


# --- the same words, as SQL: reindexing and the migration ---------------------------------


def _sql_clean(expression: Any) -> Any:
    inner = func.replace(func.coalesce(expression, ""), MARK_START, "", type_=Text)
    return func.replace(inner, MARK_END, "", type_=Text)


def _sql_joined(first: Any, *more: Any) -> Any:
    """As `_joined`, in SQL."""
    result = _sql_clean(first)
    for part in more:
        result = result + func.coalesce(
            literal("\n") + func.nullif(_sql_clean(part), "", type_=Text), ""
        )
    return result


def _aliases(dialect: str) -> Any:
    """A term's aliases joined by ", " (a JSON list in the column)."""
    if dialect == "postgresql":
        items = func.json_array_elements_text(Term.aliases).table_valued("value")
        return (
            select(func.string_agg(items.c.value, literal(", ")))
            .select_from(items)
            .scalar_subquery()
        )
    items = func.json_each(Term.aliases).table_valued("value")
    return select(func.group_concat(items.c.value, ", ")).select_from(items).scalar_subquery()


def _select(kind: Kind, dialect: str, low: int, high: int):
    code, size = kind.value, len(Kind)
    if kind is Kind.SECTION:
        model = Section
        heading = (
            func.coalesce(func.nullif(Section.number, "", type_=Text) + literal(" "), "")
            + Section.title
        )
        title, body = _sql_clean(heading), _sql_clean(Section.text)
    elif kind is Kind.ANNOTATION:
        model = Annotation
        title, body = literal(""), _sql_joined(Annotation.body, Annotation.proposed_text)
    elif kind is Kind.PROPOSAL:
        model = DefinitionProposal
        title = literal("")
        body = _sql_joined(
            DefinitionProposal.text,
            DefinitionProposal.rationale,
            DefinitionProposal.adopted_text,
        )
    else:
        model = Term
        aliases = _aliases(dialect)
        title = _sql_clean(Term.label)
        body = _sql_clean(Term.label) + func.coalesce(
            literal("\n") + func.nullif(_sql_clean(aliases), "", type_=Text), ""
        )
    return select(
        cast(model.id * size + code, BigInteger),
        literal(kind.label),
        model.id,
        title,
        body,
    ).where(model.id >= low, model.id < high)


def fill_statement(kind: Kind, dialect: str, low: int, high: int):
    """INSERT … SELECT of the rows of one kind whose ids are in [low, high)."""
    columns = [search_index.c[name] for name in ("rowid", "kind", "ref", "title", "body")]
    return insert(search_index).from_select(columns, _select(kind, dialect, low, high))


MODEL_OF = {kind: model for model, kind in MODELS.items()}


@dataclass(frozen=True)
class Batch:
    kind: Kind
    low: int
    high: int
    rows: int


def batches(connection: Connection, size: int = 5000) -> Iterator[Batch]:
    """Ranges of ids, kind by kind, of about `size` rows each: what reindexing walks."""
    for kind in Kind:
        model = MODEL_OF[kind]
        ids = connection.execute(select(model.id).order_by(model.id)).scalars().all()
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            yield Batch(kind, chunk[0], chunk[-1] + 1, len(chunk))


def clear(connection: Connection) -> None:
    connection.execute(delete(search_index))


def outside_models(name: str) -> bool:
    """The index's tables (FTS5 adds shadow tables `search_index_*`), which migration 0012
    makes and the models do not declare: Alembic's comparisons leave them out."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def include_name(name: str | None, type_: str, _parents: Any = None) -> bool:
    """Alembic's `include_name` hook: everything but the index's tables."""
    return not (type_ == "table" and name is not None and outside_models(name))
