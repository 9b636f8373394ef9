"""The paper's margin as its script fetches it: a section's threads in the order of the text,
a paragraph's, the counts as they stand after each change, and the form that starts a thread
beside the section, paragraph or passage it is about.

Stories told here: the margin follows the text and pages through a busy section; a paragraph's
threads are those whose passage begins in it; the counts it answers change when a thread is
posted, deleted, hidden or approved; a thread started from the margin lands on its words and
its author is told what happened; what is refused comes back as the form with its errors
and stores nothing; the margin costs the same few queries however many threads there are.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.annotations import fragments, services
from app.annotations.services import QuoteInput
from app.core.anchoring import block_spans
from app.models import PaperVersion, Section, TargetKind
from app.models.annotation import Annotation, AnnotationKind, AnnotationStatus, TargetType
from app.models.moderation import ModerationAction
from app.moderation import services as moderation
from app.moderation.services import Target

HIDE, APPROVE = ModerationAction.HIDE, ModerationAction.APPROVE

KEY = "public-sector-idiosyncrasies"
BASE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"
MARGIN = f"{BASE}margin.fragment"
FORM = f"{BASE}margin-form.fragment"
PREVIEW = f"{BASE}margin-preview.fragment"
FRAGMENT = {"X-Requested-With": "fetch", "Accept": "text/html+fragment"}


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def card_ids(response) -> list[int]:
    return [int(c["data-annotation"]) for c in soup_of(response).select("article.thread-card")]


def stored() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count(Annotation.id)))


@pytest.fixture
def section(paper, db) -> Section:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    return db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == KEY)
    )


@pytest.fixture
def thread_on(create_annotation, section):
    """A thread on the words `phrase` of the section (the whole section without them)."""

    def make(phrase=None, body="A thought.", **options):
        quote = None
        if phrase is not None:
            start = section.text.index(phrase)
            quote = QuoteInput(phrase, start=start, end=start + len(phrase))
        return create_annotation(body, quote=quote, **options)

    return make


@pytest.fixture
def member(paper, create_user, logged_in):
    """A participant, logged in on `client`."""
    user = create_user()
    logged_in(user)
    return user


# --- reading -------------------------------------------------------------------------------


def test_the_margin_follows_the_text_whole_section_threads_first(client, section, thread_on):
    text = section.text
    spans = block_spans(text)
    late = thread_on(text[spans[-1][0] : spans[-1][0] + 30])
    whole = thread_on(None, body="On all of it.")
    early = thread_on(text[spans[0][0] : spans[0][0] + 30])
    middle = thread_on(text[spans[2][0] + 5 : spans[2][0] + 40])

    response = client.get(MARGIN, headers=FRAGMENT)
    assert response.status_code == 200
    assert card_ids(response) == [whole.id, early.id, middle.id, late.id]
    holder = soup_of(response).select_one("[data-fragment-kind=margin]")
    assert holder["data-thread-count"] == "4"
    assert holder["data-count-text"] == "4 threads · 4 contributions"
    assert not holder.has_attr("data-next")
    # Time and replies stay as choices; a made-up order is the text's.
    assert card_ids(client.get(f"{MARGIN}?sort=newest"))[0] == middle.id
    assert card_ids(client.get(f"{MARGIN}?sort=sideways"))[0] == whole.id


def test_a_paragraphs_threads_are_those_whose_passage_begins_in_it(client, section, thread_on):
    text, spans = section.text, block_spans(section.text)
    inside = thread_on(text[spans[1][0] + 3 : spans[1][0] + 30])
    whole_paragraph = thread_on(text[spans[1][0] : spans[1][1]])
    thread_on(text[spans[0][0] : spans[0][0] + 20])  # the paragraph before
    thread_on(None)  # the whole section

    response = client.get(f"{MARGIN}?paragraph=2", headers=FRAGMENT)
    assert card_ids(response) == [whole_paragraph.id, inside.id]
    assert soup_of(response).select_one("[data-fragment-kind=margin]")["data-paragraph"] == "2"
    for wrong in ("0", str(len(spans) + 1), "two", "-1", "9" * 30):
        assert client.get(f"{MARGIN}?paragraph={wrong}").status_code == 404


def test_a_busy_section_comes_a_page_at_a_time(client, thread_on, monkeypatch):
    monkeypatch.setattr(fragments, "MARGIN_PAGE", 3)
    made = [thread_on(None, body=f"Point {n}.") for n in range(7)]
    seen, url = [], MARGIN
    while url:
        response = client.get(url, headers=FRAGMENT)
        assert response.status_code == 200
        seen += card_ids(response)
        url = soup_of(response).select_one("[data-fragment-kind=margin]").get("data-next")
    assert seen == [a.id for a in made]
    assert client.get(f"{MARGIN}?page=0").status_code == 200  # no such page: the first
    assert client.get(f"{MARGIN}?page=999999999999").status_code == 200


def test_the_counts_tell_the_truth_after_posting_deleting_hiding_and_approving(
    client, thread_on, create_user, app, db
):
    def counts():
        holder = soup_of(client.get(MARGIN)).select_one("[data-fragment-kind=margin]")
        return holder["data-count-text"]

    kept = thread_on(None, body="Kept.")
    assert counts() == "1 thread · 1 contribution"
    gone = thread_on(None, body="Deleted soon.")
    assert counts() == "2 threads · 2 contributions"
    services.delete(gone.author, gone)
    db.session.commit()
    assert counts() == "1 thread · 1 contribution"

    moderator = create_user("moderator")
    moderation.decide(moderator, Target(TargetKind.ANNOTATION, kept.id), HIDE, "Off topic.")
    db.session.commit()
    assert counts() == "No comments yet"

    waiting = thread_on(None, body="From a newcomer.", author=create_user(trusted=False))
    assert waiting.status is AnnotationStatus.PENDING
    assert counts() == "No comments yet"
    moderation.decide(moderator, Target(TargetKind.ANNOTATION, waiting.id), APPROVE, "Fine.")
    db.session.commit()
    assert counts() == "1 thread · 1 contribution"


def test_the_margin_costs_the_same_queries_with_five_or_fifty_threads(
    client, thread_on, count_queries
):
    for n in range(5):
        thread_on(None, body=f"Point {n}.")
    with count_queries() as few:
        assert client.get(MARGIN).status_code == 200
    for n in range(45):
        thread_on(None, body=f"More {n}.")
    with count_queries() as many:
        assert len(card_ids(client.get(MARGIN))) == 50
    assert few.count == many.count


# --- starting a thread from the margin ---------------------------------------------------------


def test_the_form_is_about_what_the_reader_pointed_at(client, member, section):
    whole = soup_of(client.get(FORM, headers=FRAGMENT))
    assert text_of(whole.select_one(".margin-form__title")) == "Comment on this section"
    kinds = [o["value"] for o in whole.select("select[name=kind] option")]
    assert kinds == ["comment", "question", "objection"]  # a suggestion needs words

    paragraph = soup_of(client.get(f"{FORM}?paragraph=2", headers=FRAGMENT))
    assert text_of(paragraph.select_one(".margin-form__title")) == "Comment on paragraph 2"
    assert paragraph.select_one("input[name=paragraph]")["value"] == "2"
    assert "suggestion" in [o["value"] for o in paragraph.select("select[name=kind] option")]
    start, end = block_spans(section.text)[1]
    proposed = paragraph.select_one("[data-proposed]")
    assert proposed.has_attr("hidden")  # "Proposed wording" only for suggestions
    assert proposed["data-original"] == section.text[start:end]  # and it starts as the words

    words = section.text[10:40]
    passage = soup_of(
        client.get(FORM, query_string={"quote": words, "quote_start": 10, "quote_end": 40})
    )
    assert text_of(passage.select_one(".margin-form__title")) == "Annotate this passage"
    assert passage.select_one("input[name=quote]")["value"] == words
    assert client.get(f"{FORM}?paragraph=999").status_code == 404


def test_anonymous_readers_are_asked_to_log_in(client, paper):
    assert client.get(FORM, headers=FRAGMENT).status_code == 401
    assert client.post(FORM, data={"kind": "comment", "body": "Hi."}).status_code == 401
    assert stored() == 0


def test_a_paragraph_suggestion_posted_from_the_margin_lands_on_its_words(
    client, member, section, db
):
    start, end = block_spans(section.text)[2]
    response = client.post(
        FORM,
        data={"kind": "suggestion", "paragraph": "3", "body": "Clearer.", "proposed_text": "New."},
        headers=FRAGMENT,
    )
    assert response.status_code == 201
    holder = soup_of(response).select_one("[data-fragment-kind=thread]")
    assert holder["data-announce"] == "Suggestion posted."
    assert holder["data-count-text"] == "1 thread · 1 contribution"
    assert (holder["data-start"], holder["data-end"]) == (str(start), str(end))
    stored_one = db.session.scalar(select(Annotation))
    assert stored_one.target is TargetType.PARAGRAPH
    assert stored_one.quote_exact == section.text[start:end]
    assert stored_one.proposed_text == "New."
    assert holder.select_one(f"#thread-{stored_one.id}")


def test_a_passage_posted_from_the_margin_keeps_its_words_and_offsets(client, member, section, db):
    words = section.text[100:160]
    response = client.post(
        FORM,
        data={
            "kind": "question",
            "quote": words,
            "quote_start": 100,
            "quote_end": 160,
            "body": "Why?",
        },
    )
    assert response.status_code == 201
    assert soup_of(response).select_one("[data-announce]")["data-announce"] == "Question posted."
    annotation = db.session.scalar(select(Annotation))
    assert annotation.target is TargetType.PASSAGE and annotation.kind is AnnotationKind.QUESTION
    assert (annotation.quote_exact, annotation.quote_start, annotation.quote_end) == (
        words,
        100,
        160,
    )


def test_a_newcomer_is_told_the_thread_awaits_review(client, paper, create_user, viewer_client):
    newcomer = viewer_client(create_user(trusted=False))
    response = newcomer.post(FORM, data={"kind": "comment", "body": "First time here."})
    assert response.status_code == 201
    holder = soup_of(response).select_one("[data-fragment-kind=thread]")
    assert holder["data-announce"] == "Sent for review — visible to you until a moderator decides."
    assert "Awaiting review" in text_of(holder)
    # The count is the newcomer's own view: their thread, marked for them.
    assert holder["data-count-text"] == "1 thread · 1 contribution"
    assert (
        "No comments yet"
        in soup_of(client.get(MARGIN)).select_one("[data-count-text]")["data-count-text"]
    )


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"kind": "comment", "body": ""}, "Write something first"),
        ({"kind": "suggestion", "body": "Better."}, "choose that paragraph"),
        ({"kind": "shout", "body": "Hi."}, "Choose a comment, question, objection or suggestion"),
        ({"kind": "comment", "body": "Hi.", "paragraph": "999"}, "Choose the whole section"),
        (
            {
                "kind": "comment",
                "body": "Hi.",
                "quote": "words that are not there at all",
                "quote_start": "5",
                "quote_end": "36",
            },
            "",
        ),
        (
            {
                "kind": "comment",
                "body": "Hi.",
                "quote": "x",
                "quote_start": "-4",
                "quote_end": "99999999999",
            },
            "",
        ),
        ({"kind": "comment", "body": "x" * 10_001}, "10,000"),
    ],
)
def test_what_is_refused_comes_back_as_the_form_with_its_errors(client, member, data, expected):
    response = client.post(FORM, data=data, headers=FRAGMENT)
    assert 400 <= response.status_code < 500
    slot = soup_of(response).select_one(".margin-form[data-fragment-kind=form]")
    assert slot is not None
    assert slot.select_one("[role=alert]") is not None
    assert expected in text_of(slot)
    assert stored() == 0


def test_preview_shows_the_sanitised_text_in_place_and_stores_nothing(client, member):
    response = client.post(
        PREVIEW,
        data={
            "kind": "suggestion",
            "paragraph": "2",
            "body": "Nice <script>x()</script>*idea*",
            "proposed_text": "Other words.",
        },
    )
    assert response.status_code == 200
    slot = soup_of(response).select_one(".margin-form")
    preview = slot.select_one(".preview")
    assert preview.select_one("em").get_text() == "idea"
    assert preview.select_one("script") is None
    assert preview.select_one(".change ins")  # the proposed wording as a change
    assert slot.select_one("textarea[name=body]").get_text().strip().startswith("Nice")
    assert stored() == 0
