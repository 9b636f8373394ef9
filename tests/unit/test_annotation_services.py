"""Annotation rules: where threads go, who may change them, and what is refused."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.annotations import queries, services
from app.annotations.services import AnnotationError, QuoteInput
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    PaperVersion,
    Role,
    Section,
    TargetType,
    User,
)
from app.models.base import utcnow

QUOTE = "bureaucratic culture than businesses"


def stored(db) -> int:
    return db.session.scalar(select(func.count(Annotation.id)))


def section(db, key="public-sector-idiosyncrasies") -> Section:
    return db.session.scalar(select(Section).where(Section.key == key))


def author_of(db, annotation) -> User:
    return db.session.get(User, annotation.author_id)


def version_of(db, annotation) -> PaperVersion:
    return db.session.get(PaperVersion, annotation.version_id)


def test_a_passage_thread_stores_both_selectors(create_annotation, db):
    thread = create_annotation(quote=QUOTE)
    text = section(db).text
    assert thread.target is TargetType.PASSAGE
    assert text[thread.quote_start : thread.quote_end] == QUOTE
    assert thread.quote_prefix == text[thread.quote_start - 32 : thread.quote_start]
    assert thread.quote_suffix == text[thread.quote_end : thread.quote_end + 32]
    assert thread.body_html == "<p>A comment.</p>"


def test_a_section_thread_has_no_quote(annotation):
    assert annotation.target is TargetType.SECTION
    assert annotation.quote_exact is None and annotation.quote_start is None


def test_replies_join_the_root_thread_and_count_their_depth(create_annotation, annotation):
    first = create_annotation("First reply.", parent=annotation)
    second = create_annotation("Reply to the reply.", parent=first)
    assert (first.root_id, first.depth) == (annotation.id, 1)
    assert (second.root_id, second.parent_id, second.depth) == (annotation.id, first.id, 2)
    assert [r.id for r in queries.thread_replies(annotation, None)] == [first.id, second.id]


def test_a_suggestion_carries_its_wording_as_a_word_diff(create_annotation):
    thread = create_annotation(
        quote=QUOTE,
        kind=AnnotationKind.SUGGESTION,
        proposed_text="bureaucratic culture than firms",
    )
    assert thread.proposed_diff[-2:] == [[-1, "businesses"], [1, "firms"]]


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"kind": AnnotationKind.SUGGESTION, "quote": QUOTE}, "invalid"),  # no wording
        ({"kind": AnnotationKind.SUGGESTION}, "invalid"),  # nothing quoted
        ({"quote": "words that are not there"}, "quote_not_found"),
        ({"quote": QuoteInput(QUOTE, start=0, end=len(QUOTE))}, "quote_not_found"),
        ({"proposed_text": "x"}, "invalid"),  # only suggestions propose wording
        ({"target": TargetType.PARAGRAPH}, "invalid"),  # a paragraph needs its quote
    ],
)
def test_invalid_threads_are_refused_and_nothing_is_stored(create_annotation, db, options, code):
    with pytest.raises(AnnotationError) as caught:
        create_annotation(**options)
    assert caught.value.code == code
    db.session.rollback()
    assert stored(db) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        ("x" * 10_001, "too_long"),
        (" ".join(f"<https://example.org/{n}>" for n in range(21)), "too_many_links"),
    ],
)
def test_bodies_within_the_limits_only(create_annotation, db, body, code):
    with pytest.raises(AnnotationError) as caught:
        create_annotation(body)
    assert (caught.value.code, caught.value.field) == (code, "body")
    db.session.rollback()
    assert stored(db) == 0


def test_the_limits_themselves_are_allowed(create_annotation):
    assert create_annotation("x" * 10_000).body == "x" * 10_000
    links = " ".join(f"<https://example.org/{n}>" for n in range(20))
    assert create_annotation(links).body_html.count("<a ") == 20


def test_outside_the_comment_period_nothing_is_taken(create_annotation, paper, db):
    paper.comment_closes = utcnow().date() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(AnnotationError, match="closed on") as caught:
        create_annotation()
    assert caught.value.status == 403
    paper.comment_opens, paper.comment_closes = utcnow().date() + timedelta(days=2), None
    db.session.commit()
    with pytest.raises(AnnotationError, match="open on"):
        create_annotation()


def test_an_unconfirmed_account_cannot_post(create_annotation, create_user):
    with pytest.raises(AnnotationError) as caught:
        create_annotation(author=create_user(confirmed=False))
    assert caught.value.status == 403


def test_editing_keeps_the_earlier_text(annotation, db):
    author = author_of(db, annotation)
    services.edit(author, annotation, "Better *words*.")
    services.edit(author, annotation, "Best words.")
    db.session.commit()
    history = db.session.scalars(
        select(AnnotationRevision.body).where(AnnotationRevision.annotation_id == annotation.id)
    ).all()
    assert history == ["A comment.", "Better *words*."]
    assert annotation.body_html == "<p>Best words.</p>" and annotation.edited_at is not None


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR, Role.EDITOR, Role.ADMIN])
def test_only_the_author_edits_or_deletes(annotation, create_user, role):
    other = create_user(role)
    with pytest.raises(AnnotationError) as edit_refused:
        services.edit(other, annotation, "Not mine.")
    with pytest.raises(AnnotationError) as delete_refused:
        services.delete(other, annotation)
    assert edit_refused.value.status == delete_refused.value.status == 403


def test_deleting_a_thread_with_replies_leaves_a_placeholder(create_annotation, annotation, db):
    answer = create_annotation("An answer.", parent=annotation)
    assert services.delete(author_of(db, annotation), annotation) is False
    db.session.commit()
    assert annotation.status is AnnotationStatus.DELETED
    assert annotation.body == annotation.body_html == ""
    [thread] = queries.threads(version_of(db, annotation), None)
    assert (thread.root.id, thread.reply_count) == (annotation.id, 1)
    with pytest.raises(AnnotationError) as caught:
        create_annotation("Too late.", parent=annotation)
    assert (caught.value.code, caught.value.status) == ("parent_deleted", 409)
    # once the last reply goes, the placeholder goes with it
    assert services.delete(author_of(db, answer), answer) is True
    db.session.commit()
    assert stored(db) == 0


def test_deleting_without_replies_removes_the_annotation_and_its_history(annotation, db):
    author = author_of(db, annotation)
    services.edit(author, annotation, "Edited once.")
    assert services.delete(author, annotation) is True
    db.session.commit()
    assert stored(db) == 0
    assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 0


def test_counts_per_section_and_sorting(create_annotation, annotation, db):
    busy = create_annotation("Busy.", section="key-messages")
    create_annotation("r1", parent=busy)
    create_annotation("r2", parent=busy)
    version = version_of(db, annotation)
    assert queries.thread_counts(version, None) == {
        "public-sector-idiosyncrasies": 1,
        "key-messages": 1,
    }
    assert queries.section_counts(version, None)["key-messages"] == 3
    by_replies = [t.root.id for t in queries.threads(version, None, sort="replies")]
    assert by_replies == [busy.id, annotation.id]
    newest = [t.root.id for t in queries.threads(version, None, sort="newest")]
    assert newest == [busy.id, annotation.id]
    only = queries.threads(version, None, section="key-messages", kind=AnnotationKind.COMMENT)
    assert [t.root.id for t in only] == [busy.id]


def test_a_contribution_stores_its_language_checked_and_an_edit_keeps_or_changes_it(
    create_annotation, db
):
    thread = create_annotation(body="Ein Gedanke.", language="DE")
    assert thread.language == "de"
    reply = services.reply(author_of(db, thread), thread, "Oui.", language="fr")
    assert reply.language == "fr"
    assert create_annotation().language == "en"  # outside a request: the default
    with pytest.raises(AnnotationError) as refused:
        services.reply(author_of(db, thread), thread, "Hi.", language="xx")
    assert (refused.value.field, refused.value.code) == ("language", "unknown_language")

    services.edit(author_of(db, thread), thread, "Zwei Gedanken.")
    assert thread.language == "de"
    services.edit(author_of(db, thread), thread, "Zwei Gedanken.", language="nl")
    assert thread.language == "nl" and thread.body == "Zwei Gedanken."
    assert len(db.session.scalars(select(AnnotationRevision)).all()) == 1  # wording once
    with pytest.raises(AnnotationError):
        services.edit(author_of(db, thread), thread, "Zwei Gedanken.", language="")
    assert thread.language == "nl"
