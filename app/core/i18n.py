"""Translation: UI strings are marked with these functions; English is the only locale yet.

A translated string is text, never HTML, and neither is what it is formatted with: a
paragraph's excerpt put into a form's label by `lazy_gettext("… %(text)s", text=…)` is
as much the paper's text as the paragraph itself. So the lazy strings made here are
escaped wherever they reach HTML (Jinja's autoescaping, WTForms' labels, choices and
errors, `Markup`), whereas Flask-Babel's own would pass as markup. Templates translate
with Jinja's `_()`, whose variables Jinja escapes itself.
"""

from flask import current_app, has_request_context, request
from flask_babel import gettext, ngettext
from flask_babel.speaklater import LazyString
from markupsafe import escape

__all__ = ["LazyText", "gettext", "lazy_gettext", "ngettext", "select_locale"]


class LazyText(LazyString):
    """A string translated when it is used; its HTML is its escaped text."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> LazyText:
    """`gettext` when the string is used (in the request's language), escaped in HTML."""
    return LazyText(gettext, string, **variables)


def select_locale() -> str:
    """The best of the configured languages for the browser, English by default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and mail sent outside a request
        return languages[0]
    return request.accept_languages.best_match(languages) or languages[0]
