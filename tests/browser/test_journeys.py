"""The site's main journeys as a screen reader and a keyboard meet them.

Every step finds what it acts on by its role and accessible name (what a screen reader
announces), never by markup, and acts with the keyboard: a control that cannot be found
this way has no name a screen reader could say. What a step changes is heard: after a
script posts, in the page's polite live region; after a form's redirect, in the flash
messages, which stand in the same region (`get_by_role("status")`).

Journeys: reading a section and its threads; annotating a passage chosen with the keyboard
(caret.js); replying to a thread; voting on a glossary proposal (the one thing votes are
cast on) and hearing it counted; flagging a contribution; moderating the queue (approving
a newcomer's comment, hiding a flagged one); publishing a version as a series editor.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.definitions import services as glossary
from app.models import Annotation, AnnotationStatus, PaperVersion, Role, TargetKind
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.conftest import DEFAULT_PASSWORD
from tests.unit.test_publishing import source_51

pytestmark = pytest.mark.browser

PAPER_URL = "/papers/think-paper-1/"
SECTION = "3.2 Public sector idiosyncrasies …"


# --- keyboard helpers ---------------------------------------------------------------------


def press(target: Locator, key: str = "Enter") -> None:
    """Give `target` the focus, as Tab would, and press `key` on it."""
    target.focus()
    expect(target).to_be_focused()
    target.page.keyboard.press(key)


def type_into(target: Locator, text: str) -> None:
    target.focus()
    target.page.keyboard.type(text)


def heard(where: Page | Locator) -> Locator:
    """The polite live region: what a screen reader says without moving (the page's, or a
    modal panel's)."""
    return where.get_by_role("status")


def log_in(page: Page, user) -> None:
    page.goto("/login")
    type_into(page.get_by_role("textbox", name="E-mail address"), user.email)
    type_into(page.get_by_role("textbox", name="Password"), DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=user.display_name)).to_be_visible()


@pytest.fixture
def reader_page(page, paper, db):
    db.session.commit()  # release SQLite for the live server (see conftest.py)
    page.emulate_media(reduced_motion="reduce")  # jumps to a section land at once
    return page


# --- the journeys ---------------------------------------------------------------------------


def test_a_reader_reaches_a_section_by_its_link_and_reads_a_thread_and_its_reply(
    reader_page, create_annotation, create_user, db
):
    page = reader_page
    author = create_user(name="Ada Author")
    thread = create_annotation("Which realm is meant?", author=author, quote="in the public realm")
    create_annotation("The public one, as in the title.", parent=thread)
    db.session.commit()

    page.goto(PAPER_URL)
    contents = page.get_by_role("navigation", name="Contents")
    press(contents.get_by_role("link", name=re.compile(r"^3\.2 Public sector idiosyncrasies")))
    expect(page).to_have_url(re.compile(r"#public-sector-idiosyncrasies$"))
    section = page.get_by_role("region", name=SECTION)
    expect(section.get_by_role("heading", name=SECTION)).to_be_in_viewport()

    discussion = section.get_by_role("complementary", name=f"Discussion of {SECTION}")
    card = discussion.get_by_role("article", name="Comment by Ada Author")
    expect(card).to_contain_text("Which realm is meant?")
    press(card.get_by_role("link", name=re.compile(r"^Open thread")))

    expect(page.get_by_role("heading", name=f"Comment on {SECTION}", level=1)).to_be_visible()
    root = page.get_by_role("article", name="Comment by Ada Author")
    expect(root.get_by_role("figure", name=re.compile("^The passage in 3.2"))).to_contain_text(
        "in the public realm"
    )
    replies = page.get_by_role("region", name="1 reply")
    expect(replies.get_by_role("heading", name="1 reply", level=2)).to_be_visible()
    expect(replies.get_by_role("article", name=re.compile(r"^Reply by "))).to_contain_text(
        "The public one, as in the title."
    )


@pytest.mark.parametrize(
    "viewport", [(1366, 900), (390, 844)], ids=["margin", "panel over the text"]
)
def test_a_passage_chosen_with_the_keyboard_is_annotated_and_the_post_is_heard(
    reader_page, create_user, db, viewport
):
    page = reader_page
    # Wide: the form opens in the margin. Narrow: in a modal panel over the text, which then
    # says what happened itself (what is outside a modal dialog is not read).
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    user = create_user(name="Kim Keyboard")
    db.session.commit()
    log_in(page, user)
    page.goto(f"{PAPER_URL}#public-sector-idiosyncrasies")

    page.keyboard.press("Alt+Shift+S")  # keyboard selection in the section in view
    expect(heard(page)).to_contain_text(f"Keyboard selection in “{SECTION}”")
    text = page.get_by_role("group", name=f"Text of “{SECTION}”: keyboard selection")
    expect(text).to_be_focused()
    for _ in range(len("Organisations ")):
        page.keyboard.press("ArrowRight")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    expect(heard(page)).to_contain_text("Selected: “in the public")
    page.keyboard.press("Alt+Shift+A")  # to the button that annotates the selection
    expect(page.get_by_role("button", name="Annotate", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    form = page.get_by_role("form", name="Annotate this passage")
    body = form.get_by_role("textbox", name="Your contribution")
    expect(body).to_be_focused()
    page.keyboard.type("Which realm, exactly?")
    page.keyboard.press("Tab")  # the text's language, Preview, then Post
    expect(form.get_by_role("combobox", name="Language of your text")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Post")).to_be_focused()
    page.keyboard.press("Enter")

    panel = page.get_by_role("dialog")
    where = panel if viewport[0] < 1000 else page
    expect(heard(where)).to_contain_text("Comment posted.")
    expect(form).to_have_count(0)
    card = where.get_by_role("article", name="Comment by Kim Keyboard")
    expect(card).to_be_focused()
    expect(card).to_contain_text("Which realm, exactly?")
    db.session.rollback()  # see what the browser wrote
    stored = db.session.scalar(select(Annotation).where(Annotation.author_id == user.id))
    assert stored.quote_exact.strip() == "in the public"


def test_a_reply_is_posted_in_place_and_heard(reader_page, create_annotation, create_user, db):
    page = reader_page
    thread = create_annotation("Is this still true?", author=create_user(name="Ada Author"))
    replier = create_user(name="Rae Replier")
    db.session.commit()
    log_in(page, replier)
    page.goto(f"/annotations/{thread.id}")

    form = page.get_by_role("region", name="Reply to the thread")
    type_into(form.get_by_role("textbox", name="Your reply"), "Yes, and more so since 2006.")
    press(form.get_by_role("button", name="Reply", exact=True))

    expect(heard(page)).to_contain_text("Reply posted.")
    reply = page.get_by_role("article", name="Reply by Rae Replier")
    expect(reply).to_be_focused()
    expect(reply).to_contain_text("Yes, and more so since 2006.")
    expect(page.get_by_role("heading", name="1 reply", level=2)).to_be_visible()


def test_a_vote_is_cast_with_the_keyboard_and_heard_counted(reader_page, create_user, db):
    page = reader_page
    ada, cy, voter = (create_user(name=n) for n in ("Ada", "Cy", "Vic Voter"))
    term, _first = glossary.create_term(ada, "Open data", definition="Data anyone may use.")
    glossary.propose(cy, term, "Data published under an open licence.", "Because.")
    db.session.commit()
    log_in(page, voter)
    page.goto(f"/glossary/{term.slug}")

    press(page.get_by_role("button", name="Support the proposal by Cy"))
    expect(heard(page)).to_contain_text("You support this proposal.")
    proposal = page.get_by_role("article", name="Proposal by Cy")
    expect(proposal).to_contain_text("Support: 1")
    expect(proposal).to_contain_text("Your vote: support")
    pressed = proposal.get_by_role("button", name=re.compile("^Support the proposal by Cy"))
    expect(pressed).to_have_attribute("aria-pressed", "true")


def test_a_contribution_is_flagged_and_the_thanks_heard(
    reader_page, create_annotation, create_user, db
):
    page = reader_page
    thread = create_annotation("Buy cheap watches here.", author=create_user(name="Sam Spammer"))
    log_in(page, create_user(name="Fay Flagger"))
    page.goto(f"/annotations/{thread.id}")

    press(page.get_by_role("link", name="Flag the contribution by Sam Spammer for a moderator"))
    expect(
        page.get_by_role("heading", name="Flag a contribution for the moderators", level=1)
    ).to_be_visible()
    reasons = page.get_by_role("group", name=re.compile("^Why should a moderator look at it"))
    press(reasons.get_by_role("radio", name=re.compile("^Spam")), "Space")
    expect(reasons.get_by_role("radio", name=re.compile("^Spam"))).to_be_checked()
    press(page.get_by_role("button", name="Flag", exact=True))

    expect(heard(page)).to_contain_text("Thank you. A moderator will look at it.")


def test_a_form_sent_back_is_heard_and_its_first_error_has_the_focus(reader_page, create_user):
    page = reader_page
    log_in(page, create_user(name="Fay Flagger"))
    page.goto("/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/")
    form = page.get_by_role("region", name="Start a thread")
    press(form.get_by_role("button", name="Post"))
    # Without a word written: the form comes back with the error in an alert above it.
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("Please correct the marked fields.")
    body = form.get_by_role("textbox", name="Your contribution")
    link = alert.get_by_role("link", name=re.compile("^Your contribution:"))
    press(link)
    expect(body).to_be_focused()
    expect(body).to_have_attribute("aria-invalid", "true")


def test_a_moderator_approves_and_hides_from_the_queue_with_the_keyboard(
    reader_page, create_annotation, create_user, db
):
    from app.moderation import services as moderation

    page = reader_page
    newcomer = create_user(trusted=False, name="Nell Newcomer")
    pending = create_annotation("My first comment.", author=newcomer)
    flagged = create_annotation("Buy cheap watches here.", author=create_user(name="Sam Spammer"))
    moderation.flag(create_user(name="Fay Flagger"), TargetKind.ANNOTATION, flagged, "spam")
    db.session.commit()
    log_in(page, create_user(Role.MODERATOR, name="Maud Moderator"))
    press(page.get_by_role("navigation", name="Site").get_by_role("link", name="Moderation"))
    expect(page.get_by_role("heading", name="Moderation queue", level=1)).to_be_visible()

    item = page.get_by_role("article", name="Annotation by Nell Newcomer — awaiting review")
    decision = item.get_by_role("group", name=re.compile("^Reason for your decision"))
    type_into(decision.get_by_role("textbox", name="In your own words"), "Within the terms.")
    press(item.get_by_role("button", name="Approve"))
    expect(heard(page)).to_contain_text("Approved")
    expect(heard(page)).to_contain_text("Nell Newcomer")
    expect(item).to_have_count(0)

    item = page.get_by_role("article", name=re.compile(r"^Annotation by Sam Spammer"))
    decision = item.get_by_role("group", name=re.compile("^Reason for your decision"))
    decision.get_by_role("combobox", name="Common reason").select_option(
        label="Spam or advertising"
    )
    press(item.get_by_role("button", name="Hide"))
    expect(heard(page)).to_contain_text("Sam Spammer")
    expect(item).to_have_count(0)

    db.session.rollback()  # see what the browser wrote
    assert db.session.get(Annotation, pending.id).status is AnnotationStatus.PUBLISHED
    assert db.session.get(Annotation, flagged.id).status is AnnotationStatus.HIDDEN


@pytest.mark.parametrize("how", ["paste", "upload"])
def test_an_editor_previews_and_publishes_a_version_with_the_keyboard(
    reader_page, create_user, db, how
):
    page = reader_page
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()
    log_in(page, editor)
    press(
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Editor", exact=True)
    )
    press(page.get_by_role("link", name=re.compile("^Publish a new version of Think Paper 1")))
    expect(page.get_by_role("heading", name="Publish a new version", level=1)).to_be_visible()

    if how == "paste":  # a whole paper, too long to type key by key
        page.get_by_role("textbox", name="Or paste the source").fill(source_51())
    else:  # the file chooser the button opens, answered as a reader's system dialog would
        upload = page.get_by_role("button", name="Upload the source (.md, .docx or .odt)")
        with page.expect_file_chooser() as chooser:
            press(upload, "Space")
        chooser.value.set_files(
            {"name": "think-paper-1-5.1.md", "mimeType": "text/markdown",
             "buffer": source_51().encode()}
        )  # fmt: skip
    press(page.get_by_role("button", name="Preview"))
    expect(page.get_by_role("heading", name="Preview of version 5.1")).to_be_visible()
    press(page.get_by_role("button", name="Publish version 5.1"))

    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/$"))
    expect(heard(page)).to_contain_text("Version 5.1 of")
    db.session.rollback()
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version is not None and version.published_by_id == editor.id


def no_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe found {len(violations)} on {what}:\n" + describe(violations)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_accessibility_statement_is_reached_from_the_footer(reader_page, scheme):
    page = reader_page
    page.emulate_media(color_scheme=scheme)
    page.goto("/")
    footer = page.get_by_role("contentinfo")
    press(footer.get_by_role("link", name="Accessibility", exact=True))
    expect(page.get_by_role("heading", name="Accessibility statement", level=1)).to_be_visible()
    for part in ("Compliance status", "Non-accessible content", "Enforcement procedure",
                 "Feedback and contact information"):  # fmt: skip
        expect(page.get_by_role("heading", name=part, level=2)).to_be_visible()
    expect(page.get_by_role("link", name="no-reply@localhost")).to_be_visible()
    no_violations(page, f"the accessibility statement ({scheme})")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_registration_sent_back_names_its_errors_and_focuses_the_first(reader_page, scheme):
    page = reader_page
    page.emulate_media(color_scheme=scheme)
    page.goto("/register")
    type_into(page.get_by_role("textbox", name="E-mail address"), "reader@example.org")
    press(page.get_by_role("button", name="Create account"))

    expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
    name = page.get_by_role("textbox", name="Display name")
    expect(name).to_be_focused()  # the first field in error, without a script's help
    expect(name).to_have_attribute("aria-invalid", "true")
    press(page.get_by_role("alert").get_by_role("link", name=re.compile("^Password:")))
    expect(page.get_by_role("textbox", name="Password", exact=True)).to_be_focused()
    no_violations(page, f"the registration form sent back ({scheme})")
