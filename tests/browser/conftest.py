"""Browser fixtures: headless Chromium (Playwright) against a live server of the test's app.

- `live_server`: the test's own `app` (tests/conftest.py) served by Werkzeug on a free port
  of 127.0.0.1 in a daemon thread. It is per test and shut down before `app` empties the
  tables, so every browser test starts from empty tables like any other test.
- `browser`: one Chromium for the whole run, Debian's /usr/bin/chromium (Playwright cannot
  download its own browser here). When Chromium or Playwright is missing the browser tests
  are skipped with the reason — or fail, when CI is set.
- `page`: a fresh context (cookies, storage) per test, with `base_url` set to the live
  server, so tests say `page.goto("/login")`. Uncaught JavaScript errors fail the test.

The test thread's own transactions begin deferred (`reads_only` in tests/conftest.py), so they
never hold SQLite's write lock; but a read transaction keeps its snapshot. Before each browser
test body runs, the test thread's session is therefore committed, and a test that reads what
the browser wrote should commit (or roll back) first to see it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


def _cannot_run(reason: str, in_ci: bool):
    if in_ci:
        pytest.fail(f"browser tests cannot run and CI is set: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """End the test thread's transaction before the test talks to the live server."""
    if "live_server" in item.fixturenames:
        from app.extensions import db

        db.session.commit()
    return (yield)


@pytest.fixture(scope="session")
def browser(in_ci):
    """One headless Chromium for the run."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        _cannot_run(f"Playwright is not installed ({error})", in_ci)
    if not Path(CHROMIUM).exists():
        _cannot_run(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)", in_ci)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            _cannot_run(f"Chromium at {CHROMIUM} did not start: {error.message}", in_ci)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app):
    """Serve the test's `app` on http://127.0.0.1:<free port>; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["SITE_URL"] = base_url  # links in mail and the API lead to this server
    yield base_url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    """A new browser context and page per test, pointed at the live server."""
    context = browser.new_context(
        base_url=live_server, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    yield page
    context.close()
    assert not errors, "uncaught JavaScript errors on the page:\n" + "\n".join(errors)
