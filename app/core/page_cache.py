"""Public reading pages for anonymous readers: kept rendered, validated by ETag, 304s.

Most visitors of a paper are anonymous, and all of them see the same page; rendering it
costs tens of milliseconds and grows with the discussion. For a request with no one signed
in and an empty session (no flash to show), a view wrapped in `public_page` is answered

- 304 Not Modified when the reader's copy is current (If-None-Match, or If-Modified-Since);
- otherwise from the cache (Flask-Caching: per process by default, Redis when configured),
  or rendered and kept there.

The key names everything the page depends on: the endpoint, its view arguments and query
arguments, the reader's locale, what the view says it varies on (the glossary marking
mode of the reading page), today's date (a comment period opens and closes by date), the
build of the application (a deploy changes templates and static addresses), and the
database's counters of what the pages show (`app.core.revisions`), which every change
raises in its own transaction. The ETag is that key's digest, so it needs no rendering.

Signed-in readers, requests with an API token and requests with a non-empty session are
always rendered afresh and never stored; their answers stay `no-store`
(`app.core.headers`). Public answers are `public, no-cache`: a shared cache may keep them
but asks each time, and a 304 costs one small query.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime, time
from functools import wraps
from pathlib import Path

from flask import Flask, Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

from app.core import revisions
from app.core.assets import ENCODINGS, compress
from app.extensions import cache, db
from app.models.base import utcnow

PUBLIC = "public, no-cache"
# The reader's language and cookies (the glossary marking mode, a session) change the page.
VARY = ("Cookie", "Accept-Language")
# Longer query strings are not worth a cache entry (and would let anyone fill it).
MAX_QUERY = 512
_MARK = "page_cache.public"
# What a session of someone not signed in may hold without changing the page: the token
# of a log-in form they saw (the reading pages show no form to them) and Flask-Login's mark.
PASSIVE_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_permanent"})


def _session_holds_something() -> bool:
    """Whether the session holds what a page may show (a flash message, a signed-in id)."""
    return bool(set(session.keys()) - PASSIVE_SESSION_KEYS)


def _for_anonymous_reader() -> bool:
    if request.method not in ("GET", "HEAD") or request.headers.get("Authorization"):
        return False
    if len(request.query_string) > MAX_QUERY:
        return False
    # The session first: reading it costs nothing, whereas `current_user` may look a
    # remember-me cookie up.
    return not _session_holds_something() and not current_user.is_authenticated


def _build_id(app: Flask) -> str:
    """What a deploy changes: the code, templates, static files and translations as shipped
    (their names, sizes and modification times), or CACHE_BUILD_ID when the deploy sets one."""
    given = app.config.get("CACHE_BUILD_ID")
    if given:
        return str(given)
    digest = hashlib.sha256()
    for folder in (app.root_path, app.template_folder, app.static_folder):
        if not folder:
            continue
        for directory, _dirs, files in sorted(os.walk(Path(app.root_path, folder))):
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _key(state: revisions.PagesState, varies: dict[str, str]) -> str:
    parts = [
        current_app.extensions["page_cache.build"],
        # The static files' fingerprints as served now: they change without a restart
        # where STATIC_RELOAD is on (`make run`), and a kept page must not name old ones.
        current_app.extensions["assets"].build,
        request.endpoint or "",
        repr(sorted((request.view_args or {}).items())),
        repr(sorted(request.args.items(multi=True))),
        str(get_locale() or ""),
        utcnow().date().isoformat(),
        state.token,
        repr(sorted(varies.items())),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _last_modified(state: revisions.PagesState) -> datetime:
    """When the page last changed, as far as anything known can tell: the later of the
    counters' change, the start of the process (a deploy) and the start of today (a
    comment period's date)."""
    today = datetime.combine(utcnow().date(), time(), tzinfo=UTC)
    moments = [current_app.extensions["page_cache.started"], today]
    if state.changed_at is not None:
        moments.append(state.changed_at)
    return max(moments).replace(microsecond=0)


def _not_modified(etag: str, modified: datetime) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and modified <= since


def _validated(response: Response, etag: str, modified: datetime) -> Response:
    # A weak ETag: Flask-Compress rewrites a strong one (`"…:gzip"`) when it compresses the
    # body, and would then never match what the reader sends back; a weak one it leaves as
    # it is, and the page it names is the same page whatever the encoding.
    response.set_etag(etag, weak=True)
    response.last_modified = modified
    response.headers["Cache-Control"] = PUBLIC
    for name in VARY:
        response.vary.add(name)
    setattr(response, _MARK, True)
    return response


def _encoded(response: Response, key: str) -> Response:
    """The kept page in the encoding the reader accepts, compressed once per page and kept
    beside it: compressing a large page costs more than answering it from the cache.
    Flask-Compress leaves an answer that already has a Content-Encoding alone."""
    encoding = request.accept_encodings.best_match(ENCODINGS)
    if encoding is None:
        return response
    name = f"page:{key}:{encoding}"
    body = cache.get(name)
    if body is None:
        body = compress(response.get_data(), encoding, best=False)
        cache.set(name, body)
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


def public_page(*, paper: bool = True, varies: Callable[[], dict[str, str]] | None = None):
    """Cache a public GET view for anonymous readers.

    `paper`: the view's `slug` names the paper whose counter the page depends on (besides
    the site's); otherwise the page shows every paper (the list of papers, the glossary)
    and depends on every counter. `varies`: what else the page depends on, asked before the
    cache is (it may set a cookie the reader chose, which is then sent on a hit too).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not _for_anonymous_reader():
                return view(*args, **kwargs)
            state = revisions.state_of(db.session, kwargs.get("slug") if paper else None)
            if state is None:  # no such paper, or nothing to key its pages on yet
                return view(*args, **kwargs)
            key = _key(state, varies() if varies else {})
            etag, modified = key[:32], _last_modified(state)
            if _not_modified(etag, modified):
                return _validated(Response(status=304), etag, modified)
            kept = cache.get(f"page:{key}")
            if kept is not None:
                body, content_type, headers = kept
                response = Response(body, 200, headers=headers, content_type=content_type)
                return _validated(_encoded(response, key), etag, modified)
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or _session_holds_something():
                return response
            # A page that wrote to the session may hold what it wrote (a form's token): it
            # is this reader's alone, and is not kept.
            storable = not (session.modified or response.is_streamed)
            if storable and "Set-Cookie" not in response.headers:
                headers = [
                    (name, value)
                    for name, value in response.headers.items()
                    if name not in ("Content-Type", "Content-Length", "Set-Cookie")
                ]
                cache.set(f"page:{key}", (response.get_data(), response.content_type, headers))
                response = _encoded(response, key)
            return _validated(response, etag, modified)

        return wrapper

    return decorator


def init_app(app: Flask) -> None:
    app.extensions["page_cache.build"] = _build_id(app)
    app.extensions["page_cache.started"] = datetime.now(UTC)

    @app.after_request
    def private_when_personal(response: Response) -> Response:
        """A public page that now sets a cookie (the reader chose a marking mode) or comes
        with a session must not be kept by a shared cache, which would hand the cookie to
        others."""
        if getattr(response, _MARK, False) and (
            "Set-Cookie" in response.headers or session.modified or bool(session)
        ):
            response.headers["Cache-Control"] = "private, no-cache"
        return response
