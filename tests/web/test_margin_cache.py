"""The margin kept for the page revision: a signed-in reader who sees what anyone sees gets
the version's counts and first threads from the cache, exactly as they would be computed;
moderators, restricted accounts and authors of contributions only they see get theirs
computed; a change shows on the next page; the page costs the same queries however long
the discussion, and a kept margin runs none of the whole-version counts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.annotations import margin_cache, queries
from app.models import PaperVersion, Role, Section, TargetKind
from app.models.base import utcnow
from app.models.moderation import ModerationAction
from app.moderation import services as moderation
from app.moderation.services import Target
from tests.web.test_annotation_pages import _bulk_threads

PAPER = "/papers/think-paper-1/"
KEY = "public-sector-idiosyncrasies"
OTHER = "key-messages"
MARGIN = f"/papers/think-paper-1/v/5.0/sections/{KEY}/margin.fragment"
# What only a computation over the whole version says: the margin's threads and
# contributions per section, and its ranked choice of each section's first threads.
WHOLE_VERSION = (
    "GROUP BY placed.",
    "GROUP BY annotations.section_key",
    "GROUP BY anchors.section_key",
    "row_number",
)


def shown(margin: queries.Margin) -> tuple:
    """Everything the page reads of a margin, its threads' authors and versions included."""
    first = {
        key: [
            (
                t.root.id,
                t.reply_count,
                t.anchor.id if t.anchor else None,
                t.root.author.display_name,
                t.root.version.label,
            )
            for t in listed
        ]
        for key, listed in margin.first.items()
    }
    return margin.threads, margin.contributions, first


def whole_version_statements(counter) -> list[str]:
    return [s for s in counter.statements if any(word in s for word in WHOLE_VERSION)]


def runs_every_whole_version_count(counter) -> bool:
    return all(any(word in s for s in counter.statements) for word in WHOLE_VERSION)


@pytest.fixture
def version(paper, db) -> PaperVersion:
    return db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))


@pytest.fixture
def readers(create_user, create_annotation, db):
    """A discussion, and its readers: some see it as anyone does, some do not."""
    people = {
        "participant": create_user(),
        "published author": create_user(),
        "pending author": create_user(trusted=False),
        "hidden author": create_user(),
        "moderator": create_user(Role.MODERATOR),
        "restricted author": create_user(),
    }
    others = [create_user() for _ in range(2)]
    first = create_annotation("An older thread.", author=others[0])
    create_annotation("A reply.", author=others[1], parent=first)
    create_annotation("On the key messages.", author=others[1], section=OTHER)
    create_annotation("Mine, published.", author=people["published author"])
    create_annotation("Mine, awaiting review.", author=people["pending author"])
    hidden = create_annotation("Mine, to be hidden.", author=people["hidden author"])
    create_annotation("Mine, seen by me alone.", author=people["restricted author"])
    people["restricted author"].restricted_at = utcnow()
    moderation.decide(
        people["moderator"], Target(TargetKind.ANNOTATION, hidden.id), ModerationAction.HIDE, "Off."
    )
    db.session.commit()
    return people


SHARED = ("participant", "published author")
OWN = ("pending author", "hidden author", "moderator", "restricted author")


def test_a_kept_margin_is_the_one_computed_for_who_sees_what_anyone_sees(
    readers, version, count_queries
):
    anonymous = shown(queries.margin(version, None))
    assert shown(margin_cache.margin(version, None)) == anonymous  # computed, and kept
    assert shown(margin_cache.margin(version, None, per_section=1)) == shown(
        queries.margin(version, None, per_section=1)
    )
    for name in SHARED:
        assert not readers[name].is_restricted  # the account loaded, as a request has it
        with count_queries() as kept:
            cached = shown(margin_cache.margin(version, readers[name]))
        assert cached == shown(queries.margin(version, readers[name])) == anonymous, name
        assert not whole_version_statements(kept), kept.statements
        assert kept.count == 2, kept.statements  # whether they see it as anyone; the threads


@pytest.mark.parametrize("name", OWN)
def test_who_sees_more_or_less_than_anyone_has_their_margin_computed(
    readers, version, count_queries, name
):
    anonymous = shown(margin_cache.margin(version, None))  # kept for anonymous readers
    with count_queries() as computed:
        theirs = shown(margin_cache.margin(version, readers[name]))
    assert theirs == shown(queries.margin(version, readers[name]))
    assert theirs != anonymous
    assert runs_every_whole_version_count(computed)


def test_the_section_counts_of_the_margin_fragment_are_kept_too(
    readers, version, client, logged_in, count_queries
):
    logged_in(readers["participant"])
    with count_queries() as computed:
        client.get(MARGIN)
    assert any("GROUP BY placed." in s for s in computed.statements)
    with count_queries() as kept:
        response = client.get(MARGIN)
    assert response.status_code == 200
    assert not whole_version_statements(kept), kept.statements
    assert margin_cache.counts(version, readers["participant"]) == (
        queries.thread_counts(version, None),
        queries.section_counts(version, None),
    )
    assert margin_cache.counts(version, readers["pending author"]) == (
        queries.thread_counts(version, readers["pending author"]),
        queries.section_counts(version, readers["pending author"]),
    )


def test_a_carried_thread_is_kept_with_its_anchor(readers, version, import_paper, db):
    from tests.unit.test_paper_import import SOURCE, next_version

    import_paper(next_version(SOURCE, "5.1"))
    later = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    computed = shown(queries.margin(later, None))
    assert any(row[2] for rows in computed[2].values() for row in rows)  # carried threads
    margin_cache.margin(later, None)
    assert shown(margin_cache.margin(later, readers["participant"])) == computed


def test_the_next_signed_in_page_shows_a_new_thread_and_a_hidden_one(
    client, logged_in, create_user, create_annotation, db
):
    reader, moderator = create_user(), create_user(Role.MODERATOR)
    create_annotation("The first thread.")
    logged_in(reader)
    assert "1 thread" in client.get(PAPER).get_data(as_text=True)
    assert "1 thread" in client.get(PAPER).get_data(as_text=True)  # kept
    second = create_annotation("The second thread.")
    assert "2 threads" in client.get(PAPER).get_data(as_text=True)
    moderation.decide(
        moderator, Target(TargetKind.ANNOTATION, second.id), ModerationAction.HIDE, "Off."
    )
    db.session.commit()
    page = client.get(PAPER).get_data(as_text=True)
    assert "1 thread" in page and "The second thread." not in page


def test_the_signed_in_page_costs_the_same_queries_with_3_or_60_threads(
    client, paper, version, db, create_user, count_queries, logged_in
):
    authors = [create_user() for _ in range(3)]
    sections = db.session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
    ).all()
    logged_in(create_user())
    costs = []
    for n_threads, offset in ((3, 0), (57, 3)):
        _bulk_threads(db, paper, version, authors, sections, n_threads, n_threads, offset)
        with count_queries() as computed:
            assert client.get(PAPER).status_code == 200
        with count_queries() as kept:
            assert client.get(PAPER).status_code == 200
        costs.append((computed.count, kept.count))
        assert runs_every_whole_version_count(computed)
        assert not whole_version_statements(kept), kept.statements
    assert costs[0] == costs[1]
    assert costs[0][1] < costs[0][0]


def test_a_thread_posted_from_the_margin_is_counted_though_the_counts_were_kept(
    client, logged_in, create_user, create_annotation
):
    create_annotation("Already there.")
    logged_in(create_user())
    client.get(MARGIN)  # the counts, kept for the page revision
    response = client.post(
        f"/papers/think-paper-1/v/5.0/sections/{KEY}/margin-form.fragment",
        data={"kind": "comment", "body": "And mine."},
    )
    assert response.status_code == 201
    assert 'data-count-text="2 threads · 2 contributions"' in response.get_data(as_text=True)
