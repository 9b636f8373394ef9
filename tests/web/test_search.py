"""Searching from the page and the API: one box over sections, threads and replies,
proposed definitions and terms; snippets that mark the matched words and escape the rest;
ranking; the filters; pages and cursors; queries typed by anyone (the Big List of Naughty
Strings, the engines' own syntax, 10,000 characters) never failing; and a page costing a
fixed number of queries whatever the number of hits."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.definitions import services as definitions
from app.models import AnnotationKind, Section, StakeholderType
from app.search import queries
from tests.conftest import DATA
from tests.web.test_api_annotations import open_for_comments

API = "/api/v1"
FINCHES = """---
title: "Finches"
version: "1.0"
authors: [A. Author]
date: 2006-10-24
---

# Birds {#birds}

The lynx watches the finches.
"""


@pytest.fixture
def tp1(paper, db):
    return open_for_comments(paper, db)


def api(client, **params):
    answer = client.get(f"{API}/search", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def kinds_and_ids(body) -> list[tuple[str, int]]:
    return [(item["type"], item["id"]) for item in body["items"]]


@pytest.fixture
def everything(db, tp1, import_paper, create_user, create_annotation):
    """The word "lynx" in a section, a thread, a reply, a proposal and a term; each kind
    by an author of its own."""
    ann = create_user(name="Ann Academic", stakeholder_type=StakeholderType.ACADEMIA)
    bob = create_user(name="Bob Business", stakeholder_type=StakeholderType.BUSINESS)
    import_paper(FINCHES, slug="finches")
    thread = create_annotation(
        "Is the lynx a public value?", author=ann, kind=AnnotationKind.QUESTION
    )
    reply = create_annotation("The lynx is a cat.", author=bob, parent=thread)
    term, proposal = definitions.create_term(
        bob, "Lynx", definition="A wild cat of the north; a lynx.", rationale="Zoology."
    )
    db.session.commit()
    section = db.session.scalar(select(Section).where(Section.key == "birds"))
    return {
        "ann": ann,
        "bob": bob,
        "section": ("section", section.id),
        "thread": ("annotation", thread.id),
        "reply": ("annotation", reply.id),
        "proposal": ("proposal", proposal.id),
        "term": ("term", term.id),
    }


def test_one_box_finds_every_kind_with_links_to_where_each_is_read(client, everything):
    body = api(client, q="lynx")
    found = set(kinds_and_ids(body))
    wanted = {everything[k] for k in ("section", "thread", "reply", "proposal", "term")}
    assert found == wanted
    assert body["total"] == 5 and body["next"] is None
    by_type = {}
    for item in body["items"]:
        by_type.setdefault(item["type"], []).append(item)
    assert by_type["section"][0]["url"] == "http://localhost/papers/finches/v/1.0/#birds"
    assert by_type["section"][0]["title"] == "Birds"
    assert by_type["term"][0]["url"] == "http://localhost/glossary/lynx"
    assert by_type["proposal"][0]["url"].endswith(
        f"/glossary/lynx#proposal-{everything['proposal'][1]}"
    )
    thread_id, reply_id = everything["thread"][1], everything["reply"][1]
    urls = {item["id"]: item["url"] for item in by_type["annotation"]}
    assert urls[thread_id] == f"http://localhost/annotations/{thread_id}"
    assert urls[reply_id] == f"http://localhost/annotations/{thread_id}#a{reply_id}"
    for item in body["items"]:
        assert "<mark>" in item["snippet"].lower() or item["type"] == "term"

    page = BeautifulSoup(client.get("/search?q=lynx").get_data(as_text=True), "html.parser")
    links = {a["href"] for a in page.select(".search-result__title a")}
    assert f"/annotations/{thread_id}#a{reply_id}" in links
    assert "/papers/finches/v/1.0/#birds" in links
    assert "5 results" in page.get_text()


def test_snippets_mark_the_matched_words_and_escape_everything_else(client, tp1, create_annotation):
    create_annotation(
        '<script>alert("pwn")</script> The ocelot & co. \ue000forged\ue001 <b>bold</b> marks.'
    )
    snippet = api(client, q="ocelot forged")["items"][0]["snippet"]
    assert "<mark>ocelot</mark>" in snippet.lower()
    assert "<mark>forged</mark>" in snippet.lower()  # matched, so marked: by the engine
    # Markup typed in the text is text: escaped (SQLite), or left out of the words around
    # the match by PostgreSQL's parser, which reads it as tags; never markup.
    assert "&amp;" in snippet and "<script" not in snippet and "<b>" not in snippet
    assert set(re.findall(r"</?([a-zA-Z]+)", snippet)) == {"mark"}
    assert "\ue000" not in snippet and "\ue001" not in snippet

    html = client.get("/search?q=ocelot").get_data(as_text=True)
    result = BeautifulSoup(html, "html.parser").select_one(".search-result__snippet")
    assert [tag.name for tag in result.find_all(True)] == ["mark"]
    assert "<script>alert" not in html


def test_results_are_ranked_best_first(client, tp1, create_annotation):
    once = create_annotation(
        "A long remark that mentions the caracal only once, among "
        "many other words about the organisation of public services."
    )
    often = create_annotation("Caracal, caracal, caracal.")
    items = api(client, q="caracal")["items"]
    assert [item["id"] for item in items] == [often.id, once.id]
    assert items[0]["score"] > items[1]["score"]


def test_a_heading_weighs_more_than_the_body(client, tp1):
    items = api(client, q="idiosyncrasies", type="section")["items"]
    assert "idiosyncrasies" in items[0]["title"].lower()


def test_filters_narrow_the_results(client, everything):
    e = everything
    assert kinds_and_ids(api(client, q="lynx", type="section")) == [e["section"]]
    assert kinds_and_ids(api(client, q="lynx", type="term")) == [e["term"]]
    assert kinds_and_ids(api(client, q="lynx", type="proposal")) == [e["proposal"]]
    assert set(kinds_and_ids(api(client, q="lynx", type="annotation"))) == {e["thread"], e["reply"]}
    assert kinds_and_ids(api(client, q="lynx", kind="question")) == [e["thread"]]
    assert set(kinds_and_ids(api(client, q="lynx", paper="think-paper-1"))) == {
        e["thread"],
        e["reply"],
    }
    assert kinds_and_ids(api(client, q="lynx", paper="finches")) == [e["section"]]
    assert kinds_and_ids(api(client, q="lynx", paper="finches", version="5.0")) == []
    assert set(kinds_and_ids(api(client, q="lynx", version="5.0"))) == {e["thread"], e["reply"]}
    assert kinds_and_ids(api(client, q="lynx", author="ANN acad")) == [e["thread"]]
    assert set(kinds_and_ids(api(client, q="lynx", author_id=e["bob"].id))) == {
        e["reply"],
        e["proposal"],
        e["term"],
    }
    assert kinds_and_ids(api(client, q="lynx", stakeholder="academia")) == [e["thread"]]
    assert kinds_and_ids(api(client, q="lynx", stakeholder="civil_society")) == []
    assert kinds_and_ids(api(client, q="lynx", author="%")) == []  # LIKE's wildcards are text

    page = client.get("/search?q=lynx&type=annotation&kind=question&stakeholder=academia")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert len(soup.select(".search-result")) == 1
    assert soup.select_one("#kind option[selected]")["value"] == "question"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "thread"}, "type"),
        ({"kind": "rant"}, "kind"),
        ({"stakeholder": "pirates"}, "stakeholder"),
        ({"author_id": "x"}, "author_id"),
        ({"limit": "201"}, "limit"),
        ({"after": "-1"}, "after"),
    ],
)
def test_filters_out_of_range_are_refused_by_name(client, params, field):
    answer = client.get(f"{API}/search", query_string={"q": "lynx", **params})
    assert answer.status_code == 400
    assert field in answer.get_json()["error"]["fields"]
    page = client.get("/search", query_string={"q": "lynx", **params})
    assert page.status_code < 500


def test_the_form_says_what_is_wrong_with_a_filter(client, everything):
    page = client.get("/search?q=lynx&stakeholder=pirates")
    assert page.status_code == 400
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select_one("#stakeholder-error")
    assert not soup.select(".search-result")


def test_the_api_pages_with_next_until_every_result_is_given(
    client, tp1, create_annotation, create_user
):
    author = create_user()
    made = {create_annotation(f"Serval remark {n}.", author=author).id for n in range(7)}
    seen, url, pages = [], f"{API}/search?q=serval&limit=3", 0
    while url:
        body = client.get(url).get_json()
        assert body["total"] == 7
        seen += [item["id"] for item in body["items"]]
        url, pages = body["next"], pages + 1
    assert pages == 3 and sorted(seen) == sorted(made)
    assert body["next"] is None
    beyond = api(client, q="serval", after=50)
    assert beyond == {"items": [], "total": 7, "next": None}


def test_the_page_links_its_pages(client, tp1, db, create_annotation, create_user):
    author = create_user()
    for n in range(queries.PER_PAGE + 5):
        create_annotation(f"Margay remark {n}.", author=author)
    first = BeautifulSoup(
        client.get("/search?q=margay&type=annotation").get_data(as_text=True), "html.parser"
    )
    assert len(first.select(".search-result")) == queries.PER_PAGE
    nav = first.select_one("nav.pages")
    assert nav["aria-label"] == "Result pages"
    second_link = nav.find("a", string="2")["href"]
    assert "type=annotation" in second_link and "page=2" in second_link
    second = BeautifulSoup(client.get(second_link).get_data(as_text=True), "html.parser")
    assert len(second.select(".search-result")) == 5
    assert second.select_one("nav.pages a[aria-current=page]").get_text() == "2"
    assert second.select_one(".search-results__list")["start"] == str(queries.PER_PAGE + 1)
    assert client.get("/search?q=margay&page=%C2%B2").status_code == 200  # not a page number


SYNTAX = [
    '"', '""', '"unbalanced', 'a"b"c', "*", "lynx*", "NEAR(lynx cat)", "lynx NEAR cat",
    "-lynx", "lynx -cat", "title:lynx", "body:lynx", "{title}: lynx", "(lynx", "lynx)",
    "((lynx OR cat) AND NOT dog)", "^lynx", "lynx + cat", "AND", "OR", "NOT", "NEAR",
    "lynx & cat | !dog", "lynx <-> cat", "'", "''", "\\", ":", "::", "a:b:c", "@@", "*:*",
    "\u200b", "\ufeff", "\ue000lynx\ue001", "ℌ𝔢𝔩𝔩𝔬", "🐈 lynx 🐈", "", " ", "x" * 10_000,
    "lynx " * 2_000, "_", "a_b", "٣", "²", "İstanbul", "ǅ",
]  # fmt: skip


def naughty_strings() -> list[str]:
    return json.loads((DATA / "blns.json").read_text(encoding="utf-8"))


def test_queries_typed_by_anyone_never_fail(client, everything):
    for query in [*SYNTAX, *naughty_strings()]:
        for url in (f"{API}/search", "/search"):
            answer = client.get(url, query_string={"q": query, "type": "annotation"})
            if "\x00" in query:
                assert answer.status_code == 400, (url, query)  # refused before the view
            else:
                assert answer.status_code == 200, (url, query, answer.status_code)
    # The service itself takes anything, NUL included.
    for query in ("a\x00b", '"\x00"', "\x00"):
        queries.search(None, query)
    for query in ('"lynx', "lynx*", "(lynx)", "-lynx", "lynx:", "^lynx", "{lynx}"):
        assert api(client, q=query)["total"] == 5, query  # the word, without the syntax
    assert api(client, q="NEAR(lynx")["total"] == 0  # "near" is a word, found nowhere


def test_phrases_keep_their_words_in_order(client, everything):
    assert kinds_and_ids(api(client, q='"lynx is a cat"')) == [everything["reply"]]
    assert kinds_and_ids(api(client, q='"cat lynx is"')) == []


def test_a_search_page_costs_a_fixed_number_of_queries(
    client, everything, create_annotation, create_user, count_queries, db
):
    def cost(word: str) -> int:
        client.get(f"/search?q={word}")  # warm caches (the papers of the form)
        with count_queries() as counter:
            answer = client.get(f"/search?q={word}")
        assert answer.status_code == 200
        return counter.count

    few = cost("lynx")  # five hits, one of each kind
    author = create_user()
    for n in range(30):
        create_annotation(f"The lynx, again ({n}).", author=author)
    bob = everything["bob"]
    for n in range(10):
        definitions.create_term(bob, f"Lynx kind {n}", definition=f"A lynx of kind {n}.")
    db.session.commit()
    many = cost("lynx")
    assert many == few
    assert many == 7  # papers (the form), hits, snippets, and one per kind searched
    with count_queries() as counter:
        client.get("/search?q=lynx&type=term")
    assert counter.count == 4
