"""A hostile paper, shown by every page: its text and metadata reach HTML only escaped.

`tests/data/hostile-paper.md` carries markup in every field of its front matter and in
every construct of its body (headings, emphasis, code spans, links, footnotes, pipe and
HTML tables, lists, quotations, raw HTML, code blocks): `<script>`, attribute break-outs
with `onerror`, `javascript:` URLs, template syntax and %-format placeholders. It is
imported, discussed, given a glossary term and a second version, and then every GET route
of the URL map is requested with every value its parameters can take here, by an
administrator and by a visitor; the POSTs that render paper text (the new-thread preview,
the editor's publishing preview) are sent too. Each answer is parsed as a browser would and
must hold nothing active that came from the paper. A new route fails the walk until it is
listed below, with the values of any new kind of parameter.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from html import escape
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from markupsafe import Markup
from sqlalchemy import select

from app.papers.source import SourceError, parse_source
from tests.conftest import DATA, csrf_token_from, login

SOURCE = (DATA / "hostile-paper.md").read_text(encoding="utf-8")
SLUG = "hostile-paper"
ATOM = "{http://www.w3.org/2005/Atom}"
MARK = "pwn"  # every payload carries it
CODE_SPAN = "<b>pwn-code</b>"  # a code span of the paper: text, never an element
TEMPLATE_RESULT = str(191 * 7919)  # what `{{ 191*7919 }}` would show if evaluated
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data",
                  "poster", "background", "cite", "srcset"}  # fmt: skip
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f]")
FRAGMENT = {"X-Requested-With": "fetch", "Accept": "text/html+fragment"}
INJECTED_ELEMENTS = {"img", "svg", "iframe", "object", "embed", "style", "form", "math", "base"}

# Routes that never show a paper's text or metadata, and why; every other GET route must
# show the hostile paper somewhere in the walk.
NO_PAPER_TEXT = {
    "static": "files",
    "papers.compare_pick": "a redirect to the comparison",
    "annotations.reply": "a redirect to the thread's reply form",
    "annotations.flag": "a contribution's flag form (its body, not the paper)",
    "definitions.index": "the glossary's terms",
    "definitions.term_feed": "a term's proposals, comments and adoptions (Atom)",
    "annotations.delete": "a contribution's body, to confirm its deletion",
    "annotations.delete_fragment": "a contribution's body, to confirm its deletion",
    "annotations.reply_form_fragment": "an empty reply form",
    "annotations.margin_form_fragment": "the form for the whole section (a paragraph's: apart)",
    "annotations.passages": "where a section's threads stand, as offsets (JSON)",
    "moderation.log": "decisions and their items' names",
    "health.healthz": "a status",
    "health.readyz": "a status",
    "papers.terms": "the terms of participation",
    "papers.accessibility": "the accessibility statement",
    "accounts.login": "account forms",
    "accounts.register": "account forms",
    "accounts.check_inbox": "account forms",
    "accounts.confirm_email": "a token link",
    "accounts.resend_confirmation": "account forms",
    "accounts.request_reset": "account forms",
    "accounts.reset_password": "a token link",
    "accounts.logout": "account forms",
    "accounts.export_data": "the account's own data (JSON)",
    "moderation.users": "accounts",
    "moderation.user": "an account",
    "moderation.log_csv": "decisions (CSV)",
    "admin.outbox": "the mail outbox: recipients, subjects, delivery errors",
    "admin.people": "accounts and their roles",
    "admin.person": "an account's role and its changes",
    "definitions.new": "an empty form",
    "definitions.flag": "a glossary item's flag form",
    "api.openapi_document": "the API's description",
    "api.version_campaigns": "groups of near-identical comments: ids and a comment (JSON)",
    "api.moderation_queue": "glossary and discussion items (JSON, checked)",
    "api.proposal": "a glossary proposal (JSON, checked)",
    "api.terms": "glossary terms (JSON, checked)",
    "api.term": "a glossary term (JSON, checked)",
    "notifications.open_item": "a redirect to what the notification points at",
    "notifications.unsubscribe": "a token link",
}
# Pages that must show the paper (a check that the walk reaches them at all).
MUST_SHOW = {
    "papers.index", "papers.paper", "papers.version", "papers.compare", "papers.printable",
    "papers.responses", "papers.responses_csv", "papers.responses_docx", "papers.responses_odt",
    "annotations.section", "annotations.thread",
    "annotations.edit", "annotations.history",
    "annotations.article_fragment", "annotations.card_fragment", "editor.index",
    "editor.publish", "editor.comment_period", "editor.dashboard_page",
    "moderation.index", "moderation.item",
    "definitions.term", "accounts.profile",
    "api.papers", "api.paper", "api.version", "api.version_annotations", "api.annotation",
}  # fmt: skip


# --- the check ------------------------------------------------------------------------------


def dangers(html: str) -> list[str]:
    """What in a page came from the paper and could run or shape it (empty when harmless)."""
    found = []
    if TEMPLATE_RESULT in html:
        found.append("template syntax of the paper was evaluated")
    for element in BeautifulSoup(html, "html.parser").find_all(True):
        name = element.name.lower()
        text = element.get_text()
        attrs = {
            k.lower(): v if isinstance(v, str) else " ".join(v) for k, v in element.attrs.items()
        }
        for attr, value in attrs.items():
            if attr.startswith("on"):
                found.append(f"{attr} handler on <{name}>")
            if attr in URL_ATTRIBUTES and IGNORED_IN_URLS.sub("", value).lower().startswith(
                BAD_SCHEMES
            ):
                found.append(f"{attr}={value!r} on <{name}>")
            if attr == "style" and MARK in value:
                found.append(f"style from the paper on <{name}>")
        # JSON data in a script element escapes `<` and `"`: a payload's own quote or
        # markup standing in a script means it broke out of the data.
        if (
            name == "script"
            and (MARK in text or MARK in attrs.get("src", ""))
            and ('alert("pwn' in text or "<" in text)
        ):
            found.append(f"script from the paper: {text[:80]!r}")
        own = " ".join(attrs.values()) + (text if name == "style" else "")
        if name in INJECTED_ELEMENTS and (MARK in own or attrs.get("src") == "x"):
            found.append(f"<{name}> from the paper")
        if name == "b" and "pwn-code" in text:
            found.append(f"a code span became an element: {element}")
    return found


def test_the_check_sees_what_it_must():
    assert dangers('<p>&lt;b&gt;pwn-code&lt;/b&gt; <a href="https://example.org/">x</a></p>') == []
    assert dangers('<script type="application/json">{"t": "\\u003cb\\u003epwn"}</script>') == []
    assert dangers("<label>Paragraph 1: <code><b>pwn-code</b></code></label>")
    assert dangers('<p>"><img src=x onerror=alert("pwn-img")></p>')
    assert dangers('<a href=" JaVa\tScRiPt:alert(1)">x</a>')
    assert dangers('<script>alert("pwn-script")</script>')
    assert dangers(f"<p>{TEMPLATE_RESULT}</p>")
    assert dangers("<div onmouseover=x>")


def json_dangers(data) -> list[str]:
    """The same check for every `*_html` value of a JSON answer, and no evaluated template."""
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            html_field = key == "html" or key.endswith("_html")
            if html_field and "<" in value:
                found.extend(f"{key}: {d}" for d in dangers(value))
            elif (html_field or key.endswith("url")) and IGNORED_IN_URLS.sub(
                "", value
            ).lower().startswith(BAD_SCHEMES):
                found.append(f"{key}: {value!r}")
            elif TEMPLATE_RESULT in value:
                found.append(f"{key}: template syntax of the paper was evaluated")

    walk(data)
    return found


# --- the hostile site -----------------------------------------------------------------------


def second_version(source: str = SOURCE) -> str:
    """Version 2.0: a hostile change note, and changed hostile paragraphs to compare."""
    text = source.replace('version: "1.0"', 'version: "2.0"', 1)
    text = text.replace(
        "comment_period:",
        'change_note: >-\n  Changed <script>alert("pwn-script-change")</script> '
        '"><img src=x onerror=alert("pwn-img-change")> `<b>pwn-code-change</b>` '
        "{{ 191*7919 }} %(x)s\ncomment_period:",
        1,
    )
    text = text.replace(
        "The paragraph to discuss:",
        'The changed <script>alert("pwn-script-v2")</script> paragraph to discuss:',
        1,
    )
    return text.replace(
        "- item <script>", '- changed item <img src=x onerror=alert("pwn-v2")> <script>', 1
    )


PARAGRAPH = (
    'The paragraph to discuss: a code span <b>pwn-code</b>, alert("pwn-script-para"), '
    '"><img src=x onerror=alert("pwn-img-para")>, {{ 191*7919 }} and %(x)s.'
)


@pytest.fixture
def app_config(app_config):
    class Unlimited(app_config):
        RATELIMIT_ENABLED = False

    return Unlimited


@pytest.fixture
def site(db, import_paper, create_user):
    """The hostile paper in two versions, discussed, flagged, answered and glossed."""
    from app.annotations import dispositions
    from app.annotations import services as annotations
    from app.annotations.services import QuoteInput
    from app.definitions import services as definitions
    from app.models import (
        AnnotationKind,
        DefinitionProposal,
        Paper,
        PaperVersion,
        Role,
        Section,
        TargetKind,
        TargetType,
    )
    from app.moderation import services as moderation

    admin = create_user(Role.ADMIN, name="Admin")
    author = create_user(name="Author")
    reporter = create_user(name="Reporter")
    import_paper(SOURCE, slug=SLUG)
    paper = db.session.scalar(select(Paper).where(Paper.slug == SLUG))
    first = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    three = db.session.scalar(
        select(Section).where(Section.version_id == first.id, Section.key == "three")
    )
    one = db.session.scalar(
        select(Section).where(Section.version_id == first.id, Section.key == "one")
    )
    passage = annotations.create_thread(
        author, paper, first, three, "On a passage.",
        quote=QuoteInput('a code span <b>pwn-code</b>, alert("pwn-script-para")'),
    )  # fmt: skip
    suggestion = annotations.create_thread(
        author, paper, first, three, "A better paragraph.",
        kind=AnnotationKind.SUGGESTION, target=TargetType.PARAGRAPH,
        quote=QuoteInput(PARAGRAPH), proposed_text=PARAGRAPH.replace("discuss", "read"),
    )  # fmt: skip
    on_section = annotations.create_thread(author, paper, first, one, "On the whole section.")
    reply = annotations.reply(reporter, passage, "A reply.")
    moderation.flag(reporter, TargetKind.ANNOTATION, suggestion, "other", "Look at the quote.")
    dispositions.answer(admin, passage, "noted", None)
    term, _proposal = definitions.create_term(
        author, "paragraph", definition="A piece of the paper.", rationale="Common use."
    )
    db.session.commit()
    proposal = db.session.scalar(
        select(DefinitionProposal).where(DefinitionProposal.term_id == term.id)
    )
    return {
        "admin": admin,
        "author": author,
        "paper": paper,
        "threads": [passage, suggestion, on_section, reply],
        "term": term,
        "proposal": proposal,
    }


def publish_second(db, import_paper):
    import_paper(second_version(), slug=SLUG)


# --- the walk -------------------------------------------------------------------------------


def parameter_values(app, site, db) -> dict[str, list]:
    from app.models import Notification, PaperVersion, Section

    versions = db.session.scalars(
        select(PaperVersion).where(PaperVersion.paper_id == site["paper"].id)
    ).all()
    keys = sorted({s.key for s in db.session.scalars(select(Section)).all()})
    labels = [v.label for v in versions]
    thread_ids = [a.id for a in site["threads"]]
    return {
        "slug": [SLUG],
        "term_slug": [site["term"].slug],
        "label": labels,
        "from_label": labels[:1],
        "to_label": labels[-1:],
        "key": keys,
        "annotation_id": thread_ids,
        "item_id": [*thread_ids, site["term"].id, site["proposal"].id],
        "kind": ["annotation", "term", "proposal"],
        "proposal_id": [site["proposal"].id],
        "comment_id": [1],
        "token_id": [1],
        "user_id": [site["author"].id],
        "token": ["not-a-token"],
        "filename": ["css/site.css"],
        "notification_id": list(db.session.scalars(select(Notification.id))),
    }


# Query strings some routes need to show anything: a search for the payloads' mark.
QUERY_STRINGS = {"search.index": {"q": MARK}, "api.search": {"q": MARK}}


def urls_of(rule, values) -> list[str]:
    from flask import url_for

    names = sorted(rule.arguments)
    choices = []
    for name in names:
        key = name
        if name == "slug" and (rule.rule.startswith("/glossary") or "/terms/" in rule.rule):
            key = "term_slug"
        assert key in values, f"{rule.rule}: no values for <{name}>; add them to the walk"
        choices.append(values[key])
    return [
        url_for(
            rule.endpoint,
            **dict(zip(names, combo, strict=True)),
            **QUERY_STRINGS.get(rule.endpoint, {}),
        )
        for combo in itertools.product(*choices)
    ]


def atom_dangers(body: str) -> list[str]:
    """An Atom feed must be well-formed XML whose only elements are Atom's (the paper's
    markup stays text), and the HTML it carries for readers to show must be harmless."""
    try:
        feed = ElementTree.fromstring(body.encode("utf-8"))
    except ElementTree.ParseError as error:
        return [f"not well-formed XML: {error}"]
    found = [f"an element {e.tag} outside Atom" for e in feed.iter() if not e.tag.startswith(ATOM)]
    for element in feed.iter(f"{ATOM}content"):
        found.extend(dangers(element.text or ""))
    return found


# Word-processor files (zip archives) and the XML in them that holds the text.
DOCUMENTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.oasis.opendocument.text": "content.xml",
}


def document_text(response, url: str, problems: list[str]) -> str:
    """The text of a word-processor file, which must be a zip holding well-formed XML."""
    try:
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
            content = archive.read(DOCUMENTS[response.mimetype])
        return "".join(ElementTree.fromstring(content).itertext())
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as error:
        problems.append(f"{url}: a broken document: {error}")
        return ""


def check_answer(response, url: str, problems: list[str]) -> bool:
    """Check one answer; whether it showed the paper."""
    if response.mimetype in DOCUMENTS:
        return response.status_code == 200 and MARK in document_text(response, url, problems)
    body = response.get_data(as_text=True)
    if response.status_code >= 500:
        problems.append(f"{url}: {response.status_code}")
        return False
    kind = response.mimetype
    if kind == "application/json":
        problems.extend(f"{url}: {d}" for d in json_dangers(json.loads(body or "null")))
    elif kind == "application/atom+xml":
        problems.extend(f"{url}: {d}" for d in atom_dangers(body))
    elif kind == "text/html":
        problems.extend(f"{url}: {d}" for d in dangers(body))
        if CODE_SPAN in body:
            problems.append(f"{url}: the code span stands unescaped in the page")
    elif kind.startswith("text/") and kind != "text/csv" and MARK in body:
        problems.append(f"{url}: paper text served as {kind}")
    return response.status_code == 200 and MARK in body


def test_every_page_shows_the_hostile_paper_harmlessly(app, db, site, import_paper):
    publish_second(db, import_paper)
    values = parameter_values(app, site, db)
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    problems: list[str] = []
    shown: set[str] = set()
    requests = 0

    # Each viewer, and the administrator once more as the page's scripts ask (fragments).
    viewers = [(site["admin"], {}), (site["author"], {}), (None, {}), (site["admin"], FRAGMENT)]
    for viewer, headers in viewers:
        client = app.test_client()
        if viewer is not None:
            assert login(client, viewer).status_code in (302, 303)
        with app.test_request_context():
            urls = [(rule.endpoint, url) for rule in rules for url in urls_of(rule, values)]
        for endpoint, url in urls:
            if endpoint in {"accounts.logout", "static"}:
                continue
            requests += 1
            if check_answer(client.get(url, headers=headers), url, problems):
                shown.add(endpoint)

    assert problems == []
    endpoints = {r.endpoint for r in rules}
    assert shown >= MUST_SHOW, f"pages that did not show the paper: {MUST_SHOW - shown}"
    unlisted = endpoints - shown - set(NO_PAPER_TEXT)
    assert unlisted == set(), (
        f"GET routes that showed nothing of the paper: {unlisted}; give the walk what they "
        "need, or list them in NO_PAPER_TEXT with the reason"
    )
    assert requests > 100


def test_the_printable_page_with_its_endnotes_shows_the_hostile_paper_harmlessly(
    app, db, site, import_paper
):
    publish_second(db, import_paper)
    for viewer in (site["admin"], site["author"], None):
        client = app.test_client()
        if viewer is not None:
            assert login(client, viewer).status_code in (302, 303)
        problems: list[str] = []
        endnotes = 0
        for label in ("1.0", "2.0"):
            url = f"/papers/{SLUG}/v/{label}/print/?comments=1"
            response = client.get(url)
            assert check_answer(response, url, problems), url
            endnotes += response.get_data(as_text=True).count('class="endnote"')
        assert problems == []
        assert endnotes > 0  # the hostile threads are there, as endnotes


def test_the_new_thread_form_offers_paragraphs_as_text(app, client, db, site):
    login(client, site["author"])
    url = f"/papers/{SLUG}/v/1.0/sections/three/"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert dangers(html) == []
    soup = BeautifulSoup(html, "html.parser")
    labels = [label.get_text() for label in soup.select("label[for^=paragraph-]")]
    assert any(CODE_SPAN in label for label in labels), labels
    assert escape(CODE_SPAN, quote=False) in html

    # The same form comes back with the preview, with the chosen paragraph and errors.
    for data in ({"kind": "comment", "paragraph": "1", "body": "`<b>pwn-body</b>`"},
                 {"kind": "suggestion", "paragraph": "", "body": "x"},
                 {"kind": "comment", "paragraph": "99", "body": "x"}):  # fmt: skip
        data["csrf_token"] = csrf_token_from(html)
        for action in ("preview", "threads.fragment"):
            target = f"{url}preview" if action == "preview" else f"{url}threads.fragment"
            answer = client.post(target, data={**data, "preview": "1"})
            assert answer.status_code < 500, target
            assert dangers(answer.get_data(as_text=True)) == [], (target, data)


def test_the_margins_form_quotes_each_paragraph_harmlessly(app, client, db, site):
    login(client, site["author"])
    url = f"/papers/{SLUG}/v/1.0/sections/three/margin-form.fragment"
    shown = 0
    for n in range(1, 40):
        answer = client.get(f"{url}?paragraph={n}", headers=FRAGMENT)
        if answer.status_code == 404:  # past the last paragraph
            break
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, html[:500]
        assert dangers(html) == [], n
        shown += MARK in html
    assert shown, "no paragraph of the hostile section was quoted"
    # And with the words of a passage, as the "Annotate" button sends them.
    answer = client.get(url, query_string={"quote": CODE_SPAN, "quote_start": 0, "quote_end": 5})
    assert answer.status_code == 200 and dangers(answer.get_data(as_text=True)) == []


def test_the_publishing_preview_shows_the_change_harmlessly(app, client, db, site):
    login(client, site["admin"])
    page = client.get(f"/editor/papers/{SLUG}/publish").get_data(as_text=True)
    answer = client.post(
        f"/editor/papers/{SLUG}/publish",
        data={"csrf_token": csrf_token_from(page), "source_text": second_version()},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html[:2000]
    assert MARK in html and dangers(html) == []
    assert escape('<script>alert("pwn-script-change")</script>', quote=False) in html.replace(
        "&#34;", '"'
    )

    # Publishing it: the flash message names the paper, and shows it as text.
    confirm = BeautifulSoup(html, "html.parser").find("button", value="publish").find_parent("form")
    data = {i["name"]: i.get("value", "") for i in confirm.find_all("input") if i.get("name")}
    data.update({t["name"]: t.get_text() for t in confirm.find_all("textarea")})
    published = client.post(
        f"/editor/papers/{SLUG}/publish", data={**data, "action": "publish"}, follow_redirects=True
    )
    page = published.get_data(as_text=True)
    assert published.status_code == 200
    flashes = BeautifulSoup(page, "html.parser").select(".flash")
    assert any("pwn-script-title" in f.get_text() for f in flashes), flashes
    assert dangers(page) == []


# --- links from the front matter ------------------------------------------------------------


def _with_field(line: str, source: str = SOURCE) -> str:
    """The source with `line` in its front matter instead of its own link fields."""
    own_links = ("prepared_for_url:", "project_url:")
    kept = [x for x in source.split("\n") if not x.startswith(own_links)]
    return "\n".join(kept).replace("comment_period:", f"{line}\ncomment_period:", 1)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("prepared_for_url: javascript:alert(1)", "prepared_for_url"),
        ("project_url: JavaScript:alert(1)", "project_url"),
        ("source_link: ' javascript:alert(1)'", "source_link"),
        ("homepage: data:text/html,<script>alert(1)</script>", "homepage"),
        ("url: //evil.example/", "url"),
        ("website: ftp://example.org/", "website"),
        ("links:\n  - https://example.org/\n  - vbscript:msgbox(1)", "links"),
        ("acknowledgements:\n  - name: Someone\n    url: javascript:alert(1)", "acknowledgements"),
        ("prepared_for_url: https://exa mple.org/", "prepared_for_url"),
        ("prepared_for_url: 42", "prepared_for_url"),
    ],
)
def test_links_in_the_front_matter_must_be_http(line, field):
    source = _with_field(line)
    expected_line = source.split("\n").index(line.split("\n")[0]) + 1
    with pytest.raises(SourceError) as caught:
        parse_source(source, "papers/hostile/1.0.md")
    error = caught.value
    assert error.line == expected_line
    assert field in error.message and "http" in error.message


def test_http_links_in_the_front_matter_are_accepted():
    source = _with_field(
        "source_link: http://example.org/a?b=c#d\nlinks:\n  - https://example.org/\n"
        "acknowledgements:\n  - name: Someone\n    url: https://example.org/x"
    )
    assert parse_source(source).meta["source_link"] == "http://example.org/a?b=c#d"


def test_the_publishing_preview_refuses_a_javascript_link_naming_field_and_line(client, site):
    login(client, site["admin"])
    page = client.get(f"/editor/papers/{SLUG}/publish").get_data(as_text=True)
    source = _with_field("project_url: javascript:alert('pwn-js-preview')", second_version())
    answer = client.post(
        f"/editor/papers/{SLUG}/publish",
        data={"csrf_token": csrf_token_from(page), "source_text": source},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    line = source.split("\n").index("project_url: javascript:alert('pwn-js-preview')") + 1
    assert "project_url" in html and f"{line}" in html
    assert dangers(html) == []


def test_a_stored_link_that_is_not_http_is_not_made_a_link(client, db, site):
    """Versions stored before the importer checked links keep their text, not their link."""
    from app.models import PaperVersion

    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "1.0"))
    version.details = {**version.details, "prepared_for_url": "javascript:alert('pwn-stored')"}
    db.session.commit()
    html = client.get(f"/papers/{SLUG}/v/1.0/").get_data(as_text=True)
    assert "Prepared" in html
    assert dangers(html) == []
    assert "pwn-stored" not in html


# --- translated strings ---------------------------------------------------------------------


def test_translated_strings_are_escaped_with_what_they_are_formatted_with(app):
    from app.core.i18n import lazy_gettext

    label = lazy_gettext("Paragraph %(n)d: “%(text)s”", n=1, text=CODE_SPAN)
    with app.test_request_context():
        assert str(label) == f"Paragraph 1: “{CODE_SPAN}”"
        shown = render_template_string(
            "{{ label }}|{{ [label]|join(',') }}|{{ _('x %(v)s', v=label) }}", label=label
        )
        assert "<b>" not in shown and shown.count("&lt;b&gt;pwn-code&lt;/b&gt;") == 3
        assert "<b>" not in Markup("<p>%s</p>") % label
        assert "<b>" not in str(Markup(label))  # noqa: S704 (what Markup makes of it)


def test_the_paper_reads_as_written(client, db, site, import_paper):
    """Escaped, not removed: the page's text is the paper's text, markup and all."""
    publish_second(db, import_paper)
    meta = parse_source(SOURCE).meta
    version = BeautifulSoup(
        client.get(f"/papers/{SLUG}/v/1.0/").get_data(as_text=True), "html.parser"
    )
    text = version.get_text()
    for value in (meta["title"], meta["institution"], meta["acknowledgement"], meta["prepared_for"],
                  *meta["authors"], CODE_SPAN, "{{ 7*7 }}", "%(x)s"):  # fmt: skip
        assert value in text, value
    assert version.select("a.term"), "the glossary term is marked in the text"
    link = version.find("a", string=meta["prepared_for"])
    assert link["href"] == meta["prepared_for_url"]  # one attribute, the URL as written

    compare = client.get(f"/papers/{SLUG}/compare/1.0/2.0/").get_data(as_text=True)
    compared = BeautifulSoup(compare, "html.parser").get_text()
    assert 'alert("pwn-script-v2")' in compared and 'alert("pwn-script-change")' in compared
    assert dangers(compare) == []


# --- what keeps the class closed ------------------------------------------------------------


ROOT = DATA.parent.parent


def test_every_template_that_makes_html_is_autoescaped(app):
    """Jinja escapes by the template's name: every page template must end in .html."""
    templates = ROOT / "templates"
    for path in templates.rglob("*"):
        if path.is_file() and "mail" not in path.relative_to(templates).parts:
            assert path.suffix == ".html", path
            assert app.select_jinja_autoescape(path.name)


def test_only_sanitised_html_is_marked_safe():
    """`|safe` only on values that come from the sanitiser (named `html` or `*_html`), and
    no `Markup(...)` or `autoescape false` anywhere: everything else is escaped."""
    unsafe = []
    for path in (ROOT / "templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        unsafe += [
            f"{path.name}: autoescape off" for _ in re.finditer(r"autoescape\s+false", source)
        ]
        for match in re.finditer(r"\{\{\s*(.*?)\|\s*safe\s*\}\}", source):
            if not re.search(r"(?:^|[._])html\)?$", match.group(1).strip()):
                unsafe.append(f"{path.name}: {match.group(0)}")
    for path in (ROOT / "app").rglob("*.py"):
        # Where the text-only lazy strings are made, and where the closed list of languages
        # becomes `lang` attributes (each value a listed tag, escaped).
        if path in (ROOT / "app" / "core" / "i18n.py", ROOT / "app" / "core" / "languages.py"):
            continue
        source = path.read_text(encoding="utf-8")
        if re.search(r"\bMarkup\(|\|safe|speaklater|flask_babel import [^\n]*lazy_", source):
            unsafe.append(f"{path.relative_to(ROOT)}: markup or Flask-Babel's lazy strings")
    assert unsafe == []


def test_the_api_refuses_a_javascript_link_naming_field_and_line(client, db, site):
    from tests.web.test_api_annotations import auth, token_for

    line = "prepared_for_url: javascript:alert('pwn-js-api')"
    source = _with_field(line, second_version())
    answer = client.post(
        f"/api/v1/papers/{SLUG}/versions",
        json={"source": source},
        headers=auth(token_for(site["admin"], db)),
    )
    assert answer.status_code == 422, answer.get_data(as_text=True)
    message = json.dumps(answer.get_json())
    assert "prepared_for_url" in message
    assert f"line {source.split(chr(10)).index(line) + 1}" in message
