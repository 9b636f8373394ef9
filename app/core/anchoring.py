"""Passage anchors: where a quote stands in a section's text.

An anchor is a W3C TextQuoteSelector (the exact text and up to 32 characters before
and after it) together with a TextPositionSelector (code-point offsets in the
section's `text`). Offsets computed by a browser are checked here before anything
is stored: a quote that is not where it is said to be is refused, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTEXT_LENGTH = 32
MAX_QUOTE_LENGTH = 2000


class AnchorError(ValueError):
    """The quote cannot be placed in the section; the message says why."""


@dataclass(frozen=True)
class Quote:
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


def quote_at(text: str, start: int, end: int) -> Quote:
    """The selector of `text[start:end]`, with its context taken from the text itself."""
    return Quote(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
        start=start,
        end=end,
    )


def anchor_quote(
    text: str,
    exact: str,
    *,
    prefix: str | None = None,
    suffix: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Quote:
    """Place a quote in `text`, or raise `AnchorError`.

    With `start` and `end` the quote must stand exactly there. Without them it must
    occur once, or once among the places whose context matches `prefix`/`suffix`.
    A given prefix or suffix must agree with the text around the quote.
    """
    if not exact or not exact.strip():
        raise AnchorError("the quote is empty")
    if len(exact) > MAX_QUOTE_LENGTH:
        raise AnchorError(f"the quote is longer than {MAX_QUOTE_LENGTH} characters")
    if (start is None) != (end is None):
        raise AnchorError("give both start and end, or neither")

    if start is not None and end is not None:
        if not 0 <= start < end <= len(text):
            raise AnchorError(f"start and end must satisfy 0 <= start < end <= {len(text)}")
        if text[start:end] != exact:
            where = "elsewhere in" if exact in text else "not in"
            raise AnchorError(
                f"the quote is not at the given place ({start}–{end}); it is {where} the section"
            )
        found = quote_at(text, start, end)
        if not _context_agrees(found, prefix, suffix):
            raise AnchorError("the prefix or suffix does not match the text around the quote")
        return found

    places = [m.start() for m in re.finditer(re.escape(exact), text)]
    if not places:
        raise AnchorError("the quote is not in the section")
    candidates = [
        quote_at(text, s, s + len(exact))
        for s in places
        if _context_agrees(quote_at(text, s, s + len(exact)), prefix, suffix)
    ]
    if not candidates:
        raise AnchorError("the prefix or suffix does not match the text around the quote")
    if len(candidates) > 1:
        raise AnchorError(
            f"the quote occurs {len(candidates)} times in the section; "
            "give start and end, or a longer prefix or suffix"
        )
    return candidates[0]


def _context_agrees(found: Quote, prefix: str | None, suffix: str | None) -> bool:
    """A given prefix must end the text before the quote; a suffix must begin the text after."""
    if prefix and not found.prefix.endswith(prefix[-CONTEXT_LENGTH:]):
        return False
    return not (suffix and not found.suffix.startswith(suffix[:CONTEXT_LENGTH]))


def block_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs (blocks separated by line breaks) in a section's text.

    Paragraph comments anchor on one of these spans, so that they are ordinary
    passages for everything that follows (highlighting, carrying to new versions).
    """
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        if match.group().strip():
            spans.append((match.start(), match.end()))
    return spans
