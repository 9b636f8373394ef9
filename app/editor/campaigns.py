"""Campaigns: near-identical comments on one version, grouped.

A consultation draws organised answers — one text circulated and sent in by many people,
each copy with small changes (a few words replaced, a clause moved). Editors answer such a
text once, so the triage list shows each group once and one answer can go to all of it.

How texts are compared. A text becomes the set of its word shingles: lower-cased words
(Markdown punctuation dropped), every run of `SHINGLE_SIZE` = 2 consecutive words. Pairs
rather than single words, because two distinct comments on the same passage share most of
their vocabulary but few of their word pairs; pairs rather than triples, because a copy
with its clauses reordered or a few words replaced keeps most of its pairs (a replaced word
breaks two pairs, a moved clause two or three at its edges) but only half its triples.

Two texts belong together when the exact Jaccard similarity of their shingle sets
(|A ∩ B| / |A ∪ B|) is at least `THRESHOLD` = 0.5: copies of one 60-word text with three
words replaced and a clause moved score 0.6–0.9 between them, while distinct comments on
one paper — even two that quote the same sentence — stay below 0.35. A group is a
connected set of such pairs (a copy of a copy joins the group of the original).

Comparing every pair is quadratic; MinHash-LSH (datasketch) finds the candidate pairs
instead: `NUM_PERM` = 128 permutations in `BANDS` bands of `ROWS` rows (the banding that
datasketch picks for a 0.5 threshold), under which a pair at 0.5 becomes a candidate with
a probability of about 0.99 and a pair at 0.2 of about 0.02. Each candidate pair is then
checked with the exact Jaccard similarity, so that LSH's false positives never group two
comments. Texts with fewer than `MIN_WORDS` words ("I agree.") are not grouped: a short
text repeated is a common reaction, not a circulated text.

Groups are computed on the fly from the version's published threads and kept per process
for the version while its threads stay the same (`cache key`: their number, the sum of
their ids and the latest change), so that paging through the triage list does not compute
them again. Measured on a 2-core machine (the version's texts read, grouped): 1,000
threads in about 0.3 s, 10,000 in about 5 s the first time; then the one query of the
cache key (a few tens of milliseconds at 10,000).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.annotations.queries import placed_roots, visible_to
from app.extensions import db
from app.models import Annotation, AnnotationStatus

SHINGLE_SIZE = 2
NUM_PERM = 128
THRESHOLD = 0.5
MIN_WORDS = 8
# Versions whose groups a process keeps.
CACHED_VERSIONS = 32

WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """The words of a comment, lower-cased; Markdown marks and punctuation are dropped
    (`\\w` leaves `_` in, which only joins words that were written as one)."""
    return [w.strip("_") for w in WORD.findall(text.casefold()) if w.strip("_")]


def shingles(text: str) -> frozenset[str]:
    """The set of `SHINGLE_SIZE`-word runs of a text; empty below `MIN_WORDS` words."""
    found = words(text)
    if len(found) < MIN_WORDS:
        return frozenset()
    return frozenset(
        " ".join(found[i : i + SHINGLE_SIZE]) for i in range(len(found) - SHINGLE_SIZE + 1)
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def group(texts: Sequence[tuple[int, str]]) -> list[list[int]]:
    """The groups of near-identical texts among `(id, text)`: lists of at least two ids in
    increasing order, the groups ordered by their first id."""
    sets = {key: shingles(text) for key, text in texts}
    keys = [key for key, found in sets.items() if found]
    if len(keys) < 2:
        return []
    # Imported here, not at start-up: datasketch brings numpy and scipy (about 60 MB of
    # every worker's memory) for a page only editors open.
    from datasketch import MinHash, MinHashLSH

    signatures = MinHash.bulk(
        [[s.encode("utf-8") for s in sets[key]] for key in keys], num_perm=NUM_PERM
    )
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    parent = {key: key for key in keys}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key, signature in zip(keys, signatures, strict=True):
        for other in lsh.query(signature):
            if root(other) != root(key) and jaccard(sets[key], sets[other]) >= THRESHOLD:
                parent[root(key)] = root(other)
        lsh.insert(key, signature)
    members: dict[int, list[int]] = {}
    for key in keys:
        members.setdefault(root(key), []).append(key)
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: m[0])


@dataclass(frozen=True)
class Campaign:
    """A group of near-identical threads: their ids in order; the first is the sample."""

    annotations: tuple[int, ...]
    sample: str

    @property
    def size(self) -> int:
        return len(self.annotations)

    @property
    def first(self) -> int:
        return self.annotations[0]


_cache: OrderedDict[int, tuple[tuple, list[Campaign]]] = OrderedDict()
_lock = threading.Lock()


def _grouped():
    """The threads a version's campaigns are made of: published threads shown on it that
    anyone may read (the ones editors answer)."""
    return (Annotation.status == AnnotationStatus.PUBLISHED) & visible_to(None)


def _state(version_id: int) -> tuple:
    """What changes when the version's threads change: one query."""
    placed = placed_roots(version_id)
    row = db.session.execute(
        select(
            func.count(Annotation.id),
            func.coalesce(func.sum(Annotation.id), 0),
            func.max(Annotation.updated_at),
        )
        .join(placed, placed.c.root_id == Annotation.id)
        .where(_grouped())
    ).one()
    return (int(row[0]), int(row[1]), row[2].isoformat() if row[2] else None)


def of_version(version_id: int) -> list[Campaign]:
    """The campaigns among the threads shown on a version, by their first thread's id:
    one query when nothing changed since they were last computed, two otherwise."""
    state = _state(version_id)
    with _lock:
        cached = _cache.get(version_id)
        if cached is not None and cached[0] == state:
            _cache.move_to_end(version_id)
            return cached[1]
    placed = placed_roots(version_id)
    texts = db.session.execute(
        select(Annotation.id, Annotation.body)
        .join(placed, placed.c.root_id == Annotation.id)
        .where(_grouped())
        .order_by(Annotation.id)
    ).all()
    bodies = {row.id: row.body for row in texts}
    found = [Campaign(tuple(ids), bodies[ids[0]]) for ids in group([(r.id, r.body) for r in texts])]
    with _lock:
        _cache[version_id] = (state, found)
        _cache.move_to_end(version_id)
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)
    return found


def forget() -> None:
    """Drop every cached grouping (tests)."""
    with _lock:
        _cache.clear()


def by_member(campaigns: Iterable[Campaign]) -> dict[int, Campaign]:
    """Each grouped thread's campaign."""
    return {member: c for c in campaigns for member in c.annotations}
