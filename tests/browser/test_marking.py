"""Glossary terms in the browser: a marked term shows its definition on hover and keyboard
focus, Escape hides it, the reader switches marking without a reload, and passage highlights
still cover the same text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.annotations.services import QuoteInput
from app.definitions import services
from app.models import PaperVersion, Role, Section

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
SECTION_KEY = "public-sector-idiosyncrasies"
PHRASE = "a more bureaucratic culture than businesses"
TERMS = re.compile(r"(?i)(?<!\w)(?:bureaucratic culture|hierarchies)(?!\w)")


def section_text(db, paper, key=SECTION_KEY) -> str:
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    return db.session.scalar(
        select(Section.text).where(Section.version_id == version.id, Section.key == key)
    )


@pytest.fixture
def defined(db, paper, create_user):
    """“bureaucratic culture” with an adopted definition, and an open proposal for “reform”."""
    editor = create_user(Role.EDITOR)
    term, proposal = services.create_term(
        editor, "bureaucratic culture", definition="Rule-bound ways of *working*."
    )
    services.adopt(editor, proposal)
    services.create_term(editor, "hierarchies", definition="Who answers to whom.")
    db.session.commit()
    return term


@pytest.fixture
def highlighted(db, paper, defined, create_annotation):
    text = section_text(db, paper)
    start = text.index(PHRASE)
    annotation = create_annotation(
        "Which culture?", quote=QuoteInput(PHRASE, start=start, end=start + len(PHRASE))
    )
    db.session.commit()
    return annotation


def test_hover_and_focus_show_the_definition_and_escape_hides_it(page, defined, highlighted, db):
    db.session.commit()
    page.goto(PAPER_URL)
    term = page.locator(f'#{SECTION_KEY} .section-text a.term[data-term="{defined.slug}"]')
    expect(term).to_have_count(1)
    expect(term).to_have_text("bureaucratic culture")
    tip = page.locator(f"#term-tip-{defined.slug}")
    expect(tip).to_be_hidden()

    term.hover()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Rule-bound ways of working.")
    expect(
        tip.get_by_role("link", name="“bureaucratic culture” in the glossary")
    ).to_have_attribute("href", f"/glossary/{defined.slug}")
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    page.mouse.move(0, 0)

    # With the keyboard alone: Tab from the link before it in the text.
    for _ in range(400):
        page.keyboard.press("Tab")
        if term.evaluate("e => e === document.activeElement"):
            break
    expect(term).to_be_focused()
    expect(tip).to_be_visible()
    expect(term).to_have_accessible_description(
        "bureaucratic culture Rule-bound ways of working. Read more and discuss: "
        "“bureaucratic culture” in the glossary"
    )
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    expect(term).to_be_focused()


def test_a_passage_highlight_still_covers_the_same_text_and_the_term_still_works(
    page, defined, highlighted, db, paper
):
    db.session.commit()
    page.goto(PAPER_URL)
    section = page.locator(f"#{SECTION_KEY} .section-text")
    marks = section.locator(f'mark[data-annotations~="{highlighted.id}"]')
    expect(marks.first).to_be_visible()
    assert "".join(marks.all_text_contents()) == PHRASE
    assert section.evaluate("e => e.textContent") == section_text(db, paper)

    term = section.locator(f'a.term[data-term="{defined.slug}"]')
    # the term lies inside the highlight, whole
    expect(term.locator("mark.annotation-highlight")).to_have_count(1)
    term.hover()
    expect(page.locator(f"#term-tip-{defined.slug}")).to_be_visible()
    # the highlight still leads to its thread
    page.mouse.move(0, 0)
    marks.first.hover()
    expect(page.locator(f"#thread-{highlighted.id}")).to_have_class(
        "thread-card thread-card--compact is-active"
    )


def test_the_reader_switches_marking_without_a_reload(page, defined, highlighted, db, paper):
    db.session.commit()
    page.goto(PAPER_URL)
    page.evaluate("window.notReloaded = true")
    section_texts = page.evaluate(
        "() => [...document.querySelectorAll('.section-text')].map((e) => e.textContent)"
    )
    terms = page.locator(".section-text a.term")
    first = terms.count()
    assert first >= 2
    expect(page.locator("form.term-marking button")).to_be_hidden()

    page.get_by_role("radio", name="none").check()
    expect(terms).to_have_count(0)
    page.get_by_role("radio", name="all").check()
    expect(terms).to_have_count(sum(len(TERMS.findall(text)) for text in section_texts))
    page.get_by_role("radio", name="first in each section").check()
    expect(terms).to_have_count(first)
    assert page.evaluate("window.notReloaded") is True
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('.section-text')].map((e) => e.textContent)"
        )
        == section_texts
    )
    # the highlight survived the switches, and the choice is remembered
    marks = page.locator(f'mark[data-annotations~="{highlighted.id}"]')
    assert "".join(marks.all_text_contents()) == PHRASE
    page.get_by_role("radio", name="none").check()
    page.reload()
    expect(terms).to_have_count(0)
    expect(page.get_by_role("radio", name="none")).to_be_checked()


def test_without_javascript_the_choice_is_a_form(browser, live_server, defined, db):
    db.session.commit()
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(PAPER_URL)
        terms = page.locator(".section-text a.term")
        assert terms.count() >= 2
        page.get_by_role("radio", name="none").check()
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url("**?terms=none")
        expect(terms).to_have_count(0)
        page.goto(PAPER_URL)
        expect(terms).to_have_count(0)
    finally:
        context.close()


def test_axe_finds_nothing_with_terms_marked_and_a_definition_shown(page, defined, highlighted, db):
    from tests.browser.test_threads import assert_no_violations

    db.session.commit()
    page.goto(PAPER_URL)
    term = page.locator(f'#{SECTION_KEY} .section-text a.term[data-term="{defined.slug}"]')
    term.focus()
    expect(page.locator(f"#term-tip-{defined.slug}")).to_be_visible()
    assert_no_violations(page, "the paper with marked terms and a definition shown")
