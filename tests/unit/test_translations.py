"""The French and German catalogues are complete: every string the code marks today is in
them (`make translations` was run), translated, not fuzzy, with the English string's
placeholders, and they compile."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
LOCALES = ("fr", "de")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
SERVER_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
SERVER_KEYWORDS["_l"] = None
SERVER_KEYWORDS["pgettext"] = ((1, "c"), 2)
SERVER_KEYWORDS["lazy_pgettext"] = ((1, "c"), 2)
SCRIPT_KEYWORDS = {"gettext": None, "ngettext": (1, 2)}

pytestmark = pytest.mark.presentation


def _catalogue(locale: str, domain: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as handle:
        return read_po(handle, locale=locale, domain=domain)


def _marked(domain: str) -> set[str]:
    """The strings the code marks now, as `make translations` extracts them."""
    if domain == "messages":
        method_map = [
            ("app/**.py", "python"),
            ("templates/**.html", "jinja2"),
            ("templates/**.txt", "jinja2"),
        ]
        keywords = SERVER_KEYWORDS
    else:
        method_map = [("static/js/**.js", "javascript")]
        keywords = SCRIPT_KEYWORDS
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        key = message[0] if isinstance(message, tuple) else message
        found.add(f"{context}\x04{key}" if context else key)
    return found


def _key(message) -> str:
    key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return f"{message.context}\x04{key}" if message.context else key


@pytest.mark.parametrize("domain", ["messages", "js"])
def test_every_marked_string_is_in_each_catalogue(domain):
    marked = _marked(domain)
    assert marked, "nothing extracted: the extraction itself is broken"
    for locale in LOCALES:
        listed = {_key(m) for m in _catalogue(locale, domain) if m.id}
        missing = sorted(marked - listed)
        assert not missing, (
            f"{locale}/{domain}.po lacks {len(missing)} strings; run `make translations` "
            f"and translate them: {missing[:10]}"
        )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("domain", ["messages", "js"])
def test_no_message_is_untranslated_or_fuzzy_and_placeholders_are_kept(locale, domain):
    catalogue = _catalogue(locale, domain)
    assert not catalogue.fuzzy, "the catalogue's header is marked fuzzy"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for index, text in enumerate(strings):
            have = set(PLACEHOLDER.findall(text))
            # A singular may leave out the count ("Ce fil…" for "This thread…").
            allowed = wanted - {"%(num)d", "%(num)s"} if len(ids) > 1 and index == 0 else wanted
            if not allowed <= have <= wanted:
                problems.append(f"placeholders of {ids[0]!r} in {text!r}")
    assert not problems, f"{locale}/{domain}.po:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("domain", ["messages", "js"])
def test_each_catalogue_compiles_and_passes_babels_checks(locale, domain):
    catalogue = _catalogue(locale, domain)
    errors = [(message.id, problems) for message, problems in catalogue.check() if problems]
    assert not errors, errors[:10]
    write_mo(BytesIO(), catalogue)
