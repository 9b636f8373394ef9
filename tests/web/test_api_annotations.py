"""The annotations API: participants start threads on sections and passages, reply, edit,
delete, and integrators list a version's threads a page at a time.

Offsets come from the version endpoint's `text`, as a client computes them. Every refused
request answers in the CONTRACT's error format and leaves nothing behind.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.accounts.services import issue_api_token
from app.models import Annotation, AnnotationRevision, AnnotationStatus, PaperVersion
from app.models.base import utcnow

API = "/api/v1"
VERSION_URL = f"{API}/papers/think-paper-1/versions/5.0"
THREADS_URL = f"{VERSION_URL}/annotations"
CONTRACT_FIELDS = {
    "id",
    "paper",
    "version",
    "section",
    "kind",
    "body",
    "body_html",
    "author",
    "created",
    "updated",
    "parent",
    "root",
    "status",
    "quote",
    "anchor",
    "reply_count",
    "disposition",
}


# --- helpers, shared with the other annotation API tests -----------------------------------


def token_for(user, db) -> str:
    """A bearer token for `user`, committed so that requests see it."""
    token = issue_api_token(user, "tests")
    db.session.commit()
    return token


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def post(client, token, payload, **kwargs):
    return client.post(f"{API}/annotations", json=payload, headers=auth(token), **kwargs)


def patch(client, token, annotation_id, payload):
    return client.patch(f"{API}/annotations/{annotation_id}", json=payload, headers=auth(token))


def delete(client, token, annotation_id):
    return client.delete(f"{API}/annotations/{annotation_id}", headers=auth(token))


def root(section="introduction", body="A fair point.", **extra):
    return {"paper": "think-paper-1", "version": "5.0", "section": section, "body": body, **extra}


def section_text(client, key: str) -> str:
    sections = client.get(VERSION_URL).get_json()["sections"]
    return next(s["text"] for s in sections if s["key"] == key)


def rows(db) -> int:
    return db.session.scalar(select(func.count(Annotation.id)))


def error_of(response, status: int) -> dict:
    """The CONTRACT's error body, after checking the status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return error


def open_for_comments(paper, db):
    """Think Paper 1's comment period is dated; the tests must not expire with it."""
    paper.comment_opens = paper.comment_closes = None
    db.session.commit()
    return paper


@pytest.fixture
def tp1(paper, db):
    return open_for_comments(paper, db)


@pytest.fixture
def token(user, db):
    return token_for(user, db)


# --- starting threads ---------------------------------------------------------------------


def test_a_participant_comments_on_a_whole_section(client, tp1, user, token):
    response = post(client, token, root(body="The introduction *assumes* too much."))

    assert response.status_code == 201
    created = response.get_json()
    assert response.headers["Location"] == f"/api/v1/annotations/{created['id']}"
    assert set(created) >= CONTRACT_FIELDS
    assert created["paper"] == "think-paper-1" and created["version"] == "5.0"
    assert created["section"] == "introduction"
    assert created["kind"] == "comment" and created["target"] == "section"
    assert created["body"] == "The introduction *assumes* too much."
    assert created["body_html"] == "<p>The introduction <em>assumes</em> too much.</p>"
    assert created["author"] == {"id": user.id, "name": user.display_name}
    assert created["created"].endswith("Z") and created["updated"] == created["created"]
    assert created["parent"] is None and created["root"] == created["id"]
    assert created["status"] == "published" and created["depth"] == 0
    assert created["quote"] is None
    assert created["anchor"] == {
        "version": "5.0",
        "section": "introduction",
        "start": None,
        "end": None,
        "exact": None,
        "status": "exact",
    }
    assert created["reply_count"] == 0 and created["disposition"] is None
    assert created["edited"] is False and created["edited_at"] is None
    assert created["url"].endswith(f"/annotations/{created['id']}")
    assert created["links"]["self"].endswith(f"/api/v1/annotations/{created['id']}")

    fetched = client.get(response.headers["Location"]).get_json()
    assert fetched == {**created, "replies": []}


def test_a_passage_comment_at_offsets_computed_from_the_version_text(client, tp1, token):
    text = section_text(client, "introduction")
    exact = "'lost cause'"
    start = text.index(exact)

    response = post(
        client,
        token,
        root(
            body="Who said it was?",
            kind="objection",
            quote={"exact": exact, "start": start, "end": start + len(exact)},
        ),
    )

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["kind"] == "objection" and created["target"] == "passage"
    assert created["quote"] == {
        "exact": exact,
        "prefix": text[start - 32 : start],
        "suffix": text[start + len(exact) : start + len(exact) + 32],
        "start": start,
        "end": start + len(exact),
    }
    assert created["anchor"] == {
        "version": "5.0",
        "section": "introduction",
        "start": start,
        "end": start + len(exact),
        "exact": exact,
        "status": "exact",
    }


def test_a_quote_that_occurs_once_needs_no_offsets(client, tp1, token):
    text = section_text(client, "introduction")

    response = post(client, token, root(quote={"exact": "'lost cause'"}))

    assert response.status_code == 201
    assert response.get_json()["quote"]["start"] == text.index("'lost cause'")


def test_an_ambiguous_quote_is_refused_until_its_context_decides(client, tp1, token, db):
    text = section_text(client, "introduction")
    exact = "public sector"
    assert text.count(exact) > 1

    refused = post(client, token, root(quote={"exact": exact}))

    error = error_of(refused, 422)
    assert error["code"] == "quote_not_found"
    assert f"occurs {text.count(exact)} times" in error["fields"]["quote"]
    assert rows(db) == 0

    second = text.index(exact, text.index(exact) + 1)
    prefix = text[second - 20 : second]
    assert text.count(prefix + exact) == 1
    placed = post(client, token, root(quote={"exact": exact, "prefix": prefix}))
    assert placed.status_code == 201
    assert placed.get_json()["quote"]["start"] == second


@pytest.mark.parametrize(
    ("quote", "why"),
    [
        ({"exact": "'lost cause'", "start": 0, "end": 12}, "not at the given place"),
        ({"exact": "nowhere in this section at all"}, "not in the section"),
        ({"exact": "'lost cause'", "start": 5}, "give both start and end"),
        ({"exact": "   "}, "empty"),
    ],
)
def test_a_quote_that_is_not_where_it_says_is_refused(client, tp1, token, db, quote, why):
    error = error_of(post(client, token, root(quote=quote)), 422)

    assert error["code"] == "quote_not_found"
    assert why in error["fields"]["quote"].lower()
    assert rows(db) == 0


def test_a_suggestion_proposes_wording_for_its_quote(client, tp1, token, db):
    passage = {"exact": "'lost cause'"}

    without = post(client, token, root(kind="suggestion", quote=passage))
    assert error_of(without, 422)["fields"] == {"proposed_text": "Give the wording you propose."}
    no_quote = post(client, token, root(kind="suggestion", proposed_text="a hard case"))
    assert "quote" in error_of(no_quote, 422)["fields"]
    not_a_suggestion = post(client, token, root(quote=passage, proposed_text="a hard case"))
    assert "proposed_text" in error_of(not_a_suggestion, 422)["fields"]
    assert rows(db) == 0

    response = post(
        client, token, root(kind="suggestion", quote=passage, proposed_text="'hard case'")
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["proposed_text"] == "'hard case'"
    assert created["proposed_diff"] == [[0, "'"], [-1, "lost cause"], [1, "hard case"], [0, "'"]]


def test_a_paragraph_comment_carries_the_paragraph_as_its_quote(client, tp1, token):
    text = section_text(client, "introduction")
    paragraph = text.split("\n")[0]

    response = post(
        client,
        token,
        root(target="paragraph", quote={"exact": paragraph, "start": 0, "end": len(paragraph)}),
    )

    assert response.status_code == 201
    assert response.get_json()["target"] == "paragraph"
    refused = post(client, token, root(target="paragraph"))
    assert "quote" in error_of(refused, 422)["fields"]


# --- replies and threads ------------------------------------------------------------------


def test_replies_join_the_thread_at_any_depth(client, tp1, token, create_user, db):
    thread = post(client, token, root(quote={"exact": "'lost cause'"})).get_json()
    other = create_user(name="Bea")
    other_token = token_for(other, db)

    first = post(client, other_token, {"parent": thread["id"], "body": "Agreed."})
    assert first.status_code == 201
    reply = first.get_json()
    assert reply["parent"] == thread["id"] and reply["root"] == thread["id"]
    assert reply["depth"] == 1 and reply["author"]["name"] == "Bea"
    assert reply["section"] == "introduction" and reply["kind"] == "comment"
    assert reply["quote"] is None and reply["target"] is None
    assert reply["anchor"] == thread["anchor"]
    assert reply["links"]["parent"].endswith(f"/api/v1/annotations/{thread['id']}")

    deeper = post(client, token, {"parent": reply["id"], "body": "Not quite."}).get_json()
    assert deeper["parent"] == reply["id"] and deeper["root"] == thread["id"]
    assert deeper["depth"] == 2
    last = post(client, other_token, {"parent": thread["id"], "body": "Also…"}).get_json()

    fetched = client.get(f"{API}/annotations/{thread['id']}").get_json()
    assert fetched["reply_count"] == 3
    assert [r["id"] for r in fetched["replies"]] == [reply["id"], deeper["id"], last["id"]]
    assert [r["reply_count"] for r in fetched["replies"]] == [1, 0, 0]
    assert all("replies" not in r for r in fetched["replies"])
    assert all(r["anchor"] == thread["anchor"] for r in fetched["replies"])

    one_reply = client.get(f"{API}/annotations/{reply['id']}").get_json()
    assert one_reply["reply_count"] == 1 and "replies" not in one_reply
    assert one_reply["anchor"] == thread["anchor"]


def test_a_reply_takes_only_parent_and_body(client, tp1, token, db):
    thread = post(client, token, root()).get_json()

    error = error_of(
        post(
            client,
            token,
            {"parent": thread["id"], "body": "x", "paper": "think-paper-1", "kind": "question"},
        ),
        422,
    )

    assert set(error["fields"]) == {"paper", "kind"}
    assert rows(db) == 1


def test_a_placeholder_takes_no_replies(client, tp1, token, create_user, db):
    thread = post(client, token, root()).get_json()
    other_token = token_for(create_user(), db)
    post(client, other_token, {"parent": thread["id"], "body": "Hm."})
    assert delete(client, token, thread["id"]).status_code == 204
    before = rows(db)

    error = error_of(post(client, other_token, {"parent": thread["id"], "body": "Still?"}), 409)

    assert error["code"] == "parent_deleted"
    assert "parent" in error["fields"]
    assert rows(db) == before


# --- editing and deleting -----------------------------------------------------------------


def test_the_author_edits_and_the_old_text_is_kept(client, tp1, token, db):
    thread = post(client, token, root(body="Frist thoughts.")).get_json()

    response = patch(client, token, thread["id"], {"body": "First **thoughts**."})

    assert response.status_code == 200
    edited = response.get_json()
    assert edited["body"] == "First **thoughts**."
    assert edited["body_html"] == "<p>First <strong>thoughts</strong>.</p>"
    assert edited["edited"] is True and edited["edited_at"].endswith("Z")
    assert edited["updated"] == edited["edited_at"] and edited["created"] == thread["created"]
    history = db.session.scalars(select(AnnotationRevision.body)).all()
    assert history == ["Frist thoughts."]
    assert client.get(f"{API}/annotations/{thread['id']}").get_json()["body"] == edited["body"]


def test_an_edit_of_a_suggestion_may_change_its_wording_alone(client, tp1, token):
    thread = post(
        client,
        token,
        root(kind="suggestion", quote={"exact": "'lost cause'"}, proposed_text="'hard case'"),
    ).get_json()

    edited = patch(client, token, thread["id"], {"proposed_text": "'special case'"}).get_json()

    assert edited["proposed_text"] == "'special case'" and edited["body"] == thread["body"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": 7}, "body"),
        ({"body": "ok", "status": "hidden"}, "status"),
        ({"body": "x" * 10_001}, "body"),
    ],
)
def test_a_bad_edit_changes_nothing(client, tp1, token, db, payload, field):
    thread = post(client, token, root(body="As it was.")).get_json()

    error = error_of(patch(client, token, thread["id"], payload), 422)

    assert field in error["fields"]
    assert client.get(f"{API}/annotations/{thread['id']}").get_json()["body"] == "As it was."
    assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 0


def test_deleting_a_lone_annotation_removes_it(client, tp1, token, db):
    thread = post(client, token, root()).get_json()

    response = delete(client, token, thread["id"])

    assert response.status_code == 204 and response.get_data() == b""
    assert rows(db) == 0
    assert error_of(client.get(f"{API}/annotations/{thread['id']}"), 404)["code"] == "not_found"
    assert client.get(THREADS_URL).get_json()["total"] == 0


def test_deleting_a_thread_with_replies_leaves_a_placeholder(client, tp1, token, create_user, db):
    thread = post(client, token, root(body="Mine.", quote={"exact": "'lost cause'"})).get_json()
    other_token = token_for(create_user(), db)
    reply = post(client, other_token, {"parent": thread["id"], "body": "Theirs."}).get_json()

    assert delete(client, token, thread["id"]).status_code == 204

    placeholder = client.get(f"{API}/annotations/{thread['id']}").get_json()
    assert placeholder["status"] == "deleted"
    assert placeholder["body"] == placeholder["body_html"] == ""
    assert placeholder["author"] is None
    assert placeholder["quote"] == thread["quote"]  # it keeps its place
    assert [r["id"] for r in placeholder["replies"]] == [reply["id"]]
    listed = client.get(THREADS_URL).get_json()
    assert [(i["id"], i["status"], i["reply_count"]) for i in listed["items"]] == [
        (thread["id"], "deleted", 1)
    ]
    again = error_of(delete(client, token, thread["id"]), 409)
    assert again["code"] == "deleted"
    assert error_of(patch(client, token, thread["id"], {"body": "Back"}), 409)["code"] == "deleted"

    # When the last reply goes, so does the placeholder.
    assert delete(client, other_token, reply["id"]).status_code == 204
    assert client.get(f"{API}/annotations/{thread['id']}").status_code == 404
    assert rows(db) == 0


# --- listing a version's threads ----------------------------------------------------------


def _thread_ids(client, url):
    return [item["id"] for item in client.get(url).get_json()["items"]]


def test_a_version_lists_its_threads_with_reply_counts(client, tp1, token, create_user, db):
    other_token = token_for(create_user(), db)
    intro = post(client, token, root(kind="question")).get_json()
    messages = post(client, token, root(section="key-messages")).get_json()
    third = post(client, other_token, root(section="key-messages", kind="objection")).get_json()
    for body in ("One", "Two"):
        post(client, other_token, {"parent": messages["id"], "body": body})
    post(client, token, {"parent": third["id"], "body": "Three"})

    listed = client.get(THREADS_URL).get_json()
    assert listed["total"] == 3 and listed["next"] is None
    assert [(i["id"], i["reply_count"]) for i in listed["items"]] == [
        (intro["id"], 0),
        (messages["id"], 2),
        (third["id"], 1),
    ]
    assert all(i["parent"] is None and "replies" not in i for i in listed["items"])
    assert set(listed["items"][0]) >= CONTRACT_FIELDS

    section = client.get(f"{THREADS_URL}?section=key-messages").get_json()
    assert [i["id"] for i in section["items"]] == [messages["id"], third["id"]]
    assert section["total"] == 2
    assert _thread_ids(client, f"{THREADS_URL}?sort=newest") == [
        third["id"],
        messages["id"],
        intro["id"],
    ]
    assert _thread_ids(client, f"{THREADS_URL}?sort=replies") == [
        messages["id"],
        third["id"],
        intro["id"],
    ]
    assert _thread_ids(client, f"{THREADS_URL}?kind=objection") == [third["id"]]
    assert _thread_ids(client, f"{THREADS_URL}?kind=suggestion") == []
    assert _thread_ids(client, f"{THREADS_URL}?section=preamble") == []


def _insert_threads(db, version_id, paper_id, author_id, count, replies_each=0, section=None):
    """Bulk-insert threads (and replies) the fast way; times a second apart, some equal."""
    start = utcnow() - timedelta(days=1)
    sections = ["introduction", "key-messages", "preamble"]
    base = {
        "paper_id": paper_id,
        "version_id": version_id,
        "author_id": author_id,
        "kind": "comment",
        "status": "published",
        "target": "section",
        "body": "b",
        "body_html": "<p>b</p>",
        "depth": 0,
    }
    roots = db.session.scalars(
        insert(Annotation).returning(Annotation.id, sort_by_parameter_order=True),
        [
            {
                **base,
                "section_key": section or sections[n % 3],
                "created_at": start + timedelta(seconds=n // 2),
                "updated_at": start + timedelta(seconds=n // 2),
            }
            for n in range(count)
        ],
    ).all()
    if replies_each:
        db.session.execute(
            insert(Annotation),
            [
                {
                    **base,
                    "section_key": "introduction",
                    "parent_id": r,
                    "root_id": r,
                    "depth": 1,
                    "created_at": start + timedelta(hours=2, seconds=k),
                    "updated_at": start + timedelta(hours=2, seconds=k),
                }
                for r in roots
                for k in range(replies_each)
            ],
        )
    db.session.commit()
    return roots


@pytest.mark.parametrize("sort", ["oldest", "newest", "replies"])
def test_pages_follow_next_without_gaps_or_repeats(client, tp1, user, db, sort):
    version = db.session.scalar(select(PaperVersion))
    roots = _insert_threads(db, version.id, tp1.id, user.id, 23)
    # Give some threads replies so that sort=replies has ties and differences.
    for n, root_id in enumerate(roots[:9]):
        _reply_rows(db, version.id, tp1.id, user.id, root_id, n % 3)

    everything = client.get(f"{THREADS_URL}?sort={sort}&limit=200").get_json()["items"]
    seen, url, pages = [], f"{THREADS_URL}?sort={sort}&limit=5", 0
    while url:
        page = client.get(url).get_json()
        assert page["total"] == 23
        assert len(page["items"]) <= 5
        seen += [i["id"] for i in page["items"]]
        url, pages = page["next"], pages + 1
        if url:
            assert f"sort={sort}" in url and "limit=5" in url
    assert pages == 5
    assert seen == [i["id"] for i in everything]
    assert sorted(seen) == sorted(roots)
    if sort == "replies":
        counts = [i["reply_count"] for i in everything]
        assert counts == sorted(counts, reverse=True)


def _reply_rows(db, version_id, paper_id, author_id, root_id, count):
    now = utcnow()
    for k in range(count):
        db.session.execute(
            insert(Annotation),
            [
                {
                    "paper_id": paper_id,
                    "version_id": version_id,
                    "author_id": author_id,
                    "section_key": "introduction",
                    "kind": "comment",
                    "status": "published",
                    "target": "section",
                    "body": "r",
                    "body_html": "<p>r</p>",
                    "depth": 1,
                    "parent_id": root_id,
                    "root_id": root_id,
                    "created_at": now + timedelta(seconds=k),
                    "updated_at": now,
                }
            ],
        )
    db.session.commit()


def test_a_page_keeps_the_filters(client, tp1, user, db):
    version = db.session.scalar(select(PaperVersion))
    _insert_threads(db, version.id, tp1.id, user.id, 7, section="key-messages")
    _insert_threads(db, version.id, tp1.id, user.id, 3, section="introduction")

    first = client.get(f"{THREADS_URL}?section=key-messages&kind=comment&limit=4").get_json()
    second = client.get(first["next"]).get_json()

    assert "section=key-messages" in first["next"] and "kind=comment" in first["next"]
    assert first["total"] == second["total"] == 7
    assert len(second["items"]) == 3 and second["next"] is None
    assert {i["section"] for i in first["items"] + second["items"]} == {"key-messages"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=garbage", "after"),
        ("after=12", "after"),
        ("after=eyJzIjoib2xkZXN0In0", "after"),  # {"s":"oldest"}: ours in form, not in content
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=%D9%A3", "limit"),  # an Arabic-Indic three: a digit, but not a number here
        ("kind=rant", "kind"),
        ("sort=loudest", "sort"),
    ],
)
def test_bad_list_parameters_get_a_400_naming_them(client, tp1, query, field):
    error = error_of(client.get(f"{THREADS_URL}?{query}"), 400)
    assert error["code"] == "invalid_parameters"
    assert set(error["fields"]) == {field}


def test_a_cursor_belongs_to_its_sort(client, tp1, user, db):
    version = db.session.scalar(select(PaperVersion))
    _insert_threads(db, version.id, tp1.id, user.id, 3)
    newest = client.get(f"{THREADS_URL}?sort=newest&limit=1").get_json()["next"]
    cursor = newest.split("after=")[1]

    error = error_of(client.get(f"{THREADS_URL}?sort=oldest&after={cursor}"), 400)

    assert set(error["fields"]) == {"after"}


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{THREADS_URL}?section=no-such-section", "section"),
        (f"{THREADS_URL}?section=", "section"),
        (f"{API}/papers/think-paper-1/versions/9.9/annotations", "version"),
        (f"{API}/papers/no-paper/versions/5.0/annotations", "paper"),
    ],
)
def test_listing_what_does_not_exist_is_a_404(client, tp1, url, field):
    error = error_of(client.get(url), 404)
    assert field in error["fields"]


@pytest.mark.parametrize(
    "url",
    [f"{THREADS_URL}?section=a%00b", f"{API}/papers/no%00paper/versions/5.0/annotations"],
)
def test_a_nul_character_in_the_address_is_a_400(client, tp1, url):
    error = error_of(client.get(url), 400)
    assert "NUL" in error["message"]


def test_the_list_costs_the_same_queries_for_ten_or_a_thousand_threads(
    client, tp1, user, db, count_queries
):
    version = db.session.scalar(select(PaperVersion))
    _insert_threads(db, version.id, tp1.id, user.id, 10, replies_each=3)
    with count_queries() as small:
        page = client.get(f"{THREADS_URL}?limit=200")
    assert page.get_json()["total"] == 10
    with count_queries() as small_section:
        client.get(f"{THREADS_URL}?section=introduction&sort=replies&limit=200")

    _insert_threads(db, version.id, tp1.id, user.id, 990, replies_each=3)
    with count_queries() as large:
        page = client.get(f"{THREADS_URL}?limit=200").get_json()
    assert page["total"] == 1000 and len(page["items"]) == 200
    assert all(i["reply_count"] == 3 for i in page["items"])
    with count_queries() as large_section:
        client.get(f"{THREADS_URL}?section=introduction&sort=replies&limit=200")
    with count_queries() as next_page:
        client.get(page["next"])

    assert small.count == large.count == next_page.count
    assert small_section.count == large_section.count
    assert large.count <= 7, large.statements  # 6, and the counters of the kept pages


def test_a_thread_costs_the_same_queries_whatever_its_replies(client, tp1, user, db, count_queries):
    version = db.session.scalar(select(PaperVersion))
    few, many = _insert_threads(db, version.id, tp1.id, user.id, 2)
    _reply_rows(db, version.id, tp1.id, user.id, few, 2)
    _reply_rows(db, version.id, tp1.id, user.id, many, 60)

    with count_queries() as small:
        assert len(client.get(f"{API}/annotations/{few}").get_json()["replies"]) == 2
    with count_queries() as large:
        assert len(client.get(f"{API}/annotations/{many}").get_json()["replies"]) == 60

    assert small.count == large.count


# --- refused input stores nothing ---------------------------------------------------------


def _links(n: int) -> str:
    return " ".join(f"[link {k}](https://example.org/{k})" for k in range(n))


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        pytest.param({**root(), "section": None}, 422, "invalid", "section", id="null-section"),
        pytest.param(
            {k: v for k, v in root().items() if k != "section"},
            422,
            "invalid",
            "section",
            id="missing-section",
        ),
        pytest.param(root(section=""), 422, "invalid", "section", id="empty-section"),
        pytest.param(
            root(section="chapter-99"), 422, "unknown_section", "section", id="unknown-section"
        ),
        pytest.param(
            {**root(), "version": "9.9"}, 404, "not_found", "version", id="unknown-version"
        ),
        pytest.param(
            {**root(), "paper": "think-paper-99"}, 404, "not_found", "paper", id="unknown-paper"
        ),
        pytest.param(
            root(quote={"exact": "not in the introduction at all"}),
            422,
            "quote_not_found",
            "quote",
            id="quote-not-found",
        ),
        pytest.param(root(body="x" * 10_001), 422, "too_long", "body", id="body-10001"),
        pytest.param(
            root(quote={"exact": "x" * 2_001}), 422, "quote_not_found", "quote", id="quote-2001"
        ),
        pytest.param(root(body=_links(21)), 422, "too_many_links", "body", id="21-links"),
        pytest.param(root(body=" \n\t "), 422, "empty", "body", id="blank-body"),
        pytest.param(root(body=5), 422, "invalid", "body", id="body-number"),
        pytest.param(root(body=None), 422, "invalid", "body", id="body-null"),
        pytest.param(root(body="a\x00b"), 422, "invalid", "body", id="body-nul-char"),
        pytest.param(root(quote="x"), 422, "invalid", "quote", id="quote-string"),
        pytest.param(
            root(quote={"exact": "'lost cause'", "start": "3", "end": 15}),
            422,
            "invalid",
            "quote.start",
            id="start-string",
        ),
        pytest.param(
            root(quote={"exact": "'lost cause'", "start": True, "end": 15}),
            422,
            "invalid",
            "quote.start",
            id="start-true",
        ),
        pytest.param(
            root(quote={"exact": "'lost cause'", "start": 3.0, "end": 15}),
            422,
            "invalid",
            "quote.start",
            id="start-float",
        ),
        pytest.param(
            root(quote={"start": 3, "end": 15}),
            422,
            "invalid",
            "quote.exact",
            id="quote-without-exact",
        ),
        pytest.param(
            root(quote={"exact": "'lost cause'", "page": 2}),
            422,
            "invalid",
            "quote.page",
            id="quote-unknown-field",
        ),
        pytest.param(root(kind="rant"), 422, "invalid", "kind", id="kind-rant"),
        pytest.param(root(target="page"), 422, "invalid", "target", id="target-page"),
        pytest.param(
            root(target="section", quote={"exact": "'lost cause'"}),
            422,
            "invalid",
            "target",
            id="section-target-with-quote",
        ),
        pytest.param({**root(), "version": 5.0}, 422, "invalid", "version", id="version-number"),
        pytest.param(
            {**root(), "qoute": {"exact": "'lost cause'"}},
            422,
            "invalid",
            "qoute",
            id="unknown-field",
        ),
        pytest.param({**root(), "parent": 1}, 422, "invalid", "paper", id="parent-and-paper"),
        pytest.param(
            {"parent": 999_999, "body": "hello"}, 404, "not_found", "parent", id="missing-parent"
        ),
        pytest.param(
            {"parent": 10**40, "body": "hello"}, 404, "not_found", "parent", id="huge-parent"
        ),
        pytest.param(
            {"parent": "1", "body": "hello"}, 422, "invalid", "parent", id="parent-string"
        ),
        pytest.param({"parent": 1}, 422, "invalid", "body", id="reply-without-body"),
    ],
)
def test_refused_input_stores_nothing(client, tp1, token, db, payload, status, code, field):
    existing = post(client, token, root(body="Already here.")).get_json()
    if payload.get("parent") == 1:
        payload = {**payload, "parent": existing["id"]}
    before = rows(db)

    error = error_of(post(client, token, payload), status)

    assert error["code"] == code
    assert field in error["fields"], error
    assert rows(db) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("", "application/json", 400, "invalid_json"),
        ('["a", "list"]', "application/json", 400, "invalid_json"),
        ('"a string"', "application/json", 400, "invalid_json"),
        ("null", "application/json", 400, "invalid_json"),
        ('{"body": NaN}', "application/json", 400, "invalid_json"),
        ("[" * 100_000, "application/json", 400, "invalid_json"),
        (b'{"body": "\xff"}', "application/json", 400, "invalid_json"),
        (json.dumps(root()), "text/plain", 415, "unsupported_media_type"),
        (json.dumps(root()), "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (json.dumps(root()), None, 415, "unsupported_media_type"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client, tp1, token, db, data, content_type, status, code
):
    headers = auth(token)
    if content_type:
        headers["Content-Type"] = content_type

    response = client.post(f"{API}/annotations", data=data, headers=headers)

    assert error_of(response, status)["code"] == code
    assert rows(db) == 0


def test_json_with_a_charset_is_json(client, tp1, token):
    response = client.post(
        f"{API}/annotations",
        data=json.dumps(root()),
        headers={**auth(token), "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_an_unknown_annotation_is_a_json_404(client, tp1):
    for url in (
        f"{API}/annotations/424242",
        f"{API}/annotations/99999999999999999999",
        f"{API}/annotations/0",
        f"{API}/annotations/abc",
    ):
        assert error_of(client.get(url), 404)["code"] == "not_found"


def test_a_closed_comment_period_refuses_new_threads(client, tp1, token, db):
    tp1.comment_opens = utcnow().date() - timedelta(days=60)
    tp1.comment_closes = utcnow().date() - timedelta(days=1)
    db.session.commit()

    error = error_of(post(client, token, root()), 403)

    assert error["code"] == "comment_period_closed"
    assert rows(db) == 0


# --- the posting limit ----------------------------------------------------------------------


def test_the_eleventh_post_within_a_minute_is_refused(client, tp1, token, create_user, db):
    for n in range(10):
        assert post(client, token, root(body=f"Point {n}")).status_code == 201

    response = post(client, token, root(body="One more"))

    error = error_of(response, 429)
    assert error["code"] == "rate_limited"
    assert error["message"] == "You are posting too fast. Please wait a minute and try again."
    assert response.headers.get("Retry-After")
    assert rows(db) == 10
    # Edits draw on the same allowance; another account has its own.
    first = db.session.scalar(select(Annotation.id).order_by(Annotation.id))
    assert patch(client, token, first, {"body": "Changed"}).status_code == 429
    assert post(client, token_for(create_user(), db), root()).status_code == 201


def test_hidden_and_pending_threads_are_not_listed_for_others(client, tp1, token, create_user, db):
    """Pending words stay with their author (and moderators). A hidden thread keeps its
    place as a placeholder while it has visible replies: no words, no author, for others."""
    from app.models import Role

    mine = post(client, token, root(body="Pending")).get_json()
    hidden = post(client, token, root(body="Hidden")).get_json()
    answered = post(client, token, root(body="Hidden, answered")).get_json()
    shown = post(client, token, root(body="Shown")).get_json()
    other = token_for(create_user(), db)
    reply = post(client, other, {"parent": answered["id"], "body": "A reply."}).get_json()
    db.session.get(Annotation, mine["id"]).status = AnnotationStatus.PENDING
    db.session.get(Annotation, hidden["id"]).status = AnnotationStatus.HIDDEN
    db.session.get(Annotation, answered["id"]).status = AnnotationStatus.HIDDEN
    db.session.commit()

    for viewer in (None, other):
        listed = client.get(THREADS_URL, headers=auth(viewer)).get_json()
        assert [i["id"] for i in listed["items"]] == [answered["id"], shown["id"]]
        placeholder = listed["items"][0]
        assert (placeholder["status"], placeholder["body"], placeholder["body_html"]) == (
            "hidden",
            "",
            "",
        )
        assert placeholder["author"] is None and placeholder["reply_count"] == 1
        assert "moderation" not in placeholder
        assert (
            client.get(f"{API}/annotations/{mine['id']}", headers=auth(viewer)).status_code == 404
        )
        alone = client.get(f"{API}/annotations/{hidden['id']}", headers=auth(viewer))
        assert alone.status_code in (200, 404)  # a placeholder at most: never its words
        if alone.status_code == 200:
            assert (alone.get_json()["body"], alone.get_json()["author"]) == ("", None)
        thread = client.get(f"{API}/annotations/{answered['id']}", headers=auth(viewer)).get_json()
        assert (thread["body"], thread["author"]) == ("", None)
        assert [r["id"] for r in thread["replies"]] == [reply["id"]]

    # Its author sees all of them, with their words and where they stand.
    listed = client.get(THREADS_URL, headers=auth(token)).get_json()
    assert [i["id"] for i in listed["items"]] == [
        mine["id"],
        hidden["id"],
        answered["id"],
        shown["id"],
    ]
    by_id = {i["id"]: i for i in listed["items"]}
    assert by_id[answered["id"]]["body"] == "Hidden, answered"
    assert by_id[answered["id"]]["author"]["id"] == mine["author"]["id"]
    assert by_id[hidden["id"]]["moderation"]["state"] == "hidden"
    assert by_id[mine["id"]]["moderation"]["state"] == "pending"
    assert "moderation" not in by_id[shown["id"]]

    # A moderator reads the hidden words too, and sees what is pending.
    moderator = token_for(create_user(Role.MODERATOR), db)
    listed = client.get(THREADS_URL, headers=auth(moderator)).get_json()
    by_id = {i["id"]: i for i in listed["items"]}
    assert by_id[answered["id"]]["body"] == "Hidden, answered"
    assert by_id[answered["id"]]["moderation"]["state"] == "hidden"
    assert by_id[mine["id"]]["body"] == "Pending"
