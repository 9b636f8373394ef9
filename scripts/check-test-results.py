"""Check, after `make test`, that the named legs really ran: `check-test-results.py DIR LEG...`.

For each leg, DIR/<leg>.status must say "passed" and DIR/<leg>.xml (pytest's JUnit
report) must hold tests, browser tests among them, none of those skipped. Silent when all
is well, so that the output still ends with pytest's summary; exit code 1 otherwise.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

BROWSER_PREFIX = "tests.browser."


def problems_of(results: Path, leg: str) -> list[str]:
    status_file = results / f"{leg}.status"
    if not status_file.exists():
        return [f"{leg} leg: did not run (no {status_file})"]
    status = status_file.read_text(encoding="utf-8").strip()
    if not status.startswith("passed"):
        return [f"{leg} leg: {status}"]
    report = results / f"{leg}.xml"
    if not report.exists():
        return [f"{leg} leg: no JUnit report {report}"]
    cases = ET.parse(report).getroot().iter("testcase")  # noqa: S314
    total = browser = skipped_browser = 0
    for case in cases:
        total += 1
        if (case.get("classname") or "").startswith(BROWSER_PREFIX):
            browser += 1
            if case.find("skipped") is not None:
                skipped_browser += 1
    found = []
    if total == 0:
        found.append(f"{leg} leg: no tests ran")
    if browser == 0:
        found.append(f"{leg} leg: no browser tests ran")
    elif skipped_browser:
        found.append(f"{leg} leg: {skipped_browser} of {browser} browser tests were skipped")
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: check-test-results.py DIR LEG...", file=sys.stderr)
        return 2
    results = Path(argv[1])
    found = [problem for leg in argv[2:] for problem in problems_of(results, leg)]
    for problem in found:
        print(f"CI check failed: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
