"""An editor downloads a version's exports from the editors' area, with the session alone."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.models import Role
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in

pytestmark = pytest.mark.browser


def test_an_editor_downloads_both_exports_from_the_editors_area(
    page, paper, create_user, create_annotation, db
):
    thread = create_annotation("A thread to export, “quoted” and accented: é.")
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()
    log_in(page, editor)
    page.goto("/editor/")
    no_violations(page, "the editors' area with its export links")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV of version 5.0").click()
    download = csv_download.value
    assert download.suggested_filename == "think-paper-1-5.0-contributions.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [(r["type"], int(r["id"]), r["body"]) for r in records] == [
        ("thread", thread.id, thread.body)
    ]

    with page.expect_download() as json_download:
        page.get_by_role("link", name="Export JSON of version 5.0").click()
    download = json_download.value
    assert download.suggested_filename == "think-paper-1-5.0-contributions.json"
    document = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert [c["id"] for c in document["contributions"]] == [thread.id]
