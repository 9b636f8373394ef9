"""Think Paper 1, version 5.0, as the site shows it, against the original plain text.

The original is kept in tests/data/ (a clone has no access to anything outside the
repository). Sentences are compared verbatim after whitespace is normalised.
"""

import re

import pytest
from bs4 import BeautifulSoup

from app.core.markdown import html_to_text
from app.papers.source import parse_source
from tests.conftest import DATA, PAPER_DIR

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPER_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")
HEADING = re.compile(r"^\d(?:\.\d)?\s+\S")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'‘“(])")


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def parsed():
    source = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")
    return parse_source(source, "papers/think-paper-1/5.0.md")


@pytest.fixture(scope="module")
def original_lines() -> list[str]:
    lines = (DATA / "think-paper-1-v5.0.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"Think Papers" aim'))
    return lines[start:]


def body_pieces(lines: list[str]) -> list[str]:
    """Sentences of the original's text, notes and table cells (no headings, no contents)."""
    pieces: list[str] = []
    in_contents = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == "TABLE OF CONTENTS":
            in_contents = True
            continue
        if in_contents:
            if not stripped.startswith("1 Introduction"):
                continue
            in_contents = False
        if HEADING.match(stripped) or stripped == "Table 1 Approaches to public management":
            continue
        if stripped.startswith(("The opinions expressed", "Think paper series editors")):
            continue  # front matter: acknowledgement and editors
        if "\t" in line:  # a row of Table 1: cells, with their lists
            for cell in line.split("\t"):
                cell = re.sub(r"<[^>]+>", " ", cell)
                pieces.extend(p for p in (normalise(x) for x in cell.split(" - ")) if p)
            continue
        text = re.sub(f"^[{SUPERSCRIPTS}]+ ", "", stripped)  # a note's own number
        text = re.sub(r"^- ", "", text)  # a list item's bullet
        text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # an address in angle brackets
        text = re.sub(f"[{SUPERSCRIPTS}]+", "", text).replace("*", "")
        pieces.extend(normalise(s) for s in SENTENCE_END.split(text) if s.strip())
    return pieces


def shown_text(parsed, *, keep_refs: bool = False) -> str:
    """Everything the reader sees: section texts and notes, footnote numbers marked or not."""
    parts = []
    for section in parsed.sections:
        soup = BeautifulSoup(section.html, "html.parser")
        for sup in soup.select("sup.fnref"):
            sup.replace_with(f"[{sup.get_text()}]" if keep_refs else "")
        parts.append(html_to_text(str(soup)))
        parts.extend(note.text for note in section.notes)
    return normalise(" ".join(parts))


def test_at_least_99_percent_of_the_sentences_appear_verbatim(parsed, original_lines):
    pieces = body_pieces(original_lines)
    text = shown_text(parsed)
    missing = [p for p in pieces if p not in text]
    share = 1 - len(missing) / len(pieces)
    assert len(pieces) > 200
    assert share >= 0.99, f"{share:.2%} found; missing: {missing[:5]}"


def test_all_24_footnotes_are_referenced_where_their_numbers_stand(parsed, original_lines):
    notes = [note.label for section in parsed.sections for note in section.notes]
    assert notes == [str(n) for n in range(1, 25)]
    marked = shown_text(parsed, keep_refs=True)
    for line in original_lines:
        if re.match(f"^[{SUPERSCRIPTS}]+ ", line.strip()):
            continue  # the note itself
        for match in re.finditer(f"[{SUPERSCRIPTS}]+", line):
            before = re.sub(
                f"[{SUPERSCRIPTS}]+",
                lambda m: f"[{m.group().translate(SUPER_TO_DIGIT)}]",
                line[: match.start()],
            ).replace("*", "")
            context = normalise(before)[-25:]
            number = match.group().translate(SUPER_TO_DIGIT)
            assert f"{context}[{number}]" in marked, f"note {number} not after {context!r}"


def test_table_1_has_the_three_approaches_as_columns_and_seven_rows(parsed):
    section = next(s for s in parsed.sections if s.key == "approaches-to-modernisation")
    table = BeautifulSoup(section.html, "html.parser").find("table")
    assert table.caption.get_text() == "Table 1 Approaches to public management"
    columns = [th.get_text() for th in table.thead.find_all("th", scope="col")]
    assert columns == ["Traditional Public Management", "New Public Management", "Public Value"]
    rows = table.tbody.find_all("tr")
    assert len(rows) == 7
    assert all(len(row.find_all(["th", "td"])) == 4 for row in rows)
    lists = [[li.get_text() for li in ul.find_all("li")] for ul in table.find_all("ul")]
    assert lists[0] == [
        "service outputs",
        "satisfaction",
        "outcomes",
        "maintaining trust/legitimacy",
    ]


def test_headings_sections_and_front_matter(parsed):
    headings = [(s.number, s.key) for s in parsed.sections]
    assert [n for n, _ in headings] == [
        None, "1", "2", "3", "3.1", "3.2", "3.3", "3.4", "4", "5", "6"
    ]  # fmt: skip
    meta = parsed.meta
    assert meta["authors"] == ["Kerstin Junge", "Johnny Kelleher", "Kari Hadjivassiliou"]
    assert meta["version"] == "5.0" and str(meta["date"]) == "2006-10-24"
    assert "Tavistock Institute" in meta["institution"]
    assert "DG Information Society and Media, European Commission" in meta["prepared_for"]
    assert meta["editors"] == ["Trond-Arne Undheim", "Professor Michael Blakemore"]
    assert meta["acknowledgement"].startswith("The opinions expressed in this study")
    assert "clearly acknowledged" in meta["acknowledgement"]


def test_section_5_keeps_its_two_bullet_lists(parsed):
    section = next(s for s in parsed.sections if s.key == "citizen-centric-delivery")
    lists = BeautifulSoup(section.html, "html.parser").find_all("ul")
    assert [len(ul.find_all("li")) for ul in lists] == [7, 5]
