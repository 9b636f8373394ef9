"""Discussion data for benchmarks: many threads and replies on Think Paper 1.

Rows are inserted in bulk (not through the services, which would take minutes for
thousands of rows), but shaped as the services shape them: passages are real spans
of the section texts with their 32-character context. Bulk inserts do not pass through
the session's flush, so the search index does not follow them: run `flask search
reindex` (bench/search.py does) before searching them.

With a `vocabulary` (words in order of frequency, most frequent first), bodies are
12–40 words drawn from it with Zipf-like odds (a word's weight is 1 / its rank), so that
a search meets common and rare words as it would in a real discussion; without one they
are the short fixed sentences the page benchmarks have always used.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from app.core.anchoring import block_spans, quote_at
from app.extensions import db
from app.models import Annotation, PaperVersion, Role, Section, StakeholderType, User
from app.models.annotation import AnnotationKind, AnnotationStatus, TargetType
from app.models.base import utcnow

KINDS = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]


def _bodies(rng: random.Random, vocabulary: list[str] | None, fixed: str):
    """A body: `fixed` without a vocabulary, else 12–40 words drawn from it."""
    if not vocabulary:
        return fixed
    weights = _weights(len(vocabulary))
    words = rng.choices(vocabulary, cum_weights=weights, k=rng.randrange(12, 41))
    return " ".join(words).capitalize() + "."


_CUMULATIVE: dict[int, list[float]] = {}


def _weights(size: int) -> list[float]:
    if size not in _CUMULATIVE:
        total, cumulative = 0.0, []
        for rank in range(1, size + 1):
            total += 1.0 / rank
            cumulative.append(total)
        _CUMULATIVE[size] = cumulative
    return _CUMULATIVE[size]


def seed_annotations(
    paper_slug: str,
    threads: int,
    replies: int,
    seed: int = 1,
    vocabulary: list[str] | None = None,
) -> None:
    """Add `threads` roots and `replies` replies to the latest version of a paper (their
    words drawn from `vocabulary` when one is given)."""
    rng = random.Random(seed)
    version = db.session.scalar(
        select(PaperVersion)
        .join(PaperVersion.paper)
        .where(PaperVersion.paper.has(slug=paper_slug))
        .order_by(PaperVersion.sequence.desc())
        .limit(1)
    )
    sections = [
        s for s in db.session.scalars(select(Section).where(Section.version_id == version.id))
        if s.text.strip()
    ]  # fmt: skip
    authors = []
    for n in range(40):
        stakeholders = list(StakeholderType)
        user = User(
            email=f"bench{n}@example.org",
            display_name=f"Reader {n}",
            role=Role.PARTICIPANT,
            stakeholder_type=stakeholders[n % len(stakeholders)],
        )
        user.email_confirmed_at = utcnow()
        db.session.add(user)
        authors.append(user)
    db.session.flush()

    start_time = utcnow() - timedelta(days=30)
    rows = []
    for n in range(threads):
        section = rng.choice(sections)
        created = start_time + timedelta(minutes=n)
        body = _bodies(rng, vocabulary, f"Thread {n}: a remark on this section.")
        row = {
            "paper_id": version.paper_id,
            "version_id": version.id,
            "section_key": section.key,
            "author_id": rng.choice(authors).id,
            "kind": rng.choice(KINDS),
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": body,
            "body_html": f"<p>{body}</p>",
            "depth": 0,
            "created_at": created,
            "updated_at": created,
        }
        spans = block_spans(section.text)
        if spans and n % 3:
            begin, end = rng.choice(spans)
            if end - begin > 40:
                begin = rng.randrange(begin, end - 20)
                end = min(end, begin + rng.randrange(12, 80))
            quote = quote_at(section.text, begin, end)
            row.update(
                target=TargetType.PASSAGE,
                quote_exact=quote.exact,
                quote_prefix=quote.prefix,
                quote_suffix=quote.suffix,
                quote_start=quote.start,
                quote_end=quote.end,
            )
        rows.append(row)
    db.session.execute(insert(Annotation), rows)
    roots = db.session.execute(
        select(Annotation.id, Annotation.section_key, Annotation.created_at).where(
            Annotation.version_id == version.id, Annotation.parent_id.is_(None)
        )
    ).all()
    reply_rows = []
    for n in range(replies):
        root_id, key, created = rng.choice(roots)
        when = created + timedelta(minutes=n % 500 + 1)
        body = _bodies(rng, vocabulary, f"Reply {n}.")
        reply_rows.append(
            {
                "paper_id": version.paper_id,
                "version_id": version.id,
                "section_key": key,
                "author_id": rng.choice(authors).id,
                "parent_id": root_id,
                "root_id": root_id,
                "depth": 1,
                "kind": AnnotationKind.COMMENT,
                "status": AnnotationStatus.PUBLISHED,
                "target": TargetType.SECTION,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "created_at": when,
                "updated_at": when,
            }
        )
    if reply_rows:
        db.session.execute(insert(Annotation), reply_rows)
    db.session.flush()
