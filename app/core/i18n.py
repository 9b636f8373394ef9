"""Translation: UI strings are marked with these functions; English is the only locale yet."""

from flask import current_app, has_request_context, request
from flask_babel import gettext, lazy_gettext, ngettext

__all__ = ["gettext", "lazy_gettext", "ngettext", "select_locale"]


def select_locale() -> str:
    """The best of the configured languages for the browser, English by default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and mail sent outside a request
        return languages[0]
    return request.accept_languages.best_match(languages) or languages[0]
