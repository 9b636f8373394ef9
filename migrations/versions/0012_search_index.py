"""search index: SQLite FTS5 or PostgreSQL full-text search, filled from what is stored

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:00:00.000000

One row per section, annotation, definition proposal and term (`app.search.index`):
`rowid` (the row's id times four plus its kind: 0 section, 1 annotation, 2 proposal,
3 term), `kind`, `ref` (the id), `title` and `body` (the words). On SQLite an FTS5
virtual table (Porter stemming over unicode61, accents folded); on PostgreSQL a table
with a generated `tsvector` (the 'english' configuration, the title weighted A and the
body B) and a GIN index on it.

The upgrade fills the index from the rows already stored, so an existing site needs no
step of its own; `flask search reindex` rebuilds it the same way at any time. The SQL
here is written out rather than imported, so that this revision keeps working whatever
the application's code becomes.
"""
from alembic import op
from sqlalchemy.exc import OperationalError


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

FTS5 = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "kind UNINDEXED, ref UNINDEXED, title, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
POSTGRES = [
    "CREATE TABLE search_index ("
    " rowid bigint NOT NULL,"
    " kind varchar(16) NOT NULL,"
    " ref integer NOT NULL,"
    " title text NOT NULL DEFAULT '',"
    " body text NOT NULL DEFAULT '',"
    " document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B')) STORED,"
    " CONSTRAINT pk_search_index PRIMARY KEY (rowid))",
    "CREATE INDEX ix_search_index_document ON search_index USING gin (document)",
]


# The two private-use characters that mark matches in snippets (removed from the words)
# and a newline, as each database writes them.
CHARACTERS = {
    "postgresql": ("chr(57344)", "chr(57345)", "chr(10)"),
    "sqlite": ("char(57344)", "char(57345)", "char(10)"),
}


def _fill(dialect):
    """INSERT … SELECT of every section, annotation, proposal and term, with the words that
    `app.search.index.words_of` gives them."""
    start, end, newline = CHARACTERS[dialect]

    def clean(column):
        return f"replace(replace(coalesce({column}, ''), {start}, ''), {end}, '')"

    def then(column):
        return f"coalesce({newline} || nullif({clean(column)}, ''), '')"

    aliases = (
        "(SELECT string_agg(value, ', ') FROM json_array_elements_text(terms.aliases))"
        if dialect == "postgresql"
        else "(SELECT group_concat(value, ', ') FROM json_each(terms.aliases))"
    )
    heading = "coalesce(nullif(number, '') || ' ', '') || title"
    insert = "INSERT INTO search_index (rowid, kind, ref, title, body) "
    return [
        insert + f"SELECT id * 4 + 0, 'section', id, {clean(heading)}, {clean('text')} "
        "FROM sections",
        insert + f"SELECT id * 4 + 1, 'annotation', id, '', "
        f"{clean('body')} || {then('proposed_text')} FROM annotations",
        insert + f"SELECT id * 4 + 2, 'proposal', id, '', "
        f"{clean('text')} || {then('rationale')} || {then('adopted_text')} "
        "FROM definition_proposals",
        insert + f"SELECT id * 4 + 3, 'term', id, {clean('label')}, "
        f"{clean('label')} || {then(aliases)} FROM terms",
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)
    else:
        try:
            op.execute(FTS5)
        except OperationalError as error:
            if "fts5" not in str(error).lower():
                raise
            raise RuntimeError(
                "This SQLite has no FTS5 full-text search (no such module: fts5), which "
                "search needs: use a Python whose sqlite3 module is built with it (Debian's, "
                "python.org's and most others are), or PostgreSQL."
            ) from error
    for statement in _fill(dialect):
        op.execute(statement)


def downgrade():
    op.execute("DROP TABLE search_index")
