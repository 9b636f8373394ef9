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
