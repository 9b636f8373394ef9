"""The margin in the browser: every thread beside the words it is about.

Stories told here, on section 3.3 of Think Paper 1 (about 8,500 characters) with twenty
threads: on a wide screen every highlight has its card in view when it is scrolled to the
middle of the screen, the cards follow the text and never overlap; pressing a highlight
focuses its card and "Show passage" flashes the words; a paragraph's count opens a form
in place, which previews and posts without a reload, after which the margin, the paragraph's
count and the contents say the new numbers and the author is told what happened; on a phone
the count opens a panel over the text with its threads and its form, every tap target is at
least 24 × 24 pixels, and axe finds nothing wrong; a deleted thread's address leaves the
history.
"""

from __future__ import annotations

import contextlib
import itertools
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sqlalchemy import select

from app.annotations import services
from app.annotations.services import QuoteInput
from app.core.anchoring import block_spans
from app.models import AnnotationKind, PaperVersion, Section
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
KEY = "pressure-for-perpetual-change"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def log_in(page, user) -> None:
    page.goto(f"/login?next={PAPER_URL}")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{PAPER_URL}")


@pytest.fixture
def busy_section(db, paper, create_user):
    """Twenty threads on section 3.3: sixteen passages spread over its text, two whole
    paragraphs and two comments on the whole section, of every kind, some with replies."""
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    section = db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == KEY)
    )
    text, spans = section.text, block_spans(section.text)
    authors = [
        create_user(name=name) for name in ("Ada Lovelace", "Tomasz Nowak", "Mireille Dubois")
    ]
    kinds = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]
    threads = []

    def start(author, body, **options):
        threads.append(services.create_thread(author, paper, version, section, body, **options))

    stretch = len(text) // 16
    for n in range(16):
        at = n * stretch + stretch // 3
        while at < len(text) and not text[at].isalnum():
            at += 1
        span_end = next((e for s, e in spans if s <= at < e), at + 40)
        end = min(at + 45, span_end)
        words = text[at:end].strip()
        start(authors[n % 3], f"Thread {n}: this needs a source.", kind=kinds[n % 3],
              quote=QuoteInput(words, start=at, end=at + len(words)))  # fmt: skip
    for number in (2, 5):
        s, e = spans[number - 1]
        start(authors[0], f"On paragraph {number}.", quote=QuoteInput(text[s:e], start=s, end=e),
              target=services.TargetType.PARAGRAPH)  # fmt: skip
    start(authors[1], "On the whole section.")
    start(authors[2], "Also on all of it.", kind=AnnotationKind.QUESTION)
    for thread in threads[:4]:
        services.reply(authors[1], thread, "A reply.")
    db.session.commit()
    return section, threads


def wait_for_cards(page, count: int):
    margin = page.locator(f"#discussion-{KEY}")
    margin.scroll_into_view_if_needed()
    expect(margin.locator(".thread-card")).to_have_count(count)
    return margin


# --- wide screens ----------------------------------------------------------------------------


def test_every_highlight_has_its_card_in_view_when_scrolled_to_the_middle(page, busy_section, db):
    _section, threads = busy_section
    page.set_viewport_size(DESKTOP)
    page.emulate_media(reduced_motion="reduce")  # cards move without a transition
    page.goto(PAPER_URL)
    wait_for_cards(page, 20)
    with_passage = [t for t in threads if t.quote_exact]
    assert len(with_passage) == 18
    for thread in with_passage:
        box = page.evaluate(
            """(id) => {
              const mark = document.querySelector(`mark[data-annotations~="${id}"]`);
              const r = mark.getBoundingClientRect();
              window.scrollBy(0, r.top + r.height / 2 - window.innerHeight / 2);
              const m = mark.getBoundingClientRect();
              const c = document.getElementById(`thread-${id}`).getBoundingClientRect();
              return {mark: m.top, top: c.top, bottom: c.bottom};
            }""",
            thread.id,
        )
        assert box["top"] >= 0 and box["bottom"] <= DESKTOP["height"], (thread.id, box)
    # In the order of the text, and never on top of one another — once the layout that a
    # card's change of height asks for (a ResizeObserver, then the next frame) has run.
    settled = """(key) => {
          const boxes = [...document.querySelectorAll(`#discussion-${key} .margin__threads > li`)]
            .map((i) => i.getBoundingClientRect());
          return boxes.every((r, i) => i === 0 || boxes[i - 1].bottom <= r.top + 0.5);
        }"""
    with contextlib.suppress(PlaywrightTimeoutError):  # the assertion below says what is wrong
        page.wait_for_function(settled, arg=KEY, timeout=5000)
    boxes = page.locator(f"#discussion-{KEY} .margin__threads > li").evaluate_all(
        "items => items.map((i) => i.getBoundingClientRect()).map((r) => [r.top, r.bottom])"
    )
    for (_top, bottom), (next_top, _bottom) in itertools.pairwise(boxes):
        assert bottom <= next_top + 0.5, boxes


def test_a_highlight_opens_its_card_and_the_card_shows_its_words(page, busy_section):
    _section, threads = busy_section
    page.set_viewport_size(DESKTOP)
    page.goto(PAPER_URL)
    margin = wait_for_cards(page, 20)
    thread = threads[9]
    mark = page.locator(f'mark[data-annotation="{thread.id}"]').first
    mark.scroll_into_view_if_needed()
    mark.click()
    card = margin.locator(f"#thread-{thread.id}")
    expect(card.get_by_role("link", name=re.compile("^Open thread"))).to_be_focused()
    expect(card).to_have_class(re.compile(r"\bis-active\b"))
    # Level with its words.
    mark_top = mark.bounding_box()["y"]
    assert abs(card.bounding_box()["y"] - mark_top) < 40

    page.mouse.wheel(0, -3000)
    card.get_by_role("button", name="Show passage").click()
    expect(mark).to_be_focused()
    expect(mark).to_have_class(re.compile(r"\bis-flashing\b"))
    expect(mark).to_be_in_viewport()

    # Enter on a highlight does the same.
    other = threads[3]
    other_mark = page.locator(f'mark[data-annotation="{other.id}"]').first
    other_mark.focus()
    page.keyboard.press("Enter")
    expect(
        margin.locator(f"#thread-{other.id}").get_by_role("link", name=re.compile("^Open thread"))
    ).to_be_focused()


def test_a_paragraph_count_opens_a_form_in_place_and_the_page_tells_the_truth(
    page, busy_section, create_user
):
    section, _threads = busy_section
    page.set_viewport_size(DESKTOP)
    log_in(page, create_user(name="Mira Member"))
    page.evaluate("window.__noReload = true")
    margin = wait_for_cards(page, 20)
    expect(margin.locator(".margin__count")).to_have_text("20 threads · 24 contributions")
    toc = page.locator(f'.toc a[href="#{KEY}"] .toc-count')
    expect(toc).to_contain_text("20")

    count = page.locator(f"#{KEY} .para-count").nth(5)
    before = count.inner_text()
    count.scroll_into_view_if_needed()
    count.click()
    form = margin.get_by_role("form", name="Comment on paragraph 6")
    expect(form).to_be_visible()
    assert abs(form.bounding_box()["y"] - count.bounding_box()["y"]) < 60  # beside its words
    expect(form.get_by_label("Your contribution")).to_be_focused()
    expect(form.get_by_label("Proposed wording")).to_be_hidden()
    form.get_by_label("Kind of contribution").select_option("suggestion")
    start, end = block_spans(section.text)[5]
    expect(form.get_by_label("Proposed wording")).to_have_value(section.text[start:end])
    form.get_by_label("Proposed wording").fill("A shorter paragraph.")
    form.get_by_label("Your contribution").fill("Say it *shorter*.")
    form.get_by_role("button", name="Preview").click()
    preview = form.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Say it shorter.")
    expect(preview.locator("em")).to_have_text("shorter")
    expect(preview.locator(".change ins")).to_contain_text("shorter")
    form.get_by_role("button", name="Post").click()

    expect(page.locator(".site-status__said")).to_have_text("Suggestion posted.")
    expect(margin.locator(".margin__count")).to_have_text("21 threads · 25 contributions")
    expect(toc).to_contain_text("21")
    expect(count).to_have_text(str(int(before.replace("+", "0")) + 1))
    expect(margin.locator(".thread-card")).to_have_count(21)
    new = margin.get_by_role("article", name="Suggestion by Mira Member")
    expect(new).to_be_focused()
    assert page.evaluate("window.__noReload") is True


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_newcomer_comments_on_the_section_from_the_margin(page, busy_section, create_user, size):
    page.set_viewport_size(size)
    log_in(page, create_user(name="Nina Newcomer", trusted=False))
    margin = wait_for_cards(page, 20)
    margin.get_by_role("link", name=re.compile("^Comment on this section")).click()
    form = margin.get_by_role("form", name="Comment on this section")
    expect(form.get_by_label("Kind of contribution").locator("option")).to_have_count(3)
    form.get_by_label("Your contribution").fill("First time here.")
    form.get_by_role("button", name="Post").click()
    expect(page.locator(".site-status__said")).to_have_text(
        "Sent for review — visible to you until a moderator decides."
    )
    card = margin.get_by_role("article", name="Comment by Nina Newcomer")
    expect(card).to_contain_text("Awaiting review")
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/$"))


def test_axe_finds_nothing_with_cards_open_and_a_form_in_the_margin(
    page, busy_section, create_user
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_accessibility import AXE_OPTIONS, describe

    _section, threads = busy_section
    page.set_viewport_size(DESKTOP)
    log_in(page, create_user())
    wait_for_cards(page, 20)
    page.locator(f'mark[data-annotation="{threads[5].id}"]').first.click()
    page.locator(f"#{KEY} .para-count").first.click()
    expect(page.get_by_role("form", name="Comment on paragraph 1")).to_be_visible()
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


# --- phones ------------------------------------------------------------------------------------


def test_on_a_phone_a_paragraph_count_opens_a_panel_over_the_text(page, busy_section, create_user):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_accessibility import AXE_OPTIONS, describe

    _section, threads = busy_section
    page.set_viewport_size(PHONE)
    log_in(page, create_user())
    wait_for_cards(page, 20)
    counts = page.locator(f"#{KEY} .para-count")
    for box in counts.evaluate_all(
        "bs => bs.map((b) => [b.getBoundingClientRect().width, b.getBoundingClientRect().height])"
    ):
        assert box[0] >= 24 and box[1] >= 24, box
    # The counts stand beside the text, never on its words.
    overlap = page.evaluate(
        """(key) => {
          const root = document.querySelector(`#${key} .section-text`);
          const text = root.getBoundingClientRect();
          const style = getComputedStyle(root);
          const right = text.right - parseFloat(style.paddingRight);
          return [...document.querySelectorAll(`#${key} .para-count`)]
            .filter((b) => b.getBoundingClientRect().left < right).length;
        }""",
        KEY,
    )
    assert overlap == 0

    paragraph_two = counts.nth(1)
    paragraph_two.scroll_into_view_if_needed()
    paragraph_two.click()
    panel = page.get_by_role("dialog")
    expect(panel.get_by_role("heading", name=re.compile("^Paragraph 2"))).to_be_visible()
    expect(panel.get_by_role("article", name=re.compile("^Comment by Ada Lovelace"))).to_have_count(
        1
    )
    form = panel.get_by_role("form", name="Comment on paragraph 2")
    expect(form.get_by_label("Your contribution")).to_be_focused()
    box = panel.bounding_box()
    assert box["width"] <= PHONE["width"] and box["y"] >= 0
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)
    page.keyboard.press("Escape")  # the form's own Escape closes the form
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(paragraph_two).to_be_focused()

    # A highlight opens its thread in the panel too.
    mark = page.locator(f'mark[data-annotation="{threads[0].id}"]').first
    mark.scroll_into_view_if_needed()
    mark.click()
    expect(
        page.get_by_role("dialog")
        .locator(f"#panel-thread-{threads[0].id}")
        .get_by_role("link")
        .first
    ).to_be_focused()


def test_the_discussion_comes_before_the_notes(page, busy_section):
    page.set_viewport_size(PHONE)
    page.goto(PAPER_URL)
    order = page.evaluate(
        """() => [...document.querySelectorAll('.paper-section')]
              .filter((s) => s.querySelector(':scope > .notes'))
              .map((s) => [...s.children].map((c) => c.className.split(' ')[0]))"""
    )
    assert order, "a section with notes"
    for children in order:
        assert children.index("margin") < children.index("notes"), children


# --- leaving a deleted thread ----------------------------------------------------------------


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_deleted_threads_address_leaves_the_history(
    page, busy_section, db, create_user, paper, size
):
    page.set_viewport_size(size)
    author = create_user(name="Del Eter")
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    section = db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == KEY)
    )
    mine = services.create_thread(author, paper, version, section, "Soon gone.")
    db.session.commit()
    log_in(page, author)
    page.goto(f"/annotations/{mine.id}")
    page.get_by_role("link", name=re.compile("^Delete")).first.click()
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(rf"/sections/{KEY}/$"))
    expect(page.locator(".flashes")).to_contain_text("Your contribution is deleted.")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/$"))


def test_time_and_replies_stay_as_choices(page, busy_section):
    _section, threads = busy_section
    page.set_viewport_size(DESKTOP)
    page.goto(PAPER_URL)
    margin = wait_for_cards(page, 20)
    order = margin.get_by_label("Order")
    expect(order).to_have_value("position")
    order.select_option("newest")
    expect(margin.locator(".thread-card").first).to_have_id(f"thread-{threads[-1].id}")
    expect(margin.locator(".margin__threads")).not_to_have_class(re.compile("aligned"))
    order.select_option("replies")
    expect(margin.locator(".thread-card").first).to_contain_text("1 reply")
    order.select_option("position")
    expect(margin.locator(".margin__threads")).to_have_class(re.compile("aligned"))
    expect(margin.locator(".thread-card").first).to_contain_text("On the whole section.")


def test_a_paragraphs_form_leads_to_choosing_its_words_with_the_keyboard(
    page, busy_section, create_user
):
    section, _threads = busy_section
    page.set_viewport_size(DESKTOP)
    page.emulate_media(reduced_motion="reduce")
    log_in(page, create_user())
    margin = wait_for_cards(page, 20)
    count = page.locator(f"#{KEY} .para-count").nth(3)
    count.scroll_into_view_if_needed()
    count.focus()
    page.keyboard.press("Enter")
    form = margin.get_by_role("form", name="Comment on paragraph 4")
    form.get_by_role("button", name="Or choose words in it with the keyboard").click()
    expect(form).to_have_count(0)
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Enter")
    passage = margin.get_by_role("form", name="Annotate this passage")
    start, _end = block_spans(section.text)[3]
    first_words = " ".join(section.text[start:].split()[:2])
    expect(passage.locator(".margin-form__quote")).to_contain_text(first_words)
    expect(passage.get_by_label("Your contribution")).to_be_focused()


def test_on_a_phone_every_control_outside_the_sentences_is_big_enough_to_tap(page, busy_section):
    page.set_viewport_size(PHONE)
    page.goto(PAPER_URL)
    wait_for_cards(page, 20)
    small = page.evaluate(
        """(SENTENCES) => [...document.querySelectorAll('a[href], button, select, input, textarea')]
          .filter((e) => e.offsetParent !== null)
          // Links inside the paper's sentences keep the line's height (WCAG 2.5.8 allows it).
          .filter((e) => !e.closest(SENTENCES))
          .map((e) => [e.textContent.trim().slice(0, 30), e.getBoundingClientRect()])
          .filter(([, r]) => r.width < 24 || r.height < 24)
          .map(([t, r]) => `${t}: ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        ".section-text p, .section-text li, .section-text td, .note__text",
    )
    assert small == []
