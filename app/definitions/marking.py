"""Glossary terms in the text of the papers: finding them, and marking them in a section's HTML.

Finding works on plain text (`app.definitions.finding`: whole words, case-insensitive,
aliases included, the longest label winning where labels overlap). Marking wraps occurrences in the
section's stored HTML in elements of their own and never adds, removes or changes a single
character of text, so the `.section-text` element's `textContent` stays equal to the section's
`text` and every anchor offset keeps pointing at the same characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.definitions.finding import Finder, Occurrence, find_occurrences
from app.definitions.queries import TermState, open_proposal_counts, visible_terms
from app.extensions import db
from app.models import DefinitionProposal, ProposalStatus, Term

__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "Finder",
    "MarkTerm",
    "MarkedPage",
    "Occurrence",
    "find_occurrences",
    "glossary_marks",
    "mark_html",
    "mark_sections",
    "section_text_of",
]

MODES = ("first", "all", "none")
DEFAULT_MODE = "first"


@dataclass
class MarkTerm:
    """What marking needs of a term: its names, its page, and what the tooltip says."""

    id: int
    label: str
    slug: str
    aliases: list[str] = field(default_factory=list)
    definition_html: str | None = None  # the adopted definition, if any
    open_count: int = 0  # open proposals
    language: str = "en"  # the adopted definition's

    @property
    def state(self) -> TermState:
        return TermState.ADOPTED if self.definition_html is not None else TermState.OPEN

    @property
    def href(self) -> str:
        return f"/glossary/{self.slug}"

    @property
    def tip_id(self) -> str:
        return f"term-tip-{self.slug}"


# --- marking --------------------------------------------------------------------------------

# Text inside these is never marked: links (footnote references among them), headings,
# highlights, code, and what is already a definition.
SKIP_TAGS = frozenset(
    {"a", "sup", "h1", "h2", "h3", "h4", "h5", "h6", "mark", "code", "pre", "kbd", "samp",
     "dfn", "abbr", "button", "script", "style", "textarea", "select", "option", "svg", "math"}
)  # fmt: skip
SKIP_CLASSES = frozenset({"fnref", "footnote-ref", "term", "term-spot"})
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
_TEXT, _TAG = "text", "tag"


@dataclass
class _Event:
    kind: str  # _TEXT or _TAG
    pos: int  # where its raw HTML begins
    text: str = ""  # the characters it adds to the text content
    raw_is_text: bool = False  # plain data: its raw HTML is its text
    skipped: bool = False  # inside an element whose text is never marked
    run: int = 0  # text events with no tag between them share a run


class _Scanner(HTMLParser):
    """Lists the tokens of an HTML fragment with where each begins, and the text each adds."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.events: list[_Event] = []
        self.stack: list[tuple[str, bool]] = []
        self.run = 0

    def _pos(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def _tag_event(self) -> None:
        self.run += 1
        self.events.append(_Event(_TAG, self._pos()))

    def _text_event(self, text: str, raw_is_text: bool) -> None:
        self.events.append(
            _Event(_TEXT, self._pos(), text, raw_is_text, self._skipping(), self.run)
        )

    def handle_starttag(self, tag, attrs):
        self._tag_event()
        if tag in VOID_TAGS:
            return
        classes = set()
        for name, value in attrs:
            if name == "class" and value:
                classes.update(value.split())
        self.stack.append((tag, tag in SKIP_TAGS or bool(classes & SKIP_CLASSES)))

    def handle_startendtag(self, tag, attrs):
        self._tag_event()

    def handle_endtag(self, tag):
        self._tag_event()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self._text_event(data, True)

    def handle_entityref(self, name):
        self._text_event("", False)  # text filled in from the raw HTML afterwards

    def handle_charref(self, name):
        self._text_event("", False)

    def handle_comment(self, data):
        self._tag_event()

    def handle_decl(self, decl):
        self._tag_event()

    def handle_pi(self, data):
        self._tag_event()

    def unknown_decl(self, data):
        self._tag_event()


def _scan(html: str) -> list[_Event] | None:
    """The fragment's tokens, or None when they do not add up to the HTML exactly."""
    scanner = _Scanner(html)
    scanner.feed(html)
    scanner.close()
    events = scanner.events
    if not events:
        return None if html else []
    if events[0].pos != 0:
        return None
    ends = [e.pos for e in events[1:]] + [len(html)]
    for event, end in zip(events, ends, strict=True):
        raw = html[event.pos : end]
        if event.kind == _TEXT:
            if event.raw_is_text:
                if raw != event.text:
                    return None
            else:
                event.text = unescape(raw)
    return events


def section_text_of(html: str) -> str:
    """The text content of an HTML fragment, as a browser's `textContent` gives it."""
    events = _scan(html)
    if events is None:
        raise ValueError("unreadable HTML")
    return "".join(e.text for e in events if e.kind == _TEXT)


def _open_tag(term: MarkTerm, active: bool, first: bool) -> str:
    slug = escape(term.slug)
    first_attr = " data-term-first" if first else ""
    if active:
        return (
            f'<a class="term term--{term.state}" href="{escape(term.href)}" data-term="{slug}"'
            f'{first_attr} aria-describedby="{escape(term.tip_id)}">'
        )
    return f'<span class="term-spot" data-term="{slug}"{first_attr}>'


def mark_html(
    html: str,
    terms: Iterable[MarkTerm] | dict[int, MarkTerm],
    mode: str = DEFAULT_MODE,
    *,
    finder: Finder | None = None,
    spots: bool = True,
) -> tuple[str, set[int]]:
    """The section's HTML with the terms' occurrences wrapped, and the ids of the terms found.

    With `mode` "first" the first occurrence of each term is a link to its page, with "all"
    every one, with "none" none. With `spots`, the occurrences that are not links are wrapped
    in plain `span.term-spot` elements, so that the page can switch modes without a reload.
    Occurrences inside links, footnote references, headings and highlights, or running across
    an element's edge, are left alone. The text content never changes.
    """
    if mode not in MODES:
        mode = DEFAULT_MODE
    by_id = terms if isinstance(terms, dict) else {t.id: t for t in terms}
    if not by_id or not html:
        return html, set()
    events = _scan(html)
    if events is None:
        return html, set()
    text = "".join(e.text for e in events if e.kind == _TEXT)
    occurrences = (finder or Finder(by_id.values())).find(text)
    if not occurrences:
        return html, set()

    # Where each text event lies in the text content.
    starts: list[int] = []
    offset = 0
    text_events = [e for e in events if e.kind == _TEXT]
    for event in text_events:
        starts.append(offset)
        offset += len(event.text)

    def boundary_ok(at: int, index: int) -> bool:
        """An edge may fall inside plain data, or on an event's edge (not inside `&...;`)."""
        event = text_events[index]
        return event.raw_is_text or at in (starts[index], starts[index] + len(event.text))

    def event_at(at: int, *, end: bool) -> int:
        # The text event that holds character `at` (or, for an end, character `at - 1`).
        target = at - 1 if end else at
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= target:
                lo = mid
            else:
                hi = mid - 1
        while lo < len(text_events) - 1 and not text_events[lo].text:
            lo += 1
        return lo

    usable: list[Occurrence] = []
    for occ in occurrences:
        if occ.term_id not in by_id:
            continue
        first_i, last_i = event_at(occ.start, end=False), event_at(occ.end, end=True)
        events_between = text_events[first_i : last_i + 1]
        if len({e.run for e in events_between}) != 1 or any(e.skipped for e in events_between):
            continue
        if not (boundary_ok(occ.start, first_i) and boundary_ok(occ.end, last_i)):
            continue
        usable.append(occ)
    if not usable:
        return html, set()

    seen: set[int] = set()
    plan: list[tuple[Occurrence, bool, bool]] = []  # occurrence, active, first
    for occ in usable:
        first = occ.term_id not in seen
        seen.add(occ.term_id)
        active = mode == "all" or (mode == "first" and first)
        if active or spots:
            plan.append((occ, active, first))
    if not plan:
        return html, seen

    # Insertions at text offsets: an opening tag before a character, a closing one after.
    opens: dict[int, str] = {}
    closes: dict[int, str] = {}
    for occ, active, first in plan:
        opens[occ.start] = _open_tag(by_id[occ.term_id], active, first)
        closes[occ.end] = "</a>" if active else "</span>"

    out: list[str] = []
    ends = [e.pos for e in events[1:]] + [len(html)]
    offset = 0
    for event, end in zip(events, ends, strict=True):
        raw = html[event.pos : end]
        if event.kind != _TEXT or not event.text:
            out.append(raw)
            continue
        length = len(event.text)
        if not event.raw_is_text:  # a character reference: tags only around it
            if offset in closes:
                out.append(closes.pop(offset))
            if offset in opens:
                out.append(opens.pop(offset))
            out.append(raw)
            if offset + length in closes:
                out.append(closes.pop(offset + length))
            offset += length
            continue
        cut = 0
        points = sorted({at for at in (*opens, *closes) if offset <= at <= offset + length})
        for at in points:
            i = at - offset
            if at in closes or (i < length and at in opens):
                out.append(raw[cut:i])
                cut = i
            if at in closes:
                out.append(closes.pop(at))
            if i < length and at in opens:
                out.append(opens.pop(at))
        out.append(raw[cut:])
        offset += length
    return "".join(out), seen


# --- loading ----------------------------------------------------------------------------------


def glossary_marks() -> list[MarkTerm]:
    """Published terms with an adopted definition or open proposals, as everyone sees them:
    one query, whatever the number of terms."""
    adopted = aliased(DefinitionProposal)
    open_counts = open_proposal_counts(None)
    rows = db.session.execute(
        select(
            Term.id,
            Term.label,
            Term.slug,
            Term.aliases,
            adopted.adopted_html,
            adopted.text_html,
            func.coalesce(open_counts.c.n, 0),
            adopted.language,
        )
        .outerjoin(
            adopted, (adopted.term_id == Term.id) & (adopted.status == ProposalStatus.ADOPTED)
        )
        .outerjoin(open_counts, open_counts.c.term_id == Term.id)
        .where(visible_terms(None))
        .where(adopted.id.is_not(None) | (func.coalesce(open_counts.c.n, 0) > 0))
        .order_by(Term.label_key)
    ).all()
    marks: dict[int, MarkTerm] = {}
    for term_id, label, slug, aliases, adopted_html, text_html, n, language in rows:
        if term_id in marks:  # two adopted proposals would be a bug; show one
            continue
        has_definition = adopted_html is not None or text_html is not None
        marks[term_id] = MarkTerm(
            id=term_id,
            label=label,
            slug=slug,
            aliases=list(aliases or []),
            definition_html=(adopted_html or text_html) if has_definition else None,
            open_count=int(n or 0),
            language=language or "en",
        )
    return list(marks.values())


@dataclass
class MarkedPage:
    """A reading page's sections marked: HTML by section id, and the terms found anywhere."""

    html: dict[int, str]
    terms: list[MarkTerm]
    mode: str

    @property
    def any(self) -> bool:
        return bool(self.terms)


def mark_sections(sections: Iterable[Any], mode: str) -> MarkedPage:
    """Mark every section (objects with `id` and `html`) of a page: one query in all.

    A published section's HTML never changes, so its marking depends only on the glossary
    as it stands and the mode: it is worked out once per process for each, and the next
    pages reuse it. A term adopted, proposed or renamed changes the glossary's rows, hence
    the key, and the text is marked again."""
    terms = glossary_marks()
    glossary = tuple(
        (t.id, t.label, t.slug, tuple(t.aliases), t.definition_html, t.open_count) for t in terms
    )
    html: dict[int, str] = {}
    found: set[int] = set()
    for section in sections:
        marked, seen = _marked_html(section.html or "", glossary, mode)
        html[section.id] = marked
        found |= seen
    return MarkedPage(html, [t for t in terms if t.id in found], mode)


@lru_cache(maxsize=8)
def _marker(glossary: tuple) -> tuple[dict[int, MarkTerm], Finder]:
    """The terms of a state of the glossary by id, and the finder of their names."""
    terms = [MarkTerm(i, label, slug, list(aliases), html, n)
             for i, label, slug, aliases, html, n in glossary]  # fmt: skip
    return {t.id: t for t in terms}, Finder(terms)


# Sections marked and kept: a few papers' versions in each of the three modes.
MARKED_KEPT = 1024


@lru_cache(maxsize=MARKED_KEPT)
def _marked_html(html: str, glossary: tuple, mode: str) -> tuple[str, frozenset[int]]:
    """One section's HTML marked for a state of the glossary and a mode, and the ids of
    the terms found in it."""
    by_id, finder = _marker(glossary)
    marked, seen = mark_html(html, by_id, mode, finder=finder)
    return marked, frozenset(seen)
