"""Word-level differences."""

from app.core.diffing import word_diff


def test_changes_are_whole_words():
    assert word_diff("the quick brown fox", "the slow brown fox") == [
        (0, "the "),
        (-1, "quick"),
        (1, "slow"),
        (0, " brown fox"),
    ]


def test_joining_the_kept_and_inserted_parts_gives_the_new_text():
    old = "Public sector organisations differ from those of the private sector."
    new = "Public bodies differ, in culture and tasks, from private firms."
    diff = word_diff(old, new)
    assert "".join(t for op, t in diff if op >= 0) == new
    assert "".join(t for op, t in diff if op <= 0) == old


def test_more_distinct_words_than_the_private_use_area_holds():
    old = " ".join(f"w{i}" for i in range(8000))
    new = old.replace("w7999", "changed")
    diff = word_diff(old, new)
    assert (-1, "w7999") in diff and (1, "changed") in diff
