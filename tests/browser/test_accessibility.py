"""axe-core finds no WCAG 2.1 A/AA violations on the main pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
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
