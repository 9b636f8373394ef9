"""Request ids, and the form of the site's log lines.

Every request has an id: the incoming `X-Request-ID` when a proxy or client sent a sane
one (1 to 128 letters, digits and `._:=+/@-`), otherwise a new random one. It is echoed
in the `X-Request-ID` response header, shown on error pages and in JSON errors
(`error.request_id`), and carried by every log record made while the request is handled
(the attribute `request_id`, `-` outside a request), so one request's lines can be found
together and a user's report matched to them.

`LOG_FORMAT` chooses the lines the site writes to standard error: `text` (the default)
or `json`, one JSON object per line (`time`, `level`, `logger`, `request_id`, `message`,
and `exception` with the traceback when there is one).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOG_FORMATS = ("text", "json")
HANDLER_NAME = "app.stderr"

_ENVIRON_KEY = "app.request_id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:=+/@-]{1,128}")


# The id of the request that work done after its answer (mail sent once the response
# is closed) is done for.
_carried_id: ContextVar[str | None] = ContextVar("carried_request_id", default=None)


def request_id() -> str:
    """The current request's id (made on first use), or `-` outside a request."""
    if not has_request_context():
        return _carried_id.get() or "-"
    environ = request.environ
    found = environ.get(_ENVIRON_KEY)
    if found is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        found = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        environ[_ENVIRON_KEY] = found
    return found


def for_this_request(work: Callable[[], Any]) -> Callable[[], Any]:
    """`work` to run after the answer has gone (`response.call_on_close`), with its log
    lines still carrying this request's id."""
    carried = request_id()

    def run() -> Any:
        token = _carried_id.set(carried)
        try:
            return work()
        finally:
            _carried_id.reset(token)

    return run


class RequestIdFilter(logging.Filter):
    """Gives each record the id of the request it was made in (`%(request_id)s`).

    `init_app` installs the same through the record factory, so that every record has
    it whichever handler writes it; this filter is for logging configurations of one's
    own (a handler of gunicorn's `--log-config`, say)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; newlines in messages and tracebacks stay escaped."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def _install_record_factory() -> None:
    """Every record made from now on carries `request_id` (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def configure_logging(app: Flask) -> None:
    """Records carry the request id; the site's handler on standard error (added when
    nothing else configured logging) writes `LOG_FORMAT` lines. The site's own loggers
    (under `app`) speak from INFO, libraries only from WARNING."""
    log_format = (app.config.get("LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        choices = " or ".join(LOG_FORMATS)
        raise RuntimeError(f"LOG_FORMAT must be {choices}, not {log_format!r}")
    app.config["LOG_FORMAT"] = log_format
    _install_record_factory()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if handler.get_name() == HANDLER_NAME]
    if ours:
        ours[0].setFormatter(formatter_for(log_format))
    elif not root.handlers:
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(formatter_for(log_format))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    logging.getLogger("app").setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Logging as configured, and the request id echoed in every response."""
    configure_logging(app)

    @app.after_request
    def echo_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
