"""Operations: a request id in every log line, in responses and on error pages; JSON log
lines on demand; `/readyz` beside `/healthz`."""

from __future__ import annotations

import io
import json
import logging
import re
import socket

import pytest
from sqlalchemy.exc import OperationalError

from app import create_app
from app.core import logs
from app.extensions import db as _db

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def failing_route(app):
    """A page and an API route that log a line of their own and then fail."""

    @app.route("/ops-test/fail")
    def fail():
        logging.getLogger("app.ops_test").warning("about to fail")
        raise RuntimeError("the test's own failure")

    @app.route("/api/v1/ops-test/fail")
    def api_fail():
        logging.getLogger("app.ops_test").warning("about to fail in the API")
        raise RuntimeError("the test's own failure")


# --- request ids ------------------------------------------------------------------------


def test_each_response_carries_a_new_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert HEX_ID.fullmatch(first.headers["X-Request-ID"])
    assert HEX_ID.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "given",
    [
        "abc-123",
        "0b7c6b1e-4f3a-4d51-9a4e-8f3f0c2d9e11",
        "Root=1-67891233-abcdef012345678912345678",
        "a" * 128,
    ],
)
def test_a_sane_incoming_request_id_is_kept(client, given):
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["", "a" * 129, "two words", "<script>", "line\\nbreak", "é", "a;b", '"quoted"']
)
def test_an_odd_incoming_request_id_is_replaced(client, given):
    answered = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert HEX_ID.fullmatch(answered)


def test_every_log_line_of_a_request_carries_its_id(client, failing_route, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/ops-test/fail")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    records = [r for r in caplog.records if r.name.startswith("app")]
    assert [r.getMessage() for r in records][:1] == ["about to fail"]
    assert any(r.exc_info for r in records), "the failure is logged with its traceback"
    assert {r.request_id for r in records} == {rid}
    text = logging.Formatter(logs.TEXT_FORMAT)
    assert all(f"[{rid}]" in text.format(r) for r in records)


def test_mail_logged_after_commit_carries_the_request_id(client, user, caplog):
    caplog.set_level(logging.INFO)
    # The reset mail leaves once the answer is closed (buffered: the client closes it).
    response = client.post("/reset-password", data={"email": user.email}, buffered=True)
    mail_lines = [r for r in caplog.records if r.name == "app.mail"]
    assert mail_lines, "the outbox logs the mail it writes"
    assert {r.request_id for r in mail_lines} == {response.headers["X-Request-ID"]}


def test_lines_outside_a_request_say_so(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("app.ops_test").info("from a command")
    assert caplog.records[-1].request_id == "-"


def test_error_pages_and_json_errors_show_the_request_id(client, failing_route):
    for path in ("/no-such-page", "/ops-test/fail"):
        response = client.get(path, headers={"X-Request-ID": "report-me-42"})
        assert response.status_code in (404, 500)
        assert response.headers["X-Request-ID"] == "report-me-42"
        assert "report-me-42" in response.get_data(as_text=True)
    for path in ("/api/v1/no-such-thing", "/api/v1/ops-test/fail"):
        response = client.get(path)
        error = response.get_json()["error"]
        assert error["request_id"] == response.headers["X-Request-ID"]
    invalid = client.post("/api/v1/annotations", json={})
    assert invalid.get_json()["error"]["request_id"] == invalid.headers["X-Request-ID"]


def test_the_openapi_document_declares_the_request_id(client):
    document = client.get("/api/v1/openapi.json").get_json()
    detail = json.dumps(document)
    assert '"request_id"' in detail


# --- JSON log lines ----------------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_sites_handler_writes_the_chosen_format(app_config, log_format, monkeypatch):
    """In a process whose logging nobody configured (as under gunicorn), the site adds its
    own handler on standard error, writing LOG_FORMAT lines."""

    class Config(app_config):
        LOG_FORMAT = log_format.upper()

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    app = create_app(Config)
    (handler,) = root.handlers

    @app.route("/ops-test/fail")
    def fail():
        logging.getLogger("app.ops_test").warning("first line\nsecond line")
        raise RuntimeError("the test's own failure")

    assert handler.get_name() == logs.HANDLER_NAME
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)
    try:
        response = app.test_client().get("/ops-test/fail")
    finally:
        with app.app_context():
            _db.engine.dispose()
    rid = response.headers["X-Request-ID"]
    output = stream.getvalue()
    if log_format == "text":
        assert f"WARNING app.ops_test [{rid}] first line" in output
        return
    lines = output.splitlines()
    entries = [json.loads(line) for line in lines]  # one object per line, every line
    assert entries[0]["message"] == "first line\nsecond line"
    assert {e["request_id"] for e in entries} == {rid}
    assert {e["level"] for e in entries} == {"WARNING", "ERROR"}
    assert set(entries[0]) == {"time", "level", "logger", "request_id", "message"}
    failure = entries[-1]
    assert "RuntimeError: the test's own failure" in failure["exception"]


def test_an_unknown_log_format_is_refused(app_config):
    class Config(app_config):
        LOG_FORMAT = "xml"

    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app(Config)


# --- health and readiness ----------------------------------------------------------------


def test_healthz_and_readyz_answer_ok(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "text/plain"


def test_readyz_says_when_the_database_does_not_answer(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.session, "execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"
    assert response.mimetype == "text/plain"
    # The process itself still answers: a liveness probe must not restart it for this.
    assert client.get("/healthz").status_code == 200


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_readyz_says_when_the_rate_limit_storage_does_not_answer(app_config):
    class Config(app_config):
        RATELIMIT_STORAGE_URI = f"redis://127.0.0.1:{closed_port()}/0"

    app = create_app(Config)
    try:
        response = app.test_client().get("/readyz")
    finally:
        with app.app_context():
            _db.engine.dispose()
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "rate-limit storage unavailable"


def test_readyz_asks_redis_when_the_limits_are_kept_there(app_config, in_ci):
    from tests.web.test_rate_limit_storage import REDIS_URL, redis_reachable

    if not redis_reachable():
        if in_ci:
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")

    class Config(app_config):
        RATELIMIT_STORAGE_URI = REDIS_URL

    app = create_app(Config)
    try:
        response = app.test_client().get("/readyz")
    finally:
        with app.app_context():
            _db.engine.dispose()
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
