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
