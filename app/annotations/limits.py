"""One posting limit per account, shared by the web forms and the API."""

from flask import current_app, request
from flask_login import current_user

from app.extensions import limiter


def _account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{request.remote_addr}"


def _posting_rate() -> str:
    return current_app.config["ANNOTATION_RATE_LIMIT"]


# Decorate every view that creates or edits an annotation with `@posting_limit`:
# counts are shared between them, so the API and the forms draw on one allowance.
posting_limit = limiter.shared_limit(
    _posting_rate,
    scope="annotation-posts",
    key_func=_account_key,
    methods=["POST", "PATCH", "PUT"],
    error_message="You are posting too fast. Please wait a minute and try again.",
)
