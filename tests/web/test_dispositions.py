"""The editors' answers on the site: the form on the thread page, the answer under the
thread and in the author's account area, and the "response to comments" report."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.annotations import dispositions
from app.models import PaperVersion, Role
from app.models.annotation import AnnotationStatus, Disposition
from tests.unit.test_dispositions import later_source
from tests.web.test_api_annotations import open_for_comments

REPORT = "/papers/think-paper-1/v/5.1/responses/"
REPORT_CSV = "/papers/think-paper-1/v/5.1/responses.csv"


def stored(db) -> int:
    return db.session.scalar(select(func.count(Disposition.id)))


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def author(create_user):
    return create_user(name="Pat Participant")


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Erin Editor")


@pytest.fixture
def thread(create_annotation, author, paper, db):
    open_for_comments(paper, db)
    return create_annotation("Please define *public value*.", author=author)


@pytest.fixture
def next_version(import_paper, paper, db):
    import_paper(later_source())
    open_for_comments(paper, db)
    return db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))


def answer_url(annotation) -> str:
    return f"/annotations/{annotation.id}/disposition"


def give(client, annotation, **data):
    return client.post(answer_url(annotation), data=data)


# --- answering through the thread page ----------------------------------------------------


def test_an_editor_answers_and_everyone_sees_it(
    client, logged_in, editor, author, thread, next_version, db
):
    editor_client = logged_in(editor)
    page = soup_of(editor_client.get(f"/annotations/{thread.id}"))
    form = page.select_one("#answer-form form")
    assert form["action"] == answer_url(thread)
    assert [o["value"] for o in form.select("select[name=version] option")] == ["", "5.1"]

    response = give(
        editor_client,
        thread,
        outcome="partly_accepted",
        response="Defined in **3.2**.",
        version="5.1",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/annotations/{thread.id}#disposition")
    assert stored(db) == 1

    client.post("/logout")
    for viewer in (client, logged_in(author)):
        panel = soup_of(viewer.get(f"/annotations/{thread.id}")).select_one("#disposition")
        title = " ".join(panel.select_one("h2").get_text().split())
        assert title == "Editors' answer: Partly accepted — in version 5.1"
        assert panel.select_one(".disposition__response strong").get_text() == "3.2"
        assert "Erin Editor" in panel.get_text()
    account = soup_of(client.get("/account/")).select_one("#answers")
    assert account.select_one("h2").get_text() == "Answers to your comments"
    assert account.select_one(f"a[href='/annotations/{thread.id}#disposition']")
    assert "Partly accepted" in account.get_text() and "Defined in" in account.get_text()


def test_others_see_no_form_and_their_posts_are_refused(client, logged_in, create_user, thread, db):
    anonymous = give(client, thread, outcome="accepted", response="Yes.")
    assert anonymous.status_code in (302, 303)
    assert "/login" in anonymous.headers["Location"]
    for role in (Role.PARTICIPANT, Role.MODERATOR):
        viewer = logged_in(create_user(role))
        assert soup_of(viewer.get(f"/annotations/{thread.id}")).select_one("#answer-form") is None
        assert give(viewer, thread, outcome="accepted", response="Yes.").status_code == 403
        viewer.post("/logout")
    assert stored(db) == 0


def test_answering_twice_keeps_both_and_shows_the_latest(client, logged_in, editor, thread, db):
    editor_client = logged_in(editor)
    give(editor_client, thread, outcome="noted", response="")
    give(editor_client, thread, outcome="accepted", response="Rewritten.")
    assert stored(db) == 2
    panel = soup_of(client.get(f"/annotations/{thread.id}")).select_one("#disposition")
    assert "Accepted" in panel.select_one("h2").get_text()
    history = panel.select_one(".disposition__history")
    assert "1 earlier answer" in history.select_one("summary").get_text()
    assert "Noted" in history.get_text()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"outcome": "maybe", "response": "Hm."}, "outcome", "Choose accepted"),
        ({"outcome": "accepted", "response": " "}, "response", "only “noted” stands"),
        ({"outcome": "accepted", "response": "x" * 10_001}, "response", "At most 10,000"),
        ({"outcome": "accepted", "response": "Yes.", "version": "5.0"}, "version", "later"),
        ({"outcome": "accepted", "response": "Yes.", "version": "9.9"}, "version", "listed"),
    ],
)
def test_refused_answers_say_why_and_store_nothing(
    logged_in, editor, thread, db, data, field, message
):
    response = give(logged_in(editor), thread, **data)
    assert response.status_code == 422
    error = soup_of(response).select_one(f"#{field}-error")
    assert error is not None and message in error.get_text()
    assert stored(db) == 0


def test_a_reply_is_not_answered(logged_in, editor, thread, create_annotation, db):
    reply = create_annotation("Me too.", parent=thread)
    response = give(logged_in(editor), reply, outcome="accepted", response="Yes.")
    assert response.status_code == 422
    assert "not a reply" in soup_of(response).select_one(".form-errors").get_text()
    assert stored(db) == 0


# --- the report -----------------------------------------------------------------------------


@pytest.fixture
def answered(create_annotation, editor, thread, db):
    """Three threads on 5.0 in two sections: two answered, one not."""
    db.session.refresh(thread)
    intro = create_annotation(
        "=cmd|' /C calc'!A0 <script>alert(1)</script>", section="introduction"
    )
    create_annotation("Nobody answers me.", quote="bureaucratic culture")
    dispositions.answer(editor, thread, "accepted", "Done. <img src=x onerror=alert(1)>")
    dispositions.answer(editor, intro, "not_accepted", "-1 for formulas")
    db.session.commit()
    return thread, intro


def test_the_report_lists_the_previous_versions_threads_by_section(client, answered, next_version):
    page = soup_of(client.get(REPORT))
    headings = [h.get_text() for h in page.select(".responses-section h2")]
    assert headings[0] == "1 Introduction" and headings[1].startswith("3.2 Public sector")
    counts = {td["data-outcome"]: td.get_text() for td in page.select("td[data-outcome]")}
    assert counts == {
        "accepted": "1",
        "partly_accepted": "0",
        "not_accepted": "1",
        "noted": "0",
        "unanswered": "1",
        "total": "3",
    }
    items = page.select(".responses-item")
    assert len(items) == 3
    assert "No answer yet" in items[2].get_text()
    assert "Not accepted" in items[0].get_text() and "Accepted" in items[1].get_text()
    # Bodies are text, responses sanitised HTML: nothing runs.
    report = page.select_one(".responses-report")
    assert report.find("script") is None
    assert report.find(attrs={"onerror": True}) is None
    assert "<script>alert(1)</script>" not in str(report)


def test_the_report_as_csv_neutralises_formulas(client, answered, next_version):
    response = client.get(REPORT_CSV)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    records = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(records) == 3
    intro = records[0]
    assert intro["section_key"] == "introduction"
    assert intro["body"].startswith("'=cmd")
    assert intro["response"] == "'-1 for formulas"
    assert intro["outcome"] == "not_accepted"
    assert records[2]["outcome"] == "" and records[2]["quote"] == "bureaucratic culture"
    for record in records:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in record.values())


def test_the_report_costs_the_same_queries_for_two_or_ten_threads(
    client, create_annotation, editor, paper, db, import_paper, count_queries
):
    open_for_comments(paper, db)
    threads = [
        create_annotation(f"Thread {i}", section=("introduction", "key-messages")[i % 2])
        for i in range(10)
    ]
    for i, thread in enumerate(threads):
        if i % 3:
            dispositions.answer(editor, thread, "noted", "")
        if i >= 2:  # held back for now: the report shows only published threads
            thread.status = AnnotationStatus.PENDING
    db.session.commit()
    import_paper(later_source())  # threads go on the latest version: 5.0 first, then 5.1

    with count_queries() as few:
        page = client.get(REPORT)
    assert len(soup_of(page).select(".responses-item")) == 2
    for thread in threads:
        thread.status = AnnotationStatus.PUBLISHED
    db.session.commit()
    with count_queries() as many:
        page = client.get(REPORT)
    assert len(soup_of(page).select(".responses-item")) == 10
    assert few.count == many.count


def test_the_first_version_has_no_previous_one(client, paper):
    page = soup_of(client.get("/papers/think-paper-1/v/5.0/responses/"))
    assert "no previous version" in page.select_one(".responses-report__none").get_text()
    lines = client.get("/papers/think-paper-1/v/5.0/responses.csv").get_data(as_text=True)
    assert lines.splitlines() == [",".join(dispositions.CSV_HEADER)]
    assert client.get("/papers/think-paper-1/v/9.9/responses/").status_code == 404
    assert client.get("/papers/nope/v/5.0/responses.csv").status_code == 404
