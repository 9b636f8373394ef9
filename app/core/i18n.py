"""Translation: the interface in the languages of config LANGUAGES (English, French, German).

A request's language is the account's choice, else the visitor's choice kept in a cookie,
else the best the browser's `Accept-Language` asks for, else English. The catalogues are
app/translations/<locale>/LC_MESSAGES/{messages,js}.po (`make translations`): "js" holds
the strings scripts write themselves, handed to the page as JSON (`ui_strings`).

A translated string is text, never HTML, and neither is what it is formatted with: a
paragraph's excerpt put into a form's label by `lazy_gettext("… %(text)s", text=…)` is
as much the paper's text as the paragraph itself. So the lazy strings made here are
escaped wherever they reach HTML (Jinja's autoescaping, WTForms' labels, choices and
errors, `Markup`), whereas Flask-Babel's own would pass as markup. Templates translate
with Jinja's `_()`, whose variables Jinja escapes itself.
"""

import json
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import Translations
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import (
    force_locale,
    format_number,
    get_locale,
    get_translations,
    gettext,
    pgettext,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

__all__ = [
    "LANGUAGE_COOKIE",
    "LazyText",
    "gettext",
    "in_language_of",
    "language_choices",
    "lazy_gettext",
    "lazy_number",
    "lazy_pgettext",
    "ngettext",
    "select_locale",
    "ui_strings",
]

# The cookie that keeps a visitor's choice of language (an account keeps its own).
LANGUAGE_COOKIE = "language"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


class LazyText(LazyString):
    """A string translated when it is used; its HTML is its escaped text."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(string: str, **variables) -> LazyText:
    """`gettext` when the string is used (in the request's language), escaped in HTML."""
    return LazyText(gettext, string, **variables)


def lazy_pgettext(context: str, string: str, **variables) -> LazyText:
    """`lazy_gettext` of a string whose translation depends on where it stands: the noun
    "Reply" (a kind of contribution) is not the button "Reply" in French or German."""
    return LazyText(pgettext, context, string, **variables)


def lazy_number(number: int) -> LazyText:
    """`number` written the reader's way when used ("10,000", "10 000", "10.000"), for
    a limit put into a message made once at import."""
    return LazyText(format_number, number)


def select_locale() -> str:
    """The request's language: the account's choice, the visitor's cookie, the browser's
    `Accept-Language`, English — the first that names a configured language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and mail sent outside a request
        return languages[0]
    chosen = current_user.locale if current_user.is_authenticated else None
    for choice in (chosen, request.cookies.get(LANGUAGE_COOKIE)):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]


def known_locale(value: str | None) -> str | None:
    """`value` if it names a configured language, else None."""
    return value if value in current_app.config["LANGUAGES"] else None


def language_choices() -> list[tuple[str, str]]:
    """Each configured language with its name in itself ("Français"), the way a switcher
    offers them: a reader finds their own language whatever the page's."""
    return [(code, _own_name(code)) for code in current_app.config["LANGUAGES"]]


@cache
def _own_name(code: str) -> str:
    locale = Locale.parse(code)
    name = locale.get_language_name(locale) or code
    return name[:1].upper() + name[1:]


@contextmanager
def in_language_of(user):
    """Mail and other text for `user` in the language the account chose (the site's
    default when it never chose), whatever the language of the request sending it."""
    chosen = known_locale(getattr(user, "locale", None))
    with force_locale(chosen or current_app.config["LANGUAGES"][0]):
        yield


def ui_strings() -> Markup | str:
    """The JSON of the script strings' translations in the request's language (empty
    for the default language, whose strings are the scripts' own)."""
    locale = str(get_locale() or "")
    if not locale or locale == current_app.config["LANGUAGES"][0]:
        return ""
    return _script_catalogue(locale)


@cache
def _script_catalogue(locale: str) -> Markup:
    found = Translations.load(str(TRANSLATIONS_DIR), [locale], domain="js")
    messages: dict[str, str | list[str]] = {}
    plurals: dict[str, dict[int, str]] = {}
    for key, text in getattr(found, "_catalog", {}).items():
        if isinstance(key, tuple):  # a plural form: (msgid, index)
            plurals.setdefault(key[0], {})[key[1]] = text
        elif key and text:
            messages[key] = text
    # The scripts tell one from more (Intl.PluralRules' "one" or not): the first form and
    # the last, which is the ordinary plural also where the catalogue has a third form
    # (French's for round millions).
    for msgid, forms in plurals.items():
        messages[msgid] = [forms[min(forms)], forms[max(forms)]]
    # Markup for a <script type="application/json"> element: with every "<" escaped, no
    # text can close the element or open a comment in it.
    text = json.dumps(messages, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return Markup(text)  # noqa: S704  (no "<" left: nothing in it is markup)


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
    found = _localised_count(_translations().ungettext(singular, plural, num), num, variables)
    return (Markup(found) if eval_ctx.autoescape else found) % variables  # noqa: S704


def _localised_count(text: str, num: int, variables: dict) -> str:
    """Put `num` into `variables`, written the reader's way from 1,000 up ("1 234",
    "1.234"): `%(num)d` then takes it as text."""
    variables.setdefault("num", num)
    if isinstance(variables["num"], int) and abs(variables["num"]) >= 1000:
        variables["num"] = format_number(variables["num"])
        return text.replace("%(num)d", "%(num)s")
    return text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's `ngettext`, with the count written the reader's way."""
    found = _translations().ungettext(singular, plural, num)
    return _localised_count(found, num, variables) % variables


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
