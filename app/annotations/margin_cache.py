"""The margin's whole-version work, done once per page revision for every reader who sees
what an anonymous reader sees.

Counting a version's threads and contributions per section, and ranking its threads to
choose the first of each section, read the whole discussion: their cost grows with it.
Yet most signed-in readers see exactly what an anonymous reader sees, and so do their
margins. For them the results are kept as plain data (counts, and the chosen threads' ids,
reply counts and anchors' ids, which Redis can hold as well as the process) in the
application's cache, keyed on the version, the paper's page revision
(`app.core.revisions`, raised in the same transaction as every change the margin shows)
and how many threads a section draws; the chosen threads are then loaded by id, with
their authors and anchors, in one query. Other readers — moderators, restricted
accounts, authors of contributions only they see as they are — have theirs computed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.annotations import queries
from app.core import revisions
from app.core.permissions import is_moderator
from app.extensions import cache, db
from app.models import Annotation, AnnotationStatus, PaperVersion

# An author's own contributions in these states look to them as to anyone: published
# words, and the placeholder of deleted ones. In any other state (awaiting review, hidden,
# rejected) the author sees them, or sees their words, where others do not.
SEEN_ALIKE = (AnnotationStatus.PUBLISHED, AnnotationStatus.DELETED)

Counts = tuple[dict[str | None, int], dict[str | None, int]]


def _seen_as_anonymous(version: PaperVersion, viewer: Any) -> bool:
    """Whether the viewer sees of the version's discussion exactly what an anonymous reader
    sees (`queries.visible_to`, `placeholder_for`, `words_shown_to`): no query for an
    anonymous reader, one on the author's index for anyone else.

    Moderators see what awaits review; a restricted account sees its own contributions,
    which nobody else does; an author sees their own awaiting review, hidden or rejected
    contributions (and replies under them). Asked of the whole paper rather than the
    version, since carried threads and their replies were made on earlier versions."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return True
    if is_moderator(viewer) or viewer.is_restricted:
        return False
    # The papers where the viewer has such contributions: looked up by author alone, so
    # that the database reads the author's rows (an index), never the paper's discussion.
    papers = db.session.scalars(
        select(Annotation.paper_id)
        .where(Annotation.author_id == viewer.id, Annotation.status.not_in(SEEN_ALIKE))
        .distinct()
    )
    return version.paper_id not in set(papers)


def _shared_key(version: PaperVersion, viewer: Any) -> str | None:
    """The cache key of the version's margin as anonymous readers see it, when the viewer
    sees just that and the page revision names what the database holds; else None."""
    if not _seen_as_anonymous(version, viewer):
        return None
    state = revisions.state_of(db.session, version.paper.slug)
    if state is None or revisions.unsettled(db.session):
        return None
    return f"margin:{version.id}:{state.token}"


def _computed_counts(version: PaperVersion) -> Counts:
    threads = queries.thread_counts(version, None)
    return threads, (queries.section_counts(version, None) if threads else {})


def counts(version: PaperVersion, viewer: Any) -> Counts:
    """Visible threads, and visible contributions, per section key (as `thread_counts` and
    `section_counts` give them)."""
    key = _shared_key(version, viewer)
    if key is None:
        return queries.thread_counts(version, viewer), queries.section_counts(version, viewer)
    kept = cache.get(f"{key}:counts")
    if kept is None:
        kept = _computed_counts(version)
        cache.set(f"{key}:counts", kept)
    return kept


def margin(
    version: PaperVersion, viewer: Any, per_section: int = queries.FIRST_IN_MARGIN
) -> queries.Margin:
    """`queries.margin`, from the cache where it can be: then one query to decide, one for
    the page revision (shared with the kept page's), and one to load the chosen threads."""
    key = _shared_key(version, viewer)
    if key is None:
        return queries.margin(version, viewer, per_section)
    kept_counts, kept_rows = cache.get_many(f"{key}:counts", f"{key}:first:{per_section}")
    if kept_counts is None:
        kept_counts = _computed_counts(version)
        cache.set(f"{key}:counts", kept_counts)
    threads, contributions = kept_counts
    if not threads:
        return queries.Margin({}, {}, {})
    if kept_rows is None:
        first = queries.first_threads(version, None, per_section=per_section)
        cache.set(f"{key}:first:{per_section}", queries.thread_rows(first))
    else:
        first = queries.threads_of_rows(version, kept_rows)
    return queries.Margin(threads, contributions, first)
