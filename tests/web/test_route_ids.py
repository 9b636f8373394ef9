"""Ids in paths: a number beyond what the id columns hold names no row and is not found,
never a 500."""

from __future__ import annotations

import re

import pytest

from app.models.limits import INT32_MAX
from tests.conftest import login

TOO_BIG = INT32_MAX + 1


def _paths_with_ids(app, value: int):
    for rule in app.url_map.iter_rules():
        if "<int" not in rule.rule:
            continue
        path = re.sub(r"<int(?:\([^)]*\))?:\w+>", str(value), rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def test_some_routes_take_ids(app):
    assert len(list(_paths_with_ids(app, 1))) >= 10


@pytest.mark.parametrize("value", [0, TOO_BIG, 2**63, 2**70])
def test_ids_out_of_range_are_not_found(app, client, user, value):
    login(client, user)
    answers = {(m, p): client.open(p, method=m).status_code for m, p in _paths_with_ids(app, value)}
    # 405 where another rule of the same path (such as a catch-all of the API) answers.
    assert {key: code for key, code in answers.items() if code not in (404, 405)} == {}
    assert 404 in answers.values()


def test_the_largest_row_id_is_looked_up(app, client, user):
    """The greatest id that fits still reaches the view, which finds no row."""
    login(client, user)
    answers = {
        (m, p): client.open(p, method=m).status_code for m, p in _paths_with_ids(app, INT32_MAX)
    }
    assert all(code < 500 for code in answers.values()), answers
    assert 404 in answers.values()
