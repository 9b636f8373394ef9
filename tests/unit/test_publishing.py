"""Publishing a new version: the preview stores nothing; publishing is all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.annotations import carrying
from app.editor import publishing
from app.models import Anchor, PaperVersion, Section
from app.papers.services import VersionConflict
from app.papers.source import SourceError
from tests.conftest import PAPER_DIR

SOURCE_50 = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")
REWORDED = "It is somewhat of a cliché to state that government organisations"
QUOTE_KEPT = "bureaucracy remains essential to the functioning of contemporary society"
DELETED_PARAGRAPH_START = "Nevertheless, public sector organisations are frequently presented"


def source_51(**changes: str) -> str:
    """Version 5.1 of Think Paper 1: a change note, a reworded sentence, a renamed heading
    (same key) and a deleted paragraph."""
    text = SOURCE_50.replace('version: "5.0"', 'version: "5.1"', 1)
    text = text.replace("---\n", '---\nchange_note: "Tightened section 3.2."\n', 1)
    text = text.replace(REWORDED, "It is often said that public bodies", 1)
    text = text.replace(
        "## 3.2 Public sector idiosyncrasies … {#public-sector-idiosyncrasies}",
        "## 3.2 What sets the public sector apart {#public-sector-idiosyncrasies}",
        1,
    )
    lines = text.split("\n")
    lines = [line for line in lines if not line.startswith(DELETED_PARAGRAPH_START)]
    text = "\n".join(lines)
    for old, new in changes.items():
        text = text.replace(old, new, 1)
    return text


def rows(db) -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(PaperVersion)),
        db.session.scalar(select(func.count()).select_from(Section)),
        db.session.scalar(select(func.count()).select_from(Anchor)),
    )


@pytest.fixture
def threads(create_annotation):
    """Two threads on 5.0: one on words 5.1 keeps, one on a sentence it rewords."""
    return [
        create_annotation("Still true?", quote=QUOTE_KEPT),
        create_annotation("A cliché indeed.", quote=REWORDED),
        create_annotation("Whole section.", section="introduction"),
    ]


def test_preview_says_what_changes_and_stores_nothing(db, paper, threads):
    before = rows(db)
    result = publishing.preview("think-paper-1", source_51(), "5.1.md")
    assert result.ok, result.error
    assert result.version == "5.1" and result.previous.label == "5.0"
    assert result.change_note == "Tightened section 3.2."
    by_key = {c.new.key: c for c in result.changes if c.new}
    renamed = by_key["public-sector-idiosyncrasies"]
    assert renamed.labels == ("renamed", "changed")
    assert renamed.old.title == "Public sector idiosyncrasies …"
    assert by_key["introduction"].labels == ("changed",)
    assert by_key["key-messages"].labels == ("unchanged",)
    assert len(result.landings) == 3
    assert sum(result.counts.values()) == 3
    statuses = {landing.annotation.id: landing.status for landing in result.landings}
    assert statuses[threads[0].id] == "exact"
    assert statuses[threads[2].id] == "exact"
    kept = next(x for x in result.landings if x.annotation.id == threads[0].id)
    assert kept.old_section.key == kept.new_section.key == "public-sector-idiosyncrasies"
    db.session.rollback()
    assert rows(db) == before


def test_preview_of_a_source_with_an_error_gives_its_line(db, paper):
    text = source_51(**{"Organisational change practice": "Organisational[^99] change practice"})
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "[^99]" in row)
    result = publishing.preview("think-paper-1", text, "5.1.md")
    assert not result.ok
    assert result.error.line == line
    assert "[^99]" in result.error.message
    assert "[^99]" in result.error_line_text


def test_a_change_note_from_the_form_keeps_the_lines_of_errors(db, paper):
    text = SOURCE_50.replace('version: "5.0"', 'version: "5.1"').replace(
        "Organisational change practice", "Organisational[^99] change practice"
    )
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "[^99]" in row)
    result = publishing.preview("think-paper-1", text, "5.1.md", change_note="From the form.")
    assert result.error.line == line


def test_a_change_note_from_the_form_sets_the_front_matter(db, paper):
    text = SOURCE_50.replace('version: "5.0"', 'version: "5.1"')
    missing = publishing.preview("think-paper-1", text, "5.1.md")
    assert "change_note" in missing.error.message
    result = publishing.preview("think-paper-1", text, "5.1.md", change_note='Said "so": 3.2')
    assert result.ok, result.error
    assert result.change_note == 'Said "so": 3.2'
    assert 'change_note: "Said \\"so\\": 3.2"' in result.parsed.source
    replaced = publishing.with_change_note(source_51(), "Another note.\nTwo lines.")
    assert replaced.count("change_note:") == 1
    assert "Tightened" not in replaced
    assert publishing.with_change_note(text, "  ") == text


def test_publish_stores_the_version_its_sections_and_anchors_at_once(
    db, paper, threads, create_user
):
    editor = create_user("editor")
    versions, sections, anchors = rows(db)
    version, counts = publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    db.session.commit()
    assert version.label == "5.1" and version.sequence == 2
    assert version.change_note == "Tightened section 3.2."
    assert version.published_by_id == editor.id
    assert sum(counts.values()) == 3 and counts["exact"] >= 2
    new_sections = len(publishing.parse_source(source_51()).sections)
    assert rows(db) == (versions + 1, sections + new_sections, anchors + 3)
    stored = db.session.scalars(select(Anchor).where(Anchor.version_id == version.id)).all()
    assert {a.annotation_id for a in stored} == {t.id for t in threads}


def test_a_failure_mid_publish_leaves_no_version_no_sections_no_anchors(
    db, paper, threads, create_user, monkeypatch
):
    editor = create_user("editor")
    before = rows(db)
    original = carrying.store

    def store_then_fail(plan, version):
        original(plan, version)  # the version, its sections and the anchors are flushed
        assert db.session.scalar(select(func.count()).select_from(Anchor)) == 3
        raise RuntimeError("injected failure")

    monkeypatch.setattr(carrying, "store", store_then_fail)
    with pytest.raises(RuntimeError, match="injected"):
        publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    db.session.rollback()
    assert rows(db) == before
    assert db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1")) is None


def test_the_same_label_cannot_be_published_twice(db, paper, create_user):
    editor = create_user("editor")
    publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    db.session.commit()
    before = rows(db)
    with pytest.raises(VersionConflict, match="already published"):
        publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    with pytest.raises(VersionConflict, match="already published and differs"):
        publishing.publish(editor, "think-paper-1", source_51(**{"Summing up": "Sum"}), "5.1.md")
    db.session.rollback()
    assert rows(db) == before
    assert not publishing.preview("think-paper-1", source_51(), "5.1.md").ok


def test_a_source_other_than_the_previewed_one_is_refused(db, paper, create_user):
    editor = create_user("editor")
    previewed = publishing.preview("think-paper-1", source_51(), "5.1.md")
    before = rows(db)
    with pytest.raises(publishing.PreviewMismatch, match="preview it again"):
        publishing.publish(
            editor,
            "think-paper-1",
            source_51(**{"Summing up": "Summing up, again"}),
            "5.1.md",
            expected_sha256=previewed.sha256,
        )
    db.session.rollback()
    assert rows(db) == before
    version, _ = publishing.publish(
        editor, "think-paper-1", source_51(), "5.1.md", expected_sha256=previewed.sha256
    )
    assert version.source_sha256 == previewed.sha256


def test_a_source_error_is_raised_by_publish_with_its_line(db, paper, create_user):
    text = source_51(**{'version: "5.1"': "version: 5.1"})
    with pytest.raises(SourceError) as caught:
        publishing.publish(create_user("editor"), "think-paper-1", text, "5.1.md")
    assert caught.value.line == next(
        n for n, row in enumerate(text.split("\n"), start=1) if row.startswith("version:")
    )


def test_flask_papers_import_carries_threads_forward(runner, db, paper, threads, tmp_path):
    folder = tmp_path / "think-paper-1"
    folder.mkdir()
    (folder / "5.0.md").write_text(SOURCE_50, encoding="utf-8")
    (folder / "5.1.md").write_text(source_51(), encoding="utf-8")
    result = runner.invoke(args=["papers", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "think-paper-1 5.0: unchanged" in result.output
    assert "think-paper-1 5.1: imported" in result.output
    db.session.expire_all()
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    anchors = db.session.scalars(select(Anchor).where(Anchor.version_id == version.id)).all()
    assert {a.annotation_id for a in anchors} == {t.id for t in threads}


def test_two_publications_at_once_one_wins_the_other_is_told(db, paper, create_user, monkeypatch):
    """The second of two editors publishing 5.1 at the same moment passed its checks before
    the first committed: the database's unique version label refuses it, as a conflict."""
    from app.models import Role
    from app.papers import services as paper_services
    from app.papers.source import parse_source

    editor = create_user(Role.EDITOR)
    stale = paper_services.check_version("think-paper-1", parse_source(source_51(), "5.1.md"))
    publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    db.session.commit()
    before = rows(db)
    monkeypatch.setattr(paper_services, "check_version", lambda slug, parsed: stale)
    with pytest.raises(SourceError) as caught:
        publishing.publish(editor, "think-paper-1", source_51(), "5.1.md")
    db.session.rollback()
    assert "published at the same moment" in str(caught.value)
    assert rows(db) == before
