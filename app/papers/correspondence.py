"""Which section of one version is which section of another.

The same key in two versions is the same section (CONTRACT). A section whose heading was
renamed without a `{#key}` gets a new key; such a section is recognised by its text: an
old section no longer present and a new one not present before are paired when their
words are mostly the same (renamed). Everything left over was removed or added. A
section that kept its key but changed place in the order has moved.

Used by the compare page, the publishing preview and re-anchoring, so that all three
agree on what became of each section.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from difflib import SequenceMatcher

# Words in common, as a share of the longer text, for two differently keyed sections to
# count as one renamed section.
RENAMED_SIMILARITY = 0.6


class SectionFate(enum.StrEnum):
    KEPT = "kept"  # same key, same place among the sections both versions have
    MOVED = "moved"  # same key, another place in the order
    RENAMED = "renamed"  # another key, mostly the same words
    REMOVED = "removed"
    ADDED = "added"


@dataclass(frozen=True)
class SectionInfo:
    """What correspondence needs of a section: its key, heading and text."""

    key: str
    title: str
    text: str
    number: str | None = None


@dataclass(frozen=True)
class Correspondence:
    """One row of the comparison: an old section, a new one, or both."""

    fate: SectionFate
    old: SectionInfo | None
    new: SectionInfo | None
    similarity: float = 1.0

    @property
    def retitled(self) -> bool:
        """The heading changed (with or without a new key)."""
        return bool(self.old and self.new and self.old.title != self.new.title)

    @property
    def text_changed(self) -> bool:
        return bool(self.old and self.new and self.old.text != self.new.text)


def similarity(a: str, b: str) -> float:
    """Share of words in common, 0–1, in order (difflib on word sequences)."""
    words_a, words_b = a.split(), b.split()
    if not words_a and not words_b:
        return 1.0
    matcher = SequenceMatcher(None, words_a, words_b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return same / max(len(words_a), len(words_b))


def correspond(old: list[SectionInfo], new: list[SectionInfo]) -> list[Correspondence]:
    """Pair the sections of two versions, in the new version's order, with removed
    sections placed after the section that preceded them in the old version."""
    old_by_key = {s.key: s for s in old}
    new_by_key = {s.key: s for s in new}
    shared = [s.key for s in old if s.key in new_by_key]
    in_place = _longest_common_order(shared, [s.key for s in new if s.key in old_by_key])

    gone = [s for s in old if s.key not in new_by_key]
    arrived = [s for s in new if s.key not in old_by_key]
    renamed: dict[str, tuple[SectionInfo, float]] = {}  # new key → (old section, similarity)
    candidates = sorted(
        (
            (similarity(o.text, n.text), i, j)
            for i, o in enumerate(gone)
            for j, n in enumerate(arrived)
        ),
        reverse=True,
    )
    used_old, used_new = set(), set()
    for score, i, j in candidates:
        if score < RENAMED_SIMILARITY:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        renamed[arrived[j].key] = (gone[i], score)

    rows: list[Correspondence] = []
    for section in new:
        if section.key in old_by_key:
            fate = SectionFate.KEPT if section.key in in_place else SectionFate.MOVED
            rows.append(Correspondence(fate, old_by_key[section.key], section))
        elif section.key in renamed:
            previous, score = renamed[section.key]
            rows.append(Correspondence(SectionFate.RENAMED, previous, section, score))
        else:
            rows.append(Correspondence(SectionFate.ADDED, None, section, 0.0))
    removed = [s for i, s in enumerate(gone) if i not in used_old]
    for section in removed:
        rows.insert(_after_predecessor(rows, old, section), _removed(section))
    return rows


def _removed(section: SectionInfo) -> Correspondence:
    return Correspondence(SectionFate.REMOVED, section, None, 0.0)


def _after_predecessor(rows: list[Correspondence], old: list[SectionInfo], section) -> int:
    """Where a removed section goes: after the row holding its old predecessor."""
    keys = [s.key for s in old]
    for previous in reversed(keys[: keys.index(section.key)]):
        for index, row in enumerate(rows):
            if row.old is not None and row.old.key == previous:
                return index + 1
    return 0


def _longest_common_order(old_keys: list[str], new_keys: list[str]) -> set[str]:
    """The keys that keep their relative order (a longest common subsequence); the others
    moved."""
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    kept: set[str] = set()
    for block in matcher.get_matching_blocks():
        kept.update(old_keys[block.a : block.a + block.size])
    return kept


def section_map(rows: list[Correspondence]) -> dict[str, str | None]:
    """Old key → the key of the same section in the new version, or None when removed."""
    return {row.old.key: (row.new.key if row.new else None) for row in rows if row.old}
