"""Every route of the URL map, as each of the eight actors of `app.core.access_matrix`:
what each meets is what the table says, the table's predicate is the one the code asked,
and a refused request stores nothing.

One test per route (endpoint and method) of the table; another fails when the URL map has
a route the table does not list, so that together they walk every route, static files
excepted. A small world is built through the services once per process — a paper in two
versions, the author's thread with another participant's reply, the author's term,
proposal and comment, a flag, a session and an API token for everyone, a suspended account
— and its rows are put back before each test and after each request that was allowed to
change something, so that every actor meets the same world. Web routes are sent with the
actor's session cookie, API routes with its bearer token.

Outcomes are classes of answers: allowed (2xx, or a redirect anywhere but to the log-in
page with a `next`), log in (that redirect, or 401), forbidden (403), not found (404).
Any other answer (a 400, a 409, a 422) means the recipe below is wrong, or the code is:
either way the test says which.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint
from sqlalchemy import func, literal, select, text, union_all, update

from app.accounts import sessions, tokens
from app.accounts.services import issue_api_token
from app.annotations import services as annotations
from app.core import access_matrix, permissions
from app.core.access_matrix import Actor, Outcome
from app.core.mail import queue_mail
from app.definitions import services as definitions
from app.editor.publishing import import_version
from app.models import (
    ApiToken,
    FollowTarget,
    MailStatus,
    ModerationAction,
    Notification,
    OutgoingMail,
    Paper,
    PaperVersion,
    Role,
    Section,
    TargetKind,
    UserSession,
)
from app.moderation import services as moderation
from app.notifications import settings as notification_settings
from app.papers.source import parse_source
from tests.conftest import DEFAULT_PASSWORD

SLUG = "access-paper"
NEW_PASSWORD = "another long passphrase 58"


def source(label: str, change_note: str | None = None) -> str:
    """A small paper: two sections, so that threads have somewhere to stand."""
    note = f'change_note: "{change_note}"\n' if change_note else ""
    return (
        "---\n"
        'title: "Access paper"\n'
        "number: 9\n"
        "series: Think Paper\n"
        "authors:\n  - A. Writer\n"
        "date: 2026-01-01\n"
        f'version: "{label}"\n'
        f"{note}"
        "---\n\n"
        "# 1 One {#one}\n\nThe first section says something worth discussing.\n\n"
        f"# 2 Two {{#two}}\n\nThe second section, in version {label}.\n"
    )


@dataclass
class World:
    """Who is who, and what the routes' URLs and bodies name: plain values, which stay
    true when the rows are put back (`restore`)."""

    emails: dict[Actor, str]
    user_ids: dict[Actor, int]
    thread_id: int
    term_slug: str
    proposal_id: int
    comment_id: int
    unconfirmed_email: str
    notification_id: int = 0
    follow_id: int = 0
    unsubscribe_token: str = ""
    mail_id: int = 0
    session_ids: dict[Actor, int] = field(default_factory=dict)
    cookies: dict[Actor, str] = field(default_factory=dict)
    tokens: dict[Actor, str] = field(default_factory=dict)
    token_ids: dict[Actor, int] = field(default_factory=dict)
    confirm_token: str = ""
    reset_token: str = ""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}

    def values(self, endpoint: str) -> dict[str, Any]:
        """The URL values of `endpoint`: the author's items, the paper's latest version."""
        glossary = endpoint.startswith("definitions.") or endpoint in GLOSSARY_API
        kind, item = (
            ("proposal", self.proposal_id)
            if endpoint.startswith("definitions.")
            else ("annotation", self.thread_id)
        )
        reset = endpoint.startswith("accounts.reset")
        return {
            "slug": self.term_slug if glossary else SLUG,
            "label": "2.0",
            "from_label": "1.0",
            "to_label": "2.0",
            "key": "one",
            "annotation_id": self.thread_id,
            "proposal_id": self.proposal_id,
            "comment_id": self.comment_id,
            "kind": kind,
            "item_id": item,
            "user_id": self.user_ids[Actor.AUTHOR],
            "session_id": self.session_ids[Actor.AUTHOR],
            "token_id": self.token_ids[Actor.AUTHOR],
            "token": self.unsubscribe_token
            if endpoint == "notifications.unsubscribe"
            else self.reset_token
            if reset
            else self.confirm_token,
            "notification_id": self.notification_id,
            "follow_id": self.follow_id,
            "mail_id": self.mail_id,
        }


GLOSSARY_API = {
    "api.term",
    "api.set_aliases",
    "api.flag_term",
    "api.create_proposal",
    "notifications.follow_term",
}


def _empty_tables(db) -> None:
    """DELETE, children first: on PostgreSQL far cheaper than TRUNCATE for a small world
    (`restore` sets the sequences itself)."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(text(f"DELETE FROM {table.name}"))


def restore(db, world: World) -> None:
    """Put the world's rows back as they were after it was built: cheaper than building
    it again through the services, which every request that changed something needs."""
    _empty_tables(db)
    for table in db.metadata.sorted_tables:
        if rows := world.rows.get(table.name):
            db.session.execute(table.insert(), rows)
    if db.engine.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.c:
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
    db.session.commit()
    db.session.expunge_all()


def row_counts(db) -> dict[str, int]:
    """How many rows each table holds, in one query."""
    tables = db.metadata.sorted_tables
    counted = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
    return dict(db.session.execute(counted).all())


def _import(label: str, change_note: str | None = None) -> None:
    import_version(SLUG, parse_source(source(label, change_note), f"papers/{SLUG}/{label}.md"))


BUILT: dict[str, World] = {}


def world_for(db, create_user) -> World:
    """The world, built through the services once per process and put back after."""
    if "world" not in BUILT:
        BUILT["world"] = build_world(db, create_user)
    else:
        restore(db, BUILT["world"])
    return BUILT["world"]


def build_world(db, create_user) -> World:
    """The cast and what they made, committed, with a session and a token for each."""
    roles = {r.value: r for r in Role}
    users = {
        actor: create_user(roles.get(actor.value, Role.PARTICIPANT), name=actor.value.title())
        for actor in Actor
        if actor is not Actor.ANONYMOUS
    }
    reporter = create_user(name="Reporter")
    unconfirmed = create_user(name="Unconfirmed", confirmed=False)
    _import("1.0")
    _import("2.0", "The second version.")
    paper = db.session.scalar(select(Paper).where(Paper.slug == SLUG))
    paper.comment_opens = paper.comment_closes = None
    version = db.session.scalar(
        select(PaperVersion).where(PaperVersion.paper_id == paper.id, PaperVersion.label == "2.0")
    )
    section = db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == "one")
    )
    author, other = users[Actor.AUTHOR], users[Actor.OTHER]
    thread = annotations.create_thread(author, paper, version, section, "The author's thread.")
    annotations.reply(other, thread, "Another participant's reply.")
    moderation.flag(reporter, TargetKind.ANNOTATION, thread, "off_topic")
    term, proposal = definitions.create_term(
        author, "Public value", definition="What the public values."
    )
    comment = definitions.comment(author, proposal, "Why I propose it.")
    definitions.comment(other, proposal, "A fair definition.", comment)
    definitions.vote(other, proposal, "oppose")
    world = World(
        emails={actor: user.email for actor, user in users.items()},
        user_ids={actor: user.id for actor, user in users.items()},
        thread_id=thread.id,
        term_slug=term.slug,
        proposal_id=proposal.id,
        comment_id=comment.id,
        unconfirmed_email=unconfirmed.email,
    )
    for actor, user in users.items():
        sessions.start_session(user, user_agent="pytest", client_address="127.0.0.1")
        world.cookies[actor] = user.get_id()
        world.tokens[actor] = issue_api_token(user, f"{actor.value} token")
    db.session.flush()
    for actor, user in users.items():
        world.session_ids[actor] = db.session.scalar(
            select(UserSession.id).where(UserSession.user_id == user.id)
        )
        world.token_ids[actor] = db.session.scalar(
            select(ApiToken.id).where(ApiToken.user_id == user.id)
        )
    # The author's notification of the other's reply, a follow, and an unsubscribe link.
    world.notification_id = db.session.scalar(
        select(Notification.id).where(Notification.user_id == author.id)
    )
    world.follow_id = notification_settings.follow(author, FollowTarget.PAPER, paper_id=paper.id).id
    world.unsubscribe_token = notification_settings.unsubscribe_token(author, None)
    world.confirm_token = tokens.confirmation_token(unconfirmed)
    world.reset_token = tokens.reset_token(author)
    # Suspended after logging in: its session and token stop naming it.
    moderation.decide(
        users[Actor.ADMIN],
        moderation.Target(TargetKind.USER, users[Actor.SUSPENDED].id),
        ModerationAction.SUSPEND,
        "Spam, again.",
    )
    queue_mail(reporter.email, "A message that could not be delivered", "Its body.")
    db.session.commit()
    # Handed over at the commit (to the outbox folder); made failed, for "retry now".
    world.mail_id = db.session.scalar(select(OutgoingMail.id))
    db.session.execute(
        update(OutgoingMail).values(status=MailStatus.FAILED, last_error="refused", attempts=8)
    )
    db.session.commit()
    world.rows = {
        table.name: [dict(row) for row in db.session.execute(select(table)).mappings()]
        for table in db.metadata.sorted_tables
    }
    db.session.expunge_all()
    return world


# --- what each route is sent ------------------------------------------------------------


def _web(world: World, actor: Actor, endpoint: str) -> dict[str, Any]:
    """The form a person would send to `endpoint` (POST)."""
    pid = world.proposal_id
    forms = {
        "accounts.register": {
            "email": f"new-{actor.name.lower()}@example.org",
            "display_name": "Newcomer",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "stakeholder_type": "academia",
            "terms": "y",
        },
        "accounts.resend_confirmation": {"email": world.unconfirmed_email},
        "accounts.login": {
            "email": world.emails.get(actor, "nobody@example.org"),
            "password": DEFAULT_PASSWORD,
        },
        "accounts.request_reset": {"email": world.emails[Actor.AUTHOR]},
        "accounts.reset_password": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "accounts.profile": {"display_name": "Renamed", "stakeholder_type": "academia"},
        "accounts.choose_language": {"language": "de", "next": "/"},
        "accounts.change_password": {
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        "accounts.create_token": {"label": "laptop"},
        "accounts.delete_account": {"delete_password": DEFAULT_PASSWORD},
        "accounts.notifications_settings": {
            "notify-reply": "digest",
            "notify-answer": "immediate",
            "notify-moderation": "immediate",
            "notify-new_version": "off",
            "notify-followed": "digest",
        },
        "annotations.section": {"kind": "comment", "body": "A new thought."},
        "annotations.thread_fragment": {"kind": "comment", "body": "A new thought."},
        "annotations.section_preview": {"kind": "comment", "body": "A new thought."},
        "annotations.margin_form_fragment": {"kind": "comment", "body": "A new thought."},
        "annotations.margin_preview_fragment": {"kind": "comment", "body": "A new thought."},
        "annotations.edit": {"body": "Changed."},
        "annotations.edit_fragment": {"body": "Changed."},
        "annotations.edit_preview": {"body": "Changed."},
        "annotations.edit_preview_fragment": {"body": "Changed."},
        "annotations.flag": {"reason": "spam"},
        "annotations.disposition": {"outcome": "noted", "response": "Thank you."},
        "definitions.index": {"label": "Citizen-centric", "definition": "Centred on citizens."},
        "definitions.propose": {"text": "Another definition."},
        "definitions.vote": {"stance": "support"},
        "definitions.adopt": {f"adopt{pid}-text": ""},
        "definitions.reject": {f"reject{pid}-reason": "Too vague."},
        "definitions.aliases": {"aliases": "public values"},
        "definitions.comment": {f"p{pid}-body": "Agreed."},
        "definitions.flag": {"reason": "spam"},
        "editor.comment_period": {"opens": "", "closes": ""},
        "editor.publish": {"source_text": source("3.0", "A third."), "change_note": ""},
        "editor.triage_list": {"threads": [str(world.thread_id)], "outcome": "noted"},
        "moderation.decide": {
            "target": f"annotation:{world.thread_id}",
            "action": "hide",
            "reason": "Off topic.",
        },
        "moderation.bulk": {"targets": [f"annotation:{world.thread_id}"], "reason": "Fine."},
        "moderation.user_decide": {"action": "restrict", "reason": "Trolls."},
        "admin.change_role": {"role": "moderator", "reason": "Joins the moderators."},
    }
    if endpoint.startswith("annotations.reply"):
        return {"body": "Me too."}
    return forms.get(endpoint, {})


def _api(world: World, endpoint: str) -> dict[str, Any] | None:
    """The JSON body a client would send to `endpoint`, or None for none."""
    bodies = {
        "api.create_annotation": {
            "paper": SLUG,
            "version": "2.0",
            "section": "one",
            "body": "A point.",
        },
        "api.edit_annotation": {"body": "Changed."},
        "api.answer_thread": {"outcome": "noted", "response": "Thank you."},
        "api.moderation_decision": {
            "target": {"type": "annotation", "id": world.thread_id},
            "action": "hide",
            "reason": "Off topic.",
        },
        "api.create_term": {"label": "Citizen-centric"},
        "api.create_proposal": {"text": "Another definition."},
        "api.vote": {"stance": "support"},
        "api.create_comment": {"body": "Agreed."},
        "api.reject": {"reason": "Too vague."},
        "api.set_aliases": {"aliases": ["public values"]},
        "api.publish_version": {"source": source("3.0", "A third.")},
    }
    if endpoint.startswith("api.flag_"):
        return {"reason": "spam"}
    return bodies.get(endpoint)


def send(app, world: World, actor: Actor, endpoint: str, method: str):
    """The request `actor` makes to the route, with its cookie or its token."""
    path = app.url_map.bind("localhost").build(
        endpoint,
        {k: v for k, v in world.values(endpoint).items() if k in _arguments(app, endpoint)},
    )
    client = app.test_client()
    options: dict[str, Any] = {}
    if endpoint.startswith("api."):
        if actor in world.tokens:
            options["headers"] = {"Authorization": f"Bearer {world.tokens[actor]}"}
        if method != "GET" and (body := _api(world, endpoint)) is not None:
            options["json"] = body
    else:
        if actor in world.cookies:
            with client.session_transaction() as cookie:
                cookie["_user_id"] = world.cookies[actor]
                cookie["_fresh"] = True
        if method == "POST":
            options["data"] = _web(world, actor, endpoint)
    response = client.open(path, method=method, **options)
    # Read a streamed answer to its end and close it, as a WSGI server does, while its
    # request is the current one.
    response.get_data()
    response.close()
    return response


def _arguments(app, endpoint: str) -> set[str]:
    return next(rule.arguments for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)


def outcome_of(response) -> Outcome | None:
    """The class of an answer, or None when it is none of the four."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        # Sent to log in, and back here after (`next`); not a success that leads to the
        # log-in page (a confirmed address, a new password, logging out everywhere).
        target = urlsplit(response.headers.get("Location", ""))
        asked = target.path.endswith("/login") and "next" in parse_qs(target.query)
        return Outcome.LOG_IN if asked else Outcome.ALLOWED
    if 200 <= status < 300:
        return Outcome.ALLOWED
    return {401: Outcome.LOG_IN, 403: Outcome.FORBIDDEN, 404: Outcome.NOT_FOUND}.get(status)


# --- which predicates a request asked ---------------------------------------------------

PREDICATES = {
    fn.__code__: fn.__name__
    for fn in vars(permissions).values()
    if callable(fn) and getattr(fn, "__module__", None) == permissions.__name__
}


class Asked:
    """The predicates of `app.core.permissions` that the code called, not the templates
    (every page asks `can_moderate` for its menu) nor what they call."""

    def __init__(self, active: bool = True) -> None:
        self.active = active
        self.names: set[str] = set()

    def _trace(self, frame, event, _arg):
        if frame.f_code in PREDICATES:
            caller = frame.f_back
            while caller is not None and not caller.f_code.co_filename.endswith(".html"):
                caller = caller.f_back
            if caller is None:
                self.names.add(PREDICATES[frame.f_code])
        # Returning None: no line events, only calls are of interest.

    def __enter__(self):
        self._before = sys.gettrace()
        if self.active:
            sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._before)


# --- the walk ---------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config):
    """Rate limits off: the walk sends many requests from one address in a moment."""

    class Config(app_config):
        RATELIMIT_ENABLED = False

    return Config


ROUTES = sorted(access_matrix.entries())


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{m} {e}" for e, m in ROUTES])
def test_each_actor_meets_what_the_table_says(app, db, create_user, endpoint, method):
    action = access_matrix.entries()[(endpoint, method)]
    rule = action.rule
    world = world_for(db, create_user)
    wrong = []
    for actor in Actor:
        expected = rule.outcome(actor)
        # Tracing slows every call: only where the table's predicate must have been asked.
        traced = rule.predicate is not None and expected in (Outcome.ALLOWED, Outcome.FORBIDDEN)
        with Asked(traced) as asked:
            response = send(app, world, actor, endpoint, method)
        met = outcome_of(response)
        db.session.rollback()
        if met is not expected:
            where = response.headers.get("Location", "")
            body = response.get_data(as_text=True)[:300] if met is None else ""
            wrong.append(f"{actor.value}: {response.status_code} {where} {body}".rstrip())
        elif met is not Outcome.ALLOWED and row_counts(db) != world.counts:
            wrong.append(f"{actor.value}: refused ({response.status_code}), yet rows changed")
        elif traced and rule.predicate.__name__ not in asked.names:
            wrong.append(
                f"{actor.value}: {rule.predicate.__name__} was not asked (asked: "
                f"{', '.join(sorted(asked.names)) or 'nothing'})"
            )
        if method != "GET" and (met is Outcome.ALLOWED or met is not expected):
            restore(db, world)  # the next actor meets the world as it was
    assert not wrong, f"{method} {endpoint} ({action.label}):\n" + "\n".join(wrong)


# --- the table itself -------------------------------------------------------------------


def test_every_route_has_an_entry_and_every_entry_a_route(app):
    assert access_matrix.missing(app.url_map) == []
    assert access_matrix.stale(app.url_map) == []


def test_a_route_without_an_entry_is_reported(app):
    extra = Blueprint("extra", __name__)

    @extra.route("/extra", methods=["GET", "POST"])
    def unlisted():
        return "nobody said who may"

    app.register_blueprint(extra)
    assert access_matrix.missing(app.url_map) == [
        ("extra.unlisted", "GET"),
        ("extra.unlisted", "POST"),
    ]


def test_each_route_is_listed_once():
    counted = [key for action in access_matrix.actions() for key in action.keys]
    assert len(counted) == len(set(counted)) == len(access_matrix.entries())


def test_the_docs_show_the_table(app):
    committed = Path(__file__).resolve().parents[2] / "docs" / "access.md"
    assert committed.read_text(encoding="utf-8") == access_matrix.markdown(app.url_map), (
        "docs/access.md is out of date: run `flask access table > docs/access.md`"
    )


def test_flask_access_table_prints_the_docs(app):
    result = app.test_cli_runner().invoke(args=["access", "table"])
    assert result.exit_code == 0
    assert result.output == access_matrix.markdown(app.url_map)


@pytest.mark.parametrize(
    ("role", "path", "who"),
    [
        (Role.EDITOR, "/moderation/", "moderators and admins"),
        (Role.MODERATOR, "/editor/", "series editors and admins"),
    ],
)
def test_a_refused_page_says_who_may_from_the_table(
    client, create_user, logged_in, role, path, who
):
    logged_in(create_user(role))
    response = client.get(path)
    assert response.status_code == 403
    assert f"This is for {who}." in response.get_data(as_text=True)
