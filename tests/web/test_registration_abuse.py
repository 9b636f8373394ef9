"""Registration and password reset tell nobody whether an address has an account, and
cannot be used to send mail to anyone without limit.

Registering an address that has an account answers exactly as for a new one; its owner
gets a mail instead. The reset page does the same work either way and sends its mail
after answering; `bench/reset_timing.py` measures the two answers' times.
"""

from __future__ import annotations

import pytest
from flask import template_rendered

from app.models import Role
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD
from tests.web.test_accounts import link_in, outbox, registration, same_page, text_of, user_count


def register(client, email: str, ip: str = "192.0.2.1", **overrides):
    return client.post(
        "/register",
        data=registration(email=email, **overrides),
        environ_base={"REMOTE_ADDR": ip},
    )


# --- limits --------------------------------------------------------------------------------


def test_twelve_registrations_in_a_row_from_one_address_are_stopped(app, client, db):
    allowed = int(app.config["REGISTRATION_RATE_LIMIT"].split()[0])  # 10 an hour
    answers = [register(client, f"person{n}@example.org").status_code for n in range(12)]

    assert answers == [302] * allowed + [429] * (12 - allowed)
    assert user_count(db) == allowed
    assert len(outbox(app)) == allowed
    # Another client address may still register.
    assert register(client, "other@example.org", ip="198.51.100.3").status_code == 302


def test_one_email_address_is_not_flooded_from_many_addresses(app, client, db):
    allowed = int(app.config["MAIL_RATE_LIMIT"].split()[0])  # 5 an hour
    answers = [
        register(client, "victim@example.org", ip=f"203.0.113.{n}").status_code for n in range(7)
    ]

    assert answers == [302] * allowed + [429] * (7 - allowed)
    assert user_count(db) == 1
    assert len(outbox(app)) == allowed  # the confirmation, then the owner's notices


# --- the same answer either way --------------------------------------------------------------


def test_an_address_with_an_account_gets_the_same_answer_as_a_new_one(app, create_user, db):
    create_user(email="taken@example.org", name="Owner")
    taken, new = app.test_client(), app.test_client()

    first = register(taken, "taken@example.org")
    second = register(new, "fresh@example.org")

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert first.get_data() == second.get_data()
    assert same_page(
        taken.get("/register/check-inbox"),
        new.get("/register/check-inbox"),
        "taken@example.org",
        "fresh@example.org",
    )
    # A form the validation refuses answers the same too (no "already exists").
    refused_taken = register(taken, "taken@example.org", confirm="something else entirely")
    refused_new = register(new, "fresh2@example.org", confirm="something else entirely")
    assert refused_taken.status_code == refused_new.status_code == 200
    assert same_page(refused_taken, refused_new, "taken@example.org", "fresh2@example.org")
    assert "already" not in text_of(refused_taken)


def test_the_owner_is_told_and_given_a_way_in(app, client, create_user, db):
    owner = create_user(email="ada@example.org", name="Ada")

    impostor = "an impostor's passphrase 9"
    assert (
        register(client, "ADA@example.org", password=impostor, confirm=impostor).status_code == 302
    )

    (message,) = outbox(app)
    assert message["To"] == "ada@example.org"
    assert "tried to register" in message["Subject"]
    assert "Hello Ada," in message.get_content()
    form = client.get(link_in(message))
    assert form.status_code == 200  # a working reset link
    assert user_count(db) == 1
    db.session.refresh(owner)
    assert owner.display_name == "Ada"
    login = {"email": "ada@example.org", "password": "an impostor's passphrase 9"}
    assert client.post("/login", data=login).status_code == 200  # nothing changed
    login["password"] = DEFAULT_PASSWORD
    assert client.post("/login", data=login).status_code == 302


def test_a_suspended_owner_gets_no_reset_link(app, client, create_user, db):
    owner = create_user(email="ada@example.org")
    owner.suspended_at = utcnow()
    db.session.commit()

    response = register(client, "ada@example.org")

    assert response.status_code == 302
    (message,) = outbox(app)
    assert "/reset-password/" not in message.get_content()


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ADMIN])
def test_registering_an_existing_address_changes_nothing_of_the_account(
    app, client, create_user, db, role
):
    owner = create_user(role, email="ada@example.org", name="Ada")
    before = (owner.password_hash, owner.role, owner.display_name, owner.session_version)

    register(client, "ada@example.org", display_name="Mallory")

    db.session.refresh(owner)
    assert (owner.password_hash, owner.role, owner.display_name, owner.session_version) == before


# --- password reset: the same work either way ------------------------------------------------


class Work:
    """What a request did: SQL statements and templates rendered."""

    def __init__(self, app, db, count_queries):
        self.app, self.db, self.count_queries = app, db, count_queries
        self.templates: list[str] = []

    def post(self, client, email: str):
        # Each request begins a transaction of its own, as in a server, not the one the
        # test's session may have left open (the test client keeps the test's session).
        self.db.session.rollback()

        def rendered(sender, template, context, **extra):
            self.templates.append(template.name)

        template_rendered.connect(rendered, self.app)
        try:
            with self.count_queries() as queries:
                response = client.post("/reset-password", data={"email": email})
        finally:
            template_rendered.disconnect(rendered, self.app)
        return response, queries.statements, self.templates


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(
    app, db, user, count_queries
):
    known_work, unknown_work = Work(app, db, count_queries), Work(app, db, count_queries)

    known, known_sql, known_templates = known_work.post(app.test_client(), user.email)
    # Not sent yet: the answer leaves first (a server closes the response after sending it).
    assert outbox(app) == []
    known.close()
    unknown, unknown_sql, unknown_templates = unknown_work.post(
        app.test_client(), "nobody@example.org"
    )
    unknown.close()

    assert known.status_code == unknown.status_code == 200
    assert same_page(known, unknown, user.email, "nobody@example.org")
    assert len(known_sql) == len(unknown_sql)
    assert known_templates == unknown_templates
    assert "mail/reset_password.txt" in known_templates
    (message,) = outbox(app)
    assert message["To"] == user.email


def test_a_reset_request_for_a_suspended_account_does_the_same_work(
    app, db, create_user, count_queries
):
    suspended = create_user()
    suspended.suspended_at = utcnow()
    db.session.commit()
    active = create_user()

    _, suspended_sql, suspended_templates = Work(app, db, count_queries).post(
        app.test_client(), suspended.email
    )
    _, active_sql, active_templates = Work(app, db, count_queries).post(
        app.test_client(), active.email
    )

    assert len(suspended_sql) == len(active_sql)
    assert suspended_templates == active_templates
