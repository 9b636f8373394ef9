"""Static files under fingerprinted names, minified, cached for a year.

`url_for('static', filename='css/site.css')` yields `/static/css/site.<hash>.css`, where the
hash is that of the bytes served: a browser keeps the file for a year (`immutable`, never
asked again) and a deploy that changes it changes its name. The hash sits in the file name
rather than in a query string so that every cache keys on it, and a wrong or old hash is a
plain 404 (that name names no file) rather than today's file under yesterday's name.

The plain name (`/static/css/site.css`) keeps working: Flask's own static view serves the
file as it is on disk, with `no-cache` (asked again every time, answered 304 when unchanged).

Stylesheets and scripts are minified (rcssmin, rjsmin). ES modules import each other by
relative path (`import … from "./annotate.js"`): in a fingerprinted module these imports are
rewritten to the fingerprinted names, so that a page and its modules name each module by one
URL (a module loaded under two URLs would run twice) and a module's hash covers those of the
modules it imports. Rewriting keeps the pages free of an import map, which the
Content-Security-Policy (`script-src 'self'`, no inline script) would have to allow by hash.

Everything is read, minified and hashed once per process, when the first application is
made, again only if a file changes (its size or time); a changed file is taken up when the
server restarts, or at the next request with STATIC_RELOAD (`make run`). Gzip and Brotli
forms are made on first demand, at the highest levels.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import posixpath
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, Response, request

logger = logging.getLogger(__name__)

HASH_LENGTH = 10
# A year, the longest lifetime HTTP caches honour; `immutable`: not even asked on reload.
IMMUTABLE = "public, max-age=31536000, immutable"
# The encodings offered, preferred first (COMPRESS_ALGORITHM in config.py: the same).
ENCODINGS = ("br", "gzip")

# A relative module specifier after `from`, `import` or `import(`.
RELATIVE_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.\.?/[^"'\s]+)\2""")
# A template literal inside a template literal's `${…}`: rjsmin reads the inner one as code
# and could drop a space of its text (`${n} threads` → `${n}threads`).
NESTED_TEMPLATE = re.compile(r"\$\{[^}`]*`")

MINIFIERS: dict[str, Callable[[str], str]] = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def minifiable(name: str, text: str) -> bool:
    """Whether the minifier is safe on this text (JavaScript without nested templates)."""
    return not (name.endswith(".js") and NESTED_TEMPLATE.search(text))


@dataclass
class Asset:
    """One static file as served under its fingerprinted name."""

    name: str  # as on disk, relative to the static folder: css/site.css
    url_name: str  # css/site.3f9a1c2e7b.css
    body: bytes
    mimetype: str
    _encoded: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def encoded(self, encoding: str | None) -> bytes:
        """The body in `encoding` (None: as it is), compressed once and kept."""
        if encoding is None:
            return self.body
        if encoding not in self._encoded:
            with self._lock:
                if encoding not in self._encoded:
                    self._encoded[encoding] = compress(self.body, encoding)
        return self._encoded[encoding]


def compress(body: bytes, encoding: str, *, best: bool = True) -> bytes:
    """`body` in `encoding` (one of ENCODINGS). `best` spends whatever it takes, for what is
    compressed once per deploy (static files); otherwise a level that costs a few
    milliseconds for a page and gives nearly as much, for what is compressed once per
    change of the discussion (the kept pages of app.core.page_cache)."""
    if encoding == "br":
        return brotli.compress(body, quality=11 if best else 5)
    return gzip.compress(body, compresslevel=9 if best else 6, mtime=0)


class Assets:
    """The static folder's files, by plain name and by fingerprinted name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.by_name: dict[str, Asset] = {}
        names = sorted(
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file() and not any(part.startswith(".") for part in path.parts)
        )
        for name in names:
            self._build(name, ())
        self.by_url_name = {asset.url_name: asset for asset in self.by_name.values()}
        # One word for this set of files: it changes whenever any of them does.
        self.build = hashlib.sha256("\n".join(sorted(self.by_url_name)).encode()).hexdigest()[
            :HASH_LENGTH
        ]

    def _build(self, name: str, importers: tuple[str, ...]) -> Asset:
        """The asset for `name`, its imports built first (their names go into its bytes)."""
        if name in self.by_name:
            return self.by_name[name]
        if name in importers:
            raise RuntimeError(f"static/{name}: modules import each other in a circle")
        body = (self.folder / name).read_bytes()
        suffix = posixpath.splitext(name)[1]
        if suffix in MINIFIERS:
            text = body.decode("utf-8")
            if minifiable(name, text):
                text = MINIFIERS[suffix](text)
            else:
                logger.warning("static/%s is served unminified (a nested template literal)", name)
            if suffix == ".js":
                text = self._fingerprint_imports(name, text, (*importers, name))
            body = text.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()[:HASH_LENGTH]
        stem, extension = posixpath.splitext(name)
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if extension == ".js":
            mimetype = "text/javascript"
        asset = Asset(name, f"{stem}.{digest}{extension}", body, mimetype)
        self.by_name[name] = asset
        return asset

    def _fingerprint_imports(self, name: str, text: str, importers: tuple[str, ...]) -> str:
        directory = posixpath.dirname(name)

        def rewrite(match: re.Match[str]) -> str:
            keyword, quote, specifier = match.groups()
            target = posixpath.normpath(posixpath.join(directory, specifier))
            if not (self.folder / target).is_file():
                raise RuntimeError(f"static/{name} imports {specifier}, which does not exist")
            imported = self._build(target, importers)
            relative = posixpath.relpath(imported.url_name, directory or ".")
            if not relative.startswith("."):
                relative = "./" + relative
            return f"{keyword}{quote}{relative}{quote}"

        return RELATIVE_IMPORT.sub(rewrite, text)


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What tells that a file changed: its name, size and modification time."""
    entries = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            entries.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


@lru_cache(maxsize=4)
def _assets(folder: Path, _signature: tuple[tuple[str, int, int], ...]) -> Assets:
    return Assets(folder)


def assets_for(folder: Path) -> Assets:
    """The assets of `folder`, built once per process and again only when a file changed."""
    return _assets(folder, _signature(folder))


def init_app(app: Flask) -> None:
    """Fingerprinted URLs from `url_for('static', …)`, and the view that serves them."""
    assert app.static_folder is not None
    folder = Path(app.static_folder)
    app.extensions["assets"] = assets_for(folder)
    serve_plain = app.view_functions["static"]

    if app.config.get("STATIC_RELOAD"):

        @app.before_request
        def take_up_changed_static_files() -> None:
            """`make run`: an edited file gets its new name at the next page, no restart."""
            app.extensions["assets"] = assets_for(folder)

    @app.url_defaults
    def fingerprinted_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            asset = app.extensions["assets"].by_name.get(values["filename"])
            if asset is not None:
                values["filename"] = asset.url_name

    def static(filename: str):
        """A fingerprinted name from memory, kept a year; any other through Flask's view."""
        asset = app.extensions["assets"].by_url_name.get(filename)
        if asset is None:
            response = serve_plain(filename=filename)
            # Read into memory and closed at once (a static file is small), so that
            # compression takes the body whole: its streaming path would leave the file open.
            response.direct_passthrough = False
            response.make_sequence()
            response.close()
            return response
        encoding = request.accept_encodings.best_match(ENCODINGS)
        response = Response(asset.encoded(encoding), mimetype=asset.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.headers["Cache-Control"] = IMMUTABLE
        response.vary.add("Accept-Encoding")
        # The ETag names the bytes sent: the fingerprint and the encoding.
        response.set_etag(f"{asset.url_name.rsplit('.', 2)[-2]}-{encoding or 'identity'}")
        return response.make_conditional(request)

    app.view_functions["static"] = static
