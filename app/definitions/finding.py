"""Finding glossary terms in plain text (a section's `text`): whole words,
case-insensitive, aliases included, the longest label winning where labels overlap.

`app.definitions.marking` marks what is found in a section's HTML; the glossary's
queries count it (`app.definitions.queries.appearances`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Occurrence:
    """Characters `start` to `end` (code points, end excluded) of the text name a term."""

    start: int
    end: int
    term_id: int


def _names(term: Any) -> list[str]:
    names = [term.label, *(getattr(term, "aliases", None) or [])]
    return [n.strip() for n in names if isinstance(n, str) and n.strip()]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _pattern(name: str) -> str:
    """A name as a pattern: spaces match any run of white space; a word character at either
    end must not touch another one (a word boundary is a change between \\w and non-\\w)."""
    body = r"\s+".join(re.escape(part) for part in name.split())
    head = r"(?<!\w)" if re.match(r"\w", name) else ""
    tail = r"(?!\w)" if re.search(r"\w$", name) else ""
    return head + body + tail


class Finder:
    """A compiled matcher for a set of terms; reuse it for every section of a page."""

    def __init__(self, terms: Iterable[Any]):
        self.by_key: dict[str, int] = {}
        names: list[str] = []
        for term in terms:
            for name in _names(term):
                key = _key(name)
                if key not in self.by_key:  # a name belongs to the first term that has it
                    self.by_key[key] = term.id
                    names.append(name)
        # Longest first: at a given position the alternation takes the first that matches.
        names.sort(key=lambda n: (-len(n), n))
        self.names = names
        self.regex = (
            re.compile("|".join(_pattern(n) for n in names), re.IGNORECASE) if names else None
        )

    def term_of(self, matched: str) -> int | None:
        key = _key(matched)
        if key in self.by_key:
            return self.by_key[key]
        for name in self.names:  # case folding and IGNORECASE disagree on a few letters
            if re.fullmatch(_pattern(name), matched, re.IGNORECASE):
                return self.by_key[_key(name)]
        return None

    def find(self, text: str) -> list[Occurrence]:
        if self.regex is None or not text:
            return []
        found = []
        for match in self.regex.finditer(text):
            term_id = self.term_of(match.group())
            if term_id is not None and match.end() > match.start():
                found.append(Occurrence(match.start(), match.end(), term_id))
        return found


def find_occurrences(text: str, terms: Iterable[Any] | Finder) -> list[Occurrence]:
    """Where the terms (objects with `id`, `label`, `aliases`) occur in `text`, left to right,
    never overlapping: whole words, case-insensitive, aliases included, longest match first."""
    finder = terms if isinstance(terms, Finder) else Finder(terms)
    return finder.find(text)
