"""Paper sources: how a Markdown file becomes checked, rendered sections."""

import textwrap

import pytest

from app.papers.source import SourceError, parse_source, slugify, version_key

FRONT = textwrap.dedent(
    """\
    ---
    title: A paper
    version: "1.0"
    authors: [Ann Author]
    date: 2024-01-31
    ---
    """
)


def source(body: str, front: str = FRONT) -> str:
    return front + textwrap.dedent(body)


def error_of(text: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse_source(text, "papers/p/1.0.md")
    return caught.value


def test_sections_are_split_by_headings_with_numbers_keys_and_parents():
    parsed = parse_source(
        source(
            """\
            Before any heading.

            # 1 Introduction

            Intro text.

            ## 1.1 A detail {#detail}

            Detail text.

            ### Deeper

            Deep text.

            # 2. Summing up …

            The end.
            """
        )
    )
    rows = [(s.key, s.number, s.title, s.level, s.parent_key, s.position) for s in parsed.sections]
    assert rows == [
        ("preamble", None, "Preamble", 1, None, 0),
        ("introduction", "1", "Introduction", 1, None, 1),
        ("detail", "1.1", "A detail", 2, "introduction", 2),
        ("deeper", None, "Deeper", 3, "detail", 3),
        ("summing-up", "2", "Summing up …", 1, None, 4),
    ]
    assert parsed.sections[1].html == "<p>Intro text.</p>"
    assert parsed.sections[1].text == "Intro text."
    assert parsed.version == "1.0"


def test_footnotes_keep_their_labels_and_sit_with_the_section_that_cites_them():
    parsed = parse_source(
        source(
            """\
            # One

            First[^7] and *again*[^8].

            # Two

            Later[^9], and the first note once more[^7].

            [^7]: Note *seven*.
            [^8]: Note eight,
                continued on a second line.
            [^9]: Note nine.
            """
        )
    )
    one, two = parsed.sections
    assert [n.label for n in one.notes] == ["7", "8"]
    assert [n.label for n in two.notes] == ["9"]
    assert one.notes[0].html == "<p>Note <em>seven</em>.</p>"
    assert one.notes[1].text == "Note eight,\ncontinued on a second line."
    assert '<sup class="fnref"><a href="#fn-7" id="fnref-7">7</a></sup>' in one.html
    assert 'id="fnref-7-2"' in two.html  # a second citation gets its own anchor
    assert one.text == "First7 and again8."


def test_text_is_the_text_content_of_the_html_including_whitespace_between_blocks():
    parsed = parse_source(source("# S\n\nOne &amp; *two*.\n\n- a\n- b\n"))
    section = parsed.sections[0]
    assert section.text == "One & two.\n\na\nb\n"


def test_html_tables_are_kept_and_wrapped_so_that_they_can_scroll():
    parsed = parse_source(
        source(
            """\
            # T

            <table><caption>Table 1</caption><tr><th scope="row">A</th>
            <td><ul><li>x</li></ul></td></tr></table>
            """
        )
    )
    html = parsed.sections[0].html
    assert html.startswith('<div class="table-scroll"><table><caption>Table 1</caption>')
    assert "<td><ul><li>x</li></ul></td>" in html


def test_source_html_is_sanitised_like_any_other_markdown():
    parsed = parse_source(
        source('# S\n\n<script>alert(1)</script><p onclick="x()">Hi</p> [l](javascript:x)\n')
    )
    html = parsed.sections[0].html
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# No front matter\n\nText.\n", 1, "no front matter"),
        ("---\ntitle: x\n", 1, "never closed"),
        ("---\ntitle: [unclosed\n---\n# A\n", 2, "not valid YAML"),
        ('---\ntitle: A\nauthors: [A]\ndate: 2024-01-01\n---\n# A\n', 1, "no 'version'"),
        ('---\ntitle: A\nversion: 5.0\nauthors: [A]\ndate: 2024-01-01\n---\n# A\n', 3,
         "quoted string"),
        ('---\ntitle: A\nversion: "v5"\nauthors: [A]\ndate: 2024-01-01\n---\n# A\n', 3,
         "not a number"),
        ('---\ntitle: A\nversion: "5.0"\nauthors: [A]\ndate: soon\n---\n# A\n', 5, "ISO date"),
        (FRONT + "# A {#same}\n\nx\n\n# B {#same}\n\ny\n", 11, "duplicate section key 'same'"),
        (FRONT + "# Intro\n\nx\n\n# Intro\n\ny\n", 11, "duplicate section key 'intro'"),
        (FRONT + "# A\n\nCited[^3] here.\n", 9, "[^3] has no note"),
        (FRONT + "# A\n\nNothing cited.\n\n[^4]: An orphan.\n", 11, "[^4] is never referenced"),
        (FRONT + "# A\n\nx[^1]\n\n[^1]: one\n[^1]: again\n", 12, "defined twice"),
        (FRONT + "# A {#bad key}\n", 7, "only letters"),
        (FRONT, 7, "no text"),
    ],
)  # fmt: skip
def test_malformed_sources_name_the_file_line_and_problem(text, line, message):
    error = error_of(text)
    assert error.filename == "papers/p/1.0.md"
    assert error.line == line, str(error)
    assert message in error.message
    assert str(error).startswith(f"papers/p/1.0.md:{line}: ")


def test_footnote_syntax_inside_code_blocks_is_left_alone():
    parsed = parse_source(source("# A\n\n```\nnot a ref [^1]\n[^2]: nor a note\n```\n"))
    assert parsed.sections[0].notes == []
    assert "[^1]" in parsed.sections[0].text


def test_version_labels_sort_numerically_and_titles_slugify():
    assert version_key("5.10") > version_key("5.9") > version_key("5.0")
    assert (
        slugify("Organisational culture: key for change") == "organisational-culture-key-for-change"
    )
