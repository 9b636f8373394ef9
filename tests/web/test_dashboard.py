"""The editors' dashboard of a version, and its link to the report of answers.

What they count and list (the threads readers see on the version and their published
replies; nothing pending, hidden or deleted), the charts (SVG images named and described,
each with its table), the link to the unanswered threads of the triage list, that the
number of queries does not grow with the discussion (10 threads or 1,000), and the link
to the public report of answers of the next version, where there is one.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import insert, select

from app.annotations import dispositions
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    PaperVersion,
    Role,
    Section,
    StakeholderType,
    User,
)
from app.models.annotation import AnchorStatus, TargetType
from app.models.base import utcnow
from bench.seed import seed_annotations
from tests.conftest import DATA
from tests.web.test_carried_threads import PHRASE, place, publish_next  # noqa: F401 (a fixture)

BASE = "/editor/papers/think-paper-1/v/5.0"
KEY = "public-sector-idiosyncrasies"
BLNS = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edith Editor")


@pytest.fixture
def editor_client(logged_in, editor):
    return logged_in(editor)


def _version(db) -> PaperVersion:
    return db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.0"))


def _text(db, key: str = KEY) -> str:
    version = _version(db)
    return db.session.scalar(
        select(Section.text).where(Section.version_id == version.id, Section.key == key)
    )


@pytest.fixture
def discussion(db, paper, create_user, create_annotation, editor):
    """Two threads on one passage (one answered, with replies), a whole-section question,
    and what must not count: a pending thread and a deleted one."""
    text = _text(db)
    words = text[10:40]
    academic = create_user(name="Ada Academic", stakeholder_type=StakeholderType.ACADEMIA,
                           country="DE")  # fmt: skip
    business = create_user(name="Bo Business", stakeholder_type=StakeholderType.BUSINESS,
                           country="FR")  # fmt: skip
    first = create_annotation("First remark on the passage.", author=academic, quote=words)
    second = create_annotation("Second remark on it.", author=business, quote=words)
    question = create_annotation("A question on the whole section?", author=academic,
                                 kind=AnnotationKind.QUESTION)  # fmt: skip
    create_annotation("A reply.", author=business, parent=first)
    create_annotation("Another reply.", author=academic, parent=first)
    pending = create_annotation("Waiting for a moderator.", author=business)
    pending.status = AnnotationStatus.PENDING
    deleted = create_annotation("Taken back.", author=business)
    deleted.status = AnnotationStatus.DELETED
    dispositions.answer(editor, first, "partly_accepted", "We rewrote the passage.")
    db.session.commit()
    return {"first": first, "second": second, "question": question, "words": words}


# --- access -------------------------------------------------------------------------------

PATHS = ["/dashboard"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.PARTICIPANT, 403), (Role.MODERATOR, 403), (Role.EDITOR, 200),
     (Role.ADMIN, 200)],
)  # fmt: skip
def test_editors_and_admins_only(client, paper, create_user, logged_in, path, role, status):
    if role is not None:
        logged_in(create_user(role))
    response = client.get(BASE + path)
    assert response.status_code == status
    if status == 200:
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PATHS)
def test_unknown_papers_and_versions_are_not_found(editor_client, paper, path):
    assert editor_client.get("/editor/papers/nope/v/5.0" + path).status_code == 404
    assert editor_client.get("/editor/papers/think-paper-1/v/9.9" + path).status_code == 404


# --- the dashboard ------------------------------------------------------------------------


def _cells(soup, table_id: str) -> dict[str, list[str]]:
    rows = soup.select(f"#{table_id} tbody tr")
    return {
        r.th.get_text(" ", strip=True): [td.get_text(strip=True) for td in r("td")] for r in rows
    }


def test_the_dashboard_counts_what_readers_read(editor_client, discussion, db):
    response = editor_client.get(BASE + "/dashboard")
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    figures = {dd["data-figure"]: dd.get_text() for dd in soup.select("[data-figure]")}
    # 3 threads (not the pending nor the deleted one), 2 replies, 2 without an answer.
    assert figures == {"threads": "3", "replies": "2", "unanswered": "2"}
    triage = soup.find("a", href=f"{BASE}/threads?answered=no")
    assert triage is not None

    section_row = soup.select_one(f'#sections-table tr[data-section="{KEY}"]')
    cells = [td.get_text() for td in section_row("td")]
    # comments, questions, objections, suggestions, threads, replies, all
    assert cells == ["4", "1", "0", "0", "3", "2", "5"]

    stakeholders = _cells(soup, "stakeholder-table")
    assert stakeholders["Academia and research"] == ["3"]
    assert stakeholders["Business"] == ["2"]
    assert _cells(soup, "country-table") == {"Germany": ["3"], "France": ["2"]}
    today = sum(int(v[0]) for v in _cells(soup, "time-table").values())
    assert today == 5

    passages = soup.select("#passages-table tbody tr")
    assert len(passages) == 1
    assert discussion["words"] in passages[0].th.get_text()
    assert [td.get_text(strip=True) for td in passages[0]("td")][1:3] == ["2", "2"]
    link = passages[0].find("a")["href"]
    assert link == f"/annotations/{discussion['first'].id}"

    length = len(_text(db))
    density = soup.select_one(f'#heat-table [data-density="{KEY}"]').get_text()
    assert density == f"{3 * 1000 / length:.1f}"


def test_every_chart_is_a_named_described_image_with_a_table(editor_client, discussion):
    html = editor_client.get(BASE + "/dashboard").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    charts = soup.select("svg.chart")
    assert len(charts) == 5
    for svg in charts:
        assert svg["role"] == "img"
        title, desc = svg["aria-labelledby"].split()
        assert svg.find("title", id=title).get_text().strip()
        assert svg.find("desc", id=desc).get_text().strip()
    # Nothing fetched from elsewhere: no script, no external resource.
    assert "<script src=" not in html.split("<main", 1)[1]
    assert (
        "http://" not in html.split("<main", 1)[1] and "https://" not in html.split("<main", 1)[1]
    )


def test_an_empty_version_has_a_dashboard(editor_client, paper):
    response = editor_client.get(BASE + "/dashboard")
    assert response.status_code == 200
    assert "Nobody has contributed to this version yet." in response.get_data(as_text=True)


def test_a_long_discussion_is_counted_per_week(editor_client, discussion, db):
    first = discussion["first"]
    first.created_at = utcnow() - timedelta(days=60)
    db.session.commit()
    html = editor_client.get(BASE + "/dashboard").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(id="time-title").get_text() == "Contributions per week"
    weeks = _cells(soup, "time-table")
    assert 9 <= len(weeks) <= 10 and sum(int(v[0]) for v in weeks.values()) == 5


# --- a fixed number of queries ------------------------------------------------------------


def _more_threads(db, n: int) -> None:
    """`n` more threads (a third quoting a passage) and as many replies, in two inserts."""
    version = _version(db)
    authors = db.session.scalars(select(User.id).where(User.email.like("bench%"))).all()
    text = _text(db)
    now = utcnow()
    rows = []
    for i in range(n):
        row = {
            "paper_id": version.paper_id, "version_id": version.id, "section_key": KEY,
            "author_id": authors[i % len(authors)], "kind": AnnotationKind.COMMENT,
            "status": AnnotationStatus.PUBLISHED, "target": TargetType.SECTION,
            "body": f"Thread {i}.", "body_html": "<p>x</p>", "depth": 0,
            "created_at": now - timedelta(hours=i), "updated_at": now,
        }  # fmt: skip
        if i % 3 == 0:
            row.update(target=TargetType.PASSAGE, quote_exact=text[i % 50 : i % 50 + 20],
                       quote_start=i % 50, quote_end=i % 50 + 20, quote_prefix="",
                       quote_suffix="")  # fmt: skip
        rows.append(row)
    db.session.execute(insert(Annotation), rows)
    roots = db.session.scalars(select(Annotation.id).where(Annotation.parent_id.is_(None))).all()
    db.session.execute(
        insert(Annotation),
        [
            {
                "paper_id": version.paper_id,
                "version_id": version.id,
                "section_key": KEY,
                "author_id": authors[0],
                "kind": AnnotationKind.COMMENT,
                "status": AnnotationStatus.PUBLISHED,
                "target": TargetType.SECTION,
                "body": "A reply.",
                "body_html": "<p>x</p>",
                "depth": 1,
                "parent_id": root,
                "root_id": root,
                "created_at": now,
                "updated_at": now,
            }
            for root in roots[:n]
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("path", PATHS)
def test_queries_do_not_grow_with_threads(editor_client, paper, db, count_queries, path):
    seed_annotations("think-paper-1", threads=10, replies=20)
    db.session.commit()
    editor_client.get(BASE + path)  # warm: the session's first use is recorded

    def measure() -> int:
        db.session.expunge_all()
        with count_queries() as counter:
            response = editor_client.get(BASE + path)
        assert response.status_code == 200
        return counter.count

    few = measure()
    _more_threads(db, 990)
    many = measure()
    assert db.session.scalar(
        select(Annotation.id).where(Annotation.parent_id.is_(None)).order_by(Annotation.id.desc())
    )
    assert many == few, (few, many)
    if path == "/dashboard":
        html = editor_client.get(BASE + path).get_data(as_text=True)
        soup = BeautifulSoup(html, "html.parser")
        assert soup.select_one('[data-figure="threads"]').get_text() == "1000"


def test_replies_below_a_deleted_thread_still_count(editor_client, paper, db, create_annotation):
    thread = create_annotation("Soon taken back.")
    create_annotation("A reply that stays.", parent=thread)
    create_annotation("Not a thread to count.").status = AnnotationStatus.HIDDEN
    thread.status = AnnotationStatus.DELETED
    db.session.commit()
    soup = BeautifulSoup(
        editor_client.get(BASE + "/dashboard").get_data(as_text=True), "html.parser"
    )
    figures = {dd["data-figure"]: dd.get_text() for dd in soup.select("[data-figure]")}
    assert figures == {"threads": "0", "replies": "1", "unanswered": "0"}
    cells = [
        td.get_text() for td in soup.select_one(f'#sections-table tr[data-section="{KEY}"]')("td")
    ]
    assert cells[-3:] == ["0", "1", "1"]


def test_carried_threads_count_where_they_stand_in_the_later_version(
    editor_client,
    publish_next,  # noqa: F811 (the fixture)
    create_annotation,
    db,
    editor,
):
    moved = create_annotation("Carried to the introduction.", quote=PHRASE)
    orphan = create_annotation("Its words are gone.")
    create_annotation("A reply, carried with it.", parent=orphan)
    _v50, v51 = publish_next()
    place(db, moved, v51, AnchorStatus.MOVED, "introduction", 5, 5 + len(PHRASE), PHRASE)
    place(db, orphan, v51, AnchorStatus.ORPHANED, None)
    dispositions.answer(editor, moved, "accepted", "Moved it up.", version=v51)
    db.session.commit()
    later = "/editor/papers/think-paper-1/v/5.1"

    soup = BeautifulSoup(
        editor_client.get(later + "/dashboard").get_data(as_text=True), "html.parser"
    )
    figures = {dd["data-figure"]: dd.get_text() for dd in soup.select("[data-figure]")}
    assert figures == {"threads": "2", "replies": "1", "unanswered": "1"}
    intro = soup.select_one('#sections-table tr[data-section="introduction"]')
    assert [td.get_text() for td in intro("td")][-3:] == ["1", "0", "1"]
    assert (
        soup.select_one(f'#sections-table tr[data-section="{KEY}"]').select("td")[-1].get_text()
        == "0"
    )
    earlier = soup.select_one('#sections-table tr[data-section=""]')
    assert earlier.th.get_text() == "Comments on earlier text"
    assert [td.get_text() for td in earlier("td")][-3:] == ["1", "1", "2"]
    assert PHRASE in soup.select_one("#passages-table tbody tr").th.get_text()

    # The report of answers to 5.0's threads is the response to comments of 5.1.
    soup = BeautifulSoup(
        editor_client.get(BASE + "/dashboard").get_data(as_text=True), "html.parser"
    )
    link = soup.find("a", href="/papers/think-paper-1/v/5.1/responses/")
    assert link.get_text(strip=True) == "The report of answers, with version 5.1"
    assert soup.find("a", href="/papers/think-paper-1/v/5.0/responses/") is None
    last = editor_client.get(later + "/dashboard").get_data(as_text=True)
    assert "The report of answers" not in last
