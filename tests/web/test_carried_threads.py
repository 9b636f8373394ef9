"""Threads carried into a later version: shown at their new place, badged with the version
they were made on, and — when their words are gone — kept as comments on earlier text.

Threads are started on 5.0, then 5.1 is published; the anchors publishing wrote are
replaced here by chosen ones (one row per thread and later version), so these tests are
about showing anchors, whatever placed them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import delete, select

from app.models import AnnotationKind, AnnotationStatus, PaperVersion
from app.models.annotation import Anchor, AnchorStatus

SOURCE = Path(__file__).resolve().parents[2] / "papers" / "think-paper-1" / "5.0.md"
KEY = "public-sector-idiosyncrasies"
PHRASE = "more bureaucratic culture than businesses"


def next_version(text: str) -> str:
    """5.1: a version with a change note and a section removed (the last one)."""
    text = text.replace('version: "5.0"', 'version: "5.1"', 1)
    text = re.sub(r"^---\n", '---\nchange_note: "Shorter."\n', text, count=1)
    return text


@pytest.fixture
def publish_next(paper, import_paper, db):
    """Publish 5.1 after the test has started its threads on 5.0; anchors are the test's."""

    def publish():
        import_paper(next_version(SOURCE.read_text(encoding="utf-8")))
        db.session.execute(delete(Anchor))
        db.session.commit()
        versions = db.session.scalars(select(PaperVersion).order_by(PaperVersion.sequence)).all()
        assert [v.label for v in versions] == ["5.0", "5.1"]
        return versions

    return publish


def place(db, root, version, status, key, start=None, end=None, exact=None):
    db.session.add(
        Anchor(
            annotation_id=root.id,
            version_id=version.id,
            section_key=key,
            status=status,
            start=start,
            end=end,
            exact=exact,
            score=1.0,
        )
    )
    db.session.commit()


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_a_carried_thread_shows_on_the_new_version_with_the_version_it_was_made_on(
    client, publish_next, create_annotation, db
):
    thread = create_annotation("About the idiosyncrasies.", section=KEY)
    moved = create_annotation("Made here, now elsewhere.", section=KEY)
    _old, new = publish_next()
    place(db, thread, new, AnchorStatus.EXACT, KEY)
    place(db, moved, new, AnchorStatus.MOVED, "introduction")

    page = soup(client.get("/papers/think-paper-1/v/5.1/"))
    card = page.select_one(f"#discussion-{KEY} #thread-{thread.id}")
    assert card is not None and "From version 5.0" in card.get_text(" ")
    elsewhere = page.select_one(f"#discussion-introduction #thread-{moved.id}")
    assert elsewhere is not None
    assert "moved here from another section" in elsewhere.get_text(" ")
    # The version it was made on still shows it as its own, without a badge.
    original = soup(client.get("/papers/think-paper-1/v/5.0/")).select_one(f"#thread-{thread.id}")
    assert original is not None and "From version" not in original.get_text(" ")


def test_a_changed_passage_shows_the_new_words_and_the_words_it_was_made_on(
    client, publish_next, create_annotation, db
):
    thread = create_annotation("Quoted.", section=KEY, quote=PHRASE)
    _old, new = publish_next()
    place(db, thread, new, AnchorStatus.FUZZY, KEY, 10, 38, "more bureaucratic culture than firms")
    card = soup(client.get("/papers/think-paper-1/v/5.1/")).select_one(f"#thread-{thread.id}")
    text = card.get_text(" ")
    assert "The passage has changed since." in text
    assert "more bureaucratic culture than firms" in text and "Made on these words:" in text


def test_orphans_are_comments_on_earlier_text_in_their_section_or_at_the_end(
    client, publish_next, create_annotation, db
):
    in_section = create_annotation("Words gone.", section=KEY, quote=PHRASE)
    section_gone = create_annotation("Whole section gone.", section=KEY)
    _old, new = publish_next()
    place(db, in_section, new, AnchorStatus.ORPHANED, KEY)
    place(db, section_gone, new, AnchorStatus.ORPHANED, None)

    page = soup(client.get("/papers/think-paper-1/v/5.1/"))
    card = page.select_one(f"#discussion-{KEY} #thread-{in_section.id}")
    assert "Comment on earlier text" in card.get_text(" ")
    assert PHRASE in card.get_text(" ")  # the words it was made on
    end = page.select_one("#comments-on-earlier-text")
    assert end is not None and end.select_one(f"#thread-{section_gone.id}") is not None


def test_the_api_lists_carried_threads_with_their_anchor_in_the_version_asked_for(
    client, publish_next, create_annotation, db
):
    thread = create_annotation("Quoted.", section=KEY, quote=PHRASE)
    _old, new = publish_next()
    place(db, thread, new, AnchorStatus.FUZZY, KEY, 10, 38, "more bureaucratic culture than firms")
    items = client.get("/api/v1/papers/think-paper-1/versions/5.1/annotations").get_json()["items"]
    assert [i["id"] for i in items] == [thread.id]
    item = items[0]
    assert item["version"] == "5.0"
    assert item["anchor"] == {
        "version": "5.1",
        "section": KEY,
        "start": 10,
        "end": 38,
        "exact": "more bureaucratic culture than firms",
        "status": "fuzzy",
    }
    own = client.get("/api/v1/papers/think-paper-1/versions/5.0/annotations").get_json()
    assert own["items"][0]["anchor"]["status"] == "exact"
    assert own["items"][0]["anchor"]["version"] == "5.0"


def test_the_later_page_costs_the_same_queries_with_carried_threads(
    client, publish_next, create_annotation, db, count_queries
):
    roots = []
    for n in range(7):
        root = create_annotation(f"Thread {n}.", section=KEY if n == 0 else "introduction")
        create_annotation("A reply.", parent=root)
        roots.append(root)
    _old, new = publish_next()
    place(db, roots[0], new, AnchorStatus.EXACT, KEY)
    with count_queries() as one:
        assert client.get("/papers/think-paper-1/v/5.1/").status_code == 200
    for root in roots[1:]:
        place(db, root, new, AnchorStatus.MOVED, KEY)
    with count_queries() as seven:
        assert client.get("/papers/think-paper-1/v/5.1/").status_code == 200
    assert one.count == seven.count


def test_the_response_report_includes_threads_carried_into_the_previous_version(
    client, paper, import_paper, create_annotation, create_user, db
):
    """A thread made on 5.0 and carried into 5.1 is answered while 5.2 is prepared: the
    5.2 report lists it under the section where it stood in 5.1."""
    from app.annotations.dispositions import answer
    from app.models import DispositionOutcome, Role

    corpus = Path(__file__).resolve().parents[1] / "data" / "reanchoring"
    thread = create_annotation("Please say more about hierarchies.", section=KEY)
    import_paper((corpus / "5.1.md").read_text(encoding="utf-8"))
    import_paper((corpus / "5.2.md").read_text(encoding="utf-8"))
    later = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.2"))
    answer(create_user(Role.EDITOR), thread, DispositionOutcome.NOTED, "", version=later)
    db.session.commit()

    page = soup(client.get("/papers/think-paper-1/v/5.2/responses/"))
    row = page.find(id=f"section-{KEY}")
    assert row is not None and "Please say more about hierarchies." in row.get_text(" ")
    assert "Noted" in row.get_text(" ")


def test_the_section_page_lists_comments_on_earlier_text_at_its_end(
    client, publish_next, create_annotation, db
):
    current = create_annotation("Still on its words.", section=KEY)
    gone = create_annotation("Words gone.", section=KEY, quote=PHRASE)
    _old, new = publish_next()
    place(db, current, new, AnchorStatus.EXACT, KEY)
    place(db, gone, new, AnchorStatus.ORPHANED, KEY)
    page = soup(client.get(f"/papers/think-paper-1/v/5.1/sections/{KEY}/"))
    listed = page.select_one("ol.thread-list")
    assert [c["id"] for c in listed.select(".thread-card")] == [f"thread-{current.id}"]
    earlier = page.select_one("#earlier-text")
    assert [c["id"] for c in earlier.select(".thread-card")] == [f"thread-{gone.id}"]
    assert "Comments on earlier text" in earlier.get_text(" ")


def test_one_thread_through_the_api_with_its_place_in_a_later_version(
    client, publish_next, create_annotation, db
):
    thread = create_annotation("Quoted.", section=KEY, quote=PHRASE)
    reply = create_annotation("Agreed.", parent=thread)
    _old, new = publish_next()
    place(db, thread, new, AnchorStatus.MOVED, "introduction", 3, 42, PHRASE)
    url = f"/api/v1/annotations/{thread.id}"
    own = client.get(url).get_json()
    assert own["anchor"]["version"] == "5.0" and own["anchor"]["status"] == "exact"
    later = client.get(f"{url}?version=5.1").get_json()
    assert later["version"] == "5.0"
    assert later["anchor"] == {
        "version": "5.1",
        "section": "introduction",
        "start": 3,
        "end": 42,
        "exact": PHRASE,
        "status": "moved",
    }
    assert later["replies"][0]["anchor"]["section"] == "introduction"
    answer = client.get(f"/api/v1/annotations/{reply.id}?version=5.1").get_json()
    assert answer["anchor"]["status"] == "moved"
    assert client.get(f"{url}?version=9.9").status_code == 404
    db.session.execute(delete(Anchor))
    db.session.commit()
    missing = client.get(f"{url}?version=5.1")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_carried"


# -- suggestions taken up by a later version (placed by publishing, not by hand) -----------

PROPOSED = "more bureaucratic culture than firms"


def versions_taking_up(proposed: str) -> tuple[str, str]:
    """5.1, which puts `proposed` where PHRASE stood, and 5.2, which keeps it."""
    taken = next_version(SOURCE.read_text(encoding="utf-8")).replace(PHRASE, proposed, 1)
    return taken, taken.replace('version: "5.1"', 'version: "5.2"', 1)


def card_text(client, label: str, thread_id: int, path: str = "") -> str:
    card = soup(client.get(f"/papers/think-paper-1/v/{label}/{path}")).select_one(
        f"#thread-{thread_id}"
    )
    assert card is not None
    return " ".join(card.get_text(" ").split())


def test_a_suggestion_the_next_version_takes_up_is_shown_applied_on_the_new_words(
    client, paper, import_paper, create_annotation, db
):
    suggestion = create_annotation(
        "Say firms.",
        section=KEY,
        quote=PHRASE,
        kind=AnnotationKind.SUGGESTION,
        proposed_text=PROPOSED,
    )
    with_typo = create_annotation(
        "Firms!",
        section=KEY,
        quote=PHRASE,
        kind=AnnotationKind.SUGGESTION,
        proposed_text="more bureacratic culture than firms",
    )
    comment = create_annotation("Quoted.", section=KEY, quote=PHRASE)
    v51, v52 = versions_taking_up(PROPOSED)
    import_paper(v51)

    for path in ("", f"sections/{KEY}/"):  # the margin of the paper, the section page
        text = card_text(client, "5.1", suggestion.id, path)
        assert "From version 5.0" in text and "Suggestion applied" in text
        assert "the text now reads as proposed" in text
        assert f"Made on these words: {PHRASE}" in text and PROPOSED in text
        assert "with small changes" in card_text(client, "5.1", with_typo.id, path)
        other = card_text(client, "5.1", comment.id, path)
        assert "The passage has changed since." in other and "Suggestion applied" not in other

    items = client.get("/api/v1/papers/think-paper-1/versions/5.1/annotations").get_json()
    anchors = {i["id"]: i["anchor"] for i in items["items"]}
    assert anchors[suggestion.id]["status"] == anchors[with_typo.id]["status"] == "applied"
    assert anchors[suggestion.id]["exact"] == PROPOSED and anchors[comment.id]["status"] == "fuzzy"

    # A later version carries it by the new words: on them still, no longer "applied".
    import_paper(v52)
    text = card_text(client, "5.2", suggestion.id)
    assert "Suggestion applied" not in text and f"Made on these words: {PHRASE}" in text
    later = client.get(f"/api/v1/annotations/{suggestion.id}?version=5.2").get_json()
    assert later["anchor"]["status"] == "exact" and later["anchor"]["exact"] == PROPOSED


def test_a_hidden_suggestion_does_not_say_it_was_applied(
    client, paper, import_paper, create_annotation, db
):
    suggestion = create_annotation(
        "Say firms.",
        section=KEY,
        quote=PHRASE,
        kind=AnnotationKind.SUGGESTION,
        proposed_text=PROPOSED,
    )
    create_annotation("A reply keeps the placeholder.", parent=suggestion)
    import_paper(versions_taking_up(PROPOSED)[0])
    suggestion.status = AnnotationStatus.HIDDEN  # as a moderator's decision leaves it
    db.session.commit()
    text = card_text(client, "5.1", suggestion.id)
    assert "Suggestion applied" not in text and "The passage has changed since." in text
