"""Re-anchoring measured on Think Paper 1: passages of 5.0 carried to derived versions.

tests/data/reanchoring/ holds three later versions derived by hand from
papers/think-paper-1/5.0.md (see its README) and cases.json: passages of 5.0, each with
the version it is carried to and where it truly belongs there (labelled by reading the
new text). A case names its quote by its words and which occurrence of them in the
section it is; offsets, prefix and suffix are computed here from the parsed text. A case
with `proposed` is a suggestion: the wording it proposes instead of its quote.

Recall: of the passages that still exist, the share placed exactly right. Precision:
none may be placed anywhere but where it belongs (being orphaned is the only allowed
miss).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from app.core.anchoring import quote_at
from app.models.annotation import AnchorStatus
from app.papers.correspondence import SectionInfo
from app.papers.reanchoring import QuoteAnchor, reanchor
from app.papers.source import parse_source

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "reanchoring"
SOURCES = {"5.0": ROOT / "papers" / "think-paper-1" / "5.0.md"} | {
    v: DATA / f"{v}.md" for v in ("5.1", "5.2", "6.0")
}
MIN_RECALL = 0.95


@cache
def sections(version: str) -> tuple[SectionInfo, ...]:
    paper = parse_source(SOURCES[version].read_text(encoding="utf-8"), SOURCES[version].name)
    assert paper.version == version
    return tuple(SectionInfo(s.key, s.title, s.text, s.number) for s in paper.sections)


def nth(text: str, needle: str, occurrence: int) -> int:
    at = -1
    for _ in range(occurrence + 1):
        at = text.find(needle, at + 1)
        assert at != -1, f"{needle!r} does not occur {occurrence + 1} times"
    return at


def load_cases() -> list[dict]:
    return json.loads((DATA / "cases.json").read_text(encoding="utf-8"))


def anchor_of(case: dict) -> QuoteAnchor:
    text = {s.key: s.text for s in sections("5.0")}[case["section"]]
    if case["exact"] is None:
        return QuoteAnchor(case["section"])
    start = nth(text, case["exact"], case["occurrence"])
    quote = quote_at(text, start, start + len(case["exact"]))
    return QuoteAnchor(
        case["section"],
        quote.exact,
        quote.prefix,
        quote.suffix,
        quote.start,
        quote.end,
        proposed=case.get("proposed"),
    )


def expected_span(case: dict) -> tuple[int, int] | None:
    expected = case["expected"]
    if expected["exact"] is None:
        return None
    text = {s.key: s.text for s in sections(case["to"])}[expected["section"]]
    start = nth(text, expected["exact"], expected.get("occurrence", 0))
    return start, start + len(expected["exact"])


def test_the_derived_versions_are_valid_sources_with_a_change_note():
    for version in ("5.1", "5.2", "6.0"):
        paper = parse_source(SOURCES[version].read_text(encoding="utf-8"), f"{version}.md")
        assert paper.version == version and paper.meta.get("change_note")


def test_the_cases_are_well_formed():
    cases = load_cases()
    assert len(cases) >= 60
    assert len({c["id"] for c in cases}) == len(cases)
    assert any(c["exact"] is None for c in cases)
    for case in cases:
        anchor_of(case)  # the quote occurs in 5.0 as often as it says
        expected_span(case)  # and the expected words in the target version
        assert case["expected"]["status"] in {s.value for s in AnchorStatus}
        if "proposed" in case:
            assert case["exact"] is not None and case["proposed"].strip()
        else:
            assert case["expected"]["status"] != "applied"  # only suggestions are applied
    applied = [c for c in cases if c["expected"]["status"] == "applied"]
    # Suggestions taken word for word, and taken with a small change.
    assert any(c["proposed"] == c["expected"]["exact"] for c in applied)
    assert any(c["proposed"] != c["expected"]["exact"] for c in applied)


def run_corpus() -> tuple[list[dict], dict[str, object]]:
    cases = load_cases()
    placements: dict[str, object] = {}
    for version in sorted({c["to"] for c in cases}):
        batch = {c["id"]: anchor_of(c) for c in cases if c["to"] == version}
        placements |= reanchor(batch, list(sections("5.0")), list(sections(version)))
    return cases, placements


def test_precision_and_recall_on_the_corpus():
    cases, placements = run_corpus()
    right, wrong, missed = [], [], []
    for case in cases:
        got, expected = placements[case["id"]], case["expected"]
        span = expected_span(case)
        is_right = (
            got.status.value == expected["status"]
            and got.section_key == expected["section"]
            and ((span is None and got.start is None) or (got.start, got.end) == span)
            and got.exact == expected["exact"]
        )
        if is_right:
            right.append(case)
        elif got.status == AnchorStatus.ORPHANED and expected["status"] != "orphaned":
            missed.append((case, got))
        else:
            wrong.append((case, got))
    existing = [c for c in cases if c["expected"]["status"] != "orphaned"]
    placed_right = [c for c in right if c["expected"]["status"] != "orphaned"]
    recall = len(placed_right) / len(existing)
    placed = [c for c in cases if placements[c["id"]].status != AnchorStatus.ORPHANED]
    precision = sum(1 for c in placed if c in right) / len(placed) if placed else 1.0
    statuses = Counter(placements[c["id"]].status.value for c in cases)
    print(
        f"\nre-anchoring corpus: {len(cases)} cases ({len(existing)} still exist, "
        f"{len(cases) - len(existing)} truly orphaned); "
        f"recall {recall:.1%} ({len(placed_right)}/{len(existing)}), "
        f"precision {precision:.1%} ({len(placed) - len(wrong)}/{len(placed)} placed right), "
        f"wrong {len(wrong)}; placed as {dict(sorted(statuses.items()))}"
    )
    for case, got in missed:
        print(f"  missed {case['id']}: expected {case['expected']}, got {got}")
    for case, got in wrong:
        print(f"  WRONG {case['id']}: expected {case['expected']}, got {got}")
    assert not wrong, "placed on the wrong text: " + ", ".join(c["id"] for c, _ in wrong)
    assert recall >= MIN_RECALL


@pytest.mark.parametrize("threshold", [0.6, 0.9])
def test_other_thresholds_never_place_a_case_on_the_wrong_text_either(threshold):
    """A looser threshold may place more, a stricter fewer; the corpus shows the trade."""
    cases = load_cases()
    for version in sorted({c["to"] for c in cases}):
        batch = {c["id"]: anchor_of(c) for c in cases if c["to"] == version}
        got = reanchor(
            batch, list(sections("5.0")), list(sections(version)), min_similarity=threshold
        )
        for case in cases:
            if case["to"] != version or got[case["id"]].status == AnchorStatus.ORPHANED:
                continue
            assert got[case["id"]].section_key == case["expected"]["section"], case["id"]
            assert got[case["id"]].exact == case["expected"]["exact"], case["id"]
