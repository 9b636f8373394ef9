"""One interface, two engines: SQLite FTS5 and PostgreSQL full-text search.

Each engine says how the index is matched against the terms (`matches`), how well a row
matches (`score`, higher is better), and builds the snippets of the rows on a page
(`snippets`), with the matched words between `index.MARK_START` and `index.MARK_END`.

- SQLite: `search_index MATCH '"word" "other" "a phrase"'` on the FTS5 table (Porter
  stemming over the unicode61 tokenizer), ranked by `bm25()` with the title weighing five
  times the body; snippets by FTS5's `snippet()`.
- PostgreSQL: `document @@ (plainto_tsquery(words) && phraseto_tsquery(phrase) …)` with
  the 'english' configuration (stems, and leaves out stop words: a query of stop words
  only finds nothing there), ranked by `ts_rank` (title weighted A, body B); snippets by
  `ts_headline`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY

from app.search.index import MARK_END, MARK_START, TEXT_SEARCH_CONFIG, search_index
from app.search.terms import Terms

# Words of context in a snippet.
SNIPPET_WORDS = 24


class Engine:
    name = ""

    def matches(self, terms: Terms) -> Any:
        raise NotImplementedError

    def score(self, terms: Terms) -> Any:
        raise NotImplementedError

    def snippets(self, session: Any, terms: Terms, rowids: list[int]) -> dict[int, str]:
        raise NotImplementedError


class Fts5(Engine):
    name = "sqlite"

    def matches(self, terms: Terms) -> Any:
        return literal_column("search_index").op("MATCH")(terms.fts5())

    def score(self, terms: Terms) -> Any:
        # bm25() is lower for better matches; the weights follow the columns (kind, ref,
        # title, body).
        return -func.bm25(literal_column("search_index"), 0.0, 0.0, 5.0, 1.0, type_=Float)

    def snippets(self, session: Any, terms: Terms, rowids: list[int]) -> dict[int, str]:
        if not rowids:
            return {}
        snippet = func.snippet(
            literal_column("search_index"), 3, MARK_START, MARK_END, "…", SNIPPET_WORDS
        )
        rows = session.execute(
            select(search_index.c.rowid, snippet).where(
                self.matches(terms), search_index.c.rowid.in_(rowids)
            )
        )
        return dict(rows.all())


class Postgres(Engine):
    name = "postgresql"
    OPTIONS = (
        f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, '
        'MinWords=10, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
    )

    def query(self, terms: Terms) -> Any:
        config = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
        parts = []
        if terms.words:
            parts.append(func.plainto_tsquery(config, terms.plain(), type_=TSQUERY))
        parts += [
            func.phraseto_tsquery(config, " ".join(phrase), type_=TSQUERY)
            for phrase in terms.phrases
        ]
        result = parts[0]
        for part in parts[1:]:
            result = result.op("&&", return_type=TSQUERY)(part)
        return result

    def matches(self, terms: Terms) -> Any:
        return literal_column("search_index.document").op("@@")(self.query(terms))

    def score(self, terms: Terms) -> Any:
        return func.ts_rank(literal_column("search_index.document"), self.query(terms), type_=Float)

    def snippets(self, session: Any, terms: Terms, rowids: list[int]) -> dict[int, str]:
        if not rowids:
            return {}
        config = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
        headline = func.ts_headline(config, search_index.c.body, self.query(terms), self.OPTIONS)
        rows = session.execute(
            select(search_index.c.rowid, headline).where(search_index.c.rowid.in_(rowids))
        )
        return dict(rows.all())


ENGINES = {engine.name: engine for engine in (Fts5(), Postgres())}


def engine_for(session: Any) -> Engine:
    """The engine of the database the session talks to."""
    return ENGINES[session.get_bind().dialect.name]
