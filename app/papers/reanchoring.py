"""Carrying threads from one version of a paper to the next (re-anchoring).

When a version is published, every thread of the previous version is placed once in
the new one. For each thread: its own section first (the section's counterpart by
`correspond`: same key, or the renamed section), then the other sections for moved
text. A passage stays where it was if its words are still at the same offsets, else
goes to the one place its words now stand (an exact unique match, or the one whose
context agrees best), else to the place the section's diff maps it to when the words
there are close enough (fuzzy), else it is orphaned. Whole-section comments follow
their section, and are orphaned when it is gone.

A suggestion proposes new wording for its quote. When its quote is found nowhere, but the
place the diff maps it to now holds the proposed wording (word for word, or close enough
by the fuzzy measure and nearer the proposal than the old quote was), it is `applied`:
placed on those new words. The old quote found anywhere still wins.

Placing a comment on the wrong words is worse than orphaning it, so every placement
that is not certain is checked against the quote's context, and short quotes are never
matched fuzzily.

Pure Python, no database: the caller gives `QuoteAnchor`s (keyed as it likes) and the
sections of both versions, and gets back a `Placement` per key. Offsets are Unicode
code points, as in `app.core.anchoring`. Each pair of sections is diffed at most once,
whatever the number of threads.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from diff_match_patch import diff_match_patch

from app.models.annotation import AnchorStatus
from app.papers.correspondence import SectionFate, SectionInfo, correspond

# The share of characters a fuzzy placement must have in common with the old quote
# (1 − Levenshtein distance / length of the longer). Tuned on tests/data/reanchoring:
# typo fixes and small rewordings score 0.8–0.97; different words that merely stand at
# the mapped place score well under 0.6.
MIN_SIMILARITY = 0.75

# Quotes shorter than this (stripped) are never matched fuzzily.
MIN_FUZZY_LENGTH = 12
# A quote at least this long that occurs once is taken even when its context changed.
LONG_QUOTE = 40
# The share of the context (prefix and suffix, each side weighing half) that must still
# surround a short quote found once, or a quote found in another section.
MIN_CONTEXT = 0.25
# A quote shorter than MIN_FUZZY_LENGTH found in another section needs this much context.
MIN_CONTEXT_SHORT_MOVED = 0.5
# The similarity the context around a fuzzy placement must keep (mean of both sides).
MIN_FUZZY_CONTEXT = 0.5
# Time allowed to diff one pair of sections (diff-match-patch falls back to a coarser
# diff beyond it, which only makes fuzzy placements rarer).
DIFF_TIMEOUT = 1.0

LINE = re.compile(r"[^\n]+|\n")  # paragraphs, and the breaks between them
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class QuoteAnchor:
    """Where a thread stands in the old version."""

    section_key: str
    exact: str | None = None  # None: a whole-section comment
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None
    end: int | None = None
    proposed: str | None = None  # a suggestion's proposed wording for `exact`


@dataclass(frozen=True)
class Placement:
    """Where a thread stands in the new version."""

    status: AnchorStatus
    section_key: str | None  # None when its section is gone
    start: int | None = None
    end: int | None = None
    exact: str | None = None  # the new text at start:end
    # similarity 0–1 (1.0 for exact and moved); for applied, to the proposed wording
    score: float | None = None


def reanchor(
    anchors: Mapping[K, QuoteAnchor],
    old: list[SectionInfo],
    new: list[SectionInfo],
    *,
    min_similarity: float = MIN_SIMILARITY,
) -> dict[K, Placement]:
    """Place every anchor of the old version in the new one (see the module docstring)."""
    engine = _Engine(old, new, min_similarity)
    return {key: engine.place(anchor) for key, anchor in anchors.items()}


def similarity(a: str, b: str) -> float:
    """1 − (Levenshtein distance / length of the longer), on code points."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    return 1.0 - _DMP.diff_levenshtein(_DMP.diff_main(a, b, False)) / longest


def _similarity_at_least(a: str, b: str, minimum: float) -> float | None:
    """`similarity(a, b)` when it can reach `minimum`, else None: cheap bounds first (the
    difference in length, and in the characters used), as most candidates fail them."""
    longest = max(len(a), len(b))
    if not longest or a == b:
        return 1.0
    bound = longest * (1.0 - minimum)  # the most edits allowed
    if abs(len(a) - len(b)) > bound:
        return None
    surplus = Counter(a)
    surplus.subtract(b)
    if (
        max(sum(n for n in surplus.values() if n > 0), -sum(n for n in surplus.values() if n < 0))
        > bound
    ):
        return None
    score = similarity(a, b)
    return score if score >= minimum else None


_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0.5


class _Engine:
    def __init__(self, old: list[SectionInfo], new: list[SectionInfo], min_similarity: float):
        self.min_similarity = min_similarity
        self.old_by_key = {s.key: s for s in old}
        self.new_by_key = {s.key: s for s in new}
        self.new = new
        # old key → (counterpart in the new version or None, its fate)
        self.counterpart: dict[str, tuple[SectionInfo | None, SectionFate]] = {}
        for row in correspond(old, new):
            if row.old is not None:
                self.counterpart[row.old.key] = (row.new, row.fate)
        self.diffs: dict[str, list[tuple[int, str]]] = {}
        self.lowered: dict[str, str | None] = {}
        self.dmp = diff_match_patch()
        self.dmp.Diff_Timeout = DIFF_TIMEOUT

    # -- the rules, in order -------------------------------------------------------------

    def place(self, anchor: QuoteAnchor) -> Placement:
        here, fate = self.counterpart.get(anchor.section_key, (None, SectionFate.REMOVED))
        if anchor.section_key not in self.old_by_key and anchor.section_key in self.new_by_key:
            here, fate = self.new_by_key[anchor.section_key], SectionFate.KEPT  # not diffed
        if anchor.exact is None:
            if here is None:
                return Placement(AnchorStatus.ORPHANED, None)
            status = AnchorStatus.EXACT if fate == SectionFate.KEPT else AnchorStatus.MOVED
            return Placement(status, here.key, score=1.0)
        exact = anchor.exact
        orphan = Placement(AnchorStatus.ORPHANED, here.key if here else None)
        if not exact.strip():
            return orphan
        if here is not None:
            start = self._in_own_section(anchor, here)
            if start is not None:
                return self._found(AnchorStatus.EXACT, here.key, start, exact)
        found = self._in_other_sections(anchor, here)
        if found is not None:
            return self._found(AnchorStatus.MOVED, found[0], found[1], exact)
        if here is not None and anchor.proposed is not None:
            applied = self._applied(anchor, here)
            if applied is not None:
                return applied
        if here is not None:
            fuzzy = self._fuzzy(anchor, here)
            if fuzzy is not None:
                return fuzzy
        recased = self._ignoring_case(anchor)
        if recased is not None:
            return recased
        return orphan

    def _ignoring_case(self, anchor: QuoteAnchor) -> Placement | None:
        """A long quote whose only change is the case of its letters ("one factor" →
        "One factor", as when a sentence is cut to start with it), wherever it went, if
        it is in one place only. The new words are given, with their similarity."""
        exact = anchor.exact or ""
        needle = exact.lower()
        if len(exact) < LONG_QUOTE or len(needle) != len(exact):
            return None
        hits: list[tuple[SectionInfo, int]] = []
        for section in self.new:
            if section.key not in self.lowered:
                lowered = section.text.lower()
                self.lowered[section.key] = lowered if len(lowered) == len(section.text) else None
            lowered = self.lowered[section.key]
            if lowered is None:
                continue
            hits.extend((section, place) for place in _find_all(lowered, needle))
            if len(hits) > 1:
                return None
        if len(hits) != 1:
            return None
        section, place = hits[0]
        words = section.text[place : place + len(exact)]
        return Placement(
            AnchorStatus.FUZZY,
            section.key,
            place,
            place + len(exact),
            words,
            similarity(exact, words),
        )

    @staticmethod
    def _found(status: AnchorStatus, key: str, start: int, exact: str) -> Placement:
        return Placement(status, key, start, start + len(exact), exact, 1.0)

    def _in_own_section(self, anchor: QuoteAnchor, here: SectionInfo) -> int | None:
        """The offset of the quote in its own section, when its place there is certain."""
        exact, text = anchor.exact or "", here.text
        places = _find_all(text, exact)
        if not places:
            return None
        if anchor.start is not None and anchor.start in places and len(places) == 1:
            return anchor.start
        scores = {p: _context_chars(text, p, p + len(exact), anchor) for p in places}
        best = max(scores.values())
        top = [p for p in places if scores[p] == best]
        if len(top) == 1:
            place = top[0]
            if (
                len(exact) >= LONG_QUOTE
                or place == anchor.start
                or _context_ratio(text, place, place + len(exact), anchor) >= MIN_CONTEXT
                or place == self._mapped_start(anchor, here)
            ):
                return place
            return None
        # Equally good places: the one still at the same offsets, or the one the diff
        # of the section maps the old offsets to; otherwise no choice is certain.
        if anchor.start is not None and anchor.start in top:
            return anchor.start
        mapped = self._mapped_start(anchor, here)
        return mapped if mapped in top else None

    def _in_other_sections(
        self, anchor: QuoteAnchor, here: SectionInfo | None
    ) -> tuple[str, int] | None:
        """(key, offset) of the quote in another section, when only one place fits."""
        exact = anchor.exact or ""
        candidates = []
        for section in self.new:
            if here is not None and section.key == here.key:
                continue
            for place in _find_all(section.text, exact):
                chars = _context_chars(section.text, place, place + len(exact), anchor)
                candidates.append((chars, section, place))
        if not candidates:
            return None
        candidates.sort(key=lambda c: c[0], reverse=True)
        if len(candidates) > 1 and candidates[1][0] == candidates[0][0]:
            return None
        _, section, place = candidates[0]
        ratio = _context_ratio(section.text, place, place + len(exact), anchor)
        if len(exact.strip()) < MIN_FUZZY_LENGTH:
            needed = MIN_CONTEXT_SHORT_MOVED
        elif len(exact) >= LONG_QUOTE and len(candidates) == 1:
            needed = 0.0
        else:
            needed = MIN_CONTEXT
        return (section.key, place) if ratio >= needed else None

    def _fuzzy(self, anchor: QuoteAnchor, here: SectionInfo) -> Placement | None:
        """The old offsets mapped through the section's diff, if the words there are close."""
        exact = anchor.exact or ""
        if len(exact.strip()) < MIN_FUZZY_LENGTH:
            return None
        mapped = self._mapped_span(anchor, here)
        if mapped is None:
            return None
        best = self._closest_words(here.text, mapped, exact)
        if best is None:
            return None
        score, s, e = best
        text = here.text
        if _fuzzy_context(text, s, e, anchor) < MIN_FUZZY_CONTEXT:
            return None
        if text[s:e] == exact:  # the diff settles a place the words alone could not
            return self._found(AnchorStatus.EXACT, here.key, s, exact)
        return Placement(AnchorStatus.FUZZY, here.key, s, e, text[s:e], round(score, 4))

    def _applied(self, anchor: QuoteAnchor, here: SectionInfo) -> Placement | None:
        """A suggestion's proposed wording where the diff maps its quote: the proposal word
        for word if it stands there (the best context wins, a tie places nothing), else
        the words there if they are close to the proposal and nearer to it than the old
        quote was (else the editors changed the quote their own way: fuzzy at most). The
        old context must still surround the words, as for a fuzzy placement."""
        proposed = (anchor.proposed or "").strip()
        exact = anchor.exact or ""
        if not proposed or proposed == exact.strip():
            return None
        mapped = self._mapped_span(anchor, here)
        if mapped is None:
            return None
        text = here.text
        start, end = mapped[0], mapped[1]
        hits = [
            place
            for place in _find_all(text, proposed)
            if place < end and place + len(proposed) > start
        ]
        if hits:
            scores = {p: _context_chars(text, p, p + len(proposed), anchor) for p in hits}
            best = max(scores.values())
            top = [p for p in hits if scores[p] == best]
            if len(top) == 1 or start in top:
                place = top[0] if len(top) == 1 else start
                if _fuzzy_context(text, place, place + len(proposed), anchor) >= MIN_FUZZY_CONTEXT:
                    return Placement(
                        AnchorStatus.APPLIED,
                        here.key,
                        place,
                        place + len(proposed),
                        proposed,
                        1.0,
                    )
        if len(proposed) < MIN_FUZZY_LENGTH:
            return None
        close = self._closest_words(text, mapped, proposed)
        if close is None:
            return None
        score, s, e = close
        words = text[s:e]
        if words == exact or score <= similarity(exact, proposed):
            return None  # no nearer the proposal than the old quote was: not taken up
        if _fuzzy_context(text, s, e, anchor) < MIN_FUZZY_CONTEXT:
            return None
        return Placement(AnchorStatus.APPLIED, here.key, s, e, words, round(score, 4))

    def _mapped_span(
        self, anchor: QuoteAnchor, here: SectionInfo
    ) -> tuple[int, int, bool, bool] | None:
        """The quote's offsets mapped through the section's diff into the new text, and
        whether each end stood at a word's edge (then the new words are snapped to whole
        words); None when the quote cannot be located in the old section."""
        exact = anchor.exact or ""
        old_section = self.old_by_key.get(anchor.section_key)
        span = self._old_span(anchor, old_section)
        if old_section is None or span is None:
            return None
        diffs = self._diff(old_section, here)
        start = self.dmp.diff_xIndex(diffs, span[0])
        end = self.dmp.diff_xIndex(diffs, span[1])
        if end <= start:
            return None
        old_text = old_section.text
        word_start = span[0] == 0 or not _is_word(old_text[span[0] - 1]) or not _is_word(exact[0])
        word_end = (
            span[1] >= len(old_text) or not _is_word(old_text[span[1]]) or not _is_word(exact[-1])
        )
        return start, end, word_start, word_end

    def _closest_words(
        self, text: str, mapped: tuple[int, int, bool, bool], target: str
    ) -> tuple[float, int, int] | None:
        """(similarity, start, end) of the words around a mapped span most like `target`,
        when they reach the minimum similarity."""
        start, end, word_start, word_end = mapped
        best: tuple[float, int, int] | None = None
        for s in _snap_start(text, start) if word_start else (start,):
            for e in _snap_end(text, end) if word_end else (end,):
                s2, e2 = _strip(text, s, e)
                if e2 <= s2:
                    continue
                floor = best[0] if best is not None else self.min_similarity
                score = _similarity_at_least(target, text[s2:e2], floor)
                if score is not None and (best is None or score > best[0]):
                    best = (score, s2, e2)
        if best is None or best[0] < self.min_similarity:
            return None
        return best

    # -- helpers -------------------------------------------------------------------------

    def _diff(self, old_section: SectionInfo, new_section: SectionInfo) -> list[tuple[int, str]]:
        diffs = self.diffs.get(old_section.key)
        if diffs is None:
            diffs = self._paragraph_then_word_diff(old_section.text, new_section.text)
            self.diffs[old_section.key] = diffs
        return diffs

    def _paragraph_then_word_diff(self, old: str, new: str) -> list[tuple[int, str]]:
        """A diff of two section texts, exact to the word: paragraphs first, then the words
        of each run of changed paragraphs (a character diff of whole sections is far too
        slow when paragraphs are moved away or rewritten)."""
        lines_old, lines_new = LINE.findall(old), LINE.findall(new)
        coded = _Codes()
        diffs = self.dmp.diff_main(coded.encode(lines_old), coded.encode(lines_new), False)
        out: list[tuple[int, str]] = []
        deleted: list[str] = []
        inserted: list[str] = []

        def flush() -> None:
            if deleted and inserted:
                out.extend(self._word_diff("".join(deleted), "".join(inserted)))
            elif deleted:
                out.append((-1, "".join(deleted)))
            elif inserted:
                out.append((1, "".join(inserted)))
            deleted.clear()
            inserted.clear()

        for op, chunk in diffs:
            text = coded.decode(chunk)
            if op == 0:
                flush()
                out.append((0, text))
            else:
                (deleted if op < 0 else inserted).append(text)
        flush()
        return out

    def _word_diff(self, old: str, new: str) -> list[tuple[int, str]]:
        coded = _Codes()
        tokens_old, tokens_new = TOKEN.findall(old), TOKEN.findall(new)
        a, b = coded.encode(tokens_old), coded.encode(tokens_new)
        if coded.full:
            return self.dmp.diff_main(old, new, False)
        return [(op, coded.decode(chunk)) for op, chunk in self.dmp.diff_main(a, b, False)]

    def _old_span(
        self, anchor: QuoteAnchor, old_section: SectionInfo | None
    ) -> tuple[int, int] | None:
        """The quote's offsets in the old section, checked (found by its text if need be)."""
        if old_section is None or not anchor.exact:
            return None
        text, exact = old_section.text, anchor.exact
        if anchor.start is not None and text[anchor.start : anchor.start + len(exact)] == exact:
            return anchor.start, anchor.start + len(exact)
        places = _find_all(text, exact)
        if len(places) == 1:
            return places[0], places[0] + len(exact)
        return None

    def _mapped_start(self, anchor: QuoteAnchor, here: SectionInfo) -> int | None:
        old_section = self.old_by_key.get(anchor.section_key)
        span = self._old_span(anchor, old_section)
        if old_section is None or span is None:
            return None
        return self.dmp.diff_xIndex(self._diff(old_section, here), span[0])


class _Codes:
    """Paragraphs or words coded as one private character each, as diff-match-patch's
    line mode does, so that they are diffed as units."""

    LIMIT = 0xFFFE

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.units: list[str] = []
        self.full = False

    def encode(self, units: list[str]) -> str:
        out = []
        for unit in units:
            code = self.codes.get(unit)
            if code is None:
                if len(self.units) >= self.LIMIT:
                    self.full = True
                    code = chr(0xF0000 + self.LIMIT)
                else:
                    code = chr(0xF0000 + len(self.units))
                    self.codes[unit] = code
                    self.units.append(unit)
            out.append(code)
        return "".join(out)

    def decode(self, chunk: str) -> str:
        return "".join(self.units[ord(c) - 0xF0000] for c in chunk)


def _find_all(text: str, needle: str) -> list[int]:
    places, at = [], text.find(needle)
    while at != -1:
        places.append(at)
        at = text.find(needle, at + 1)
    return places


def _common_suffix(a: str, b: str) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n


def _context_agreement(
    text: str,
    start: int,
    end: int,
    anchor: QuoteAnchor,
    before: Callable[[str, str], float],
    after: Callable[[str, str], float],
) -> tuple[float, float]:
    """How the old prefix and suffix agree with the text now before and after
    text[start:end], each side by its measure (old context, text now).

    An empty prefix (suffix) agrees (1) only with the beginning (end) of the section."""
    prefix, suffix = anchor.prefix or "", anchor.suffix or ""
    return (
        before(prefix, text[max(0, start - len(prefix)) : start]) if prefix else float(start == 0),
        after(suffix, text[end : end + len(suffix)]) if suffix else float(end == len(text)),
    )


def _context_ratio(text: str, start: int, end: int, anchor: QuoteAnchor) -> float:
    """How much of the prefix and of the suffix still surround text[start:end], 0–1 (mean
    of both sides)."""
    before, after = _context_agreement(
        text,
        start,
        end,
        anchor,
        lambda old, now: _common_suffix(old, now) / len(old),
        lambda old, now: _common_prefix(old, now) / len(old),
    )
    return (before + after) / 2


def _context_chars(text: str, start: int, end: int, anchor: QuoteAnchor) -> int:
    """Characters of context that agree, for comparing places (a section edge counts 1)."""
    return int(sum(_context_agreement(text, start, end, anchor, _common_suffix, _common_prefix)))


def _fuzzy_context(text: str, start: int, end: int, anchor: QuoteAnchor) -> float:
    """Similarity of the old context to the text now around a fuzzy placement (mean)."""
    return sum(_context_agreement(text, start, end, anchor, similarity, similarity)) / 2


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _snap_start(text: str, at: int) -> tuple[int, ...]:
    """A start inside a word: the beginning of that word, or of the next one."""
    if at <= 0 or at >= len(text) or not (_is_word(text[at - 1]) and _is_word(text[at])):
        return (at,)
    back = at
    while back > 0 and _is_word(text[back - 1]):
        back -= 1
    forward = at
    while forward < len(text) and _is_word(text[forward]):
        forward += 1
    return (back, forward)


def _snap_end(text: str, at: int) -> tuple[int, ...]:
    """An end inside a word: the end of that word, or of the previous one."""
    if at <= 0 or at >= len(text) or not (_is_word(text[at - 1]) and _is_word(text[at])):
        return (at,)
    forward = at
    while forward < len(text) and _is_word(text[forward]):
        forward += 1
    back = at
    while back > 0 and _is_word(text[back - 1]):
        back -= 1
    return (forward, back)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
