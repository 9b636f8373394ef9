"""Reading a paper in the browser: the table of contents, and footnotes in both directions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
SECTION_KEY = "public-sector-idiosyncrasies"
NOTE_4_TEXT = "From bureaucratic culture to citizen-oriented culture"


@pytest.fixture
def reader(page, paper, db):
    """A reader on the page of Think Paper 1, version 5.0."""
    db.session.commit()  # release SQLite for the live server (see conftest.py)
    response = page.goto(PAPER_URL)
    assert response is not None and response.ok, f"{PAPER_URL}: HTTP {response and response.status}"
    return page


def section_3_2(page):
    # Sections are elements with id="<key>" (CONTRACT.md, web pages).
    return page.locator(f"#{SECTION_KEY}")


def footnote_4_reference(page):
    return section_3_2(page).get_by_role("link", name="4", exact=True)


def test_contents_take_the_reader_to_a_section(reader):
    contents = reader.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name=re.compile(r"^3\.2\b")).click()

    expect(reader).to_have_url(re.compile(f"#{SECTION_KEY}$"))
    heading = reader.get_by_role("heading", name=re.compile(r"Public sector idiosyncrasies"))
    expect(heading).to_be_in_viewport()


def test_footnote_reference_shows_the_note_in_place_on_hover_and_focus(reader):
    reference = footnote_4_reference(reader)
    expect(reference).to_have_attribute("href", "#fn-4")
    reference.scroll_into_view_if_needed()
    url, scroll = reader.url, reader.evaluate("window.scrollY")

    reference.hover()
    tooltip = reader.get_by_role("tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(NOTE_4_TEXT)
    assert reader.url == url, "hovering a note reference must not navigate"
    assert reader.evaluate("window.scrollY") == scroll, "hovering must not scroll the text"

    reader.mouse.move(0, 0)
    expect(tooltip).to_be_hidden()

    reference.focus()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(NOTE_4_TEXT)
    assert reader.url == url, "focusing a note reference must not navigate"


def test_footnote_tooltip_is_dismissed_with_escape(reader):
    """WCAG 2.1 SC 1.4.13: content shown on hover or focus can be dismissed."""
    reference = footnote_4_reference(reader)
    reference.focus()
    tooltip = reader.get_by_role("tooltip")
    expect(tooltip).to_be_visible()

    reader.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    expect(reference).to_be_focused()


def test_footnote_reference_leads_to_the_note_and_back(reader):
    section = section_3_2(reader)
    reference = footnote_4_reference(reader)

    reference.click()
    expect(reader).to_have_url(re.compile(r"#fn-4$"))
    note = section.locator("#fn-4")
    assert note.evaluate("element => element.tagName") == "LI"
    expect(note).to_contain_text(NOTE_4_TEXT)
    expect(note).to_be_in_viewport()

    back = note.get_by_role("link", name=re.compile(r"back|return", re.IGNORECASE))
    expect(back).to_have_attribute("href", "#fnref-4")
    expect(back).to_have_accessible_name(re.compile(r"\b4\b"))
    back.click()
    expect(reader).to_have_url(re.compile(r"#fnref-4$"))
    expect(reader.locator("#fnref-4")).to_be_in_viewport()


def test_table_1_fits_a_phone_and_scrolls_within_itself(page, paper, db):
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(PAPER_URL)
    table = page.get_by_role("table", name="Table 1 Approaches to public management")
    table.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page widened"
    region = page.get_by_role("region", name="Table 1 Approaches to public management")
    expect(region).to_be_visible()
    expect(region).to_have_attribute("tabindex", "0")  # scrollable with the keyboard
    region.focus()
    reader_scroll = region.evaluate("element => element.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("element => element.scrollLeft > 0", arg=region.element_handle())
    assert region.evaluate("element => element.scrollLeft") > reader_scroll
    header = page.get_by_role("rowheader", name="Public interest")
    expect(header).to_be_in_viewport()  # the row headers stay in view while the cells scroll
    contents = page.get_by_role("navigation", name="Contents")
    expect(contents.get_by_role("link", name=re.compile(r"^3\.2\b"))).to_be_hidden()  # folded


def test_print_shows_the_paper_and_its_notes_without_site_navigation(page, paper, db):
    db.session.commit()
    page.goto(PAPER_URL)
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Contents")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Site")).to_be_hidden()
    expect(page.locator("#fn-4")).to_be_visible()
    expect(page.get_by_role("heading", name="3.2 Public sector idiosyncrasies …")).to_be_visible()
