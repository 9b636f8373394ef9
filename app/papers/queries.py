"""Read-side queries for the reading pages and the API: a fixed number of SQL queries each."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import Paper, PaperVersion, Section
from app.models.base import utcnow


@dataclass
class PaperSummary:
    paper: Paper
    latest: PaperVersion
    version_count: int

    @property
    def period(self) -> CommentPeriod:
        return comment_period(self.paper)


@dataclass
class TocEntry:
    section: Section
    children: list[TocEntry] = field(default_factory=list)


class PeriodState(enum.StrEnum):
    """Whether a paper takes comments today."""

    OPEN = "open"  # within its dates
    UPCOMING = "upcoming"  # before it opens
    CLOSED = "closed"  # after it closed
    NONE = "none"  # no dates: comments are always taken


@dataclass
class CommentPeriod:
    opens: date | None
    closes: date | None
    state: PeriodState

    @property
    def takes_comments(self) -> bool:
        """New threads and replies are taken (an open period, or none set)."""
        return self.state is PeriodState.OPEN or self.state is PeriodState.NONE


VERSION_COLUMNS = (
    PaperVersion.id,
    PaperVersion.paper_id,
    PaperVersion.label,
    PaperVersion.sequence,
    PaperVersion.title,
    PaperVersion.authors,
    PaperVersion.editors,
    PaperVersion.details,
    PaperVersion.acknowledgement,
    PaperVersion.date,
    PaperVersion.change_note,
    PaperVersion.published_at,
)


def paper_summaries(limit: int | None = None, after_id: int = 0) -> list[PaperSummary]:
    """Every paper (ordered by number, then slug) with its latest version: two queries."""
    counts = (
        select(
            PaperVersion.paper_id,
            func.max(PaperVersion.sequence).label("latest"),
            func.count().label("n"),
        )
        .group_by(PaperVersion.paper_id)
        .subquery()
    )
    query = (
        select(Paper, PaperVersion, counts.c.n)
        .join(counts, counts.c.paper_id == Paper.id)
        .join(
            PaperVersion,
            (PaperVersion.paper_id == Paper.id) & (PaperVersion.sequence == counts.c.latest),
        )
        .options(load_only(*VERSION_COLUMNS))
        .where(Paper.id > after_id)
        .order_by(Paper.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    return [PaperSummary(paper, version, n) for paper, version, n in rows]


# Built once (it serves every page and API call naming a paper): building a statement with
# its options and cache key costs more than running it.
_PAPER_WITH_VERSIONS = (
    select(Paper, PaperVersion)
    .join(PaperVersion, PaperVersion.paper_id == Paper.id)
    .options(load_only(*VERSION_COLUMNS))
    .where(Paper.slug == bindparam("slug"))
    .order_by(PaperVersion.sequence)
)


def paper_with_versions(slug: str) -> tuple[Paper, list[PaperVersion]] | None:
    """A paper and its versions in order (without their sources): one query (a paper has
    a handful of versions, so its columns repeated on each row cost less than a second
    round trip)."""
    rows = db.session.execute(_PAPER_WITH_VERSIONS, {"slug": slug}).all()
    if not rows:
        return None
    return rows[0][0], [version for _paper, version in rows]


@dataclass(frozen=True)
class VersionLookup:
    """A paper, its versions in order, and the one a label named (None when none has it)."""

    paper: Paper
    versions: list[PaperVersion]
    version: PaperVersion | None

    @property
    def known_labels(self) -> str:
        """The labels that do exist, for a message that says what to ask for instead."""
        return ", ".join(v.label for v in self.versions)


def version_by_label(slug: str, label: str) -> VersionLookup | None:
    """The version of paper `slug` labelled `label`; None when there is no such paper.

    One query, whatever the label; `version` is None for a label the paper lacks.
    """
    found = paper_with_versions(slug)
    if found is None:
        return None
    paper, versions = found
    chosen = next((v for v in versions if v.label == label), None)
    return VersionLookup(paper, versions, chosen)


def sections_of(version: PaperVersion) -> list[Section]:
    """The sections of a version in reading order: one query."""
    return list(
        db.session.scalars(
            select(Section).where(Section.version_id == version.id).order_by(Section.position)
        )
    )


def table_of_contents(sections: list[Section]) -> list[TocEntry]:
    """Nest the sections by `parent_key`; the preamble has no entry."""
    entries = {s.key: TocEntry(s) for s in sections if s.key != "preamble"}
    roots: list[TocEntry] = []
    for entry in entries.values():
        parent = entries.get(entry.section.parent_key or "")
        (parent.children if parent else roots).append(entry)
    return roots


def comment_period(paper: Paper) -> CommentPeriod:
    """Whether the paper takes comments today (dates are inclusive, in UTC)."""
    opens, closes = paper.comment_opens, paper.comment_closes
    today = utcnow().date()
    if opens is None and closes is None:
        state = PeriodState.NONE
    elif opens is not None and today < opens:
        state = PeriodState.UPCOMING
    elif closes is not None and today > closes:
        state = PeriodState.CLOSED
    else:
        state = PeriodState.OPEN
    return CommentPeriod(opens, closes, state)


def paper_count() -> int:
    """How many papers have at least one published version."""
    return db.session.scalar(select(func.count(func.distinct(PaperVersion.paper_id)))) or 0


def papers_with_versions() -> list[tuple[Paper, list[PaperVersion]]]:
    """All papers with their versions in order: two queries."""
    papers = db.session.scalars(select(Paper).order_by(Paper.number, Paper.slug)).all()
    versions = db.session.scalars(
        select(PaperVersion).options(load_only(*VERSION_COLUMNS)).order_by(PaperVersion.sequence)
    ).all()
    by_paper: dict[int, list[PaperVersion]] = {}
    for version in versions:
        by_paper.setdefault(version.paper_id, []).append(version)
    return [(paper, by_paper.get(paper.id, [])) for paper in papers]
