"""Personal data (`app.accounts.personal_data`): the export covers every table that names an
account, and deleting an account leaves nothing in the database that identifies the person.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from app.accounts import personal_data, services, sessions
from app.annotations import dispositions
from app.annotations import services as annotations
from app.core import idempotency
from app.core.mail import pending_mail
from app.definitions import services as glossary
from app.models import (
    Base,
    Delivery,
    Flag,
    FlagReason,
    FollowTarget,
    IdempotencyRecord,
    ModerationAction,
    NotificationKind,
    PaperVersion,
    Role,
    TargetKind,
    User,
)
from app.moderation import services as moderation
from app.moderation.services import Target
from app.notifications import settings as notification_settings
from tests.conftest import DEFAULT_PASSWORD

EMAIL = "Quorra.Zyxwell@Example.org"
NAME = "Quorra Zyxwell"
AFFILIATION = "Institute of Grids"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ADDRESS = "203.0.113.77"


def columns_naming_accounts() -> set[tuple[str, str]]:
    """Every (table, column) of the schema with a foreign key to `users.id`."""
    return {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "users"
    }


def test_every_column_that_refers_to_an_account_is_in_the_export():
    """A table added with a reference to accounts must be added to `personal_data.SECTIONS`."""
    found = columns_naming_accounts()
    assert ("annotations", "author_id") in found  # the walk sees the schema
    assert ("moderation_log", "moderator_id") in found
    assert found - personal_data.covered_columns() == set()
    assert personal_data.covered_columns() - found == set()  # no section for a gone column


@pytest.fixture
def footprint(db, paper, create_user, create_annotation, request_ctx):
    """An admin (`person`) with a row in every table that refers to accounts, in every
    role the table knows (author, voter, flagger, editor, moderator, subject...)."""
    person = create_user(Role.ADMIN, email=EMAIL, name=NAME, affiliation=AFFILIATION, country="IS")
    other = create_user(Role.ADMIN, name="Other Admin")
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))

    thread = create_annotation("A point about the section.", author=person)
    reply = create_annotation("And a reply.", author=person, parent=thread)
    annotations.edit(person, reply, "And a better reply.")
    theirs = create_annotation("Someone else's point.", author=other)
    dispositions.answer(person, theirs, "noted", "Thank you.")
    annotations_flag = moderation.flag(person, TargetKind.ANNOTATION, theirs, FlagReason.OTHER,
                                       f"Flagged by {NAME}, {EMAIL}")  # fmt: skip
    moderation.decide(person, Target(TargetKind.ANNOTATION, theirs.id), ModerationAction.HIDE,
                      "Off topic.")  # fmt: skip
    moderation.decide(other, Target(TargetKind.ANNOTATION, thread.id), ModerationAction.HIDE,
                      "Needs a second look.")  # fmt: skip

    term, _ = glossary.create_term(person, "Public value")
    proposal = glossary.propose(person, term, "What the public values.")
    their_proposal = glossary.propose(other, term, "What is valuable to the public.")
    glossary.vote(person, their_proposal, "support")
    glossary.comment(person, their_proposal, "I agree.")
    glossary.adopt(person, their_proposal)

    services.issue_api_token(person, f"{NAME}'s notebook")
    sessions.start_session(person, user_agent=BROWSER, client_address=ADDRESS)
    # An API answer kept under one of their Idempotency-Keys, naming them as its author.
    record = idempotency.claim(person.id, "a-key-of-theirs", "0" * 64)
    idempotency.complete(record, 201, json.dumps({"author": {"name": NAME}}).encode(),
                         "application/json", "/api/v1/annotations/1")  # fmt: skip
    version.published_by_id = person.id  # as if they had published it from the editor's area
    # How they want to be told, and what they follow (their notifications come from above).
    notification_settings.set_delivery(person, NotificationKind.REPLY, Delivery.DIGEST)
    notification_settings.follow(person, FollowTarget.PAPER, paper_id=paper.id)
    db.session.commit()
    return SimpleNamespace(
        person=person, other=other, thread=thread, reply=reply, proposal=proposal,
        flag=annotations_flag,
    )  # fmt: skip


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def test_the_export_holds_every_row_that_names_the_account(footprint, db):
    person = footprint.person
    data = json.loads(json.dumps(services.export_account_data(person)))  # JSON as it is sent

    sections = {s.model.__tablename__: s.name for s in personal_data.SECTIONS}
    for table_name, column in sorted(columns_naming_accounts()):
        table = Base.metadata.tables[table_name]
        ids = set(db.session.scalars(select(table.c.id).where(table.c[column] == person.id)))
        assert ids, f"the fixture gives the account no row in {table_name}.{column}"
        exported = {row["id"] for row in data[sections[table_name]]}
        assert ids <= exported, f"{table_name}.{column}: rows {ids - exported} not exported"

    assert data["account"]["email"] == EMAIL.lower()
    assert data["account"]["display_name"] == NAME
    assert [r["body"] for r in data["annotation_revisions"]] == ["And a reply."]
    assert data["sessions"][0]["client_address"] == ADDRESS
    assert data["flags"][0]["note"] == f"Flagged by {NAME}, {EMAIL}"


def test_the_export_keeps_secrets_and_the_deciding_moderator_out(footprint, db):
    data = services.export_account_data(footprint.person)
    dumped = json.dumps(data)

    for secret in ("token_hash", "key_hash", "password_hash"):
        assert secret not in dumped
    about_them = [r for r in data["moderation_log"] if r.get("subject_id") == footprint.person.id]
    by_them = [r for r in data["moderation_log"] if r.get("moderator_id") == footprint.person.id]
    assert about_them and by_them
    assert all("moderator_id" not in r for r in about_them)


# --- deletion -------------------------------------------------------------------------------


def dump_database(db) -> str:
    """The whole database as text: SQLite's `iterdump()`, PostgreSQL's `pg_dump` when it is
    installed (and speaks to this server), and every row of every table otherwise."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        done = subprocess.run(
            [pg_dump, "--data-only", "--no-owner", plain], capture_output=True, text=True
        )
        if done.returncode == 0:
            return done.stdout
    lines = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f"SELECT * FROM {table.name}")):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def traces(dump: str) -> set[str]:
    """Which of the person's identifying values the dump holds, case aside."""
    lowered = dump.lower()
    values = {"e-mail": EMAIL, "name": NAME, "affiliation": AFFILIATION, "address": ADDRESS,
              "browser": "firefox on linux"}  # fmt: skip
    return {what for what, value in values.items() if value.lower() in lowered}


def test_after_deletion_a_dump_of_the_database_names_the_person_nowhere(footprint, db, client):
    person = footprint.person
    # A failed log-in is counted by the rate limiter, outside the database (see the README).
    assert client.post("/login", data={"email": EMAIL, "password": "wrong"}).status_code == 200
    assert traces(dump_database(db)) == {"e-mail", "name", "affiliation", "address", "browser"}

    services.send_confirmation_mail(person)  # mail still waiting when the account goes
    services.send_confirmation_mail(footprint.other)
    services.delete_account(person, DEFAULT_PASSWORD)
    assert [m["To"] for m in pending_mail()] == [footprint.other.email]  # only theirs is sent
    db.session.commit()

    assert traces(dump_database(db)) == set()
    db.session.expire_all()
    # What they contributed stays, credited to a former participant.
    assert footprint.thread.body == "A point about the section."
    assert db.session.get(User, footprint.reply.author_id).display_name == "Former participant"
    assert footprint.proposal.author_id == person.id
    assert db.session.get(Flag, footprint.flag.id).note == ""
    kept = select(IdempotencyRecord).where(IdempotencyRecord.owner_id == person.id)
    assert db.session.scalars(kept).all() == []


def test_a_deleted_account_shows_as_former_participant_in_the_readers_language(footprint, db):
    services.delete_account(footprint.person, DEFAULT_PASSWORD)
    db.session.commit()

    assert footprint.person.display_name == "Former participant"
    assert db.session.scalar(select(User.display_name).where(User.id == footprint.person.id)) == (
        "Former participant"
    )
    assert not footprint.person.is_active
    assert services.export_account_data(footprint.person)["api_tokens"] == []
    assert services.export_account_data(footprint.person)["sessions"] == []
