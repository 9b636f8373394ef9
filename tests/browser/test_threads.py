"""The discussion in a browser: reply, edit and delete in place; a paragraph comment with
the keyboard alone; a section comment without JavaScript; and axe with threads open.

"In place" means no reload: each test sets `window.__marker` and checks it survives.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

KEY = "public-sector-idiosyncrasies"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"


def log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=user.display_name)).to_be_visible()


def mark(page) -> None:
    page.evaluate("window.__marker = 1")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def focused_name(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : ''; }"
    )


def assert_no_violations(page, where: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe found {len(violations)} violations on {where}:\n" + describe(
        violations
    )


@pytest.fixture
def member(create_user):
    return create_user(name="Mira Member")


def test_reply_in_place_with_errors_shown_then_the_reply_where_it_belongs(
    page, member, create_annotation, create_user
):
    other = create_user(name="Olga Other")
    root = create_annotation("Is bureaucracy essential?", author=other)
    log_in(page, member)
    page.goto(f"/annotations/{root.id}")
    mark(page)

    page.get_by_role("article", name="Comment by Olga Other").get_by_role(
        "link", name="Reply to Olga Other"
    ).click()
    panel = page.get_by_role("region", name="Reply to Olga Other")
    box = panel.get_by_label("Your reply")
    expect(box).to_be_focused()

    panel.get_by_role("button", name="Reply").click()  # nothing written: refused in place
    expect(panel.get_by_role("alert")).to_be_focused()
    expect(panel.get_by_role("alert")).to_contain_text("Please correct the marked fields")

    panel.get_by_label("Your reply").fill("It is, for *transparency*.")
    panel.get_by_role("button", name="Reply").click()
    reply = page.get_by_role("article", name="Reply by Mira Member")
    expect(reply).to_contain_text("It is, for transparency.")
    expect(reply.locator("em")).to_have_text("transparency")
    expect(reply).to_be_focused()
    expect(panel).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Reply posted.")
    expect(page.get_by_role("heading", name="1 reply")).to_be_visible()

    # A reply to that reply nests under it.
    reply.get_by_role("link", name="Reply to Mira Member").click()
    inner = page.get_by_role("region", name="Reply to Mira Member")
    inner.get_by_label("Your reply").fill("Answering myself.")
    inner.get_by_role("button", name="Reply").click()
    nested = page.locator("ol.replies--top > li > ol.replies > li > article")
    expect(nested).to_contain_text("Answering myself.")
    expect(page.get_by_role("heading", name="2 replies")).to_be_visible()
    assert_not_reloaded(page)


def test_edit_then_delete_a_thread_with_replies_in_place(
    page, member, create_annotation, create_user
):
    root = create_annotation("First words.", author=member)
    create_annotation("A reply that stays.", parent=root, author=create_user(name="Olga Other"))
    log_in(page, member)
    page.goto(f"/annotations/{root.id}")
    mark(page)
    mine = page.get_by_role("article", name="Comment by Mira Member")

    mine.get_by_role("link", name="Edit your contribution").click()
    panel = page.get_by_role("region", name="Edit your comment")
    field = panel.get_by_label("Your contribution")
    expect(field).to_be_focused()
    expect(field).to_have_value("First words.")
    field.fill("Better *words*.")
    panel.get_by_role("button", name="Preview").click()  # previewed in place too
    expect(panel.get_by_role("heading", name="Preview")).to_be_focused()
    expect(panel.locator(".preview__body em")).to_have_text("words")
    expect(panel.get_by_label("Your contribution")).to_have_value("Better *words*.")
    panel.get_by_role("button", name="Save changes").click()
    expect(mine).to_contain_text("Better words.")
    expect(mine.get_by_role("link", name=re.compile("^edited"))).to_be_visible()
    expect(mine).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Edited")

    mine.get_by_role("link", name="Delete your contribution").click()
    confirm = page.get_by_role("region", name="Delete your contribution?")
    confirm.get_by_role("button", name="Delete").click()
    placeholder = page.get_by_role("article", name="Deleted contribution")
    expect(placeholder).to_contain_text("This contribution was deleted.")
    expect(page.get_by_role("article", name="Reply by Olga Other")).to_contain_text(
        "A reply that stays."
    )
    expect(page.get_by_role("status")).to_have_text("Deleted")
    expect(page.locator("#reply-form")).to_contain_text("it takes no more replies")
    assert_not_reloaded(page)


def test_annotate_a_paragraph_with_the_keyboard_alone(page, member, paper):
    log_in(page, member)
    page.goto("/papers/think-paper-1/")
    page.locator("body").focus()
    for _ in range(400):
        page.keyboard.press("Tab")
        if focused_name(page).startswith("on one of its paragraphs"):
            break
    else:
        pytest.fail("Tab never reached a margin's paragraph link")
    # "on one of its paragraphs" leads to the first paragraph's count, which opens its
    # discussion with a form in place (below 84rem, in a panel over the text).
    page.keyboard.press("Enter")
    count = page.get_by_role("button", name=re.compile(r"^Paragraph 1: comment$")).first
    expect(count).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog")
    expect(panel.get_by_role("form", name="Comment on paragraph 1")).to_be_visible()
    expect(panel.get_by_label("Your contribution")).to_be_focused()
    page.keyboard.type("This paragraph says it well.")
    for _ in range(6):
        page.keyboard.press("Tab")
        if focused_name(page) == "Post":
            break
    else:
        pytest.fail("Tab never reached the Post button")
    page.keyboard.press("Enter")  # posted in place: focus goes to the new thread's card
    expect(panel.get_by_role("status")).to_have_text("Comment posted.")
    card = panel.get_by_role("article", name="Comment by Mira Member")
    expect(card).to_be_focused()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/$"))
    card.get_by_role("link", name=re.compile("^Open thread")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/annotations/\d+"))
    quote = page.get_by_role("figure")
    expect(quote).to_contain_text(re.compile("The paragraph in .*, with the text around it"))
    expect(page.get_by_role("article", name="Comment by Mira Member")).to_contain_text(
        "This paragraph says it well."
    )


def test_a_section_comment_without_javascript(browser, live_server, member, paper):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, member)
        page.goto(SECTION_PAGE)
        expect(page.get_by_role("radio", name=re.compile("^Comment"))).to_be_checked()
        page.get_by_label("Your contribution").fill("Said without a script.")
        page.get_by_role("button", name="Post").click()
        expect(page).to_have_url(re.compile(r"/annotations/\d+$"))
        expect(page.get_by_text("Comment posted.")).to_be_visible()
        expect(page.get_by_role("article", name="Comment by Mira Member")).to_contain_text(
            "Said without a script."
        )
        page.goto(SECTION_PAGE)
        expect(page.get_by_role("heading", name="1 thread")).to_be_visible()
    finally:
        context.close()


def test_axe_finds_nothing_on_the_margin_or_a_thread_with_its_forms_open(
    page, member, create_annotation, create_user
):
    other = create_user(name="Olga Other")
    root = create_annotation("On the whole section.", author=other)
    create_annotation("On a passage.", author=member, quote="a more bureaucratic culture")
    create_annotation("A reply.", parent=root, author=member)
    log_in(page, member)

    page.goto("/papers/think-paper-1/")
    expect(page.locator(f"#discussion-{KEY} .thread-card")).to_have_count(2)
    assert_no_violations(page, "the paper page with threads in the margin")

    page.goto(f"/annotations/{root.id}")
    page.get_by_role("link", name="Reply to Olga Other").first.click()
    expect(page.get_by_role("region", name="Reply to Olga Other")).to_be_visible()
    page.get_by_role("link", name="Edit your contribution").click()
    expect(page.get_by_role("region", name="Edit your reply")).to_be_visible()
    assert_no_violations(page, "a thread page with its reply and edit forms open")


def test_a_section_comment_in_place(page, member, create_annotation, create_user):
    create_annotation("An earlier thread.", author=create_user(name="Olga Other"))
    log_in(page, member)
    page.goto(SECTION_PAGE)
    expect(page.get_by_role("heading", name="1 thread", exact=True)).to_be_visible()
    mark(page)

    page.get_by_role("button", name="Post").click()  # nothing written: refused in place
    errors = page.locator("#new-thread [role=alert]")
    expect(errors).to_be_focused()
    expect(errors).to_contain_text("Please correct the marked fields")

    page.get_by_label("Your contribution").fill("Said *in place*.")
    page.get_by_role("button", name="Post").click()
    new = page.locator(".thread-list > li").last.get_by_role(
        "article", name="Comment by Mira Member"
    )
    expect(new).to_contain_text("Said in place.")
    expect(new).to_be_focused()
    expect(page.get_by_role("heading", name="2 threads", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Comment posted.")
    expect(page.get_by_label("Your contribution")).to_have_value("")
    expect(page.locator("#new-thread [role=alert]")).to_have_count(0)
    assert_not_reloaded(page)
