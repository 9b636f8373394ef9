"""Property tests of the JSON API at the edges: every field of every body and every query
parameter, enumerated from the route declarations (`app.api.routes`) and their pydantic
models, gets strings longer than any column, whole numbers beyond 64 bits, datetimes
near year 1 and 9999 with an offset, and values of other JSON types.

The promises: never a 5xx; a 400/422 names the field at fault in `fields`; what is
accepted comes back as it was sent. The budget is bounded (`EDGE_EXAMPLES`, derandomized
in CI) so that the suite stays well under a minute per database.
"""

from __future__ import annotations

import base64
import json
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from app.api import schemas as s
from app.api.routes import ROUTES
from app.extensions import db
from app.models import Role
from tests.edges import EDGE, EXAMPLES, app_config  # noqa: F401 (a fixture)
from tests.web.test_api_annotations import API, auth, token_for

# A valid body for each body model: the property test replaces one field at a time. A new
# body model without an entry here fails `test_every_body_model_has_a_base`.
BASES: dict[type[BaseModel], dict[str, Any]] = {
    s.NewThread: {
        "paper": "think-paper-1",
        "version": "5.0",
        "section": "introduction",
        "body": "A fair point.",
        "quote": {"exact": "Organisational change practice"},
    },
    s.QuoteInput: {"exact": "Organisational change practice"},
    s.NewReply: {"parent": "{annotation}", "body": "A reply."},
    s.AnnotationChange: {"body": "Changed."},
    s.NewDisposition: {"outcome": "accepted", "response": "Thanks."},
    s.NewFlag: {"reason": "spam", "note": "A note."},
    s.NewDecision: {
        "target": {"type": "user", "id": "{participant}"},
        "action": "suspend",
        "reason": "Repeated abuse.",
        "until": "2100-01-01",
    },
    s.DecisionTarget: {"type": "user", "id": "{participant}"},
    s.NewTerm: {"label": "Edge term", "definition": "A definition."},
    s.NewProposal: {"text": "Another definition.", "rationale": "Why."},
    s.NewVote: {"stance": "support"},
    s.NewProposalComment: {"body": "A comment."},
    s.NoBody: {},
    s.Adoption: {"text": "The adopted text."},
    s.Rejection: {"reason": "Not precise enough."},
    s.Aliases: {"aliases": ["edge alias"]},
    s.NewVersion: {"source": "{source}"},
}

# Fields whose accepted value is not echoed as sent (and why).
NOT_ECHOED = {
    "paper",  # the paper is named by its slug, looked up
    "version",  # a label, looked up
    "section",  # a key, looked up
    "parent",
    "reason",  # a flag's reason and note, a decision's reason: for moderators only
    "note",
    "action",
    "type",
    "id",
    "until",  # normalised to UTC
    "source",  # rendered into sections
    "outcome",
    "stance",
    "start",
    "end",
    "prefix",
    "suffix",
    "exact",
}

DATETIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-01:00",
    "0001-01-01",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59+01:00",
    "9999-12-31",
    "9999-12-31T23:59:59.999999-23:59",
    "2006-10-24 10:00",
    "2006-10-24T10:00",
]
BIG_INTS = [2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -1, 0]
LENGTHS = [0, 1, 2, 19, 20, 21, 64, 65, 80, 81, 100, 101, 120, 121, 140, 141, 200, 201, 254]
LENGTHS += [255, 256, 300, 301, 1000, 5000, 20000, 100001]


def long_strings() -> st.SearchStrategy[str]:
    return st.builds(
        lambda n, c: (c * n)[:n],
        st.sampled_from(LENGTHS),
        st.sampled_from(["x", "é", "字", "😀", "ß", "İ", "a b ", "<b>"]),
    )


# What any field may be sent: strings of every length near a column's, whole numbers
# beyond 64 bits, datetimes at the ends of the calendar, and other JSON types.
HOSTILE = st.one_of(
    long_strings(),
    st.sampled_from(DATETIMES),
    st.sampled_from(BIG_INTS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(long_strings(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.text(max_size=40),
)


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = []
    for arg in typing.get_args(annotation) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            found.append(arg)
        else:
            found.extend(_models(arg) if typing.get_args(arg) else [])
    return found


def field_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every field of a body, nested ones as paths (`quote.exact`)."""
    paths = []
    for name, info in model.model_fields.items():
        paths.append((*prefix, name))
        for nested in _models(info.annotation):
            paths.extend(field_paths(nested, (*prefix, name)))
    return paths


BODY_CASES = sorted(
    {
        (endpoint, model.__name__, ".".join(path))
        for endpoint, route in ROUTES.items()
        for model in route.body
        for path in field_paths(model)
    }
)
QUERY_CASES = sorted(
    {
        (endpoint, name)
        for endpoint, route in ROUTES.items()
        if route.query is not None
        for name in route.query.model_fields
    }
)
MODELS = {m.__name__: m for route in ROUTES.values() for m in route.body}

# Who acts on each route: editors publish, adopt, reject and answer threads; moderators
# decide; participants do the rest.
ACTORS = {
    "publish_version": "editor",
    "answer_thread": "editor",
    "adopt": "editor",
    "reject": "editor",
    "set_aliases": "editor",
    "moderation_decision": "moderator",
    "moderation_queue": "moderator",
    "version_campaigns": "editor",
}
METHODS = {
    "create_annotation": ("POST", "/annotations"),
    "annotation": ("GET", "/annotations/{annotation}"),
    "edit_annotation": ("PATCH", "/annotations/{annotation}"),
    "version_annotations": ("GET", "/papers/think-paper-1/versions/5.0/annotations"),
    "flag_annotation": ("POST", "/annotations/{annotation}/flags"),
    "moderation_queue": ("GET", "/moderation/queue"),
    "moderation_decision": ("POST", "/moderation/decisions"),
    "terms": ("GET", "/terms"),
    "create_term": ("POST", "/terms"),
    "create_proposal": ("POST", "/terms/{term}/proposals"),
    "vote": ("PUT", "/proposals/{proposal}/vote"),
    "create_comment": ("POST", "/proposals/{proposal}/comments"),
    "withdraw": ("POST", "/proposals/{proposal}/withdraw"),
    "adopt": ("POST", "/proposals/{proposal}/adopt"),
    "reject": ("POST", "/proposals/{proposal}/reject"),
    "set_aliases": ("PUT", "/terms/{term}/aliases"),
    "flag_term": ("POST", "/terms/{term}/flags"),
    "flag_proposal": ("POST", "/proposals/{proposal}/flags"),
    "flag_comment": ("POST", "/proposal-comments/{comment}/flags"),
    "answer_thread": ("POST", "/annotations/{annotation}/disposition"),
    "papers": ("GET", "/papers"),
    "publish_version": ("POST", "/papers/think-paper-1/versions"),
    "search": ("GET", "/search"),
    "version_campaigns": ("GET", "/papers/think-paper-1/versions/5.0/campaigns"),
}
PAPER_SOURCE = """---
title: "Edge paper"
version: "5.1"
authors: [A. Author]
date: 2006-10-24
---

# Introduction {#introduction}

Think Paper text.
"""


@pytest.fixture
def world(client, db, paper, create_user, create_annotation):
    """A paper with a thread, a term with a proposal and a comment, and a token per role."""
    people = {
        "participant": create_user(Role.PARTICIPANT),
        "other": create_user(Role.PARTICIPANT),
        "editor": create_user(Role.EDITOR),
        "moderator": create_user(Role.MODERATOR),
    }
    tokens = {role: token_for(user, db) for role, user in people.items()}
    thread = create_annotation(author=people["participant"], section="introduction")
    term = client.post(
        f"{API}/terms",
        json={"label": "Edge fixture", "definition": "A definition."},
        headers=auth(tokens["other"]),
    )
    assert term.status_code == 201, term.get_json()
    term = term.get_json()
    proposal = term["proposals"][0]
    comment = client.post(
        f"{API}/proposals/{proposal['id']}/comments",
        json={"body": "A comment."},
        headers=auth(tokens["other"]),
    )
    assert comment.status_code == 201, comment.get_json()
    ids = {
        "annotation": thread.id,
        "term": term["slug"],
        "proposal": proposal["id"],
        "comment": comment.get_json()["id"],
        "participant": people["other"].id,
        "source": PAPER_SOURCE,
    }
    return {"tokens": tokens, "ids": ids}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _set(body: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        inner = body.get(part)
        if not isinstance(inner, dict):
            inner = body[part] = _fill(dict(BASES[_nested_model(body, part)]), {})
        body = inner
    body[path[-1]] = value


def _nested_model(body: dict[str, Any], part: str) -> type[BaseModel]:
    return {"quote": s.QuoteInput, "target": s.DecisionTarget}[part]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def _names(fields: dict[str, str], path: str) -> bool:
    """`fields` names the field sent (or, for a nested or list field, a part of it)."""
    return any(
        name == path or name.startswith((f"{path}.", f"{path}[")) or path.startswith(f"{name}.")
        for name in fields
    )


def check_answer(response, path: str, value: Any) -> None:
    status = response.status_code
    data = response.get_json(silent=True)
    assert status < 500, f"{path}={value!r:.200}: {status} {response.get_data(as_text=True)[:300]}"
    if status in (400, 422):
        fields = (data or {}).get("error", {}).get("fields") or {}
        assert _names(fields, path), f"{path}={value!r:.200}: {status} names {fields}"
    if status < 300 and data is not None and path.split(".")[-1] not in NOT_ECHOED:
        sent = [t.strip() for t in _strings(value) if t.strip()]
        answered = json.dumps(data, ensure_ascii=False)
        for text in sent:
            assert json.dumps(text, ensure_ascii=False)[1:-1] in answered, (
                f"{path}: {text!r:.80} accepted but not in the answer"
            )


def test_every_body_model_has_a_base():
    assert set(MODELS.values()) <= set(BASES), "give each new body model a valid base body"
    reads = {"paper", "version", "term", "proposal", "openapi_document", "paper_annotations",
             "export_csv", "export_json"}  # fmt: skip
    assert set(ROUTES) - reads <= set(METHODS) | {"delete_annotation", "withdraw_vote"}


@pytest.mark.parametrize("endpoint", sorted({case[0] for case in BODY_CASES}))
def test_body_fields_at_the_edges(world, client, endpoint):
    """Every field of the route's bodies, one at a time."""
    for _, model_name, path in (case for case in BODY_CASES if case[0] == endpoint):
        check_body_field(world, client, endpoint, MODELS[model_name], path)


def check_body_field(world, client, endpoint: str, model: type[BaseModel], path: str) -> None:
    method, url = METHODS[endpoint]
    url = API + url.format(**world["ids"])
    token = world["tokens"][ACTORS.get(endpoint, "participant")]

    def run(value):
        body = _fill(json.loads(json.dumps(BASES[model])), world["ids"])
        _set(body, path.split("."), value)
        response = client.open(url, method=method, json=body, headers=auth(token))
        check_answer(response, path, value)

    with_edges(EDGE(given(value=HOSTILE)(run)), path.split(".")[-1])()


def column_edges(name: str) -> list[str]:
    """For every String(n) column of the models named `name` (or `name_key`): n+1
    characters, and n that grow when case-folded ("ß" folds to "ss")."""
    lengths = {
        column.type.length
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name in {name, f"{name}_key"} and getattr(column.type, "length", None)
    }
    return [t for n in sorted(lengths) for t in ("x" * (n + 1), "ß" * n, "İ" * n)]


def with_edges(test, name: str):
    """The property test, run first on the edges of the columns the field is stored in."""
    for value in column_edges(name):
        test = example(value=value)(test)
    return test


@pytest.mark.parametrize("endpoint", sorted({case[0] for case in QUERY_CASES}))
def test_query_parameters_at_the_edges(world, client, endpoint):
    """Every query parameter of the route, one at a time."""
    for name in (case[1] for case in QUERY_CASES if case[0] == endpoint):
        check_parameter(world, client, endpoint, name)


def check_parameter(world, client, endpoint: str, name: str) -> None:
    method, url = METHODS[endpoint]
    url = API + url.format(**world["ids"])
    token = world["tokens"][ACTORS.get(endpoint, "participant")]

    @EDGE
    @given(
        value=st.one_of(
            long_strings(),
            st.sampled_from(DATETIMES),
            st.sampled_from(BIG_INTS).map(str),
            st.text(max_size=30),
        )
    )
    def run(value):
        response = client.open(
            url,
            method=method,
            query_string={name: value},
            json={"source": PAPER_SOURCE} if method == "POST" else None,
            headers=auth(token),
        )
        assert response.status_code < 500, f"{name}={value!r:.200}: {response.status_code}"
        if response.status_code == 400:
            assert _names(response.get_json()["error"].get("fields") or {}, name)

    run()


def _cursor(sort: str, stamp: str, ident: Any, count: Any = 0) -> str:
    key = {"s": sort, "t": stamp, "i": ident, "n": count}
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sort=st.sampled_from(["oldest", "newest", "replies"]),
    stamp=st.one_of(
        st.sampled_from(DATETIMES),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    ),
    ident=st.one_of(st.sampled_from(BIG_INTS), st.integers()),
    count=st.one_of(st.sampled_from(BIG_INTS), st.integers()),
)
def test_thread_cursors_at_the_edges(world, client, sort, stamp, ident, count):
    """A cursor carrying a datetime at the ends of the calendar, with any offset, or an id
    beyond 64 bits is refused as a cursor (400 naming `after`) or read; never a 5xx."""
    url = f"{API}/papers/think-paper-1/versions/5.0/annotations"
    after = _cursor(sort, stamp, ident, count)
    response = client.get(url, query_string={"sort": sort, "after": after})
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    if response.status_code == 400:
        assert "after" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("until", DATETIMES)
def test_suspension_end_at_the_ends_of_the_calendar(world, client, until):
    response = client.post(
        f"{API}/moderation/decisions",
        json={
            "target": {"type": "user", "id": world["ids"]["participant"]},
            "action": "suspend",
            "reason": "Edge of the calendar.",
            "until": until,
        },
        headers=auth(world["tokens"]["moderator"]),
    )
    assert response.status_code in (201, 422), response.get_data(as_text=True)[:300]
    if response.status_code == 422:
        assert "until" in response.get_json()["error"]["fields"]
    else:
        assert client.get(f"{API}/moderation/queue", headers=auth(world["tokens"]["moderator"]))


HOSTILE_SOURCES = {
    "title": ('title: "' + "x" * 301 + '"', 2),
    "title_list": ("title: [a, b]", 2),
    "version": ("version: 5.1", 3),
    "date": ("date: 2006-10-24 10:00:00", 5),
    "number": (f"number: {2**64}", 6),
    "series": ("series: " + "s" * 101, 6),
    "comment_period": ("comment_period: {opens: 2006-10-24 10:00:00, closes: 2006-10-25}", 6),
    "nul": ('acknowledgement: "a\\0b"', 6),
    "heading": ("", 8),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SOURCES))
def test_publishing_a_source_at_the_edges(world, client, case):
    """A source whose front matter or heading cannot be stored answers 422 with its line."""
    line, expected = HOSTILE_SOURCES[case]
    meta = PAPER_SOURCE.split("---\n")[1].split("\n")[:-1]
    names = [m.split(":")[0] for m in meta]
    name = line.split(":")[0]
    if name in names:
        meta[names.index(name)] = line
    elif line:
        meta.append(line)
    heading = "# " + "h" * 301 if case == "heading" else "# Introduction {#introduction}"
    source = "---\n" + "\n".join(meta) + f"\n---\n\n{heading}\n\nThink Paper text.\n"
    response = client.post(
        f"{API}/papers/think-paper-1/versions",
        json={"source": source},
        headers=auth(world["tokens"]["editor"]),
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["line"] == expected, error
    assert "source" in error["fields"]
