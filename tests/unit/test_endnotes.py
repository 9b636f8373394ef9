"""Endnote marks in a section's HTML: after the passage's last character, never inside a
link or superscript, and never changing the text; where the place cannot be found, the
endnote is reported unplaced (its mark goes beside the heading)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from app.annotations.endnotes import mark_endnotes
from app.core.markdown import html_to_text


def note(number: int, start: int | None, end: int | None):
    return SimpleNamespace(number=number, start=start, end=end)


def mark(n: int) -> str:
    return (
        f'<sup class="endnote-ref"><a href="#endnote-{n}" id="endnote-ref-{n}"'
        f' class="endnote-ref__link">{n}</a></sup>'
    )


def strip_marks(html: str) -> str:
    return re.sub(r'<sup class="endnote-ref">.*?</sup>', "", html)


def test_a_mark_follows_the_last_character_of_its_passage():
    html = "<p>One <em>two</em> three.</p><p>Four.</p>"
    text = html_to_text(html)
    end = text.index("two") + 3
    marked, unplaced = mark_endnotes(html, [note(1, text.index("two"), end)])
    assert marked == f"<p>One <em>two{mark(1)}</em> three.</p><p>Four.</p>"
    assert unplaced == set()


def test_marks_in_the_middle_of_text_and_at_a_paragraph_end_and_shared_places():
    html = "<p>Alpha beta gamma.</p>\n<p>Delta.</p>"
    text = html_to_text(html)
    notes = [
        note(1, 0, 5),
        note(2, 0, text.index("gamma.") + 6),
        note(3, 6, text.index("gamma.") + 6),
        note(4, text.index("Delta"), len(text)),
    ]
    marked, unplaced = mark_endnotes(html, notes)
    assert marked.startswith(f"<p>Alpha{mark(1)} beta gamma.")
    assert '<sup class="endnote-ref"><a href="#endnote-2"' in marked
    assert 'gamma.<sup class="endnote-ref">' in marked and ">3</a></sup></p>" in marked
    assert unplaced == set()
    assert html_to_text(marked) == "Alpha1 beta gamma.2, 3\nDelta.4"


def test_a_passage_ending_in_a_footnote_reference_is_marked_after_it():
    html = '<p>Text.<sup class="fnref"><a href="#fn-4" id="fnref-4">4</a></sup> More.</p>'
    text = html_to_text(html)
    marked, unplaced = mark_endnotes(html, [note(7, 0, text.index("4") + 1)])
    assert marked == (
        f'<p>Text.<sup class="fnref"><a href="#fn-4" id="fnref-4">4</a></sup>{mark(7)} More.</p>'
    )
    assert unplaced == set()


def test_character_references_count_as_one_character():
    html = "<p>Fish &amp; chips &#8211; and peas.</p>"
    text = html_to_text(html)
    assert text == "Fish & chips – and peas."
    marked, _ = mark_endnotes(html, [note(1, 0, text.index("chips") + 5)])
    assert marked == f"<p>Fish &amp; chips{mark(1)} &#8211; and peas.</p>"
    marked, _ = mark_endnotes(html, [note(2, 0, text.index("&") + 1)])
    assert marked == f"<p>Fish &amp;{mark(2)} chips &#8211; and peas.</p>"


@pytest.mark.parametrize("end", [0, 10_000, -3])
def test_offsets_outside_the_text_are_unplaced(end):
    html = "<p>Short.</p>"
    marked, unplaced = mark_endnotes(html, [note(5, 0, end)])
    assert marked == html and unplaced == {5}


def test_threads_on_the_whole_section_leave_the_text_alone():
    html = "<p>Short.</p>"
    assert mark_endnotes(html, [note(1, None, None)]) == (html, set())


def test_the_text_never_changes_whatever_the_offsets():
    html = (
        '<p>A <a href="/x">link</a> and <strong>bold &lt;text&gt;</strong>.</p>'
        "<ul><li>Item one</li><li>Item <em>two</em></li></ul>"
        "<table><tr><th>H</th><td>Cell</td></tr></table>"
    )
    text = html_to_text(html)
    notes = [note(i + 1, 0, end) for i, end in enumerate(range(1, len(text) + 1))]
    marked, unplaced = mark_endnotes(html, notes)
    assert unplaced == set()
    assert html_to_text(strip_marks(marked)) == text
    assert '<a href="/x">link</a>' in marked  # no mark inside the link
