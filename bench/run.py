"""Latency of a few read-only URLs, against a throw-away server on 127.0.0.1.

    python bench/run.py [--requests 300] [--warmup 20] [--server gunicorn|werkzeug] [--json FILE]

Builds a temporary SQLite database (migrations through flask_migrate.upgrade), imports
papers/think-paper-1, starts the site on a free port of 127.0.0.1 — gunicorn (1 worker,
4 threads) when it is installed, else Werkzeug's threaded server — sends a bounded number
of sequential requests per URL over one keep-alive connection, prints p50/p95/max latency
and requests per second, and stops the server. Nothing is sent anywhere but 127.0.0.1.
Then times re-anchoring 10,000 threads of Think Paper 1 onto a derived version
(bench/reanchor.py, no server).

The server runs the production configuration with a random SECRET_KEY and rate limits
switched off (RATELIMIT_ENABLED=false), as one would measure a private host.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
URLS = [
    "/healthz",
    "/",
    "/papers/think-paper-1/",
    "/api/v1/papers/think-paper-1/versions/5.0",
    "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/",
    "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/margin.fragment",
    "/api/v1/papers/think-paper-1/versions/5.0/annotations?limit=50",
    "/api/v1/papers/think-paper-1/versions/5.0/annotations?limit=200",
]
TIMEOUT = 10.0

# config.py and wsgi.py live at the root, beside app/.
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare_environment(workdir: Path, database_url: str | None = None) -> dict[str, str]:
    """Environment for both this process and the server: a private, temporary site in the
    production configuration, on `database_url` (default: an SQLite file in `workdir`)."""
    env = {
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "SITE_URL": f"http://{HOST}",  # the server's port is chosen later; hosts match without it
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",
        "PAPERS_DIR": str(ROOT / "papers"),
    }
    for name in ("MAIL_SERVER", "TEST_DATABASE_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    return env


def build_database(threads: int, replies: int) -> None:
    """Migrate the empty database, import Think Paper 1 as `make run` would, add a discussion."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(
        args=["papers", "import", str(ROOT / "papers" / "think-paper-1")]
    )
    if result.exit_code != 0:
        raise SystemExit(f"import failed:\n{result.output}{result.exception or ''}")
    print(result.output.strip(), file=sys.stderr)
    with app.app_context():
        from app.extensions import db
        from bench.seed import seed_annotations

        seed_annotations("think-paper-1", threads, replies)
        db.session.commit()
        print(f"seeded {threads} threads and {replies} replies", file=sys.stderr)
        db.engine.dispose()


class Server:
    """gunicorn in a child process, or Werkzeug in a thread of this one."""

    def __init__(self, kind: str, port: int, env: dict[str, str]):
        self.kind, self.port, self.env = kind, port, env
        self.process: subprocess.Popen | None = None
        self.werkzeug = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.kind == "gunicorn":
            gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
            gunicorn = gunicorn or shutil.which("gunicorn")
            self.process = subprocess.Popen(
                [
                    gunicorn,
                    "--workers=1",
                    "--threads=4",
                    f"--bind={HOST}:{self.port}",
                    "--log-level=warning",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env={**os.environ, **self.env},
            )
        else:
            import logging

            from werkzeug.serving import make_server

            from app import create_app

            logging.getLogger("werkzeug").setLevel(logging.WARNING)

            self.werkzeug = make_server(HOST, self.port, create_app(), threaded=True)
            self.thread = threading.Thread(target=self.werkzeug.serve_forever, daemon=True)
            self.thread.start()
        self.wait_until_ready()

    def wait_until_ready(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SystemExit(f"server exited with code {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"server on {HOST}:{self.port} not ready after {seconds:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.werkzeug is not None:
            self.werkzeug.shutdown()
            self.werkzeug.server_close()


def measure(port: int, path: str, count: int, warmup: int) -> dict:
    """Send `warmup` then `count` sequential GETs of `path`; latencies in ms."""
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    latencies: list[float] = []
    errors: dict[str, int] = {}

    def one() -> float | None:
        nonlocal conn
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = conn.getresponse()
            response.read()
            if response.will_close:
                conn.close()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            errors[f"HTTP {status}"] = errors.get(f"HTTP {status}", 0) + 1
            return None
        return elapsed

    for _ in range(warmup):
        one()
    errors.clear()
    started = time.perf_counter()
    for _ in range(count):
        elapsed = one()
        if elapsed is not None:
            latencies.append(elapsed)
    wall = time.perf_counter() - started
    conn.close()
    result = {"url": path, "requests": count, "ok": len(latencies), "errors": errors}
    if latencies:
        ordered = sorted(latencies)
        result.update(
            p50=statistics.median(ordered),
            p95=ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            max=ordered[-1],
            rps=count / wall,
        )
    return result


def table(results: list[dict], server: str, count: int, discussion: str = "") -> str:
    header = ["url", "ok", "p50 ms", "p95 ms", "max ms", "req/s"]
    rows = []
    for r in results:
        if "p50" in r:
            numbers = [f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['max']:.1f}", f"{r['rps']:.0f}"]
        else:
            numbers = ["-"] * 4
        rows.append([r["url"], f"{r['ok']}/{r['requests']}", *numbers])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    out = [f"{server}, {count} sequential requests per URL, one keep-alive connection", ""]
    if discussion:
        out[0] += f"; {discussion}"
    out += [line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    for r in results:
        if r["errors"]:
            out.append(f"errors on {r['url']}: {r['errors']}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per URL (at most 5000)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per URL")
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default=None)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--threads", type=int, default=1000, help="threads on Think Paper 1")
    parser.add_argument("--replies", type=int, default=3000, help="replies among them")
    args = parser.parse_args()
    count = max(1, min(args.requests, 5000))
    warmup = max(0, min(args.warmup, 500))
    kind = args.server or ("gunicorn" if _has_gunicorn() else "werkzeug")

    with tempfile.TemporaryDirectory(prefix="tpc-bench-") as tmp:
        env = prepare_environment(Path(tmp))
        build_database(max(0, args.threads), max(0, args.replies))
        port = free_port()
        server = Server(kind, port, env)
        try:
            server.start()
            results = [measure(port, url, count, warmup) for url in URLS]
        finally:
            server.stop()
    label = "gunicorn (1 worker, 4 threads)" if kind == "gunicorn" else "werkzeug (threaded)"
    print(table(results, label, count, f"{args.threads} threads, {args.replies} replies"))
    from bench.reanchor import measure as measure_reanchoring
    from bench.reanchor import row as reanchoring_row

    print("\n" + reanchoring_row(measure_reanchoring()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"server": label, "results": results}, indent=2) + "\n")
    return 1 if any(r["ok"] < r["requests"] for r in results) else 0


def _has_gunicorn() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return sys.platform != "win32"


if __name__ == "__main__":
    sys.exit(main())
