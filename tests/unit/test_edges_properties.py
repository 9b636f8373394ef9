"""Property tests of the paper source parser at the edges: every front matter field gets
values of unexpected YAML types (naive and offset datetimes, floats, lists, mappings,
whole numbers beyond 64 bits, escapes that make U+0000 or lone surrogates) and text
longer than its column; headings get titles, numbers and keys of every length.

The promises: the parser either refuses with a `SourceError` that names the field (for
front matter) and stands on a line of the source, or accepts a source that then imports
on SQLite and PostgreSQL and stores what it said. The budget is bounded (`EDGE_EXAMPLES`,
derandomized).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.core.errors import ServiceError
from app.editor.publishing import import_version
from app.models import Paper, PaperVersion, Section
from app.models.limits import column_length, integer_range
from app.papers.source import SourceError, parse_source
from tests.edges import EDGE

BASE = {
    "title": '"Edge paper"',
    "version": '"5.0"',
    "authors": "[A. Author, B. Author]",
    "date": "2006-10-24",
}
# Every front matter field the parser reads.
FIELDS = [
    *BASE,
    "editors",
    "number",
    "series",
    "comment_period",
    "acknowledgement",
    "change_note",
]
YAML_VALUES = [
    "2006-10-24 10:00",
    "2006-10-24 10:00:00",
    "2006-10-24T10:00:00+01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "9999-12-31",
    "5.0",
    "5",
    "-1",
    ".nan",
    ".inf",
    "true",
    "~",
    '""',
    "[]",
    "{}",
    "[a, b]",
    "{a: b}",
    "{opens: 1}",
    "{opens: 2006-10-24 10:00:00, closes: 2006-10-25}",
    "{opens: 2006-10-25, closes: 2006-10-24}",
    "{opens: 2006-10-24T10:00:00+01:00}",
    "[[a], {b: c}]",
    '"a\\0b"',
    '"a\\ud800b"',
    "!!binary aGVsbG8=",
    str(2**31),
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    str(10**30),
]
LENGTHS = [1, 19, 20, 21, 99, 100, 101, 299, 300, 301, 1000, 20000]


def long_text(quoted: bool) -> st.SearchStrategy[str]:
    def make(n: int, c: str) -> str:
        text = (c * n)[:n]
        return f'"{text}"' if quoted else text

    return st.builds(make, st.sampled_from(LENGTHS), st.sampled_from(["x", "é", "字", "😀"]))


YAML_VALUE = st.one_of(st.sampled_from(YAML_VALUES), long_text(quoted=True))


def source(meta: dict[str, str], body: str = "# Introduction\n\nSome text.\n") -> str:
    lines = ["---", *(f"{name}: {value}" for name, value in meta.items()), "---", "", body]
    return "\n".join(lines)


_slugs = (f"edge-{n}" for n in itertools.count())


def imports(db, parsed) -> None:
    """Store the parsed source as a paper of its own; it must be stored as parsed."""
    slug = next(_slugs)
    try:
        import_version(slug, parsed)
        db.session.flush()
    except ServiceError:
        db.session.rollback()
        return
    paper = db.session.scalar(select(Paper).where(Paper.slug == slug))
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    assert version.title == parsed.title == paper.title
    assert version.date == parsed.meta["date"]
    keys = db.session.scalars(select(Section.key).where(Section.version_id == version.id))
    assert list(keys) == [s.key for s in parsed.sections]
    db.session.rollback()


@pytest.mark.parametrize("name", FIELDS)
def test_front_matter_fields_at_the_edges(db, name):
    @EDGE
    @given(value=YAML_VALUE)
    def run(value):
        text = source({**BASE, name: value})
        try:
            parsed = parse_source(text, "papers/edge/5.0.md")
        except SourceError as error:
            assert 1 <= error.line <= len(text.split("\n"))
            if error.line > 1:  # on a field's line: it names that field
                assert error.message.startswith(name.split("_")[0]) or name in error.message, error
            return
        imports(db, parsed)

    run()


@EDGE
@given(
    title=long_text(quoted=False),
    number=st.one_of(st.none(), st.sampled_from(["1", "1.2", "1." * 12 + "1", "9" * 30])),
    key=st.one_of(st.none(), st.sampled_from(["k", "k" * 100, "k" * 101, "a b", "ü"])),
)
def test_headings_at_the_edges(db, title, number, key):
    heading = "# " + (f"{number} " if number else "") + title + (f" {{#{key}}}" if key else "")
    text = source(BASE, f"{heading}\n\nSome text.\n")
    try:
        parsed = parse_source(text, "papers/edge/5.0.md")
    except SourceError as error:
        assert error.line == text.split("\n").index(heading) + 1, error  # the heading's line
        assert error.message.startswith(("heading", "section")), error
        return
    section = parsed.sections[0]
    assert len(section.title) <= column_length(Section, "title")
    imports(db, parsed)


def test_limits_come_from_the_models():
    assert column_length(Section, "title") == Section.__table__.c.title.type.length
    assert integer_range(Paper, "number") == (-(2**31), 2**31 - 1)
    with pytest.raises(TypeError):
        column_length(PaperVersion, "source")  # Text: no length
