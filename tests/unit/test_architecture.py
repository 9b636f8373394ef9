"""The shape of the code: rules that keep each room findable, checked on the source itself.

One transaction boundary (app/core/transaction.py) is the only place that commits or rolls
back; no module borrows another module's private names; the import layers of
pyproject.toml's import-linter contracts hold.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
BOUNDARY = APP / "core" / "transaction.py"
TRANSACTION_CALL = re.compile(r"\.\s*(commit|rollback)\s*\(")


def _sources() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_only_the_boundary_commits_or_rolls_back():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        if path != BOUNDARY
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TRANSACTION_CALL.search(line)
    ]
    assert offenders == [], "commit/rollback outside app/core/transaction.py:\n" + "\n".join(
        offenders
    )


def test_the_grep_for_commits_would_see_one():
    """The rule above is not vacuous: the boundary itself is found by the same pattern."""
    assert TRANSACTION_CALL.search(BOUNDARY.read_text(encoding="utf-8"))


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {private}")
    assert offenders == []


def test_import_layers_hold():
    """`lint-imports` (import-linter) keeps models → core → areas → api, without circles."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
