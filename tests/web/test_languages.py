"""The interface's language: chosen from the browser, a visitor's cookie or the account, in
that order of strength; switched from every page; kept per account and followed by mail;
dates and numbers written the reader's way; the scripts' strings handed to the page."""

from __future__ import annotations

# ruff: noqa: F811  (the notification fixtures are imported to be used as fixtures)
import json
import re
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.core.i18n import LANGUAGE_COOKIE, gettext
from app.models import User
from tests.conftest import login
from tests.web.test_notifications import reply_to, small_paper, start_thread  # noqa: F401

LANG = re.compile(r'<html lang="([^"]+)"')


def page_language(response) -> str:
    match = LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


@pytest.mark.parametrize(
    ("asked", "given"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.5", "fr"),
        ("de-AT", "de"),
        ("en-US,en;q=0.8", "en-GB"),
        ("it-IT,it;q=0.9", "en-GB"),  # not offered: the default
        ("pt;q=0.9,de;q=0.4", "de"),
        ("", "en-GB"),
    ],
)
def test_the_browsers_language_is_taken_when_offered(client, asked, given):
    response = client.get("/login", headers={"Accept-Language": asked} if asked else {})
    assert response.status_code == 200
    assert page_language(response) == given


def test_the_login_page_is_in_french_for_a_french_browser(client):
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    with force_locale("fr"):
        assert gettext("Log in") in html and gettext("Log in") != "Log in"
        assert gettext("Password") in html


def test_the_switcher_keeps_a_visitors_choice_in_a_cookie_over_the_browsers(client):
    response = client.post("/language", data={"language": "de", "next": "/glossary/?q=x"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/glossary/?q=x"
    cookie = response.headers["Set-Cookie"]
    assert f"{LANGUAGE_COOKIE}=de" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert page_language(client.get("/login", headers={"Accept-Language": "fr"})) == "de"


def test_every_page_offers_the_switcher_with_each_language_in_itself(client):
    html = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    form = html[html.index('class="language-switcher"') :]
    form = form[: form.index("</form>")]
    assert 'lang="fr">Français</button>' in form
    assert 'lang="en-GB">English</button>' in form
    assert 'value="de" lang="de" aria-current="true"' in form
    assert 'name="next" value="/login"' in form


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:1"])
def test_the_switcher_never_sends_elsewhere(client, target):
    response = client.post("/language", data={"language": "fr", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("language", ["", "xx", "en", "fr_FR", "<script>", "de" * 50])
def test_an_unknown_language_is_refused_with_a_message(client, language):
    response = client.post("/language", data={"language": language})
    assert response.status_code == 400
    assert "Choose one of the site" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or LANGUAGE_COOKIE not in response.headers.get(
        "Set-Cookie", ""
    )


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_another_site_cannot_change_the_language(client, headers):
    response = client.post("/language", data={"language": "fr"}, headers=headers)
    assert response.status_code == 403
    assert LANGUAGE_COOKIE not in response.headers.get("Set-Cookie", "")


def test_the_sites_own_pages_may_change_it(client):
    response = client.post(
        "/language",
        data={"language": "fr"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 303


def test_an_account_keeps_its_choice_on_every_device_over_cookie_and_browser(app, db, create_user):
    user = create_user()
    db.session.commit()
    first = app.test_client()
    assert login(first, user).status_code in (302, 303)
    assert first.post("/language", data={"language": "fr"}).status_code == 303
    db.session.rollback()
    assert db.session.get(User, user.id).locale == "fr"

    other = app.test_client()  # another device: no cookie, a German browser
    other.set_cookie(LANGUAGE_COOKIE, "de")
    assert login(other, user).status_code in (302, 303)
    assert page_language(other.get("/account/", headers={"Accept-Language": "de"})) == "fr"


def test_the_profile_offers_the_language_and_saves_it(app, db, create_user, logged_in):
    user = create_user(name="Ada")
    db.session.commit()
    client = logged_in(user)
    page = client.get("/account/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    # Never chosen: the list shows the language the account is reading in.
    assert re.search(r'<option lang="de" selected value="de">Deutsch</option>', page) or (
        'value="de" selected' in page or 'selected value="de"' in page
    )
    response = client.post(
        "/account/",
        data={"display_name": "Ada", "stakeholder_type": "academia", "locale": "fr"},
    )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(User, user.id).locale == "fr"
    refused = client.post(
        "/account/",
        data={"display_name": "Ada", "stakeholder_type": "academia", "locale": "klingon"},
    )
    refusal = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert re.search(
        r'<select[^>]*aria-invalid="true"[^>]*name="locale"|<select[^>]*name="locale"[^>]*aria-invalid="true"|<select[^>]*id="locale"[^>]*aria-invalid',
        refusal,
    )
    db.session.rollback()
    assert db.session.get(User, user.id).locale == "fr"


def test_registration_keeps_the_language_it_was_made_in_and_mails_in_it(app, db, smtp_server):
    client = app.test_client()
    response = client.post(
        "/register",
        data={
            "email": "neu@example.org",
            "display_name": "Neu",
            "password": "a long enough passphrase 42",
            "confirm": "a long enough passphrase 42",
            "stakeholder_type": "academia",
            "terms": "y",
        },
        headers={"Accept-Language": "de-DE"},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "neu@example.org"))
    assert user.locale == "de"
    message = next(m for m in smtp_server.messages if m["To"] == "neu@example.org")
    with force_locale("de"):
        assert message["Subject"] == gettext("Confirm your e-mail address for Think Paper Commons")
        assert gettext("Hello %(name)s,", name="Neu") in message.get_content()
    assert message["Subject"] != "Confirm your e-mail address for Think Paper Commons"


def test_notifications_are_mailed_in_each_recipients_language(
    app,
    db,
    create_user,
    start_thread,
    reply_to,
    smtp_server,
):
    french = create_user(name="Amélie", locale="fr")
    german = create_user(name="Jonas", locale="de")
    neutral = create_user(name="Replier")
    thread = start_thread(french)
    reply_to(german, thread)
    smtp_server.messages.clear()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):  # the sender's
        reply_to(neutral, thread, "Another view.")
    by_address = {m["To"]: m for m in smtp_server.messages}
    for user, locale in ((french, "fr"), (german, "de")):
        body = by_address[user.email].get_content()
        with force_locale(locale):
            assert gettext("Hello %(name)s,", name=user.display_name) in body
            assert gettext("Read it:") in body and gettext("Read it:") != "Read it:"


def test_dates_and_numbers_are_written_the_readers_way(app):
    from app.annotations.views import format_datetime

    moment = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        written = {}
        for locale in ("en_GB", "fr", "de"):
            with force_locale(locale):
                from app.core.i18n import ngettext

                written[locale] = (
                    format_datetime(moment),
                    format_datetime(moment, short=True),
                    ngettext("%(num)d thread", "%(num)d threads", 12345),
                )
    assert written["en_GB"] == ("5 December 2026, 14:05", "5 Dec 2026", "12,345 threads")
    assert written["fr"][0] == "5 décembre 2026, 14:05"
    assert written["fr"][2].startswith("12\u202f345")
    assert written["de"][0] == "5. Dezember 2026, 14:05"
    assert written["de"][1] == "05.12.2026"
    assert written["de"][2].startswith("12.345")


def test_the_page_carries_the_scripts_strings_in_its_language(client):
    english = client.get("/login").get_data(as_text=True)
    assert 'id="ui-strings"' not in english  # the scripts' own words
    french = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="ui-strings">(.*?)</script>', french)
    assert found
    strings = json.loads(found.group(1))
    assert strings["Annotate"] == "Annoter"
    # One and more: French's third form (round millions) is not the scripts' plural.
    assert strings["%(num)s word"] == ["%(num)s mot", "%(num)s mots"]


def test_countries_are_named_in_each_readers_language_one_after_another(client):
    names = {"en-GB": "New Zealand", "fr": "Nouvelle-Zélande", "de": "Neuseeland"}
    for asked, name in [*names.items(), ("fr", names["fr"])]:
        page = client.get("/register", headers={"Accept-Language": asked}).get_data(as_text=True)
        assert f'value="NZ">{name}</option>' in page, asked
