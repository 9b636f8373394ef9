"""The admins' outbox page: who may see it, what it shows (never a message's body),
its status filter and pages, and "retry now"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.core.mail import queue_mail
from app.models import MailStatus, OutgoingMail, Role
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from

SECRET_LINK = "http://localhost/reset-password/one-time-secret-token"


@pytest.fixture
def failed_mail(db, smtp_server):
    """A message the server refused eight times: failed for good."""
    smtp_server.stop()
    queue_mail("ada@example.org", "Reset your password", f"Follow {SECRET_LINK} soon.")
    db.session.commit()
    db.session.rollback()
    db.session.execute(update(OutgoingMail).values(status=MailStatus.FAILED, attempts=8))
    db.session.commit()
    return db.session.scalar(select(OutgoingMail))


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.PARTICIPANT, 403), (Role.MODERATOR, 403), (Role.EDITOR, 403),
     (Role.ADMIN, 200)],
)  # fmt: skip
def test_only_admins_see_the_outbox(create_user, viewer_client, role, status):
    client = viewer_client(create_user(role) if role else None)

    response = client.get("/admin/mail")

    assert response.status_code == status
    if role is None:
        assert "/login" in response.headers["Location"]


def test_the_outbox_lists_delivery_but_never_what_a_message_says(
    create_user, viewer_client, failed_mail
):
    client = viewer_client(create_user(Role.ADMIN))

    page = client.get("/admin/mail").get_data(as_text=True)

    assert "ada@example.org" in page
    assert "Reset your password" in page
    assert "ConnectionRefusedError" in page
    assert "Retry now" in page
    assert "one-time-secret-token" not in page
    assert "Follow" not in page
    assert "no-store" in client.get("/admin/mail").headers["Cache-Control"]


def test_the_moderation_area_links_to_the_outbox_for_admins_only(create_user, viewer_client):
    admin = viewer_client(create_user(Role.ADMIN)).get("/moderation/").get_data(as_text=True)
    moderator = viewer_client(create_user(Role.MODERATOR)).get("/moderation/")

    assert 'href="/admin/mail"' in admin
    assert 'href="/admin/mail"' not in moderator.get_data(as_text=True)


def test_the_filter_and_the_pages(db, create_user, viewer_client):
    for n in range(52):
        queue_mail(f"reader{n}@example.org", f"Message {n}", "body")
    db.session.commit()  # written to the outbox folder: sent
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.subject == "Message 0")
        .values(status=MailStatus.PENDING, next_attempt_at=utcnow() + timedelta(hours=2))
    )
    db.session.commit()
    client = viewer_client(create_user(Role.ADMIN))

    first = client.get("/admin/mail").get_data(as_text=True)
    assert "52 messages match." in first
    assert 'rel="next"' in first and "Message 51" in first and "Message 0<" not in first
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert "Message 0<" in second and 'rel="prev"' in second

    pending = client.get("/admin/mail?status=pending").get_data(as_text=True)
    assert "1 message matches." in pending and "Message 0<" in pending
    assert "Message 1<" not in pending

    refused = client.get("/admin/mail?status=lost")
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert client.get("/admin/mail?page=-3").status_code == 200


def test_retry_now_hands_a_failed_message_over_again(
    db, create_user, viewer_client, failed_mail, smtp_server
):
    smtp_server.start()
    client = viewer_client(create_user(Role.ADMIN))

    response = client.post(f"/admin/mail/{failed_mail.id}/retry", data={"next": "/admin/mail"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/mail"
    (message,) = smtp_server.messages
    assert message["Message-ID"] == failed_mail.message_id
    db.session.rollback()
    row = db.session.get(OutgoingMail, failed_mail.id)
    assert row.status is MailStatus.SENT and row.attempts == 9
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "was handed over again" in page

    # Sent: nothing to retry, and nothing goes out twice.
    again = client.post(f"/admin/mail/{failed_mail.id}/retry")
    assert again.status_code == 303
    assert "has been sent; there is nothing to retry" in client.get("/admin/mail").get_data(
        as_text=True
    )
    assert len(smtp_server.messages) == 1


def test_retry_now_of_a_message_that_is_not_there_is_404(create_user, viewer_client):
    client = viewer_client(create_user(Role.ADMIN))

    assert client.post("/admin/mail/999/retry").status_code == 404


def test_retry_now_needs_its_csrf_token(create_user, csrf_client, failed_mail, smtp_server):
    smtp_server.start()
    admin = create_user(Role.ADMIN)
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    logged_in = csrf_client.post(
        "/login", data={"email": admin.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 302

    response = csrf_client.post(f"/admin/mail/{failed_mail.id}/retry", data={})

    assert response.status_code == 400  # refused by the site's CSRF check
    assert smtp_server.messages == []


def test_the_page_costs_the_same_queries_for_few_messages_and_many(
    db, create_user, viewer_client, count_queries
):
    client = viewer_client(create_user(Role.ADMIN))
    counts = []
    for total in (3, 60):
        while db.session.query(OutgoingMail).count() < total:
            queue_mail("reader@example.org", "Message", "body")
            db.session.commit()
        with count_queries() as counter:
            assert client.get("/admin/mail").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
