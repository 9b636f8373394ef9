"""Property tests of the web forms at the edges: every field of every form that takes text
(enumerated from the form classes, so that a new field is covered) gets strings longer
than any column, whole numbers beyond 64 bits, dates at the ends of the calendar and
characters that grow when case-folded.

The promises: never a 5xx; a refusal is shown on the field sent (beside any the valid
base form already has); what is accepted is shown as it was typed. The budget is bounded
(`EDGE_EXAMPLES`, derandomized).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st
from wtforms import BooleanField, FileField, HiddenField, SubmitField
from wtforms.csrf.core import CSRFTokenField

from app.accounts.forms import ApiTokenForm, ProfileForm, RegistrationForm
from app.annotations.forms import DispositionForm, ReplyForm, ThreadForm
from app.definitions.forms import AliasesForm, CommentForm, ProposalForm, RejectForm, TermForm
from app.editor.forms import CommentPeriodForm
from app.models import Role
from app.moderation.forms import AccountDecisionForm, FlagForm
from tests.conftest import DEFAULT_PASSWORD, login
from tests.edges import EDGE, EXAMPLES, app_config  # noqa: F401 (a fixture)
from tests.web.test_edges_api import with_edges

_n = itertools.count()

# name: (url, form class, prefix, who, a valid base, fields shown back as typed)
FORMS: dict[str, tuple[str, type, str, str | None, dict[str, str], set[str]]] = {
    "register": (
        "/register",
        RegistrationForm,
        "",
        None,
        {
            "email": "new{n}@example.org",
            "display_name": "New person",
            "stakeholder_type": "academia",
            "password": "a long new passphrase 42",
            "confirm": "a long new passphrase 42",
            "terms": "y",
        },
        set(),
    ),
    "profile": (
        "/account/",
        ProfileForm,
        "",
        "participant",
        {"display_name": "A person", "affiliation": "", "stakeholder_type": "academia"},
        {"display_name", "affiliation"},
    ),
    "token": ("/account/tokens", ApiTokenForm, "", "participant", {"label": "script"}, set()),
    "term": (
        "/glossary/",
        TermForm,
        "",
        "participant",
        {"label": "Form term {n}", "definition": "", "rationale": ""},
        {"label"},
    ),
    "propose": (
        "/glossary/{term}/proposals",
        ProposalForm,
        "",
        "participant",
        {"text": "A definition {n}.", "rationale": ""},
        set(),
    ),
    "aliases": ("/glossary/{term}/aliases", AliasesForm, "", "editor", {"aliases": "x"}, set()),
    "reject": (
        "/glossary/{term}/proposals/{proposal}/reject",
        RejectForm,
        "reject{proposal}",
        "editor",
        {"reason": "Not precise."},
        set(),
    ),
    "comment": (
        "/glossary/{term}/proposals/{proposal}/comments",
        CommentForm,
        "p{proposal}",
        "participant",
        {"body": "A comment {n}."},
        set(),
    ),
    "flag": (
        "/annotations/{annotation}/flag",
        FlagForm,
        "",
        "other",
        {"reason": "spam", "note": ""},
        set(),
    ),
    "suspend": (
        "/moderation/users/{participant}/decide",
        AccountDecisionForm,
        "",
        "moderator",
        {"action": "suspend", "reason": "Abuse.", "until": ""},
        set(),
    ),
    "comment_period": (
        "/editor/papers/think-paper-1/comment-period",
        CommentPeriodForm,
        "",
        "editor",
        {"opens": "", "closes": ""},
        set(),
    ),
    "thread": (
        "/papers/think-paper-1/v/5.0/sections/introduction/",
        ThreadForm,
        "",
        "participant",
        {"kind": "comment", "paragraph": "", "body": "A comment {n}.", "post": "y"},
        set(),
    ),
    "reply": (
        "/annotations/{annotation}/replies",
        ReplyForm,
        "",
        "participant",
        {"body": "A reply {n}.", "post": "y"},
        set(),
    ),
    "disposition": (
        "/annotations/{annotation}/disposition",
        DispositionForm,
        "",
        "editor",
        {"outcome": "accepted", "response": "Done {n}.", "version": "", "post": "y"},
        set(),
    ),
}
# A refusal of one field that shows on another: the repeated password.
RELATED = {("register", "password"): {"confirm"}}
NOT_TYPED = (SubmitField, FileField, BooleanField, CSRFTokenField)
CASES = sorted(
    {
        (name, field)
        for name, (_, form_class, *_) in FORMS.items()
        for klass in form_class.__mro__
        for field, unbound in vars(klass).items()
        if hasattr(unbound, "field_class") and not issubclass(unbound.field_class, NOT_TYPED)
    }
)
LENGTHS = [0, 1, 2, 20, 21, 80, 81, 120, 121, 200, 201, 254, 255, 300, 301, 1000, 2001, 10001]
VALUES = st.one_of(
    st.builds(
        lambda n, c: (c * n)[:n],
        st.sampled_from(LENGTHS),
        st.sampled_from(["x", "ß", "İ", "字", "😀", "a  b", "<b>"]),
    ),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "2006-10-24 10:00",
            "2006-02-30",
            str(2**31),
            str(2**63),
            str(2**64),
            "-" + str(2**63 + 1),
            "9" * 40,
        ]
    ),
    st.text(max_size=30),
)


@pytest.fixture
def world(db, paper, create_user, create_annotation):
    from app.definitions import services as glossary

    people = {
        "participant": create_user(Role.PARTICIPANT),
        "other": create_user(Role.PARTICIPANT),
        "editor": create_user(Role.EDITOR),
        "moderator": create_user(Role.MODERATOR),
    }
    thread = create_annotation(author=people["participant"], section="introduction")
    term, proposal = glossary.create_term(
        people["other"], "Form fixture", definition="A definition."
    )
    db.session.commit()
    ids = {
        "annotation": thread.id,
        "term": term.slug,
        "proposal": proposal.id,
        "participant": people["other"].id,
    }
    return {"people": people, "ids": ids}


def _error_ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)-error"', html))


def _on(error_id: str, name: str, related: set[str]) -> bool:
    """The error stands on the field (whose id a template may prefix) or a related one."""
    return any(error_id == n or error_id.endswith(f"-{n}") for n in {name, *related})


def _text(html: str) -> str:
    """The page's text and the values of its inputs, spaces collapsed."""
    soup = BeautifulSoup(html, "html.parser")
    values = [i.get("value", "") for i in soup.find_all("input")]
    return " ".join(" ".join([soup.get_text(" "), *values]).split())


def _post(client, url: str, prefix: str, data: dict[str, str]):
    named = {(f"{prefix}-{k}" if prefix else k): v.format(n=next(_n)) for k, v in data.items()}
    return client.post(url, data=named)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_fields_at_the_edges(app, world, form):
    url, _, prefix, who, base, _ = FORMS[form]
    url, prefix = url.format(**world["ids"]), prefix.format(**world["ids"])
    client = app.test_client()
    if who is not None:
        assert login(client, world["people"][who], DEFAULT_PASSWORD).status_code in (302, 303)
    # Errors the base form has by itself (a second comment, a vote already given…).
    already = _error_ids(_post(client, url, prefix, base).get_data(as_text=True))
    fields = [field for name, field in CASES if name == form]
    assert fields
    for field in fields:
        check_field(client, url, prefix, form, field, already)


def check_field(client, url: str, prefix: str, form: str, field: str, already: set[str]):
    _, form_class, _, _, base, shown = FORMS[form]
    name = f"{prefix}-{field}" if prefix else field
    hidden = issubclass(getattr(form_class, field).field_class, HiddenField)
    related = RELATED.get((form, field), set())

    def run(value: Any):
        data = {**base, field: value.replace("{", "{{").replace("}", "}}")}
        response = _post(client, url, prefix, data)
        html = response.get_data(as_text=True)
        assert response.status_code < 500, f"{form}.{field}={value!r:.100}: 500"
        if not hidden:  # a hidden field's refusal stands on the field the person typed in
            wrong = {e for e in _error_ids(html) - already if not _on(e, name, related)}
            assert not wrong, f"{form}.{field}={value!r:.100}: errors on {wrong}"
        if response.status_code in (302, 303) and field in shown and value.strip():
            page = _text(client.get(response.headers["Location"]).get_data(as_text=True))
            assert " ".join(value.split()) in page, f"{form}.{field}: {value!r:.80} not shown"

    with_edges(EDGE(given(value=VALUES)(run)), field)()
