"""Time re-anchoring: 10,000 threads of Think Paper 1 5.0 carried to a derived 6.0.

    python bench/reanchor.py [--threads 10000] [--to 6.0] [--seed 1]

The threads are synthetic: passages of 3–25 words taken at random from the paragraphs of
5.0 (with their W3C selectors, as the site stores them) and some whole-section comments.
The target is tests/data/reanchoring/6.0.md (a section removed, one split, one renamed,
paragraphs moved and reworded). Pure Python, no database; best of 3 runs on one core.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.anchoring import quote_at  # noqa: E402
from app.papers.correspondence import SectionInfo  # noqa: E402
from app.papers.reanchoring import QuoteAnchor, reanchor  # noqa: E402
from app.papers.source import parse_source  # noqa: E402

SOURCES = {
    "5.0": ROOT / "papers" / "think-paper-1" / "5.0.md",
    **{v: ROOT / "tests" / "data" / "reanchoring" / f"{v}.md" for v in ("5.1", "5.2", "6.0")},
}
SECTION_COMMENTS = 0.03  # share of threads on whole sections
WORD = re.compile(r"\S+")
PARAGRAPH = re.compile(r"[^\n]+")


def sections(version: str) -> list[SectionInfo]:
    paper = parse_source(SOURCES[version].read_text(encoding="utf-8"), SOURCES[version].name)
    return [SectionInfo(s.key, s.title, s.text, s.number) for s in paper.sections]


def synthetic_threads(old: list[SectionInfo], count: int, seed: int) -> dict[int, QuoteAnchor]:
    """`count` anchors on `old`: passages of 3–25 words within a paragraph, some sections."""
    rng = random.Random(seed)
    paragraphs = []  # (section key, section text, [(start, end) of each word])
    for section in old:
        for paragraph in PARAGRAPH.finditer(section.text):
            words = [
                (paragraph.start() + m.start(), paragraph.start() + m.end())
                for m in WORD.finditer(paragraph.group())
            ]
            if len(words) >= 3:
                paragraphs.append((section.key, section.text, words))
    keys = [s.key for s in old if s.text.strip()]
    anchors: dict[int, QuoteAnchor] = {}
    for i in range(count):
        if rng.random() < SECTION_COMMENTS:
            anchors[i] = QuoteAnchor(rng.choice(keys))
            continue
        key, text, words = rng.choice(paragraphs)
        length = rng.randint(3, min(25, len(words)))
        first = rng.randrange(len(words) - length + 1)
        quote = quote_at(text, words[first][0], words[first + length - 1][1])
        anchors[i] = QuoteAnchor(
            key, quote.exact, quote.prefix, quote.suffix, quote.start, quote.end
        )
    return anchors


def measure(count: int = 10_000, to: str = "6.0", seed: int = 1, runs: int = 3) -> dict:
    old, new = sections("5.0"), sections(to)
    anchors = synthetic_threads(old, count, seed)
    best, placements = float("inf"), {}
    for _ in range(runs):
        started = time.perf_counter()
        placements = reanchor(anchors, old, new)
        best = min(best, time.perf_counter() - started)
    statuses = Counter(p.status.value for p in placements.values())
    return {"threads": count, "from": "5.0", "to": to, "seconds": best, "statuses": statuses}


def row(result: dict) -> str:
    s = result["statuses"]
    return (
        f"re-anchoring {result['threads']:,} threads {result['from']} → {result['to']}: "
        f"{result['seconds']:.2f} s (best of 3; exact {s['exact']}, moved {s['moved']}, "
        f"fuzzy {s['fuzzy']}, applied {s['applied']}, orphaned {s['orphaned']})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--to", choices=["5.1", "5.2", "6.0"], default="6.0")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(row(measure(max(1, args.threads), args.to, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
