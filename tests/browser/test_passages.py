"""Passages in the browser: select, annotate, and see the passage highlighted without a reload;
offsets computed by the page equal the server's; highlights and thread cards point at each other."""

from __future__ import annotations

import json
import random
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.annotations.services import QuoteInput
from app.models import Annotation, PaperVersion, Section
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
SECTION_KEY = "public-sector-idiosyncrasies"
# The module as the page loaded it (under its fingerprinted name): importing it again gives the
# same instance, with the page's state.
MODULE = """document.querySelector('script[src*="/js/annotate."]').src"""


def sections_of(db, paper) -> list[Section]:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    return list(
        db.session.scalars(
            select(Section).where(Section.version_id == version.id).order_by(Section.position)
        )
    )


def section_text(db, paper, key: str = SECTION_KEY) -> str:
    return next(s.text for s in sections_of(db, paper) if s.key == key)


def log_in(page, user) -> None:
    """Log in through the form, which leads back to the paper."""
    page.goto(f"/login?next={PAPER_URL}")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{PAPER_URL}")


SELECT_BETWEEN = """([key, first, last]) => {
  // Select from the start of `first` to the end of `last`, found in the section's text nodes
  // (independently of the module under test), as a reader's drag would.
  const root = document.querySelector(`#${key} .section-text`);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let startNode = null, endNode = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!startNode && n.data.includes(first)) startNode = n;
    if (startNode && n.data.includes(last)) { endNode = n; break; }
  }
  const range = document.createRange();
  range.setStart(startNode, startNode.data.indexOf(first));
  range.setEnd(endNode, endNode.data.indexOf(last) + last.length);
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  root.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
  return range.toString();
}"""


@pytest.fixture
def reader_page(page, paper, db):
    db.session.commit()  # release SQLite for the live server (see conftest.py)
    return page


def test_a_selected_passage_is_annotated_and_highlighted_without_a_reload(
    reader_page, create_user, db, paper
):
    page = reader_page
    user = create_user()
    log_in(page, user)
    page.evaluate("window.__noReload = true")

    # A passage that spans a footnote reference, with white space around it to trim.
    selected = page.evaluate(
        SELECT_BETWEEN, [SECTION_KEY, " top-down management", "Decision-making"]
    )
    assert selected.startswith(" top-down") and "conformity.4 Decision" in selected
    page.get_by_role("button", name="Annotate").click()

    margin = page.locator(f"#discussion-{SECTION_KEY}")
    # Below 84rem the margin is under the text: the form opens in a panel over it.
    form = page.get_by_role("form", name="Annotate this passage")
    expect(form).to_contain_text("top-down management and conformity.4 Decision-making")
    form.get_by_label("Your contribution").fill("Hierarchy is not the same as *bureaucracy*.")
    form.get_by_role("button", name="Post").click()

    mark = page.locator(f"#{SECTION_KEY} .section-text mark.annotation-highlight")
    expect(mark.first).to_be_attached()
    expect(form).to_have_count(0)
    assert page.evaluate("window.__noReload") is True, "posting must not reload the page"
    panel = page.get_by_role("dialog")
    expect(panel.get_by_role("status")).to_have_text("Comment posted.")
    panel.get_by_role("button", name="Close").click()
    expect(margin.locator(".margin__status")).to_have_text("Comment posted.")

    db.session.rollback()  # see what the browser wrote
    stored = db.session.scalar(select(Annotation).where(Annotation.author_id == user.id))
    text = section_text(db, paper)
    exact = "top-down management and conformity.4 Decision-making"
    assert stored.quote_exact == exact
    assert text[stored.quote_start : stored.quote_end] == exact
    assert stored.quote_prefix == text[max(0, stored.quote_start - 32) : stored.quote_start]
    assert stored.quote_suffix == text[stored.quote_end : stored.quote_end + 32]

    card = page.locator(f"#thread-{stored.id}")
    expect(card).to_be_attached()
    expect(margin.locator(f"#thread-{stored.id}")).to_have_count(1)
    # The server's own card (GET /annotations/<id>/card), pointing back at its passage.
    expect(card).to_contain_text("Hierarchy is not the same as bureaucracy.")
    expect(card.get_by_role("link", name="Open thread")).to_have_attribute(
        "href", f"/annotations/{stored.id}"
    )
    expect(card.get_by_role("button", name="Show passage")).to_be_visible()
    shown = page.evaluate(
        """(id) => [...document.querySelectorAll(`mark[data-annotations~="${id}"]`)]
                   .map((m) => m.textContent).join('')""",
        stored.id,
    )
    assert shown == exact
    content = page.locator(f"#{SECTION_KEY} .section-text").evaluate("e => e.textContent")
    assert content == text


# --- offsets -----------------------------------------------------------------------------


class _ElementSpans(HTMLParser):
    """Text offsets (code points) of em, strong, a, sup and td elements of a section's HTML."""

    TAGS = {"em", "strong", "a", "sup", "td"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.length = 0
        self.open: list[tuple[str, int]] = []
        self.spans: list[tuple[str, int, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.open.append((tag, self.length))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                _, start = self.open.pop(i)
                if self.length > start:
                    self.spans.append((tag, start, self.length))
                break

    def handle_data(self, data):
        self.length += len(data)


def passages(sections: list[Section], count: int = 50, seed: int = 20261128):
    """`count` passages (key, start, end): across every element kind named above, then random."""
    rng = random.Random(seed)
    chosen: list[tuple[str, int, int]] = []
    by_tag: dict[str, list[tuple[str, int, int]]] = {}
    for section in sections:
        parser = _ElementSpans()
        parser.feed(section.html.replace("\r\n", "\n"))
        assert parser.length == len(section.text), section.key
        for tag, start, end in parser.spans:
            by_tag.setdefault(tag, []).append((section.key, start, end))
    assert set(by_tag) == _ElementSpans.TAGS, by_tag.keys()
    lengths = {s.key: len(s.text) for s in sections}
    for tag in sorted(by_tag):
        for key, start, end in rng.sample(by_tag[tag], min(3, len(by_tag[tag]))):
            # Begin before the element and end after it, so the passage spans its edges.
            chosen.append(
                (
                    key,
                    max(0, start - rng.randint(1, 20)),
                    min(lengths[key], end + rng.randint(1, 20)),
                )
            )
    texts = [s for s in sections if s.text]
    while len(chosen) < count:
        section = rng.choice(texts)
        start = rng.randrange(len(section.text))
        end = rng.randint(start + 1, min(len(section.text), start + 400))
        chosen.append((section.key, start, end))
    return chosen


ROUND_TRIP = """async (items) => {
  const m = await import(MODULE);
  return items.map(([key, start, end]) => {
    const root = document.querySelector(`.section-text[data-section="${key}"]`);
    const range = m.rangeFromOffsets(root, start, end);
    const back = m.rangeOffsets(root, range);
    return {key, start: back.start, end: back.end, exact: range.toString(),
            quote: m.quoteAt(root.textContent, back.start, back.end).exact};
  });
}""".replace("MODULE", MODULE)


def test_browser_offsets_equal_the_servers_for_50_passages(reader_page, db, paper):
    page = reader_page
    sections = sections_of(db, paper)
    chosen = passages(sections)
    assert len(chosen) == 50
    texts = {s.key: s.text for s in sections}
    page.goto(PAPER_URL)
    contents = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.section-text')]
                 .map((e) => [e.dataset.section, e.textContent]))"""
    )
    assert contents == texts, "each section's textContent is its stored text"

    results = page.evaluate(ROUND_TRIP, [list(p) for p in chosen])
    for (key, start, end), got in zip(chosen, results, strict=True):
        expected = texts[key][start:end]
        assert (got["start"], got["end"]) == (start, end), (key, start, end, expected)
        assert got["exact"] == expected
        assert got["quote"] == expected

    # Importing the module again does not set the page up twice.
    again = page.evaluate(f"async () => (await import({MODULE})).init()")
    assert again is False
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    expect(page.get_by_role("link", name="Log in to annotate")).to_have_count(1)


def test_offsets_count_code_points_beyond_the_basic_plane(reader_page):
    page = reader_page
    page.goto(PAPER_URL)
    result = page.evaluate(
        """async () => {
          const m = await import(MODULE);
          const p = document.createElement('p');
          p.innerHTML = 'a\\u{1F600}<em>b\\u{1F600}c</em>d <a href="#x">\\u{1D11E}e</a>f';
          document.body.append(p);
          const text = p.textContent;
          const range = m.rangeFromOffsets(p, 1, 4);
          const back = m.rangeOffsets(p, range);
          const range2 = m.rangeFromOffsets(p, 7, 9);
          const out = {text, exact: range.toString(), back, second: range2.toString(),
                       second_back: m.rangeOffsets(p, range2), quote: m.quoteFromRange(p, range2)};
          const marks = m.applyHighlights(p, [{id: 1, start: 1, end: 4, kind: 'comment'},
                                              {id: 2, start: 3, end: 8, kind: 'question'},
                                              {id: 3, start: 8, end: 9, kind: 'comment'}]);
          out.marks = marks.map((mark) => [mark.textContent, mark.dataset.annotations,
                                           mark.tabIndex]);
          out.after = p.textContent;
          p.remove();
          return out;
        }""".replace("MODULE", MODULE)
    )
    text = result["text"]
    assert text == "a\U0001f600b\U0001f600cd \U0001d11eef"
    assert result["exact"] == text[1:4] == "\U0001f600b\U0001f600"
    assert result["back"] == {"start": 1, "end": 4}
    assert result["second"] == text[7:9] == "\U0001d11ee"
    assert result["second_back"] == {"start": 7, "end": 9}
    assert result["after"] == text
    # Text nodes: "a😀" | <em>"b😀c"</em> | "d " | <a>"𝄞e"</a> | "f". One keyboard stop
    # per passage, where it begins; inside a link the link is the stop.
    assert result["marks"] == [
        ["\U0001f600", "1", 0],
        ["b", "1", -1],
        ["\U0001f600", "1 2", 0],
        ["c", "2", -1],
        ["d ", "2", -1],
        ["\U0001d11e", "2", -1],
        ["e", "3", -1],
    ]
    assert result["quote"]["exact"] == "\U0001d11ee"
    assert result["quote"]["prefix"] == text[:7]
    assert result["quote"]["suffix"] == "f"


# --- highlights --------------------------------------------------------------------------


def quote_of(text: str, phrase: str) -> QuoteInput:
    start = text.index(phrase)
    return QuoteInput(phrase, start=start, end=start + len(phrase))


def test_overlapping_highlights_carry_both_ids_and_leave_the_text_alone(
    reader_page, create_annotation, db, paper
):
    page = reader_page
    text = section_text(db, paper)
    first = create_annotation(quote=quote_of(text, "a more bureaucratic culture than businesses"))
    second = create_annotation(
        quote=quote_of(text, "culture than businesses - characterised as they are")
    )
    db.session.commit()
    page.goto(PAPER_URL)

    section = page.locator(f"#{SECTION_KEY} .section-text")
    both = section.locator(f'mark[data-annotations~="{first.id}"][data-annotations~="{second.id}"]')
    expect(both).to_have_count(1)
    expect(both).to_have_text("culture than businesses")
    expect(both).to_have_class("annotation-highlight annotation-highlight--overlap")
    ids = page.evaluate(
        """([a, b]) => [a, b].map((id) => [...document.querySelectorAll(
             `mark[data-annotations~="${id}"]`)].map((m) => m.textContent).join(''))""",
        [first.id, second.id],
    )
    assert ids == [first.quote_exact, second.quote_exact]
    assert section.evaluate("e => e.textContent") == text
    # One keyboard stop per passage.
    assert section.locator('mark[tabindex="0"]').count() == 2


def test_a_highlight_brings_its_card_forward_and_the_card_shows_its_passage(
    reader_page, create_annotation, db, paper
):
    page = reader_page
    text = section_text(db, paper)
    annotation = create_annotation(
        "Which hierarchies?", quote=quote_of(text, "observance of hierarchies")
    )
    other = create_annotation("On the whole section.")
    db.session.commit()
    page.goto(PAPER_URL)

    mark = page.locator(f'mark[data-annotation="{annotation.id}"]')
    card = page.locator(f"#thread-{annotation.id}")
    expect(mark).to_have_attribute("aria-describedby", f"thread-{annotation.id}")
    mark.hover()
    expect(card).to_have_class("thread-card thread-card--compact is-active")
    expect(page.locator(f"#thread-{other.id}")).not_to_have_class("is-active")

    page.mouse.move(0, 0)
    page.locator(f"#thread-{other.id}").get_by_role("link").first.focus()
    mark.focus()
    expect(card).to_have_class("thread-card thread-card--compact is-active")

    page.locator("body").focus()
    card.get_by_role("button", name="Show passage").click()
    expect(mark).to_be_focused()
    # A card without a passage has nothing to show.
    expect(
        page.locator(f"#thread-{other.id}").get_by_role("button", name="Show passage")
    ).to_have_count(0)

    # Below 84rem the margin is under the text: the thread opens in a panel over it.
    mark.focus()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog")
    expect(
        panel.locator(f"#panel-thread-{annotation.id}").get_by_role("link").first
    ).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(mark).to_be_focused()

    # Beside the text, the card itself is focused, level with its words.
    page.set_viewport_size({"width": 1440, "height": 900})
    mark.focus()
    page.keyboard.press("Enter")
    expect(card.get_by_role("link").first).to_be_focused()


def test_every_thread_of_a_section_comes_to_the_margin_in_the_order_of_the_text(
    reader_page, create_annotation, db, paper
):
    page = reader_page
    text = section_text(db, paper)
    last = create_annotation("The last words.", quote=quote_of(text, "observance of hierarchies"))
    for n in range(7):
        create_annotation(f"On the whole section {n}.")
    db.session.commit()
    html = page.request.get(PAPER_URL).text()
    assert html.count('class="thread-card thread-card--compact') == 3  # the page draws three
    # and carries only their passages: the section's others come from its passages.json.
    block = re.search(r'<script type="application/json" id="passage-data">(.*?)</script>', html)
    data = json.loads(block.group(1))
    assert last.id not in {a["id"] for a in data["anchors"]}
    assert SECTION_KEY in data["passages"]

    page.goto(PAPER_URL)
    margin = page.locator(f"#discussion-{SECTION_KEY}")
    margin.scroll_into_view_if_needed()
    expect(margin.locator(".thread-card")).to_have_count(8)
    expect(margin.locator(".thread-card").last).to_have_id(f"thread-{last.id}")
    expect(margin.locator(".margin__more")).to_be_hidden()
    page.locator(f'mark[data-annotation="{last.id}"]').focus()
    card = margin.locator(f"#thread-{last.id}")
    expect(card).to_contain_text("The last words.")
    expect(card).to_have_class(re.compile(r"\bis-active\b"))
    expect(card.get_by_role("button", name="Show passage")).to_be_visible()


# --- who may annotate --------------------------------------------------------------------


def test_an_anonymous_reader_is_led_to_log_in_and_back(reader_page, create_user):
    page = reader_page
    user = create_user()
    page.goto(PAPER_URL)
    assert (
        page.evaluate("document.querySelector('article.paper').dataset.acceptsComments") == "true"
    )
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    expect(page.get_by_role("button", name="Annotate")).to_have_count(0)
    link = page.get_by_role("link", name="Log in to annotate")
    expect(link).to_be_visible()
    link.click()
    assert "/login?next=" in page.url and SECTION_KEY in page.url
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{PAPER_URL}#{SECTION_KEY}")


def test_the_annotate_button_is_reached_with_the_keyboard(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    button = page.get_by_role("button", name="Annotate")
    expect(button).to_be_visible()
    page.keyboard.press("Alt+Shift+A")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Annotate this passage")
    expect(form.get_by_label("Your contribution")).to_be_focused()
    page.keyboard.press("Escape")
    expect(form).to_have_count(0)


def test_axe_finds_no_violation_with_highlights_and_the_passage_form_open(
    reader_page, create_annotation, create_user, db, paper
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_accessibility import AXE_OPTIONS, describe

    page = reader_page
    text = section_text(db, paper)
    create_annotation(quote=quote_of(text, "a more bureaucratic culture than businesses"))
    create_annotation(quote=quote_of(text, "culture than businesses - characterised as they are"))
    user = create_user()
    db.session.commit()
    log_in(page, user)
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    page.get_by_role("button", name="Annotate").click()
    expect(page.get_by_role("form", name="Annotate this passage")).to_be_visible()
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_a_suggestion_carries_its_wording_and_errors_show_in_the_form(reader_page, create_user, db):
    page = reader_page
    user = create_user()
    log_in(page, user)
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    page.get_by_role("button", name="Annotate").click()
    form = page.get_by_role("form", name="Annotate this passage")
    expect(form.get_by_label("Proposed wording")).to_be_hidden()
    form.get_by_label("Kind").select_option(label="Suggestion")
    wording = form.get_by_label("Proposed wording")
    expect(wording).to_have_value("Organisations in the public realm")
    wording.fill("Public organisations")

    # The server refuses a body that is too long: its message shows, and the text stays.
    too_long = "x" * 10_001
    form.get_by_label("Your contribution").fill(too_long)
    form.get_by_role("button", name="Post").click()
    expect(form.get_by_role("alert")).to_contain_text("Please correct the marked fields")
    expect(form).to_contain_text("10,000")
    expect(form.get_by_label("Your contribution")).to_have_value(too_long)
    expect(page.locator("mark.annotation-highlight")).to_have_count(0)

    form.get_by_label("Your contribution").fill("Shorter.")
    form.get_by_role("button", name="Post").click()
    expect(page.locator('mark.annotation-highlight[data-kind="suggestion"]')).to_have_count(1)

    db.session.rollback()
    stored = db.session.scalar(select(Annotation).where(Annotation.author_id == user.id))
    assert stored.kind.value == "suggestion"
    assert stored.proposed_text == "Public organisations"
    assert stored.quote_exact == "Organisations in the public realm"


def test_no_annotate_control_once_the_comment_period_is_closed(reader_page, create_user, db, paper):
    page = reader_page
    paper.comment_closes = utcnow().date() - timedelta(days=1)
    user = create_user()
    db.session.commit()
    log_in(page, user)
    assert page.evaluate("document.querySelector('article.paper').dataset.acceptsComments") == (
        "false"
    )
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    page.wait_for_timeout(200)
    expect(page.locator(".annotate-button")).to_have_count(0)
