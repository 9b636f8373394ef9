"""What the paper page tells its annotation script: passages to highlight, who is reading,
and whether the paper takes comments — in a JSON block, which CSP lets through because it
does not run."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from app.models import Role
from app.models.annotation import AnnotationKind
from app.models.base import utcnow

PAPER = "/papers/think-paper-1/"
KEY = "public-sector-idiosyncrasies"


def page_data(client) -> tuple[dict, BeautifulSoup]:
    response = client.get(PAPER)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    block = soup.select_one('script#passage-data[type="application/json"]')
    assert block is not None
    return json.loads(block.string), soup


def test_the_page_lists_the_visible_passages_to_highlight(client, paper, create_annotation):
    section_comment = create_annotation("On the whole section.")
    passage = create_annotation(quote="bureaucratic culture", kind=AnnotationKind.QUESTION)
    data, soup = page_data(client)
    assert data["paper"] == "think-paper-1" and data["version"] == "5.0"
    assert data["anchors"] == [
        {
            "id": passage.id,
            "section": KEY,
            "start": passage.quote_start,
            "end": passage.quote_end,
            "kind": "question",
        }
    ]
    assert section_comment.id not in {a["id"] for a in data["anchors"]}
    assert data["kinds"]["suggestion"] == "Suggestion"
    # The script is a module from this site; an anonymous reader posts nothing, so the
    # page carries no CSRF token (which would start a session).
    assert soup.select_one('script[type="module"][src^="/static/js/annotate."]')
    assert soup.select_one('meta[name="csrf-token"]') is None


def test_a_page_without_threads_lists_no_passages(client, paper):
    data, _ = page_data(client)
    assert data["anchors"] == []


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", "anonymous"), ("participant", "participant")],
)
def test_the_page_says_who_is_reading(client, paper, create_user, logged_in, who, expected):
    if who != "anonymous":
        logged_in(create_user(Role.PARTICIPANT))
    data, soup = page_data(client)
    assert data["viewer"] == expected
    assert data["login_url"] == "/login"
    # The CSRF token is there for a signed-in reader's requests.
    assert bool(soup.select_one('meta[name="csrf-token"]')) is (who != "anonymous")


@pytest.mark.parametrize(
    ("opens", "closes", "accepts"),
    [(None, None, True), (-3, 3, True), (3, None, False), (None, -1, False)],
)
def test_the_page_says_whether_it_takes_comments(client, paper, db, opens, closes, accepts):
    today = utcnow().date()
    paper.comment_opens = today + timedelta(days=opens) if opens is not None else None
    paper.comment_closes = today + timedelta(days=closes) if closes is not None else None
    db.session.commit()
    data, soup = page_data(client)
    assert data["accepts_comments"] is accepts
    assert soup.select_one("article.paper")["data-accepts-comments"] == str(accepts).lower()


def test_the_json_block_cannot_close_its_script_element(client, paper):
    _, soup = page_data(client)
    raw = soup.select_one("script#passage-data").string
    assert "</" not in raw


def test_a_busy_section_has_its_passages_fetched_not_carried_by_the_page(
    client, paper, create_annotation
):
    """The page carries the passages of the threads it draws (three a section); those of a
    section with more threads come from its own address, all of them, in the order of the
    text, the viewer's visibility applied."""
    words = [
        "bureaucratic culture",
        "separation of role from person",
        "serving the community'",
        "shows convincingly",
    ]
    made = [create_annotation(f"On {w}.", quote=w) for w in words]
    data, soup = page_data(client)
    drawn = [int(c["data-annotation"]) for c in soup.select(f"#discussion-{KEY} .thread-card")]
    assert len(drawn) == 3
    assert sorted(a["id"] for a in data["anchors"]) == sorted(drawn)
    url = data["passages"][KEY]
    assert url == f"/papers/think-paper-1/v/5.0/sections/{KEY}/passages.json"
    assert set(data["passages"]) == {KEY}  # quiet sections have theirs on the page
    fetched = client.get(url)
    assert fetched.status_code == 200 and fetched.mimetype == "application/json"
    body = fetched.get_json()
    assert body["section"] == KEY
    assert {a["id"] for a in body["anchors"]} == {a.id for a in made}
    assert [a["start"] for a in body["anchors"]] == sorted(a.quote_start for a in made)
    first = next(a for a in body["anchors"] if a["id"] == made[0].id)
    assert first == {
        "id": made[0].id,
        "section": KEY,
        "start": made[0].quote_start,
        "end": made[0].quote_end,
        "kind": "comment",
    }
    assert (
        client.get("/papers/think-paper-1/v/5.0/sections/nowhere/passages.json").status_code == 404
    )
