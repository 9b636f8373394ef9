"""What changed between two versions of a paper: the view-model of the compare page.

Sections are paired by `correspond()` (the same pairing the publishing preview and
re-anchoring use); the text of each pair is compared word by word with `word_diff()`.
The comparison runs from one version to another in either direction: from a later
version to an earlier one it shows what going back would undo.

The section text is plain text with one block (paragraph, list item, table row) a line;
a diff is split into those blocks so that the page can show them as paragraphs. Where a
block boundary was added or removed both blocks are shown (the union of the two
structures); a change of white space alone is not marked.

Queries: the sections of both versions in one statement, whatever their number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from app.core.diffing import word_diff
from app.extensions import db
from app.models import Paper, PaperVersion, Section
from app.papers.correspondence import Correspondence, SectionFate, SectionInfo, correspond

DELETED, KEPT, INSERTED = -1, 0, 1
WORD = re.compile(r"\w+", re.UNICODE)

Segment = tuple[int, str]  # (op, text): -1 deleted, 0 kept, 1 inserted
Block = list[Segment]  # one paragraph of the diff


@dataclass(frozen=True)
class SectionSide:
    """One version's section as the compare page shows it."""

    key: str
    number: str | None
    title: str
    level: int
    text: str

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def info(self) -> SectionInfo:
        return SectionInfo(self.key, self.title, self.text, self.number)


@dataclass
class Row:
    """One section of the comparison, in the order of the version compared to: what
    `correspond()` made of it (`pair`), and both sides as the page shows them."""

    pair: Correspondence
    old: SectionSide | None
    new: SectionSide | None
    blocks: list[Block]  # the text, with its changes marked when it changed
    inserted: int = 0  # words
    deleted: int = 0
    before_old: SectionSide | None = None  # for a moved section: what it followed, then
    before_new: SectionSide | None = None  # and now (None: it came first)

    @property
    def fate(self) -> SectionFate:
        return self.pair.fate

    @property
    def side(self) -> SectionSide:
        """The new section, or the old one when it was removed."""
        return self.new or self.old  # type: ignore[return-value]

    @property
    def key(self) -> str:
        """The section's id on the compare page; new and removed keys never clash."""
        return self.side.key

    @property
    def level(self) -> int:
        return self.side.level

    @property
    def retitled(self) -> bool:
        return self.pair.retitled

    @property
    def renumbered(self) -> bool:
        return bool(self.old and self.new and self.old.number != self.new.number)

    @property
    def text_changed(self) -> bool:
        return self.pair.text_changed

    @property
    def moved(self) -> bool:
        return self.fate is SectionFate.MOVED

    @property
    def added(self) -> bool:
        return self.fate is SectionFate.ADDED

    @property
    def removed(self) -> bool:
        return self.fate is SectionFate.REMOVED

    @property
    def changed(self) -> bool:
        """Anything a reader would notice besides a new number."""
        return self.added or self.removed or self.moved or self.retitled or self.text_changed


@dataclass
class Summary:
    changed: int = 0  # sections in both versions whose text changed
    added: int = 0
    removed: int = 0
    moved: int = 0
    renamed: int = 0  # sections whose heading changed
    inserted: int = 0  # words, in changed, added and removed sections together
    deleted: int = 0

    @property
    def anything(self) -> bool:
        return any((self.changed, self.added, self.removed, self.moved, self.renamed))


@dataclass
class Comparison:
    paper: Paper
    old: PaperVersion  # the version compared from
    new: PaperVersion  # the version compared to
    rows: list[Row]
    summary: Summary
    # The versions whose changes lie between the two (later than the earlier one, up to
    # and including the later one), in publication order.
    between: list[PaperVersion] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.old.id == self.new.id

    @property
    def backwards(self) -> bool:
        """Compared from a later version to an earlier one."""
        return self.old.sequence > self.new.sequence

    @property
    def changed_rows(self) -> list[Row]:
        return [row for row in self.rows if row.changed]


def compare_versions(
    paper: Paper, versions: list[PaperVersion], from_label: str, to_label: str
) -> Comparison | None:
    """Compare two versions of `paper` (among `versions`, in order) by label; None when
    either label is not one of its versions. One query."""
    by_label = {v.label: v for v in versions}
    old, new = by_label.get(from_label), by_label.get(to_label)
    if old is None or new is None:
        return None
    sections = _sections({old.id, new.id})
    rows, summary = compare_sections(sections.get(old.id, []), sections.get(new.id, []))
    low, high = sorted((old.sequence, new.sequence))
    between = [v for v in versions if low < v.sequence <= high]
    return Comparison(paper, old, new, rows, summary, between)


def compare_sections(
    old_sections: list[SectionSide], new_sections: list[SectionSide]
) -> tuple[list[Row], Summary]:
    """The rows and summary of a comparison of two lists of sections, each in reading
    order: stored versions here, a published version and a source not yet published in
    the publishing preview. No query."""
    pairs = correspond([s.info() for s in old_sections], [s.info() for s in new_sections])
    old_by_key = {s.key: s for s in old_sections}
    new_by_key = {s.key: s for s in new_sections}
    rows = [_row(pair, old_by_key, new_by_key) for pair in pairs]
    return rows, _summary(rows)


def sides(sections) -> list[SectionSide]:
    """`SectionSide`s of stored or parsed sections (both have key, number, title, level,
    text)."""
    return [SectionSide(s.key, s.number, s.title, s.level, s.text) for s in sections]


def _sections(version_ids: set[int]) -> dict[int, list[SectionSide]]:
    """The sections of the given versions, each in reading order: one query."""
    rows = db.session.execute(
        select(
            Section.version_id,
            Section.key,
            Section.number,
            Section.title,
            Section.level,
            Section.text,
        )
        .where(Section.version_id.in_(version_ids))
        .order_by(Section.version_id, Section.position)
    ).all()
    found: dict[int, list[SectionSide]] = {}
    for version_id, key, number, title, level, text in rows:
        found.setdefault(version_id, []).append(SectionSide(key, number, title, level, text))
    return found


def _row(
    pair: Correspondence, old_sections: dict[str, SectionSide], new_sections: dict[str, SectionSide]
) -> Row:
    old = old_sections.get(pair.old.key) if pair.old else None
    new = new_sections.get(pair.new.key) if pair.new else None
    if old is not None and new is not None:
        if old.text == new.text:
            row = Row(pair, old, new, blocks(new.text, KEPT))
        else:
            diff = word_diff(old.text, new.text)
            row = Row(
                pair,
                old,
                new,
                diff_blocks(diff),
                inserted=_words(diff, INSERTED),
                deleted=_words(diff, DELETED),
            )
        if pair.fate is SectionFate.MOVED:
            row.before_old = _before(list(old_sections.values()), old.key)
            row.before_new = _before(list(new_sections.values()), new.key)
        return row
    if new is not None:  # added
        return Row(pair, None, new, blocks(new.text, INSERTED), inserted=_count(new.text))
    assert old is not None  # removed
    return Row(pair, old, None, blocks(old.text, DELETED), deleted=_count(old.text))


def _before(sections: list[SectionSide], key: str) -> SectionSide | None:
    index = next(i for i, s in enumerate(sections) if s.key == key)
    return sections[index - 1] if index else None


def _summary(rows: list[Row]) -> Summary:
    summary = Summary()
    for row in rows:
        summary.changed += row.text_changed
        summary.added += row.added
        summary.removed += row.removed
        summary.moved += row.moved
        summary.renamed += row.retitled
        summary.inserted += row.inserted
        summary.deleted += row.deleted
    return summary


def _count(text: str) -> int:
    return len(WORD.findall(text))


def _words(diff: list[Segment], op: int) -> int:
    return sum(_count(text) for kind, text in diff if kind == op)


def blocks(text: str, op: int) -> list[Block]:
    """A text, all of one kind (kept, inserted or deleted), split into its blocks."""
    return diff_blocks([(op, text)])


def diff_blocks(diff: list[Segment]) -> list[Block]:
    """Split a word diff into blocks at every line break, old or new.

    White space is never marked: at the edges of an insertion or deletion it is shown as
    plain text (so that words stay apart), and a change of white space alone is shown as
    a space or not at all. Empty blocks are dropped.
    """
    result: list[Block] = [[]]

    def add(op: int, text: str) -> None:
        if not text:
            return
        current = result[-1]
        if current and current[-1][0] == op:
            current[-1] = (op, current[-1][1] + text)
        else:
            current.append((op, text))

    for op, text in diff:
        for index, part in enumerate(text.split("\n")):
            if index:
                result.append([])
            if op == KEPT:
                add(KEPT, part)
            elif part.strip():
                core = part.strip()
                start = part.index(core)
                add(KEPT, part[:start])
                add(op, core)
                add(KEPT, part[start + len(core) :])
            elif op == INSERTED:
                add(KEPT, part)
    return [block for block in result if any(t.strip() for _, t in block)]
