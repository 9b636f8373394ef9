"""Mail leaves only after the transaction commits, by SMTP or into the outbox folder."""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import socket
import socketserver
import threading
from pathlib import Path

import pytest

from app.core.mail import deliver, pending_mail, queue_mail, queue_template_mail
from app.models import User
from tests.conftest import DEFAULT_PASSWORD


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def subjects(app) -> list[str]:
    return [message["Subject"] for message in outbox(app)]


# --- a real, tiny SMTP server ---------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        server = self.server
        self.reply("220 test ESMTP")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-test")
                self.reply("250-AUTH PLAIN")
                self.reply("250 8BITMIME")
            elif verb == "AUTH":
                _authzid, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                server.logins.append((user.decode(), password.decode()))
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                envelope["from"] = command
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(command)
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    body.append(data[1:] if data.startswith(b"..") else data)
                envelope["data"] = b"".join(body)
                server.received.append(envelope)
                envelope = {"rcpt": []}
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.received: list[dict] = []
        self.logins: list[tuple[str, str]] = []


@pytest.fixture
def smtp_server(app):
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.server_address[1],
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
    )
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- after commit, never before, never after a rollback -------------------------------------


def test_queued_mail_waits_for_the_commit(app, db):
    with app.test_request_context():
        queue_mail("ada@example.org", "Hello", "Body with https://example.org/x link.")
        assert [m["Subject"] for m in pending_mail()] == ["Hello"]
        assert outbox(app) == []

        db.session.commit()

    (message,) = outbox(app)
    assert message["To"] == "ada@example.org"
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Subject"] == "Hello"
    assert message["Date"] and message["Message-ID"]
    assert message.get_content().strip() == "Body with https://example.org/x link."
    assert pending_mail() == []


def test_mail_is_dropped_when_the_transaction_rolls_back(app, db):
    queue_mail("ada@example.org", "Never sent", "A link for an account that does not exist.")
    db.session.add(User(email="ada@example.org", display_name="Ada"))
    db.session.flush()

    db.session.rollback()
    db.session.commit()  # a later transaction does not send it either

    assert outbox(app) == []
    assert db.session.query(User).count() == 0


def test_a_rolled_back_savepoint_drops_only_its_own_mail(app, db):
    queue_mail("a@example.org", "Outer", "kept")
    savepoint = db.session.begin_nested()
    queue_mail("b@example.org", "Inner, rolled back", "dropped")
    savepoint.rollback()
    with db.session.begin_nested():
        queue_mail("c@example.org", "Inner, released", "kept")
    assert outbox(app) == []  # releasing a savepoint is not a commit

    db.session.commit()

    assert sorted(subjects(app)) == ["Inner, released", "Outer"]


def test_mail_of_a_session_closed_without_commit_is_forgotten(app, db):
    queue_mail("ada@example.org", "Forgotten", "body")

    db.session.close()
    db.session.commit()

    assert outbox(app) == []


def test_a_registration_rolled_back_sends_no_confirmation(app, client, db):
    """A view that discards the request's work (a refusal after the service ran) drops the
    confirmation mail with the account."""
    from app.accounts import services

    with app.test_request_context():
        services.register_user("ada@example.org", "Ada", DEFAULT_PASSWORD)
        assert len(pending_mail()) == 1
        db.session.rollback()
        db.session.commit()

    assert outbox(app) == []
    assert services.find_user_by_email("ada@example.org") is None


# --- templates and the outbox folder --------------------------------------------------------


def test_template_mail_has_absolute_links_and_is_logged(app, db, create_user, caplog):
    user = create_user(name="Ada")
    caplog.set_level(logging.INFO, logger="app.mail")
    with app.test_request_context():
        from app.accounts import services

        services.send_confirmation_mail(user)
        db.session.commit()

    (message,) = outbox(app)
    body = message.get_content()
    assert body.startswith("Hello Ada,")
    assert "http://localhost/confirm/" in body
    assert "48 hours" in body
    record = next(r for r in caplog.records if r.name == "app.mail")
    assert record.levelno == logging.INFO
    assert user.email in record.getMessage()
    assert "Confirm your e-mail address" in record.getMessage()
    assert "http://localhost/confirm/" in record.getMessage()


def test_outbox_files_have_distinct_names(app, db):
    with app.test_request_context():
        for n in range(3):
            queue_template_mail(
                "ada@example.org",
                f"Message {n}",
                "reset_password",
                user=User(display_name="Ada"),
                url="http://localhost/x",
                minutes=60,
            )
        db.session.commit()

    files = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(files) == 3
    assert sorted(subjects(app)) == ["Message 0", "Message 1", "Message 2"]


# --- SMTP -----------------------------------------------------------------------------------


def test_mail_goes_through_smtp_when_a_server_is_configured(app, db, smtp_server):
    app.config.update(MAIL_USERNAME="mailer", MAIL_PASSWORD="secret")

    queue_mail("ada@example.org", "By SMTP", "Hello through the wire.")
    db.session.commit()

    assert outbox(app) == []
    (envelope,) = smtp_server.received
    assert "ada@example.org" in envelope["rcpt"][0]
    message = email.message_from_bytes(envelope["data"], policy=email.policy.default)
    assert message["Subject"] == "By SMTP"
    assert message.get_content().strip() == "Hello through the wire."
    assert smtp_server.logins == [("mailer", "secret")]


def test_smtp_without_credentials_does_not_log_in(app, db, smtp_server):
    queue_mail("ada@example.org", "Anonymous relay", "body")
    db.session.commit()

    assert len(smtp_server.received) == 1
    assert smtp_server.logins == []


def test_a_server_without_starttls_is_refused_when_tls_is_required(app, db, smtp_server, caplog):
    app.config["MAIL_USE_TLS"] = True

    assert deliver(queue_mail("ada@example.org", "Secret", "body")) is False

    assert smtp_server.received == []
    assert "could not send mail to ada@example.org" in caplog.text
    db.session.rollback()


def test_a_failed_delivery_is_logged_and_the_request_still_succeeds(
    app, client, db, closed_port, caplog
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_USE_TLS=False)

    response = client.post(
        "/register",
        data={
            "email": "ada@example.org",
            "display_name": "Ada",
            "password": DEFAULT_PASSWORD,
            "confirm": DEFAULT_PASSWORD,
            "stakeholder_type": "academia",
            "terms": "y",
        },
    )

    assert response.status_code == 302
    assert db.session.query(User).filter_by(email="ada@example.org").one()
    assert "could not send mail to ada@example.org" in caplog.text
    assert outbox(app) == []
