"""A definition from selection to adoption, in a browser: select "citizen-centric" in the
paper, propose a definition, another account supports it, an editor adopts it — and the
term is marked in sections 5 and 6 with its definition on hover and on keyboard focus."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in

pytestmark = pytest.mark.browser

WORD = "citizen-centric"
DEFINITION = "Organised around what citizens need, not around the administration's structure."


def select_text(page, section_key: str, words: str) -> None:
    """Select the first occurrence of `words` in a section's text, as a mouse would."""
    page.evaluate(
        """([key, words]) => {
          const root = document.querySelector(`#${key} .section-text`);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            document.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
            return;
          }
          throw new Error(`no "${words}" in ${key}`);
        }""",
        [section_key, words],
    )


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_select_propose_support_adopt_and_see_it_marked(page, paper, create_user, db):
    proposer = create_user(name="Pia Proposer")
    supporter = create_user(name="Sam Supporter")
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()

    log_in(page, proposer)
    page.goto("/papers/think-paper-1/")
    select_text(page, "citizen-centric-delivery", WORD)
    define = page.get_by_role("link", name="Define this term")
    expect(define).to_be_visible()
    define.click()
    expect(page.get_by_label("Term")).to_have_value(WORD)
    page.get_by_label("First definition (optional)").fill(DEFINITION)
    page.get_by_role("button", name="Start the term").click()
    expect(page).to_have_url(re.compile(r"/glossary/citizen-centric"))
    expect(page.get_by_text(DEFINITION)).to_be_visible()
    log_out(page)

    log_in(page, supporter)
    page.goto("/glossary/citizen-centric")
    page.get_by_role("button", name=re.compile(r"^Support")).first.click()
    expect(page.get_by_text("Support: 1")).to_be_visible()
    log_out(page)

    log_in(page, editor)
    page.goto("/glossary/citizen-centric")
    page.locator("summary", has_text="Adopt").first.click()
    page.get_by_role("button", name="Adopt as the definition").click()
    expect(page.locator("#definition")).to_contain_text(DEFINITION)
    no_violations(page, "the term page with its adopted definition")
    log_out(page)

    page.goto("/papers/think-paper-1/")
    tip = page.locator("#term-tip-citizen-centric")
    for key in ("citizen-centric-delivery", "summing-up"):
        marked = page.locator(f"#{key} .section-text a.term[data-term='citizen-centric']")
        expect(marked).to_have_count(1)  # the first occurrence in each section
        marked.hover()
        expect(tip).to_be_visible()
        expect(tip).to_contain_text(DEFINITION)
        page.keyboard.press("Escape")
        expect(tip).to_be_hidden()
        page.mouse.move(0, 0)
        marked.focus()  # what Tab does when it reaches the link
        expect(tip).to_be_visible()
        page.keyboard.press("Escape")
        expect(tip).to_be_hidden()
    no_violations(page, "the paper with marked terms")
