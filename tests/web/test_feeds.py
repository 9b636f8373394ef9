"""Atom feeds of a paper, a section and a glossary term: valid Atom (RFC 4287) that feed
readers parse, showing only what anyone may read, in a fixed number of queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import feedparser
import pytest
from sqlalchemy import select

from app.core import atom
from app.models import AnnotationStatus, CommentStatus, ProposalStatus, Role
from tests.conftest import DATA

ATOM = "{http://www.w3.org/2005/Atom}"
SECTION = "public-sector-idiosyncrasies"
PAPER_FEED = "/papers/think-paper-1/feed.atom"
SECTION_FEED = f"/papers/think-paper-1/sections/{SECTION}/feed.atom"
BLNS = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
CONTROL = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
# What a database can hold of them: PostgreSQL's text refuses NUL (the writer's own test below
# has it).
STORED = CONTROL.replace("\x00", "")


def fetch(client, url: str):
    """The feed at `url`, checked to be Atom that feedparser reads without complaint."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return response, parsed


def check_rfc4287(body: bytes, self_url: str) -> ElementTree.Element:
    """What RFC 4287 asks of a feed and its entries, read from the XML itself."""
    feed = ElementTree.fromstring(body)
    assert feed.tag == f"{ATOM}feed"

    def one(parent, tag):
        found = parent.findall(f"{ATOM}{tag}")
        assert len(found) == 1, f"{tag}: {len(found)}"
        return found[0]

    def links(parent):
        return {
            link.get("rel", "alternate"): link.get("href") for link in parent.iter(f"{ATOM}link")
        }

    def has_zone(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None

    assert one(feed, "id").text.startswith(("tag:", "http"))
    assert one(feed, "title").text
    assert has_zone(one(feed, "updated").text)
    feed_links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert feed_links["self"] == f"http://localhost{self_url}"
    assert feed_links["alternate"].startswith("http://localhost/")
    ids = []
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        ids.append(one(entry, "id").text)
        assert one(entry, "title").text
        assert has_zone(one(entry, "updated").text)
        assert has_zone(one(entry, "published").text)
        assert links(entry)["alternate"].startswith("http://localhost/")
        assert one(one(entry, "author"), "name").text
        assert "@" not in one(one(entry, "author"), "name").text
        assert one(entry, "content").get("type") == "html"
    assert len(ids) == len(set(ids))
    if entries:
        newest = max(one(e, "updated").text for e in entries)
        assert one(feed, "updated").text == newest
    return feed


def entry_ids(feed: ElementTree.Element) -> list[str]:
    return [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]


def contents(feed: ElementTree.Element) -> str:
    return "\n".join(e.text or "" for e in feed.iter(f"{ATOM}content"))


@pytest.fixture
def site_url(app):
    app.config["SITE_URL"] = "http://localhost"


@pytest.fixture
def term(db, create_user):
    from app.definitions import services

    author = create_user(name="Term Author")
    made, _proposal = services.create_term(
        author, "Public value", definition="What the public values.", rationale="Moore."
    )
    db.session.commit()
    return made


def test_the_paper_feed_holds_versions_and_contributions_as_valid_atom(
    client, site_url, paper, create_annotation
):
    root = create_annotation("A root **thought**.")
    reply = create_annotation("A reply.", parent=root)
    response, parsed = fetch(client, PAPER_FEED)
    feed = check_rfc4287(response.data, PAPER_FEED)
    ids = entry_ids(feed)
    assert any(i.endswith(f":annotation:{root.id}") for i in ids)
    assert any(i.endswith(f":annotation:{reply.id}") for i in ids)
    assert any(":version:" in i for i in ids)
    assert "<strong>thought</strong>" in contents(feed)  # the HTML, escaped as text
    links = [e.link for e in parsed.entries]
    assert f"http://localhost/annotations/{root.id}" in links
    assert f"http://localhost/annotations/{root.id}#a{reply.id}" in links
    # Newest first, and the same ids on every request.
    assert parsed.entries[0].id.endswith(f":annotation:{reply.id}")
    again = check_rfc4287(client.get(PAPER_FEED).data, PAPER_FEED)
    assert entry_ids(again) == ids


def test_the_section_feed_holds_only_that_section(client, site_url, paper, create_annotation):
    here = create_annotation("Here.")
    elsewhere = create_annotation("Elsewhere.", section="preamble")
    response, parsed = fetch(client, SECTION_FEED)
    feed = check_rfc4287(response.data, SECTION_FEED)
    ids = entry_ids(feed)
    assert any(i.endswith(f":annotation:{here.id}") for i in ids)
    assert not any(i.endswith(f":annotation:{elsewhere.id}") for i in ids)
    assert parsed.feed.link.endswith(f"/sections/{SECTION}/")


def test_the_term_feed_holds_proposals_comments_and_the_adoption(
    client, site_url, db, term, create_user
):
    from app.definitions import services

    editor = create_user(Role.EDITOR)
    proposal = services.propose(create_user(), term, "Another **reading**.", "A source.")
    db.session.commit()
    remark = services.comment(create_user(name="Commenter"), proposal, "I agree.")
    services.adopt(editor, proposal)
    db.session.commit()
    url = f"/glossary/{term.slug}/feed.atom"
    response, parsed = fetch(client, url)
    feed = check_rfc4287(response.data, url)
    ids = entry_ids(feed)
    assert any(i.endswith(f":proposal:{proposal.id}") for i in ids)
    assert any(i.endswith(f":proposal:{proposal.id}:adoption") for i in ids)
    assert any(i.endswith(f":proposal-comment:{remark.id}") for i in ids)
    assert len(ids) == 4  # the first proposal, the second, its comment, its adoption
    assert "<strong>reading</strong>" in contents(feed)
    assert f"http://localhost/glossary/{term.slug}#comment-{remark.id}" in [
        e.link for e in parsed.entries
    ]


def test_feeds_show_nothing_that_is_not_public(
    client, site_url, db, paper, create_annotation, create_user, term
):
    from app.definitions import services

    shown = create_annotation("Published words.")
    restricted = create_user(name="Restricted")
    restricted.restricted_at = datetime.now(UTC)
    db.session.commit()
    hidden_words = {
        AnnotationStatus.PENDING: "Pending words.",
        AnnotationStatus.HIDDEN: "Hidden words.",
        AnnotationStatus.REJECTED: "Rejected words.",
        AnnotationStatus.DELETED: "Deleted words.",
    }
    for status, body in hidden_words.items():
        create_annotation(body).status = status
    create_annotation("A placeholder's reply.", parent=shown)
    create_annotation("Restricted words.", author=restricted)
    proposal = services.propose(create_user(), term, "A hidden proposal.")
    pending = services.comment(create_user(), term_first_proposal(db, term), "Pending remark.")
    pending.status = CommentStatus.PENDING
    services.comment(restricted, term_first_proposal(db, term), "Restricted remark.")
    proposal.status = ProposalStatus.HIDDEN
    db.session.commit()

    texts = contents(check_rfc4287(fetch(client, PAPER_FEED)[0].data, PAPER_FEED))
    texts += contents(check_rfc4287(fetch(client, SECTION_FEED)[0].data, SECTION_FEED))
    url = f"/glossary/{term.slug}/feed.atom"
    term_texts = contents(check_rfc4287(fetch(client, url)[0].data, url))
    assert "Published words." in texts and "placeholder" in texts
    assert "What the public values." in term_texts
    for words in [*hidden_words.values(), "Restricted words."]:
        assert words not in texts
    for words in ("A hidden proposal.", "Pending remark.", "Restricted remark."):
        assert words not in term_texts


def term_first_proposal(db, term):
    from app.models import DefinitionProposal

    return db.session.scalar(
        select(DefinitionProposal)
        .where(DefinitionProposal.term_id == term.id)
        .order_by(DefinitionProposal.id)
    )


def test_feeds_are_the_same_to_everyone(client, logged_in, site_url, create_user, paper,
                                        create_annotation):  # fmt: skip
    author = create_user()
    create_annotation("Mine, awaiting review.", author=author).status = AnnotationStatus.PENDING
    moderator = create_user(Role.MODERATOR)
    anonymous = client.get(PAPER_FEED).data
    for viewer in (author, moderator):
        logged_in(viewer)
        assert b"awaiting review" not in client.get(PAPER_FEED).data
        client.post("/logout")
    assert b"awaiting review" not in anonymous


@pytest.mark.parametrize(
    "url",
    [
        "/papers/no-such-paper/feed.atom",
        "/papers/no-such-paper/sections/preamble/feed.atom",
        "/papers/think-paper-1/sections/no-such-section/feed.atom",
        "/glossary/no-such-term/feed.atom",
    ],
)
def test_unknown_papers_sections_and_terms_are_not_found(client, paper, url):
    assert client.get(url).status_code == 404


def test_a_term_awaiting_review_has_no_feed_yet(client, db, term):
    from app.models import TermStatus

    term.status = TermStatus.PENDING
    db.session.commit()
    assert client.get(f"/glossary/{term.slug}/feed.atom").status_code == 404
    assert b"application/atom+xml" not in client.get(f"/glossary/{term.slug}").data


def test_naughty_strings_and_control_characters_give_well_formed_feeds(
    client, site_url, db, paper, create_annotation, create_user, term
):
    from app.models import DefinitionProposal

    author = create_user(name="Naughty")
    author.display_name = "Nau\x01ghty \x1b[31m <b>&amp;"
    for i, naughty in enumerate(b.replace("\x00", "") for b in BLNS):
        made = create_annotation(f"Naughty {i}.", author=author)
        made.body_html = f"<p>{naughty}{STORED}</p>"
    term.label = f"Label {STORED} <script>"
    db.session.scalar(
        select(DefinitionProposal).where(DefinitionProposal.term_id == term.id)
    ).text_html = "".join(BLNS).replace("\x00", "") + STORED
    db.session.commit()
    for url in (PAPER_FEED, SECTION_FEED, f"/glossary/{term.slug}/feed.atom"):
        response, _parsed = fetch(client, url)
        feed = check_rfc4287(response.data, url)
        assert not any(c in response.get_data(as_text=True) for c in CONTROL)
        assert len(feed.findall(f"{ATOM}entry")) <= atom_feed_length()


def atom_feed_length() -> int:
    from app.annotations.feeds import FEED_LENGTH

    return FEED_LENGTH


def test_every_naughty_string_survives_the_writer_as_text(app):
    """What XML can carry comes back unchanged; only what it forbids is dropped."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    entries = [
        atom.Entry(f"tag:x,2026:{i}", s + CONTROL, "http://x/", s, when, s + CONTROL)
        for i, s in enumerate(BLNS)
    ]
    body = atom.render(
        atom.Feed("tag:x,2026:f", "Naughty", "http://x/f", "http://x/", when, entries)
    )
    feed = ElementTree.fromstring(body)
    titles = [e.find(f"{ATOM}title").text or "" for e in feed.findall(f"{ATOM}entry")]
    assert titles == [atom.xml_text(s) for s in BLNS]
    assert feedparser.parse(body).bozo == 0


@pytest.mark.parametrize("url", [PAPER_FEED, SECTION_FEED, "term"])
def test_a_feed_takes_as_many_queries_for_thirty_contributions_as_for_three(
    client, site_url, db, paper, create_annotation, create_user, count_queries, term, url
):
    from app.definitions import services

    if url == "term":
        url = f"/glossary/{term.slug}/feed.atom"
    proposal = term_first_proposal(db, term)

    def add(n: int) -> None:
        for i in range(n):
            create_annotation(f"Thread {i}.", author=create_user())
            services.comment(create_user(), proposal, f"Remark {i}.")
            db.session.commit()

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    add(3)
    few = queries()
    add(27)
    assert queries() == few


def test_the_pages_point_to_their_feeds(client, paper, term):
    version = paper_version_label(paper)
    pages = {
        f"/papers/think-paper-1/v/{version}/": PAPER_FEED,
        f"/papers/think-paper-1/v/{version}/sections/{SECTION}/": SECTION_FEED,
        f"/glossary/{term.slug}": f"/glossary/{term.slug}/feed.atom",
    }
    for page, feed in pages.items():
        html = client.get(page).get_data(as_text=True)
        assert '<link rel="alternate" type="application/atom+xml" title="' in html, page
        assert f'href="{feed}"' in html, page


def paper_version_label(paper) -> str:
    from app.extensions import db
    from app.models import PaperVersion

    return db.session.scalar(select(PaperVersion.label).where(PaperVersion.paper_id == paper.id))


def test_entries_are_limited_to_the_newest(client, site_url, db, paper, create_annotation):
    made = [create_annotation(f"Number {i}.") for i in range(55)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i, annotation in enumerate(made):
        annotation.created_at = base + timedelta(minutes=i)
    db.session.commit()
    feed = check_rfc4287(fetch(client, SECTION_FEED)[0].data, SECTION_FEED)
    ids = entry_ids(feed)
    assert len(ids) == 50
    assert ids[0].endswith(f":annotation:{made[-1].id}")
    assert not any(i.endswith(f":annotation:{made[0].id}") for i in ids)
