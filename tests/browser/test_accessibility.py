"""axe-core finds no WCAG 2.1 A/AA violations (and none of WCAG 2.2's target size) on the
main pages, and none on every kind of page in the light and the dark colour scheme."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser, pytest.mark.presentation]

AXE_OPTIONS = {
    # wcag22aa adds "target-size": every control at least 24 by 24 CSS pixels, or spaced.
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}

# The best-practice rules that say whether a keyboard or screen-reader user finds their way:
# one main landmark, all content in landmarks, a skip link, headings that start at h1 and
# never skip a level.
STRUCTURE_RULES = (
    "landmark-one-main",
    "region",
    "heading-order",
    "page-has-heading-one",
    "skip-link",
    "bypass",
)
AXE_OPTIONS_WITH_STRUCTURE = {
    **AXE_OPTIONS,
    "rules": {rule: {"enabled": True} for rule in STRUCTURE_RULES},
}


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation["nodes"]:
            lines.append(f"  - {node['target']}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"      {line}" for line in summary.splitlines() if line.strip())
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("path", "needs_paper"),
    [("/", True), ("/papers/think-paper-1/", True), ("/login", False), ("/register", False)],
)
def test_no_wcag_violations(page, request, path, needs_paper):
    if needs_paper:
        request.getfixturevalue("paper")
        request.getfixturevalue("db").session.commit()  # release SQLite (see conftest.py)
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    results = Axe().run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    if violations:
        print(f"axe violations on {path}:\n{describe(violations)}")
    assert not violations, f"axe found {len(violations)} violations on {path}:\n" + describe(
        violations
    )


def test_no_wcag_violations_where_a_later_version_applied_a_suggestion(
    page, paper, import_paper, create_annotation, db
):
    """The margin and the section page of a version that took up a suggestion."""
    from app.models import AnnotationKind
    from tests.web.test_carried_threads import KEY, PHRASE, PROPOSED, versions_taking_up

    create_annotation(
        "Say firms.",
        section=KEY,
        quote=PHRASE,
        kind=AnnotationKind.SUGGESTION,
        proposed_text=PROPOSED,
    )
    import_paper(versions_taking_up(PROPOSED)[0])
    db.session.commit()  # release SQLite (see conftest.py)
    for path in ("/papers/think-paper-1/v/5.1/", f"/papers/think-paper-1/v/5.1/sections/{KEY}/"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert page.locator(".carried__badge--applied").first.is_visible()
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"axe on {path}:\n" + describe(violations)


def test_no_wcag_violations_on_the_pages_with_a_feed_link(page, paper, create_user, db):
    """The section's discussion and a term's page, each with its visible "Feed" link,
    which the keyboard reaches and which names the feed beyond its one word."""
    from app.definitions import services

    term, _proposal = services.create_term(
        create_user(), "Public value", definition="What the public values."
    )
    db.session.commit()  # release SQLite (see conftest.py)
    for path, feed in (
        (
            "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/",
            "/papers/think-paper-1/sections/public-sector-idiosyncrasies/feed.atom",
        ),
        (f"/glossary/{term.slug}", f"/glossary/{term.slug}/feed.atom"),
    ):
        response = page.goto(path)
        assert response is not None and response.ok, path
        link = page.locator(".feed-link a")
        assert link.get_attribute("href") == feed
        assert "Atom" in link.inner_text() or "Atom" in (link.text_content() or "")
        link.focus()
        assert page.evaluate("document.activeElement.getAttribute('href')") == feed
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"axe on {path}:\n" + describe(violations)


# --- every kind of page, in both colour schemes -----------------------------------------


@pytest.fixture
def busy_site(db, paper, create_user, create_annotation):
    """Real content for every kind of page: a passage thread with replies, a suggestion and
    a question on Think Paper 1, one answered; a pending and a flagged contribution and a
    moderation decision; a term with proposals, votes and comments; notifications."""
    from app.annotations import dispositions
    from app.definitions import services as definitions
    from app.models import AnnotationKind, FollowTarget, Role, TargetKind
    from app.moderation import services as moderation
    from app.notifications import settings
    from tests.unit.test_publishing import QUOTE_KEPT
    from tests.web.test_api_annotations import open_for_comments
    from tests.web.test_carried_threads import KEY, PHRASE, PROPOSED

    open_for_comments(paper, db)
    reader = create_user(name="Rita Reader")
    admin = create_user(Role.ADMIN, name="Ada Admin")
    others = [create_user(name=name) for name in ("Ben", "Cleo")]
    settings.follow(reader, FollowTarget.SECTION, paper_id=paper.id,
                    section_key="public-sector-idiosyncrasies")  # fmt: skip
    db.session.commit()
    passage = create_annotation("Still true today?", author=reader, quote=QUOTE_KEPT)
    create_annotation("Yes, it is.", author=others[0], parent=passage)
    create_annotation("Less so since 2010.", author=others[1], parent=passage)
    create_annotation("Say *firms*.", author=others[0], kind=AnnotationKind.SUGGESTION,
                      section=KEY, quote=PHRASE, proposed_text=PROPOSED)  # fmt: skip
    create_annotation("Which organisations?", author=others[1], kind=AnnotationKind.QUESTION)
    dispositions.answer(admin, passage, "accepted", "Thank you: taken up.")

    newcomer = create_user(trusted=False, name="Nina Newcomer")
    pending = [create_annotation(f"Contribution {n}.", author=newcomer) for n in range(2)]
    flagged = create_annotation("Something others dislike.", author=others[1])
    for reporter, reason in ((others[0], "spam"), (reader, "off_topic")):
        moderation.flag(reporter, TargetKind.ANNOTATION, flagged, reason, "Look <here>.")
    moderation.decide(
        admin,
        moderation.Target(TargetKind.ANNOTATION, pending[0].id),
        moderation.ModerationAction.REJECT,
        "Advertising.",
    )

    term, first = definitions.create_term(
        others[0], "Open data", definition="Data anyone may use.", rationale="Open Definition."
    )
    definitions.adopt(admin, first)
    proposal = definitions.propose(others[1], term, "Data anyone may *use and share*.", "Why.")
    comment = definitions.comment(reader, proposal, "Is *sharing* enough?")
    definitions.comment(others[1], proposal, "Yes.", parent=comment)
    definitions.vote(reader, proposal, "support")
    db.session.commit()
    return {"reader": reader, "admin": admin, "passage": passage, "newcomer": newcomer,
            "term": term}  # fmt: skip


def _open_a_thread_card(page, site) -> None:
    """Click the passage's highlight: its card in the margin opens, focused. The margin
    fills (and the highlights appear) once it scrolls into view."""
    page.locator("#discussion-public-sector-idiosyncrasies").scroll_into_view_if_needed()
    mark = page.locator(f'mark[data-annotation="{site["passage"].id}"]').first
    mark.scroll_into_view_if_needed()
    mark.click()
    page.locator(f"#thread-{site['passage'].id}.is-active").wait_for()


def _preview_a_new_version(page, _site) -> None:
    from tests.unit.test_publishing import source_51

    page.get_by_label("Or paste the source").fill(source_51())
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Preview of version 5.1").wait_for()


def _send_a_form_without_its_token(page, _site) -> None:
    """The log-in form sent with its CSRF token blanked out: the 400 page."""
    page.locator('input[name="csrf_token"]').first.evaluate("(input) => { input.value = ''; }")
    page.get_by_label("E-mail address").fill("someone@example.org")
    page.get_by_label("Password").fill("not the password")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Log in").click()
    assert navigation.value.status == 400
    assert page.locator(".error-status").inner_text() == "Error 400"


PAPER = "/papers/think-paper-1"

# Under prefers-reduced-motion: reduce, what would still move: elements with a transition or
# an animation longer than a frame's fraction, and smooth scrolling of the page.
MOVING = """() => {
  const seconds = (value) => Math.max(...value.split(',').map((v) => parseFloat(v) || 0));
  const moving = [];
  for (const e of [document.documentElement, ...document.querySelectorAll('*')]) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(e, pseudo);
      const animated = s.animationName !== 'none' && seconds(s.animationDuration) > 0.001;
      if (seconds(s.transitionDuration) > 0.001 || animated) {
        moving.push(`${e.tagName.toLowerCase()}.${e.className}${pseudo || ''}`);
      }
    }
  }
  if (getComputedStyle(document.documentElement).scrollBehavior === 'smooth') moving.push('html');
  return moving;
}"""

# The page's own colours: the body's background and text, as [r, g, b].
COLOURS = """() => { const s = getComputedStyle(document.body);
  const rgb = (v) => v.match(/\\d+/g).slice(0, 3).map(Number);
  return {background: rgb(s.backgroundColor), text: rgb(s.color)}; }"""

# (who looks, what, path, the status expected, what to do on the page before axe looks)
EVERY_PAGE = [
    (None, "home", "/", 200, None),
    (None, "paper", f"{PAPER}/", 200, None),
    (None, "glossary", "/glossary/", 200, None),
    (None, "term page", "/glossary/open-data", 200, None),
    (None, "search with results", "/search?q=bureaucracy", 200, None),
    (None, "404 page", "/papers/no-such-paper/", 404, None),
    (None, "400 page of a form", "/login", 400, _send_a_form_without_its_token),
    ("reader", "paper with an open thread card", f"{PAPER}/", 200, _open_a_thread_card),
    ("reader", "section page", f"{PAPER}/v/5.0/sections/public-sector-idiosyncrasies/", 200,
     None),
    ("reader", "notifications", "/notifications", 200, None),
    ("reader", "account profile", "/account/", 200, None),
    ("reader", "contributions", "/account/contributions", 200, None),
    ("reader", "403 page", "/moderation/", 403, None),
    ("admin", "moderation queue", "/moderation/", 200, None),
    ("admin", "flagged items", "/moderation/?state=flagged", 200, None),
    ("admin", "moderation log", "/moderation/log", 200, None),
    ("admin", "accounts", "/moderation/users", 200, None),
    ("admin", "one account", "/moderation/users/{newcomer}", 200, None),
    ("admin", "publish page", "/editor/papers/think-paper-1/publish", 200, None),
    ("admin", "preview of a new version", "/editor/papers/think-paper-1/publish", 200,
     _preview_a_new_version),
    ("admin", "triage", "/editor/papers/think-paper-1/v/5.0/threads", 200, None),
    ("admin", "dashboard", "/editor/papers/think-paper-1/v/5.0/dashboard", 200, None),
    ("admin", "compare", f"{PAPER}/compare/5.0/5.1/", 200, None),
    ("admin", "report of answers", f"{PAPER}/v/5.1/responses/", 200, None),
]  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_kind_of_page_passes_axe_in_both_colour_schemes(
    app, page, busy_site, import_paper, db, scheme
):
    """Each page with real content, as its audience sees it, in the scheme the visitor's
    system asks for; with WCAG 2.2's target size and the rules of a page's structure. The
    visitor also asks for reduced motion: nothing on the page may move."""
    from tests.browser.test_threads import log_in
    from tests.unit.test_publishing import source_51

    app.config["WTF_CSRF_ENABLED"] = True  # as in production: a form without its token is refused
    page.set_viewport_size({"width": 1366, "height": 900})  # the margin beside the text
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    page.goto("/")
    # Form controls and scrollbars follow the scheme too.
    assert page.locator('meta[name="color-scheme"]').get_attribute("content") == "light dark"
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == ("light dark")
    found, viewer, published = [], None, False
    for who, what, path, status, action in EVERY_PAGE:
        if who != viewer:
            page.context.clear_cookies()
            if who is not None:
                log_in(page, busy_site[who])
            viewer = who
        if what == "compare" and not published:
            db.session.rollback()  # end the test thread's read, which would block a write
            import_paper(source_51())  # after the preview, which wants 5.1 unpublished
            db.session.commit()  # release SQLite (see conftest.py)
            published = True
        path = path.format(newcomer=busy_site["newcomer"].id)
        response = page.goto(path)
        if action is not None:
            action(page, busy_site)
        else:
            assert response is not None and response.status == status, (
                f"{what} ({path}): HTTP {response and response.status}"
            )
        colours = page.evaluate(COLOURS)
        dark_page = sum(colours["background"]) < sum(colours["text"])
        if dark_page != (scheme == "dark"):
            found.append(f"== {what} ({path}), {scheme}: the page's colours are {colours}")
        if moving := page.evaluate(MOVING):
            found.append(f"== {what} ({path}), {scheme}: still moving: {moving[:5]}")
        violations = Axe().run(page, options=AXE_OPTIONS_WITH_STRUCTURE).response["violations"]
        if violations:
            found.append(f"== {what} ({path}), {scheme}:\n{describe(violations)}")
    assert not found, "\n".join(found)


def test_no_wcag_violations_with_the_language_choice_and_contributions_in_other_languages(
    page, paper, create_user, create_annotation, db
):
    """The forms with their language choice, and threads in German and Arabic (right to
    left) among English ones: the section page and the thread page."""
    from tests.conftest import DEFAULT_PASSWORD
    from tests.web.test_api_annotations import open_for_comments

    open_for_comments(paper, db)
    me = create_user(name="Rose Dupont")
    thread = create_annotation("Ein *Gedanke*.", author=me, language="de")
    create_annotation("نقطة جيدة", parent=thread, language="ar")
    db.session.commit()  # release SQLite (see conftest.py)
    section = "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/"
    page.goto(f"/login?next={section}")
    page.get_by_label("E-mail address").fill(me.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{section}")
    for path in (section, f"/annotations/{thread.id}", f"/annotations/{thread.id}/edit"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert page.get_by_label("Language of your text").first.is_visible()
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"axe on {path}:\n" + describe(violations)
