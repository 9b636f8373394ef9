"""Pre-moderation holds whatever its author does next.

A contribution that a moderator has not let out (awaiting review, hidden by a moderator or
after flags, rejected) stays out of sight of others whatever its author does with it, through
the web forms or the API: edit, delete, reply, withdraw, re-propose, comment, vote. And what
the author adds to it waits for a moderator too, even once the author is trusted.

One matrix: every moderated kind (thread, reply, term, definition proposal, comment on a
proposal) × every state × every author action × both ways in (form, API) × the author's
standing (still reviewed; trusted since). Afterwards an anonymous visitor and another
participant see exactly what they saw before (paper page with its margin counts and term
tips, section page, permalinks, glossary, API lists and items), none of the words the author
wrote is shown to them, nothing answers with a server error, and the author still sees
what they wrote.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.accounts.services import issue_api_token
from app.annotations import services as annotating
from app.definitions import services as glossary
from app.extensions import db
from app.models import (
    Annotation,
    DefinitionProposal,
    ModerationAction,
    Paper,
    PaperVersion,
    ProposalComment,
    Role,
    Section,
    TargetKind,
)
from app.moderation import services as moderation
from tests.conftest import login

API = "/api/v1"
SLUG = "small"
SOURCE = """---
title: A small paper
authors: [A. Author]
date: 2020-01-01
version: "1.0"
---

# 1 One {#one}

Open data is what the first section speaks of.

# 2 Two {#two}

The second section.
"""
TERM = "Open data"
ANNOTATION_KINDS = ("thread", "reply")
KINDS = ("thread", "reply", "term", "proposal", "comment")
STATES = ("pending", "published", "hidden_by_moderator", "hidden_by_flags", "rejected")
TARGET_KINDS = {
    "thread": TargetKind.ANNOTATION,
    "reply": TargetKind.ANNOTATION,
    "term": TargetKind.TERM,
    "proposal": TargetKind.PROPOSAL,
    "comment": TargetKind.COMMENT,
}


@dataclass
class Scene:
    """The author's item of one kind in one state, the context it lives in, and who looks."""

    kind: str
    item: Any
    context: list[Any]  # what the item hangs on (thread root, term, proposal)
    author_web: Any
    author_token: str
    api: Any  # an anonymous client for bearer-token calls
    viewers: dict[str, Any]
    author_view: Any
    item_n: int
    written: list[str] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    @property
    def original(self) -> str:
        """The words the item was made with (for a term: its label)."""
        return self.item.label if self.kind == "term" else f"Original{self.item_n}words"

    @property
    def term(self) -> Any:
        """The term of a glossary item."""
        return self.item if self.kind == "term" else self.context[0]

    def words(self) -> str:
        """New words the author writes, findable in any page."""
        marker = f"heldwords{next(self._counter)}x{self.item.id}"
        self.written.append(marker)
        return f"Something {marker} said."

    def web(self, method: str, url: str, **data):
        answer = self.author_web.open(url, method=method, data=data)
        self.answers.append(answer)
        return answer

    def call(self, method: str, url: str, payload: dict | None = None):
        headers = {"Authorization": f"Bearer {self.author_token}"}
        answer = self.api.open(f"{API}{url}", method=method, json=payload, headers=headers)
        self.answers.append(answer)
        return answer


# --- the scene -------------------------------------------------------------------------


@pytest.fixture
def people(create_user):
    return {
        "author": create_user(trusted=False, name="Nina Newcomer"),
        "other": create_user(name="Otto Other"),
        "viewer": create_user(name="Vera Viewer"),
        "moderator": create_user(Role.MODERATOR, name="Mona Moderator"),
    }


@pytest.fixture
def small_paper(import_paper, db):
    import_paper(SOURCE, slug=SLUG)
    version = db.session.scalar(select(PaperVersion).order_by(PaperVersion.id.desc()))
    section = db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == "one")
    )
    return version, section


def _create(kind: str, people, small_paper, n: int) -> tuple[Any, list[Any]]:
    """The author's item of `kind`, pending, and what it hangs on (published); the n-th
    case names its term "Open data n"."""
    author, other = people["author"], people["other"]
    version, section = small_paper
    paper = db.session.get(Paper, version.paper_id)
    words = f"Said Original{n}words here."
    if kind == "thread":
        return annotating.create_thread(author, paper, version, section, words), []
    if kind == "reply":
        root = annotating.create_thread(other, paper, version, section, "Other's thread.")
        return annotating.reply(author, root, words), [root]
    if kind == "term":
        term, _ = glossary.create_term(author, f"{TERM} {n}x{n}")
        return term, []
    term, _ = glossary.create_term(other, f"{TERM} {n}")
    if kind == "proposal":
        return glossary.propose(author, term, words), [term]
    proposal = glossary.propose(other, term, "Data anyone may use.")
    return glossary.comment(author, proposal, words), [term, proposal]


def _bring_to(state: str, kind: str, item: Any, people, create_user) -> None:
    target = moderation.Target(TARGET_KINDS[kind], item.id)
    moderator = people["moderator"]

    def decide(action: ModerationAction) -> None:
        moderation.decide(moderator, target, action, "Decided in a test.")

    if state == "rejected":
        decide(ModerationAction.REJECT)
        return
    if state == "pending":
        return
    decide(ModerationAction.APPROVE)
    if state == "hidden_by_moderator":
        decide(ModerationAction.HIDE)
    elif state == "hidden_by_flags":
        for n in range(3):
            reporter = create_user(name=f"Flagger {n}")
            moderation.flag(reporter, TARGET_KINDS[kind], item, "spam")


@pytest.fixture
def scene_for(app, db, people, small_paper, create_user):
    """A fresh item per case, in one app (its templates compiled once) and one log-in
    per account."""
    app.config["PREMODERATION_THRESHOLD"] = 1000  # the reviewed author stays reviewed
    authors = {
        "still reviewed": people["author"],
        "trusted since": create_user(trusted=False, name="Tomas Trusted-Later"),
    }
    webs = {}
    for standing, author in authors.items():
        webs[standing] = app.test_client()
        assert login(webs[standing], author).status_code in (302, 303)
    viewer_web = app.test_client()
    assert login(viewer_web, people["viewer"]).status_code in (302, 303)
    tokens = {standing: issue_api_token(a, "test") for standing, a in authors.items()}
    db.session.commit()
    cases = itertools.count()

    def make(kind: str, state: str, standing: str) -> Scene:
        author = authors[standing]
        author.trusted = False  # what it made before it was trusted waited for review
        db.session.commit()
        n = next(cases)
        item, context = _create(kind, {**people, "author": author}, small_paper, n)
        db.session.commit()
        assert item.status.value == "pending"
        _bring_to(state, kind, item, people, create_user)
        author.trusted = standing == "trusted since"
        db.session.commit()
        db.session.refresh(item)
        return Scene(
            kind,
            item,
            context,
            webs[standing],
            tokens[standing],
            app.test_client(),
            {"anonymous": app.test_client(), "another participant": viewer_web},
            webs[standing],
            n,
        )

    return make


# --- what a viewer sees ----------------------------------------------------------------


def _urls(scene: Scene, extra_ids: dict[str, list[int]] | None = None) -> list[str]:
    """Every address where the item, its context or what was added to them could show."""
    urls = [f"/papers/{SLUG}/"]  # the margin's counts, the highlights, the term tips
    if scene.kind in ANNOTATION_KINDS:
        urls += [f"/papers/{SLUG}/v/1.0/sections/one/"]
        urls += [f"{API}/papers/{SLUG}/versions/1.0/annotations"]
    else:
        urls += ["/glossary/", f"/glossary/{scene.term.slug}", f"{API}/terms"]
        urls += [f"{API}/terms/{scene.term.slug}"]
    ids = {"annotation": [], "proposal": []}
    for row in [scene.item, *scene.context]:
        if isinstance(row, Annotation):
            ids["annotation"].append(row.id)
        elif isinstance(row, DefinitionProposal):
            ids["proposal"].append(row.id)
    for name, more in (extra_ids or {}).items():
        ids[name] += more
    for annotation_id in ids["annotation"]:
        urls += [f"/annotations/{annotation_id}", f"{API}/annotations/{annotation_id}"]
    for proposal_id in ids["proposal"]:
        urls += [f"{API}/proposals/{proposal_id}"]
    return urls


def _seen(response) -> str:
    """What a page or an answer shows, without what changes from one request to the next."""
    if response.is_json:
        return json.dumps(response.get_json(), sort_keys=True)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    for element in soup(["script", "style", "head"]):
        element.decompose()
    marks = [
        f"{el.name}:{el.get('data-annotations') or el.get('data-annotation')}"
        for el in soup.select("[data-annotations], [data-annotation]")
    ]
    return " ".join(soup.get_text(" ").split()) + " " + " ".join(marks)


# One request id for every look, so that an error page (which shows the request's id)
# reads the same before and after when nothing else changed.
SAME_REQUEST_ID = {"X-Request-ID": "premoderation-snapshot"}


def _snapshot(client, urls: list[str]) -> dict[str, tuple[int, str]]:
    shown = {}
    for url in urls:
        response = client.get(url, headers=SAME_REQUEST_ID)
        assert response.status_code < 500, (url, response.status_code)
        shown[url] = (response.status_code, _seen(response))
    return shown


def _max_ids(db) -> dict[str, int]:
    return {
        "annotation": db.session.scalar(select(func.max(Annotation.id))) or 0,
        "proposal": db.session.scalar(select(func.max(DefinitionProposal.id))) or 0,
        "comment": db.session.scalar(select(func.max(ProposalComment.id))) or 0,
    }


# --- what the author does ----------------------------------------------------------------


def _annotation_edit(s: Scene, web: bool):
    if web:
        s.web("POST", f"/annotations/{s.item.id}/edit", body=s.words())
    else:
        s.call("PATCH", f"/annotations/{s.item.id}", {"body": s.words()})


def _annotation_delete(s: Scene, web: bool):
    if web:
        s.web("POST", f"/annotations/{s.item.id}/delete", post="Delete")
    else:
        s.call("DELETE", f"/annotations/{s.item.id}")


def _annotation_reply(s: Scene, web: bool, parent_id: int | None = None):
    parent_id = parent_id or s.item.id
    if web:
        s.web("POST", f"/annotations/{parent_id}/replies", body=s.words())
    else:
        s.call("POST", "/annotations", {"parent": parent_id, "body": s.words()})


def _newest_annotation_id(s: Scene) -> int | None:
    newest = db.session.scalar(
        select(Annotation.id)
        .where(Annotation.author_id == s.item.author_id)
        .order_by(Annotation.id.desc())
    )
    return newest if newest != s.item.id else None


def _annotation_reply_twice_then_delete(s: Scene, web: bool):
    """Answer oneself, answer the answer, then delete the item: no placeholder may show."""
    _annotation_reply(s, web)
    first = _newest_annotation_id(s)
    if first is not None:
        _annotation_reply(s, web, first)
    _annotation_delete(s, web)


def _annotation_reply_then_edit(s: Scene, web: bool):
    _annotation_reply(s, web)
    _annotation_edit(s, web)


def _term_propose(s: Scene, web: bool, term_slug: str | None = None):
    slug = term_slug or s.item.slug
    if web:
        s.web("POST", f"/glossary/{slug}/proposals", text=s.words())
    else:
        s.call("POST", f"/terms/{slug}/proposals", {"text": s.words()})


def _term_propose_and_comment(s: Scene, web: bool):
    _term_propose(s, web)
    newest = db.session.scalar(
        select(DefinitionProposal.id).where(DefinitionProposal.term_id == s.item.id)
    )
    if newest is not None:
        _proposal_comment(s, web, newest)


def _term_again(s: Scene, web: bool):
    """Start the same term again, with a definition."""
    if web:
        s.web("POST", "/glossary/", label=s.term.label, definition=s.words())
    else:
        s.call("POST", "/terms", {"label": s.term.label, "definition": s.words()})


def _proposal_withdraw(s: Scene, web: bool):
    if web:
        s.web("POST", f"/glossary/{s.term.slug}/proposals/{s.item.id}/withdraw")
    else:
        s.call("POST", f"/proposals/{s.item.id}/withdraw")


def _proposal_comment(s: Scene, web: bool, proposal_id: int | None = None, parent=None):
    proposal_id = proposal_id or s.item.id
    if web:
        data = {f"p{proposal_id}-body": s.words()}
        if parent is not None:
            data[f"p{proposal_id}-parent_id"] = str(parent)
        s.web("POST", f"/glossary/{s.term.slug}/proposals/{proposal_id}/comments", **data)
    else:
        payload = {"body": s.words()}
        if parent is not None:
            payload["parent"] = parent
        s.call("POST", f"/proposals/{proposal_id}/comments", payload)


def _proposal_comment_then_withdraw(s: Scene, web: bool):
    _proposal_comment(s, web)
    _proposal_withdraw(s, web)


def _proposal_withdraw_then_propose_again(s: Scene, web: bool):
    _proposal_withdraw(s, web)
    _term_propose(s, web, s.term.slug)


def _proposal_vote(s: Scene, web: bool):
    if web:
        s.web("POST", f"/glossary/{s.term.slug}/proposals/{s.item.id}/vote", stance="support")
    else:
        s.call("PUT", f"/proposals/{s.item.id}/vote", {"stance": "support"})


def _comment_reply(s: Scene, web: bool):
    _proposal_comment(s, web, s.item.proposal_id, parent=s.item.id)


ACTIONS: dict[str, dict[str, Callable[[Scene, bool], None]]] = {
    "thread": {
        "edit": _annotation_edit,
        "delete": _annotation_delete,
        "reply": _annotation_reply,
        "reply, reply to that, delete": _annotation_reply_twice_then_delete,
        "reply, edit": _annotation_reply_then_edit,
    },
    "term": {
        "propose": _term_propose,
        "propose, comment": _term_propose_and_comment,
        "start it again": _term_again,
    },
    "proposal": {
        "withdraw": _proposal_withdraw,
        "comment": _proposal_comment,
        "comment, withdraw": _proposal_comment_then_withdraw,
        "withdraw, propose again": _proposal_withdraw_then_propose_again,
        "vote": _proposal_vote,
    },
    "comment": {"reply": _comment_reply},
}
ACTIONS["reply"] = ACTIONS["thread"]
# Actions that take the item away.
REMOVES = {"delete", "reply, reply to that, delete", "withdraw", "comment, withdraw"}
# ("withdraw, propose again" makes a new proposal on a published term: a trusted author's
# is published, a reviewed author's waits.)
# Actions after which what the author wrote last is still theirs to see.
ADDS = {
    "reply",
    "reply, reply to that, delete",
    "reply, edit",
    "propose",
    "propose, comment",
    "comment",
}
KEEPS_WORDS = {"edit", "reply", "reply, edit", "propose", "propose, comment", "comment"}

CASES = [
    (action, way, standing)
    for action in sorted(set().union(*(ACTIONS[kind] for kind in KINDS)))
    for way in ("form", "api")
    for standing in ("still reviewed", "trusted since")
]


def _cases(kind: str, state: str):
    for action, way, standing in CASES:
        if action not in ACTIONS[kind]:
            continue
        # Trust matters only to what an action adds, and only inside what is held: a
        # trusted author's additions to published content are published.
        if standing == "trusted since" and (state == "published" or action not in ADDS):
            continue
        yield action, way, standing


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_nothing_unapproved_reaches_others_whatever_the_author_does(scene_for, db, kind, state):
    failures = []
    for action, way, standing in _cases(kind, state):
        scene = scene_for(kind, state, standing)
        case = f"{action} ({way}, author {standing})"
        failures += [f"{case}: {problem}" for problem in _check(scene, db, state, action, way)]
    assert not failures, "\n".join(failures)


def _check(scene: Scene, db, state: str, action: str, way: str) -> list[str]:
    """Do `action` as the item's author; what others see afterwards that they should not."""
    problems = []
    urls = _urls(scene)
    before = {name: _snapshot(client, urls) for name, client in scene.viewers.items()}
    ids_before = _max_ids(db)

    ACTIONS[scene.kind][action](scene, way == "form")

    for answer in scene.answers:
        if answer.status_code >= 500:
            problems.append(f"server error {answer.get_data(as_text=True)[:200]}")
    db.session.expire_all()
    ids_after = _max_ids(db)
    new_ids = {
        name: list(range(ids_before[name] + 1, ids_after[name] + 1))
        for name in ("annotation", "proposal")
    }
    wider = _urls(scene, new_ids)
    for name, client in scene.viewers.items():
        after = _snapshot(client, wider)
        if state != "published" and not (state.startswith("hidden") and action in REMOVES):
            # Nothing the author did changes what others see. (Deleting or withdrawing
            # what others saw as a placeholder, "hidden", may take the placeholder away.)
            changed = [u for u in urls if after[u] != before[name][u]]
            if changed:
                problems.append(f"{name} sees a change at {changed}")
        for url, (_status, shown) in after.items():
            if state != "published" and scene.original in shown:
                problems.append(f"{name} sees the item's words at {url}")
            for words in scene.written:
                if words in shown:
                    problems.append(f"{name} sees the author's new words at {url}")
    if action in KEEPS_WORDS and scene.written and scene.answers[-1].status_code < 400:
        mine = _snapshot(scene.author_view, wider)
        if not any(scene.written[-1] in shown for _status, shown in mine.values()):
            problems.append("the author does not see what they wrote")
    return problems
