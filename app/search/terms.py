"""What a person typed, as terms that an engine cannot misread.

Nothing of the engines' own syntax passes: FTS5's quotes, `*`, `NEAR`, `AND`/`OR`/`NOT`,
`-`, `:`, `^` and parentheses, PostgreSQL's `&`, `|`, `!`, `<->`. The text is cut into
words (letters and digits, as `\\w` reads them); a stretch between two double quotes is
kept as a phrase, its words in that order; an unpaired quote is only a quote. Operators
typed as words are searched as words. Every word must match (AND). At most
`MAX_TERMS` words are kept, each at most `MAX_WORD` characters long, so that a
10,000-character query costs no more than a short one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 12
MAX_WORD = 60
MAX_QUERY = 1000

_WORD = re.compile(r"\w+")
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Terms:
    """Words that must each occur, and phrases whose words must occur in order."""

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)

    def fts5(self) -> str:
        """An FTS5 query: every word and phrase as a quoted string (words hold no quote)."""
        parts = [f'"{word}"' for word in self.words]
        parts += ['"' + " ".join(phrase) + '"' for phrase in self.phrases]
        return " ".join(parts)

    def plain(self) -> str:
        """The words, for PostgreSQL's `plainto_tsquery` (which reads no operators)."""
        return " ".join(self.words)


def _words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in _WORD.findall(text)]


def parse(query: str | None) -> Terms:
    """The terms of a query typed by someone; empty when it holds no word."""
    text = (query or "").replace("\x00", " ")[:MAX_QUERY]
    phrases: list[tuple[str, ...]] = []
    budget = MAX_TERMS

    def keep_phrase(match: re.Match[str]) -> str:
        nonlocal budget
        words = _words(match.group(1))[:budget]
        if len(words) > 1:
            phrases.append(tuple(words))
            budget -= len(words)
            return " "
        return " " + " ".join(words) + " "

    rest = _PHRASE.sub(keep_phrase, text)
    words = list(dict.fromkeys(_words(rest)))[: max(budget, 0)]
    return Terms(tuple(words), tuple(phrases))
