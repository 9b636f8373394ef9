"""Word-level differences, for suggestions now and version comparisons later."""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> list[tuple[int, str]]:
    """(op, text) pairs: -1 deleted, 0 kept, 1 inserted, whole words at a time.

    diff-match-patch compares characters; each distinct word (or space or mark) is
    first mapped to one private character, as its line mode does for lines.
    """
    tokens: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        out = []
        for token in TOKEN.findall(text):
            if token not in tokens:
                tokens[token] = (
                    chr(0xE000 + len(words))
                    if len(words) < 6400
                    else chr(0xF0000 + len(words) - 6400)
                )
                words.append(token)
            out.append(tokens[token])
        return "".join(out)

    engine = diff_match_patch()
    engine.Diff_Timeout = 1.0
    diffs = engine.diff_main(encode(old), encode(new), False)
    engine.diff_cleanupSemantic(diffs)
    decode = {char: word for word, char in tokens.items()}
    return [(op, "".join(decode[c] for c in chunk)) for op, chunk in diffs]
