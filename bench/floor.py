"""The floor of the page benchmark: the site behind a WSGI wrapper that answers a stored
copy of a page's bytes from memory at a path of its own.

Served the same way as the site (gunicorn, one worker, one thread), the wrapper's path costs
only what the server, the network stack and WSGI cost: no routing, no database, no template.
Every page's throughput is reported as a share of it (bench/run.py). Bench-only: the site
itself never imports this module.
"""

from __future__ import annotations

import os
from pathlib import Path

FLOOR_PATH = "/__bench_floor__"


class Floor:
    """`app`, except that GET `FLOOR_PATH` answers `body` from memory."""

    def __init__(self, app, body: bytes, content_type: str = "text/html; charset=utf-8"):
        self.app = app
        self.body = body
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == FLOOR_PATH:
            start_response("200 OK", list(self.headers))
            return [self.body]
        return self.app(environ, start_response)


def application():
    """The site of wsgi.py wrapped around the page stored in $BENCH_FLOOR_FILE (gunicorn:
    `bench.floor:application()`)."""
    from wsgi import app

    return Floor(app, Path(os.environ["BENCH_FLOOR_FILE"]).read_bytes())
