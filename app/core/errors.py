"""Error pages and JSON errors, and the one family of errors that services raise.

A service that refuses raises a `ServiceError` (or an area's subclass of it): it says
why in words for people, with the HTTP status, a machine-readable code and, where one
field is at fault, that field's name. Views may catch it to show the message beside a
form; what they let through is answered by one of two handlers here: JSON in the
CONTRACT's format under `/api/`, a styled page elsewhere. Nothing shows a traceback:
unexpected exceptions are logged and answered 500.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

from app.core import access_matrix, transaction
from app.core.i18n import gettext as _
from app.core.logs import request_id

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class ServiceError(ValueError):
    """A rule was broken or the request came too late; nothing was stored.

    `status` is how HTTP says it (422 invalid, 409 conflict, 403, 404, ...), `code` the
    machine-readable word for it, `field` the one input at fault (if any) and `fields`
    every input at fault with its reason. Subclasses only give their area a name.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: dict[str, str] | None = None,
        status: int = 422,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or ERROR_CODES.get(status, "error")
        self.field = field
        self.fields = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, message)


class ApiError(ServiceError):
    """A refusal of the API itself (authentication, the shape of a request)."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, fields: dict | None = None
    ):
        super().__init__(message, code=code, fields=fields, status=status)


def error_json(status: int, message: str, code: str | None = None, fields: dict | None = None):
    body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message}}
    if fields:
        body["error"]["fields"] = fields
    body["error"]["request_id"] = request_id()
    response = jsonify(body)
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        403: (_("Not allowed"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("There is no page at this address.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("This cannot be done in the current state of things.")),
        413: (_("Too large"), _("What you sent is too large.")),
        422: (_("Not accepted"), _("What you sent could not be accepted.")),
        429: (_("Too many attempts"), _("Too many attempts. Please wait a minute and try again.")),
        500: (
            _("Something went wrong"),
            _("An unexpected error stopped this page. It has been logged; please try again."),
        ),
    }


def _render(status: int, message: str | None = None):
    title, default = _messages().get(status, (_("Error"), _("The request failed.")))
    return render_template("errors/error.html", status=status, title=title,
                           message=message or default, request_id=request_id()), status  # fmt: skip


def _who_may() -> str | None:
    """A refused page says who may use it, as the access table has it."""
    action = access_matrix.entries().get((request.endpoint, request.method))
    if action is None or action.rule.predicate is None:
        return None
    return " ".join([_messages()[403][1], _("This is for %(who)s.", who=str(action.rule.who))])


def _limit_message(error) -> str | None:
    """The message a limit was declared with (e.g. the posting limit's), if any."""
    message = getattr(getattr(error, "limit", None), "error_message", None)
    if callable(message):
        message = message()
    return message if isinstance(message, str) and message else None


def _no_rule_takes(error: MethodNotAllowed) -> bool:
    """Whether no rule takes the path with any method. Werkzeug notes a rule's methods as
    soon as its pattern fits the path, before its converters check the values, so
    `DELETE /api/v1/annotations/0` (ids start at 1) would answer 405 although nothing
    lives at that address: that is a 404."""
    adapter = current_app.create_url_adapter(request)
    for method in error.valid_methods or ():
        try:
            adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:
            return False  # a redirect (a missing slash): something lives there
        return False
    return True


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def handle_service_error(error: ServiceError):
        """What a view let through: JSON under the API, the error page with its words elsewhere."""
        if wants_json():
            return error_json(error.status, error.message, error.code, error.fields)
        return _render(error.status, error.message)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        message = _("The form had expired or was not sent from this site. Please try again.")
        if wants_json():
            return error_json(400, message, "csrf_failed")
        return _render(400, message)

    @app.errorhandler(429)
    def handle_rate_limit(error):
        default = _("Too many attempts. Please wait a minute and try again.")
        message = _limit_message(error) or default
        if wants_json():
            return error_json(429, message)
        return _render(429, message)

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if isinstance(error, MethodNotAllowed) and _no_rule_takes(error):
            error = NotFound()
        status = error.code or 500
        if wants_json():
            return error_json(status, error.description or ERROR_CODES.get(status, "error"))
        # A view's own words (`abort(400, "...")`) beat the generic text of the status.
        custom = error.description if error.description != type(error).description else None
        if status == 403 and custom is None:
            custom = _who_may()
        return _render(status, custom)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http(error)
        log.exception("Unhandled exception on %s %s", request.method, request.path)
        transaction.roll_back_now()
        if wants_json():
            return error_json(500, "An unexpected error occurred; it has been logged.")
        return _render(500)

    @app.errorhandler(InternalServerError)
    def handle_500(error):
        return handle_unexpected(getattr(error, "original_exception", None) or error)
