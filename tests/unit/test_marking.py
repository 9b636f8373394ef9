"""Glossary terms in the text: finding occurrences, and marking them without changing the text."""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.definitions.marking import (
    MODES,
    MarkTerm,
    Occurrence,
    find_occurrences,
    mark_html,
    section_text_of,
)

PAPER = Path(__file__).resolve().parents[2] / "papers" / "think-paper-1" / "5.0.md"


def term(term_id, label, *aliases, adopted=True, slug=None):
    return MarkTerm(
        id=term_id,
        label=label,
        slug=slug or label.lower().replace(" ", "-"),
        aliases=list(aliases),
        definition_html="<p>Defined.</p>" if adopted else None,
        open_count=0 if adopted else 2,
    )


def found(text, *terms):
    return [(text[o.start : o.end], o.term_id) for o in find_occurrences(text, terms)]


# --- finding ---------------------------------------------------------------------------------


def test_egovernment_and_e_government_are_different_words():
    text = "eGovernment is not e-Government, nor is E-GOVERNMENT egovernment."
    assert found(text, term(1, "eGovernment")) == [("eGovernment", 1), ("egovernment", 1)]
    assert found(text, term(2, "e-Government")) == [("e-Government", 2), ("E-GOVERNMENT", 2)]
    both = found(text, term(1, "eGovernment", "e-Government"))
    assert [t for t, _ in both] == ["eGovernment", "e-Government", "E-GOVERNMENT", "egovernment"]


def test_a_word_is_not_found_inside_a_longer_word():
    text = "Governments govern; the government governs. Misgovernment too."
    assert found(text, term(1, "government")) == [("government", 1)]
    plural = found(text, term(1, "government", "governments"))
    assert plural == [("Governments", 1), ("government", 1)]


def test_multi_word_labels_are_case_insensitive_and_whole():
    text = "Public Value is not public values, but PUBLIC  VALUE is."
    assert found(text, term(1, "public value")) == [("Public Value", 1), ("PUBLIC  VALUE", 1)]
    with_plural = found(text, term(1, "public value", "public values"))
    assert [t for t, _ in with_plural] == ["Public Value", "public values", "PUBLIC  VALUE"]


def test_the_longest_label_wins_where_labels_overlap():
    terms = (term(1, "public sector"), term(2, "public sector reform"), term(3, "reform"))
    text = "Public sector reform differs from the public sector, and from reform."
    assert found(text, *terms) == [
        ("Public sector reform", 2),
        ("public sector", 1),
        ("reform", 3),
    ]


def test_aliases_belong_to_their_term():
    terms = (term(1, "New Public Management", "NPM"), term(2, "citizen-centric"))
    text = "NPM (New Public Management) is not citizen-centric; npms are not NPM-like."
    assert found(text, *terms) == [
        ("NPM", 1),
        ("New Public Management", 1),
        ("citizen-centric", 2),
        ("NPM", 1),  # "NPM-like": the hyphen is a word boundary
    ]


def test_offsets_count_code_points_even_after_characters_beyond_the_bmp():
    text = "𝔸 emoji 😀😀 then eGovernment."
    [occurrence] = find_occurrences(text, [term(1, "eGovernment")])
    assert text[occurrence.start : occurrence.end] == "eGovernment"
    assert occurrence == Occurrence(text.index("eGovernment"), text.index("eGovernment") + 11, 1)
    # 16 code points precede it; UTF-16 would count 3 more
    assert occurrence.start == 16


def test_nothing_to_find():
    assert find_occurrences("Anything at all.", []) == []
    assert find_occurrences("", [term(1, "x")]) == []


# --- marking ---------------------------------------------------------------------------------


@cache
def think_paper_1():
    from app.papers.source import parse_source

    return parse_source(PAPER.read_text(encoding="utf-8"), "papers/think-paper-1/5.0.md").sections


TERMS = [
    term(1, "citizen-centric"),
    term(2, "New Public Management", "NPM", adopted=False),
    term(3, "public sector", "public sectors"),
    term(4, "eGovernment", "e-Government"),
    term(5, "organisational change"),
]


class Elements(HTMLParser):
    """Links (with the text inside them) and the text inside headings."""

    def __init__(self, html):
        super().__init__()
        self.links: list[tuple[dict, str]] = []
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.nested: list[str] = []  # links inside links
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "a" and any(name == "a" for name, _a, _t in self.stack):
            self.nested.append(self.get_starttag_text())
        self.stack.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        while self.stack:
            name, attrs, text = self.stack.pop()
            if self.stack:
                self.stack[-1][2].extend(text)
            if name == "a":
                self.links.append((attrs, "".join(text)))
            if name == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


def links(html, *, terms: bool):
    return [
        (attrs, text)
        for attrs, text in Elements(html).links
        if ("term" in (attrs.get("class") or "").split()) == terms
    ]


@pytest.mark.parametrize("mode", MODES)
def test_marking_never_changes_the_text_of_any_section_of_think_paper_1(mode):
    marked_any = 0
    for section in think_paper_1():
        assert section_text_of(section.html) == section.text, section.key
        html, _seen = mark_html(section.html, TERMS, mode)
        assert section_text_of(html) == section.text, section.key
        marked_any += len(links(html, terms=True))
    assert (marked_any > 20) if mode != "none" else (marked_any == 0)


@pytest.mark.parametrize("mode", MODES)
def test_footnote_references_and_links_are_left_as_they_were(mode):
    for section in think_paper_1():
        html, _seen = mark_html(section.html, TERMS, mode)
        assert links(html, terms=False) == links(section.html, terms=False), section.key
        assert Elements(html).nested == []  # nothing is marked inside a link
        before_refs = section.html.count('<sup class="fnref">')
        assert html.count('<sup class="fnref">') == before_refs


def test_only_the_first_occurrence_in_a_section_is_marked_by_default():
    section = next(s for s in think_paper_1() if s.key == "summing-up")
    html, seen = mark_html(section.html, TERMS)
    marked = links(html, terms=True)
    slugs = [attrs["data-term"] for attrs, _ in marked]
    assert sorted(slugs) == sorted(set(slugs))
    assert {"egovernment", "citizen-centric"} <= set(slugs)
    egov = next(attrs for attrs, _ in marked if attrs["data-term"] == "egovernment")
    assert egov["href"] == "/glossary/egovernment"
    assert egov["aria-describedby"] == "term-tip-egovernment"
    assert {1, 4} <= seen
    every, _ = mark_html(section.html, TERMS, "all")
    assert section.text.count("eGovernment") > 1
    all_egov = [a for a, _ in links(every, terms=True) if a["data-term"] == "egovernment"]
    assert len(all_egov) == section.text.count("eGovernment")


def test_terms_without_an_adopted_definition_are_marked_as_open():
    html, _ = mark_html("<p>Under New Public Management, NPM.</p>", TERMS, "all")
    assert html == (
        '<p>Under <a class="term term--open" href="/glossary/new-public-management" '
        'data-term="new-public-management" data-term-first '
        'aria-describedby="term-tip-new-public-management">New Public Management</a>, '
        '<a class="term term--open" href="/glossary/new-public-management" '
        'data-term="new-public-management" aria-describedby="term-tip-new-public-management">'
        "NPM</a>.</p>"
    )


def test_nothing_is_marked_inside_links_headings_highlights_or_footnote_references():
    html = (
        "<h3>eGovernment</h3>\n"
        '<p><a href="/x">eGovernment</a> <mark data-annotations="1">eGovernment</mark> '
        '<sup class="fnref"><a href="#fn-1" id="fnref-1">eGovernment</a></sup> '
        '<span class="footnote-ref">eGovernment</span> '
        "<em>e</em>Government and <strong>eGovernment</strong></p>"
    )
    marked, _ = mark_html(html, TERMS, "all", spots=False)
    assert marked == html.replace(
        "<strong>eGovernment</strong>",
        '<strong><a class="term term--adopted" href="/glossary/egovernment" '
        'data-term="egovernment" data-term-first aria-describedby="term-tip-egovernment">'
        "eGovernment</a></strong>",
    )
    assert section_text_of(marked) == section_text_of(html)


def test_character_references_stay_as_written_and_whole():
    html = "<p>R&amp;D in the public&#32;sector &mdash; eGovernment&hellip;</p>"
    marked, _ = mark_html(html, TERMS, "all", spots=False)
    assert section_text_of(marked) == section_text_of(html)
    assert "R&amp;D" in marked and "&mdash;" in marked and "&hellip;" in marked
    assert '">public&#32;sector</a>' in marked
    assert '">eGovernment</a>&hellip;' in marked


def test_characters_beyond_the_bmp_before_a_term_keep_the_marks_in_place():
    html = "<p>😀 <em>𝔸</em> the public sector</p>"
    marked, _ = mark_html(html, TERMS, "first", spots=False)
    assert marked.endswith('aria-describedby="term-tip-public-sector">public sector</a></p>')
    assert section_text_of(marked) == section_text_of(html)


def test_occurrences_spread_over_elements_are_not_marked():
    html = "<p>public <em>sector</em></p>"
    assert mark_html(html, TERMS, "all") == (html, set())


def test_with_spots_the_other_occurrences_are_wrapped_in_plain_spans():
    html = "<p>eGovernment, eGovernment.</p>"
    none, seen = mark_html(html, TERMS, "none")
    assert none == (
        '<p><span class="term-spot" data-term="egovernment" data-term-first>eGovernment</span>, '
        '<span class="term-spot" data-term="egovernment">eGovernment</span>.</p>'
    )
    assert seen == {4}
    assert mark_html(html, TERMS, "none", spots=False) == (html, {4})
    assert mark_html(html, [], "all") == (html, set())


def test_html_without_occurrences_comes_back_unchanged():
    for section in think_paper_1():
        html, seen = mark_html(section.html, [term(9, "zebra crossing")], "all")
        assert html is section.html and not seen
