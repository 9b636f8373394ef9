"""Translation: UI strings are marked with these functions; English is the only locale yet.

A translated string is text, never HTML, and neither is what it is formatted with: a
paragraph's excerpt put into a form's label by `lazy_gettext("… %(text)s", text=…)` is
as much the paper's text as the paragraph itself. So the lazy strings made here are
escaped wherever they reach HTML (Jinja's autoescaping, WTForms' labels, choices and
errors, `Markup`), whereas Flask-Babel's own would pass as markup. Templates translate
with Jinja's `_()`, whose variables Jinja escapes itself.
"""

from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import get_translations, gettext, ngettext
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

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


def _translations():
    """The request's catalogue, looked up once per request (per locale) rather than at each
    of the hundreds of strings a page with many thread cards translates: Flask-Babel finds
    it again from the request's context at every call. (`g`'s object is taken once: each
    access through the proxy costs as much as the rest.)"""
    if not has_app_context():
        return get_translations()
    here = g._get_current_object()
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None)
    kept = getattr(here, "_template_translations", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()
    here._template_translations = (
        getattr(getattr(here, "_flask_babel", None), "babel_locale", None),
        found,
    )
    return found


def _template_gettext(eval_ctx, string: str, **variables) -> str:
    """Jinja's new-style `_()`, called straight: Jinja's own goes through two more context
    calls for each of the hundreds of strings a reading page translates. The same result:
    always formatted (so `%%` is a percent sign), its variables escaped where the template
    autoescapes. The catalogue's string is the template's own text, as markup, as Jinja
    takes it."""
    found = _translations().ugettext(string)
    return (Markup(found) if eval_ctx.autoescape else found) % variables  # noqa: S704


def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """Jinja's new-style `ngettext()` (with `num` among its variables), called straight."""
    variables.setdefault("num", num)
    found = _translations().ungettext(singular, plural, num)
    return (Markup(found) if eval_ctx.autoescape else found) % variables  # noqa: S704


def install_template_translations(env) -> None:
    """Templates' `_()` and `ngettext()` through the catalogue kept for the request."""
    env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    gettext_in_templates = pass_eval_context(_template_gettext)
    env.globals.update(
        _=gettext_in_templates,
        gettext=gettext_in_templates,
        ngettext=pass_eval_context(_template_ngettext),
    )
