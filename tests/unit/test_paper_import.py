"""Importing paper sources: idempotent, refusing changes to published versions, atomic."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Paper, PaperVersion, Section
from tests.conftest import PAPER_DIR

SOURCE = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")


def counts(db):
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Paper, PaperVersion, Section)
    )


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def next_version(text: str, label: str, note: str | None = "Clarified 3.2.") -> str:
    text = text.replace('version: "5.0"', f'version: "{label}"', 1)
    if note:
        text = text.replace("---\n", f"---\nchange_note: {note}\n", 1)
    return text


def test_importing_the_folder_twice_leaves_one_version(runner, db):
    first = runner.invoke(args=["papers", "import", str(PAPER_DIR)])
    assert first.exit_code == 0, first.output
    assert "think-paper-1 5.0: imported (11 sections)" in first.output
    second = runner.invoke(args=["papers", "import", str(PAPER_DIR)])
    assert second.exit_code == 0, second.output
    assert "think-paper-1 5.0: unchanged" in second.output
    assert counts(db) == (1, 1, 11)


def test_a_changed_published_version_is_refused_and_nothing_changes(runner, db, tmp_path):
    folder = tmp_path / "think-paper-1"
    write(folder, "5.0.md", SOURCE)
    assert runner.invoke(args=["papers", "import", str(folder)]).exit_code == 0
    before = db.session.scalar(select(PaperVersion.source_sha256))

    write(folder, "5.0.md", SOURCE.replace("Organisational change practice", "Change practice"))
    result = runner.invoke(args=["papers", "import", str(folder)])
    assert result.exit_code == 1
    assert "already published" in result.output
    assert "Nothing was imported" in result.output
    db.session.expire_all()
    assert counts(db) == (1, 1, 11)
    assert db.session.scalar(select(PaperVersion.source_sha256)) == before


def test_versions_of_a_folder_are_imported_in_version_order(runner, db, tmp_path):
    folder = tmp_path / "think-paper-1"
    write(folder, "5.10.md", next_version(SOURCE, "5.10", "Tenth revision."))
    write(folder, "5.0.md", SOURCE)
    write(folder, "5.9.md", next_version(SOURCE, "5.9"))
    result = runner.invoke(args=["papers", "import", str(folder)])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(
        select(PaperVersion.label, PaperVersion.sequence).order_by(PaperVersion.sequence)
    ).all()
    assert rows == [("5.0", 1), ("5.9", 2), ("5.10", 3)]
    page = db.session.scalar(select(Paper))
    assert page.title.startswith("What is the scope")


def test_a_later_version_needs_a_change_note(runner, db, tmp_path):
    folder = tmp_path / "think-paper-1"
    write(folder, "5.0.md", SOURCE)
    write(folder, "5.1.md", next_version(SOURCE, "5.1", note=None))
    result = runner.invoke(args=["papers", "import", str(folder)])
    assert result.exit_code == 1
    assert "5.1.md:1: front matter has no 'change_note'" in result.output
    assert counts(db) == (0, 0, 0)  # the valid 5.0 was not stored either


def test_an_older_version_after_a_newer_one_is_refused(runner, db, tmp_path):
    folder = tmp_path / "think-paper-1"
    write(folder, "5.1.md", next_version(SOURCE, "5.1"))
    assert runner.invoke(args=["papers", "import", str(folder / "5.1.md")]).exit_code == 0
    write(folder, "5.0.md", SOURCE)
    result = runner.invoke(args=["papers", "import", str(folder / "5.0.md")])
    assert result.exit_code == 1
    assert "older than the latest published version 5.1" in result.output


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.split("---\n", 2)[2], "5.0.md:1: no front matter"),
        (lambda s: s.replace('version: "5.0"\n', ""), "5.0.md:1: front matter has no 'version'"),
        (lambda s: s.replace("{#key-messages}", "{#introduction}"), "duplicate section key"),
        (lambda s: s.replace("structures[^1]", "structures[^99]"), "[^99] has no note"),
        (lambda s: s.replace("structures[^1]", "structures"), "[^1] is never referenced"),
    ],
)
def test_malformed_sources_are_refused_with_file_and_line(runner, db, tmp_path, mutate, message):
    path = write(tmp_path / "think-paper-1", "5.0.md", mutate(SOURCE))
    result = runner.invoke(args=["papers", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert counts(db) == (0, 0, 0)


def test_the_line_of_a_missing_note_is_the_line_of_its_reference(runner, tmp_path):
    text = SOURCE.replace("structures[^1]", "structures[^99]")
    path = write(tmp_path / "think-paper-1", "5.0.md", text)
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "[^99]" in row)
    result = runner.invoke(args=["papers", "import", str(path)])
    assert f"5.0.md:{line}: footnote reference [^99] has no note" in result.output


def test_a_file_whose_name_disagrees_with_its_version_is_refused(runner, db, tmp_path):
    path = write(tmp_path / "think-paper-1", "5.1.md", SOURCE)
    result = runner.invoke(args=["papers", "import", str(path)])
    assert result.exit_code == 1
    assert "file name says version 5.1 but its front matter says 5.0" in result.output


def test_missing_paths_and_empty_folders_get_a_message(runner, tmp_path):
    missing = runner.invoke(args=["papers", "import", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no such file or folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(args=["papers", "import", str(tmp_path / "empty")])
    assert empty.exit_code == 1 and "no paper sources" in empty.output


def test_stored_sections_keep_html_text_notes_and_the_comment_period(import_paper, db):
    import_paper()
    paper = db.session.scalar(select(Paper))
    assert str(paper.comment_opens) == "2026-11-01" and str(paper.comment_closes) == "2027-06-30"
    version = db.session.scalar(select(PaperVersion))
    assert version.details["institution"] == "The Tavistock Institute, London, England"
    section = db.session.scalar(
        select(Section).where(Section.key == "public-sector-idiosyncrasies")
    )
    assert section.number == "3.2" and section.parent_key == "organisational-change"
    assert [n["label"] for n in section.notes] == ["4", "5", "6", "7", "8", "9", "10", "11"]
    assert section.text.startswith("Organisations in the public realm differ")
