"""Accounts through the browser's eyes: register, confirm, log in and out, reset, profile."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.accounts import services
from app.accounts.tokens import CONFIRM_SALT, RESET_SALT, password_fingerprint
from app.models import ApiToken, Role, StakeholderType, User
from app.models.base import utcnow
from tests.conftest import DEFAULT_PASSWORD, login

NEW_PASSWORD = "another fine passphrase 7"
WRONG_MESSAGE = "E-mail address or password is incorrect."


# --- helpers -------------------------------------------------------------------------------


def outbox(app) -> list[email.message.EmailMessage]:
    """The messages written to the outbox folder, oldest first."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def link_in(message) -> str:
    """The path of the one link in a message."""
    urls = re.findall(r"https?://\S+", message.get_content())
    assert len(urls) == 1, urls
    assert urls[0].startswith("http://localhost/")
    return urlsplit(urls[0]).path


def text_of(response) -> str:
    return response.get_data(as_text=True)


def same_page(first, second, *addresses: str) -> bool:
    """Whether two responses are the same page, but for the addresses typed in.

    CSRF tokens carry the second they were made in, so they are blanked too.
    """

    def blank(response) -> str:
        html = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text_of(response))
        for address in addresses:
            html = html.replace(address, "ADDRESS")
        return html

    return blank(first) == blank(second)


def registration(**overrides) -> dict:
    data = {
        "email": "ada@example.org",
        "display_name": "Ada Lovelace",
        "password": DEFAULT_PASSWORD,
        "confirm": DEFAULT_PASSWORD,
        "affiliation": "Analytical Engines Ltd",
        "stakeholder_type": "business",
        "country": "GB",
        "terms": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def old_token(app, salt: str, payload: dict, age: int) -> str:
    """A token signed as the site signs them, but `age` seconds ago."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - age

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt, signer=Backdated)
    return serializer.dumps(payload)


def user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def is_logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


# --- registration --------------------------------------------------------------------------


def test_the_registration_form_is_labelled_and_links_to_the_terms(client):
    html = text_of(client.get("/register"))

    for label in (
        "E-mail address",
        "Display name",
        "Password",
        "Repeat the password",
        "Affiliation",
        "Stakeholder type",
        "Country",
        "I accept the terms of participation",
    ):
        assert f">{label}</label>" in html
    for autocomplete in ("email", "name", "new-password", "organization", "country"):
        assert f'autocomplete="{autocomplete}"' in html
    assert 'href="/terms"' in html
    assert '<option value="academia">Academia and research</option>' in html
    assert '<option value="DE">Germany</option>' in html
    assert 'value="EU"' not in html  # a union, not a country
    assert html.count("<h1>") == 1


def test_a_new_participant_registers_confirms_the_address_and_logs_in(app, client, db):
    response = client.post("/register", data=registration())

    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-inbox"
    user = services.find_user_by_email("ADA@example.org")
    assert user.display_name == "Ada Lovelace"
    assert user.affiliation == "Analytical Engines Ltd"
    assert user.stakeholder_type is StakeholderType.BUSINESS
    assert user.country == "GB"
    assert user.role is Role.PARTICIPANT
    assert user.terms_accepted_at is not None
    assert user.email_confirmed_at is None
    assert user.password_hash.startswith("scrypt:")
    assert not user.trusted

    page = text_of(client.get("/register/check-inbox"))
    assert "Check your inbox" in page
    assert 'value="ada@example.org"' in page  # the resend form is ready

    (message,) = outbox(app)
    assert message["To"] == "ada@example.org"
    assert "Confirm your e-mail address" in message["Subject"]
    confirm = client.get(link_in(message))
    assert confirm.status_code == 302
    assert confirm.headers["Location"] == "/login"
    assert "your e-mail address is confirmed" in text_of(client.get("/login"))
    db.session.refresh(user)
    assert user.email_confirmed_at is not None

    response = client.post(
        "/login", data={"email": "ada@example.org", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "short 1", "confirm": "short 1"}, "Use at least 10 characters."),
        ({"password": "password1234", "confirm": "password1234"}, "among the most common"),
        ({"confirm": "something else entirely"}, "The two passwords differ."),
        ({"email": "ada at example"}, "Enter an e-mail address such as"),
        ({"email": ""}, "Enter your e-mail address."),
        ({"display_name": "  "}, "Enter a display name."),
        ({"terms": None}, "You need to accept the terms of participation."),
        ({"stakeholder_type": ""}, "Choose the kind of organisation"),
        ({"stakeholder_type": "lobbyist"}, "Not a valid choice"),
        ({"country": "EU"}, "Not a valid choice"),
    ],
)
def test_registration_refuses_bad_input_and_stores_nothing(app, client, db, overrides, message):
    response = client.post("/register", data=registration(**overrides))

    assert response.status_code == 200
    html = text_of(response)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "Please correct the marked fields." in html
    assert user_count(db) == 0
    assert outbox(app) == []


def test_registering_an_address_twice_mails_its_owner_instead(app, client, create_user, db):
    owner = create_user(email="ada@example.org")

    response = client.post("/register", data=registration(email="Ada@Example.org"))

    # The same answer as for a new address (tests/web/test_registration_abuse.py compares them).
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-inbox"
    assert "already exists" not in text_of(client.get("/register/check-inbox"))
    assert user_count(db) == 1
    (message,) = outbox(app)
    assert message["To"] == owner.email
    assert "tried to register" in message["Subject"]


def test_a_password_that_is_the_name_is_refused(client, db):
    data = registration(display_name="correct horse battery", password="Correct Horse Battery")
    response = client.post("/register", data={**data, "confirm": data["password"]})

    assert "Do not use your e-mail address or name as your password." in text_of(response)
    assert user_count(db) == 0


def test_an_unconfirmed_account_cannot_log_in_but_can_ask_for_a_new_link(app, client, db):
    client.post("/register", data=registration())

    response = login(client, services.find_user_by_email("ada@example.org"))

    assert response.status_code == 200
    html = text_of(response)
    assert "Please confirm your e-mail address first" in html
    assert WRONG_MESSAGE not in html
    assert "Send a new confirmation link" in html
    assert not is_logged_in(client)

    response = client.post("/confirm/resend", data={"email": "ada@example.org"})
    assert response.status_code == 302
    assert "we have sent it a new confirmation link" in text_of(client.get(response.location))
    first, second = outbox(app)
    assert link_in(first) != link_in(second) or first["Message-ID"] != second["Message-ID"]
    assert client.get(link_in(second)).status_code == 302
    assert login(client, services.find_user_by_email("ada@example.org")).status_code == 302


def test_asking_for_a_confirmation_link_reveals_nothing(app, client, user):
    known = client.post("/confirm/resend", data={"email": user.email}, follow_redirects=True)
    unknown = client.post(
        "/confirm/resend", data={"email": "nobody@example.org"}, follow_redirects=True
    )

    assert known.status_code == unknown.status_code == 200
    assert "If an unconfirmed account uses" in text_of(known)
    assert "If an unconfirmed account uses" in text_of(unknown)
    assert outbox(app) == []  # the known account is confirmed already


def test_a_broken_confirmation_link_explains_and_offers_a_new_one(client):
    response = client.get("/confirm/not-a-token")

    assert response.status_code == 400
    html = text_of(response)
    assert "This link does not work" in html
    assert 'action="/confirm/resend"' in html


def test_an_expired_confirmation_link_says_so(app, client, create_user):
    user = create_user(confirmed=False)
    token = old_token(app, CONFIRM_SALT, {"user": user.id, "email": user.email}, 3 * 86400)

    response = client.get(f"/confirm/{token}")

    assert response.status_code == 400
    assert "This link has expired" in text_of(response)
    assert user.email_confirmed_at is None


def test_confirming_twice_is_harmless(app, client):
    client.post("/register", data=registration())
    path = link_in(outbox(app)[0])

    client.get(path)
    again = client.get(path, follow_redirects=True)

    assert "already confirmed" in text_of(again)


# --- logging in and out ---------------------------------------------------------------------


def test_logging_in_notes_the_time_and_goes_to_the_papers(client, user, db):
    response = login(client, user)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert is_logged_in(client)


def test_the_log_in_page_has_the_right_autocomplete_and_a_reset_link(client):
    html = text_of(client.get("/login"))

    assert 'autocomplete="email"' in html
    assert 'autocomplete="current-password"' in html
    assert 'href="/reset-password"' in html


def test_unknown_address_and_wrong_password_get_the_same_answer(client, user):
    wrong_password = client.post("/login", data={"email": user.email, "password": "not it at all"})
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": "not it at all"}
    )

    assert wrong_password.status_code == unknown.status_code == 200
    assert WRONG_MESSAGE in text_of(wrong_password)
    assert WRONG_MESSAGE in text_of(unknown)
    assert same_page(wrong_password, unknown, user.email, "nobody@example.org")
    assert not is_logged_in(client)


def test_the_address_is_not_case_sensitive(client, create_user):
    user = create_user(email="grace@example.org")

    response = client.post(
        "/login", data={"email": " Grace@EXAMPLE.org", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert is_logged_in(client)
    assert user.last_login_at is not None


def test_a_suspended_account_is_refused(client, create_user, db):
    user = create_user()
    user.suspended_at = utcnow()
    db.session.commit()

    response = login(client, user)

    assert response.status_code == 200
    assert "This account is suspended" in text_of(response)
    assert not is_logged_in(client)


def test_a_temporary_suspension_says_until_when(client, create_user, db):
    user = create_user()
    user.suspended_at = utcnow()
    user.suspended_until = datetime(2031, 3, 14, 12, tzinfo=UTC)
    db.session.commit()

    response = login(client, user)

    assert re.search(
        r"This account is suspended until (14 March|March 14,) 2031\.", text_of(response)
    )


def test_suspension_ends_an_open_session(client, user, logged_in, db):
    logged_in(user)
    user.suspended_at = utcnow()
    db.session.commit()

    assert not is_logged_in(client)


def test_a_local_next_page_is_honoured(client, user):
    response = client.post(
        "/login?next=/papers/think-paper-1/%3Fa%3D1",
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )

    assert response.headers["Location"] == "/papers/think-paper-1/?a=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\r\nLocation: https://evil.example",
        "/\t/evil.example",
        "evil.example",
        "",
    ],
)
def test_next_never_leads_off_the_site(client, user, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_log_in_form_keeps_next_in_its_action(client):
    html = text_of(client.get("/login?next=/account/"))

    assert 'action="/login?next=/account/"' in html


def test_a_protected_page_sends_to_log_in_and_back(client, user):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount%2F"

    response = client.post(
        response.headers["Location"], data={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/account/"


def test_remember_me_sets_a_lasting_cookie(client, user):
    response = client.post(
        "/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"}
    )

    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_logging_out_asks_on_get_and_happens_on_post(client, user, logged_in):
    logged_in(user)

    page = client.get("/logout")
    assert page.status_code == 200
    assert "Do you want to log out" in text_of(page)
    assert is_logged_in(client)

    response = client.post("/logout")
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_a_logged_in_visitor_is_sent_on_from_the_log_in_page(client, user, logged_in):
    logged_in(user)

    assert client.get("/login?next=/account/").headers["Location"] == "/account/"


# --- password reset -------------------------------------------------------------------------


def test_a_forgotten_password_is_reset_through_a_single_use_link(app, client, user, db):
    page = client.post("/reset-password", data={"email": user.email.upper()}, buffered=True)
    assert page.status_code == 200
    assert "If an account exists for" in text_of(page)

    (message,) = outbox(app)
    assert message["To"] == user.email
    path = link_in(message)
    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in text_of(form)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    refused = client.post(path, data={"password": "password1234", "confirm": "password1234"})
    assert "among the most common" in text_of(refused)

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"

    assert login(client, user).status_code == 200  # the old password is gone
    assert login(client, user, NEW_PASSWORD).status_code == 302
    client.post("/logout")

    used = client.get(path)
    assert used.status_code == 400
    assert "This link does not work" in text_of(used)
    again = client.post(
        path, data={"password": "yet another passphrase", "confirm": "yet another passphrase"}
    )
    assert again.status_code == 400
    assert login(client, user, NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, user):
    known = client.post("/reset-password", data={"email": user.email}, buffered=True)
    unknown = client.post("/reset-password", data={"email": "nobody@example.org"}, buffered=True)

    assert known.status_code == unknown.status_code == 200
    assert same_page(known, unknown, user.email, "nobody@example.org")
    assert len(outbox(app)) == 1


def test_a_reset_ends_the_sessions_of_the_account(app, client, user, logged_in):
    other_device = app.test_client()
    login(other_device, user)
    assert is_logged_in(other_device)

    client.post("/reset-password", data={"email": user.email}, buffered=True)
    path = link_in(outbox(app)[0])
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert not is_logged_in(other_device)


def test_a_reset_link_also_confirms_the_address(app, client, create_user, db):
    user = create_user(confirmed=False)
    client.post("/reset-password", data={"email": user.email}, buffered=True)
    client.post(link_in(outbox(app)[0]), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    db.session.refresh(user)
    assert user.email_confirmed_at is not None
    assert login(client, user, NEW_PASSWORD).status_code == 302


def test_a_suspended_account_gets_no_reset_link(app, client, create_user, db):
    user = create_user()
    user.suspended_at = utcnow()
    db.session.commit()

    response = client.post("/reset-password", data={"email": user.email}, buffered=True)

    assert "If an account exists for" in text_of(response)
    assert outbox(app) == []


def test_an_expired_reset_link_says_so(app, client, user):
    token = old_token(app, RESET_SALT, {"user": user.id, "pw": password_fingerprint(user)}, 7200)

    response = client.get(f"/reset-password/{token}")

    assert response.status_code == 400
    assert "This link has expired" in text_of(response)


# --- the account page -----------------------------------------------------------------------


def test_the_account_page_shows_the_profile_and_the_role_read_only(client, create_user, logged_in):
    user = create_user(Role.MODERATOR, affiliation="City of Ghent", country="BE")
    logged_in(user)

    html = text_of(client.get("/account/"))

    assert user.email in html
    assert "<dd>Moderator</dd>" in html
    assert 'value="City of Ghent"' in html
    assert '<option selected value="BE">Belgium</option>' in html
    assert 'name="role"' not in html
    assert html.count("<h1>") == 1
    assert 'href="/account/export.json"' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids must be unique on the page"


def test_a_participant_edits_the_profile(client, user, logged_in, db):
    logged_in(user)

    response = client.post(
        "/account/",
        data={
            "display_name": "  Dr Ada  ",
            "affiliation": "Royal Society",
            "stakeholder_type": "academia",
            "country": "",
        },
    )

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Dr Ada"
    assert user.affiliation == "Royal Society"
    assert user.stakeholder_type is StakeholderType.ACADEMIA
    assert user.country is None
    assert "Your profile has been saved." in text_of(client.get("/account/"))


def test_a_profile_needs_a_name(client, user, logged_in, db):
    logged_in(user)
    name = user.display_name

    response = client.post("/account/", data={"display_name": "", "stakeholder_type": "other"})

    assert response.status_code == 200
    assert "Enter a display name." in text_of(response)
    db.session.refresh(user)
    assert user.display_name == name


def test_changing_the_password_ends_the_other_sessions_only(app, client, user, logged_in, db):
    logged_in(user)
    other_device = app.test_client()
    login(other_device, user)

    response = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(other_device)
    assert login(other_device, user).status_code == 200
    assert login(other_device, user, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"current_password": "not my password"}, "This is not your current password."),
        ({"new_password": "short", "confirm_password": "short"}, "Use at least 10 characters."),
        ({"confirm_password": "does not match"}, "The two passwords differ."),
    ],
)
def test_a_password_change_is_refused_when(client, user, logged_in, db, data, message):
    logged_in(user)
    before = user.password_hash
    form = {
        "current_password": DEFAULT_PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
        **data,
    }

    response = client.post("/account/password", data=form)

    assert response.status_code == 200
    assert message in text_of(response)
    db.session.refresh(user)
    assert user.password_hash == before
    assert is_logged_in(client)


def test_log_out_everywhere_ends_every_session(app, client, user, logged_in):
    logged_in(user)
    other_device = app.test_client()
    login(other_device, user)

    response = client.post("/account/logout-everywhere")

    assert response.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert not is_logged_in(other_device)
    assert login(client, user).status_code == 302  # the password still works


def test_api_tokens_are_shown_once_listed_used_and_revoked(app, client, user, logged_in, db):
    logged_in(user)

    response = client.post("/account/tokens", data={"label": "nightly export"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token">(tpc_[^<]+)</code>', text_of(response)).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == services.token_digest(token)
    assert token not in row.token_hash

    page = text_of(client.get("/account/"))
    assert "nightly export" in page
    assert token not in page
    assert "never" in page

    api = app.test_client()
    db.session.commit()  # end the test's own transaction, as a new request starts without one
    export = api.get("/account/export.json", headers={"Authorization": f"Bearer {token}"})
    assert export.status_code == 200
    assert export.json["account"]["email"] == user.email
    db.session.refresh(row)
    assert row.last_used_at is not None

    revoke = client.post(f"/account/tokens/{row.id}/revoke")
    assert revoke.status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None
    assert "nightly export" not in text_of(client.get("/account/"))
    refused = api.get("/account/export.json", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 302  # to the log-in page: the token names no one


def test_a_token_needs_a_label(client, user, logged_in, db):
    logged_in(user)

    response = client.post("/account/tokens", data={"label": ""})

    assert "Say what the token is for." in text_of(response)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_nobody_revokes_the_token_of_someone_else(client, create_user, logged_in, db):
    owner, other = create_user(), create_user()
    services.issue_api_token(owner, "mine")
    db.session.commit()
    row = db.session.scalar(select(ApiToken))
    logged_in(other)

    response = client.post(f"/account/tokens/{row.id}/revoke")

    assert response.status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ", "tpc_x"])
def test_a_bad_authorization_header_authenticates_no_one(client, header):
    assert client.get("/account/export.json", headers={"Authorization": header}).status_code == 302


def test_the_data_export_is_a_download_of_the_account(client, create_user, logged_in, db):
    user = create_user(affiliation="Ministry", country="FR")
    services.issue_api_token(user, "notebook")
    db.session.commit()
    logged_in(user)

    response = client.get("/account/export.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="think-paper-commons-account-{user.id}.json"'
    )
    data = json.loads(response.get_data())
    assert data["account"]["email"] == user.email
    assert data["account"]["affiliation"] == "Ministry"
    assert data["account"]["country"] == "FR"
    assert data["account"]["role"] == "participant"
    assert data["api_tokens"][0]["label"] == "notebook"
    assert "token_hash" not in response.get_data(as_text=True)
    assert "password" not in response.get_data(as_text=True)


def test_deleting_the_account_anonymises_it(app, client, create_user, logged_in, db):
    user = create_user(email="ada@example.org", name="Ada", affiliation="Engines", country="GB")
    services.issue_api_token(user, "script")
    db.session.commit()
    logged_in(user)
    other_device = app.test_client()
    login(other_device, user)

    refused = client.post("/account/delete", data={"delete_password": "not my password"})
    assert "This is not your current password." in text_of(refused)
    assert user.anonymised_at is None

    response = client.post("/account/delete", data={"delete_password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.anonymised_at is not None
    assert user.email == f"deleted-{user.id}@invalid"
    assert user.display_name == "Former participant"
    assert (user.affiliation, user.country, user.password_hash) == ("", None, None)
    assert all(token.revoked_at is not None for token in user.tokens)
    assert not is_logged_in(client)
    assert not is_logged_in(other_device)
    assert (
        client.post(
            "/login", data={"email": "ada@example.org", "password": DEFAULT_PASSWORD}
        ).status_code
        == 200
    )
    # The address is free again.
    assert client.post("/register", data=registration()).status_code == 302
