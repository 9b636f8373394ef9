"""Failed log-ins slow guessing down without locking the account's owner out.

Failures count per account and client address, per client address, and per account from
every address together (`app.accounts.throttling`). Behind reverse proxies,
`TRUSTED_PROXIES` makes the limits count the client's address, not the proxy's.
"""

from __future__ import annotations

import pytest
from flask import request

from tests.conftest import DEFAULT_PASSWORD

WRONG = "not the password at all"
ACCOUNT_WIDE = "too many failed attempts to log in to this account from many places"


def attempt(client, email: str, password: str = WRONG, ip: str = "192.0.2.1", headers=None):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers or {},
    )


def allowance(app, setting: str) -> int:
    return int(app.config[setting].split()[0])


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(app, client, user):
    for _ in range(allowance(app, "LOGIN_RATE_LIMIT")):
        assert attempt(client, user.email, ip="203.0.113.66").status_code == 200
    assert attempt(client, user.email, ip="203.0.113.66").status_code == 429
    assert attempt(client, user.email, DEFAULT_PASSWORD, ip="203.0.113.66").status_code == 429

    owner = app.test_client()
    response = attempt(owner, user.email, DEFAULT_PASSWORD, ip="198.51.100.7")

    assert response.status_code == 302
    assert owner.get("/account/").status_code == 200


def test_the_account_wide_allowance_is_slower(app):
    assert app.config["LOGIN_ACCOUNT_RATE_LIMIT"] == "30 per hour"
    assert app.config["LOGIN_ADDRESS_RATE_LIMIT"] == "20 per minute"


def test_each_address_has_its_own_count_for_an_account(app, client, user):
    per_pair = allowance(app, "LOGIN_RATE_LIMIT")
    for ip in ("203.0.113.1", "203.0.113.2"):
        for _ in range(per_pair):
            assert attempt(client, user.email, ip=ip).status_code == 200
        assert attempt(client, user.email, ip=ip).status_code == 429


class TestManyAddressesAgainstOneAccount:
    """The account-wide count (30 an hour by default; 6 here, to keep the test quick)."""

    @pytest.fixture
    def app_config(self, app_config):
        class QuickerAccountLimit(app_config):
            LOGIN_ACCOUNT_RATE_LIMIT = "6 per hour"

        return QuickerAccountLimit

    def test_many_addresses_against_one_account_are_slowed_down(
        self, app, client, user, create_user
    ):
        account_wide = allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT")
        # The owner's own browser, where the account has logged in before.
        owner = app.test_client()
        assert attempt(owner, user.email, DEFAULT_PASSWORD, ip="198.51.100.7").status_code == 302
        cookie = owner.get_cookie("known_device", path="/login")
        assert cookie is not None and user.email not in cookie.value
        for n in range(account_wide):
            assert attempt(client, user.email, ip=f"10.{n // 250}.{n % 250}.1").status_code == 200

        refused = attempt(client, user.email, ip="10.99.0.1")
        assert refused.status_code == 429
        assert ACCOUNT_WIDE in refused.get_data(as_text=True)
        # A new browser waits, even with the right password ...
        assert (
            attempt(app.test_client(), user.email, DEFAULT_PASSWORD, ip="10.99.0.2").status_code
            == 429
        )
        # ... the owner's browser does not (logged out, it still carries the cookie) ...
        returning = app.test_client()
        returning.set_cookie("known_device", cookie.value, path="/login")
        assert (
            attempt(returning, user.email, DEFAULT_PASSWORD, ip="198.51.100.7").status_code == 302
        )
        # ... a cookie of another account, or a forged one, does not help ...
        forged = app.test_client()
        forged.set_cookie("known_device", cookie.value[:-2] + "xx", path="/login")
        assert attempt(forged, user.email, DEFAULT_PASSWORD, ip="10.99.0.3").status_code == 429
        # ... and other accounts are not affected.
        other = create_user()
        assert (
            attempt(app.test_client(), other.email, DEFAULT_PASSWORD, ip="10.99.0.4").status_code
            == 302
        )

    def test_the_known_device_cookie_names_one_account(self, app, client, user, create_user):
        other = create_user()
        owner = app.test_client()
        assert attempt(owner, other.email, DEFAULT_PASSWORD, ip="198.51.100.7").status_code == 302
        cookie = owner.get_cookie("known_device", path="/login")
        for n in range(allowance(app, "LOGIN_ACCOUNT_RATE_LIMIT")):
            assert attempt(client, user.email, ip=f"10.{n // 250}.{n % 250}.1").status_code == 200

        stranger = app.test_client()
        stranger.set_cookie("known_device", cookie.value, path="/login")
        assert attempt(stranger, user.email, DEFAULT_PASSWORD, ip="10.99.0.5").status_code == 429


# --- behind reverse proxies ---------------------------------------------------------------

PROXY = "10.0.0.1"


def probe(app):
    """A page that shows what the app believes about the client."""

    def view():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host}

    app.add_url_rule("/_probe", "probe", view)
    return lambda client, **headers: client.get(
        "/_probe", environ_base={"REMOTE_ADDR": PROXY}, headers=headers
    ).get_json()


def test_without_trusted_proxies_forwarded_headers_are_ignored(app, client, user):
    seen = probe(app)(client, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"address": PROXY, "scheme": "http", "host": "localhost"}

    # Made-up X-Forwarded-For addresses do not escape the limits.
    for n in range(allowance(app, "LOGIN_RATE_LIMIT")):
        forged = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert attempt(client, user.email, ip=PROXY, headers=forged).status_code == 200
    forged = {"X-Forwarded-For": "203.0.113.200"}
    assert attempt(client, user.email, ip=PROXY, headers=forged).status_code == 429


class TestBehindOneProxy:
    @pytest.fixture
    def app_config(self, app_config):
        class BehindOneProxy(app_config):
            TRUSTED_PROXIES = 1

        return BehindOneProxy

    def test_the_client_address_and_scheme_come_from_the_proxy(self, app, client):
        seen = probe(app)(
            client,
            **{
                "X-Forwarded-For": "192.0.2.77, 203.0.113.9",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "evil.example",
            },
        )
        # The proxy's own entry is the last one; what the client wrote before it is not
        # believed, and the Host is never taken from a forwarded header.
        assert seen == {"address": "203.0.113.9", "scheme": "https", "host": "localhost"}

    def test_the_limits_count_each_client_behind_the_proxy(self, app, client, user):
        per_pair = allowance(app, "LOGIN_RATE_LIMIT")
        blocked = {"X-Forwarded-For": "203.0.113.9"}
        for _ in range(per_pair):
            assert attempt(client, user.email, ip=PROXY, headers=blocked).status_code == 200
        assert attempt(client, user.email, ip=PROXY, headers=blocked).status_code == 429
        # A spoofed entry before the proxy's does not make a new client.
        spoofed = {"X-Forwarded-For": "192.0.2.1, 203.0.113.9"}
        assert attempt(client, user.email, ip=PROXY, headers=spoofed).status_code == 429

        owner = app.test_client()
        elsewhere = {"X-Forwarded-For": "198.51.100.7"}
        response = attempt(owner, user.email, DEFAULT_PASSWORD, ip=PROXY, headers=elsewhere)
        assert response.status_code == 302

    def test_https_through_the_proxy_gets_strict_transport_security(self, app, client):
        response = client.get(
            "/login", environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-Proto": "https"}
        )
        assert "Strict-Transport-Security" in response.headers
