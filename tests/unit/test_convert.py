"""Word-processor files as paper sources: Think Paper 1 goes through .docx and .odt and
comes back with its sentences, footnotes and Table 1; hostile files are refused."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from app.papers import convert
from app.papers.convert import ConversionError
from app.papers.source import parse_source
from tests.documents import document, paper_source, rezip, zip_bomb

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(parsed) -> set[str]:
    """Every sentence of every section's text, white space made single."""
    found = set()
    for section in parsed.sections:
        text = " ".join(section.text.split())
        found.update(s.strip() for s in SENTENCE_END.split(text) if s.strip())
    return found


def notes(parsed) -> list[str]:
    return [" ".join(n.text.split()) for s in parsed.sections for n in s.notes]


@pytest.fixture(scope="module")
def original():
    return parse_source(paper_source(), "5.0.md")


def imported(fmt: str, original) -> object:
    """The 5.0 document converted back, with 5.0's front matter and keys, parsed."""
    converted = convert.convert(document(fmt), f"paper.{fmt}")
    body = convert.carry_keys(converted.body, [(s.key, s.title) for s in original.sections])
    meta = {**original.meta, "version": "5.1", "change_note": "From a document."}
    return parse_source(convert.source_text(body, meta), f"paper.{fmt}")


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_think_paper_1_survives_a_word_processor(fmt, original):
    parsed = imported(fmt, original)
    # The same sections, with their keys, numbers and headings.
    assert [(s.key, s.number, s.title, s.level) for s in parsed.sections] == [
        (s.key, s.number, s.title, s.level) for s in original.sections
    ]
    # At least 99% of the sentences, word for word.
    before, after = sentences(original), sentences(parsed)
    kept = len(before & after) / len(before)
    assert kept >= 0.99, sorted(before - after)[:5]
    # Every footnote, in order, with its text.
    assert len(notes(parsed)) == len(notes(original)) == 24
    assert notes(parsed) == notes(original)
    # Table 1: a table with its caption, its cells and the lists inside them.
    [section] = [s for s in parsed.sections if s.key == "approaches-to-modernisation"]
    html = section.html
    assert "<table" in html and "Table 1 Approaches to public management" in html
    for cell in ("Traditional Public Management", "Managing inputs and outputs",
                 "Respond to political direction", "maintaining trust/legitimacy"):  # fmt: skip
        assert cell in html
    assert html.count("<li>") >= 7  # the lists of two cells of the Public Value column


def test_a_plain_table_comes_out_as_a_pipe_table(tmp_path):
    import pypandoc

    out = tmp_path / "t.docx"
    table = "| Name | Value |\n|---|---|\n| a | 1 |\n| b | 2 |\n"
    pypandoc.convert_text(table, "docx", format="markdown", outputfile=str(out))
    converted = convert.convert(out.read_bytes(), "t.docx")
    rows = [line.replace(" ", "") for line in converted.body.splitlines()]
    assert rows[0] == "|Name|Value|" and "|a|1|" in rows and "|b|2|" in rows
    assert "<table" not in converted.body


def test_keys_are_carried_by_title_and_left_alone_otherwise():
    body = "# 1 Introduction\n\ntext\n\n## 2.1 New things\n\n# Kept {#own}\n"
    carried = convert.carry_keys(body, [("intro", "Introduction"), ("x", "Kept")])
    assert carried.split("\n")[0] == "# 1 Introduction {#intro}"
    assert "## 2.1 New things\n" in carried
    assert "# Kept {#own}" in carried


def test_version_numbers_are_raised_by_one():
    assert convert.bump_version("5.0") == "5.1"
    assert convert.bump_version("5.9") == "5.10"
    assert convert.bump_version("2") == "3"


# --- hostile files -------------------------------------------------------------------


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(ConversionError) as caught:
        convert.convert(data, name)
    return str(caught.value)


def test_only_documents_are_converted():
    assert "only .docx and .odt" in refusal(b"# hello", "paper.md")
    assert "only .docx and .odt" in refusal(document("docx"), "paper.pdf")


def test_a_file_that_is_not_what_its_name_says():
    assert "not a zip archive" in refusal(b"{\\rtf1 hello}", "paper.docx")
    assert "not a zip archive" in refusal(b"# Markdown", "paper.odt")
    assert "not an OpenDocument text" in refusal(document("docx"), "paper.odt")
    assert "not a Word document" in refusal(document("odt"), "paper.docx")
    spreadsheet = rezip(
        document("odt"), {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}
    )
    assert "not an OpenDocument text" in refusal(spreadsheet, "paper.odt")


def test_damaged_archives():
    data = document("docx")
    assert "damaged" in refusal(data[: len(data) // 2], "paper.docx")
    flipped = bytearray(data)
    flipped[2000:2100] = b"x" * 100
    assert "damaged" in refusal(bytes(flipped), "paper.docx")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    assert "unpacks to more than 50 MB" in refusal(zip_bomb(), "paper.docx")


def test_too_large():
    assert "larger than 2 MB" in refusal(b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024), "a.docx")


def test_a_document_pandoc_cannot_read():
    broken = rezip(document("docx"), {"word/document.xml": b"<not xml"})
    assert "could not be converted" in refusal(broken, "paper.docx")


def test_a_conversion_that_takes_too_long(monkeypatch):
    monkeypatch.setattr(convert, "PANDOC_TIMEOUT", 0.0001)
    assert "took longer than" in refusal(document("docx"), "paper.docx")


def test_an_encrypted_archive_is_refused():
    data = bytearray(document("docx"))
    # Set the "encrypted" bit of every member (local headers and central directory).
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offsets = [info.header_offset for info in archive.infolist()]
    for offset in offsets:
        data[offset + 6] |= 1
    start = bytes(data).find(b"PK\x01\x02")
    while start != -1:
        data[start + 8] |= 1
        start = bytes(data).find(b"PK\x01\x02", start + 4)
    assert "damaged" in refusal(bytes(data), "paper.docx")
