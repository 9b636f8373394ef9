"""Every page type, rendered with real content in French and in German, shows no English:
neither a string the catalogues translate nor one left unmarked.

What is not the interface is set aside, as a screen reader or a translation tool would:
an element whose `lang` is another language (the paper's text, a contribution written in
English, each language's own name in the switcher) and an element marked `translate="no"`
(people's names, quotes of the paper). What remains — text, and the texts that are read
out (`aria-label`, `title`, `placeholder`, `alt`, a button's `value`) — may hold no
English word: neither a whole English message of the catalogues, nor one of the common
English words listed below, which neither French nor German writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from babel import Locale
from bs4 import BeautifulSoup, Tag
from sqlalchemy import select

from app.annotations import dispositions
from app.annotations import services as annotations
from app.definitions import services as definitions
from app.editor.publishing import import_version
from app.models import (
    AnnotationKind,
    ModerationAction,
    Paper,
    PaperVersion,
    Role,
    Section,
    TargetKind,
    User,
)
from app.moderation import services as moderation
from app.papers.source import parse_source
from tests.conftest import login

SMALL = "kleine-schrift"
# English words that are no French or German word (so "in", "an", "on", "or", "was",
# "will", "links", "comment", "passage", "source", "file", "Version", "Section", "Date",
# "Status" and "Name" are not here).
ENGLISH = frozenset(
    """
    the and with your you this that these those from which have has been were would should
    could there their what when where into about yet not are is of to for by it its be can
    please here more less only than then them they who whom why how any each every some
    other others such our we my his him she he did does done get got show hide read reply
    replies edit delete flag flagged search sign log logged save cancel next previous back open
    close closed paper glossary settings account profile editor preview publish
    published thread threads comments proposal proposals reason reasons dashboard terms term
    new older newer first last yes no none nothing something anything everyone someone people
    user users hidden pending approved rejected suspended restricted trusted answered
    unanswered accepted declined noted partly outcome outcomes decided decision decisions
    annotate words characters download upload changed unchanged added removed moved carried
    orphaned anchored since until before after today yesterday ago
    """.split()  # noqa: SIM905 (a list to read, not a column of strings)
)
READ_OUT = ("aria-label", "title", "placeholder", "alt", "aria-description")

pytestmark = pytest.mark.presentation


def _source(label: str, note: str = "") -> str:
    changed = f'change_note: "{note}"\n' if note else ""
    return (
        "---\n"
        'title: "Kleine Schrift"\n'
        "number: 8\n"
        "series: Think Paper\n"
        "authors:\n  - A. Autorin\n"
        "date: 2026-01-01\n"
        f'version: "{label}"\n'
        f"{changed}"
        "---\n\n"
        "# 1 Eins {#eins}\n\nLorem ipsum dolor sit amet, consectetur adipiscing elit.\n\n"
        f"# 2 Zwei {{#zwei}}\n\nSed eiusmod tempor, versio {label}.\n"
    )


@dataclass
class World:
    people: dict[str, int]
    emails: dict[str, str]
    thread_id: int
    reply_id: int
    pending_id: int
    term_slug: str
    user_id: int


def build_world(db, create_user, paper) -> World:
    """Real content through the services: threads with a passage, a reply, a suggestion
    and a question, an editor's answer, a flag, a pending thread, a term with a proposal
    and comments, a moderator's decision, a second version of a small paper."""
    names = {
        "author": ("Zoë Ndiaye", Role.PARTICIPANT),
        "other": ("Kaito Mbeki", Role.PARTICIPANT),
        "moderator": ("Ilse Varga", Role.MODERATOR),
        "editor": ("Ana Ruiz", Role.EDITOR),
        "admin": ("Oskar Lind", Role.ADMIN),
    }
    people = {key: create_user(role, name=name) for key, (name, role) in names.items()}
    newcomer = create_user(name="Noa Kim", trusted=False)
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    section = db.session.scalar(
        select(Section).where(
            Section.version_id == version.id, Section.key == "public-sector-idiosyncrasies"
        )
    )
    author, other = people["author"], people["other"]
    thread = annotations.create_thread(
        author,
        paper,
        version,
        section,
        "Lorem ipsum dolor sit amet.",
        quote=annotations.QuoteInput("bureaucratic culture"),
    )
    reply = annotations.reply(other, thread, "Consectetur adipiscing elit.")
    annotations.create_thread(
        other, paper, version, section, "Quid est?", kind=AnnotationKind.QUESTION
    )
    annotations.create_thread(
        author,
        paper,
        version,
        section,
        "Sed eiusmod.",
        kind=AnnotationKind.SUGGESTION,
        quote=annotations.QuoteInput("more authoritarian management style"),
        proposed_text="a more hierarchical management style",
    )
    dispositions.answer(people["editor"], thread, "partly_accepted", "Gratias tibi.")
    moderation.flag(author, TargetKind.ANNOTATION, reply, "off_topic", "Non est.")
    pending = annotations.create_thread(newcomer, paper, version, section, "Ut enim ad minim.")
    term, proposal = definitions.create_term(author, "Res publica", definition="Lorem ipsum.")
    first = definitions.comment(other, proposal, "Duis aute irure.")
    definitions.comment(author, proposal, "Excepteur sint.", first)
    definitions.vote(other, proposal, "support")
    moderation.decide(
        people["moderator"],
        moderation.Target(TargetKind.USER, other.id),
        ModerationAction.RESTRICT,
        "Lorem ipsum.",
    )
    import_version(SMALL, parse_source(_source("1.0"), f"papers/{SMALL}/1.0.md"))
    import_version(SMALL, parse_source(_source("2.0", "Nova versio."), f"papers/{SMALL}/2.0.md"))
    small = db.session.scalar(select(Paper).where(Paper.slug == SMALL))
    small.comment_opens = small.comment_closes = None
    db.session.commit()
    return World(
        people={key: user.id for key, user in people.items()},
        emails={key: user.email for key, user in people.items()},
        thread_id=thread.id,
        reply_id=reply.id,
        pending_id=pending.id,
        term_slug=term.slug,
        user_id=other.id,
    )


def pages(world: World) -> list[tuple[str | None, str, str]]:
    """(who, method, path) of each page type; POST paths carry their form separately."""
    tp1 = "/papers/think-paper-1"
    section = f"{tp1}/v/5.0/sections/public-sector-idiosyncrasies/"
    return [
        (None, "GET", "/"),
        (None, "GET", f"{tp1}/"),
        (None, "GET", section),
        (None, "GET", f"/annotations/{world.thread_id}"),
        (None, "GET", f"/papers/{SMALL}/compare/1.0/2.0/"),
        (None, "GET", f"/papers/{SMALL}/compare/"),
        (None, "GET", "/glossary/"),
        (None, "GET", f"/glossary/{world.term_slug}"),
        (None, "GET", "/search?q=lorem"),
        (None, "GET", "/search?q=zzzzqqq"),
        (None, "GET", f"{tp1}/v/5.0/responses/"),
        (None, "GET", "/terms"),
        (None, "GET", "/accessibility"),
        (None, "GET", f"/annotations/{world.thread_id}/history"),
        (None, "GET", f"{tp1}/v/5.0/print/"),
        (None, "GET", "/login"),
        (None, "GET", "/register"),
        (None, "GET", "/reset-password"),
        (None, "GET", "/papers/no-such-paper/"),
        ("author", "GET", "/account/"),
        ("author", "GET", "/account/contributions"),
        ("author", "GET", "/notifications"),
        ("author", "GET", "/glossary/new"),
        ("author", "GET", f"/annotations/{world.thread_id}/edit"),
        ("other", "GET", f"/annotations/{world.thread_id}/flag"),
        ("author", "GET", "/moderation/"),  # forbidden: the 403 page
        ("moderator", "GET", "/moderation/"),
        ("moderator", "GET", "/moderation/log"),
        ("moderator", "GET", "/moderation/users"),
        ("moderator", "GET", f"/moderation/users/{world.user_id}"),
        ("moderator", "GET", f"/moderation/items/annotation/{world.pending_id}"),
        ("editor", "GET", "/editor/"),
        ("editor", "GET", f"/editor/papers/{SMALL}/publish"),
        ("editor", "POST", f"/editor/papers/{SMALL}/publish"),  # the preview
        ("editor", "GET", f"{tp1}/v/5.0/".replace("/papers/", "/editor/papers/") + "threads"),
        ("editor", "GET", f"{tp1}/v/5.0/".replace("/papers/", "/editor/papers/") + "dashboard"),
        ("editor", "GET", f"/editor/papers/{SMALL}/comment-period"),
        ("admin", "GET", "/admin/people"),
        ("admin", "GET", "/admin/mail"),
        ("admin", "GET", f"/admin/people/{world.user_id}"),
    ]


def _strip_other_languages(soup: BeautifulSoup, language: str) -> None:
    for element in soup.find_all(["script", "style", "template"]):
        element.decompose()
    for element in soup.find_all(attrs={"translate": "no"}):
        element.decompose()
    for element in soup.find_all(attrs={"lang": True}):
        if element.name == "html":
            continue
        if element["lang"].split("-")[0].lower() != language:
            element.decompose()


def shown_texts(html: str, language: str) -> list[str]:
    """The texts a reader sees or hears on the page, but those in another language."""
    soup = BeautifulSoup(html, "html.parser")
    _strip_other_languages(soup, language)
    texts = [" ".join(str(s).split()) for s in soup.find_all(string=True)]
    texts = [t for t in texts if t and not isinstance(t, Tag)]
    for element in soup.find_all(True):
        for name in READ_OUT:
            if element.get(name):
                texts.append(str(element[name]))
        if element.name == "input" and element.get("type") in ("submit", "button"):
            texts.append(str(element.get("value", "")))
    return [t for t in texts if t.strip()]


# Names that stay as they are in every language: the site's, the series'.
PROPER_NAMES = ("Think Paper Commons", "Think Paper")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")


def paper_texts(db) -> tuple[list[str], str]:
    """The papers' titles and headings (longest first), and all their text: what a page
    quotes of a paper is the paper's, not the interface's, where it stands (a <title>, an
    option) cannot carry a `lang`."""
    papers = list(db.session.scalars(select(Paper)))
    sections = list(db.session.scalars(select(Section)))
    names = {p.title for p in papers} | {s.title for s in sections}
    names |= {f"{s.number} {s.title}" for s in sections if s.number}
    body = " ".join(" ".join((s.text or "").split()) for s in sections)
    return sorted(names, key=len, reverse=True), body


def english_in(texts: list[str], paper: tuple[list[str], str] = ([], "")) -> list[str]:
    names, body = paper
    found = []
    for text in texts:
        quoted = " ".join(text.replace("…", " ").split())
        if len(quoted) > 8 and (quoted in body or any(quoted in name for name in names)):
            continue  # a quote of the paper, perhaps shortened
        for name in (*names, *PROPER_NAMES):
            text = text.replace(name, " ")
        text = ADDRESSES.sub(" ", text)
        words = {w.lower() for w in re.findall(r"\b[^\W\d_]+\b", text)}
        if words & ENGLISH:
            found.append(f"{sorted(words & ENGLISH)} in {text[:120]!r}")
    return found


@pytest.fixture
def world(db, create_user, paper):
    return build_world(db, create_user, paper)


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_page_type_is_in_the_readers_language(app, db, world, language):
    clients = {}
    failures = []
    paper = paper_texts(db)
    # Names of countries as the language writes them (CLDR), English or not ("Isle of Man").
    places = sorted(Locale.parse(language).territories.values(), key=len, reverse=True)
    for who, method, path in pages(world):
        if who not in clients:
            client = app.test_client()
            if who is not None:
                user = db.session.get(User, world.people[who])
                assert login(client, user).status_code in (302, 303)
            clients[who] = client
        headers = {"Accept-Language": language}
        if method == "POST":
            response = clients[who].post(
                path, data={"source_text": _source("3.0", "Tertia.")}, headers=headers
            )
        else:
            response = clients[who].get(path, headers=headers, follow_redirects=True)
        assert response.status_code < 500, path
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in html, f"{path}: not in {language}"
        found = english_in(shown_texts(html, language), (paper[0] + places, paper[1]))
        if found:
            failures.append(f"{path} ({who or 'anonymous'}): " + "; ".join(found[:8]))
    assert not failures, f"English left in {len(failures)} pages:\n" + "\n".join(failures)


def test_the_check_finds_english_and_sets_aside_what_is_not_the_interface():
    html = (
        '<html lang="fr"><body><p>Répondre</p><p lang="en">The paper says this.</p>'
        '<span translate="no">Show Hide</span><button aria-label="Reply to them">x</button>'
        "<p>Enregistrer les modifications</p><p>Save changes</p></body></html>"
    )
    found = english_in(shown_texts(html, "fr"))
    assert len(found) == 2
    assert any("Reply to them" in f for f in found) and any("Save changes" in f for f in found)


def test_the_english_words_hold_none_of_the_usual_false_friends():
    assert not ENGLISH & {"in", "an", "on", "or", "version", "section", "date", "status", "name"}
