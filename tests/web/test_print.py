"""The printable page of a version: the paper alone, or with every thread the viewer may
see as numbered endnotes in the order of the text, marked in the text where they stand."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag
from sqlalchemy import select

from app.annotations import dispositions
from app.models import PaperVersion, Role, Section
from app.models.annotation import AnchorStatus, AnnotationStatus
from tests.web.test_api_annotations import open_for_comments
from tests.web.test_carried_threads import place
from tests.web.test_carried_threads import publish_next as publish_next  # a fixture

PRINT = "/papers/think-paper-1/v/5.0/print/"
WITH_COMMENTS = PRINT + "?comments=1"
KEY = "public-sector-idiosyncrasies"
EARLY = "more bureaucratic culture than businesses"
LATE = "top-down management and conformity"


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def endnote_bodies(page: BeautifulSoup) -> list[str]:
    return [
        n.select_one(".endnote__body").get_text(" ", strip=True) for n in page.select(".endnote")
    ]


def section_text(db, key: str = KEY) -> str:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.0"))
    return db.session.scalar(
        select(Section.text).where(Section.version_id == version.id, Section.key == key)
    )


def text_before(container: Tag, element: Tag) -> str:
    """The text of `container` before `element`, without that of the endnote marks."""
    out = []
    for node in container.descendants:
        if node is element:
            break
        if isinstance(node, NavigableString) and node.find_parent(class_="endnote-ref") is None:
            out.append(str(node))
    return "".join(out)


@pytest.fixture
def open_paper(paper, db):
    return open_for_comments(paper, db)


def test_the_paper_alone_has_its_text_and_no_comments(client, open_paper, create_annotation, db):
    create_annotation("Not printed here.", quote=EARLY)
    page = soup(client.get(PRINT))
    assert page.select_one("h1").get_text(strip=True)
    assert page.select_one(f"#{KEY} .section-text").get_text() == section_text(db)
    assert page.select(".notes .note")  # the paper's footnotes
    assert page.select_one("#acknowledgement") is not None
    assert page.select(".endnote, .endnote-ref, .endnotes") == []
    assert "Not printed here." not in page.get_text()
    # The choice of what to print, with the paper alone chosen.
    assert page.select_one("input[name=comments][value='0']").has_attr("checked")
    # Anything but 1 is the paper alone.
    assert soup(client.get(PRINT + "?comments=yes")).select(".endnotes") == []


def test_unknown_papers_and_versions_are_not_found(client, paper):
    assert client.get("/papers/think-paper-1/v/9.9/print/").status_code == 404
    assert client.get("/papers/nope/v/5.0/print/?comments=1").status_code == 404


def test_the_paper_page_links_to_the_printable_page(client, paper):
    page = soup(client.get("/papers/think-paper-1/"))
    links = [a["href"] for a in page.select(".paper-header .facts a")]
    assert PRINT in links


def test_endnotes_follow_the_text_section_by_section_whole_sections_first(
    client, open_paper, create_annotation, db
):
    # Written in an order other than the text's.
    create_annotation("Late passage.", quote=LATE)
    create_annotation("Earlier section.", section="introduction")
    create_annotation("Early passage.", quote=EARLY)
    create_annotation("Whole section.")
    page = soup(client.get(WITH_COMMENTS))
    assert endnote_bodies(page) == [
        "Earlier section.",
        "Whole section.",
        "Early passage.",
        "Late passage.",
    ]
    numbers = [n["id"] for n in page.select(".endnote")]
    assert numbers == ["endnote-1", "endnote-2", "endnote-3", "endnote-4"]
    assert [h.get_text(strip=True) for h in page.select(".endnotes__section h3")] == [
        page.select_one("#h-introduction").get_text(" ", strip=True).rstrip("1").strip(),
        page.select_one(f"#h-{KEY}").get_text(" ", strip=True).rstrip("2").strip(),
    ]
    # Whole-section threads are marked beside the heading, passages after their words.
    assert page.select_one(f"#h-{KEY} .endnote-ref a")["href"] == "#endnote-2"
    text = page.select_one(f"#{KEY} .section-text")
    refs = text.select(".endnote-ref")
    assert [r.get_text() for r in refs] == ["3", "4"]
    for ref, words in zip(refs, (EARLY, LATE), strict=True):
        assert text_before(text, ref).endswith(words)
    # Without the marks, the text is the section's text, character for character.
    for ref in refs:
        ref.decompose()
    assert text.get_text() == section_text(db)
    # Each endnote leads back to its mark.
    assert page.select_one("#endnote-3 .endnote__back")["href"] == "#endnote-ref-3"
    assert page.select_one("#endnote-ref-3") is None  # decomposed above: it was in the text


def test_an_endnote_has_kind_author_date_passage_body_replies_and_answer(
    client, open_paper, create_annotation, create_user, db
):
    editor = create_user(Role.EDITOR, name="Erin Editor")
    author = create_user(name="Pat Participant")
    thread = create_annotation("Please define *public value*.", author=author, quote=EARLY,
                               kind="question")  # fmt: skip
    create_annotation("I agree.", parent=thread, author=create_user(name="Robin Replier"))
    dispositions.answer(editor, thread, "partly_accepted", "Defined in **3.2**.")
    db.session.commit()

    note = soup(client.get(WITH_COMMENTS)).select_one("#endnote-1")
    text = note.get_text(" ", strip=True)
    assert "Question" in text and "Pat Participant" in text
    assert note.select_one("time")["datetime"].startswith(thread.created_at.date().isoformat())
    assert note.select_one(".endnote__quote").get_text(" ", strip=True).endswith(EARLY)
    assert str(note.select_one(".endnote__body em")) == "<em>public value</em>"
    reply = note.select_one(".endnote__reply")
    assert "Robin Replier" in reply.get_text() and "I agree." in reply.get_text()
    answer = note.select_one(".endnote__answer")
    assert "Partly accepted" in answer.get_text() and "Erin Editor" in answer.get_text()
    assert str(answer.select_one(".annotation-body strong")) == "<strong>3.2</strong>"


def test_bodies_print_sanitised(client, open_paper, create_annotation):
    thread = create_annotation('<script>alert(1)</script><img src=x onerror="alert(2)"> Hi')
    create_annotation("<iframe src=//evil></iframe>[x](javascript:alert(3))", parent=thread)
    page = soup(client.get(WITH_COMMENTS))
    endnotes = page.select_one(".endnotes")
    assert endnotes.select("script, iframe, img[onerror]") == []
    assert not any(a.get("href", "").startswith("javascript") for a in endnotes.select("a"))


def test_what_moderation_holds_back_prints_only_for_whom_it_shows(
    client, open_paper, create_annotation, create_user, logged_in, db
):
    newcomer = create_user(name="New Comer", trusted=False)
    pending = create_annotation("Awaiting review.", author=newcomer)
    assert pending.status is AnnotationStatus.PENDING
    rejected = create_annotation("Not published.", author=newcomer)
    rejected.status = AnnotationStatus.REJECTED
    hidden = create_annotation("Hidden words.")
    create_annotation("A reply that keeps it.", parent=hidden)
    published = create_annotation("For everyone.")
    create_annotation("Pending reply.", parent=published, author=newcomer)
    hidden.status = AnnotationStatus.HIDDEN
    db.session.commit()

    everyone = soup(client.get(WITH_COMMENTS)).select_one(".endnotes").get_text(" ")
    assert "For everyone." in everyone and "A reply that keeps it." in everyone
    assert "Hidden by a moderator." in everyone and "Hidden words." not in everyone
    for held in ("Awaiting review.", "Not published.", "Pending reply."):
        assert held not in everyone

    logged_in(newcomer)
    own = soup(client.get(WITH_COMMENTS)).select_one(".endnotes").get_text(" ")
    for held in ("Awaiting review.", "Not published.", "Pending reply."):
        assert held in own
    assert "Awaiting review" in own  # its state in words


def test_threads_whose_section_is_gone_print_as_comments_on_earlier_text(
    client,
    publish_next,
    create_annotation,
    db,
):
    kept = create_annotation("Still here.", quote=EARLY)
    gone = create_annotation("Section gone.")
    _old, new = publish_next()
    place(db, kept, new, AnchorStatus.EXACT, KEY, 100, 120, "passage in 5.1")
    place(db, gone, new, AnchorStatus.ORPHANED, None)

    page = soup(client.get("/papers/think-paper-1/v/5.1/print/?comments=1"))
    assert endnote_bodies(page) == ["Still here.", "Section gone."]
    first = page.select_one("#endnote-1")
    assert "made on version 5.0" in first.get_text(" ")
    assert first.select_one(".endnote__quote").get_text(" ", strip=True).endswith("passage in 5.1")
    earlier = page.select(".endnotes__section")[-1]
    assert "Comments on earlier text" in earlier.get_text()
    assert earlier.select_one("#endnote-2 .endnote__back") is None


def test_the_page_costs_the_same_queries_for_two_or_twenty_threads(
    client, open_paper, create_annotation, create_user, db, count_queries
):
    editor = create_user(Role.EDITOR)
    replier = create_user()

    def start(n: int) -> None:
        for i in range(n):
            section = ("introduction", KEY)[i % 2]
            quote = EARLY if section == KEY and i % 4 == 1 else None
            thread = create_annotation(f"Thread {i}", section=section, quote=quote)
            create_annotation(f"Reply {i}", parent=thread, author=replier)
            if i % 3 == 0:
                dispositions.answer(editor, thread, "noted", "")
        db.session.commit()

    start(2)
    with count_queries() as few:
        page = soup(client.get(WITH_COMMENTS))
    assert len(page.select(".endnote")) == 2
    start(18)
    with count_queries() as many:
        page = soup(client.get(WITH_COMMENTS))
    assert len(page.select(".endnote")) == 20
    assert len(page.select(".endnote__reply")) == 20
    assert len(page.select(".endnote__answer")) == 7
    assert few.count == many.count
