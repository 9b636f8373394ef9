"""The search index follows every write in the writer's transaction: created, edited and
deleted sections, annotations, proposals and terms, through the services, the API and the
web forms; a rolled-back request or command leaves it as it was; `flask search reindex`
and migration 0012 write the very rows the flush hook writes."""

from __future__ import annotations

import pytest
from flask import abort
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app.annotations import services as annotations
from app.core.transaction import unit_of_work
from app.definitions import services as definitions
from app.models import Annotation, AnnotationKind, Role
from app.search import queries
from app.search.index import search_index
from tests.web.test_api_annotations import auth, open_for_comments, token_for

API = "/api/v1"


def index_rows(db) -> list[tuple]:
    """The whole index, in rowid order."""
    return [
        tuple(row)
        for row in db.session.execute(select(search_index).order_by(search_index.c.rowid))
    ]


def found(word: str, viewer=None) -> set[tuple[str, int]]:
    return {(hit.type, hit.row.id) for hit in queries.search(viewer, word, limit=200).hits}


@pytest.fixture
def tp1(paper, db):
    return open_for_comments(paper, db)


@pytest.fixture
def glossary_rows(db, create_user):
    """A term with aliases, a proposal adopted in other words, an open one with a
    rationale."""
    author, editor = create_user(name="Ada"), create_user(Role.EDITOR, name="Edna")
    term, first = definitions.create_term(
        author, "Public value", definition="Value for the *public*.", rationale="Moore, 1995."
    )
    definitions.set_aliases(editor, term, ["public values", "value to citizens"])
    definitions.adopt(editor, first, "What citizens value, as a public.")
    definitions.propose(create_user(), term, "Worth created for citizens.", "A guess.")
    db.session.commit()
    return term


def test_sections_of_an_imported_version_are_indexed(paper, db):
    key = "public-sector-idiosyncrasies"
    assert ("section", _section_id(db, key)) in found("idiosyncrasies")


def _section_id(db, key):
    from app.models import Section

    return db.session.scalar(select(Section.id).where(Section.key == key))


def test_threads_and_replies_written_edited_and_deleted_through_the_services(
    tp1, db, create_annotation, create_user
):
    author = create_user()
    root = create_annotation("The quokka argument holds.", author=author)
    reply = create_annotation("A wombat disagrees.", parent=root)
    assert found("quokka") == {("annotation", root.id)}
    assert found("wombat") == {("annotation", reply.id)}

    annotations.edit(author, root, "The numbat argument holds.")
    db.session.commit()
    assert found("quokka") == set()
    assert found("numbat") == {("annotation", root.id)}

    # With a reply below it, a deleted root stays as a placeholder without its words.
    annotations.delete(author, root)
    db.session.commit()
    assert found("numbat") == set()
    body = search_index.c.body
    row = select(body).where(search_index.c.ref == root.id, search_index.c.kind == "annotation")
    assert db.session.scalar(row) == ""


def test_a_removed_reply_leaves_no_index_row(tp1, db, create_annotation, create_user):
    author = create_user()
    root = create_annotation("Root words.")
    reply = create_annotation("A lonely axolotl.", parent=root, author=author)
    annotations.delete(author, db.session.get(Annotation, reply.id))
    db.session.commit()
    assert db.session.get(Annotation, reply.id) is None
    kinds = db.session.scalars(
        select(search_index.c.kind).where(search_index.c.ref == reply.id)
    ).all()
    assert "annotation" not in kinds
    assert found("axolotl") == set()


def test_glossary_rows_are_indexed_and_follow_their_edits(db, glossary_rows, create_user):
    term = glossary_rows
    assert ("term", term.id) in found("citizens")  # an alias
    proposals = {ref for kind, ref in found("citizens") if kind == "proposal"}
    assert len(proposals) == 2  # the adopted wording and the open proposal
    editor = create_user(Role.EDITOR)
    definitions.set_aliases(editor, term, ["public worth"])
    db.session.commit()
    assert ("term", term.id) not in found("value to citizens")
    assert ("term", term.id) in found("worth")


def test_a_pending_proposal_withdrawn_is_removed_with_its_index_row(db, create_user):
    author = create_user(trusted=False)
    term, _first = definitions.create_term(create_user(), "Open data", definition="Data for all.")
    pending = definitions.propose(author, term, "A platypus of data.")
    db.session.commit()
    assert pending.status.value == "pending"
    definitions.withdraw(author, pending)
    db.session.commit()
    assert not db.session.scalars(
        select(search_index.c.rowid).where(
            search_index.c.kind == "proposal", search_index.c.ref == pending.id
        )
    ).all()


def test_written_edited_and_deleted_through_the_api(client, tp1, db, create_user):
    user = create_user()
    token = token_for(user, db)
    created = client.post(
        f"{API}/annotations",
        json={
            "paper": "think-paper-1",
            "version": "5.0",
            "section": "introduction",
            "body": "The pangolin paragraph.",
        },
        headers=auth(token),
    )
    assert created.status_code == 201, created.get_json()
    ident = created.get_json()["id"]
    hits = client.get(f"{API}/search?q=pangolin").get_json()
    assert [(i["type"], i["id"]) for i in hits["items"]] == [("annotation", ident)]

    edited = client.patch(
        f"{API}/annotations/{ident}", json={"body": "The okapi paragraph."}, headers=auth(token)
    )
    assert edited.status_code == 200
    assert client.get(f"{API}/search?q=pangolin").get_json()["total"] == 0
    assert client.get(f"{API}/search?q=okapi").get_json()["total"] == 1

    term = client.post(
        f"{API}/terms",
        json={"label": "Kakapo governance", "definition": "Rule by rare parrots."},
        headers=auth(token),
    )
    assert term.status_code == 201
    types = {i["type"] for i in client.get(f"{API}/search?q=parrots").get_json()["items"]}
    assert types == {"proposal"}
    assert {i["type"] for i in client.get(f"{API}/search?q=kakapo").get_json()["items"]} == {"term"}

    assert client.delete(f"{API}/annotations/{ident}", headers=auth(token)).status_code == 204
    assert client.get(f"{API}/search?q=okapi").get_json()["total"] == 0


def test_a_rolled_back_command_leaves_the_index_unchanged(tp1, db, create_annotation):
    root = create_annotation("Steady words.")
    before = index_rows(db)
    with pytest.raises(RuntimeError), unit_of_work():
        annotations.edit(_author(db, root), _reload(db, root), "A gecko edit.")
        annotations.reply(_author(db, root), _reload(db, root), "A gecko reply.")
        definitions.create_term(_author(db, root), "Gecko", definition="A lizard.")
        assert found("gecko")  # seen inside the transaction
        raise RuntimeError("the command fails after writing")
    assert index_rows(db) == before
    assert found("gecko") == set()


def _author(db, annotation):
    from app.models import User

    return db.session.get(User, annotation.author_id)


def _reload(db, annotation):
    return db.session.get(Annotation, annotation.id)


def test_a_request_that_fails_after_writing_leaves_the_index_unchanged(
    app, client, tp1, db, create_user
):
    """A request answered with an error is rolled back by the request boundary, the rows
    the flush hook wrote with it."""
    author = create_user()

    def writes_then_refuses():
        from app.models import PaperVersion, Section

        version = db.session.scalar(select(PaperVersion))
        section = db.session.scalar(select(Section).where(Section.version_id == version.id))
        annotations.create_thread(
            db.session.merge(author), version.paper, version, section, "A tuatara thread."
        )
        assert found("tuatara")
        abort(409)

    app.add_url_rule("/test-writes-then-refuses", view_func=writes_then_refuses, methods=["POST"])
    before = index_rows(db)
    assert client.post("/test-writes-then-refuses").status_code == 409
    db.session.rollback()
    assert index_rows(db) == before
    assert client.get(f"{API}/search?q=tuatara").get_json()["total"] == 0


def test_reindex_rebuilds_the_rows_the_flush_hook_wrote(
    runner, tp1, db, create_annotation, create_user, glossary_rows
):
    root = create_annotation("Marked \ue000words\ue001 and *Markdown*.")
    create_annotation("A reply.", parent=root)
    version = db.session.get(Annotation, root.id).version_id
    from app.models import PaperVersion, Section

    paper_version = db.session.get(PaperVersion, version)
    section = db.session.scalar(
        select(Section).where(Section.version_id == version, Section.key == "introduction")
    )
    exact = section.text.split(".")[0][:30]
    annotations.create_thread(
        create_user(), paper_version.paper, paper_version, section, "Say it better.",
        kind=AnnotationKind.SUGGESTION, quote=annotations.QuoteInput(exact),
        proposed_text="Better words here.",
    )  # fmt: skip
    db.session.commit()
    written = index_rows(db)
    assert all("\ue000" not in row[4] for row in written)

    result = runner.invoke(args=["search", "reindex", "--batch", "7"])
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.stderr
    assert "annotations" in result.stdout and "sections" in result.stdout
    db.session.rollback()
    assert index_rows(db) == written


def test_migration_0012_fills_the_index_as_the_flush_hook_does(
    app, tp1, db, create_annotation, glossary_rows
):
    create_annotation("Words before the index existed.")
    written = index_rows(db)
    db.session.commit()
    db.session.remove()
    downgrade(revision="0012-1")
    upgrade()
    assert index_rows(db) == written
