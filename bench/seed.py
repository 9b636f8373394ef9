"""Discussion data for benchmarks: many threads and replies on Think Paper 1.

Rows are inserted in bulk (not through the services, which would take minutes for
thousands of rows), but shaped as the services shape them: passages are real spans
of the section texts with their 32-character context.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from app.core.anchoring import block_spans, quote_at
from app.extensions import db
from app.models import Annotation, PaperVersion, Role, Section, User
from app.models.annotation import AnnotationKind, AnnotationStatus, TargetType
from app.models.base import utcnow

KINDS = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]


def seed_annotations(paper_slug: str, threads: int, replies: int, seed: int = 1) -> None:
    """Add `threads` roots and `replies` replies to the latest version of a paper."""
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
        user = User(
            email=f"bench{n}@example.org", display_name=f"Reader {n}", role=Role.PARTICIPANT
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
        row = {
            "paper_id": version.paper_id,
            "version_id": version.id,
            "section_key": section.key,
            "author_id": rng.choice(authors).id,
            "kind": rng.choice(KINDS),
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": f"Thread {n}: a remark on this section.",
            "body_html": f"<p>Thread {n}: a remark on this section.</p>",
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
                "body": f"Reply {n}.",
                "body_html": f"<p>Reply {n}.</p>",
                "created_at": when,
                "updated_at": when,
            }
        )
    if reply_rows:
        db.session.execute(insert(Annotation), reply_rows)
    db.session.flush()
