"""An account from start to finish: register, confirm by e-mail, log in, log out."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EMAIL = "ada.example@example.org"
NAME = "Ada Example"
PASSWORD = "correct horse battery staple 7"
URL = re.compile(r"https?://[^\s<>\"']+")


def newest_mail(outbox: Path, timeout: float = 5.0):
    """The newest .eml file of the outbox, waiting a little for it to be written."""
    deadline = time.monotonic() + timeout
    while True:
        mails = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        if mails:
            return message_from_bytes(mails[-1].read_bytes(), policy=policy.default)
        if time.monotonic() > deadline:
            pytest.fail(f"no .eml file in {outbox}")
        time.sleep(0.1)


def confirmation_path(message) -> str:
    """Path and query of the confirmation link in the mail (the host is the live server)."""
    body = message.get_body(preferencelist=("plain", "html"))
    assert body is not None, "the confirmation mail has no text"
    urls = URL.findall(body.get_content())
    assert urls, "no link in the confirmation mail"
    link = next((u for u in urls if "confirm" in u.lower()), urls[0])
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def choose(field, text: str) -> None:
    """Fill a text field, or pick an option of a <select>, by its visible text."""
    if field.evaluate("element => element.tagName") == "SELECT":
        field.select_option(label=text)
    else:
        field.fill(text)


def test_register_confirm_log_in_and_out(page, app):
    page.goto("/register")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Display name").fill(NAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Affiliation").fill("University of Examples")
    choose(page.get_by_label("Stakeholder type"), "Academia and research")
    choose(page.get_by_label("Country"), "Belgium")
    page.get_by_label(re.compile(r"terms of participation", re.IGNORECASE)).check()
    page.get_by_role("button", name=re.compile(r"register|create", re.IGNORECASE)).click()
    expect(page).not_to_have_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile(r"inbox|e-?mail", re.IGNORECASE)
    )

    mail = newest_mail(Path(app.config["MAIL_OUTBOX_DIR"]))
    assert mail["To"] and EMAIL in mail["To"]
    page.goto(confirmation_path(mail))
    # The flash messages of templates/base.html are a role=status region.
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"confirmed", re.IGNORECASE))

    page.goto("/login")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()

    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name=NAME)).to_be_visible()

    header.get_by_role("button", name="Log out").click()
    expect(header.get_by_role("link", name="Log in")).to_be_visible()
    expect(header.get_by_role("link", name=NAME)).to_have_count(0)
