"""The site's benchmark, side by side with a peer (isso) and the floor, at sizes S, M and L.

    python bench/run.py [--sizes S M] [--requests 200] [--clients-requests 400] [--seconds 15]
                        [--no-peer] [--readme]

For each size: a temporary SQLite site in the production configuration (rate limits off)
with papers, accounts, discussions and a glossary made by the generator of bench/seed.py
(S = 1,000 annotations, M = 10,000, L = 100,000 of which 8,000 on Think Paper 1), served
by gunicorn on 127.0.0.1 (one worker, one thread) behind the floor's wrapper
(bench/floor.py). The load comes from this process (one client, sequential, keep-alive)
and from 8 client processes, each bounded in requests and seconds. Per scenario: p50/p95
with one client, throughput with 1 and 8 clients, SQL queries of one request (counted in
this process through Flask's test client), bytes sent as is and gzipped (by the server
when it compresses, else here), the worker's RSS after the load. Then the peer (isso, in
bench/.peer/, see bench/peer.py): the same 500-comment thread read through both, and
1,000 comments posted through each with 1 and with 8 clients, rows counted afterwards.
Re-anchoring 10,000 threads is timed in-process (bench/reanchor.py).

Prints a table per size and the issue's targets with PASS/MISS, writes
bench/results/<size>.json, and with --readme the latest tables into README.md between
its two performance markers. Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
README_BEGIN = "<!-- bench:begin -->"
README_END = "<!-- bench:end -->"
HOST = "127.0.0.1"
TIMEOUT = 30.0
CLIENTS = 8
PAPER = "think-paper-1"
QUIET_PAPER = "think-paper-2"  # where the long thread stands and the posts go
LONG_THREAD = 500
POSTS = 1_000

# config.py and wsgi.py live at the root, beside app/.
sys.path.insert(0, str(ROOT))

from bench.floor import FLOOR_PATH  # noqa: E402


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
    """Migrate the empty database, import Think Paper 1 as `make run` would, add a discussion
    (`threads` roots and `replies` replies: the shape bench/queries.py compares)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    _invoke(app, ["papers", "import", str(ROOT / "papers" / PAPER)])
    with app.app_context():
        from app.extensions import db
        from bench.seed import seed_annotations

        seed_annotations(PAPER, threads, replies)
        db.session.commit()
        print(f"seeded {threads} threads and {replies} replies", file=sys.stderr)
        db.engine.dispose()


def build_site(size: str, workdir: Path) -> dict:
    """Migrate, import the papers, generate the site of `size`, add the long thread, rebuild
    the search index; what the scenarios need to know of it."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Annotation, Paper, PaperVersion
    from bench.seed import generate, long_thread, paper_sources

    app = create_app()
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    sources = paper_sources({"S": 2, "M": 3, "L": 11}[size], workdir / "papers")
    _invoke(app, ["papers", "import", *map(str, sources)])
    with app.app_context():
        made = generate(size)
        thread_id = long_thread(QUIET_PAPER, LONG_THREAD)
        db.session.commit()
        quiet_section = db.session.scalar(
            select(Annotation.section_key).where(Annotation.id == thread_id)
        )
        labels = dict(
            db.session.execute(
                select(Paper.slug, PaperVersion.label)
                .join(PaperVersion, PaperVersion.paper_id == Paper.id)
                .order_by(PaperVersion.sequence)
            ).all()
        )
        busiest = db.session.execute(
            select(Annotation.section_key, func.count())
            .join(Paper, Paper.id == Annotation.paper_id)
            .where(Paper.slug == PAPER, Annotation.parent_id.is_(None))
            .group_by(Annotation.section_key)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        db.engine.dispose()
    generated = time.perf_counter() - started
    started = time.perf_counter()
    _invoke(app, ["search", "reindex"])
    made.update(long_thread=LONG_THREAD)
    print(f"{size}: generated {made} in {generated:.1f} s", file=sys.stderr)
    return {
        "made": made,
        "generate_seconds": round(generated, 2),
        "reindex_seconds": round(time.perf_counter() - started, 2),
        "label": labels[PAPER],
        "quiet_label": labels[QUIET_PAPER],
        "busiest_section": busiest[0],
        "busiest_threads": busiest[1],
        "thread_id": thread_id,
        "quiet_section": quiet_section,  # the long thread's, where the posts go too
    }


def _invoke(app, args: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=args)
    if result.exit_code != 0:
        raise SystemExit(f"flask {args[0]} {args[1]} failed:\n{result.output}{result.exception}")


class Server:
    """gunicorn in a child process, or Werkzeug in a thread of this one."""

    def __init__(
        self,
        kind: str,
        port: int,
        env: dict[str, str],
        threads: int = 4,
        target: str = "wsgi:app",
    ):
        self.kind, self.port, self.env = kind, port, env
        self.threads, self.target = threads, target
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
                    f"--threads={self.threads}",
                    f"--bind={HOST}:{self.port}",
                    "--log-level=warning",
                    self.target,
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

    def wait_until_ready(self, seconds: float = 60.0) -> None:
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

    def worker_rss_mb(self) -> float | None:
        """Resident memory of gunicorn's worker (the master's child), in MB."""
        if self.process is None:
            return None
        return worker_rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        if self.werkzeug is not None:
            self.werkzeug.shutdown()
            self.werkzeug.server_close()


def stop_process(process: subprocess.Popen) -> None:
    """Stop a server started for a measurement: asked first, killed after 15 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_rss_mb(master: int) -> float | None:
    """VmRSS of the first child of process `master` (gunicorn's worker), in MB."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        status = Path(f"/proc/{children[0]}/status").read_text()
    except (OSError, IndexError):
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return round(int(found.group(1)) / 1024, 1) if found else None


# --- clients -------------------------------------------------------------------------------


class Client:
    """One keep-alive connection with a cookie jar; a scenario's requests through it."""

    def __init__(self, port: int, scenario: dict, index: int = 0):
        self.port, self.scenario, self.index = port, scenario, index
        self.conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.validators: dict[str, str] = {}
        self.sent = 0
        self.keeps_cookies = scenario.get("auth") == "session"
        if self.keeps_cookies:
            self.log_in()

    def send(self, method: str, path: str, body: bytes | None = None, headers=None):
        """(status, body, headers) of one request; reconnects once on a closed connection."""
        headers = {"Accept-Encoding": "identity", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
                if attempt == 2:
                    raise
        # Only a signed-in client keeps its cookies (isso sets one per comment posted).
        cookies = response.headers.get_all("Set-Cookie") if self.keeps_cookies else None
        for line in cookies or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, data, response.headers

    def log_in(self) -> None:
        """Through the real form: its CSRF token, the reader's address and password."""
        from bench.seed import READER_EMAIL, READER_PASSWORD

        _status, page, _headers = self.send("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit("the login page has no CSRF token")
        form = (
            f"csrf_token={quote(token.group(1).decode())}&email={quote(READER_EMAIL)}"
            f"&password={quote(READER_PASSWORD)}"
        )
        status, _page, _headers = self.send(
            "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"logging in through the form answered HTTP {status}")

    def one(self) -> bool:
        """The scenario's request; whether it succeeded (a 304 only when asked for one)."""
        scenario = self.scenario
        headers = dict(scenario.get("headers", {}))
        body = None
        if scenario.get("post"):
            self.sent += 1
            body = json.dumps(post_body(scenario["post"], self.index, self.sent)).encode()
            headers["Content-Type"] = "application/json"
        if scenario.get("conditional"):
            if "etag" in self.validators:
                headers["If-None-Match"] = self.validators["etag"]
            if "last-modified" in self.validators:
                headers["If-Modified-Since"] = self.validators["last-modified"]
        status, _data, answer = self.send(
            scenario.get("method", "GET"), scenario["path"], body, headers
        )
        if scenario.get("conditional"):
            for name in ("etag", "last-modified"):
                if answer.get(name):
                    self.validators[name] = answer.get(name)
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        return status == scenario.get("expect", 200) or (status == 304 and conditional)


def post_body(post: dict, client: int, n: int) -> dict:
    """The JSON of a post: a new thread on the site, a comment on isso."""
    text = (
        f"Posted by client {client}, number {n}: a remark on this section, {secrets.token_hex(4)}."
    )
    if post["to"] == "isso":
        return {"text": text, "author": f"Poster {client}", "title": "Bench thread"}
    return {
        "paper": post["paper"],
        "version": post["version"],
        "section": post["section"],
        "body": text,
    }


def sequential(port: int, scenario: dict, count: int, warmup: int, seconds: float) -> dict:
    """One client: `warmup` then up to `count` requests within `seconds`; latencies in ms."""
    client = Client(port, scenario)
    for _ in range(warmup):
        client.one()
    latencies, failed = [], 0
    started = time.perf_counter()
    while len(latencies) + failed < count and time.perf_counter() - started < seconds:
        began = time.perf_counter()
        if client.one():
            latencies.append((time.perf_counter() - began) * 1000)
        else:
            failed += 1
    wall = time.perf_counter() - started
    client.conn.close()
    ordered = sorted(latencies) or [float("nan")]
    return {
        "requests": len(latencies) + failed,
        "failed": failed,
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 2),
        "rps1": round(len(latencies) / wall, 1),
    }


def _client_process(port, scenario, index, count, seconds, barrier, results) -> None:
    try:
        client = Client(port, scenario, index)
        client.one()  # warm the connection (and the server) outside the window
    except BaseException as error:  # the parent reports it
        barrier.abort()
        results.put((0, 1, 0.0, repr(error)))
        return
    barrier.wait()
    ok = failed = 0
    started = time.perf_counter()
    while ok + failed < count and time.perf_counter() - started < seconds:
        try:
            if client.one():
                ok += 1
            else:
                failed += 1
        except (OSError, http.client.HTTPException):
            failed += 1
    results.put((ok, failed, time.perf_counter() - started, ""))


def concurrent(port: int, scenario: dict, clients: int, total: int, seconds: float) -> dict:
    """`clients` processes, `total` requests among them within `seconds`; throughput."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(clients), context.Queue()
    share = max(1, total // clients)
    processes = [
        context.Process(
            target=_client_process, args=(port, scenario, n, share, seconds, barrier, results)
        )
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    problems = [a[3] for a in answers if a[3]]
    if problems:
        raise SystemExit(f"{scenario['name']}: a client failed: {problems[0]}")
    ok = sum(a[0] for a in answers)
    wall = max(a[2] for a in answers)
    failed = sum(a[1] for a in answers)
    # Each client's first request (before the window) is sent too: posts count it.
    return {"rps8": round(ok / wall, 1), "failed8": failed, "sent8": ok + failed + clients}


# --- what a request costs beside its time ---------------------------------------------------


def count_queries(scenarios: list[dict]) -> dict[str, int]:
    """SQL statements of one request per scenario, through Flask's test client in this
    process (a before_cursor_execute listener; the second request, so that the first's
    one-off work is left out)."""
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from bench.seed import READER_EMAIL, READER_PASSWORD

    app = create_app()
    counts: dict[str, int] = {}
    seen = [0]

    def counted(*_args, **_kwargs):
        seen[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counted)
    anonymous = app.test_client()
    signed_in = app.test_client()
    page = signed_in.get("/login", base_url=f"http://{HOST}").get_data()
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    signed_in.post(
        "/login",
        data={"csrf_token": token, "email": READER_EMAIL, "password": READER_PASSWORD},
        base_url=f"http://{HOST}",
    )
    for scenario in scenarios:
        if scenario["path"] == FLOOR_PATH:
            continue
        client = signed_in if scenario.get("auth") == "session" else anonymous
        headers = dict(scenario.get("headers", {}))
        kwargs = {"headers": headers, "base_url": f"http://{HOST}"}
        for n in range(2):
            if scenario.get("post"):
                kwargs["json"] = post_body(scenario["post"], 0, n)
            seen[0] = 0
            client.open(scenario["path"], method=scenario.get("method", "GET"), **kwargs)
        counts[scenario["name"]] = seen[0]
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", counted)
        db.engine.dispose()
    return counts


def sizes_of(port: int, scenario: dict) -> dict:
    """Bytes of the body as sent without compression, and gzipped: by the server when it
    compresses, else here (level 6)."""
    client = Client(port, scenario)
    _status, plain, _headers = client.send("GET", scenario["path"])
    _status, body, headers = client.send(
        "GET", scenario["path"], headers={"Accept-Encoding": "gzip"}
    )
    by_server = headers.get("Content-Encoding", "") == "gzip"
    zipped = len(body) if by_server else len(gzip.compress(plain, 6))
    return {"bytes": len(plain), "gzip": zipped, "gzip_by_server": by_server}


class _Assets(HTMLParser):
    """The page's own stylesheets and scripts, and every address of link/script/img/iframe."""

    def __init__(self):
        super().__init__()
        self.own: list[str] = []
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("link", "script", "img", "iframe"):
            return
        for name in ("src", "href", "srcset"):
            if attrs.get(name):
                self.addresses.extend(v.split()[0] for v in attrs[name].split(",") if v.strip())
        rel = (attrs.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel and attrs.get("href"):
            self.own.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.own.append(attrs["src"])


def page_assets(port: int, path: str) -> dict:
    """The CSS and JavaScript a page names on its own host (bytes before compression), and
    the addresses it names on another host."""
    client = Client(port, {"path": path})
    _status, page, _headers = client.send("GET", path)
    found = _Assets()
    found.feed(page.decode("utf-8", "replace"))
    foreign = sorted(
        {a for a in found.addresses if urlsplit(a).netloc not in ("", f"{HOST}:{port}", HOST)}
    )
    total, files = 0, {}
    for address in found.own:
        parts = urlsplit(address)
        if parts.netloc not in ("", f"{HOST}:{port}", HOST):
            continue
        _status, data, _headers = client.send(
            "GET", parts.path + (f"?{parts.query}" * bool(parts.query))
        )
        files[parts.path] = len(data)
        total += len(data)
    return {"css_js_bytes": total, "files": files, "foreign": foreign}


# --- a size ---------------------------------------------------------------------------------


def scenarios_for(site: dict) -> list[dict]:
    label, section = site["label"], site["busiest_section"]
    words = "public organisational change"
    return [
        {"name": "healthz", "path": "/healthz"},
        {"name": "floor (stored page)", "path": FLOOR_PATH},
        {"name": "paper page, anonymous", "path": f"/papers/{PAPER}/"},
        {"name": "paper page, conditional", "path": f"/papers/{PAPER}/", "conditional": True},
        {"name": "paper page, signed in", "path": f"/papers/{PAPER}/", "auth": "session"},
        {
            "name": "section threads",
            "path": f"/papers/{PAPER}/v/{label}/sections/{section}/",
        },
        {
            "name": "API list of 200",
            "path": f"/api/v1/papers/{PAPER}/versions/{label}/annotations?limit=200",
        },
        {"name": "search", "path": f"/api/v1/search?q={quote(words)}"},
        {"name": "glossary", "path": "/glossary/"},
    ]


def run_size(size: str, args, isso_venv: bool) -> dict:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"tpc-bench-{size}-") as tmp:
        workdir = Path(tmp)
        env = prepare_environment(workdir)
        # The site's modules read the environment when first imported: only now.
        from bench.reanchor import measure as measure_reanchoring
        from bench.seed import poster_token

        site = build_site(size, workdir)
        scenarios = scenarios_for(site)
        thread_path = f"/api/v1/annotations/{site['thread_id']}"
        posting = {
            "name": "posting (API)",
            "method": "POST",
            "path": "/api/v1/annotations",
            "expect": 201,
            "post": {
                "to": "site",
                "paper": QUIET_PAPER,
                "version": site["quiet_label"],
                "section": site["quiet_section"],
            },
        }
        queries = count_queries(
            [
                *scenarios,
                {"name": "thread of 500", "path": thread_path},
                {**posting, "headers": {"Authorization": f"Bearer {poster_token(0)}"}},
            ]
        )
        # The floor's page: the anonymous paper page's bytes as the site answers them.
        from app import create_app as again

        page = again().test_client().get(f"/papers/{PAPER}/", base_url=f"http://{HOST}")
        floor_file = workdir / "floor.html"
        floor_file.write_bytes(page.get_data())
        port = free_port()
        server = Server(
            "gunicorn",
            port,
            {**env, "BENCH_FLOOR_FILE": str(floor_file)},
            threads=1,
            target="bench.floor:application()",
        )
        rows: dict[str, dict] = {}
        try:
            server.start()
            for scenario in scenarios:
                row = sequential(port, scenario, args.requests, args.warmup, args.seconds)
                row.update(concurrent(port, scenario, CLIENTS, args.clients_requests, args.seconds))
                row.update(sizes_of(port, scenario))
                row.update(queries=queries.get(scenario["name"]), url=scenario["path"])
                rows[scenario["name"]] = row
                print(f"{size} {scenario['name']}: {row}", file=sys.stderr)
            assets = page_assets(port, f"/papers/{PAPER}/")
            peer = compare_with_isso(
                port, workdir, env, site, thread_path, posting, args, isso_venv
            )
            rows["posting (API)"] = peer.pop("posting row")
            rows["posting (API)"]["queries"] = queries.get("posting (API)")
            rows["thread of 500"] = peer.pop("thread row")
            rows["thread of 500"]["queries"] = queries.get("thread of 500")
            rss = server.worker_rss_mb()
        finally:
            server.stop()
    floor = rows["floor (stored page)"]
    for row in rows.values():
        row["floor_share"] = round(100 * row["rps8"] / floor["rps8"], 1) if floor["rps8"] else None
    reanchoring = measure_reanchoring(10_000)
    return {
        "size": size,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "minutes": round((time.monotonic() - began) / 60, 1),
        "machine": machine(),
        "server": "gunicorn, 1 worker, 1 thread, 127.0.0.1; SQLite (WAL, synchronous=NORMAL)",
        "load": {
            "sequential": args.requests,
            "clients": CLIENTS,
            "clients_requests": args.clients_requests,
            "seconds_cap": args.seconds,
            "posts": args.posts,
            "post_seconds_cap": args.post_seconds,
        },
        "site": site,
        "rows": rows,
        "worker_rss_mb": rss,
        "assets": assets,
        "peer": peer,
        "reanchoring": {
            "threads": reanchoring["threads"],
            "seconds": round(reanchoring["seconds"], 3),
            "statuses": dict(reanchoring["statuses"]),
        },
    }


def compare_with_isso(port, workdir, env, site, thread_path, posting, args, isso_venv) -> dict:
    """The long thread read through the site and through isso; posts through each, with 1
    and 8 clients, counted afterwards."""
    from bench.peer import SQLITE_SETTINGS, Isso
    from bench.seed import POSTERS

    database = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))

    def annotations() -> int:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT count(*) FROM annotations").fetchone()[0]

    from bench.seed import poster_token

    result: dict = {"ours_thread_url": thread_path, "sqlite": SQLITE_SETTINGS}
    read = {"name": "thread of 500", "path": thread_path}
    row = sequential(port, read, args.requests, args.warmup, args.seconds)
    row.update(concurrent(port, read, CLIENTS, args.clients_requests, args.seconds))
    row.update(sizes_of(port, read), url=thread_path)
    result["thread row"] = row

    def post_scenario(n: int) -> dict:
        headers = {"Authorization": f"Bearer {poster_token(n % POSTERS)}"}
        return {**posting, "headers": headers}

    ours = _posts(port, post_scenario, annotations, args)
    result["posting row"] = {**ours, "url": posting["path"]}
    if not isso_venv:
        result["isso"] = "skipped (--no-peer)"
        return result
    isso_port = free_port()
    isso = Isso(isso_port, workdir, f"http://{HOST}:{port}/")
    try:
        isso.start()
        uri = quote("/bench/thread/", safe="")
        seed = Client(isso_port, {"path": "/"})
        for n in range(LONG_THREAD):
            body = json.dumps(post_body({"to": "isso"}, 0, n)).encode()
            status, _data, _h = seed.send(
                "POST", f"/new?uri={uri}", body, {"Content-Type": "application/json"}
            )
            if status != 201:
                raise SystemExit(f"isso refused a comment: HTTP {status}")
        isso_read = {"name": "isso thread of 500", "path": f"/?uri={uri}"}
        isso_row = sequential(isso_port, isso_read, args.requests, args.warmup, args.seconds)
        isso_row.update(
            concurrent(isso_port, isso_read, CLIENTS, args.clients_requests, args.seconds)
        )
        isso_row.update(sizes_of(isso_port, isso_read), url=isso_read["path"])
        post_uri = quote("/bench/posts/", safe="")
        isso_post = {
            "name": "isso posting",
            "method": "POST",
            "path": f"/new?uri={post_uri}",
            "expect": 201,
            "post": {"to": "isso"},
        }
        isso_posts = _posts(isso_port, lambda _n: isso_post, isso.comments, args)
        isso_rss = worker_rss_mb(isso.process.pid)
    finally:
        isso.stop()
    result.update(
        isso={"thread": isso_row, "posting": isso_posts, "worker_rss_mb": isso_rss},
        read_p50_ratio=round(row["p50"] / isso_row["p50"], 2),
        post_rps1_ratio=round(ours["rps1"] / isso_posts["rps1"], 2),
        post_rps8_ratio=round(ours["rps8"] / isso_posts["rps8"], 2),
    )
    return result


def _posts(port: int, scenario_for, rows, args) -> dict:
    """`--posts` posts with 1 client, then as many among 8; rows counted before and after each.
    Lost: posts sent but not stored (refused or dropped)."""
    scenario = scenario_for(0)
    before = rows()
    one = sequential(port, scenario, args.posts, 0, args.post_seconds)
    middle = rows()
    eight = concurrent(port, scenario, CLIENTS, args.posts, args.post_seconds)
    after = rows()
    stored1, stored8 = middle - before, after - middle
    lost = max(0, one["requests"] - stored1) + max(0, eight["sent8"] - stored8)
    return {**one, **eight, "stored1": stored1, "stored8": stored8, "lost": lost}


# --- output ---------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else platform.processor() or "unknown"
        ram = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory = f"{int(ram.group(1)) / 1024 / 1024:.1f} GB" if ram else "unknown"
    except OSError:
        memory = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
    }


COLUMNS = ["p50 ms", "p95 ms", "rps@1", "rps@8", "queries", "bytes", "gzip", "% floor"]


def table(result: dict) -> str:
    """The scenarios of one size, one row each."""
    names = list(result["rows"])
    cells = []
    for name in names:
        r = result["rows"][name]
        gzip_cell = "-"
        if "gzip" in r:
            gzip_cell = f"{r['gzip']:,}" + ("" if r.get("gzip_by_server") else "*")
        cells.append(
            [
                name,
                f"{r['p50']:.1f}",
                f"{r['p95']:.1f}",
                f"{r['rps1']:.0f}",
                f"{r['rps8']:.0f}",
                "-" if r.get("queries") is None else str(r["queries"]),
                f"{r['bytes']:,}" if "bytes" in r else "-",
                gzip_cell,
                "-" if r.get("floor_share") is None else f"{r['floor_share']:.0f}%",
            ]
        )
    header = ["scenario", *COLUMNS]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]

    def line(row):
        rest = (c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))
        return "  ".join([row[0].ljust(widths[0]), *rest])

    site, peer = result["site"], result["peer"]
    made = site["made"]
    out = [
        f"size {result['size']}: {made.get('threads', 0) + made.get('replies', 0):,} "
        f"annotations ({made.get('threads', 0):,} threads), {made.get('terms', 0)} terms, "
        f"{made.get('accounts', 0)} accounts; busiest section {site['busiest_section']} "
        f"({site['busiest_threads']} threads); {result['server']}",
        line(header),
        line(["-" * w for w in widths]),
        *(line(row) for row in cells),
        "* gzipped here: the server sent it uncompressed.  % floor: rps@8 / the floor's rps@8.",
        f"worker RSS after the load: {result['worker_rss_mb']} MB; paper page's own CSS+JS: "
        f"{result['assets']['css_js_bytes']:,} bytes; other hosts named: "
        f"{', '.join(result['assets']['foreign']) or 'none'}",
        f"re-anchoring {result['reanchoring']['threads']:,} threads: "
        f"{result['reanchoring']['seconds']:.2f} s; this size took {result['minutes']} min "
        f"(generating {site['generate_seconds']:.0f} s, indexing {site['reindex_seconds']:.0f} s)",
    ]
    isso = peer.get("isso")
    if isinstance(isso, dict):
        ours_post = result["rows"]["posting (API)"]
        out += [
            f"isso 0.13 (same server settings; SQLite: {peer['sqlite']}):",
            f"  500-comment thread: ours {peer['ours_thread_url']} p50 "
            f"{result['rows']['thread of 500']['p50']:.1f} ms, isso GET /?uri= p50 "
            f"{isso['thread']['p50']:.1f} ms → ratio {peer['read_p50_ratio']:.2f}",
            f"  posting {result['load']['posts']:,} with 1 client: ours {ours_post['rps1']:.0f}/s "
            f"(p50 {ours_post['p50']:.1f} ms), isso {isso['posting']['rps1']:.0f}/s "
            f"(p50 {isso['posting']['p50']:.1f} ms) → ratio {peer['post_rps1_ratio']:.2f}",
            f"  posting {result['load']['posts']:,} with 8 clients: ours "
            f"{ours_post['rps8']:.0f}/s, isso "
            f"{isso['posting']['rps8']:.0f}/s → ratio {peer['post_rps8_ratio']:.2f}; lost: "
            f"ours {ours_post['lost']}, isso {isso['posting']['lost']}",
            f"  isso worker RSS {isso['worker_rss_mb']} MB",
        ]
    else:
        out.append(f"isso: {isso}")
    return "\n".join(out)


def targets(result: dict, small: dict | None) -> list[tuple[str, str, str]]:
    """(target, figure, PASS/MISS) for the issue's targets, on this size's figures (the
    issue asks them at L); growth compares with size S's results."""
    rows, peer = result["rows"], result["peer"]
    anon, signed = rows["paper page, anonymous"], rows["paper page, signed in"]
    health = rows["healthz"]["p50"]
    floor = rows["floor (stored page)"]["rps8"]
    verdict = []

    def add(name: str, figure: str, ok: bool | None, needs: str | None = "S") -> None:
        """ok None: not measurable here, for want of size `needs` (or not at all)."""
        if ok is None:
            verdict.append((name, figure, f"needs {needs}" if needs else "n/a"))
        else:
            verdict.append((name, figure, "PASS" if ok else "MISS"))

    add(
        "anonymous page ≥ 50% of the floor's throughput (8 clients)",
        f"{anon['rps8']:.0f} / {floor:.0f} req/s = {anon['floor_share']:.0f}%",
        anon["floor_share"] >= 50,
    )
    add(
        "signed-in page p50 ≤ 8× /healthz p50",
        f"{signed['p50']:.1f} ms = {signed['p50'] / health:.1f}× {health:.1f} ms",
        signed["p50"] <= 8 * health,
    )
    # Against S: nothing to compare at S itself, and "needs S" until S has run.
    small = None if result["size"] == "S" else small
    other = "S" if result["size"] != "S" else None
    same = None if small is None else small["rows"]["paper page, signed in"]["queries"]
    add(
        "signed-in page: constant number of SQL queries (as at S)",
        f"{signed['queries']} queries" + ("" if same is None else f" (S: {same})"),
        None if same is None else signed["queries"] == same,
        other,
    )
    for name, row in (("anonymous", anon), ("signed in", signed)):
        key = "paper page, anonymous" if row is anon else "paper page, signed in"
        base = None if small is None else small["rows"][key]["p50"]
        add(
            f"growth: paper page ({name}) p50 at {result['size']} ≤ 1.5× at S",
            "-" if base is None else f"{row['p50']:.1f} / {base:.1f} ms = {row['p50'] / base:.2f}×",
            None if base is None else row["p50"] <= 1.5 * base,
            other,
        )
    if isinstance(peer.get("isso"), dict):
        posting = rows["posting (API)"]
        add(
            "500-comment thread read p50, ours/isso ≤ 1.0",
            f"{peer['read_p50_ratio']:.2f}",
            peer["read_p50_ratio"] <= 1.0,
        )
        add(
            "posting throughput ours/isso ≥ 1.0, 1 client",
            f"{peer['post_rps1_ratio']:.2f}",
            peer["post_rps1_ratio"] >= 1.0,
        )
        add(
            "posting throughput ours/isso ≥ 1.0, 8 clients",
            f"{peer['post_rps8_ratio']:.2f}",
            peer["post_rps8_ratio"] >= 1.0,
        )
        add("posts lost: 0", f"{posting['lost']}", posting["lost"] == 0)
    search = rows["search"]["p50"]
    made = result["site"]["made"]
    total = made.get("threads", 0) + made.get("replies", 0)
    add(
        f"search p50 ≤ 10× /healthz p50 ({total:,} annotations)",
        f"{search:.1f} ms = {search / health:.1f}×",
        search <= 10 * health,
    )
    seconds = result["reanchoring"]["seconds"]
    add("re-anchoring 10,000 threads ≤ 10 s", f"{seconds:.2f} s", seconds <= 10)
    rss = result["worker_rss_mb"]
    add("worker RSS ≤ 120 MB", f"{rss} MB", rss is not None and rss <= 120)
    add(
        "paper page HTML ≤ 150 KB gzipped",
        f"{anon['gzip'] / 1024:.1f} KB",
        anon["gzip"] <= 150 * 1024,
    )
    own = result["assets"]["css_js_bytes"]
    add("paper page's own CSS+JS ≤ 100 KB", f"{own / 1024:.1f} KB", own <= 100 * 1024)
    foreign = result["assets"]["foreign"]
    add("no request to another host", ", ".join(foreign) or "none", not foreign)
    return verdict


def targets_text(verdict: list[tuple[str, str, str]], size: str) -> str:
    width = max(len(name) for name, _f, _v in verdict)
    lines = [f"targets (the issue's, at L; these are the figures at {size}):"]
    lines += [
        f"  {verdict_:7}  {name.ljust(width)}  {figure}" for name, figure, verdict_ in verdict
    ]
    return "\n".join(lines)


def machine_text(info: dict, date: str) -> str:
    return (
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram']} RAM, {info['system']}, "
        f"Python {info['python']}, SQLite {info['sqlite']}; {date}"
    )


def write_readme(texts: list[str]) -> None:
    """The latest tables between the README's two markers."""
    readme = README.read_text(encoding="utf-8")
    if README_BEGIN not in readme or README_END not in readme:
        raise SystemExit(f"README.md lacks the markers {README_BEGIN} and {README_END}")
    head, rest = readme.split(README_BEGIN, 1)
    _old, tail = rest.split(README_END, 1)
    block = "\n```text\n" + "\n\n".join(texts) + "\n```\n"
    README.write_text(head + README_BEGIN + block + README_END + tail, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["S", "M"], type=str.upper, choices=["S", "M", "L"]
    )
    parser.add_argument("--requests", type=int, default=200, help="sequential, per scenario")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured, per scenario")
    parser.add_argument(
        "--clients-requests", type=int, default=400, help="among the 8 clients, per scenario"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="cap per measurement")
    parser.add_argument("--post-seconds", type=float, default=40.0, help="cap per posting run")
    parser.add_argument("--posts", type=int, default=POSTS, help="per posting run, per server")
    parser.add_argument("--no-peer", action="store_true", help="leave isso out")
    parser.add_argument("--readme", action="store_true", help="write the tables into README.md")
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 5000))
    args.clients_requests = max(CLIENTS, min(args.clients_requests, 20000))
    args.warmup = max(0, min(args.warmup, 500))
    if not _has_gunicorn():
        raise SystemExit("the benchmark needs gunicorn (Linux or macOS)")
    sizes = list(dict.fromkeys(args.sizes))
    if len(sizes) > 1:
        # The site reads its environment once per process: each size runs in a process of
        # its own (this script, with the same options), and its results come back in JSON.
        options = [a for a in sys.argv[1:] if a != "--readme"]
        if "--sizes" in options:
            start = options.index("--sizes")
            end = start + 1
            while end < len(options) and not options[end].startswith("--"):
                end += 1
            del options[start:end]
        for size in sizes:
            command = [sys.executable, str(Path(__file__).resolve()), *options, "--sizes", size]
            if subprocess.run(command, check=False).returncode != 0:
                raise SystemExit(f"size {size} failed")
    else:
        measure_size(sizes[0], args)
    if args.readme:
        results = [json.loads((RESULTS / f"{size}.json").read_text()) for size in sizes]
        write_readme([report(result) for result in results])
    return 0


def measure_size(size: str, args) -> None:
    """Run one size, judge it against the targets, write its JSON and print its report."""
    result = run_size(size, args, not args.no_peer)
    small_file = RESULTS / "S.json"
    small = json.loads(small_file.read_text()) if small_file.exists() else None
    if size == "S":
        small = result
    verdict = targets(result, small)
    result["targets"] = [{"target": t, "figure": f, "verdict": v} for t, f, v in verdict]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{size}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(report(result) + "\n", flush=True)


def report(result: dict) -> str:
    """The table, the targets and the machine of one size's results."""
    verdict = [(t["target"], t["figure"], t["verdict"]) for t in result["targets"]]
    return "\n".join(
        [
            table(result),
            targets_text(verdict, result["size"]),
            machine_text(result["machine"], result["date"]),
        ]
    )


def _has_gunicorn() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return sys.platform != "win32"


if __name__ == "__main__":
    sys.exit(main())
