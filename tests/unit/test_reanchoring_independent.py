"""Re-anchoring measured on independently labelled cases.

`tests/data/reanchoring/independent_cases.json` holds passages of one version of Think
Paper 1 and, labelled by reading the versions (not the engine), where each truly belongs
in a later version. Each case is classified as:

- right: the status is acceptable and, when placed, it is in the expected section on the
  expected words (the new text at start:end, whitespace aside) and, where the words recur,
  on the expected occurrence;
- miss: orphaned although it should be placed (a recall miss, tolerated);
- status: placed on the right words with an unexpected status (reported, tolerated);
- WRONG: placed on other words, another occurrence, or another section, or placed when the
  passage is gone. There must be none.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from app.papers.correspondence import SectionInfo
from app.papers.reanchoring import QuoteAnchor, reanchor
from app.papers.source import parse_source

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "reanchoring"
SOURCES = {
    "5.0": ROOT / "papers" / "think-paper-1" / "5.0.md",
    "5.1": DATA / "5.1.md",
    "5.2": DATA / "5.2.md",
    "6.0": DATA / "6.0.md",
}
CASES = json.loads((DATA / "independent_cases.json").read_text(encoding="utf-8"))
CONTEXT = 32
STATUSES = {"exact", "moved", "fuzzy", "orphaned"}
# Recall observed when these cases were written was 52/57 (0.91); the floor sits just
# below it. Raise it as the engine improves.
MIN_RECALL = 0.9


def _sections(version: str) -> dict[str, SectionInfo]:
    path = SOURCES[version]
    paper = parse_source(path.read_text(encoding="utf-8"), path.name)
    return {
        s.key: SectionInfo(key=s.key, title=s.title, text=s.text, number=s.number)
        for s in paper.sections
    }


VERSIONS = {label: _sections(label) for label in SOURCES}


def _starts(text: str, needle: str) -> list[int]:
    starts, at = [], text.find(needle)
    while at != -1:
        starts.append(at)
        at = text.find(needle, at + 1)
    return starts


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _anchor(case: dict) -> QuoteAnchor:
    text = VERSIONS[case["from"]][case["section"]].text
    if case["exact"] is None:
        return QuoteAnchor(case["section"])
    start = _starts(text, case["exact"])[case["occurrence"]]
    end = start + len(case["exact"])
    return QuoteAnchor(
        case["section"],
        case["exact"],
        text[max(0, start - CONTEXT) : start],
        text[end : end + CONTEXT],
        start,
        end,
    )


def _acceptable(case: dict) -> list[str]:
    return case.get("acceptable") or [case["expected"]["status"]]


def _classify(case: dict, placement) -> tuple[str, str]:
    """(kind, detail) with kind one of right, miss, status, WRONG."""
    expected = case["expected"]
    status = placement.status.value
    acceptable = _acceptable(case)
    if status == "orphaned":
        if "orphaned" in acceptable:
            return "right", ""
        return "miss", "orphaned"
    if expected["status"] == "orphaned" and all(s == "orphaned" for s in acceptable):
        return "WRONG", "placed although the passage is gone"
    if placement.section_key != expected["section"]:
        return "WRONG", f"section {placement.section_key!r}, expected {expected['section']!r}"
    if expected["exact"] is not None:
        text = VERSIONS[case["to"]][placement.section_key].text
        if placement.start is None or placement.end is None:
            return "WRONG", "placed without offsets"
        got = text[placement.start : placement.end]
        wanted = [expected["exact"], *expected.get("alt_exact", [])]
        if _norm(got) not in {_norm(w) for w in wanted}:
            return "WRONG", f"landed on {got!r}"
        if "occurrence" in expected:
            starts = _starts(text, expected["exact"])
            near = [i for i, s in enumerate(starts) if abs(s - placement.start) <= 3]
            if near != [expected["occurrence"]]:
                wanted_at = expected["occurrence"]
                return "WRONG", f"landed on occurrence {near} at {placement.start}, not {wanted_at}"
    if status not in acceptable:
        return "status", f"status {status}, acceptable {acceptable}"
    return "right", ""


def _run() -> dict[str, tuple]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for case in CASES:
        groups[(case["from"], case["to"])].append(case)
    results = {}
    for (old, new), cases in groups.items():
        placements = reanchor(
            {case["id"]: _anchor(case) for case in cases},
            list(VERSIONS[old].values()),
            list(VERSIONS[new].values()),
        )
        for case in cases:
            placement = placements[case["id"]]
            results[case["id"]] = (case, placement, *_classify(case, placement))
    return results


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_is_well_formed(case):
    """Each quote exists at its occurrence; each expected landing is unambiguous."""
    assert case["from"] in SOURCES and case["to"] in SOURCES
    old = VERSIONS[case["from"]]
    assert case["section"] in old
    if case["exact"] is not None:
        assert len(_starts(old[case["section"]].text, case["exact"])) > case["occurrence"]
    expected = case["expected"]
    assert expected["status"] in STATUSES
    assert set(_acceptable(case)) <= STATUSES
    assert expected["status"] in _acceptable(case)
    if expected["status"] == "orphaned":
        assert expected["exact"] is None
        return
    new = VERSIONS[case["to"]]
    assert expected["section"] in new
    if expected["exact"] is None:
        return
    for words in [expected["exact"], *expected.get("alt_exact", [])]:
        found = _starts(new[expected["section"]].text, words)
        assert found, words
        if words == expected["exact"]:
            if "occurrence" in expected:
                assert len(found) > expected["occurrence"]
            else:
                assert len(found) == 1, f"{words!r} recurs: give expected.occurrence"


def test_no_wrong_placements_and_recall():
    results = _run()
    counts: dict[str, int] = defaultdict(int)
    for _, _, kind, _ in results.values():
        counts[kind] += 1
    should_place = [r for r in results.values() if r[0]["expected"]["status"] != "orphaned"]
    placed_right = [r for r in should_place if r[2] == "right" and r[1].status.value != "orphaned"]
    recall = len(placed_right) / len(should_place)

    tally = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"\n{len(results)} independent cases: {tally}")
    print(f"recall: {len(placed_right)}/{len(should_place)} = {recall:.2f}")
    for case, placement, kind, detail in results.values():
        not_placed = placement.status.value == "orphaned"
        if kind != "right" or (case["expected"]["status"] != "orphaned" and not_placed):
            if kind == "right":
                kind = "miss*"  # orphaned, which the labels accept, though placing was expected
            print(
                f"  {kind:6} {case['id']:38} {case['from']}->{case['to']} "
                f"got {placement.status.value}/{placement.section_key} "
                f"expected {case['expected']['status']}/{case['expected']['section']} "
                f"acceptable {_acceptable(case)} {detail}\n"
                f"         quote {case['exact']!r}\n"
                f"         expected words {case['expected']['exact']!r}"
            )

    wrong = [case["id"] for case, _, kind, _ in results.values() if kind == "WRONG"]
    assert not wrong, f"WRONG placements: {wrong}"
    assert recall >= MIN_RECALL
