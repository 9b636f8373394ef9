"""The editors' triage list of a version's threads: what it shows, its filters and sorts,
campaigns shown once, answering several threads together (all or nothing), its cost in
queries, who may use it, and the campaigns API."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, insert, select

from app.annotations import dispositions
from app.editor import campaigns
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    Disposition,
    Flag,
    Notification,
    PaperVersion,
    Role,
    Section,
    StakeholderType,
    TargetType,
    User,
)
from app.models.base import utcnow
from app.models.moderation import FlagReason, TargetKind
from tests.unit.test_campaigns import distinct_comments, variant
from tests.unit.test_dispositions import later_source
from tests.web.test_api_annotations import open_for_comments, token_for

URL = "/editor/papers/think-paper-1/v/5.0/threads"
API = "/api/v1/papers/think-paper-1/versions/5.0/campaigns"


@pytest.fixture(autouse=True)
def _fresh_campaigns():
    campaigns.forget()
    yield
    campaigns.forget()


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Erin Editor")


@pytest.fixture
def version(paper, db):
    open_for_comments(paper, db)
    return db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))


@pytest.fixture
def next_version(import_paper, version, paper, db):
    import_paper(later_source())
    open_for_comments(paper, db)
    return db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def add_threads(db, version, specs, *, start=None) -> list[int]:
    """Threads inserted in one statement, as the services shape them. Each spec: a dict
    with `body` and optionally `author`, `kind`, `section`, `quote` (exact, start, end),
    `proposed_text`."""
    now = start or utcnow() - timedelta(days=1)
    rows = []
    for n, spec in enumerate(specs):
        row = {
            "paper_id": version.paper_id,
            "version_id": version.id,
            "section_key": spec.get("section", "introduction"),
            "author_id": spec["author"].id,
            "kind": spec.get("kind", AnnotationKind.COMMENT),
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": spec["body"],
            "body_html": f"<p>{spec['body']}</p>",
            "proposed_text": spec.get("proposed_text"),
            "depth": 0,
            "created_at": now + timedelta(minutes=n),
            "updated_at": now + timedelta(minutes=n),
        }
        if spec.get("quote"):
            exact, begin, end = spec["quote"]
            row.update(target=TargetType.PASSAGE, quote_exact=exact, quote_start=begin,
                       quote_end=end, quote_prefix="", quote_suffix="")  # fmt: skip
        rows.append(row)
    ids = list(db.session.scalars(insert(Annotation).returning(Annotation.id), rows))
    db.session.commit()
    return sorted(ids)


def add_replies(db, root_id: int, author: User, count: int) -> None:
    root = db.session.get(Annotation, root_id)
    now = utcnow()
    db.session.execute(
        insert(Annotation),
        [
            {
                "paper_id": root.paper_id,
                "version_id": root.version_id,
                "section_key": root.section_key,
                "author_id": author.id,
                "parent_id": root.id,
                "root_id": root.id,
                "depth": 1,
                "kind": AnnotationKind.COMMENT,
                "status": AnnotationStatus.PUBLISHED,
                "target": TargetType.SECTION,
                "body": f"Reply {n}.",
                "body_html": f"<p>Reply {n}.</p>",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def add_flags(db, thread_id: int, reporters: list[User]) -> None:
    for reporter in reporters:
        db.session.add(Flag(target_kind=TargetKind.ANNOTATION, target_id=thread_id,
                            reporter_id=reporter.id, reason=FlagReason.OFF_TOPIC))  # fmt: skip
    db.session.commit()


def listed_ids(soup) -> list[int]:
    """The single threads of the page, in order (campaign rows aside)."""
    return [int(tr["data-annotation"]) for tr in soup.select("tr[data-annotation]")]


def answers(db) -> int:
    return db.session.scalar(select(func.count(Disposition.id)))


@pytest.fixture
def people(create_user):
    return {
        "academic": create_user(
            name="Ada Academic", stakeholder_type=StakeholderType.ACADEMIA, country="DE"
        ),
        "official": create_user(
            name="Otto Official",
            stakeholder_type=StakeholderType.PUBLIC_ADMINISTRATION,
            country="AT",
        ),
        "business": create_user(
            name="Bea Business", stakeholder_type=StakeholderType.BUSINESS, country="FR"
        ),
    }


@pytest.fixture
def mixed(db, version, people):
    """Comments, questions and suggestions in two sections, by three people."""
    a, o, b = people["academic"], people["official"], people["business"]
    specs = [
        {"body": "The introduction undersells the change.", "author": a},
        {"body": "Say who the reader is.", "author": o, "kind": AnnotationKind.SUGGESTION,
         "proposed_text": "For managers and staff.", "quote": ("Think Paper", 0, 11)},
        {"body": "Why these five countries?", "author": b, "kind": AnnotationKind.QUESTION,
         "section": "key-messages"},
        {"body": "Shorter wording, please.", "author": a, "kind": AnnotationKind.SUGGESTION,
         "section": "key-messages", "proposed_text": "Change takes time."},
        {"body": "Add a sentence on budgets.", "author": b, "kind": AnnotationKind.SUGGESTION,
         "proposed_text": "Budgets matter."},
        {"body": "Name the funding programme.", "author": o, "kind": AnnotationKind.SUGGESTION,
         "proposed_text": "Horizon Europe."},
    ]  # fmt: skip
    return add_threads(db, version, specs)


# --- what the list shows ----------------------------------------------------------------


def test_the_list_shows_each_threads_place_kind_author_counts_and_answer(
    client, logged_in, editor, mixed, people, db
):
    first, suggestion, question = mixed[0], mixed[1], mixed[2]
    add_replies(db, first, people["official"], 3)
    add_flags(db, question, [people["academic"], people["official"]])
    dispositions.answer(editor, db.session.get(Annotation, first), "noted", "")
    db.session.commit()
    logged_in(editor)
    page = client.get(URL)
    assert page.status_code == 200
    soup = soup_of(page)
    assert sorted(listed_ids(soup)) == mixed
    cells = [
        td.get_text(" ", strip=True) for td in soup.select(f"tr[data-annotation='{first}'] td")
    ]
    assert cells[2] == "1 Introduction"
    assert "Ada Academic" in cells[4] and "Academia" in cells[4] and "DE" in cells[4]
    assert cells[5] == "3" and cells[7].startswith("Noted")
    row = soup.select_one(f"tr[data-annotation='{suggestion}']")
    assert "Suggestion" in row.get_text() and row.select_one("q").get_text() == "Think Paper"
    flags = soup.select_one(f"tr[data-annotation='{question}'] td:nth-of-type(7)")
    assert flags.get_text(strip=True) == "2"
    assert "Threads have no votes" in soup.get_text()


def test_filters_narrow_to_unanswered_suggestions_in_one_section(
    client, logged_in, editor, mixed, people, db
):
    # Suggestions in the introduction: 1, 4 and 5; the fifth is answered.
    dispositions.answer(editor, db.session.get(Annotation, mixed[5]), "noted", "")
    db.session.commit()
    logged_in(editor)
    soup = soup_of(client.get(URL + "?section=introduction&kind=suggestion&answered=no"))
    # Section-wide threads first, then passages by where they begin.
    assert listed_ids(soup) == [mixed[4], mixed[1]]
    assert soup.select_one("#section option[selected]")["value"] == "introduction"
    assert listed_ids(soup_of(client.get(URL + "?answered=yes"))) == [mixed[5]]
    assert listed_ids(soup_of(client.get(URL + "?stakeholder=business"))) == [mixed[4], mixed[2]]
    assert listed_ids(soup_of(client.get(URL + "?country=AT"))) == [mixed[5], mixed[1]]
    add_flags(db, mixed[3], [people["official"]])
    assert listed_ids(soup_of(client.get(URL + "?flagged=yes"))) == [mixed[3]]


def test_sorts(client, logged_in, editor, mixed, people, db):
    add_replies(db, mixed[3], people["official"], 2)
    add_replies(db, mixed[4], people["official"], 1)
    add_flags(db, mixed[2], [people["official"]])
    logged_in(editor)
    by_text = listed_ids(soup_of(client.get(URL)))
    # Introduction before key messages; a passage after the section-wide ones of its start.
    assert by_text[:4] == [mixed[0], mixed[4], mixed[5], mixed[1]] or set(by_text[:4]) == {
        mixed[0], mixed[1], mixed[4], mixed[5]}  # fmt: skip
    assert set(by_text[4:]) == {mixed[2], mixed[3]}
    assert listed_ids(soup_of(client.get(URL + "?sort=newest"))) == sorted(mixed, reverse=True)
    assert listed_ids(soup_of(client.get(URL + "?sort=replies")))[:2] == [mixed[3], mixed[4]]
    assert listed_ids(soup_of(client.get(URL + "?sort=flags")))[0] == mixed[2]


@pytest.mark.parametrize(
    "query", ["?kind=nonsense", "?answered=maybe&sort=sideways", "?page=-3", "?country=ZZ&page=x"]
)
def test_unknown_filter_values_count_as_any(client, logged_in, editor, mixed, query):
    logged_in(editor)
    page = client.get(URL + query)
    assert page.status_code == 200
    assert sorted(listed_ids(soup_of(page))) == mixed


def test_pages(client, logged_in, editor, version, people, db, monkeypatch):
    from app.editor import triage

    monkeypatch.setattr(triage, "PER_PAGE", 4)
    ids = add_threads(db, version, [{"body": f"Remark {n}.", "author": people["academic"]}
                                    for n in range(10)])  # fmt: skip
    logged_in(editor)
    soup = soup_of(client.get(URL + "?sort=newest"))
    assert listed_ids(soup) == sorted(ids, reverse=True)[:4]
    assert "page 1 of 3" in soup.select_one(".triage__count").get_text()
    following = soup.select_one("nav.pages a[rel=next]")["href"]
    assert "sort=newest" in following and "page=2" in following
    assert listed_ids(soup_of(client.get(following))) == sorted(ids, reverse=True)[4:8]


def test_the_editors_area_links_the_list_of_each_version(client, logged_in, editor, next_version):
    logged_in(editor)
    links = {a["href"] for a in soup_of(client.get("/editor/")).select("a")}
    assert URL in links and URL.replace("5.0", "5.1") in links


# --- answering together -----------------------------------------------------------------


def test_three_threads_answered_together(client, logged_in, editor, mixed, people, next_version,
                                         db, smtp_server):  # fmt: skip
    chosen = [mixed[1], mixed[4], mixed[5]]
    logged_in(editor)
    soup = soup_of(client.get(URL + "?kind=suggestion"))
    # The answering version offered first is the latest.
    assert soup.select_one("#version option[selected]")["value"] == "5.1"
    token = soup.select_one("input[name=csrf_token]")["value"]
    before = db.session.scalar(select(func.count(Notification.id)))
    response = client.post(
        URL + "?kind=suggestion",
        data={
            "csrf_token": token,
            "threads": [str(i) for i in chosen],
            "outcome": "accepted",
            "response": "Taken up in version 5.1.",
            "version": "5.1",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(URL + "?kind=suggestion")
    db.session.expire_all()
    rows = db.session.scalars(select(Disposition).order_by(Disposition.annotation_id)).all()
    assert [r.annotation_id for r in rows] == chosen
    assert {(r.outcome.value, r.response, r.version_id, r.editor_id) for r in rows} == {
        ("accepted", "Taken up in version 5.1.", next_version.id, editor.id)
    }
    # Each author is told, as for one answer.
    assert db.session.scalar(select(func.count(Notification.id))) == before + 3
    page = soup_of(client.get(response.headers["Location"]))
    assert "The answer is published on 3 threads." in page.get_text()
    assert listed_ids(soup_of(client.get(URL + "?kind=suggestion&answered=no"))) == [mixed[3]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "accepted", "response": ""}, "Say what was done"),
        ({"outcome": "maybe", "response": "x"}, "Choose accepted"),
        ({"outcome": "noted", "version": "9.9"}, "Choose one of the listed versions"),
        ({"outcome": "noted", "threads": []}, "Choose at least one thread"),
        ({"outcome": "noted", "threads": ["999999"]}, "Not a thread of this version"),
        ({"outcome": "noted", "threads": ["x"]}, "Choose threads from the list"),
    ],
)
def test_refused_answers_store_nothing(client, logged_in, editor, mixed, next_version, db, data,
                                       message):  # fmt: skip
    logged_in(editor)
    token = soup_of(client.get(URL)).select_one("input[name=csrf_token]")["value"]
    body = {"csrf_token": token, "threads": [str(mixed[0]), str(mixed[1])], **data}
    response = client.post(URL, data=body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert answers(db) == 0
    # The choice is kept.
    soup = soup_of(response)
    kept = [i["value"] for i in soup.select("input[name=threads][checked]")]
    assert kept == [str(i) for i in body["threads"] if str(i).isdigit() and int(i) in mixed]


def test_one_refused_thread_refuses_them_all(client, logged_in, editor, mixed, next_version, db,
                                             import_paper, paper, people):  # fmt: skip
    """A thread made on 5.1 cannot be answered "in 5.1": its neighbours on the list are not
    answered either."""
    on_next = add_threads(db, next_version, [{"body": "On 5.1.", "author": people["academic"]}])
    logged_in(editor)
    url = URL.replace("5.0", "5.1")
    token = soup_of(client.get(url)).select_one("input[name=csrf_token]")["value"]
    carried = mixed[:2]
    page = client.get(url)
    assert set(listed_ids(soup_of(page))) >= set(carried) | set(on_next)
    chosen = [str(i) for i in [*carried, *on_next]]
    response = client.post(
        url, data={"csrf_token": token, "outcome": "noted", "version": "5.1", "threads": chosen}
    )
    assert response.status_code == 422
    assert f"Thread #{on_next[0]}" in response.get_data(as_text=True)
    assert answers(db) == 0


def test_others_may_not_use_the_list(client, logged_in, create_user, mixed, db):
    assert client.get(URL).status_code == 302
    for role in (Role.PARTICIPANT, Role.MODERATOR):
        client.post("/logout")
        logged_in(create_user(role))
        assert client.get(URL).status_code == 403
        assert client.post(
            URL, data={"threads": [str(mixed[0])], "outcome": "noted"}
        ).status_code in (
            400,
            403,
        )
    assert answers(db) == 0


def test_unknown_version_is_not_found(client, logged_in, editor, version):
    logged_in(editor)
    assert client.get("/editor/papers/think-paper-1/v/9.9/threads").status_code == 404
    assert client.get("/editor/papers/nope/v/5.0/threads").status_code == 404


def test_the_single_answer_form_offers_the_latest_version(client, logged_in, editor, mixed,
                                                          next_version):  # fmt: skip
    logged_in(editor)
    soup = soup_of(client.get(f"/annotations/{mixed[0]}"))
    assert soup.select_one("#answer-form select[name=version] option[selected]")["value"] == "5.1"


# --- campaigns --------------------------------------------------------------------------


@pytest.fixture
def campaign(db, version, people, create_user):
    """Six copies of one text with small changes, among twelve distinct comments."""
    rng = random.Random(11)
    authors = [create_user(name=f"Sender {n}") for n in range(6)]
    copies = add_threads(db, version, [{"body": variant(rng, n), "author": authors[n]}
                                       for n in range(6)])  # fmt: skip
    others = add_threads(db, version, [{"body": text, "author": people["academic"]}
                                       for text in distinct_comments(12)])  # fmt: skip
    return copies, others


def test_a_campaign_is_listed_once_and_answered_as_one(client, logged_in, editor, campaign,
                                                       next_version, db):  # fmt: skip
    copies, others = campaign
    logged_in(editor)
    soup = soup_of(client.get(URL))
    assert sorted(listed_ids(soup)) == others
    rows = soup.select("tr.triage__campaign")
    assert len(rows) == 1
    assert "Campaign: 6 near-identical comments" in rows[0].get_text(" ", strip=True)
    members = [a.get_text() for a in rows[0].select("details a")]
    assert sorted(members) == sorted(f"#{i}" for i in copies)
    box = rows[0].select_one("input[name=campaign]")
    assert box["value"] == ",".join(str(i) for i in copies)
    token = soup.select_one("input[name=csrf_token]")["value"]
    response = client.post(URL, data={"csrf_token": token, "campaign": box["value"],
                                      "threads": [str(others[0])], "outcome": "not_accepted",
                                      "response": "The paper keeps its scope."})  # fmt: skip
    assert response.status_code == 303
    answered = set(db.session.scalars(select(Disposition.annotation_id)))
    assert answered == {*copies, others[0]}


def test_the_campaigns_api(client, editor, campaign, db, create_user):
    copies, _others = campaign
    token = token_for(editor, db)
    answer = client.get(API, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 1 and body["next"] is None
    assert body["items"] == [
        {"size": 6, "annotations": copies, "sample": db.session.get(Annotation, copies[0]).body}
    ]
    assert client.get(API).status_code == 401
    other = token_for(create_user(), db)
    refused = client.get(API, headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    bad = client.get(API + "?limit=0", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400
    missing = client.get(API.replace("5.0", "9.9"), headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_the_campaigns_api_pages(client, editor, version, db, create_user):
    author = create_user()
    groups = []
    for n in range(3):
        base = distinct_comments(3, seed=n + 20)[n]
        texts = [base, base + " Indeed.", "Frankly, " + base]
        groups.append(add_threads(db, version, [{"body": t, "author": author} for t in texts]))
    token = token_for(editor, db)
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get(API + "?limit=2", headers=headers).get_json()
    assert [i["annotations"] for i in first["items"]] == groups[:2] and first["total"] == 3
    second = client.get(first["next"], headers=headers).get_json()
    assert [i["annotations"] for i in second["items"]] == groups[2:] and second["next"] is None


def test_campaigns_are_computed_again_when_threads_change(editor, campaign, version, db, people):
    copies, _others = campaign
    assert [c.annotations for c in campaigns.of_version(version.id)] == [tuple(copies)]
    extra = add_threads(db, version, [{"body": variant(random.Random(1), 7),
                                       "author": people["business"]}])  # fmt: skip
    assert [c.annotations for c in campaigns.of_version(version.id)] == [(*copies, *extra)]


# --- cost -------------------------------------------------------------------------------


def _seed(db, version, count: int, people, create_user, start) -> list[int]:
    """`count` threads across the sections and kinds, a campaign of five among them, and
    some replies, flags and answers."""
    rng = random.Random(count)
    keys = [
        k for k in db.session.scalars(select(Section.key).where(Section.version_id == version.id))
    ]
    authors = list(people.values())
    texts = distinct_comments(min(count, 200), seed=count)
    specs = []
    for n in range(count):
        body = variant(rng, n) if n < 5 else f"{texts[n % len(texts)]} Point {n}, case {n * 13}."
        specs.append({"body": body, "author": authors[n % 3], "section": rng.choice(keys),
                      "kind": list(AnnotationKind)[n % 4]})  # fmt: skip
    ids = add_threads(db, version, specs, start=start)
    add_replies(db, ids[-1], people["official"], 2)
    add_flags(db, ids[-2], [people["academic"]])
    return ids


def test_the_list_costs_the_same_queries_for_ten_or_a_thousand_threads(
    client, logged_in, editor, version, people, create_user, db, count_queries
):
    logged_in(editor)

    def cost(query: str = "") -> tuple[int, int]:
        campaigns.forget()
        with count_queries() as counter:
            page = client.get(URL + query)
        assert page.status_code == 200
        soup = soup_of(page)
        return counter.count, len(soup.select("tbody tr"))

    ids = _seed(db, version, 10, people, create_user, utcnow() - timedelta(days=3))
    dispositions.answer(editor, db.session.get(Annotation, ids[6]), "noted", "")
    db.session.commit()
    few, few_rows = cost()
    few_filtered, _rows = cost("?answered=no&sort=replies&flagged=")
    _seed(db, version, 990, people, create_user, utcnow() - timedelta(days=2))
    many, many_rows = cost()
    many_filtered, _rows = cost("?answered=no&sort=replies&flagged=")
    assert few_rows == 6 and many_rows == 50  # a campaign of five counts once
    assert few == many
    assert few_filtered == many_filtered


def test_a_large_campaign_lists_its_other_members_by_id(client, logged_in, editor, campaign,
                                                        monkeypatch):  # fmt: skip
    from app.editor import triage

    monkeypatch.setattr(triage, "MEMBERS_SHOWN", 2)
    copies, _others = campaign
    logged_in(editor)
    row = soup_of(client.get(URL)).select_one("tr.triage__campaign")
    assert [a.get_text() for a in row.select("details a")] == [f"#{i}" for i in copies]
    assert row.select_one("input[name=campaign]")["value"] == ",".join(map(str, copies))
