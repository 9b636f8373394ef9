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
    assert soup.select_one('script[type="module"][src="/static/js/annotate.js"]')
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
