"""The outbox against a real SMTP server (tests/smtp.py): every message is stored before it
is handed over, delivered once, kept through an outage, retried on a schedule, and never
sent by two processes at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Blueprint
from sqlalchemy import select, update

from app.core import mail
from app.core.mail import queue_mail, queue_template_mail
from app.extensions import db as _db
from app.models import MailStatus, OutgoingMail, User
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD


def rows(db) -> list[OutgoingMail]:
    db.session.rollback()  # a fresh snapshot: the hand-overs wrote on connections of their own
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def write(db, statement) -> None:
    """Run `statement` in a transaction of its own, begun after what the hand-overs wrote
    (the test's read snapshot would be too old to write in on SQLite)."""
    db.session.rollback()
    db.session.execute(statement)
    db.session.commit()


def make_due(db) -> None:
    """Move every pending message's next attempt into the past, as time passing would."""
    write(
        db,
        update(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.PENDING)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1)),
    )


def received_ids(smtp_server) -> list[str]:
    with smtp_server.lock:
        return [str(m["Message-ID"]) for m in smtp_server.messages]


def register(client, email: str):
    return client.post(
        "/register",
        data={
            "email": email,
            "display_name": email.split("@")[0].title(),
            "password": DEFAULT_PASSWORD,
            "confirm": DEFAULT_PASSWORD,
            "stakeholder_type": "academia",
            "terms": "y",
        },
    )


# --- delivered once, after the commit ---------------------------------------------------


def test_a_registration_mail_is_stored_and_delivered_once(app, client, db, smtp_server):
    assert register(client, "ada@example.org").status_code == 302

    (message,) = smtp_server.to("ada@example.org")
    (row,) = rows(db)
    assert row.message_id == message["Message-ID"]
    assert row.recipient == "ada@example.org"
    assert (
        row.subject == message["Subject"] == "Confirm your e-mail address for Think Paper Commons"
    )
    assert row.status is MailStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None and row.last_error is None and row.claimed_at is None

    # Nothing is due any more: a retry run sends nothing again.
    assert mail.retry_due(app) == mail.RetrySummary()
    assert len(smtp_server.messages) == 1


def test_extra_headers_survive_the_outbox(app, db, smtp_server):
    headers = {
        "List-Unsubscribe": "<http://localhost/unsubscribe/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    queue_template_mail(
        "ada@example.org",
        "With headers",
        "reset_password",
        headers=headers,
        user=User(display_name="Ada"),
        url="http://localhost/x",
        minutes=60,
    )
    db.session.commit()

    (message,) = smtp_server.messages
    assert message["List-Unsubscribe"] == headers["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://localhost/x" in message.get_content()


def test_a_rolled_back_request_stores_and_sends_nothing(app, client, db, smtp_server):
    """A request that queued mail and then failed (here: a 409 after the service ran)
    leaves no row, so nothing is sent, now or by a retry run."""
    extra = Blueprint("mailing", __name__)

    @extra.route("/mail-then-refuse", methods=["POST"])
    def mail_then_refuse():
        queue_mail("ada@example.org", "Never sent", "A link for something never stored.")
        return "refused", 409

    app.register_blueprint(extra)

    assert client.post("/mail-then-refuse").status_code == 409

    assert rows(db) == []
    assert mail.retry_due(app).sent == 0
    assert smtp_server.messages == []


def test_a_rolled_back_savepoint_drops_its_row_only(app, db, smtp_server):
    queue_mail("a@example.org", "Outer", "kept")
    savepoint = db.session.begin_nested()
    queue_mail("b@example.org", "Inner", "dropped")
    savepoint.rollback()
    db.session.commit()

    assert [r.subject for r in rows(db)] == ["Outer"]
    assert [m["Subject"] for m in smtp_server.messages] == ["Outer"]


# --- an outage: nothing lost, nothing twice --------------------------------------------------


def test_an_smtp_outage_loses_nothing_and_the_retry_sends_each_message_once(
    app, client, db, create_user, runner, smtp_server
):
    known = create_user(name="Known")
    smtp_server.stop()

    for n in range(3):
        assert register(client, f"new{n}@example.org").status_code == 302
    reset = client.post("/reset-password", data={"email": known.email}, buffered=True)
    assert reset.status_code == 200  # the reset page's mail is sent after its answer

    stored = rows(db)
    assert len(stored) == 4
    for row in stored:
        assert row.status is MailStatus.PENDING
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        wait = row.next_attempt_at - utcnow()
        assert timedelta(seconds=50) < wait <= timedelta(minutes=1)

    # Not due yet: the cron run leaves them.
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0
    assert result.output.strip() == "sent 0, still failing 0"

    smtp_server.start()
    make_due(db)
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 4, still failing 0"

    ids = received_ids(smtp_server)
    assert sorted(ids) == sorted(row.message_id for row in stored)  # each once, none twice
    assert {r.status for r in rows(db)} == {MailStatus.SENT}
    assert [r.attempts for r in rows(db)] == [2, 2, 2, 2]

    # Another run, even with the rows pushed back in time, sends nothing again.
    make_due(db)
    assert runner.invoke(args=["mail", "retry"]).output.strip() == "sent 0, still failing 0"
    assert len(smtp_server.messages) == 4


def test_a_retry_while_the_server_is_still_down_counts_what_still_fails(
    app, db, runner, smtp_server
):
    smtp_server.stop()
    queue_mail("ada@example.org", "Still down", "body")
    db.session.commit()
    make_due(db)

    result = runner.invoke(args=["mail", "retry"])

    assert result.output.strip() == "sent 0, still failing 1"
    (row,) = rows(db)
    assert row.status is MailStatus.PENDING and row.attempts == 2
    assert timedelta(minutes=4) < row.next_attempt_at - utcnow() <= timedelta(minutes=5)


# --- the schedule ---------------------------------------------------------------------


def test_the_backoff_grows_then_stays_at_twelve_hours():
    minutes = [mail.backoff(n).total_seconds() / 60 for n in range(1, 9)]
    assert minutes == [1, 5, 30, 120, 720, 720, 720, 720]
    assert mail.MAX_ATTEMPTS == 8
    assert mail.CLAIM_TIMEOUT.total_seconds() == 600


def test_each_failure_waits_longer_until_the_message_is_failed_for_good(app, db, smtp_server):
    smtp_server.stop()
    queue_mail("ada@example.org", "Doomed", "body")
    db.session.commit()  # attempt 1 fails at once

    waits = []
    for attempt in range(2, mail.MAX_ATTEMPTS + 1):
        (row,) = rows(db)
        assert row.status is MailStatus.PENDING and row.attempts == attempt - 1
        waits.append(row.next_attempt_at - utcnow())
        make_due(db)
        summary = mail.retry_due(app)
        assert summary.sent == 0 and summary.failing == 1

    (row,) = rows(db)
    assert row.status is MailStatus.FAILED
    assert row.attempts == mail.MAX_ATTEMPTS
    expected = [mail.backoff(n) for n in range(1, mail.MAX_ATTEMPTS)]
    for wait, planned in zip(waits, expected, strict=True):
        assert planned - timedelta(seconds=10) < wait <= planned
    # Failed for good: no retry run picks it up again, even once the server is back.
    smtp_server.start()
    write(db, update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(days=9)))
    assert mail.retry_due(app) == mail.RetrySummary()
    assert smtp_server.messages == []


def test_the_run_that_gives_up_says_so(app, db, runner, smtp_server):
    smtp_server.stop()
    queue_mail("ada@example.org", "Last try", "body")
    db.session.commit()
    write(db, update(OutgoingMail).values(attempts=mail.MAX_ATTEMPTS - 1))
    make_due(db)

    result = runner.invoke(args=["mail", "retry"])

    assert result.output.strip() == "sent 0, still failing 1 (1 given up after 8 attempts)"
    (row,) = rows(db)
    assert row.status is MailStatus.FAILED


# --- claims: never two senders ------------------------------------------------------------


def test_a_claimed_message_is_not_sent_by_another_process(app, db, smtp_server):
    smtp_server.stop()
    queue_mail("ada@example.org", "Claimed", "body")
    db.session.commit()
    smtp_server.start()
    make_due(db)
    (row,) = rows(db)

    # One process claims the row (and is, say, still talking to the server) …
    claim = mail._claim(OutgoingMail.__table__.c.id == row.id)
    assert claim is not None and claim.attempts == 2
    # … another, the cron run, finds nothing to take.
    assert mail.retry_due(app) == mail.RetrySummary()
    assert smtp_server.messages == []
    assert mail._claim(OutgoingMail.__table__.c.id == row.id) is None

    # The first one finishes: sent, once.
    assert mail._settle(claim, None) is MailStatus.SENT
    assert rows(db)[0].status is MailStatus.SENT


def test_a_claim_left_by_a_killed_process_is_taken_over_after_the_timeout(
    app, db, smtp_server, caplog
):
    smtp_server.stop()
    queue_mail("ada@example.org", "Stranded", "body")
    db.session.commit()
    smtp_server.start()
    make_due(db)
    (row,) = rows(db)
    stale = mail._claim(OutgoingMail.__table__.c.id == row.id)  # then the process dies

    # Within the timeout the claim holds.
    assert mail.retry_due(app).sent == 0
    # Once it has expired, the next run sends the message.
    expired = utcnow() - mail.CLAIM_TIMEOUT - timedelta(seconds=1)
    write(db, update(OutgoingMail).values(claimed_at=expired))
    assert mail.retry_due(app).sent == 1
    assert received_ids(smtp_server) == [row.message_id]

    # Were the first process only slow, not dead, its late result no longer counts.
    assert mail._settle(stale, "TimeoutError: late") is None
    assert rows(db)[0].status is MailStatus.SENT
    assert "taken over by another process" in caplog.text


@pytest.mark.parametrize("contenders", [4])
def test_concurrent_hand_overs_send_each_message_exactly_once(app, db, smtp_server, contenders):
    """Several processes at the same moment — the after-commit hand-over of the request
    that made the mail and cron runs of `flask mail retry` — reach for the same due rows:
    each message reaches the server once."""
    smtp_server.stop()
    for n in range(6):
        queue_mail(f"reader{n}@example.org", f"Message {n}", "body")
    db.session.commit()
    # Plain strings: the threads must not touch the test's session (and its connection).
    message_ids = [row.message_id for row in rows(db)]
    smtp_server.start()
    make_due(db)
    db.session.rollback()

    start = threading.Barrier(contenders + 1)
    summaries: list[mail.RetrySummary] = []
    errors: list[BaseException] = []

    def cron_run():
        try:
            with app.app_context():
                start.wait()
                summaries.append(mail.retry_due(app))
                _db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    def after_commit_hand_over():
        try:
            with app.app_context():
                start.wait()
                mail.hand_over(message_ids, app)
                _db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=cron_run) for _ in range(contenders)]
    threads.append(threading.Thread(target=after_commit_hand_over))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    ids = received_ids(smtp_server)
    assert sorted(ids) == sorted(message_ids)  # all, and none twice
    assert {r.status for r in rows(db)} == {MailStatus.SENT}
    assert all(r.attempts == 2 for r in rows(db))  # one failed attempt, one claim that sent
    assert sum(s.sent for s in summaries) <= len(message_ids)


# --- without MAIL_SERVER: the folder is the delivery ---------------------------------------


def test_without_a_mail_server_the_outbox_folder_is_the_delivery(app, db):
    from pathlib import Path

    queue_mail("ada@example.org", "To the folder", "body")
    db.session.commit()

    (row,) = rows(db)
    assert row.status is MailStatus.SENT
    (path,) = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    assert row.message_id in path.read_text()


def test_an_account_deleted_in_the_same_transaction_drops_its_stored_mail(app, db, smtp_server):
    from app.core.mail import discard_pending_mail

    queue_mail("ada@example.org", "For Ada", "body")
    queue_mail("bob@example.org", "For Bob", "body")
    db.session.flush()
    assert discard_pending_mail("ADA@example.org") == 1
    db.session.commit()

    assert [r.recipient for r in rows(db)] == ["bob@example.org"]
    assert [m["To"] for m in smtp_server.messages] == ["bob@example.org"]


def test_deleting_an_account_deletes_its_messages_sent_or_waiting(
    app, db, create_user, smtp_server
):
    from app.accounts import personal_data

    user = create_user(email="ada@example.org")
    queue_mail("ada@example.org", "Sent before", "body")
    db.session.commit()
    smtp_server.stop()
    queue_mail("Ada@Example.org", "Still waiting", "body")
    queue_mail("bob@example.org", "For Bob", "body")
    db.session.commit()
    queue_mail("ada@example.org", "Queued by the deleting request", "body")

    personal_data.erase(db.session.merge(user))
    db.session.commit()

    assert [r.recipient for r in rows(db)] == ["bob@example.org"]
    smtp_server.start()
    make_due(db)
    assert mail.retry_due(app).sent == 1
    assert [m["To"] for m in smtp_server.messages] == ["ada@example.org", "bob@example.org"]


def test_mail_sent_after_the_answer_is_stored_and_kept_through_an_outage(app, db, smtp_server):
    """`send_now` runs after the response has gone, outside any application context (a
    server pops it first): the message is stored all the same, and kept when the server
    is down."""
    from app.core.mail import build_message, send_now

    with app.test_request_context():
        delivered = build_message("ada@example.org", "After the answer", "body")
        refused = build_message("bob@example.org", "After the answer, server down", "body")

    def later(message):
        thread = threading.Thread(target=send_now, args=(message, app))
        thread.start()
        thread.join(timeout=30)

    later(delivered)
    smtp_server.stop()
    later(refused)

    stored = {r.recipient: r for r in rows(db)}
    assert stored["ada@example.org"].status is MailStatus.SENT
    assert stored["bob@example.org"].status is MailStatus.PENDING
    assert "ConnectionRefusedError" in stored["bob@example.org"].last_error
    assert received_ids(smtp_server) == [str(delivered["Message-ID"])]


def test_the_data_export_lists_the_messages_to_the_account_without_their_bodies(
    app, db, create_user
):
    from app.accounts import personal_data

    user = create_user(email="ada@example.org")
    queue_mail("ADA@example.org", "Your link", "Follow http://localhost/secret-link now.")
    queue_mail("bob@example.org", "Not Ada's", "body")
    db.session.commit()

    (message,) = personal_data.collect(db.session.merge(user))["mail"]

    assert message["subject"] == "Your link"
    assert message["status"] == "sent" and message["attempts"] == 1
    assert "secret-link" not in str(message)
