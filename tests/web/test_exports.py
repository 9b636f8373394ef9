"""Editors' exports of a version: `export.csv` and `export.json`.

Who may download them (editors and admins, by token or session; everyone else 401 or
403 as the API answers), what they hold (the threads shown on the version, carried ones
where they stand there, their published replies, the editors' answers, the authors
without their e-mail addresses, the proposed definitions of the terms in the text) and
what they leave out (pending, hidden, rejected, deleted, restricted, suspended), that the
CSV is RFC 4180 with no cell a spreadsheet would run, that the JSON is the declared
model, and that the answer is streamed a page of rows per query.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import insert, select

from app.annotations import dispositions, services
from app.api import schemas
from app.definitions import services as glossary
from app.editor import exports
from app.models import (
    Annotation,
    AnnotationKind,
    AnnotationStatus,
    PaperVersion,
    Role,
    Section,
    StakeholderType,
    User,
)
from app.models.annotation import TargetType
from app.models.base import utcnow
from tests.conftest import DATA
from tests.web.test_api_annotations import auth, token_for
from tests.web.test_carried_threads import publish_next  # noqa: F401 (a fixture)

API = "/api/v1/papers/think-paper-1/versions"
CSV_URL = f"{API}/5.0/export.csv"
JSON_URL = f"{API}/5.0/export.json"
KEY = "public-sector-idiosyncrasies"
BLNS = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
# Any e-mail address at all, wherever it stands.
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _version(db, label: str = "5.0") -> PaperVersion:
    return db.session.scalar(select(PaperVersion).where(PaperVersion.label == label))


def _text(db, label: str = "5.0", key: str = KEY) -> str:
    version = _version(db, label)
    return db.session.scalar(
        select(Section.text).where(Section.version_id == version.id, Section.key == key)
    )


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edith Editor", email="edith@example.org")


@pytest.fixture
def editor_token(editor, db):
    return token_for(editor, db)


def download(client, url: str, token: str) -> tuple[str, object]:
    response = client.get(url, headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.is_streamed
    return response.get_data(as_text=True), response


def exported_json(client, token: str, url: str = JSON_URL) -> dict:
    text, response = download(client, url, token)
    assert response.headers["Content-Type"] == "application/json"
    document = json.loads(text)
    schemas.VersionExport.model_validate(document)  # the declared shape, exactly
    return document


def exported_csv(client, token: str, url: str = CSV_URL) -> list[dict[str, str]]:
    text, response = download(client, url, token)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert text.startswith("\ufeff")  # for Excel
    raw = response.get_data()
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert records[0][0] == "type"
    return [dict(zip(records[0], record, strict=True)) for record in records[1:]]


def unformula(cell: str) -> str:
    """A cell as written, without the `'` that keeps a spreadsheet from running it."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def by_id(document: dict) -> dict[int, dict]:
    return {item["id"]: item for item in document["contributions"]}


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.PARTICIPANT, 403), (Role.MODERATOR, 403), (Role.EDITOR, 200),
     (Role.ADMIN, 200)],
)  # fmt: skip
def test_only_editors_and_admins_download(client, paper, create_user, db, url, role, status):
    token = token_for(create_user(role), db) if role is not None else None
    response = client.get(url, headers=auth(token))
    assert response.status_code == status
    response.get_data()  # read to the end, as a client does
    if status != 200:
        error = response.get_json()["error"]
        assert error["code"] == {401: "unauthorized", 403: "forbidden"}[status]
        assert "WWW-Authenticate" in response.headers if status == 401 else True
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_an_editor_downloads_with_the_session_cookie(logged_in, paper, editor):
    client = logged_in(editor)
    for url, extension in ((CSV_URL, "csv"), (JSON_URL, "json")):
        response = client.get(url)
        assert response.status_code == 200
        assert response.get_data(as_text=True)
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="think-paper-1-5.0-contributions.{extension}"'
        )


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/papers/no-such-paper/versions/5.0/export.csv", "paper"),
        ("/api/v1/papers/no-such-paper/versions/5.0/export.json", "paper"),
        (f"{API}/9.9/export.csv", "version"),
        (f"{API}/9.9/export.json", "version"),
    ],
)
def test_an_unknown_paper_or_version_is_a_json_404(client, paper, editor_token, url, field):
    response = client.get(url, headers=auth(editor_token))
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found" and field in error["fields"]


def test_the_editors_area_links_to_both_exports_of_every_version(logged_in, paper, editor):
    page = logged_in(editor).get("/editor/").get_data(as_text=True)
    assert f'href="{CSV_URL}"' in page and f'href="{JSON_URL}"' in page
    assert "Export CSV" in page and "Export JSON" in page


# --- what goes out ------------------------------------------------------------------------


def test_a_discussion_goes_out_with_its_places_answers_and_authors(
    client, create_annotation, create_user, editor, editor_token, db
):
    text = _text(db)
    words = text.split()
    passage = " ".join(words[10:14])
    ada = create_user(
        name="Ada Author",
        email="ada@example.org",
        stakeholder_type=StakeholderType.ACADEMIA,
        country="DE",
    )
    thread = create_annotation("On **these** words.", author=ada, quote=passage,
                               kind=AnnotationKind.QUESTION)  # fmt: skip
    section_wide = create_annotation("The whole section.")
    reply = create_annotation("A reply.", parent=thread)
    answer = create_annotation("An answer to the reply.", parent=reply)
    dispositions.answer(editor, thread, "partly_accepted", "We took *half* of it.")
    db.session.commit()

    document = exported_json(client, editor_token)
    assert document["paper"] == "think-paper-1" and document["version"] == "5.0"
    assert document["exported_at"].endswith("Z")
    items = by_id(document)
    # Threads oldest first, each followed by its replies in the order written.
    assert [c["id"] for c in document["contributions"]] == [
        thread.id, reply.id, answer.id, section_wide.id
    ]  # fmt: skip
    first = items[thread.id]
    assert first["type"] == "thread" and first["kind"] == "question"
    assert first["target"] == "passage" and first["anchor_status"] == "exact"
    assert first["made_on"] == "5.0"
    assert first["section"]["key"] == KEY and first["section"]["title"]
    assert first["quote"] == {
        "exact": passage,
        "start": thread.quote_start,
        "end": thread.quote_end,
    }
    assert text[first["quote"]["start"] : first["quote"]["end"]] == passage
    assert first["body"] == "On **these** words."
    assert first["reply_count"] == 2
    assert first["author"] == {
        "id": ada.id,
        "name": "Ada Author",
        "stakeholder_type": "academia",
        "country": "DE",
    }
    assert first["disposition"]["outcome"] == "partly_accepted"
    assert first["disposition"]["response"] == "We took *half* of it."
    assert first["disposition"]["answered_by"] == {"id": editor.id, "name": "Edith Editor"}
    assert first["disposition"]["answered_at"].endswith("Z")
    assert items[section_wide.id]["quote"] == {"exact": None, "start": None, "end": None}
    assert items[section_wide.id]["target"] == "section"
    second = items[reply.id]
    assert second["type"] == "reply" and second["root"] == thread.id
    assert second["parent"] == thread.id and second["reply_count"] == 1
    assert second["quote"] is None and second["disposition"] is None
    assert second["section"] == first["section"]
    assert items[answer.id]["parent"] == reply.id and items[answer.id]["root"] == thread.id


def test_a_carried_thread_goes_out_where_it_stands_in_the_later_version(
    client, create_annotation, import_paper, editor_token, db, create_user, paper
):
    from tests.web.test_carried_threads import SOURCE, next_version

    passage = " ".join(_text(db).split()[20:25])
    old = create_annotation("Made on 5.0.", quote=passage)
    old_reply = create_annotation("Replied on 5.0.", parent=old)
    import_paper(next_version(SOURCE.read_text(encoding="utf-8")))
    v51 = _version(db, "5.1")
    section = db.session.scalar(
        select(Section).where(Section.version_id == v51.id, Section.key == KEY)
    )
    new = services.create_thread(create_user(), paper, v51, section, "Made on 5.1.")
    db.session.commit()

    items = by_id(exported_json(client, editor_token, f"{API}/5.1/export.json"))
    carried = items[old.id]
    assert carried["made_on"] == "5.0" and carried["anchor_status"] in {"exact", "moved"}
    quote = carried["quote"]
    assert _text(db, "5.1", carried["section"]["key"])[quote["start"] : quote["end"]] == passage
    assert items[old_reply.id]["section"] == carried["section"]
    assert items[new.id]["made_on"] == "5.1"
    # 5.0's export has its own thread, not the one made on 5.1.
    earlier = by_id(exported_json(client, editor_token))
    assert old.id in earlier and new.id not in earlier


def test_nothing_but_public_words_goes_out(
    client, create_annotation, create_user, editor_token, db
):
    shown = create_annotation("Public words.")
    kept_reply = create_annotation("A reply that stays.", parent=shown)
    left_out = {}
    for status in (
        AnnotationStatus.PENDING,
        AnnotationStatus.HIDDEN,
        AnnotationStatus.REJECTED,
        AnnotationStatus.DELETED,
    ):
        thread = create_annotation(f"A thread that was {status.value}.")
        thread_reply = create_annotation(f"A reply below a {status.value} thread.", parent=thread)
        reply = create_annotation(f"A reply that was {status.value}.", parent=shown)
        thread.status = reply.status = status
        left_out[thread.id] = thread.body
        left_out[reply.id] = reply.body
        if status in (AnnotationStatus.PENDING, AnnotationStatus.REJECTED):
            left_out[thread_reply.id] = thread_reply.body  # nobody else sees its thread
        else:
            below_placeholder = thread_reply.id  # readers see it below the placeholder
    restricted = create_user(name="Rex Restricted")
    suspended = create_user(name="Sue Suspended")
    for person in (restricted, suspended):
        muted = create_annotation(f"Words of {person.display_name}.", author=person)
        muted_reply = create_annotation(f"A reply by {person.display_name}.", parent=shown,
                                        author=person)  # fmt: skip
        left_out[muted.id] = muted.body
        left_out[muted_reply.id] = muted_reply.body
    restricted.restricted_at = utcnow()
    suspended.suspended_at = utcnow()
    db.session.commit()

    document = exported_json(client, editor_token)
    raw = json.dumps(document)
    items = by_id(document)
    for annotation_id, words in left_out.items():
        assert annotation_id not in items
        assert words not in raw
    assert "Rex Restricted" not in raw and "Sue Suspended" not in raw
    assert shown.id in items and kept_reply.id in items and below_placeholder in items
    assert items[shown.id]["reply_count"] == 1
    assert {c["status"] for c in document["contributions"]} == {"published"}
    # The CSV carries the same rows.
    records = exported_csv(client, editor_token)
    assert [int(r["id"]) for r in records] == [c["id"] for c in document["contributions"]]


def test_proposals_of_the_terms_in_the_text_go_out_with_their_votes(
    client, paper, create_user, editor, editor_token, db
):
    text = _text(db)
    assert "organisational change" in text.lower() or "public sector" in text.lower()
    label = "organisational change" if "organisational change" in text.lower() else "public sector"
    author = create_user(name="Pat Proposer", country="FR")
    term, first = glossary.create_term(author, label, definition="Change in *how* work is done.")
    second = glossary.propose(create_user(), term, "Another wording.")
    refused = glossary.propose(create_user(), term, "A rejected wording.")
    muted_author = create_user(name="Rex Restricted")
    glossary.propose(muted_author, term, "A restricted wording.")
    for voter in (create_user(), create_user()):
        glossary.vote(voter, first, "support")
    glossary.vote(create_user(), first, "oppose")
    glossary.reject(editor, refused, "Not a definition.")
    glossary.create_term(create_user(), "zygomorphic", definition="Not in the paper.")
    muted_author.restricted_at = utcnow()
    db.session.commit()

    document = exported_json(client, editor_token)
    proposals = {p["id"]: p for p in document["proposals"]}
    assert set(proposals) == {first.id, second.id}
    shown = proposals[first.id]
    assert shown["term"]["slug"] == term.slug and shown["term"]["occurrences"] >= 1
    assert shown["votes"] == {"support": 2, "oppose": 1}
    assert shown["status"] == "published" and shown["text"] == "Change in *how* work is done."
    assert shown["author"]["name"] == "Pat Proposer" and shown["author"]["country"] == "FR"
    records = [r for r in exported_csv(client, editor_token) if r["type"] == "proposal"]
    assert [int(r["id"]) for r in records] == [first.id, second.id]
    assert (records[0]["support"], records[0]["oppose"], records[0]["term"]) == (
        "2",
        "1",
        term.slug,
    )
    assert records[0]["body"] == "Change in *how* work is done."


def test_no_e_mail_address_goes_out(client, create_annotation, create_user, editor, editor_token,
                                    db):  # fmt: skip
    thread = create_annotation("A thread.", author=create_user(email="t@example.org"))
    create_annotation("A reply.", parent=thread, author=create_user(email="r@example.org"))
    dispositions.answer(editor, thread, "noted", "")
    glossary.create_term(
        create_user(email="p@example.org"), "public sector", definition="The state's part."
    )
    db.session.commit()
    addresses = set(db.session.scalars(select(User.email)))
    for url in (CSV_URL, JSON_URL):
        text, _response = download(client, url, editor_token)
        assert ADDRESS.search(text) is None, ADDRESS.search(text).group()
        assert not [address for address in addresses if address in text]
        assert "Edith Editor" in text  # the answering editor, by name
        assert "The state" in text  # the proposal went out, without its author's address


# --- CSV ----------------------------------------------------------------------------------


def _bulk(db, bodies, *, parent: Annotation | None = None, quote: tuple | None = None):
    """Threads (or replies to `parent`) with these bodies, inserted in one statement as
    the services would shape them."""
    version = _version(db)
    author = db.session.scalar(select(User).where(User.role == Role.PARTICIPANT).limit(1))
    now = utcnow()
    rows = []
    for body in bodies:
        row = {
            "paper_id": version.paper_id,
            "version_id": version.id,
            "section_key": KEY,
            "author_id": author.id,
            "kind": AnnotationKind.COMMENT,
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": body,
            "body_html": "<p>x</p>",
            "depth": 0,
            "created_at": now,
            "updated_at": now,
        }
        if parent is not None:
            row.update(parent_id=parent.id, root_id=parent.id, depth=1)
        elif quote is not None:
            exact, start, end = quote
            row.update(target=TargetType.PASSAGE, quote_exact=exact, quote_start=start,
                       quote_end=end, quote_prefix="", quote_suffix="")  # fmt: skip
        rows.append(row)
    db.session.execute(insert(Annotation), rows)
    db.session.commit()


def test_naughty_strings_round_trip_and_never_run_as_formulas(
    client, create_annotation, create_user, editor_token, db
):
    create_user()
    naughty = [s.replace("\x00", "") for s in BLNS if s.replace("\x00", "").strip()]
    naughty += ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")']
    _bulk(db, naughty)
    text = _text(db)
    start = text.index(text.split()[5])
    exact = text[start : start + 12]
    _bulk(db, ["Quoted."], quote=(exact, start, start + 12))

    records = exported_csv(client, editor_token)
    bodies = [r["body"] for r in records if r["type"] == "thread"]
    # csv.reader read newlines inside quoted cells back: one record per contribution.
    assert len(bodies) == len(naughty) + 1
    for record in records:
        for cell in record.values():
            assert not cell.startswith(FORMULA_STARTS), cell
    assert [unformula(b) for b in bodies[:-1]] == naughty
    quoted = records[-1]
    assert unformula(quoted["quote_exact"]) == exact
    assert (int(quoted["quote_start"]), int(quoted["quote_end"])) == (start, start + 12)
    assert text[int(quoted["quote_start"]) : int(quoted["quote_end"])] == exact
    # And the JSON holds every one of them as written.
    contributions = exported_json(client, editor_token)["contributions"]
    assert [c["body"] for c in contributions][:-1] == naughty


def test_the_csv_header_names_every_column_once(client, paper, editor_token):
    from app.api.exports import CSV_HEADER

    text, _response = download(client, CSV_URL, editor_token)
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(header) == CSV_HEADER and len(set(header)) == len(header)
    assert {"type", "quote_exact", "quote_start", "quote_end", "author_stakeholder_type",
            "disposition_outcome", "support", "oppose"} <= set(header)  # fmt: skip
    assert "email" not in " ".join(header)


# --- streaming ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_queries_grow_with_pages_not_rows(
    client, create_user, editor_token, db, count_queries, monkeypatch, url, paper
):
    """A page of threads costs one query, and the replies of that page one query per page
    of replies, plus one that finds the end: 5 contributions or 1,200, the same per page."""
    monkeypatch.setattr(exports, "EXPORT_BATCH", 50)
    create_user()

    def measure() -> tuple[int, int]:
        with count_queries() as counter:
            text, _response = download(client, url, editor_token)
        if url == CSV_URL:
            return counter.count, len(text.strip().splitlines()) - 1
        return counter.count, len(json.loads(text)["contributions"])

    def roots() -> list[Annotation]:
        return list(
            db.session.scalars(
                select(Annotation).where(Annotation.parent_id.is_(None)).order_by(Annotation.id)
            )
        )

    _bulk(db, [f"Thread {n}." for n in range(3)])
    for root in roots()[:2]:
        _bulk(db, ["A reply."], parent=root)
    measure()  # the token's first use is recorded: a write the next requests skip
    few, rows = measure()
    # 3 threads in one short page (1 query), their 2 replies in one short page (1).
    assert rows == 5

    _bulk(db, [f"Thread {n}." for n in range(3, 400)])
    for n, root in enumerate(roots()):
        _bulk(db, ["A reply."] * (1 if n < 2 else 2), parent=root)
    db.session.expunge_all()
    many, rows = measure()
    assert rows == 1200  # 400 threads with 2 replies each
    # 8 full pages of threads and one that finds the end (9 queries); each page's 100
    # replies in 2 full pages and one that finds the end (3 queries): 33 against 2.
    assert many - few == (9 + 8 * 3) - 2


def test_the_stream_reads_in_a_transaction_that_takes_no_write_lock(
    client, create_annotation, editor_token, db, count_queries
):
    """A bearer token's request begins as a writer (its use is recorded): on SQLite that
    is BEGIN IMMEDIATE, the write lock. The stream ends that transaction first and reads
    in a deferred one, so that writers need not wait for the download."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes no lock for reading")
    create_annotation("A thread.")
    with count_queries() as counter:
        download(client, JSON_URL, editor_token)
    statements = [s.strip().split()[0:2] for s in counter.statements]
    first_read = next(i for i, s in enumerate(counter.statements) if "FROM annotations" in s)
    begins = [s for s in statements[:first_read] if s[0] == "BEGIN"]
    assert begins[0] == ["BEGIN", "IMMEDIATE"]  # the token's request
    assert begins[-1] == ["BEGIN"]  # the export's reads


def test_the_json_matches_the_openapi_document(client, create_annotation, editor, editor_token,
                                               db):  # fmt: skip
    from jsonschema import Draft202012Validator

    thread = create_annotation("A thread.", quote=" ".join(_text(db).split()[30:34]))
    create_annotation("A reply.", parent=thread)
    dispositions.answer(editor, thread, "accepted", "Done.")
    db.session.commit()
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/papers/{slug}/versions/{label}/export.json"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = {"$ref": ref, "components": document["components"]}
    exported = exported_json(client, editor_token)
    assert len(exported["contributions"]) == 2
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(exported)]
    assert errors == []


def test_carried_threads_go_out_as_anchored_fuzzy_moved_or_orphaned(
    client,
    publish_next,  # noqa: F811 (the fixture)
    create_annotation,
    editor_token,
    db,
):
    from app.models import AnchorStatus
    from tests.web.test_carried_threads import PHRASE, place

    fuzzy = create_annotation("Quoted.", section=KEY, quote=PHRASE)
    moved = create_annotation("Made here, now elsewhere.", section=KEY)
    words_gone = create_annotation("Words gone.", section=KEY, quote=PHRASE)
    section_gone = create_annotation("Whole section gone.", section=KEY)
    _old, new = publish_next()
    exact = "more bureaucratic culture than firms"
    place(db, fuzzy, new, AnchorStatus.FUZZY, KEY, 10, 38, exact)
    place(db, moved, new, AnchorStatus.MOVED, "introduction")
    place(db, words_gone, new, AnchorStatus.ORPHANED, KEY)
    place(db, section_gone, new, AnchorStatus.ORPHANED, None)

    items = by_id(exported_json(client, editor_token, f"{API}/5.1/export.json"))
    assert items[fuzzy.id]["anchor_status"] == "fuzzy"
    assert items[fuzzy.id]["quote"] == {"exact": exact, "start": 10, "end": 38}
    assert items[moved.id]["section"]["key"] == "introduction"
    assert items[moved.id]["anchor_status"] == "moved" and items[moved.id]["made_on"] == "5.0"
    assert items[words_gone.id]["anchor_status"] == "orphaned"
    assert items[words_gone.id]["quote"] == {"exact": None, "start": None, "end": None}
    assert items[section_gone.id]["section"] == {"key": None, "number": None, "title": None}
    records = {int(r["id"]): r for r in exported_csv(client, editor_token, f"{API}/5.1/export.csv")}
    assert records[section_gone.id]["section_key"] == ""
    assert records[section_gone.id]["anchor_status"] == "orphaned"
    assert records[fuzzy.id]["quote_exact"] == exact


def test_a_deleted_account_is_a_former_participant(
    client, create_annotation, create_user, editor_token, db
):
    gone = create_user(name="Gone Person", country="IT")
    thread = create_annotation("Kept words.", author=gone)
    gone.anonymised_at = utcnow()
    gone.country = None
    db.session.commit()
    item = by_id(exported_json(client, editor_token))[thread.id]
    assert item["body"] == "Kept words."
    assert item["author"]["name"] == "Former participant"
    assert item["author"]["id"] == gone.id and item["author"]["country"] is None
