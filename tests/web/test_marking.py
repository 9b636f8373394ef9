"""Glossary terms marked on the reading page: which occurrences, what the tooltips say, what
it costs, and that the text of every section stays exactly its stored text."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.definitions import services
from app.models import PaperVersion, Role, Section, TermStatus

PAPER_URL = "/papers/think-paper-1/"


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR)


@pytest.fixture
def define(db, editor):
    """A published term, with an adopted definition (or only open proposals with `open=n`)."""

    def factory(label, *, aliases=None, definition="A definition.", open=0, adopted=True):
        term, proposal = services.create_term(
            editor, label, aliases=aliases, definition=definition if adopted else None
        )
        if adopted:
            services.adopt(editor, proposal)
        for n in range(open):
            services.propose(editor, term, f"Proposal {n + 1} for {label}.")
        db.session.commit()
        return term

    return factory


def soup(client, url=PAPER_URL):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def sections(db, paper) -> list[Section]:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    return list(
        db.session.scalars(
            select(Section).where(Section.version_id == version.id).order_by(Section.position)
        )
    )


def assert_texts_unchanged(page, db, paper):
    for section in sections(db, paper):
        element = page.select_one(f'.section-text[data-section="{section.key}"]')
        assert element.get_text() == section.text, section.key


def marks(page, slug=None):
    found = page.select(".section-text a.term")
    return [a for a in found if slug is None or a["data-term"] == slug]


def test_the_first_occurrence_in_each_section_links_to_the_term(client, db, paper, define):
    term = define("eGovernment", definition="Government *online*.")
    page = soup(client)
    marked = marks(page, term.slug)
    with_term = [s for s in sections(db, paper) if "egovernment" in s.text.lower()]
    assert len(with_term) >= 2
    assert len(marked) == len(with_term)  # one per section
    for a in marked:
        assert a["href"] == f"/glossary/{term.slug}"
        assert a.get_text().lower() == "egovernment"
        assert "term--adopted" in a["class"]
        assert a.find_parent(class_="section-text") is not None
    # The tooltip: outside the sections, the adopted definition, and the way to the term page.
    tip = page.find(id=marked[0]["aria-describedby"])
    assert tip["role"] == "tooltip"
    assert tip.find_parent(class_="section-text") is None
    assert tip.select_one(".term-tip__definition em").get_text() == "online"
    assert "Read more and discuss" in tip.get_text()
    assert tip.select_one(".term-tip__more a")["href"] == f"/glossary/{term.slug}"
    assert_texts_unchanged(page, db, paper)


def test_all_marks_every_occurrence_and_none_marks_none(client, db, paper, define):
    term = define("eGovernment", aliases=["e-Government"])
    expected = sum(
        len(re.findall(r"(?i)(?<!\w)e-?government(?!\w)", s.text)) for s in sections(db, paper)
    )
    first = len(marks(soup(client), term.slug))
    every = soup(client, PAPER_URL + "?terms=all")
    # occurrences inside links or headings are not marked; Think Paper 1 has none there
    assert len(marks(every, term.slug)) == expected > first
    assert_texts_unchanged(every, db, paper)
    nothing = soup(client, PAPER_URL + "?terms=none")
    assert marks(nothing) == []
    assert_texts_unchanged(nothing, db, paper)
    # the form says which is chosen
    assert nothing.select_one('form.term-marking input[value="none"]').has_attr("checked")


def test_the_choice_is_remembered_in_a_cookie(client, paper, define):
    define("eGovernment")
    response = client.get(PAPER_URL + "?terms=none")
    assert "terms=none" in response.headers.get("Set-Cookie", "")
    assert marks(soup(client)) == []  # the cookie
    assert marks(soup(client, PAPER_URL + "?terms=all"))  # the address wins
    assert len(marks(soup(client))) > 3  # and is remembered
    assert marks(soup(client, PAPER_URL + "?terms=bogus"))


def test_terms_with_open_proposals_only_say_how_many(client, db, paper, define):
    term = define("New Public Management", adopted=False, open=2)
    define("citizen-centric", adopted=False)  # neither adopted nor proposed: not marked
    page = soup(client)
    marked = marks(page)
    assert marked and {a["data-term"] for a in marked} == {term.slug}
    assert "term--open" in marked[0]["class"]
    tip = page.find(id=marked[0]["aria-describedby"])
    assert "No adopted definition yet — 2 proposals open" in tip.get_text()
    assert tip.select_one(".term-tip__definition") is None
    assert_texts_unchanged(page, db, paper)


def test_pending_terms_are_not_marked(client, db, paper, define):
    term = define("eGovernment")
    term.status = TermStatus.PENDING
    db.session.commit()
    page = soup(client)
    assert marks(page) == [] and page.select_one(".term-tip") is None
    assert page.select_one("form.term-marking") is None


def test_without_terms_the_sections_are_their_stored_html(client, db, paper):
    html = client.get(PAPER_URL).get_data(as_text=True)
    for section in sections(db, paper):
        assert f'data-section="{section.key}">{section.html}</div>' in html


def test_several_terms_with_a_passage_highlight_keep_every_text_intact(
    client, db, paper, define, create_annotation
):
    for label in ("citizen-centric", "public sector", "eGovernment", "organisational change"):
        define(label)
    define("New Public Management", adopted=False, open=1)
    create_annotation(quote="specific generic public sector model")
    for mode in ("first", "all", "none"):
        page = soup(client, f"{PAPER_URL}?terms={mode}")
        assert_texts_unchanged(page, db, paper)
        # footnote references are untouched
        for ref in page.select(".section-text .fnref a"):
            assert ref["href"].startswith("#fn-") and not ref.select("a")


def test_the_page_costs_the_same_queries_with_one_or_ten_terms(
    client, paper, define, count_queries
):
    define("eGovernment")
    with count_queries() as one:
        client.get(PAPER_URL)
    for label in ("citizen-centric", "public sector", "organisational change", "reform",
                  "modernisation", "stakeholders", "governance", "culture"):  # fmt: skip
        define(label)
    define("New Public Management", adopted=False, open=3)
    with count_queries() as ten:
        page = soup(client)
    assert len({a["data-term"] for a in marks(page)}) == 10
    # The page's four, one for the glossary and one for the counters of the kept pages.
    assert one.count == ten.count <= 6
