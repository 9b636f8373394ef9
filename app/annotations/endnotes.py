"""A version's threads as numbered endnotes, for the printable page of a paper.

Printing a paper with its discussion puts every thread the viewer may see after the text,
numbered in the order of the text: section by section, and within a section the threads on
the whole section first, then those on a paragraph or passage by where it starts. Each
endnote carries its visible replies and the editors' current answer. The text gets a
superscript number after each passage that a thread stands on (beside the section's
heading for threads on the whole section), so that the reader of the paper can find the
comments on it and back.

Everything is read in a fixed number of queries, whatever the number of threads: the
threads with their authors and anchors (`queries.threads`), every visible reply of them
with its author, and the current answers with their editors and versions. Visibility is
the same as everywhere (`queries.visible_to`): pending, hidden and rejected contributions
appear only to whom they appear elsewhere.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.annotations import queries
from app.annotations.dispositions import current_dispositions
from app.core.markdown import html_to_text
from app.extensions import db
from app.models import Annotation, PaperVersion, Section
from app.models.annotation import AnchorStatus, Disposition


@dataclass
class Endnote:
    """One thread as an endnote: its number, where it stands in the version printed (section
    key and the offsets of its passage there; None for the whole section or when its
    passage is gone), the passage as it reads there, its visible replies in the order
    written and the editors' current answer."""

    number: int
    thread: queries.Thread
    key: str | None
    start: int | None
    end: int | None
    passage: str | None
    replies: list[Annotation] = field(default_factory=list)
    disposition: Disposition | None = None

    @property
    def root(self) -> Annotation:
        return self.thread.root


@dataclass
class PrintedSection:
    """A section as printed: its HTML with the endnote markers of its passages, and the
    numbers of the endnotes marked beside its heading (threads on the whole section, and
    passages whose place in the HTML could not be found)."""

    section: Section
    html: str
    heading_notes: list[int]
    notes: list[Endnote]


@dataclass
class PrintedPaper:
    sections: list[PrintedSection]
    earlier_text: list[Endnote]  # threads whose section is not in this version

    @property
    def endnotes(self) -> list[Endnote]:
        return [n for s in self.sections for n in s.notes] + self.earlier_text

    @property
    def count(self) -> int:
        return sum(len(s.notes) for s in self.sections) + len(self.earlier_text)


def _placement(thread: queries.Thread) -> tuple[str | None, int | None, int | None, str | None]:
    """Where a thread stands in the version shown: section key, start, end, passage."""
    root, anchor = thread.root, thread.anchor
    if anchor is None:
        return root.section_key, root.quote_start, root.quote_end, root.quote_exact
    if anchor.status is AnchorStatus.ORPHANED or anchor.start is None:
        # Its words are gone from this version: it stands on the section (if any), and
        # the passage it was made on is quoted as it was.
        return anchor.section_key, None, None, root.quote_exact
    return anchor.section_key, anchor.start, anchor.end, anchor.exact or root.quote_exact


def _replies_of(root_ids: list[int], viewer: Any) -> dict[int, list[Annotation]]:
    """Every visible reply of these threads, with its author, in the order written: two
    queries (none for no threads)."""
    if not root_ids:
        return {}
    rows = db.session.scalars(
        select(Annotation)
        .where(Annotation.root_id.in_(root_ids))
        .where(queries.visible_to(viewer))
        .options(selectinload(Annotation.author))
        .order_by(Annotation.created_at, Annotation.id)
    )
    by_root: dict[int, list[Annotation]] = {}
    for reply in rows:
        by_root.setdefault(reply.root_id, []).append(reply)
    return by_root


def printed_paper(version: PaperVersion, sections: list[Section], viewer: Any) -> PrintedPaper:
    """The sections of a version with the endnote markers, and the endnotes, numbered in
    the order of the text: at most five queries, one when there are no threads."""
    threads = queries.threads(version, viewer)
    ids = [t.root.id for t in threads]
    replies = _replies_of(ids, viewer)
    answers = current_dispositions(ids)

    position = {s.key: i for i, s in enumerate(sections)}
    placed = []
    for thread in threads:
        key, start, end, passage = _placement(thread)
        if key not in position:
            key, start, end = None, None, None
        placed.append((thread, key, start, end, passage))

    def order(item) -> tuple:
        thread, key, start, _end, _passage = item
        root = thread.root
        return (
            key is None,
            position.get(key, 0),
            start is not None,
            start or 0,
            root.created_at,
            root.id,
        )

    by_section: dict[str | None, list[Endnote]] = {}
    for number, (thread, key, start, end, passage) in enumerate(sorted(placed, key=order), 1):
        note = Endnote(
            number,
            thread,
            key,
            start,
            end,
            passage,
            replies.get(thread.root.id, []),
            answers.get(thread.root.id),
        )
        by_section.setdefault(key, []).append(note)

    printed = []
    for section in sections:
        notes = by_section.get(section.key, [])
        html, unplaced = mark_endnotes(section.html, notes)
        heading = [n.number for n in notes if n.start is None or n.number in unplaced]
        printed.append(PrintedSection(section, html, heading, notes))
    return PrintedPaper(printed, by_section.get(None, []))


# --- markers in the text ----------------------------------------------------------------------

# Inside these a marker (itself a link) cannot go: it goes after the element instead.
_ENCLOSING = frozenset(
    {"a", "sup", "sub", "button", "select", "option", "textarea", "script", "style", "svg",
     "math", "label"}
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip


@dataclass
class _Token:
    pos: int  # where its raw HTML begins
    text: str | None = None  # text tokens: the characters they add to the text content
    raw_is_text: bool = False  # plain data, whose raw HTML is its text
    closes_enclosing: bool = False  # the end tag of an outermost enclosing element
    enclosed: bool = False  # text inside an enclosing element


class _Tokens(HTMLParser):
    """The tokens of an HTML fragment, each with where it begins in the fragment."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.tokens: list[_Token] = []
        self.stack: list[str] = []

    def _pos(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _enclosed(self) -> bool:
        return any(tag in _ENCLOSING for tag in self.stack)

    def handle_starttag(self, tag, attrs):
        self.tokens.append(_Token(self._pos()))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tokens.append(_Token(self._pos()))

    def handle_endtag(self, tag):
        was = self._enclosed()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] == tag:
                del self.stack[i:]
                break
        self.tokens.append(_Token(self._pos(), closes_enclosing=was and not self._enclosed()))

    def handle_data(self, data):
        self.tokens.append(_Token(self._pos(), data, True, enclosed=self._enclosed()))

    def handle_entityref(self, name):
        self.tokens.append(_Token(self._pos(), "", enclosed=self._enclosed()))

    def handle_charref(self, name):
        self.tokens.append(_Token(self._pos(), "", enclosed=self._enclosed()))

    def handle_comment(self, data):
        self.tokens.append(_Token(self._pos()))

    def handle_decl(self, decl):
        self.tokens.append(_Token(self._pos()))

    def handle_pi(self, data):
        self.tokens.append(_Token(self._pos()))

    def unknown_decl(self, data):
        self.tokens.append(_Token(self._pos()))


def _tokens(html: str) -> list[_Token] | None:
    """The fragment's tokens, or None unless they add up to the fragment and their text to
    its text content (then offsets into the section's text are offsets into them)."""
    parser = _Tokens(html)
    parser.feed(html)
    parser.close()
    tokens = parser.tokens
    if not tokens or tokens[0].pos != 0:
        return None
    ends = [t.pos for t in tokens[1:]] + [len(html)]
    for token, end in zip(tokens, ends, strict=True):
        if token.text is None:
            continue
        raw = html[token.pos : end]
        if token.raw_is_text:
            if raw != token.text:
                return None
        else:
            token.text = unescape(raw)
    if "".join(t.text for t in tokens if t.text is not None) != html_to_text(html):
        return None
    return tokens


def _insertion_point(
    tokens: list[_Token], ends: list[int], starts: list[int], text_ends: list[int],
    holders: list[int], at: int,
) -> int:  # fmt: skip
    """Where in the raw HTML a marker goes for the passage ending at text offset `at`:
    right after its last character, or after the link or superscript that character is in.
    -1 when the offset lies outside the text. `text_ends` are the text offsets where the
    tokens that hold text end, in order, and `holders` those tokens' indices."""
    k = bisect_left(text_ends, at)
    if at <= 0 or k == len(text_ends):
        return -1
    i = holders[k]
    token, begin = tokens[i], starts[i]
    if token.enclosed:
        for j in range(i + 1, len(tokens)):
            if tokens[j].closes_enclosing:
                return ends[j]
        return -1
    if at == text_ends[k]:
        return ends[i]
    if not token.raw_is_text:
        return -1  # inside a character reference: cannot happen for one character
    return token.pos + (at - begin)


def marker_html(numbers: Iterable[int]) -> str:
    """Superscript links to endnotes: "3" or "3, 4"."""
    links = ", ".join(
        f'<a href="#endnote-{n}" id="endnote-ref-{n}" class="endnote-ref__link">{n}</a>'
        for n in numbers
    )
    return f'<sup class="endnote-ref">{links}</sup>'


def mark_endnotes(html: str, notes: list[Endnote]) -> tuple[str, set[int]]:
    """The section's HTML with a marker after each endnote's passage, and the numbers of the
    endnotes that could not be placed (their markers go beside the heading instead). The
    text itself is never changed: only elements are inserted between its characters."""
    passages = [n for n in notes if n.start is not None and n.end is not None]
    if not passages:
        return html, set()
    tokens = _tokens(html)
    if tokens is None:
        return html, {n.number for n in passages}
    ends = [t.pos for t in tokens[1:]] + [len(html)]
    starts, offset = [], 0
    text_ends, holders = [], []
    for i, token in enumerate(tokens):
        starts.append(offset)
        if token.text:
            offset += len(token.text)
            text_ends.append(offset)
            holders.append(i)
    at: dict[int, list[int]] = {}
    unplaced: set[int] = set()
    for note in passages:
        point = _insertion_point(tokens, ends, starts, text_ends, holders, note.end)
        if point < 0:
            unplaced.add(note.number)
        else:
            at.setdefault(point, []).append(note.number)
    out, cut = [], 0
    for point in sorted(at):
        out.append(html[cut:point])
        out.append(marker_html(sorted(at[point])))
        cut = point
    out.append(html[cut:])
    return "".join(out), unplaced
