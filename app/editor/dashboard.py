"""The editors' dashboard of a version: how much was said, where, when and by whom.

What is counted is what anyone reads on the version as words: the threads shown on it
(made on it, or carried into it — `app.annotations.queries.placed_roots` — each in the
section where it stands there) and their published replies (`published_words`), also
those below a deleted or hidden first contribution, which readers still see. Pending,
hidden, rejected and deleted words, and those of restricted accounts, stay out, as they
do from the public pages and the editors' exports.

Three queries whatever the length of the discussion: the version's sections (their text
length measured by the database, the text itself left there), the threads with their
place, author and reply count, and the replies with their author. Both come back as plain
tuples, which are tallied here; the figures are then shaped for charts
(`app.editor.charts`) and tables by the view.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.annotations.queries import placed_roots, published_words, visible_to
from app.extensions import db
from app.models import (
    Anchor,
    Annotation,
    AnnotationKind,
    Disposition,
    PaperVersion,
    Section,
    StakeholderType,
    User,
)

# At most this many passages are listed as the most discussed.
TOP_PASSAGES = 10
# A discussion spread over more days than this is counted per week (from Monday).
DAILY_UP_TO = 31


@dataclass
class SectionFigures:
    """One section of the version, in reading order, with what was said on it."""

    key: str
    heading: str
    level: int
    length: int  # characters of its text
    threads: int = 0
    replies: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)  # threads and replies by kind

    @property
    def contributions(self) -> int:
        return self.threads + self.replies

    @property
    def density(self) -> float:
        """Threads per 1,000 characters of text (0 for a section without text)."""
        return self.threads * 1000 / self.length if self.length else 0.0


@dataclass
class Passage:
    """A quoted stretch of a section, with the threads on exactly that stretch."""

    key: str | None
    heading: str
    exact: str
    start: int
    threads: int
    replies: int
    first_thread: int  # the oldest thread on it, for a link


@dataclass
class Dashboard:
    sections: list[SectionFigures]
    earlier_text: SectionFigures  # threads whose section did not survive into the version
    threads: int
    replies: int
    unanswered: int
    over_time: list[tuple[date, int]]  # (first day of the period, contributions)
    weekly: bool
    by_stakeholder: list[tuple[StakeholderType, int]]
    by_country: list[tuple[str | None, int]]  # None: no country given
    passages: list[Passage]

    @property
    def contributions(self) -> int:
        return self.threads + self.replies

    @property
    def kinds(self) -> list[str]:
        return [k.value for k in AnnotationKind]

    @property
    def kind_totals(self) -> Counter[str]:
        """Threads and replies by kind, over all sections."""
        total: Counter[str] = Counter()
        for section in self.all_sections:
            total.update(section.by_kind)
        return total

    @property
    def all_sections(self) -> list[SectionFigures]:
        """The sections, and the earlier text when threads stand there."""
        extra = [self.earlier_text] if self.earlier_text.contributions else []
        return self.sections + extra


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _timeline(days: Counter[date]) -> tuple[list[tuple[date, int]], bool]:
    """Contributions per day, or per week when the discussion spans more than
    `DAILY_UP_TO` days; periods without any are listed with 0, so the chart is a time
    axis."""
    if not days:
        return [], False
    first, last = min(days), max(days)
    weekly = (last - first).days + 1 > DAILY_UP_TO
    if weekly:
        step = timedelta(weeks=1)
        counts: Counter[date] = Counter()
        for day, n in days.items():
            counts[day - timedelta(days=day.weekday())] += n
        first = first - timedelta(days=first.weekday())
    else:
        step, counts = timedelta(days=1), days
    periods, moment = [], first
    while moment <= last:
        periods.append((moment, counts.get(moment, 0)))
        moment += step
    return periods, weekly


def build(version: PaperVersion) -> Dashboard:
    """The figures of a version's discussion: three queries."""
    sections = [
        SectionFigures(key, (f"{number} {title}" if number else title), level, length or 0)
        for key, number, title, level, length in db.session.execute(
            select(
                Section.key,
                Section.number,
                Section.title,
                Section.level,
                func.length(Section.text),
            )
            .where(Section.version_id == version.id)
            .order_by(Section.position)
        )
    ]
    by_key = {s.key: s for s in sections}
    earlier = SectionFigures("", "", 1, 0)

    placed = placed_roots(version.id)
    reply = aliased(Annotation)
    reply_counts = (
        select(reply.root_id.label("root_id"), func.count(reply.id).label("n"))
        .where(reply.root_id.in_(select(placed.c.root_id)), published_words(reply))
        .group_by(reply.root_id)
        .subquery()
    )
    answered = select(Disposition.id).where(Disposition.annotation_id == Annotation.id).exists()
    threads = db.session.execute(
        select(
            Annotation.id,
            placed.c.key,
            placed.c.start,
            func.coalesce(Anchor.exact, Annotation.quote_exact),
            Annotation.kind,
            Annotation.created_at,
            User.stakeholder_type,
            User.country,
            func.coalesce(reply_counts.c.n, 0),
            answered,
            published_words().label("shown"),
        )
        .join(placed, placed.c.root_id == Annotation.id)
        .join(User, User.id == Annotation.author_id)
        .outerjoin(Anchor, Anchor.id == placed.c.anchor_id)
        .outerjoin(reply_counts, reply_counts.c.root_id == Annotation.id)
        # Placeholders too (deleted or hidden first contributions): not counted, but
        # their published replies are, in the section where the thread stands.
        .where(visible_to(None))
        .order_by(Annotation.id)
    ).all()
    replies = db.session.execute(
        select(reply.root_id, reply.kind, reply.created_at, User.stakeholder_type, User.country)
        .join(User, User.id == reply.author_id)
        .where(reply.root_id.in_(select(placed.c.root_id)), published_words(reply))
    ).all()

    days: Counter[date] = Counter()
    stakeholders: Counter[StakeholderType] = Counter()
    countries: Counter[str | None] = Counter()
    passages: dict[tuple[Any, ...], Passage] = {}
    where: dict[int, SectionFigures] = {}
    unanswered = counted_threads = 0
    for row in threads:
        id_, key, start, exact, kind, created, stakeholder, country, n, is_answered, shown = row
        figures = by_key.get(key, earlier) if key is not None else earlier
        where[id_] = figures
        if not shown:
            continue
        counted_threads += 1
        figures.threads += 1
        figures.by_kind[kind.value] += 1
        days[_day(created)] += 1
        stakeholders[stakeholder] += 1
        countries[country] += 1
        unanswered += not is_answered
        if exact and start is not None:
            place = (key, start, exact)
            passage = passages.get(place)
            if passage is None:
                passage = passages[place] = Passage(key, figures.heading, exact, start, 0, 0, id_)
            passage.threads += 1
            passage.replies += n
    for root_id, kind, created, stakeholder, country in replies:
        figures = where.get(root_id)
        if figures is None:  # below a thread of a restricted account
            continue
        figures.replies += 1
        figures.by_kind[kind.value] += 1
        days[_day(created)] += 1
        stakeholders[stakeholder] += 1
        countries[country] += 1
    counted_replies = sum(s.replies for s in [*sections, earlier])

    over_time, weekly = _timeline(days)
    order = {k: n for n, k in enumerate(StakeholderType)}
    top = sorted(
        passages.values(), key=lambda p: (-(p.threads + p.replies), -p.threads, p.first_thread)
    )
    return Dashboard(
        sections=sections,
        earlier_text=earlier,
        threads=counted_threads,
        replies=counted_replies,
        unanswered=unanswered,
        over_time=over_time,
        weekly=weekly,
        by_stakeholder=sorted(stakeholders.items(), key=lambda item: order[item[0]]),
        by_country=sorted(countries.items(), key=lambda item: (-item[1], item[0] or "~")),
        passages=top[:TOP_PASSAGES],
    )
