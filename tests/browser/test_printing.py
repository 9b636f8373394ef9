"""Printing and phones: the paper page prints the paper alone in one column, the printable
page prints it with its comments as endnotes, footnote links are big enough to tap, and the
contents button never lies over the text."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_passages import sections_of
from tests.web.test_api_annotations import open_for_comments

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
PRINT_URL = "/papers/think-paper-1/v/5.0/print/"
KEY = "public-sector-idiosyncrasies"
PHRASE = "more bureaucratic culture than businesses"
PHONE = {"width": 390, "height": 844}

# What the paper page must not print, and what it must.
DISCUSSION = (
    "aside.margin, .thread-card, .annotate-button, .passage-form, .term-marking, .to-contents, .toc"
)

BOXES = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {x: r.x, y: r.y, width: r.width, height: r.height,
          shown: r.width > 0 && r.height > 0 && style.visibility !== 'hidden'};
})"""

# Every visible element outside the section texts that overlaps one of them (its own
# descendants and ancestors excepted): nothing may lie over the text.
OVERLAPS = """() => {
  const texts = Array.from(document.querySelectorAll('.section-text'));
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (texts.some((t) => t.contains(el) || el.contains(t))) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
    for (const t of texts) {
      const s = t.getBoundingClientRect();
      const apart = r.right - 1 <= s.left || s.right - 1 <= r.left
        || r.bottom - 1 <= s.top || s.bottom - 1 <= r.top;
      if (!apart) {
        found.push(`${el.tagName.toLowerCase()}.${el.className} over ${t.dataset.section}`);
      }
    }
  }
  return found;
}"""


@pytest.fixture
def discussed(paper, db, create_annotation):
    """Think Paper 1 with a thread on a section and one on a passage, with a reply."""
    open_for_comments(paper, db)
    create_annotation("On the whole section.")
    passage = create_annotation("On a passage.", quote=PHRASE)
    create_annotation("A reply.", parent=passage)
    db.session.commit()  # release SQLite (see conftest.py)
    return passage


def shown(page, selector: str) -> list[dict]:
    return [box for box in page.evaluate(BOXES, selector) if box["shown"]]


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF made by Chromium (one `/Type /Page` object each)."""
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_paper_page_prints_the_paper_alone_in_one_column(page, discussed, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(PAPER_URL)
    page.locator("mark.annotation-highlight").first.wait_for()
    assert shown(page, "aside.margin"), "the margin shows on screen"

    page.emulate_media(media="print")
    assert shown(page, DISCUSSION) == []
    assert page.evaluate(OVERLAPS) == []
    # Highlights and terms print as plain text.
    mark = page.locator("mark.annotation-highlight").first
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert mark.evaluate("m => getComputedStyle(m).borderBottomStyle") == "none"
    # The text takes the whole width of the page, not a column of a grid.
    text = page.locator(f"#{KEY} .section-text").bounding_box()
    article = page.locator("article.paper").bounding_box()
    assert text["width"] >= article["width"] - 2
    assert page.locator("#acknowledgement").is_visible()

    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    assert 10 <= pdf_pages(pdf) <= 80


def test_the_printable_page_has_endnotes_and_prints(page, discussed):
    page.goto(PRINT_URL)
    page.get_by_label("with its comments as endnotes").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**comments=1")
    endnotes = page.locator(".endnote")
    assert endnotes.count() == 2
    assert "A reply." in endnotes.nth(1).inner_text()
    # The marks in the text lead to the endnotes and back.
    page.locator(f"#{KEY} .section-text .endnote-ref a").click()
    assert page.url.endswith("#endnote-2")
    assert page.locator("#endnote-2").is_visible()
    # The print button is there with the script.
    assert page.get_by_role("button", name="Print this page").is_visible()

    results = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not results, describe(results)

    page.emulate_media(media="print")
    assert not page.locator(".print-options").is_visible()
    assert page.locator(".endnotes").is_visible()
    assert page.evaluate(OVERLAPS) == []
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and 10 <= pdf_pages(pdf) <= 80


def test_the_paper_page_with_its_print_link_has_no_axe_violations_on_a_phone(page, discussed):
    page.set_viewport_size(PHONE)
    page.goto(PAPER_URL)
    page.get_by_role("link", name="Print…").wait_for()
    results = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not results, describe(results)


def test_footnote_links_are_big_enough_to_tap_on_a_phone(page, paper, db):
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(PAPER_URL)
    before = page.evaluate(
        "() => Array.from(document.querySelectorAll('.section-text')).map(s => s.textContent)"
    )
    targets = page.evaluate(BOXES, ".fnref a") + page.evaluate(BOXES, ".note__back")
    assert len(targets) > 10
    small = [box for box in targets if box["width"] < 24 or box["height"] < 24]
    assert small == []
    # Only boxes grew: the text is the same as the sections' stored text.
    assert before == [s.text for s in sections_of(db, paper)]


def test_the_contents_button_never_lies_over_the_text_on_a_phone(page, paper, db):
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(PAPER_URL)
    button = page.locator(".to-contents a")
    assert button.is_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    lines = "main p, main li, main td, main th, main h2, main h3, main h4, main blockquote"
    hits = page.evaluate(
        """([lines, step, height]) => {
          const hits = [];
          for (let y = 0; y < height; y += step) {
            window.scrollTo({top: y, behavior: 'instant'});
            const expected = Math.min(y, height - innerHeight);
            if (Math.abs(window.scrollY - expected) > 1) hits.push(`no scroll to ${y}`);
            const b = document.querySelector('.to-contents a').getBoundingClientRect();
            for (const el of document.querySelectorAll(lines)) {
              if (el.closest('.to-contents')) continue;
              // What a scrolling table hides beyond its edges is not shown.
              const clip = el.closest('.table-scroll')?.getBoundingClientRect();
              for (const box of el.getClientRects()) {
                const r = !clip ? box : {
                  left: Math.max(box.left, clip.left), right: Math.min(box.right, clip.right),
                  top: Math.max(box.top, clip.top), bottom: Math.min(box.bottom, clip.bottom)};
                if (r.bottom < 0 || r.top > innerHeight || r.right <= r.left) continue;
                if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom) {
                  hits.push(`${el.tagName} at ${y}: ${el.textContent.slice(0, 40)}`);
                }
              }
            }
          }
          return hits;
        }""",
        [lines, 300, height],
    )
    assert hits == []
    # Reachable by keyboard, and it leads to the contents.
    button.focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("#contents")
