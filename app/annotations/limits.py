"""One posting limit per account, shared by the web forms and the API."""

from flask import current_app

from app.core.ratelimits import account_key
from app.extensions import limiter


def _posting_rate() -> str:
    return current_app.config["ANNOTATION_RATE_LIMIT"]


# Decorate every view that creates or edits an annotation with `@posting_limit`:
# counts are shared between them, so the API and the forms draw on one allowance.
posting_limit = limiter.shared_limit(
    _posting_rate,
    scope="annotation-posts",
    key_func=account_key,
    methods=["POST", "PATCH", "PUT"],
    error_message="You are posting too fast. Please wait a minute and try again.",
)
