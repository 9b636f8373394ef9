"""Anchors: a quote is placed where it stands, or refused with the reason."""

import pytest

from app.core.anchoring import AnchorError, anchor_quote, block_spans, quote_at

TEXT = "The state is the state. It serves citizens; citizens fund the state.\nA new line."


def test_a_quote_at_its_offsets_gets_its_context_from_the_text():
    start = TEXT.index("serves")
    quote = anchor_quote(TEXT, "serves citizens", start=start, end=start + 15)
    assert (quote.start, quote.end) == (start, start + 15)
    assert quote.prefix == TEXT[max(0, start - 32) : start] == "The state is the state. It "
    assert quote.suffix == TEXT[start + 15 : start + 47]


def test_a_unique_quote_is_found_without_offsets():
    quote = anchor_quote(TEXT, "fund the")
    assert TEXT[quote.start : quote.end] == "fund the"


def test_a_repeated_quote_is_told_apart_by_its_prefix_or_suffix():
    second = anchor_quote(TEXT, "the state", prefix="is ")
    assert second.start == TEXT.index("the state")
    last = anchor_quote(TEXT, "the state", suffix=".\nA new")
    assert last.end == TEXT.index(".\nA new")
    with pytest.raises(AnchorError, match="occurs 2 times"):
        anchor_quote(TEXT, "the state")


@pytest.mark.parametrize(
    ("exact", "options", "message"),
    [
        ("", {}, "empty"),
        ("   ", {}, "empty"),
        ("x" * 2001, {}, "longer than 2000"),
        ("absent words", {}, "not in the section"),
        ("serves", {"start": 0, "end": 6}, "not at the given place (0–6); it is elsewhere"),
        ("serves", {"start": 5}, "both start and end"),
        ("serves", {"start": 10, "end": 5}, "0 <= start < end"),
        ("serves", {"start": -1, "end": 5}, "0 <= start < end"),
        ("serves", {"start": 0, "end": 10_000}, "0 <= start < end"),
        ("fund the", {"prefix": "nobody "}, "prefix or suffix does not match"),
    ],
)
def test_quotes_that_cannot_be_placed_are_refused(exact, options, message):
    with pytest.raises(AnchorError, match=message.replace("(", r"\(").replace(")", r"\)")):
        anchor_quote(TEXT, exact, **options)


def test_offsets_count_code_points_not_utf16_units():
    text = "Ünïcödé 🙂 passage here"
    start = text.index("passage")
    quote = anchor_quote(text, "passage", start=start, end=start + 7)
    assert quote.start == 10  # the emoji is one code point


def test_paragraph_spans_skip_blank_lines():
    text = "First para.\n\nSecond para.\n\n\nThird."
    assert [text[s:e] for s, e in block_spans(text)] == ["First para.", "Second para.", "Third."]
    assert quote_at(text, 0, 5).suffix == text[5:37]
