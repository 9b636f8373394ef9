"""Who may do what: the one table of actions × actors that the code, the tests and the
docs share.

Each action names the routes that do it (endpoint and method, as in `app.url_map`) and
the rule that decides it. A rule names the predicate of `app.core.permissions` that the
views and services ask (None where logging in is all it takes, or where the query itself
finds only the caller's own rows), and what each of the eight actors meets: allowed,
asked to log in (a redirect to the log-in page, or 401 from the API and from the
fragments that scripts fetch), refused (403), or not found (404, where hiding is the
rule).

Why a table and not only the predicates: a predicate says who passes one check, but not
which routes ask it, nor what a visitor who fails it sees. `tests/web/test_access_matrix.py`
walks every route of the URL map as every actor and checks that the outcome is the one
written here and that the rule's predicate is the one the code asked; a route missing
from the table fails it. `docs/access.md` is generated from the table (`flask access
table`), and a test keeps the committed file equal to it. A refused page says who may use
it in the rule's words (`app.core.errors`).

A suspended account is logged out everywhere at once (its sessions and API tokens name no
one, `app.accounts.sessions`), and it cannot log in: it reads what anyone reads, and
everything else asks it to log in.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core import permissions as p
from app.core.i18n import lazy_gettext as _l


class Actor(enum.Enum):
    """Who makes the request, as the access test casts them."""

    ANONYMOUS = "anonymous"
    PARTICIPANT = "participant"
    AUTHOR = "author"
    OTHER = "other participant"
    MODERATOR = "moderator"
    EDITOR = "editor"
    ADMIN = "admin"
    SUSPENDED = "suspended"


ACTOR_NOTES = {
    Actor.ANONYMOUS: "not logged in",
    Actor.PARTICIPANT: "a confirmed participant who had no part in the item",
    Actor.AUTHOR: "the participant who wrote the item (the thread, the term, the proposal, "
    "the comment), or whose session or API token it is",
    Actor.OTHER: "another participant who took part in it (replied to the thread, voted on "
    "and discussed the proposal), with sessions and API tokens of their own",
    Actor.MODERATOR: "a moderator",
    Actor.EDITOR: "a series editor",
    Actor.ADMIN: "an administrator",
    Actor.SUSPENDED: "a participant suspended by a moderator after logging in",
}


class Outcome(enum.Enum):
    """What an actor meets; `symbol` is how docs/access.md shows it."""

    ALLOWED = "allowed"
    LOG_IN = "log in"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not found"

    @property
    def symbol(self) -> str:
        return {
            Outcome.ALLOWED: "✓",
            Outcome.LOG_IN: "log in",
            Outcome.FORBIDDEN: "403",
            Outcome.NOT_FOUND: "404",
        }[self]


SIGNED_IN = frozenset(Actor) - {Actor.ANONYMOUS, Actor.SUSPENDED}


@dataclass(frozen=True)
class Rule:
    """Who may, in words; the predicate the code asks; what each actor meets."""

    who: Any  # words, translated where they are shown
    predicate: Callable[..., bool] | None
    outcomes: Mapping[Actor, Outcome]

    def outcome(self, actor: Actor) -> Outcome:
        return self.outcomes[actor]


def _rule(
    who: Any,
    predicate: Callable[..., bool] | None,
    allowed: Iterable[Actor],
    *,
    others: Outcome = Outcome.FORBIDDEN,
) -> Rule:
    """A rule for logged-in actors: those in `allowed` may, the other logged-in ones meet
    `others`, and who is not logged in (the suspended included) is asked to log in."""
    allowed = frozenset(allowed)
    outcomes = {
        actor: Outcome.ALLOWED if actor in allowed else others if actor in SIGNED_IN
        else Outcome.LOG_IN
        for actor in Actor
    }  # fmt: skip
    return Rule(who, predicate, outcomes)


EVERYONE = Rule(_l("everyone"), None, dict.fromkeys(Actor, Outcome.ALLOWED))
LOGGED_IN = _rule(_l("anyone logged in"), None, SIGNED_IN)
OWNER = _rule(
    _l("the account it belongs to; another's is not found"),
    None,
    {Actor.AUTHOR},
    others=Outcome.NOT_FOUND,
)
PARTICIPANTS = _rule(_l("anyone logged in with a confirmed address"), p.can_annotate, SIGNED_IN)
NOT_ON_OWN = _rule(
    _l("anyone logged in with a confirmed address, but not on their own contribution"),
    p.can_flag,
    SIGNED_IN - {Actor.AUTHOR},
)
VOTERS = _rule(
    _l("anyone logged in with a confirmed address, but not on their own proposal"),
    p.can_annotate,
    SIGNED_IN - {Actor.AUTHOR},
)
EDITING_AUTHOR = _rule(_l("its author"), p.can_edit_annotation, {Actor.AUTHOR})
DELETING_AUTHOR = _rule(_l("its author"), p.can_delete_annotation, {Actor.AUTHOR})
PROPOSAL_AUTHOR = _rule(_l("its author"), p.is_author, {Actor.AUTHOR})
STAFF_EDITORS = {Actor.EDITOR, Actor.ADMIN}
EDITORS = _rule(_l("series editors and admins"), p.can_edit_papers, STAFF_EDITORS)
ANSWERERS = _rule(_l("series editors and admins"), p.can_answer, STAFF_EDITORS)
ADOPTERS = _rule(_l("series editors and admins"), p.can_adopt, STAFF_EDITORS)
MODERATORS = _rule(_l("moderators and admins"), p.can_moderate, {Actor.MODERATOR, Actor.ADMIN})
ADMINS = _rule(_l("admins"), p.can_see_outbox, {Actor.ADMIN})
ROLE_MANAGERS = _rule(_l("admins"), p.can_manage_roles, {Actor.ADMIN})


@dataclass(frozen=True)
class Action:
    """Something a person does, the routes that do it (`"METHOD endpoint"`), and its rule."""

    label: str
    rule: Rule
    routes: tuple[str, ...]
    note: str = ""
    keys: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        keys = []
        for route in self.routes:
            method, endpoint = route.split()
            keys.append((endpoint, method))
        object.__setattr__(self, "keys", tuple(keys))


# (group, actions): the order docs/access.md shows them in.
MATRIX: tuple[tuple[str, tuple[Action, ...]], ...] = (
    (
        "Reading",
        (
            Action("read the list of papers", EVERYONE, ("GET papers.index", "GET api.papers")),
            Action(
                "read a paper, one of its versions",
                EVERYONE,
                (
                    "GET papers.paper",
                    "GET papers.version",
                    "GET annotations.paper_feed",
                    "GET api.paper",
                    "GET api.version",
                ),
            ),
            Action(
                "compare two versions", EVERYONE, ("GET papers.compare_pick", "GET papers.compare")
            ),
            Action(
                "print a version, alone or with the comments the reader may see",
                EVERYONE,
                ("GET papers.printable",),
            ),
            Action(
                "read what became of the comments on a version",
                EVERYONE,
                (
                    "GET papers.responses",
                    "GET papers.responses_csv",
                    "GET papers.responses_docx",
                    "GET papers.responses_odt",
                ),
            ),
            Action("read the terms of participation", EVERYONE, ("GET papers.terms",)),
            Action("read the accessibility statement", EVERYONE, ("GET papers.accessibility",)),
            Action(
                "read a section's threads",
                EVERYONE,
                (
                    "GET annotations.section_feed",
                    "GET annotations.section",
                    "GET annotations.margin_fragment",
                    "GET annotations.passages",
                    "GET api.version_annotations",
                ),
            ),
            Action(
                "read a thread, a contribution, its card and its history",
                EVERYONE,
                (
                    "GET annotations.thread",
                    "GET annotations.article_fragment",
                    "GET annotations.card_fragment",
                    "GET annotations.history",
                    "GET annotations.reply",
                    "GET api.annotation",
                ),
                note="`GET …/replies` opens the thread at its reply form",
            ),
            Action(
                "read the glossary, a term, a proposal",
                EVERYONE,
                (
                    "GET definitions.index",
                    "GET definitions.term",
                    "GET definitions.term_feed",
                    "GET definitions.new",
                    "GET api.terms",
                    "GET api.term",
                    "GET api.proposal",
                ),
            ),
            Action(
                "search papers, comments and definitions (what the searcher may see)",
                EVERYONE,
                ("GET search.index", "GET api.search"),
            ),
            Action("read the API's description", EVERYONE, ("GET api.openapi_document",)),
            Action(
                "read a paper's public discussion as W3C Web Annotations",
                EVERYONE,
                ("GET api.paper_annotations",),
            ),
            Action(
                "ask whether the site is up", EVERYONE, ("GET health.healthz", "GET health.readyz")
            ),
        ),
    ),
    (
        "Accounts",
        (
            Action(
                "register, confirm the address",
                EVERYONE,
                (
                    "GET accounts.register",
                    "POST accounts.register",
                    "GET accounts.check_inbox",
                    "GET accounts.confirm_email",
                    "GET accounts.resend_confirmation",
                    "POST accounts.resend_confirmation",
                ),
                note="a logged-in visitor is sent to the account page",
            ),
            Action(
                "log in, log out",
                EVERYONE,
                (
                    "GET accounts.login",
                    "POST accounts.login",
                    "GET accounts.logout",
                    "POST accounts.logout",
                ),
                note="a suspended account is told so and stays logged out",
            ),
            Action(
                "choose the language of the site",
                EVERYONE,
                ("POST accounts.choose_language",),
                note="kept by the account when logged in, else in a cookie; not from another site",
            ),
            Action(
                "reset a forgotten password",
                EVERYONE,
                (
                    "GET accounts.request_reset",
                    "POST accounts.request_reset",
                    "GET accounts.reset_password",
                    "POST accounts.reset_password",
                ),
            ),
            Action(
                "see and edit one's account, download one's data",
                LOGGED_IN,
                ("GET accounts.profile", "POST accounts.profile", "GET accounts.export_data"),
            ),
            Action(
                "see one's own contributions and where each stands",
                LOGGED_IN,
                ("GET accounts.contributions",),
            ),
            Action(
                "change one's password, log out everywhere, create an API token, delete "
                "one's account",
                LOGGED_IN,
                (
                    "POST accounts.change_password",
                    "POST accounts.logout_everywhere",
                    "POST accounts.create_token",
                    "POST accounts.delete_account",
                ),
            ),
            Action(
                "choose how notifications are e-mailed",
                LOGGED_IN,
                ("POST accounts.notifications_settings",),
            ),
            Action("end one of one's sessions", OWNER, ("POST accounts.end_session",)),
            Action("revoke one of one's API tokens", OWNER, ("POST accounts.revoke_token",)),
        ),
    ),
    (
        "Notifications",
        (
            Action(
                "read one's notifications, mark them all read",
                LOGGED_IN,
                ("GET notifications.index", "POST notifications.mark_all_read"),
            ),
            Action(
                "open one of one's notifications, mark it read",
                OWNER,
                ("GET notifications.open_item", "POST notifications.mark_read"),
            ),
            Action(
                "follow or stop following a paper, a section or a term",
                LOGGED_IN,
                (
                    "POST notifications.follow_paper",
                    "POST notifications.follow_section",
                    "POST notifications.follow_term",
                ),
            ),
            Action("stop following, from one's list", OWNER, ("POST notifications.unfollow",)),
            Action(
                "unsubscribe from notification e-mail with the link of one",
                EVERYONE,
                ("GET notifications.unsubscribe", "POST notifications.unsubscribe"),
                note="the signed link is the key; no log-in",
            ),
        ),
    ),
    (
        "Discussion",
        (
            Action(
                "start a thread, reply to a thread",
                PARTICIPANTS,
                (
                    "POST annotations.section",
                    "POST annotations.thread_fragment",
                    "POST annotations.margin_form_fragment",
                    "POST annotations.reply",
                    "POST annotations.reply_fragment",
                    "POST api.create_annotation",
                ),
            ),
            Action(
                "open a reply form or the margin's form, preview a new thread or a reply",
                LOGGED_IN,
                (
                    "GET annotations.reply_form_fragment",
                    "GET annotations.margin_form_fragment",
                    "POST annotations.section_preview",
                    "POST annotations.margin_preview_fragment",
                    "POST annotations.reply_preview",
                    "POST annotations.reply_preview_fragment",
                ),
            ),
            Action(
                "edit one's own contribution",
                EDITING_AUTHOR,
                (
                    "GET annotations.edit",
                    "POST annotations.edit",
                    "GET annotations.edit_fragment",
                    "POST annotations.edit_fragment",
                    "POST annotations.edit_preview",
                    "POST annotations.edit_preview_fragment",
                    "PATCH api.edit_annotation",
                ),
            ),
            Action(
                "delete one's own contribution",
                DELETING_AUTHOR,
                (
                    "GET annotations.delete",
                    "POST annotations.delete",
                    "GET annotations.delete_fragment",
                    "POST annotations.delete_fragment",
                    "DELETE api.delete_annotation",
                ),
                note="moderators hide instead",
            ),
            Action(
                "flag a contribution, a term, a proposal or a comment",
                NOT_ON_OWN,
                (
                    "GET annotations.flag",
                    "POST annotations.flag",
                    "POST api.flag_annotation",
                    "GET definitions.flag",
                    "POST definitions.flag",
                    "POST api.flag_term",
                    "POST api.flag_proposal",
                    "POST api.flag_comment",
                ),
            ),
            Action(
                "answer a thread for the editors (a disposition)",
                ANSWERERS,
                ("POST annotations.disposition", "POST api.answer_thread"),
            ),
        ),
    ),
    (
        "Glossary",
        (
            Action(
                "start a term, propose a definition, comment on a proposal",
                PARTICIPANTS,
                (
                    "POST definitions.index",
                    "POST api.create_term",
                    "POST definitions.propose",
                    "POST api.create_proposal",
                    "POST definitions.comment",
                    "POST api.create_comment",
                ),
            ),
            Action(
                "vote on a proposal",
                VOTERS,
                ("POST definitions.vote", "PUT api.vote"),
            ),
            Action("withdraw one's vote", PARTICIPANTS, ("DELETE api.withdraw_vote",)),
            Action(
                "withdraw one's own proposal",
                PROPOSAL_AUTHOR,
                ("POST definitions.withdraw", "POST api.withdraw"),
            ),
            Action(
                "adopt or reject a definition, set a term's aliases",
                ADOPTERS,
                (
                    "POST definitions.adopt",
                    "POST definitions.reject",
                    "POST definitions.aliases",
                    "POST api.adopt",
                    "POST api.reject",
                    "PUT api.set_aliases",
                ),
            ),
        ),
    ),
    (
        "Editors",
        (
            Action("open the editors' area", EDITORS, ("GET editor.index",)),
            Action(
                "set a paper's comment period",
                EDITORS,
                ("GET editor.comment_period", "POST editor.comment_period"),
            ),
            Action(
                "publish a version",
                EDITORS,
                ("GET editor.publish", "POST editor.publish", "POST api.publish_version"),
            ),
            Action(
                "triage a version's threads and answer several together; its campaigns",
                EDITORS,
                (
                    "GET editor.triage_list",
                    "POST editor.triage_list",
                    "GET api.version_campaigns",
                ),
            ),
            Action(
                "export a version's public contributions (CSV, JSON)",
                EDITORS,
                ("GET api.export_csv", "GET api.export_json"),
            ),
            Action(
                "read a version's dashboard",
                EDITORS,
                ("GET editor.dashboard_page",),
            ),
        ),
    ),
    (
        "Moderation",
        (
            Action(
                "read the moderation queue and an item",
                MODERATORS,
                ("GET moderation.index", "GET moderation.item", "GET api.moderation_queue"),
            ),
            Action(
                "decide on a flag or an item",
                MODERATORS,
                ("POST moderation.decide", "POST moderation.bulk", "POST api.moderation_decision"),
                note="never on one's own contribution",
            ),
            Action(
                "read the moderation log",
                MODERATORS,
                ("GET moderation.log", "GET moderation.log_csv"),
            ),
            Action(
                "see the accounts, suspend or restrict one",
                MODERATORS,
                ("GET moderation.users", "GET moderation.user", "POST moderation.user_decide"),
                note="only accounts below one's own rank; admins: every account but their own",
            ),
        ),
    ),
    (
        "Administration",
        (
            Action(
                "see the mail outbox, retry a message",
                ADMINS,
                ("GET admin.outbox", "POST admin.retry"),
                note="recipients, subjects and delivery errors; never what a message says",
            ),
            Action(
                "list the people, change an account's role",
                ROLE_MANAGERS,
                ("GET admin.people", "GET admin.person", "POST admin.change_role"),
                note="with a reason, in the moderation log; never the last active admin's",
            ),
        ),
    ),
)

# Routes that are no one's action: the static files.
UNGUARDED = frozenset({"static"})
# Methods every route answers the same way for everyone.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})


def actions() -> list[Action]:
    """Every action of the table, in order."""
    return [action for _group, group_actions in MATRIX for action in group_actions]


def entries() -> dict[tuple[str, str], Action]:
    """The action of each (endpoint, method). A route listed twice is a mistake."""
    found: dict[tuple[str, str], Action] = {}
    for action in actions():
        for key in action.keys:
            if key in found:
                raise ValueError(f"{key} is listed under two actions")
            found[key] = action
    return found


def routes_of(url_map: Any) -> set[tuple[str, str]]:
    """Every (endpoint, method) the application answers, static files excepted."""
    return {
        (rule.endpoint, method)
        for rule in url_map.iter_rules()
        if rule.endpoint not in UNGUARDED
        for method in (rule.methods or ()) - IMPLICIT_METHODS
    }


def missing(url_map: Any) -> list[tuple[str, str]]:
    """The routes of `url_map` that the table does not list: each needs an entry."""
    return sorted(routes_of(url_map) - entries().keys())


def stale(url_map: Any) -> list[tuple[str, str]]:
    """The table's entries that name no route of `url_map`."""
    return sorted(entries().keys() - routes_of(url_map))


def _paths(url_map: Any) -> dict[str, str]:
    return {rule.endpoint: _readable(rule.rule) for rule in url_map.iter_rules()}


def _readable(path: str) -> str:
    """A rule's path with its converters left out: `/annotations/<annotation_id>`."""
    out, rest = [], path
    while "<" in rest:
        before, _sep, after = rest.partition("<")
        inside, _sep, rest = after.partition(">")
        out.append(f"{before}<{inside.rpartition(':')[2]}>")
    return "".join(out) + rest


def markdown(url_map: Any) -> str:
    """docs/access.md: the table, with each action's routes as method and path."""
    paths = _paths(url_map)
    lines = [
        "# Who may do what",
        "",
        "Generated from `app/core/access_matrix.py` by `flask access table > docs/access.md`;",
        "`tests/web/test_access_matrix.py` walks every route as each actor and checks what it",
        "meets against this table, and that this file is up to date.",
        "",
        "✓ allowed · **log in**: sent to the log-in page (401 from the API and from the",
        "fragments scripts fetch) · **403** refused · **404** not found (one's own only: another's",
        "is not shown to exist).",
        "",
        "The actors:",
        "",
    ]
    lines += [f"- **{actor.value}**: {ACTOR_NOTES[actor]}" for actor in Actor]
    lines += [
        "",
        "A suspended account's sessions and API tokens stop working at once and it cannot log",
        "in, so it may read what anyone may, and is asked to log in for everything else.",
        "",
        "Predicates are those of `app/core/permissions.py`; a dash means logging in is all it",
        "takes, or that the query finds only the caller's own rows.",
    ]
    header = ["action", "routes", "who may", "predicate", *(actor.value for actor in Actor)]
    for group, group_actions in MATRIX:
        lines += ["", f"## {group}", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + " --- |" * len(header))
        for action in group_actions:
            routes = "<br>".join(
                f"`{method} {paths.get(endpoint, endpoint)}`" for endpoint, method in action.keys
            )
            label = action.label + (f" ({action.note})" if action.note else "")
            rule = action.rule
            predicate = f"`{rule.predicate.__name__}`" if rule.predicate else "–"
            cells = [label, routes, str(rule.who), predicate]
            cells += [rule.outcome(actor).symbol for actor in Actor]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
