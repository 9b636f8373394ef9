"""Presenters and schemas of the JSON API: presenters are handed what they show, and the
models read bodies strictly, naming each field at fault."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.api import presenters, schemas, validation
from tests.web.test_api_annotations import API

FORBIDDEN = {"current_user", "db", "request", "g", "session"}


def _imported_names(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
            names.add(node.module or "")
        elif isinstance(node, ast.Import):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def test_presenters_read_neither_the_database_nor_the_request():
    imported = _imported_names(presenters)
    assert not imported & FORBIDDEN, imported & FORBIDDEN
    assert not {n for n in imported if n.endswith(("services", "extensions", "transaction"))}
    source = Path(presenters.__file__).read_text()
    for word in ("db.session", "current_user", "request.", "session.get"):
        assert word not in source


def test_no_api_module_commits_or_rolls_back():
    for path in Path(presenters.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "commit()" not in source and "rollback()" not in source, path.name


def _problems(model, data) -> dict[str, str]:
    with pytest.raises(validation.ValidationError) as caught:
        model.model_validate(data)
    return validation.problems(model, caught.value)


def test_bodies_are_read_strictly_naming_each_field():
    thread = {"paper": "p", "version": "1", "section": "s", "body": "b"}
    found = _problems(schemas.NewThread, {**thread, "qoute": {}, "quote": {"exact": 3, "x": 1}})
    assert found["qoute"].startswith("unknown field (allowed: body, kind, language, paper")
    assert found["quote.exact"] == "must be a string, not a number"
    assert found["quote.x"].startswith("unknown field")
    assert _problems(schemas.NewThread, {**thread, "quote": "x"})["quote"].startswith(
        "must be an object {exact, prefix?, suffix?, start?, end?}"
    )
    assert _problems(schemas.NewReply, {"parent": True}) == {
        "parent": "must be a whole number, not a boolean",
        "body": "required",
    }
    assert _problems(schemas.Aliases, {"aliases": ["a", 3]}) == {
        "aliases[1]": "must be a string, not a number"
    }
    assert _problems(schemas.NewThread, {**thread, "body": "a\x00b"}) == {
        "body": "must not contain the character U+0000"
    }
    assert "until" in _problems(
        schemas.NewDecision, {"target": {"type": "user", "id": 1}, "action": "a", "reason": "r",
                              "until": "soon"}
    )  # fmt: skip


def test_query_parameters_are_named_too():
    assert _problems(schemas.ThreadsQuery, {"limit": "²", "sort": "up"}) == {
        "sort": "must be one of oldest, newest, replies",
        "limit": "must be a whole number from 1 to 200",
    }
    assert schemas.Page.model_validate({}).limit == 50


def test_the_papers_list_costs_the_same_queries_whatever_its_length(
    client, import_paper, count_queries
):
    from tests.unit.test_paper_import import SOURCE

    def cost() -> int:
        with count_queries() as counter:
            assert client.get(f"{API}/papers").status_code == 200
        return counter.count

    import_paper(SOURCE, slug="paper-a")
    small = cost()
    for slug in ("paper-b", "paper-c", "paper-d"):
        import_paper(SOURCE, slug=slug)
    assert cost() == small
