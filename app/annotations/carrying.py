"""Carrying the discussion forward: where each thread stands in a newly published version.

Every thread shown on the previous version — those made on it, and those carried into it
from earlier versions — is placed once in the new version by the re-anchoring engine and
stored as an `Anchor` row. A thread already orphaned stays orphaned (its words were not
in the previous version either), listed with its section if that section lives on.

A suggestion is handed over with its proposed wording, so that a version which takes it
up places it on the new words as `applied`. Once applied, it is carried on by those words
alone, like any quote (exact, moved, fuzzy or orphaned in later versions): "applied" says
what the version that took up the wording did, and a later version did not do it again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import PaperVersion, Section
from app.models.annotation import Anchor, AnchorStatus, Annotation
from app.papers.correspondence import SectionInfo, correspond, section_map
from app.papers.reanchoring import Placement, QuoteAnchor, reanchor

CONTEXT = 32  # characters of prefix and suffix, as the browser sends them


@dataclass
class CarryPlan:
    """Each thread of the previous version with its placement in the new one."""

    placements: list[tuple[Annotation, Placement]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(p.status.value for _root, p in self.placements)
        return {status.value: counted.get(status.value, 0) for status in AnchorStatus}


def section_infos(version: PaperVersion) -> list[SectionInfo]:
    """A version's sections in order, as correspondence and re-anchoring need them."""
    rows = db.session.execute(
        select(Section.key, Section.title, Section.text, Section.number)
        .where(Section.version_id == version.id)
        .order_by(Section.position)
    ).all()
    return [SectionInfo(key, title, text, number) for key, title, text, number in rows]


def plan(previous: PaperVersion, new_sections: list[SectionInfo]) -> CarryPlan:
    """Where every thread of `previous` lands among `new_sections`; stores nothing."""
    old_sections = section_infos(previous)
    texts = {s.key: s.text for s in old_sections}
    roots = list(
        db.session.scalars(
            select(Annotation)
            .where(Annotation.version_id == previous.id, Annotation.parent_id.is_(None))
            .options(selectinload(Annotation.author))
            .order_by(Annotation.id)
        )
    )
    carried = list(
        db.session.execute(
            select(Annotation, Anchor)
            .join(Anchor, Anchor.annotation_id == Annotation.id)
            .where(Anchor.version_id == previous.id)
            .options(selectinload(Annotation.author))
            .order_by(Annotation.id)
        ).all()
    )
    quotes: dict[int, QuoteAnchor] = {}
    orphans: dict[int, str | None] = {}
    for root in roots:
        quotes[root.id] = QuoteAnchor(
            section_key=root.section_key,
            exact=root.quote_exact,
            prefix=root.quote_prefix,
            suffix=root.quote_suffix,
            start=root.quote_start,
            end=root.quote_end,
            proposed=root.proposed_text if root.is_suggestion else None,
        )
    for root, anchor in carried:
        if anchor.status is AnchorStatus.ORPHANED or anchor.section_key is None:
            orphans[root.id] = anchor.section_key
            continue
        proposed = None
        if root.is_suggestion and anchor.status is not AnchorStatus.APPLIED:
            proposed = root.proposed_text
        quotes[root.id] = _quote_at(anchor, texts.get(anchor.section_key, ""), proposed)
    placed = reanchor(quotes, old_sections, new_sections) if quotes else {}
    survivors = section_map(correspond(old_sections, new_sections))
    result = CarryPlan()
    for root in roots:
        result.placements.append((root, placed[root.id]))
    for root, _anchor in carried:
        if root.id in orphans:
            key = orphans[root.id]
            placement = Placement(AnchorStatus.ORPHANED, survivors.get(key) if key else None)
        else:
            placement = placed[root.id]
        result.placements.append((root, placement))
    result.placements.sort(key=lambda pair: pair[0].id)
    return result


def _quote_at(anchor: Anchor, text: str, proposed: str | None) -> QuoteAnchor:
    """A carried thread's quote as it stands in the previous version, context included,
    with the wording it still proposes if it is a suggestion not yet applied."""
    if anchor.start is None or anchor.end is None:
        return QuoteAnchor(section_key=anchor.section_key)
    return QuoteAnchor(
        section_key=anchor.section_key,
        exact=anchor.exact,
        prefix=text[max(anchor.start - CONTEXT, 0) : anchor.start],
        suffix=text[anchor.end : anchor.end + CONTEXT],
        start=anchor.start,
        end=anchor.end,
        proposed=proposed,
    )


def store(carry: CarryPlan, new_version: PaperVersion) -> int:
    """Write one Anchor row per thread for `new_version` (flush, no commit); how many."""
    rows = [
        {
            "annotation_id": root.id,
            "version_id": new_version.id,
            "section_key": p.section_key,
            "status": p.status,
            "start": p.start,
            "end": p.end,
            "exact": p.exact,
            "score": p.score,
        }
        for root, p in carry.placements
    ]
    if rows:
        db.session.execute(insert(Anchor), rows)
    db.session.flush()
    return len(rows)
