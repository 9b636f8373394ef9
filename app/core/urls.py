"""Addresses: where a request may send people back to, and the site's own absolute links.

Every absolute link the site hands out — in e-mail, in the API's `url`, `next` and
`Location` fields, in exports and canonical links — is built by `absolute_url` (or
`absolute`) from `SITE_URL`, the public origin set in the configuration, never from the
request's `Host` header, which the client chooses. `init_app` checks `SITE_URL` and sets
Flask's `TRUSTED_HOSTS` from it, so that a request naming another host is refused (400).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, jsonify, request, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

from app.core.logs import request_id
from app.models.limits import INT32_MAX


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route takes a row id: 1 up to the largest the id columns hold
    (32-bit integers). A path with a greater number names no row and is not found (404)
    instead of overflowing the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


# Names a developer's browser or a test client uses for the local machine.
LOCAL_HOSTS = ("localhost", "127.0.0.1")
# SITE_URL outside production when none is set: where `make run` serves.
LOCAL_SITE_URL = "http://127.0.0.1:5000"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: no open redirects."""
    if not target or any(ch in target for ch in "\\\r\n\t") or not target.startswith("/"):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --- the site's origin ------------------------------------------------------------------


def posted_from_another_site() -> bool:
    """Whether the browser says the request was sent from another site's page: Fetch
    metadata says "cross-site", or an Origin names another host than the one asked (which
    the trusted hosts have vetted). For the few forms that carry no CSRF token."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    return urlsplit(origin).netloc.lower() != request.host.lower()


def parse_site_url(value: str) -> str:
    """`value` as an origin (`https://host[:port]`, no trailing slash); ValueError if it is
    not one (another scheme, no host, a path, a query)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"SITE_URL must be an http(s) origin such as https://example.org, not {value!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"SITE_URL must be an origin (scheme, host and port only), not {value!r}")
    try:
        parts.port  # noqa: B018  (a port out of range raises)
    except ValueError:
        raise ValueError(f"SITE_URL has an invalid port: {value!r}") from None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def site_origin() -> str:
    """The public origin, e.g. `https://commons.example.org` (no trailing slash)."""
    return current_app.config["SITE_URL"].rstrip("/")


def absolute(path: str) -> str:
    """A path of this site (`/annotations/3`) as an absolute link on the public origin."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"not a path of this site: {path!r}")
    return site_origin() + path


def absolute_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute link on `SITE_URL`, in a request or not."""
    if has_request_context():
        return absolute(url_for(endpoint, **values))
    parts = urlsplit(site_origin())
    adapter = current_app.url_map.bind(
        parts.netloc,
        script_name=current_app.config.get("APPLICATION_ROOT") or "/",
        url_scheme=parts.scheme,
    )
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    link = adapter.build(endpoint, values, force_external=True)
    return f"{link}#{anchor}" if anchor else link


# --- configuration and the refusal of other hosts ----------------------------------------


def trusted_hosts(site_url: str, extra: list[str], local: bool) -> list[str]:
    """The host names a request may name: SITE_URL's, the extra ones, and the local names
    when `local` (development, tests)."""
    names = [urlsplit(site_url).hostname or ""]
    names += [name.strip().lower() for name in extra if name.strip()]
    if local:
        names += LOCAL_HOSTS
    return list(dict.fromkeys(n for n in names if n))


def init_app(app: Flask) -> None:
    """Check SITE_URL (required in production), set TRUSTED_HOSTS from it, refuse requests
    for other hosts before anything else looks at them, and give templates
    `absolute_url`; and make `<int:…>` in routes stop at the largest row id."""
    app.url_map.converters["int"] = RowIdConverter
    value = app.config.get("SITE_URL")
    if not value:
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(
                "SITE_URL must be set in production (APP_CONFIG=production): the public "
                "origin, such as https://commons.example.org"
            )
        value = LOCAL_SITE_URL
    site_url = parse_site_url(value)
    app.config["SITE_URL"] = site_url
    if app.config.get("TRUSTED_HOSTS") is None:
        local = app.config["ENV_NAME"] != "production"
        extra = app.config.get("EXTRA_TRUSTED_HOSTS") or []
        app.config["TRUSTED_HOSTS"] = trusted_hosts(site_url, extra, local)

    app.before_request(_refuse_untrusted_host)
    app.register_error_handler(SecurityError, _untrusted_host_answer)
    app.jinja_env.globals["absolute_url"] = absolute_url


def _refuse_untrusted_host() -> None:
    """Flask notes an untrusted Host as the routing error; raise it before any other
    `before_request` function runs, so that nothing works for a foreign host."""
    error = request.routing_exception
    if isinstance(error, SecurityError):
        raise error


def _untrusted_host_answer(error: SecurityError):
    """400 without the site's templates: with an untrusted host Flask has no URL adapter,
    so nothing could build a link on the error page."""
    message = "This site does not answer for the host named in the request."
    if request.path.startswith("/api/"):
        body = {"error": {"code": "bad_host", "message": message, "request_id": request_id()}}
        response = jsonify(body)
    else:
        response = current_app.response_class(
            f"{message}\nRequest id: {request_id()}\n", mimetype="text/plain"
        )
    response.status_code = 400
    return response
