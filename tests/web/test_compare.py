"""The compare page: what changed between two versions, section by section."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from tests.conftest import PAPER_DIR

SOURCE_50 = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")
URL = "/papers/think-paper-1/compare/5.0/5.1/"


def _section(source: str, heading_start: str) -> tuple[int, int]:
    """Where the section whose heading line begins with `heading_start` starts and ends."""
    start = source.index("\n" + heading_start) + 1
    following = re.search(r"^#{1,3} |^\[\^1\]:", source[start + 1 :], re.MULTILINE)
    end = start + 1 + following.start() if following else len(source)
    return start, end


def _replace(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


def source_51(source: str = SOURCE_50) -> str:
    """Version 5.1 of Think Paper 1, made from 5.0 by one edit of each kind."""
    text = _replace(
        source, 'version: "5.0"', 'version: "5.1"\nchange_note: "Tightened 1, 2 and 4."'
    )
    # a reworded sentence
    text = _replace(
        text,
        "It is not a discipline that has more practical relevance in one sector than in another",
        "It is not a discipline that matters more in one sector than in another",
    )
    # a deleted paragraph
    paragraph = text[text.index("Organisational change strategies can have") :]
    paragraph = paragraph[: paragraph.index("\n\n") + 2]
    text = _replace(text, paragraph, "")
    # a renamed heading, its key kept
    text = _replace(
        text,
        "# 4 Organisational culture: key for change processes {#organisational-culture}",
        "# 4 Organisational culture: the key to change {#organisational-culture}",
    )
    # a moved section: "Summing up" now follows the key messages
    start, end = _section(text, "# 6 Summing up")
    summing_up = text[start:end].rstrip("\n") + "\n\n"
    text = text[:start] + text[end:]
    where = text.index("# 3 Organisational change in the public sector")
    text = text[:where] + summing_up + text[where:]
    # a removed section (its notes go with it) and an added one with markup in its text
    start, end = _section(text, "# 5 Citizen centric delivery")
    removed = text[start:end]
    text = text[:start] + text[end:]
    for label in re.findall(r"\[\^(\d+)\]", removed):
        text = re.sub(rf"^\[\^{label}\]:.*\n\n?", "", text, flags=re.MULTILINE)
    where = text.index("# 4 Organisational culture")
    added = (
        "## 3.5 Lessons from practice {#lessons}\n\n"
        "Practitioners write `<b>bold</b>` and <em>mean</em> it; "
        "a new section keeps its words.\n\n"
    )
    return text[:where] + added + text[where:]


@pytest.fixture
def two_versions(import_paper):
    import_paper(SOURCE_50)
    import_paper(source_51())


def soup_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def words(node) -> str:
    return " ".join(node.get_text(" ", strip=True).split())


def test_the_page_is_titled_and_lists_the_change_notes(client, two_versions):
    soup = soup_of(client, URL)
    assert words(soup.h1) == "Changes from version 5.0 to version 5.1"
    assert "Changes from version 5.0 to version 5.1" in soup.title.get_text()
    notes = words(soup.select_one(".compare-notes"))
    assert "Version 5.1" in notes and "Tightened 1, 2 and 4." in notes
    assert "Version 5.0" not in notes


def test_the_summary_counts_the_changes(client, two_versions):
    soup = soup_of(client, URL)
    summary = [words(li) for li in soup.select(".compare-summary li")]
    assert summary[:5] == [
        "2 sections changed",  # introduction (a sentence), key messages (a paragraph)
        "1 section added",
        "1 section removed",
        "1 section moved",
        "1 section renamed",
    ]
    inserted = int(summary[5].split()[0])
    deleted = int(summary[6].split()[0])
    assert summary[5].endswith("words inserted") and summary[6].endswith("words deleted")
    # "matters" and the 14 words of the new section (`<b>` and `</b>` count as words);
    # the reworded phrase, the deleted paragraph and section 5
    assert inserted == 15
    assert deleted > 300


def test_a_reworded_sentence_shows_its_words_deleted_and_inserted(client, two_versions):
    soup = soup_of(client, URL)
    section = soup.select_one("section#introduction")
    assert "Text changed" in words(section.select_one(".compare-marks"))
    inserted = [words(ins) for ins in section.select("ins")]
    deleted = [words(d) for d in section.select("del")]
    assert inserted == ["inserted: matters (end of insertion)"]
    # "has more practical relevance" → "matters more": "more" is kept
    assert deleted == [
        "deleted: has (end of deletion)",
        "deleted: practical relevance (end of deletion)",
    ]
    assert (
        "that deleted: has (end of deletion) inserted: matters (end of insertion) more"
        " deleted: practical relevance (end of deletion) in one sector"
    ) in " ".join(section.get_text().split())
    # paragraphs are kept, and the unchanged words are plain text
    paragraphs = section.select(".compare-text p")
    assert len(paragraphs) == 6
    assert paragraphs[0].get_text().startswith("Organisational change practice and research")
    assert "It is not a discipline that" in paragraphs[0].get_text()


def test_a_deleted_paragraph_is_one_deletion_of_its_own(client, two_versions):
    soup = soup_of(client, URL)
    section = soup.select_one("section#key-messages")
    deletions = section.select("del")
    assert len(deletions) == 1
    assert deletions[0].get_text().startswith("deleted: Organisational change strategies")
    assert deletions[0].parent.name == "p" and len(deletions[0].parent.contents) == 1
    assert not section.select("ins")


def test_added_removed_moved_and_renamed_sections_say_so(client, two_versions):
    soup = soup_of(client, URL)
    added = soup.select_one("section#lessons")
    assert words(added.select_one(".compare-heading")) == "3.5 Lessons from practice"
    assert "Added in version 5.1" in words(added.select_one(".compare-marks"))
    assert added.select("ins") and not added.select("del")

    removed = soup.select_one("section#citizen-centric-delivery")
    assert "Removed in version 5.1" in words(removed.select_one(".compare-marks"))
    assert removed.select("del") and not removed.select("ins")
    assert "A 'citizen-centric' delivery of public services" in removed.get_text()
    # where it was: after section 4
    order = [s["id"] for s in soup.select("section.compare-section, p.compare-unchanged")]
    assert order.index("citizen-centric-delivery") == order.index("organisational-culture") + 1

    moved = soup.select_one("section#summing-up")
    marks = words(moved.select_one(".compare-marks"))
    assert "Moved: in version 5.0 it came after “5 Citizen centric delivery" in marks
    assert "in version 5.1 it comes after “2 Key messages”" in marks
    assert "Text unchanged" in marks
    assert not moved.select(".compare-text")  # collapsed: its text did not change
    assert order.index("summing-up") == order.index("key-messages") + 1

    renamed = soup.select_one("section#organisational-culture")
    assert (
        words(renamed.select_one(".compare-heading"))
        == "4 Organisational culture: the key to change"
    )
    assert "Renamed from “4 Organisational culture: key for change processes”" in words(
        renamed.select_one(".compare-marks")
    )


def test_changed_sections_are_listed_and_linked(client, two_versions):
    soup = soup_of(client, URL)
    links = {a["href"]: words(a.parent) for a in soup.select(".compare-toc a")}
    assert set(links) == {
        "#introduction", "#key-messages", "#summing-up", "#lessons",
        "#organisational-culture", "#citizen-centric-delivery",
    }  # fmt: skip
    assert links["#summing-up"].endswith("(moved)")
    assert links["#lessons"].endswith("(added)")
    assert links["#organisational-culture"].endswith("(renamed)")
    assert links["#introduction"].endswith("(text changed)")


def test_unchanged_sections_are_one_line_unless_all_are_asked_for(client, two_versions):
    soup = soup_of(client, URL)
    line = soup.select_one("p#what-is-organisational-change")
    assert "compare-unchanged" in line["class"]
    assert words(line) == "3.1 What is organisational change? … unchanged"
    assert line.a["href"] == "/papers/think-paper-1/v/5.1/#what-is-organisational-change"
    assert not soup.select_one("section#what-is-organisational-change")
    toggle = soup.select_one(".compare-toggle a")
    assert toggle["href"] == URL + "?all=1"

    soup = soup_of(client, URL + "?all=1")
    section = soup.select_one("section#what-is-organisational-change")
    assert "Text unchanged" in words(section.select_one(".compare-marks"))
    assert "When we talk generically of the field" in section.select_one(".compare-text").get_text()
    assert not section.select("ins, del")
    moved = soup.select_one("section#summing-up")
    assert moved.select_one(".compare-text")
    assert soup.select_one(".compare-toggle a")["href"] == URL


def test_markup_in_the_text_is_shown_escaped(client, two_versions):
    response = client.get(URL)
    html = response.get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html
    soup = BeautifulSoup(html, "html.parser")
    added = soup.select_one("section#lessons")
    assert "<b>bold</b>" in added.get_text()
    assert not added.select("b") and not added.select(".compare-text em")


def test_versions_compared_backwards_are_labelled(client, two_versions):
    soup = soup_of(client, "/papers/think-paper-1/compare/5.1/5.0/")
    assert words(soup.h1) == "Changes from version 5.1 back to version 5.0"
    banner = soup.select_one(".banner")
    assert "what going back would undo" in words(banner)
    assert banner.a["href"] == URL
    # the section added in 5.1 is removed going back, the removed one added
    assert "Removed in version 5.0" in words(soup.select_one("section#lessons"))
    assert "Added in version 5.0" in words(soup.select_one("section#citizen-centric-delivery"))
    assert [words(i) for i in soup.select("section#introduction ins")] == [
        "inserted: has (end of insertion)",
        "inserted: practical relevance (end of insertion)",
    ]


def test_a_version_compared_with_itself(client, two_versions):
    soup = soup_of(client, "/papers/think-paper-1/compare/5.1/5.1/")
    assert words(soup.h1) == "Version 5.1 compared with itself"
    assert "same version twice" in words(soup.select_one(".compare-same"))
    assert not soup.select("ins, del, .compare-section")


def test_unknown_papers_and_versions_are_not_found(client, two_versions):
    for url in (
        "/papers/no-such-paper/compare/5.0/5.1/",
        "/papers/think-paper-1/compare/4.0/5.1/",
        "/papers/think-paper-1/compare/5.0/9.9/",
        "/papers/think-paper-1/compare/x/y/",
        "/papers/no-such-paper/compare/?from=5.0&to=5.1",
        "/papers/think-paper-1/compare/?from=4.0&to=5.1",
        "/papers/think-paper-1/compare/?from=5.0&to=nope",
    ):
        assert client.get(url).status_code == 404, url


def test_the_picker_redirects_to_the_comparison(client, two_versions):
    soup = soup_of(client, URL)
    form = soup.select_one("form.compare-picker")
    assert form["method"] == "get" and form["action"] == "/papers/think-paper-1/compare/"
    for name, chosen in (("from", "5.0"), ("to", "5.1")):
        select = form.select_one(f"select[name={name}]")
        assert soup.select_one(f"label[for={select['id']}]")
        assert [o["value"] for o in select.select("option")] == ["5.0", "5.1"]
        assert select.select_one("option[selected]")["value"] == chosen

    response = client.get("/papers/think-paper-1/compare/?from=5.1&to=5.0")
    assert response.status_code == 302
    assert response.headers["Location"] == "/papers/think-paper-1/compare/5.1/5.0/"
    # without a choice: the latest version against the one before it
    response = client.get("/papers/think-paper-1/compare/")
    assert response.headers["Location"] == URL
    response = client.get("/papers/think-paper-1/compare/?to=5.0")
    assert response.headers["Location"] == "/papers/think-paper-1/compare/5.0/5.0/"


def test_a_version_page_links_to_the_changes_since_the_previous_one(client, two_versions):
    soup = soup_of(client, "/papers/think-paper-1/")
    link = soup.find("a", string="Compare with version 5.0")
    assert link["href"] == URL
    soup = soup_of(client, "/papers/think-paper-1/v/5.0/")
    assert not soup.find("a", string=re.compile("Compare with"))


SMALL = """---
title: A small paper
authors: [A. Author]
date: 2020-01-01
version: "{version}"
{note}---

# 1 One {{#one}}

The first section says {word}.

# 2 Two {{#two}}

The second section.
"""


def test_the_number_of_queries_does_not_grow_with_the_sections(client, import_paper, count_queries):
    import_paper(SOURCE_50)
    import_paper(source_51())
    import_paper(SMALL.format(version="1.0", note="", word="little"), slug="small")
    import_paper(
        SMALL.format(version="1.1", note="change_note: Reworded.\n", word="less"), slug="small"
    )
    counts = []
    for url in (URL, URL + "?all=1", "/papers/small/compare/1.0/1.1/"):
        client.get(url)  # warm up
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2] <= 3, counts


def test_diff_blocks_keep_paragraphs_and_leave_white_space_unmarked():
    from app.papers.compare import diff_blocks

    diff = [(0, "One "), (-1, "old words "), (1, "new\nA new paragraph."), (0, "\nTwo.")]
    assert diff_blocks(diff) == [
        [(0, "One "), (-1, "old words"), (0, " "), (1, "new")],
        [(1, "A new paragraph.")],
        [(0, "Two.")],
    ]
    # a change of white space alone is not a change
    assert diff_blocks([(0, "a"), (-1, "  "), (1, " "), (0, "b")]) == [[(0, "a b")]]
