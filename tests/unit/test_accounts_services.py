"""Account rules without HTTP: passwords, log-in outcomes, links, tokens, deletion, commands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services, tokens
from app.accounts.services import AccountError, LoginOutcome, WrongPassword
from app.core.mail import pending_mail
from app.models import ApiToken, Role, StakeholderType, User
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD

NEW_PASSWORD = "another fine passphrase 7"


@pytest.fixture
def request_ctx(app):
    """A request, as services have in real use: mailed links are absolute URLs, and
    messages for the user are translated for the request's language."""
    with app.test_request_context():
        yield


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short 1", "Use at least 10 characters."),
        ("password1234", "This password is among the most common ones; choose another."),
        ("QWERTYUIOP", "This password is among the most common ones; choose another."),
        ("x" * 257, "Use at most 256 characters."),
        ("ada.lovelace", "Do not use your e-mail address or name as your password."),
        ("Ada Lovelace", "Do not use your e-mail address or name as your password."),
        ("ada.lovelace@example.org", "Do not use your e-mail address or name as your password."),
        (DEFAULT_PASSWORD, None),
    ],
)
def test_password_rules(request_ctx, password, problem):
    found = services.check_password_rules(
        password, email="ada.lovelace@example.org", name="Ada Lovelace"
    )

    assert found == problem


def test_passwords_are_hashed_with_scrypt(app):
    hashed = services.hash_password(DEFAULT_PASSWORD)

    assert hashed.startswith("scrypt:")
    assert DEFAULT_PASSWORD not in hashed


# --- log-in outcomes ------------------------------------------------------------------------


def test_the_right_password_of_a_confirmed_account_logs_in(create_user):
    user = create_user(email="ada@example.org")

    assert services.authenticate(" ADA@example.org ", DEFAULT_PASSWORD) == (LoginOutcome.OK, user)


def test_wrong_password_and_unknown_address_look_the_same(create_user):
    user = create_user()

    assert services.authenticate(user.email, "wrong password!") == (LoginOutcome.WRONG, None)
    assert services.authenticate("nobody@example.org", "whatever") == (LoginOutcome.WRONG, None)


def test_an_account_without_password_cannot_log_in(create_user):
    user = create_user(password=None)

    assert services.authenticate(user.email, "") == (LoginOutcome.WRONG, None)


def test_unconfirmed_and_suspended_accounts_are_told_apart_only_with_the_right_password(
    create_user, db
):
    unconfirmed = create_user(confirmed=False)
    suspended = create_user()
    suspended.suspended_at = utcnow()
    db.session.commit()

    assert services.authenticate(unconfirmed.email, DEFAULT_PASSWORD)[0] is LoginOutcome.UNCONFIRMED
    assert services.authenticate(suspended.email, DEFAULT_PASSWORD)[0] is LoginOutcome.SUSPENDED
    assert services.authenticate(unconfirmed.email, "wrong password!")[0] is LoginOutcome.WRONG
    assert services.authenticate(suspended.email, "wrong password!")[0] is LoginOutcome.WRONG


def test_ending_all_sessions_changes_the_id_kept_in_sessions(user, db):
    from app.accounts import sessions

    sessions.start_session(user, user_agent="", client_address="")
    old_id = user.get_id()
    assert services.load_user_from_session(old_id) is user

    services.end_all_sessions(user)
    db.session.commit()

    assert services.load_user_from_session(old_id) is None
    # the session has ended with the version: a new log-in opens a new one
    assert services.load_user_from_session(user.get_id()) is None
    sessions.start_session(user, user_agent="", client_address="")
    assert services.load_user_from_session(user.get_id()) is user


@pytest.mark.parametrize(
    "session_id",
    ["", "1", "x:1", "1:x", "999:1", ":", "1:1", "1:1:", "1:x:key", "²:1:key", "1:1:key:more"],
)
def test_a_malformed_session_id_names_no_one(db, session_id):
    assert services.load_user_from_session(session_id) is None


# --- registration and confirmation ----------------------------------------------------------


def test_registration_opens_an_unconfirmed_account_and_queues_one_mail(db, request_ctx):
    user = services.register_user(
        "Ada@Example.org",
        " Ada ",
        DEFAULT_PASSWORD,
        affiliation=" Engines ",
        stakeholder_type="academia",
        country="GB",
    )

    assert user.email == "ada@example.org"
    assert user.display_name == "Ada"
    assert user.affiliation == "Engines"
    assert user.stakeholder_type is StakeholderType.ACADEMIA
    assert user.terms_accepted_at is not None
    assert not user.email_confirmed
    (message,) = pending_mail()
    assert message["To"] == "ada@example.org"
    assert "http://localhost/confirm/" in message.get_content()
    db.session.rollback()


def test_a_confirmation_link_confirms_its_account_once(create_user, db):
    user = create_user(confirmed=False)
    token = tokens.confirmation_token(user)

    assert tokens.user_for_confirmation_token(token) is user
    assert services.confirm_email(user) is True
    assert services.confirm_email(user) is False
    assert user.email_confirmed


def test_a_confirmation_link_dies_with_a_change_of_address(create_user, db):
    user = create_user(confirmed=False)
    token = tokens.confirmation_token(user)
    user.email = "new@example.org"
    db.session.commit()

    with pytest.raises(tokens.TokenError) as caught:
        tokens.user_for_confirmation_token(token)
    assert not caught.value.expired


def test_a_tampered_link_is_refused(create_user):
    token = tokens.confirmation_token(create_user(confirmed=False))

    with pytest.raises(tokens.TokenError):
        tokens.user_for_confirmation_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_one_kind_of_link_cannot_be_used_as_the_other(create_user):
    user = create_user()

    with pytest.raises(tokens.TokenError):
        tokens.user_for_reset_token(tokens.confirmation_token(user))
    with pytest.raises(tokens.TokenError):
        tokens.user_for_confirmation_token(tokens.reset_token(user))


def test_a_new_confirmation_link_goes_only_to_unconfirmed_active_accounts(
    create_user, db, request_ctx
):
    confirmed = create_user()
    unconfirmed = create_user(confirmed=False)
    suspended = create_user(confirmed=False)
    suspended.suspended_at = utcnow()

    for address in (confirmed.email, unconfirmed.email, suspended.email, "nobody@example.org"):
        services.resend_confirmation(address)

    assert [m["To"] for m in pending_mail()] == [unconfirmed.email]
    db.session.rollback()


# --- password reset and change --------------------------------------------------------------


def test_a_reset_link_works_until_the_password_changes(user, db, request_ctx):
    services.request_password_reset(user.email.upper())
    (message,) = pending_mail()
    token = message.get_content().split("/reset-password/")[1].split()[0]
    db.session.commit()

    assert tokens.user_for_reset_token(token) is user
    version = user.session_version
    services.reset_password(user, NEW_PASSWORD)
    db.session.commit()

    assert user.session_version == version + 1
    assert services.verify_password(user, NEW_PASSWORD)
    with pytest.raises(tokens.TokenError):
        tokens.user_for_reset_token(token)


def test_no_reset_mail_for_unknown_or_suspended_accounts(create_user, db, request_ctx):
    suspended = create_user()
    suspended.suspended_at = utcnow()

    services.request_password_reset("nobody@example.org")
    services.request_password_reset(suspended.email)

    assert pending_mail() == []
    db.session.rollback()


def test_a_reset_link_of_a_suspended_account_is_refused(user, db):
    token = tokens.reset_token(user)
    user.suspended_at = utcnow()
    db.session.commit()

    with pytest.raises(tokens.TokenError):
        tokens.user_for_reset_token(token)


def test_changing_the_password_needs_the_current_one_and_the_rules(user, db, request_ctx):
    version = user.session_version

    with pytest.raises(WrongPassword):
        services.change_password(user, "not my password", NEW_PASSWORD)
    with pytest.raises(AccountError, match="most common"):
        services.change_password(user, DEFAULT_PASSWORD, "password1234")
    assert user.session_version == version

    services.change_password(user, DEFAULT_PASSWORD, NEW_PASSWORD)

    assert services.verify_password(user, NEW_PASSWORD)
    assert not services.verify_password(user, DEFAULT_PASSWORD)
    assert user.session_version == version + 1


# --- profile --------------------------------------------------------------------------------


def test_a_profile_update_trims_and_checks(user, db, request_ctx):
    services.update_profile(
        user,
        display_name=" Ada ",
        affiliation=" Ministry ",
        stakeholder_type="public_administration",
    )

    assert (user.display_name, user.affiliation) == ("Ada", "Ministry")
    assert user.stakeholder_type is StakeholderType.PUBLIC_ADMINISTRATION
    assert user.country is None
    with pytest.raises(AccountError):
        services.update_profile(user, display_name="   ")


# --- API tokens -----------------------------------------------------------------------------


def test_an_api_token_is_stored_as_a_hash_and_names_its_account(user, db):
    token = services.issue_api_token(user, "  script  ")
    db.session.commit()

    row = db.session.scalar(select(ApiToken))
    assert row.label == "script"
    assert row.token_hash == services.token_digest(token) != token
    assert services.user_for_api_token(token) is user
    assert row.last_used_at is not None
    assert services.active_api_tokens(user) == [row]


def test_revoked_tokens_and_tokens_of_suspended_accounts_name_no_one(create_user, db):
    alice, bob = create_user(), create_user()
    revoked = services.issue_api_token(alice, "a")
    suspended = services.issue_api_token(bob, "b")
    db.session.commit()
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == alice.id))

    assert services.revoke_api_token(bob, row.id) is None  # not bob's to revoke
    assert services.revoke_api_token(alice, row.id) is row
    assert services.revoke_api_token(alice, row.id) is None  # already revoked
    bob.suspended_at = utcnow()
    db.session.commit()

    assert services.user_for_api_token(revoked) is None
    assert services.user_for_api_token(suspended) is None
    assert services.user_for_api_token("tpc_made-up") is None
    assert services.active_api_tokens(alice) == []


# --- export and deletion --------------------------------------------------------------------


def test_the_export_holds_the_account_and_what_other_areas_register(create_user, db):
    user = create_user(affiliation="Engines", country="GB")
    services.issue_api_token(user, "notebook")
    services.register_export_section("greetings", lambda u: [f"hello {u.display_name}"])
    try:
        data = services.export_account_data(user)
    finally:
        services.EXPORT_SECTIONS.pop("greetings")

    assert data["account"]["email"] == user.email
    assert data["account"]["country"] == "GB"
    assert data["account"]["created_at"].endswith("+00:00")
    assert data["api_tokens"][0]["label"] == "notebook"
    assert "token_hash" not in data["api_tokens"][0]
    assert data["greetings"] == [f"hello {user.display_name}"]


def test_deleting_an_account_needs_the_password_and_leaves_nothing_personal(
    create_user, db, request_ctx
):
    user = create_user(email="ada@example.org", name="Ada", affiliation="Engines", country="GB")
    token = services.issue_api_token(user, "script")
    db.session.commit()
    version = user.session_version

    with pytest.raises(WrongPassword):
        services.delete_account(user, "not my password")
    assert user.anonymised_at is None

    services.delete_account(user, DEFAULT_PASSWORD)
    db.session.commit()

    assert user.anonymised_at is not None
    assert user.email == f"deleted-{user.id}@invalid"
    assert user.display_name == "Former participant"
    assert (user.affiliation, user.country, user.password_hash) == ("", None, None)
    assert user.session_version == version + 1
    assert not user.is_active
    assert services.user_for_api_token(token) is None
    assert services.find_user_by_email("ada@example.org") is None
    assert services.authenticate(user.email, DEFAULT_PASSWORD) == (LoginOutcome.WRONG, None)


# --- the `flask users` commands -------------------------------------------------------------


def test_users_create_makes_a_confirmed_trusted_account(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Editor@Example.org",
            "--name",
            "Eve Editor",
            "--role",
            "editor",
            "--password-stdin",
        ],
        input=DEFAULT_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    user = services.find_user_by_email("editor@example.org")
    assert user.role is Role.EDITOR
    assert user.display_name == "Eve Editor"
    assert user.email_confirmed and user.trusted
    assert services.authenticate("editor@example.org", DEFAULT_PASSWORD)[0] is LoginOutcome.OK


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "overlord"], DEFAULT_PASSWORD, "overlord"),
        (["--password-stdin"], "password1234", "password refused"),
        ([], DEFAULT_PASSWORD, None),  # the duplicate: see below
    ],
)
def test_users_create_refuses_bad_roles_weak_passwords_and_duplicates(
    runner, create_user, db, args, stdin, message
):
    create_user(email="taken@example.org")
    email = "taken@example.org" if message is None else "new@example.org"

    result = runner.invoke(
        args=["users", "create", email, "--name", "Someone", *args], input=stdin + "\n"
    )

    assert result.exit_code != 0
    assert (message or "already exists") in result.output
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_users_token_prints_the_token_alone_and_keeps_its_hash(runner, user, db):
    result = runner.invoke(args=["users", "token", user.email, "--label", "ci"])

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert token.startswith("tpc_")
    row = db.session.scalar(select(ApiToken))
    assert (row.label, row.token_hash) == ("ci", services.token_digest(token))
    assert services.user_for_api_token(token) == user


def test_users_token_refuses_unknown_accounts(runner, db):
    result = runner.invoke(args=["users", "token", "nobody@example.org"])

    assert result.exit_code != 0
    assert "no account" in result.output
    assert db.session.scalar(select(ApiToken)) is None


# --- lengths and shapes, checked by the services for every caller ---------------------------

LONG_DOMAIN = "@" + "d" * 60 + ".example.org"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "a" * (255 - len(LONG_DOMAIN)) + LONG_DOMAIN}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "two words@example.org"}, "email"),
        ({"email": "deleted-1@invalid"}, "email"),  # where deleted accounts' addresses go
        ({"display_name": "n" * 81}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "Bell\x07"}, "display_name"),
        ({"affiliation": "a" * 201}, "affiliation"),
        ({"country": "GBR"}, "country"),
        ({"country": "1X"}, "country"),
        ({"stakeholder_type": "overlord"}, "stakeholder_type"),
    ],
)
def test_creating_an_account_refuses_what_its_columns_cannot_hold(db, values, field):
    given = {"email": "new@example.org", "display_name": "New", **values}
    email, name = given.pop("email"), given.pop("display_name")

    with pytest.raises(AccountError) as refused:
        services.create_user(email, name, **given)

    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(User)) is None


def test_values_as_long_as_their_columns_are_stored_whole(db):
    email = "a" * (254 - len(LONG_DOMAIN)) + LONG_DOMAIN
    user = services.create_user(
        email, "n" * 80, affiliation="a" * 200, country="is", stakeholder_type="academia"
    )
    db.session.commit()
    db.session.expire_all()

    assert (len(user.email), len(user.display_name), len(user.affiliation)) == (254, 80, 200)
    assert (user.country, user.stakeholder_type) == ("IS", StakeholderType.ACADEMIA)


def test_the_profile_and_token_labels_are_checked_too(user, db):
    with pytest.raises(AccountError) as refused:
        services.update_profile(user, display_name="n" * 81)
    assert refused.value.field == "display_name" and "80" in refused.value.message
    with pytest.raises(AccountError) as refused:
        services.update_profile(user, display_name="Fine", affiliation="a" * 201)
    assert refused.value.field == "affiliation"
    with pytest.raises(AccountError) as refused:
        services.issue_api_token(user, "l" * 81)
    assert refused.value.field == "label"
    db.session.rollback()
    db.session.expire_all()
    assert user.display_name != "Fine" and user.tokens == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "long@example.org", "--name", "n" * 200], "--name: Use at most 80"),
        (["users", "create", "l" * 250 + "@example.org", "--name", "Long"], "too long"),
    ],
)
def test_users_create_says_what_is_too_long_without_a_traceback(runner, db, args, message):
    result = runner.invoke(args=args)

    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert db.session.scalar(select(User)) is None


def test_users_token_refuses_a_label_too_long(runner, user, db):
    result = runner.invoke(args=["users", "token", user.email, "--label", "l" * 200])

    assert result.exit_code == 1
    assert "--label: Use at most 80" in result.output and "tpc_" not in result.output
    assert db.session.scalar(select(ApiToken)) is None
