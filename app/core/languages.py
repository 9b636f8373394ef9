"""The languages a contribution may be written in, kept in one place.

Every contribution records the language its author wrote it in (a BCP 47 primary tag), so
that pages mark its text with `lang` (and `dir` for right-to-left scripts) and screen
readers pronounce it with the right voice. The list is the 24 official languages of the
European Union and a few others often read beside them; names are shown in the interface's
language (Babel's data), sorted as the reader would look for them.
"""

from __future__ import annotations

from functools import cache

from babel import Locale, UnknownLocaleError
from flask import has_request_context
from flask_babel import get_locale
from markupsafe import Markup, escape

from app.core.errors import ServiceError

EU_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip
OTHER_LANGUAGES = ("ar", "ca", "he", "is", "nb", "ru", "tr", "uk")
LANGUAGES = frozenset(EU_LANGUAGES + OTHER_LANGUAGES)
DEFAULT_LANGUAGE = "en"
# The papers have no language of their own yet: their text is English.
PAPER_LANGUAGE = "en"


class LanguageError(ServiceError):
    """A language tag that is not in the list; nothing was stored."""


def check_language(tag: object, error: type[ServiceError] = LanguageError) -> str:
    """The tag as stored (lower case), or a refusal naming the tags accepted (`error`: the
    area's kind of refusal, which its views show on the form)."""
    code = tag.strip().lower() if isinstance(tag, str) else ""
    if code not in LANGUAGES:
        shown = tag if isinstance(tag, str) else type(tag).__name__
        raise error(
            f"Unknown language {shown[:20]!r}: use one of {', '.join(sorted(LANGUAGES))}.",
            code="unknown_language",
            field="language",
        )
    return code


def chosen_language(tag: object = None, error: type[ServiceError] = LanguageError) -> str:
    """The language of a new contribution: the one given (checked), else the interface's."""
    return interface_language() if tag is None else check_language(tag, error)


def interface_language() -> str:
    """The language a new contribution is assumed to be in: the interface's, when listed."""
    locale = get_locale() if has_request_context() else None
    code = locale.language if locale is not None else DEFAULT_LANGUAGE
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _sorted_choices(display_locale: str) -> tuple[tuple[str, str], ...]:
    try:
        names = Locale.parse(display_locale).languages
    except (UnknownLocaleError, ValueError):
        names = Locale("en").languages
    named = [(code, names.get(code) or code) for code in LANGUAGES]
    return tuple(sorted(named, key=lambda item: (item[1].casefold(), item[0])))


def language_choices() -> list[tuple[str, str]]:
    """(tag, name in the interface's language) for every language, sorted by name."""
    locale = get_locale() if has_request_context() else None
    return list(_sorted_choices(str(locale or DEFAULT_LANGUAGE)))


@cache
def text_direction(code: str | None) -> str:
    """ "rtl" for languages written right to left (Arabic, Hebrew), else "ltr"."""
    try:
        return Locale.parse(code or DEFAULT_LANGUAGE).text_direction
    except (UnknownLocaleError, ValueError, TypeError):
        return "ltr"


def lang_attributes(code: str | None) -> Markup:
    """` lang="de"`, with ` dir="rtl"` where the script needs it, for the element that
    holds a contribution's text. An empty or unlisted value is shown as the default."""
    code = code if code in LANGUAGES else DEFAULT_LANGUAGE
    attributes = f' lang="{escape(code)}"'
    if text_direction(code) == "rtl":
        attributes += ' dir="rtl"'
    return Markup(attributes)  # noqa: S704 (a listed tag, escaped)


def person(name: object) -> Markup:
    """A person's name, which machine translation must leave as it is ("Rose" is no
    flower): in a `translate="no"` span. Only for text content, never an attribute."""
    return Markup('<span translate="no">%s</span>') % name


def paper_quote_attributes() -> Markup:
    """The attributes of an element that quotes the paper: its language, and never
    machine-translated (a quote must stay the words the paper says)."""
    return Markup(f'{lang_attributes(PAPER_LANGUAGE)} translate="no"')  # noqa: S704 (constants)


TEMPLATE_GLOBALS = {
    "lang_attributes": lang_attributes,
    "paper_quote_attributes": paper_quote_attributes,
    "person": person,
    "PAPER_LANGUAGE": PAPER_LANGUAGE,
}
