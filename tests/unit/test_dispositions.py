"""The editors' answers to threads: who may answer, what an answer needs, and how the
latest answer, the history and the report are read."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.annotations import dispositions
from app.annotations.services import AnnotationError
from app.models import PaperVersion, Role
from app.models.annotation import AnnotationStatus, Disposition, DispositionOutcome
from tests.conftest import PAPER_DIR

SOURCE = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")


def later_source(label: str = "5.1") -> str:
    text = SOURCE.replace('version: "5.0"', f'version: "{label}"', 1)
    return text.replace("---\n", "---\nchange_note: Answers the comments on 5.0.\n", 1)


def stored(db) -> int:
    return db.session.scalar(select(func.count(Disposition.id)))


def version_of(db, paper, label: str) -> PaperVersion:
    return db.session.scalar(
        select(PaperVersion).where(PaperVersion.paper_id == paper.id, PaperVersion.label == label)
    )


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Erin Editor")


@pytest.fixture
def thread(create_annotation):
    return create_annotation("Please define 'public value'.")


@pytest.fixture
def next_version(import_paper, paper, db):
    import_paper(later_source())
    return version_of(db, paper, "5.1")


def answer(db, *args, **kwargs) -> Disposition:
    found = dispositions.answer(*args, **kwargs)
    db.session.commit()
    return found


def refused(db, *args, **kwargs) -> AnnotationError:
    with pytest.raises(AnnotationError) as caught:
        dispositions.answer(*args, **kwargs)
    db.session.rollback()
    assert stored(db) == 0
    return caught.value


def test_an_editor_answers_a_thread_with_sanitised_html(db, editor, thread, next_version):
    found = answer(
        db,
        editor,
        thread,
        "partly_accepted",
        "Defined in 3.2. <script>alert(1)</script> **Thanks**",
        next_version,
    )
    assert found.outcome is DispositionOutcome.PARTLY_ACCEPTED
    assert found.version_id == next_version.id and found.editor_id == editor.id
    assert "<script" not in found.response_html and "<strong>Thanks</strong>" in found.response_html
    assert dispositions.current_dispositions([thread.id])[thread.id].id == found.id


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR])
def test_only_editors_and_admins_answer(db, create_user, thread, role):
    error = refused(db, create_user(role), thread, "accepted", "Yes.")
    assert error.status == 403
    admin = create_user(Role.ADMIN)
    assert answer(db, admin, thread, "accepted", "Yes.").editor_id == admin.id


def test_a_reply_is_not_answered(db, editor, thread, create_annotation):
    reply = create_annotation("I agree.", parent=thread)
    error = refused(db, editor, reply, "accepted", "Yes.")
    assert (error.status, error.field) == (422, "annotation")


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "deleted"])
def test_only_a_published_thread_is_answered(db, editor, thread, status):
    thread.status = AnnotationStatus(status)
    db.session.commit()
    error = refused(db, editor, thread, "accepted", "Yes.")
    assert error.status == 409


def test_an_unknown_outcome_is_refused(db, editor, thread):
    error = refused(db, editor, thread, "maybe", "Hm.")
    assert (error.status, error.field) == (422, "outcome")


@pytest.mark.parametrize("outcome", ["accepted", "partly_accepted", "not_accepted"])
def test_a_response_is_required_but_for_noted(db, editor, thread, outcome):
    error = refused(db, editor, thread, outcome, "  \n ")
    assert (error.status, error.field, error.code) == (422, "response", "empty")
    noted = answer(db, editor, thread, "noted", "")
    assert (noted.response, noted.response_html) == ("", "")


def test_a_response_is_at_most_ten_thousand_characters(db, editor, thread):
    error = refused(db, editor, thread, "accepted", "x" * 10_001)
    assert (error.field, error.code) == ("response", "too_long")
    assert answer(db, editor, thread, "accepted", "x" * 10_000).response == "x" * 10_000


def test_the_version_must_be_a_later_one_of_the_same_paper(
    db, editor, thread, paper, next_version, import_paper
):
    own = version_of(db, paper, "5.0")
    assert refused(db, editor, thread, "accepted", "Yes.", own).field == "version"
    import_paper(SOURCE.replace("number: 1", "number: 2", 1), slug="think-paper-2")
    other = db.session.scalar(
        select(PaperVersion).where(PaperVersion.paper_id != paper.id, PaperVersion.label == "5.0")
    )
    error = refused(db, editor, thread, "accepted", "Yes.", other)
    assert (error.status, error.field) == (422, "version")
    assert "another paper" in error.message
    assert dispositions.later_versions(thread) == [next_version]


def test_answers_are_appended_the_latest_is_current(db, editor, create_user, thread):
    first = answer(db, editor, thread, "noted", "")
    second = answer(db, create_user(Role.EDITOR), thread, "accepted", "Done in 5.1.")
    assert stored(db) == 2
    assert [d.id for d in dispositions.history(thread)] == [second.id, first.id]
    assert dispositions.current_dispositions([thread.id]) == {thread.id: second}


def test_current_dispositions_is_one_query_whatever_the_threads(
    db, editor, create_annotation, count_queries
):
    threads = [create_annotation(f"Thread {n}") for n in range(6)]
    for thread in threads[:4]:
        answer(db, editor, thread, "noted", "")
        answer(db, editor, thread, "accepted", "Yes.")
    ids = [t.id for t in threads]
    db.session.expire_all()
    with count_queries() as counter:
        found = dispositions.current_dispositions(ids)
        assert {d.editor.display_name for d in found.values()} == {"Erin Editor"}
        assert all(d.response == "Yes." for d in found.values())
    assert counter.count == 1
    assert set(found) == set(ids[:4])
    assert dispositions.current_dispositions([]) == {}


def test_the_report_of_the_first_version_has_no_previous(db, paper):
    versions = list(db.session.scalars(select(PaperVersion)))
    found = dispositions.report(paper, versions, versions[0])
    assert found.previous is None and found.sections == [] and found.total == 0


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain = fine", "plain = fine"),
        (None, ""),
        (42, "42"),
    ],
)
def test_csv_cells_never_run_as_formulas(value, cell):
    assert dispositions.safe_cell(value) == cell
