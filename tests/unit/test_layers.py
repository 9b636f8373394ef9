"""The layers of the code (DESIGN.md, "Layers that show"): each package imports only from
itself and the layers below it. `make lint` checks every contract with import-linter;
these tests keep the lower floors in the suite as well: the models, the shared core, the
paper text, and the editors' area and reading pages that compose the areas above it.
"""

from __future__ import annotations

import grimp
import pytest

BELOW_PAPERS = {"core", "extensions", "models"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("app")


def packages_imported_by(graph, package: str) -> set[str]:
    """The other packages of `app` (`app.<name>`, by name) that `package`'s modules import."""
    own = package.split(".")[1]
    imported = set()
    for module in {package} | graph.find_descendants(package):
        for target in graph.find_modules_directly_imported_by(module):
            parts = target.split(".")
            if len(parts) > 1 and parts[1] != own:
                imported.add(parts[1])
    return imported


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("app.models", set()),
        ("app.core", {"extensions", "models"}),
        ("app.papers", BELOW_PAPERS),
        ("app.notifications", BELOW_PAPERS),
        ("app.editor", BELOW_PAPERS | {"papers", "annotations", "definitions", "notifications"}),
        ("app.reading", BELOW_PAPERS | {"papers", "annotations", "definitions", "notifications"}),
    ],
)
def test_a_package_imports_only_the_layers_below_it(graph, package, allowed):
    assert packages_imported_by(graph, package) <= allowed


@pytest.mark.parametrize(
    "upper", ["app.annotations", "app.definitions", "app.moderation", "app.editor", "app.reading"]
)
def test_the_paper_text_does_not_reach_the_areas_above_it_even_indirectly(graph, upper):
    assert not graph.chain_exists(importer="app.papers", imported=upper, as_packages=True)
