"""`Cache-Control: no-store` on every answer that holds personal data.

No browser cache, proxy or shared computer may keep such an answer: the pages of the
account, notifications, moderation, editor and admin areas, the log-in, registration and reset
pages and the unsubscribe links of e-mail (their
blueprints, and their paths when routing failed), and whatever is answered to someone
signed in, by session or by API token — their name is on every page and the API answers
them with their own votes, drafts and rights. Public answers to anonymous readers stay
cacheable; static files are never personal.
"""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

PRIVATE_BLUEPRINTS = frozenset({"accounts", "moderation", "editor", "notifications", "admin"})
PRIVATE_PATHS = (
    "/account",
    "/admin",
    "/moderation",
    "/editor",
    "/login",
    "/logout",
    "/register",
    "/reset-password",
    "/confirm",
    "/notifications",
    "/unsubscribe",
)


def is_personal() -> bool:
    """Whether the current answer may hold personal data."""
    if request.endpoint == "static":
        return False
    if request.blueprint in PRIVATE_BLUEPRINTS:
        return True
    path = request.path
    if any(path == prefix or path.startswith(prefix + "/") for prefix in PRIVATE_PATHS):
        return True
    # Whether an account was loaded for this request, asked without reading its columns:
    # the request has committed by now, and reading them would load the account again in a
    # transaction of its own (a writer's lock, on SQLite, for a header).
    return not current_user.is_anonymous


def init_app(app: Flask) -> None:
    @app.after_request
    def no_store_for_personal_answers(response):
        if is_personal():
            response.headers["Cache-Control"] = "no-store"
        return response
