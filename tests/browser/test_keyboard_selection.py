"""Selecting a passage with the keyboard: keyboard selection in a section's text (caret.js)
moves a drawn caret, extends the browser's selection and annotates it through the same form as
the mouse; Escape gives the focus back; Alt+Shift+A with nothing selected says what to do."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from app.core.anchoring import block_spans
from app.models import Annotation
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_passages import (
    PAPER_URL,
    SECTION_KEY,
    SELECT_BETWEEN,
    log_in,
    section_text,
    sections_of,
)

pytestmark = pytest.mark.browser

# The modules as the page loaded them (under their fingerprinted names): importing them again
# gives the same instances, with the page's state.
CARET = """document.querySelector('script[src*="/js/caret."]').src"""
ANNOTATE = """document.querySelector('script[src*="/js/annotate."]').src"""
ROOT = f"#{SECTION_KEY} .section-text"
SELECT_FIRST = (
    "Select some words first — with the mouse, or press Alt+Shift+S to select with the keyboard."
)

SELECTION = """(key) => {
  // The selection as code-point offsets of the section's text, counted here independently of
  // the modules under test.
  const root = document.querySelector(`.section-text[data-section="${key}"]`);
  const selection = document.getSelection();
  if (!selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  const before = (container, offset) => {
    const r = document.createRange();
    r.setStart(root, 0);
    r.setEnd(container, offset);
    return [...r.toString()].length;
  };
  return {start: before(range.startContainer, range.startOffset),
          end: before(range.endContainer, range.endOffset),
          focusInside: root.contains(selection.focusNode),
          text: range.toString()};
}"""


@pytest.fixture
def reader_page(page, paper, db):
    db.session.commit()  # release SQLite for the live server (see conftest.py)
    page.emulate_media(reduced_motion="reduce")  # jumps to a section land at once
    return page


def status_text(page) -> str:
    return page.locator(".site-status__said").text_content() or ""


def section_markup(page) -> dict:
    """The section's text and markup (less the footnote preview's link to a focused reference)."""
    return page.locator(ROOT).evaluate(
        """e => ({text: e.textContent,
                  html: e.innerHTML.replaceAll(' aria-describedby="footnote-tip"', '')})"""
    )


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["wide", "phone"])
def test_a_passage_is_selected_and_annotated_with_the_keyboard_alone(
    reader_page, create_user, db, paper, viewport
):
    page = reader_page
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    user = create_user()
    log_in(page, user)
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    before = section_markup(page)
    text = section_text(db, paper)
    assert text.startswith("Organisations in the public realm")

    page.keyboard.press("Alt+Shift+S")
    root = page.locator(ROOT)
    expect(root).to_be_focused()
    expect(root).to_have_attribute("role", "group")
    expect(root).to_have_class("section-text is-caret-mode")
    caret = page.locator(f"#{SECTION_KEY} .caret-mark")
    expect(caret).to_be_visible()
    hint = page.locator(f"#{SECTION_KEY} .caret-hint")
    expect(hint).to_contain_text("Shift+arrows select · Enter annotates · Esc leaves")
    expect(hint).to_be_in_viewport()
    expect(page.locator(".site-status__said")).to_contain_text(
        "Keyboard selection in “3.2 Public sector idiosyncrasies …”"
    )
    assert page.evaluate(SELECTION, SECTION_KEY)["start"] == 0

    # Move past "Organisations ", then select three words, one character more and back.
    start_box = caret.bounding_box()
    for _ in range(len("Organisations ")):
        page.keyboard.press("ArrowRight")
    assert page.evaluate(SELECTION, SECTION_KEY) == {
        "start": 14,
        "end": 14,
        "focusInside": True,
        "text": "",
    }
    moved_box = caret.bounding_box()
    assert moved_box["x"] > start_box["x"], "the drawn caret follows the selection"
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate(SELECTION, SECTION_KEY)["text"].strip() == "in the public"
    expect(hint).to_contain_text("Selected: 3 words")
    expect(page.locator(".site-status__said")).to_contain_text("Selected: “in the public”")

    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Annotate this passage")
    expect(form.locator(".margin-form__quote")).to_have_text("On the words: in the public")
    body = form.get_by_label("Your contribution")
    expect(body).to_be_focused()
    expect(caret).to_have_count(0)
    expect(root).not_to_have_attribute("tabindex", "-1")
    page.keyboard.type("Which realm, exactly?")
    page.keyboard.press("Tab")  # the text's language, Preview, then Post
    expect(form.get_by_label("Language of your text")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Post")).to_be_focused()
    page.keyboard.press("Enter")

    expect(form).to_have_count(0)
    db.session.rollback()  # see what the browser wrote
    stored = db.session.scalar(select(Annotation).where(Annotation.author_id == user.id))
    start = text.index("in the public realm")
    assert (stored.quote_start, stored.quote_end) == (start, start + len("in the public"))
    assert stored.quote_exact == "in the public"
    mark = page.locator(f'{ROOT} mark[data-annotations~="{stored.id}"]')
    expect(mark.first).to_be_attached()
    # The new thread's card has the focus: in the margin, or in the panel over the text.
    focused = page.locator(":focus")
    expect(focused).to_have_id(re.compile(rf"^(panel-)?thread-{stored.id}$"))
    assert "".join(mark.all_text_contents()) == "in the public"
    assert section_markup(page)["text"] == before["text"] == text


def test_escape_leaves_and_gives_the_focus_back(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    before = section_markup(page)
    # A footnote reference in the section's text has the focus: the mode starts before it.
    link = page.locator(f"{ROOT} .fnref a").first
    link.focus()
    expect(link).to_be_focused()
    link_at = link.evaluate(
        """(a) => { const r = document.createRange();
                    r.setStart(a.closest('.section-text'), 0); r.setEndBefore(a);
                    return [...r.toString()].length; }"""
    )
    page.keyboard.press("Alt+Shift+S")
    root = page.locator(ROOT)
    expect(root).to_be_focused()
    assert page.evaluate(SELECTION, SECTION_KEY)["start"] == link_at
    page.keyboard.press("Shift+Home")
    assert page.evaluate(SELECTION, SECTION_KEY)["start"] < link_at
    page.keyboard.press("Escape")
    expect(link).to_be_focused()
    for name in ("tabindex", "role", "aria-label", "aria-describedby"):
        assert root.get_attribute(name) is None, name
    expect(page.locator(".caret-mark, .caret-hint")).to_have_count(0)
    expect(page.locator(".site-status__said")).to_have_text("Keyboard selection ended.")
    assert section_markup(page) == before


def test_escape_without_a_focused_element_leaves_the_text_unfocused(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    page.keyboard.press("Alt+Shift+S")
    root = page.locator(ROOT)
    expect(root).to_be_focused()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement === document.body")
    assert root.get_attribute("tabindex") is None


def test_alt_shift_a_with_nothing_selected_says_how_to_select(reader_page, create_user):
    page = reader_page
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, create_user())
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    page.keyboard.press("Alt+Shift+A")
    note = page.locator(f"#{SECTION_KEY} .select-first-note")
    expect(note).to_have_text(SELECT_FIRST)
    expect(note).to_be_in_viewport()
    expect(page.locator(".site-status__said")).to_have_text(SELECT_FIRST)
    expect(page.get_by_role("form", name="Annotate this passage")).to_have_count(0)

    # Selecting takes the note away, and the shortcut goes to the button again.
    page.keyboard.press("Alt+Shift+S")
    expect(note).to_be_hidden()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+Shift+A")
    expect(page.get_by_role("button", name="Annotate")).to_be_focused()


def test_an_anonymous_reader_selects_with_the_keyboard_and_is_led_to_log_in(reader_page):
    page = reader_page
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    page.keyboard.press("Alt+Shift+A")
    expect(page.locator(f"#{SECTION_KEY} .select-first-note")).to_have_text(SELECT_FIRST)
    page.keyboard.press("Alt+Shift+S")
    expect(page.locator(f"#{SECTION_KEY} .caret-hint")).to_contain_text("Enter: log in to annotate")
    expect(page.locator(".site-status__said")).to_contain_text("Enter leads to logging in")
    page.keyboard.press("Enter")  # nothing selected yet: said, and the mode stays
    expect(page.locator(".site-status__said")).to_have_text(
        "Nothing selected yet: hold Shift and press the arrow keys."
    )
    expect(page.locator(ROOT)).to_be_focused()
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?next=*")
    assert SECTION_KEY in page.url


def test_keys_move_by_line_and_stay_inside_the_section(reader_page, create_user, db, paper):
    page = reader_page
    log_in(page, create_user())
    text = section_text(db, paper)
    length = len(text)
    started = page.evaluate(
        f"""async () => (await import({CARET})).startCaret(
              document.querySelector({ROOT!r}), {{offset: 0}})"""
    )
    assert started is True
    # Moves without Shift say what follows the caret: a character, a word, the rest of the line.
    status = page.locator(".site-status__said")
    page.keyboard.press("ArrowRight")
    expect(status).to_have_text("r")
    page.keyboard.press("Control+ArrowRight")
    expect(status).to_have_text("in")
    page.keyboard.press("Home")
    expect(status).to_contain_text("Organisations in the public realm")
    page.keyboard.press("End")
    line_end = page.evaluate(SELECTION, SECTION_KEY)["start"]
    assert 0 < line_end < text.index("\n")
    page.keyboard.press("Home")
    assert page.evaluate(SELECTION, SECTION_KEY)["start"] == 0
    page.keyboard.press("ArrowUp")  # no line above the section's first: the caret stays
    assert page.evaluate(SELECTION, SECTION_KEY)["start"] == 0
    page.keyboard.press("Shift+ArrowDown")
    down = page.evaluate(SELECTION, SECTION_KEY)
    assert down["start"] == 0 and 0 < down["end"] < text.index("\n")
    page.keyboard.press("Shift+ArrowUp")
    assert page.evaluate(SELECTION, SECTION_KEY)["end"] == 0
    page.keyboard.press("Control+End")
    assert page.evaluate(SELECTION, SECTION_KEY)["end"] == length
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    end = page.evaluate(SELECTION, SECTION_KEY)
    assert end["focusInside"] and end["end"] == length
    page.keyboard.press("Control+Shift+Home")
    whole = page.evaluate(SELECTION, SECTION_KEY)
    assert (whole["start"], whole["end"]) == (0, length)
    expect(page.locator(ROOT)).to_be_focused()


def test_start_caret_at_a_paragraph_and_paragraph_spans_match_the_server(
    reader_page, create_user, db, paper
):
    page = reader_page
    log_in(page, create_user())
    sections = sections_of(db, paper)
    spans = page.evaluate(
        f"""async () => {{
          const m = await import({ANNOTATE});
          return Object.fromEntries([...document.querySelectorAll('.section-text')]
            .map((e) => [e.dataset.section, m.paragraphSpans(e.textContent)]));
        }}"""
    )
    for section in sections:
        assert [tuple(s) for s in spans[section.key]] == block_spans(section.text), section.key
    tricky = "\n  \nOne\u00a0two \U0001f600\n\x1c\n\ufeff\nthree\n"
    got = page.evaluate(f"async (t) => (await import({ANNOTATE})).paragraphSpans(t)", tricky)
    assert [tuple(s) for s in got] == block_spans(tricky)

    text = section_text(db, paper)
    third = block_spans(text)[2]
    result = page.evaluate(
        f"""async () => {{
          const m = await import({CARET});
          const root = document.querySelector({ROOT!r});
          return [m.startCaret(root, {{paragraph: 0}}), m.startCaret(root, {{paragraph: 99}}),
                  m.startCaret(root, {{offset: "1"}}), m.startCaret(document.body, {{}}),
                  m.startCaret(root, {{paragraph: 3}})];
        }}"""
    )
    assert result == [False, False, False, False, True]
    at = page.evaluate(SELECTION, SECTION_KEY)
    assert (at["start"], at["end"]) == (third[0], third[0])
    expect(page.locator(ROOT)).to_be_focused()
    page.keyboard.press("Shift+End")
    chosen = page.evaluate(SELECTION, SECTION_KEY)
    assert text[third[0] :].startswith(chosen["text"])
    assert page.evaluate(f"async () => (await import({CARET})).stopCaret()") is True
    assert page.evaluate(f"async () => (await import({CARET})).stopCaret()") is False


def test_tab_out_of_the_text_ends_keyboard_selection(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    page.keyboard.press("Alt+Shift+S")
    expect(page.locator(ROOT)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(ROOT)).not_to_be_focused()
    expect(page.locator(".caret-mark")).to_have_count(0)
    assert page.locator(ROOT).get_attribute("tabindex") is None


def test_axe_finds_no_violation_in_keyboard_selection(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    page.goto(f"{PAPER_URL}#{SECTION_KEY}")
    page.keyboard.press("Alt+Shift+A")
    expect(page.locator(".select-first-note")).to_be_visible()
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)
    page.keyboard.press("Alt+Shift+S")
    page.keyboard.press("Control+Shift+ArrowRight")
    expect(page.locator(".caret-hint")).to_contain_text("Selected: 1 word")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_the_mouse_selection_path_is_unchanged(reader_page, create_user):
    page = reader_page
    log_in(page, create_user())
    page.evaluate(SELECT_BETWEEN, [SECTION_KEY, "Organisations in the public", "realm"])
    page.get_by_role("button", name="Annotate").click()
    form = page.get_by_role("form", name="Annotate this passage")
    expect(form.locator(".margin-form__quote")).to_have_text(
        "On the words: Organisations in the public realm"
    )
