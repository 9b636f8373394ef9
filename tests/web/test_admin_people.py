"""The admins' people page: who may use it, the search, filter and pages, and the role
change — a reason required, in force on the account's next request, in the moderation
log, never the last active admin's, one's own only when confirmed, and CSRF-protected."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, insert, select

from app.models import ModerationAction, ModerationLog, Role, TargetKind, User
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from


def change(client, user, role, reason="Joins the team.", **extra):
    return client.post(
        f"/admin/people/{user.id}/role", data={"role": role, "reason": reason, **extra}
    )


def role_of(db, user) -> Role:
    db.session.rollback()
    return db.session.scalar(select(User.role).where(User.id == user.id))


def log_rows(db) -> list[ModerationLog]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(ModerationLog).where(ModerationLog.action == ModerationAction.CHANGE_ROLE)
        )
    )


@pytest.fixture
def admin(create_user):
    return create_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def admin_client(viewer_client, admin):
    return viewer_client(admin)


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.PARTICIPANT, 403), (Role.MODERATOR, 403), (Role.EDITOR, 403),
     (Role.ADMIN, 200)],
)  # fmt: skip
@pytest.mark.parametrize("path", ["/admin/people", "/admin/people/{id}"])
def test_only_admins_see_the_people(create_user, viewer_client, role, status, path):
    someone = create_user(name="Someone")
    client = viewer_client(create_user(role) if role else None)

    response = client.get(path.format(id=someone.id))

    assert response.status_code == status
    if role is None:
        assert "/login" in response.headers["Location"]
    else:
        assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR, Role.EDITOR])
def test_only_admins_change_roles(db, create_user, viewer_client, role):
    someone = create_user(name="Someone")
    client = viewer_client(create_user(role))

    assert change(client, someone, "admin").status_code == 403
    assert role_of(db, someone) is Role.PARTICIPANT
    assert log_rows(db) == []


def test_anonymous_visitors_are_asked_to_log_in(db, client, create_user):
    someone = create_user()

    response = change(client, someone, "admin")

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert role_of(db, someone) is Role.PARTICIPANT


def test_the_moderation_area_links_to_the_people_for_admins_only(create_user, viewer_client):
    admin = viewer_client(create_user(Role.ADMIN)).get("/moderation/").get_data(as_text=True)
    moderator = viewer_client(create_user(Role.MODERATOR)).get("/moderation/")

    assert 'href="/admin/people"' in admin
    assert 'href="/admin/people"' not in moderator.get_data(as_text=True)


def test_search_by_name_or_address_filter_by_role_and_pages(db, create_user, admin_client):
    create_user(name="Grace Hopper", email="grace@navy.example")
    create_user(Role.EDITOR, name="Edith Editor", email="edith@example.org")
    create_user(name="Per_cent 100%", email="odd@example.org")
    for n in range(52):
        create_user(name=f"Reader {n:02d}", email=f"reader{n}@example.org")

    page = admin_client.get("/admin/people").get_data(as_text=True)
    assert "56 accounts match." in page  # the admin too
    assert "Administrator: <strong>1</strong>" in page
    assert "Series editor: <strong>1</strong>" in page
    assert 'rel="next"' in page and "Ada Admin" in page and "Reader 49" not in page
    second = admin_client.get("/admin/people?page=2").get_data(as_text=True)
    assert "Reader 49" in second and 'rel="prev"' in second

    by_name = admin_client.get("/admin/people?q=hopper").get_data(as_text=True)
    assert "1 account matches." in by_name and "grace@navy.example" in by_name
    by_address = admin_client.get("/admin/people?q=NAVY.example").get_data(as_text=True)
    assert "1 account matches." in by_address and "Grace Hopper" in by_address
    wildcard = admin_client.get("/admin/people?q=_").get_data(as_text=True)
    assert "1 account matches." in wildcard and "Per_cent 100%" in wildcard
    percent = admin_client.get("/admin/people?q=%25").get_data(as_text=True)
    assert "1 account matches." in percent

    editors = admin_client.get("/admin/people?role=editor").get_data(as_text=True)
    assert "1 account matches." in editors and "Edith Editor" in editors
    none = admin_client.get("/admin/people?role=editor&q=grace").get_data(as_text=True)
    assert "0 accounts match." in none and "No account matches." in none
    # The pages keep the search and the filter.
    readers = admin_client.get("/admin/people?q=reader").get_data(as_text=True)
    assert "page=2&amp;q=reader" in readers or "q=reader&amp;page=2" in readers

    refused = admin_client.get("/admin/people?role=king")
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert admin_client.get("/admin/people?q=" + "x" * 101).status_code == 400
    assert admin_client.get("/admin/people?page=-3").status_code == 200


def test_deleted_accounts_are_neither_listed_nor_changed(db, create_user, admin_client):
    gone = create_user(name="Gone Person")
    gone.anonymised_at = utcnow()
    db.session.commit()

    assert "Gone Person" not in admin_client.get("/admin/people").get_data(as_text=True)
    assert admin_client.get(f"/admin/people/{gone.id}").status_code == 404
    assert change(admin_client, gone, "editor").status_code == 404
    assert admin_client.get("/admin/people/999999").status_code == 404


def test_a_role_change_takes_effect_on_the_accounts_next_request(
    db, create_user, viewer_client, admin, admin_client
):
    """Flask-Login loads the account from the database on every request: the sessions
    it has open go on, with the new rights."""
    grace = create_user(name="Grace")
    hers = viewer_client(grace)
    assert hers.get("/editor/").status_code == 403

    response = change(admin_client, grace, "editor", reason="Edits the series from now on.")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/people/{grace.id}"
    assert role_of(db, grace) is Role.EDITOR
    assert hers.get("/editor/").status_code == 200  # the same session, the new rights
    page = admin_client.get(f"/admin/people/{grace.id}").get_data(as_text=True)
    assert "Grace&#39;s role is now: Series editor." in page
    assert "Edits the series from now on." in page  # in the earlier changes

    assert change(admin_client, grace, "participant", reason="Back to reading.").status_code == 303
    assert hers.get("/editor/").status_code == 403


def test_the_change_is_in_the_moderation_log_and_told_to_the_account(
    db, create_user, viewer_client, admin, admin_client
):
    grace = create_user(name="Grace")

    change(admin_client, grace, "moderator", reason="Helps with the queue.")

    (row,) = log_rows(db)
    assert (row.moderator_id, row.subject_id) == (admin.id, grace.id)
    assert (row.target_kind, row.target_id) == (TargetKind.USER, grace.id)
    assert (row.old_state, row.new_state) == ("participant", "moderator")
    assert row.reason == "Helps with the queue."
    log = admin_client.get("/moderation/log?action=change_role").get_data(as_text=True)
    assert "1 decision matches." in log
    assert "Role changed" in log and "Helps with the queue." in log
    assert "participant" in log and "moderator" in log
    # The account's own page lists the decisions about it.
    profile = viewer_client(grace).get("/account/").get_data(as_text=True)
    assert "Helps with the queue." in profile and "Role changed" in profile


def test_a_reason_is_required(db, create_user, admin_client):
    grace = create_user(name="Grace")

    for reason in ("", "   "):
        response = change(admin_client, grace, "admin", reason=reason)
        assert response.status_code == 422
        assert "Give a reason for the change." in response.get_data(as_text=True)
    too_long = change(admin_client, grace, "admin", reason="x" * 2001)
    assert too_long.status_code == 422
    assert role_of(db, grace) is Role.PARTICIPANT
    assert log_rows(db) == []


def test_a_bad_or_unchanged_role_is_refused_on_its_field(db, create_user, admin_client):
    grace = create_user(name="Grace")

    bad = change(admin_client, grace, "king")
    assert bad.status_code == 422
    assert "Choose participant, moderator, series editor or administrator." in bad.get_data(
        as_text=True
    )
    same = change(admin_client, grace, "participant")
    assert same.status_code == 422
    assert "Grace has this role already: Participant." in same.get_data(as_text=True)
    assert log_rows(db) == []


def test_the_last_active_admin_cannot_be_removed(db, create_user, viewer_client, admin):
    other = create_user(Role.ADMIN, name="Other Admin")
    others_client = viewer_client(other)

    # Two admins: one may step the other down.
    assert change(others_client, admin, "editor", reason="Steps back.").status_code == 303
    assert role_of(db, admin) is Role.EDITOR

    # The only admin left: refused, even by their own hand with confirmation.
    refused = change(others_client, other, "participant", reason="Leaving.", confirm="y")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "Other Admin is the last active administrator" in text
    assert role_of(db, other) is Role.ADMIN

    # A suspended admin cannot manage the site: they do not count.
    suspended = create_user(Role.ADMIN, name="Sleeping Admin")
    suspended.suspended_at = utcnow()
    db.session.commit()
    assert change(others_client, other, "participant", reason="x", confirm="y").status_code == 409
    assert [(r.old_state, r.new_state) for r in log_rows(db)] == [("admin", "editor")]


def test_changing_ones_own_role_asks_for_confirmation(db, create_user, admin, admin_client):
    create_user(Role.ADMIN, name="Other Admin")

    page = admin_client.get(f"/admin/people/{admin.id}").get_data(as_text=True)
    assert "I am changing my own role" in page
    unconfirmed = change(admin_client, admin, "editor", reason="Stepping down.")
    assert unconfirmed.status_code == 422
    assert "tick the box to confirm it" in unconfirmed.get_data(as_text=True)
    assert role_of(db, admin) is Role.ADMIN

    confirmed = change(admin_client, admin, "editor", reason="Stepping down.", confirm="y")

    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == "/account/"
    assert role_of(db, admin) is Role.EDITOR
    assert admin_client.get("/admin/people").status_code == 403


def test_the_confirmation_box_is_only_on_ones_own_page(create_user, admin_client):
    grace = create_user(name="Grace")

    page = admin_client.get(f"/admin/people/{grace.id}").get_data(as_text=True)

    assert "I am changing my own role" not in page
    assert "Reason for the change" in page


def test_a_role_change_needs_its_csrf_token(db, create_user, csrf_client):
    admin = create_user(Role.ADMIN)
    grace = create_user(name="Grace")
    token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    logged_in = csrf_client.post(
        "/login", data={"email": admin.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 302

    refused = change(csrf_client, grace, "admin")
    assert refused.status_code == 400  # refused by the site's CSRF check
    assert role_of(db, grace) is Role.PARTICIPANT

    token = csrf_token_from(csrf_client.get(f"/admin/people/{grace.id}").get_data(as_text=True))
    allowed = change(csrf_client, grace, "admin", csrf_token=token)
    assert allowed.status_code == 303
    assert role_of(db, grace) is Role.ADMIN


def _add_accounts(db, n: int) -> None:
    """`n` more accounts at once (the factory hashes nothing but commits each)."""
    start = db.session.scalar(select(func.count(User.id))) or 0
    now = utcnow()
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bulk{start + i}@example.org",
                "stored_name": f"Bulk {start + i}",
                "role": list(Role)[i % 4],
                "created_at": now,
                "email_confirmed_at": now,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


def test_the_list_costs_the_same_queries_for_few_accounts_and_many(db, admin_client, count_queries):
    counts = []
    for more in (9, 991):
        _add_accounts(db, more)
        for path in ("/admin/people", "/admin/people?q=bulk&role=editor&page=2"):
            with count_queries() as counter:
                assert admin_client.get(path).status_code == 200
            counts.append(counter.count)
    assert db.session.scalar(select(func.count(User.id))) == 1001
    assert counts[:2] == counts[2:], counts


def test_two_admins_stepping_each_other_down_at_once_leave_one_admin(
    db, create_user, viewer_client, admin
):
    """The admins' rows are locked before the count (PostgreSQL) and write transactions
    run one at a time (SQLite): one change wins; the other is refused, as the last
    admin's (409) or, when the loser's own request began after the winner's commit, as no
    longer an admin's (403)."""
    other = create_user(Role.ADMIN, name="Other Admin")
    clients = {admin.id: viewer_client(admin), other.id: viewer_client(other)}
    targets = {admin.id: other, other.id: admin}
    barrier = threading.Barrier(2)
    statuses: dict[int, int] = {}

    def step_down(actor_id: int) -> None:
        barrier.wait()
        statuses[actor_id] = change(clients[actor_id], targets[actor_id], "editor").status_code

    threads = [threading.Thread(target=step_down, args=(i,)) for i in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses.values()) in ([303, 403], [303, 409])
    db.session.rollback()
    roles = db.session.scalars(select(User.role).where(User.id.in_(list(clients)))).all()
    assert sorted(roles) == sorted([Role.ADMIN, Role.EDITOR])
    assert len(log_rows(db)) == 1
