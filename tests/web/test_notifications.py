"""Notifications, told as the people who get them see them: who is notified of what, the
e-mail they receive from a real SMTP server on 127.0.0.1 (`smtp_server`), the list and the
bell, the settings, follows, one-click unsubscribing and the daily digest.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, update

from app.annotations import dispositions
from app.annotations import services as annotations
from app.definitions import services as definitions
from app.models import (
    Delivery,
    Follow,
    FollowTarget,
    MailStatus,
    ModerationAction,
    Notification,
    NotificationKind,
    NotificationSetting,
    OutgoingMail,
    Paper,
    PaperVersion,
    Role,
    Section,
    TargetKind,
)
from app.models.base import utcnow
from app.moderation import services as moderation
from app.notifications import settings
from tests.conftest import csrf_token_from

SLUG = "notify-paper"


def source(label: str, change_note: str | None = None) -> str:
    note = f'change_note: "{change_note}"\n' if change_note else ""
    return (
        "---\n"
        'title: "Notify paper"\n'
        "number: 7\n"
        "series: Think Paper\n"
        "authors:\n  - A. Writer\n"
        "date: 2026-01-01\n"
        f'version: "{label}"\n'
        f"{note}"
        "---\n\n"
        "# 1 One {#one}\n\nThe first section says something worth discussing.\n\n"
        f"# 2 Two {{#two}}\n\nThe second section, in version {label}.\n"
    )


@pytest.fixture
def small_paper(import_paper, db):
    import_paper(source("1.0"), slug=SLUG)
    paper = db.session.scalar(select(Paper).where(Paper.slug == SLUG))
    paper.comment_opens = paper.comment_closes = None
    db.session.commit()
    return paper


def _version(db, paper, label="1.0"):
    return db.session.scalar(
        select(PaperVersion).where(PaperVersion.paper_id == paper.id, PaperVersion.label == label)
    )


@pytest.fixture
def start_thread(db, small_paper):
    def start(author, body="A thread.", key="one"):
        version = db.session.scalar(
            select(PaperVersion)
            .where(PaperVersion.paper_id == small_paper.id)
            .order_by(PaperVersion.sequence.desc())
            .limit(1)
        )
        section = db.session.scalar(
            select(Section).where(Section.version_id == version.id, Section.key == key)
        )
        thread = annotations.create_thread(author, small_paper, version, section, body)
        db.session.commit()
        return thread

    return start


@pytest.fixture
def reply_to(db):
    def reply(author, parent, body="A reply."):
        found = annotations.reply(author, parent, body)
        db.session.commit()
        return found

    return reply


def _choose(db, user, kind, delivery):
    settings.set_delivery(user, kind, delivery)
    db.session.commit()


def notifications_of(db, user) -> list[Notification]:
    db.session.rollback()  # what a request left uncommitted is not counted
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def recipients(smtp_server) -> list[str]:
    return [address for rcpts in smtp_server.recipients for address in rcpts]


# --- who is told, and how ------------------------------------------------------------------


def test_a_reply_mails_each_participant_who_asked_for_it_once(
    db, create_user, start_thread, reply_to, smtp_server
):
    names = ("Author", "Early", "Quiet", "Daily", "Replier")
    author, early, quiet, daily, replier = (create_user(name=n) for n in names)
    _choose(db, quiet, NotificationKind.REPLY, Delivery.OFF)
    _choose(db, daily, NotificationKind.REPLY, Delivery.DIGEST)
    thread = start_thread(author)
    first = reply_to(early, thread)
    reply_to(quiet, first)
    reply_to(daily, thread)
    smtp_server.messages.clear()
    smtp_server.recipients.clear()

    reply = reply_to(replier, thread, "I see it differently.")

    assert sorted(recipients(smtp_server)) == sorted([author.email, early.email])
    message = next(m for m in smtp_server.messages if m["To"] == author.email)
    body = message.get_content()
    assert "Replier replied in a thread you take part in" in body
    assert "I see it differently." in body
    assert f"http://localhost/annotations/{thread.id}#a{reply.id}" in body
    link = re.search(r"<(http://localhost/unsubscribe/[^>]+)>", message["List-Unsubscribe"])
    assert link and link.group(1) in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Everyone is told in the list, whatever their e-mail choice; the replier is not.
    for user in (author, early, quiet, daily):
        kinds = [n.kind for n in notifications_of(db, user) if n.target_id == reply.id]
        assert kinds == [NotificationKind.REPLY]
    assert not [n for n in notifications_of(db, replier) if n.target_id == reply.id]
    due = [n for n in notifications_of(db, daily) if n.target_id == reply.id]
    assert due[0].digest_due and due[0].mailed_at is None


def test_replies_made_during_an_smtp_outage_are_mailed_once_when_it_is_back(
    db, create_user, start_thread, reply_to, smtp_server, runner
):
    author, early, replier = (create_user(name=n) for n in ("Author", "Early", "Replier"))
    thread = start_thread(author)
    reply_to(early, thread)
    smtp_server.clear()
    smtp_server.stop()

    reply_to(replier, thread, "Written while the mail server was down.")
    reply_to(replier, thread, "And a second one.")

    db.session.rollback()
    waiting = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.status == MailStatus.PENDING)
    ).all()
    assert sorted(m.recipient for m in waiting) == sorted([author.email, early.email] * 2)
    smtp_server.start()
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()

    assert runner.invoke(args=["mail", "retry"]).output.strip() == "sent 4, still failing 0"
    assert runner.invoke(args=["mail", "retry"]).output.strip() == "sent 0, still failing 0"
    assert sorted(recipients(smtp_server)) == sorted([author.email, early.email] * 2)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(set(ids)) == 4  # each message once, none twice


def test_one_notification_per_event_even_with_several_reasons(
    db, create_user, small_paper, start_thread, reply_to
):
    author, replier = create_user(), create_user()
    settings.follow(author, FollowTarget.PAPER, paper_id=small_paper.id)
    settings.follow(author, FollowTarget.SECTION, paper_id=small_paper.id, section_key="one")
    db.session.commit()
    thread = start_thread(author)
    reply = reply_to(replier, thread)
    told = [n for n in notifications_of(db, author) if n.target_id == reply.id]
    assert [n.kind for n in told] == [NotificationKind.REPLY]


def test_followers_of_a_paper_a_section_and_a_term_hear_of_new_contributions(
    db, create_user, small_paper, start_thread
):
    by_paper, by_section, by_other_section, by_term, writer = (create_user() for _ in range(5))
    settings.follow(by_paper, FollowTarget.PAPER, paper_id=small_paper.id)
    settings.follow(by_section, FollowTarget.SECTION, paper_id=small_paper.id, section_key="one")
    settings.follow(
        by_other_section, FollowTarget.SECTION, paper_id=small_paper.id, section_key="two"
    )
    term, _proposal = definitions.create_term(writer, "Public value")
    settings.follow(by_term, FollowTarget.TERM, term_id=term.id)
    db.session.commit()

    thread = start_thread(writer, key="one")
    proposal = definitions.propose(writer, term, "What the public values.")
    db.session.commit()

    assert [n.kind for n in notifications_of(db, by_paper)] == [NotificationKind.FOLLOWED]
    assert [n.target_id for n in notifications_of(db, by_section)] == [thread.id]
    assert notifications_of(db, by_other_section) == []
    assert [n.target_id for n in notifications_of(db, by_term)] == [proposal.id]
    assert notifications_of(db, writer) == []  # never the actor


def test_the_editors_answer_tells_the_threads_author(db, create_user, start_thread, smtp_server):
    author, editor = create_user(name="Author"), create_user(Role.EDITOR)
    thread = start_thread(author)
    dispositions.answer(editor, thread, "accepted", "We took it up.")
    db.session.commit()
    assert [n.kind for n in notifications_of(db, author)] == [NotificationKind.ANSWER]
    assert recipients(smtp_server) == [author.email]
    assert "The editors answered your thread: accepted." in smtp_server.messages[0].get_content()


def test_a_new_version_tells_who_commented_in_the_digest(
    db, create_user, import_paper, start_thread, smtp_server
):
    commenter, editor = create_user(), create_user(Role.EDITOR)
    start_thread(commenter)
    import_paper(source("2.0", "The second version."), slug=SLUG)
    told = notifications_of(db, commenter)
    assert [n.kind for n in told] == [NotificationKind.NEW_VERSION]
    assert told[0].digest_due  # new versions come in the digest by default
    assert smtp_server.messages == []
    assert notifications_of(db, editor) == []


def test_pending_content_notifies_nobody_until_a_moderator_approves_it(
    db, create_user, start_thread, reply_to, smtp_server
):
    author = create_user(name="Author")
    newcomer = create_user(name="Newcomer", trusted=False)
    moderator = create_user(Role.MODERATOR)
    thread = start_thread(author)
    reply = reply_to(newcomer, thread, "My first words here.")
    assert reply.status.value == "pending"
    assert notifications_of(db, author) == []
    assert smtp_server.messages == []

    moderation.decide(
        moderator,
        moderation.Target(TargetKind.ANNOTATION, reply.id),
        ModerationAction.APPROVE,
        "Fine.",
    )
    db.session.commit()

    assert [n.kind for n in notifications_of(db, author)] == [NotificationKind.REPLY]
    told = notifications_of(db, newcomer)
    assert [(n.kind, n.action, n.actor_id) for n in told] == [
        (NotificationKind.MODERATION, "approve", None)  # the moderator is not named
    ]
    assert sorted(recipients(smtp_server)) == sorted([author.email, newcomer.email])
    assert notifications_of(db, moderator) == []


def test_a_moderators_decision_tells_the_author(db, create_user, start_thread, smtp_server):
    author, moderator = create_user(), create_user(Role.MODERATOR)
    thread = start_thread(author, "Something off topic.")
    moderation.decide(
        moderator,
        moderation.Target(TargetKind.ANNOTATION, thread.id),
        ModerationAction.HIDE,
        "Off topic.",
    )
    db.session.commit()
    told = notifications_of(db, author)
    assert [(n.kind, n.action) for n in told] == [(NotificationKind.MODERATION, "hide")]
    assert "A moderator hid your thread" in smtp_server.messages[0].get_content()


# --- the list, the bell, reading ---------------------------------------------------------


def _soup(response):
    return _soup_text(response.get_data(as_text=True))


def _soup_text(html: str):
    return BeautifulSoup(html, "html.parser")


def test_the_bell_and_the_list_show_what_is_new_and_opening_marks_it_read(
    db, client, logged_in, create_user, start_thread, reply_to
):
    author, replier = create_user(), create_user(name="Replier")
    thread = start_thread(author)
    reply = reply_to(replier, thread, "A reply worth reading.")
    logged_in(author)

    page = client.get("/notifications")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    soup = _soup(page)
    bell = soup.select_one("a.bell")
    # Its accessible name is the hidden words; the number shown is hidden from screen readers.
    assert bell.select_one(".visually-hidden").get_text() == "Notifications, 1 unread"
    assert bell.select_one(".bell__count[aria-hidden=true]").get_text() == "1"
    item = soup.select_one(".notification--unread")
    assert "Replier replied in a thread you take part in." in item.get_text()
    assert "A reply worth reading." in item.get_text()
    link = item.select_one(".notification__headline a")["href"]

    opened = client.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/annotations/{thread.id}#a{reply.id}")
    assert notifications_of(db, author)[0].read_at is not None
    bell = _soup(client.get("/notifications")).select_one("a.bell")
    assert "Notifications, none unread" in bell.get_text()


def test_mark_as_read_one_and_all(db, client, logged_in, create_user, start_thread, reply_to):
    author = create_user()
    thread = start_thread(author)
    for n in range(3):
        reply_to(create_user(), thread, f"Reply {n}.")
    logged_in(author)
    first, *_rest = notifications_of(db, author)
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 303
    assert [n.read_at is not None for n in notifications_of(db, author)] == [True, False, False]
    assert client.post("/notifications/read-all").status_code == 303
    assert all(n.read_at is not None for n in notifications_of(db, author))


def test_anothers_notification_is_not_found(
    db, client, logged_in, create_user, start_thread, reply_to
):
    author, other = create_user(), create_user()
    thread = start_thread(author)
    reply_to(create_user(), thread)
    mine = notifications_of(db, author)[0]
    logged_in(other)
    assert client.get(f"/notifications/{mine.id}").status_code == 404
    assert client.post(f"/notifications/{mine.id}/read").status_code == 404
    assert notifications_of(db, author)[0].read_at is None


def test_the_list_is_paginated_newest_first(db, client, logged_in, create_user, start_thread):
    author = create_user()
    thread = start_thread(author)
    for n in range(23):
        annotations.reply(create_user(name=f"Person {n}"), thread, f"Reply {n}.")
    db.session.commit()
    logged_in(author)
    first = _soup(client.get("/notifications"))
    items = first.select(".notification")
    assert len(items) == 20
    assert "Person 22" in items[0].get_text()
    assert first.select_one("a[rel=next]")["href"].endswith("page=2")
    second = _soup(client.get("/notifications?page=2"))
    assert len(second.select(".notification")) == 3
    assert "Person 0" in second.select(".notification")[-1].get_text()
    assert client.get("/notifications?page=9").status_code == 404
    assert client.get("/notifications?page=x").status_code == 200


def test_no_leak_after_the_content_is_hidden_or_deleted(
    db, client, logged_in, create_user, start_thread, reply_to
):
    author, replier, moderator = (
        create_user(),
        create_user(name="Replier"),
        create_user(Role.MODERATOR),
    )
    thread = start_thread(author)
    hidden = reply_to(replier, thread, "Words that will be hidden.")
    deleted = reply_to(replier, thread, "Words that will be deleted.")
    moderation.decide(
        moderator,
        moderation.Target(TargetKind.ANNOTATION, hidden.id),
        ModerationAction.HIDE,
        "Abuse.",
    )
    annotations.delete(replier, deleted)
    db.session.commit()
    logged_in(author)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Words that will be" not in page
    assert "Replier" not in page
    headlines = [p.get_text(strip=True) for p in _soup_text(page).select(".notification__headline")]
    assert headlines == ["New:This contribution is no longer available."] * 2
    for n in notifications_of(db, author):
        response = client.get(f"/notifications/{n.id}")
        assert response.headers["Location"].endswith("/notifications")


# --- settings and follows ----------------------------------------------------------------


def test_the_account_page_sets_delivery_per_kind(db, client, logged_in, create_user):
    user = create_user()
    logged_in(user)
    soup = _soup(client.get("/account/"))
    section = soup.select_one("#notifications")
    select_reply = section.select_one("select#notify-reply")
    assert section.select_one("label[for=notify-reply]").get_text(strip=True)
    assert select_reply.select_one("option[selected]")["value"] == "immediate"
    assert section.select_one("select#notify-followed option[selected]")["value"] == "digest"
    data = {
        "notify-reply": "digest",
        "notify-answer": "off",
        "notify-moderation": "immediate",
        "notify-new_version": "off",
        "notify-followed": "immediate",
    }
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 302
    db.session.rollback()
    assert settings.settings_of(user)[NotificationKind.ANSWER] is Delivery.OFF
    assert settings.settings_of(user)[NotificationKind.FOLLOWED] is Delivery.IMMEDIATE

    refused = client.post("/account/notifications", data={**data, "notify-reply": "hourly"})
    assert refused.status_code == 422
    error = _soup(refused).select_one("#notify-reply-error")
    assert error is not None and error.get_text(strip=True)
    assert settings.settings_of(user)[NotificationKind.REPLY] is Delivery.DIGEST


def test_follow_buttons_on_the_paper_its_sections_and_a_term(
    db, client, logged_in, create_user, small_paper
):
    user = create_user()
    term, _ = definitions.create_term(create_user(), "Public value")
    db.session.commit()
    logged_in(user)
    page = _soup(client.get(f"/papers/{SLUG}/"))
    buttons = [" ".join(b.get_text().split()) for b in page.select(".follow-button")]
    assert buttons[0].startswith("Follow this paper")
    assert any(b.startswith("Follow the discussion of") for b in buttons[1:])

    assert client.post(f"/papers/{SLUG}/follow", data={"follow": "on"}).status_code == 303
    assert client.post(f"/papers/{SLUG}/sections/one/follow").status_code == 303
    assert client.post(f"/glossary/{term.slug}/follow").status_code == 303
    assert client.post(f"/papers/{SLUG}/sections/nowhere/follow").status_code == 404
    assert client.post("/papers/nothing/follow").status_code == 404
    assert client.post("/glossary/nothing/follow").status_code == 404
    page = _soup(client.get(f"/papers/{SLUG}/"))
    labels = [" ".join(b.get_text().split()) for b in page.select(".follow-button")]
    assert labels[0].startswith("Unfollow this paper")
    assert sum(label.startswith("Unfollow") for label in labels) == 2
    term_page = _soup(client.get(f"/glossary/{term.slug}"))
    assert term_page.select_one(".follow-button").get_text().strip().startswith("Unfollow")

    account = _soup(client.get("/account/"))
    listed = [li.select_one("a").get_text() for li in account.select(".follow-list li")]
    assert listed == [
        "Paper “Think Paper 7: Notify paper”",
        "Section “One” of “Think Paper 7: Notify paper”",
        "Glossary term “Public value”",
    ]
    follow_id = db.session.scalar(select(Follow.id).where(Follow.target_type == FollowTarget.TERM))
    assert client.post(f"/account/follows/{follow_id}/delete").status_code == 303
    assert client.post(f"/papers/{SLUG}/follow", data={"follow": "off"}).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(Follow.id))) == 1


def test_visitors_see_no_follow_buttons_and_no_bell(client, small_paper):
    page = _soup(client.get(f"/papers/{SLUG}/"))
    assert page.select(".follow-button") == []
    assert page.select_one("a.bell") is None
    response = client.post(f"/papers/{SLUG}/follow")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- unsubscribing -----------------------------------------------------------------------


def _unsubscribe_link(message) -> str:
    return re.search(r"<(http://localhost)(/unsubscribe/[^>]+)>", message["List-Unsubscribe"])[2]


def test_the_link_unsubscribes_without_logging_in(
    db, app, create_user, start_thread, reply_to, smtp_server
):
    author = create_user()
    thread = start_thread(author)
    reply_to(create_user(), thread)
    path = _unsubscribe_link(smtp_server.messages[0])
    client = app.test_client()

    shown = client.get(path)
    assert shown.status_code == 200
    assert "Replies in your threads" in shown.get_data(as_text=True)
    assert (
        settings.settings_of(author)[NotificationKind.REPLY] is Delivery.IMMEDIATE
    )  # a GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "Done" in done.get_data(as_text=True)
    db.session.rollback()
    assert settings.settings_of(author)[NotificationKind.REPLY] is Delivery.OFF
    assert settings.settings_of(author)[NotificationKind.ANSWER] is Delivery.IMMEDIATE
    smtp_server.recipients.clear()
    reply_to(create_user(), thread)
    assert author.email not in recipients(smtp_server)


def test_one_click_unsubscribe_from_the_header_as_mail_clients_post_it(
    db, app, create_user, start_thread, reply_to, smtp_server
):
    author = create_user()
    thread = start_thread(author)
    reply_to(create_user(), thread)
    path = _unsubscribe_link(smtp_server.messages[0])
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the route is exempt
    response = app.test_client().post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    db.session.rollback()
    assert settings.settings_of(author)[NotificationKind.REPLY] is Delivery.OFF


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_or_expired_link_is_a_clear_400(app, db, create_user, method):
    user = create_user()
    token = settings.unsubscribe_token(user, NotificationKind.REPLY)
    client = app.test_client()
    tampered = client.open(f"/unsubscribe/{token[:-2]}xx", method=method)
    assert tampered.status_code == 400
    assert "This unsubscribe link is not valid" in tampered.get_data(as_text=True)
    assert client.open("/unsubscribe/nonsense", method=method).status_code == 400
    app.config["UNSUBSCRIBE_MAX_AGE"] = -1
    assert client.open(f"/unsubscribe/{token}", method=method).status_code == 400
    assert settings.settings_of(user)[NotificationKind.REPLY] is Delivery.IMMEDIATE


def test_a_digest_link_turns_every_kind_off(app, db, create_user):
    user = create_user()
    token = settings.unsubscribe_token(user, None)
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    db.session.rollback()
    assert set(settings.settings_of(user).values()) == {Delivery.OFF}


# --- digests -----------------------------------------------------------------------------


def test_a_digest_lists_the_items_once(
    db, runner, create_user, small_paper, start_thread, reply_to, smtp_server
):
    reader = create_user(name="Reader")
    quiet = create_user(name="Quiet")
    for user in (reader, quiet):
        settings.follow(user, FollowTarget.PAPER, paper_id=small_paper.id)
    db.session.commit()
    writer = create_user(name="Writer")
    thread = start_thread(writer, "First thread.")
    start_thread(writer, "Second thread.", key="two")
    reply_to(writer, thread, "A reply to myself.")
    _choose(db, quiet, NotificationKind.FOLLOWED, Delivery.OFF)  # after the notifications
    assert smtp_server.messages == []

    result = runner.invoke(args=["notifications", "send-digests"])
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent with 3 notification(s)" in result.output
    assert recipients(smtp_server) == [reader.email]
    message = smtp_server.messages[0]
    assert "3 new notifications" in message["Subject"]
    body = message.get_content()
    assert "New contributions on what you follow" in body
    for words in ("First thread.", "Second thread.", "A reply to myself."):
        assert words in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(n.mailed_at is not None for n in notifications_of(db, reader))
    assert not any(n.digest_due for n in notifications_of(db, quiet))

    again = runner.invoke(args=["notifications", "send-digests"])
    assert "0 digest(s) sent with 0 notification(s)" in again.output
    assert len(smtp_server.messages) == 1


def test_a_digest_leaves_out_what_was_hidden_since(
    db, runner, create_user, small_paper, start_thread, smtp_server
):
    reader, writer, moderator = create_user(), create_user(), create_user(Role.MODERATOR)
    settings.follow(reader, FollowTarget.PAPER, paper_id=small_paper.id)
    db.session.commit()
    kept = start_thread(writer, "Kept words.")
    gone = start_thread(writer, "Hidden words.")
    moderation.decide(
        moderator,
        moderation.Target(TargetKind.ANNOTATION, gone.id),
        ModerationAction.HIDE,
        "Abuse.",
    )
    db.session.commit()
    smtp_server.messages.clear()
    result = runner.invoke(args=["notifications", "send-digests"])
    assert "1 digest(s) sent with 1 notification(s)" in result.output
    body = smtp_server.messages[0].get_content()
    assert "Kept words." in body and "Hidden words." not in body
    assert kept.id


# --- personal data -------------------------------------------------------------------------


def test_export_has_and_deletion_removes_notifications_settings_and_follows(
    db, client, logged_in, create_user, small_paper, start_thread, reply_to
):
    from app.accounts import personal_data

    user = create_user()
    thread = start_thread(user)
    reply_to(create_user(), thread)
    _choose(db, user, NotificationKind.FOLLOWED, Delivery.OFF)
    settings.follow(user, FollowTarget.PAPER, paper_id=small_paper.id)
    db.session.commit()
    data = personal_data.collect(user)
    assert len(data["notifications"]) == 1
    assert data["notification_settings"][0]["delivery"] == "off"
    assert data["follows"][0]["target_key"] == f"paper:{small_paper.id}"

    personal_data.erase(user)
    db.session.commit()
    for model in (Notification, NotificationSetting, Follow):
        assert (
            db.session.scalar(
                select(func.count()).select_from(model).where(model.user_id == user.id)
            )
            == 0
        )


def test_csrf_protects_the_other_forms(app, db, create_user, start_thread, reply_to):
    author = create_user()
    thread = start_thread(author)
    reply_to(create_user(), thread)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    from tests.conftest import login

    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": author.email,
            "password": "a long test passphrase 42",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    assert client.post("/notifications/read-all").status_code == 400
    token = csrf_token_from(client.get("/notifications").get_data(as_text=True))
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 303
    assert login  # the helper is the one the other tests use


def test_the_list_costs_the_same_queries_with_two_or_twenty_items(
    db, client, logged_in, create_user, small_paper, start_thread, reply_to, count_queries
):
    author = create_user()
    settings.follow(author, FollowTarget.PAPER, paper_id=small_paper.id)
    db.session.commit()
    thread = start_thread(author)
    reply_to(create_user(), thread)
    start_thread(create_user(), key="two")
    logged_in(author)
    client.get("/notifications")  # warm up
    with count_queries() as two:
        assert client.get("/notifications").status_code == 200
    for n in range(9):
        reply_to(create_user(), thread, f"Reply {n}.")
        start_thread(create_user(), f"Thread {n}.", key="two")
    with count_queries() as twenty:
        assert client.get("/notifications").status_code == 200
    assert two.count == twenty.count
