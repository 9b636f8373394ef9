"""Which section of one version is which of another: kept, moved, renamed, removed, added."""

from __future__ import annotations

from app.papers.correspondence import SectionFate, SectionInfo, correspond, section_map

LOREM = "the scope for organisational change in the public sector is wide and deep " * 3


def s(key: str, text: str = "", title: str | None = None) -> SectionInfo:
    return SectionInfo(key, title or key.title(), text or f"{key} has words of its own {LOREM}")


def fates(rows) -> list[tuple[str | None, str | None, SectionFate]]:
    return [(r.old and r.old.key, r.new and r.new.key, r.fate) for r in rows]


def test_the_same_keys_in_the_same_order_are_kept():
    old = [s("a"), s("b"), s("c")]
    assert fates(correspond(old, old)) == [
        ("a", "a", SectionFate.KEPT),
        ("b", "b", SectionFate.KEPT),
        ("c", "c", SectionFate.KEPT),
    ]


def test_a_section_taken_out_of_order_has_moved_and_the_rest_are_kept():
    rows = correspond([s("a"), s("b"), s("c"), s("d")], [s("a"), s("c"), s("d"), s("b")])
    assert fates(rows) == [
        ("a", "a", SectionFate.KEPT),
        ("c", "c", SectionFate.KEPT),
        ("d", "d", SectionFate.KEPT),
        ("b", "b", SectionFate.MOVED),
    ]


def test_a_new_key_with_mostly_the_same_words_is_a_renamed_section():
    body = "Public value is what citizens get from public services. " * 5
    rows = correspond(
        [s("a"), s("public-value", body, "Public value")],
        [s("a"), s("value-for-citizens", body + " One more sentence.", "Value for citizens")],
    )
    assert fates(rows)[1] == ("public-value", "value-for-citizens", SectionFate.RENAMED)
    assert rows[1].retitled and rows[1].text_changed and 0.9 < rows[1].similarity < 1


def test_different_words_under_a_new_key_are_a_removal_and_an_addition():
    rows = correspond(
        [s("a"), s("b", "entirely about budgets and their cycles " * 4), s("c")],
        [s("a"), s("x", "something else: procurement rules in member states " * 4), s("c")],
    )
    assert fates(rows) == [
        ("a", "a", SectionFate.KEPT),
        ("b", None, SectionFate.REMOVED),
        (None, "x", SectionFate.ADDED),
        ("c", "c", SectionFate.KEPT),
    ]
    assert section_map(rows) == {"a": "a", "b": None, "c": "c"}


def test_a_removed_first_section_comes_first():
    rows = correspond([s("a", "only here, nothing alike " * 5), s("b")], [s("b")])
    assert fates(rows) == [("a", None, SectionFate.REMOVED), ("b", "b", SectionFate.KEPT)]
