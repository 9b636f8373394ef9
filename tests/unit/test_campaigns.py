"""Campaigns: copies of one text with small changes are grouped, distinct comments are not.

The distinct comments are made of the paper's own sentences, combined differently (two
comments may share a sentence), with the openings people write: realistic neighbours of
a campaign, which share its vocabulary, rather than random words.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from app.editor import campaigns

PAPER = Path(__file__).resolve().parents[2] / "papers" / "think-paper-1" / "5.0.md"

CAMPAIGN_TEXT = (
    "We ask the authors to recognise that public servants need protected time for learning, "
    "because organisational change fails when training is squeezed between daily tasks. "
    "The paper should recommend a dedicated budget line for skills in every administration, "
    "and it should say clearly that managers are accountable for releasing staff to attend."
)
OPENINGS = (
    "I would add that",
    "In our experience,",
    "Please consider that",
    "It seems to me that",
    "Our association notes that",
    "A small remark:",
    "I disagree slightly, since",
    "This is well put, but",
)
SYNONYMS = {
    "ask": "urge",
    "recognise": "acknowledge",
    "protected": "dedicated",
    "fails": "stalls",
    "squeezed": "crammed",
    "daily": "everyday",
    "recommend": "propose",
    "budget": "funding",
    "clearly": "explicitly",
    "managers": "line managers",
    "attend": "take part",
    "every": "each",
}


def paper_sentences() -> list[str]:
    """The sentences of the paper's prose (no headings, tables or front matter), of a
    length people quote."""
    text = PAPER.read_text(encoding="utf-8").split("---", 2)[2]
    prose = " ".join(
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "|", "<", "[^"))
    )
    prose = re.sub(r"\[\^\d+\]|[*_`]", "", prose)
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", prose)]
    unique = list(dict.fromkeys(s for s in found if 12 <= len(s.split()) <= 35))
    return unique


def variant(rng: random.Random, n: int) -> str:
    """A copy of the campaign text: its sentences reordered or a clause moved, and two to
    four words replaced."""
    sentences = re.split(r"(?<=\.)\s+", CAMPAIGN_TEXT)
    if n % 3 == 1:
        sentences = [sentences[1], sentences[0]]
    elif n % 3 == 2:
        head, _, tail = sentences[0].partition(", because ")
        sentences[0] = f"Because {tail[:-1]}, {head[0].lower()}{head[1:]}."
    text = " ".join(sentences)
    for word in rng.sample(sorted(SYNONYMS), rng.randint(2, 4)):
        text = re.sub(rf"\b{word}\b", SYNONYMS[word], text, count=1)
    return text


def distinct_comments(count: int, seed: int = 7) -> list[str]:
    """Comments made of an opening and three of the paper's sentences: any two share at
    most one sentence."""
    rng = random.Random(seed)
    sentences = paper_sentences()
    assert len(sentences) >= 60
    made, used_pairs = [], set()
    while len(made) < count:
        chosen = rng.sample(range(len(sentences)), 3)
        pairs = {frozenset((a, b)) for a in chosen for b in chosen if a < b}
        if pairs & used_pairs:
            continue
        used_pairs |= pairs
        body = " ".join(sentences[i] for i in chosen)
        made.append(f"{rng.choice(OPENINGS)} {body[0].lower()}{body[1:]}")
    return made


def acceptance_texts() -> tuple[list[tuple[int, str]], set[int]]:
    rng = random.Random(3)
    texts = [(n, text) for n, text in enumerate(distinct_comments(200), start=1)]
    members = set()
    for n in range(40):
        key = 1000 + n
        texts.append((key, variant(rng, n)))
        members.add(key)
    rng.shuffle(texts)
    return texts, members


def test_forty_variants_among_two_hundred_distinct_comments_make_one_campaign():
    texts, members = acceptance_texts()
    groups = campaigns.group(texts)
    assert [set(g) for g in groups] == [members]


def test_the_variants_are_really_different_and_the_distinct_comments_really_related():
    """The case is a fair one: the copies are not identical, and distinct comments share
    words with each other and with the campaign."""
    texts, members = acceptance_texts()
    copies = [campaigns.shingles(t) for k, t in texts if k in members]
    others = [campaigns.shingles(t) for k, t in texts if k not in members]
    assert len({c for c in copies}) > 30
    assert min(campaigns.jaccard(a, b) for a in copies for b in copies) < 0.8
    closest = max(campaigns.jaccard(a, b) for i, a in enumerate(others) for b in others[i + 1 :])
    assert 0.1 < closest < campaigns.THRESHOLD


def test_candidates_are_checked_exactly():
    """Texts that LSH may pair by chance but that are not near-identical stay apart."""
    base = " ".join(f"w{n}" for n in range(40))
    half = " ".join(f"w{n}" for n in range(20)) + " " + " ".join(f"x{n}" for n in range(20))
    assert campaigns.jaccard(campaigns.shingles(base), campaigns.shingles(half)) < 0.5
    assert campaigns.group([(1, base), (2, half)]) == []
    assert campaigns.group([(1, base), (2, base + " w40")]) == [[1, 2]]


def test_short_texts_are_not_grouped():
    assert campaigns.group([(1, "I agree."), (2, "I agree."), (3, "I agree!")]) == []


@pytest.mark.parametrize("size", [1_000, 10_000])
def test_grouping_time(size, record_property):
    """Measured for the report: grouping a version's threads, a campaign of 40 per
    thousand among 200 comments each sent in again with a different last sentence (so
    many small groups: more candidate pairs to check than distinct comments would give)."""
    rng = random.Random(5)
    distinct = distinct_comments(200)
    texts = []
    for n in range(size):
        if n % 1000 < 40:
            texts.append((n, variant(rng, n)))
        else:
            # Distinct comments, made distinct again by their number.
            texts.append((n, f"{distinct[n % 200]} (point {n} of our reply, about item {n * 7})"))
    started = time.perf_counter()
    groups = campaigns.group(texts)
    elapsed = time.perf_counter() - started
    record_property("seconds", elapsed)
    print(f"\ngrouping {size} threads: {elapsed:.2f} s, {len(groups)} groups")
    assert elapsed < (5 if size == 1_000 else 60)
