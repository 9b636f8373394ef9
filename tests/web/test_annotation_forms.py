"""The discussion forms, posted as a browser without JavaScript posts them.

A section comment and a paragraph comment through the picker, previews that store
nothing, bad input answered 422 with the error on its field, CSRF, log-in, and the
posting limit that previews do not draw on.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.annotations import services
from app.core.anchoring import block_spans
from app.models import PaperVersion, Section
from app.models.annotation import Annotation, AnnotationKind, AnnotationRevision, TargetType
from tests.conftest import csrf_token_from

PAPER = "/papers/think-paper-1/"
KEY = "public-sector-idiosyncrasies"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"
PREVIEW = SECTION_PAGE + "preview"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def stored() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count(Annotation.id)))


def field_error(soup: BeautifulSoup, name: str) -> str:
    """The error shown for a field, checked to be tied to its control(s)."""
    error = soup.select_one(f"#{name}-error")
    assert error is not None, f"no error for {name}"
    controls = soup.select(f'form.discussion-form [name="{name}"]')
    assert controls and all(
        f"{name}-error" in c.get("aria-describedby", "").split() for c in controls
    )
    assert all(c.get("aria-invalid") == "true" for c in controls)
    return text_of(error)


@pytest.fixture
def section(paper, db):
    return db.session.scalar(
        select(Section)
        .join(PaperVersion, PaperVersion.id == Section.version_id)
        .where(PaperVersion.paper_id == paper.id, Section.key == KEY)
    )


@pytest.fixture
def member(create_user, logged_in, paper):
    """A confirmed participant, logged in."""
    person = create_user(name="Mira Member")
    logged_in(person)
    return person


@pytest.fixture
def create_thread(db, paper, section, create_user):
    def factory(author=None, body="A thought.", **options):
        version = db.session.get(PaperVersion, section.version_id)
        annotation = services.create_thread(
            author or create_user(), paper, version, section, body, **options
        )
        db.session.commit()
        return annotation

    return factory


@pytest.fixture
def thread(create_thread):
    return create_thread()


# --- starting threads -----------------------------------------------------------------------


def test_a_section_comment_posted_without_javascript_appears_on_the_section_page_and_margin(
    client, member
):
    page = soup_of(client.get(SECTION_PAGE))
    form = page.select_one("#new-thread form")
    assert form["method"] == "post" and form["action"] == SECTION_PAGE
    assert form.select_one("input[name=csrf_token]")
    assert form.find("legend", string="Kind of contribution")
    assert form.find("label", string="Your contribution")["for"] == "body"
    assert "Markdown" in text_of(page.select_one("#body-hint"))
    assert "Only for suggestions" in text_of(page.select_one("#proposed_text-hint"))
    buttons = {text_of(b): b for b in form.find_all("button")}
    assert buttons["Preview"]["formaction"] == PREVIEW
    assert set(buttons) == {"Preview", "Post"}

    response = client.post(
        SECTION_PAGE,
        data={"kind": "objection", "paragraph": "", "body": "I **disagree** with this."},
    )
    assert response.status_code == 303
    annotation = db_one()
    assert response.headers["Location"] == f"/annotations/{annotation.id}"
    assert annotation.kind is AnnotationKind.OBJECTION
    assert annotation.target is TargetType.SECTION and annotation.quote_exact is None
    assert annotation.author_id == member.id

    thread = soup_of(client.get(response.headers["Location"]))
    assert "Objection posted." in text_of(thread.select_one(".flashes"))
    listed = soup_of(client.get(SECTION_PAGE)).select_one(".thread-list")
    assert listed.select_one(".thread-card__body strong").get_text() == "disagree"
    margin = soup_of(client.get(PAPER)).select_one(f"#{KEY} aside.margin")
    assert "1 thread · 1 contribution" in text_of(margin)
    assert text_of(margin.select_one(".kind")) == "Objection"


def db_one() -> Annotation:
    from app.extensions import db

    return db.session.scalars(select(Annotation)).one()


def test_a_paragraph_comment_through_the_picker_stores_the_paragraphs_exact_offsets(
    client, member, section
):
    spans = block_spans(section.text)
    page = soup_of(client.get(SECTION_PAGE + "?paragraph=3"))
    picker = page.select_one("fieldset#paragraph")
    assert text_of(picker.legend) == "What is it about?"
    options = picker.select("input[type=radio]")
    assert len(options) == len(spans) + 1
    assert page.find("label", attrs={"for": "paragraph-0"}).get_text() == "The whole section"
    third = page.find("label", attrs={"for": "paragraph-3"}).get_text()
    assert third.startswith("Paragraph 3: “One of the most important differences")
    assert len(third) < 150 and third.endswith("…”")
    assert [o.has_attr("checked") for o in options] == [n == 3 for n in range(len(spans) + 1)]
    assert (
        soup_of(client.get(SECTION_PAGE + "?paragraph=99"))
        .select_one("#paragraph-0")
        .has_attr("checked")
    )

    response = client.post(
        SECTION_PAGE, data={"kind": "comment", "paragraph": "3", "body": "This paragraph is key."}
    )
    assert response.status_code == 303
    annotation = db_one()
    start, end = spans[2]
    assert annotation.target is TargetType.PARAGRAPH
    assert (annotation.quote_start, annotation.quote_end) == (start, end)
    assert annotation.quote_exact == section.text[start:end]
    assert annotation.quote_prefix == section.text[max(0, start - 32) : start]
    assert annotation.quote_suffix == section.text[end : end + 32]
    thread = soup_of(client.get(f"/annotations/{annotation.id}"))
    assert thread.select_one("figure.quote mark").get_text() == section.text[start:end]


def test_a_suggestion_on_a_paragraph_carries_its_wording_as_a_change(client, member, section):
    start, end = block_spans(section.text)[0]
    old = section.text[start:end]
    new = old.replace("Organisations in the public realm", "Public bodies", 1)
    response = client.post(
        SECTION_PAGE,
        data={"kind": "suggestion", "paragraph": "1", "body": "Shorter.", "proposed_text": new},
    )
    assert response.status_code == 303
    annotation = db_one()
    assert annotation.proposed_text == new
    change = soup_of(client.get(f"/annotations/{annotation.id}")).select_one("p.change")
    assert [d.get_text() for d in change.find_all("del")] == [
        "deleted: Organisations in the public realm"
    ]
    assert [i.get_text() for i in change.find_all("ins")] == ["inserted: Public bodies"]


# --- previews ---------------------------------------------------------------------------------


def test_preview_shows_the_sanitised_html_keeps_the_inputs_and_stores_nothing(client, member):
    body = "Look at **this** <script>alert(1)</script> [link](javascript:alert(2))"
    response = client.post(
        PREVIEW, data={"kind": "question", "paragraph": "2", "body": body, "preview": "1"}
    )
    assert response.status_code == 200
    page = soup_of(response)
    preview = page.select_one("section.preview")
    assert preview.h3.get_text() == "Preview"
    rendered = preview.select_one(".preview__body")
    assert rendered.strong.get_text() == "this"
    assert rendered.find("script") is None
    assert not any(a.get("href", "").startswith("javascript") for a in rendered.find_all("a"))
    assert page.select_one("textarea#body").get_text().strip() == body
    assert page.select_one("#kind-1").has_attr("checked")  # question
    assert page.select_one("#paragraph-2").has_attr("checked")
    assert stored() == 0

    # A browser that ignores `formaction` sends the Preview button to the posting address.
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": body, "preview": "1"})
    assert response.status_code == 200 and soup_of(response).select_one("section.preview")
    assert stored() == 0


def test_previews_of_replies_and_edits_store_nothing(client, member, create_thread):
    mine = create_thread(member, "Original words.")
    response = client.post(
        f"/annotations/{mine.id}/replies/preview", data={"body": "A *reply* draft", "preview": "1"}
    )
    assert response.status_code == 200
    page = soup_of(response)
    assert page.select_one("#reply-form .preview__body em").get_text() == "reply"
    assert page.select_one("#reply-form textarea").get_text().strip() == "A *reply* draft"

    response = client.post(
        f"/annotations/{mine.id}/edit/preview", data={"body": "Better _words_.", "preview": "1"}
    )
    assert response.status_code == 200
    assert soup_of(response).select_one(".preview__body em").get_text() == "words"
    from app.extensions import db

    db.session.refresh(mine)
    assert mine.body == "Original words." and mine.edited_at is None
    assert stored() == 1
    assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 0


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "comment", "body": ""}, "body", "Write something first."),
        ({"kind": "comment", "body": "   \n "}, "body", "Write something first."),
        ({"kind": "comment", "body": "x" * 10_001}, "body", "At most 10,000 characters"),
        (
            {"kind": "comment", "body": "Hi", "paragraph": "99"},
            "paragraph",
            "Choose the whole section or one of its 4 paragraphs.",
        ),
        (
            {"kind": "comment", "body": "Hi", "paragraph": "-1"},
            "paragraph",
            "Choose the whole section or one of its 4 paragraphs.",
        ),
        (
            {"kind": "suggestion", "body": "Hi", "paragraph": "2"},
            "proposed_text",
            "Give the wording you propose.",
        ),
        (
            {"kind": "suggestion", "body": "Hi", "proposed_text": "New words"},
            "paragraph",
            "A suggestion proposes new wording for a paragraph: choose that paragraph.",
        ),
        (
            {"kind": "comment", "body": "Hi", "proposed_text": "New words"},
            "proposed_text",
            "Only suggestions carry proposed wording.",
        ),
        (
            {"kind": "praise", "body": "Hi"},
            "kind",
            "Choose a comment, question, objection or suggestion.",
        ),
        ({"kind": "comment", "body": "[a](https://example.org) " * 21}, "body", "At most 20 links"),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "no-such-paragraph",
        "negative-paragraph",
        "suggestion-without-wording",
        "suggestion-on-whole-section",
        "wording-on-a-comment",
        "unknown-kind",
        "too-many-links",
    ],
)
def test_bad_input_is_answered_422_with_the_error_on_its_field(
    client, member, data, field, message
):
    response = client.post(SECTION_PAGE, data=data)
    assert response.status_code == 422
    page = soup_of(response)
    assert message in field_error(page, field)
    assert page.select_one("#new-thread [role=alert]")
    assert page.select_one("textarea#body").get_text().strip() == data["body"].strip()
    assert stored() == 0


def test_an_unknown_section_takes_no_thread(client, member):
    response = client.post(
        "/papers/think-paper-1/v/5.0/sections/nowhere/", data={"kind": "comment", "body": "Hello"}
    )
    assert response.status_code == 404
    response = client.post(
        "/papers/think-paper-1/v/9.9/sections/introduction/",
        data={"kind": "comment", "body": "Hello"},
    )
    assert response.status_code == 404
    assert stored() == 0


def test_bad_replies_and_edits_are_answered_422(client, member, create_thread):
    mine = create_thread(member, "Original words.")
    response = client.post(f"/annotations/{mine.id}/replies", data={"body": ""})
    assert response.status_code == 422
    assert "Write something first." in field_error(soup_of(response), "body")
    response = client.post(f"/annotations/{mine.id}/edit", data={"body": "y" * 10_001})
    assert response.status_code == 422
    assert "At most 10,000 characters" in field_error(soup_of(response), "body")
    from app.extensions import db

    db.session.refresh(mine)
    assert mine.body == "Original words."
    assert stored() == 1


# --- the rules around the forms ---------------------------------------------------------------


def test_every_form_carries_a_csrf_token_and_is_refused_without_it(
    csrf_client, paper, create_user, create_thread
):
    person = create_user()
    thread = create_thread(person)
    csrf_client.post(
        "/login",
        data={
            "email": person.email,
            "password": "a long test passphrase 42",
            "csrf_token": csrf_token_from(csrf_client.get("/login").get_data(as_text=True)),
        },
    )
    pages = [
        SECTION_PAGE,
        f"/annotations/{thread.id}",
        f"/annotations/{thread.id}/edit",
        f"/annotations/{thread.id}/delete",
    ]
    for url in pages:
        html = csrf_client.get(url).get_data(as_text=True)
        for form in BeautifulSoup(html, "html.parser").select("main form[method=post]"):
            assert form.select_one("input[name=csrf_token]"), url
    posts = [
        (SECTION_PAGE, {"kind": "comment", "body": "Hi"}),
        (f"/annotations/{thread.id}/replies", {"body": "Hi"}),
        (f"/annotations/{thread.id}/edit", {"body": "Hi"}),
        (f"/annotations/{thread.id}/delete", {}),
    ]
    for url, data in posts:
        assert csrf_client.post(url, data=data).status_code == 400, url
    assert stored() == 1

    token = csrf_token_from(csrf_client.get(SECTION_PAGE).get_data(as_text=True))
    response = csrf_client.post(
        SECTION_PAGE, data={"kind": "comment", "body": "Hi", "csrf_token": token}
    )
    assert response.status_code == 303


def test_anonymous_visitors_are_asked_to_log_in_and_nothing_is_stored(client, paper):
    page = soup_of(client.get(SECTION_PAGE))
    assert page.select_one("#new-thread form") is None
    login = page.select_one("#new-thread a")
    assert login.get_text() == "Log in to take part"
    assert login["href"] == f"/login?next={SECTION_PAGE}"
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": "Hi"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post(PREVIEW, data={"body": "Hi"}).status_code == 302
    assert stored() == 0


def test_the_forms_have_one_h1_ordered_headings_and_labelled_controls(
    client, member, create_thread
):
    mine = create_thread(member, "Words.")
    for url in (
        SECTION_PAGE,
        f"/annotations/{mine.id}",
        f"/annotations/{mine.id}/edit",
        f"/annotations/{mine.id}/delete",
        f"/annotations/{mine.id}/history",
    ):
        page = soup_of(client.get(url))
        main = page.main
        assert len(main.find_all("h1")) == 1, url
        levels = [int(h.name[1]) for h in main.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
        assert all(b - a <= 1 for a, b in pairwise(levels)), (url, levels)
        for control in main.select("form textarea, form input:not([type=hidden]), form select"):
            assert page.find("label", attrs={"for": control["id"]}), (url, control)
        ids = [element["id"] for element in page.find_all(id=True)]
        assert len(ids) == len(set(ids)), url


def test_posting_is_limited_per_account_and_previews_do_not_count(client, member, app):
    allowance = int(app.config["ANNOTATION_RATE_LIMIT"].split()[0])
    for n in range(allowance + 2):
        assert (
            client.post(PREVIEW, data={"kind": "comment", "body": f"Draft {n}"}).status_code == 200
        )
    for n in range(allowance):
        response = client.post(SECTION_PAGE, data={"kind": "comment", "body": f"Post {n}"})
        assert response.status_code == 303, n
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": "One too many"})
    assert response.status_code == 429
    assert "Please wait a minute" in response.get_data(as_text=True)
    assert stored() == allowance
