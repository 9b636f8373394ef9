"""Reliability under concurrent writers, kill -9 and fuzzing, on SQLite and PostgreSQL.

    python bench/reliability.py [--clients 16] [--posts 50] [--rounds 10]
                                [--fuzz-examples 40] [--only sqlite|postgres] [--json FILE]

For each database — an SQLite file in a temporary folder, and a fresh PostgreSQL database
(`tpc_reliability` beside $RELIABILITY_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; created, then dropped) — a child
process of this script migrates it (`flask db upgrade`), imports papers/
(`flask papers import`), makes `--clients` participants with API tokens (`flask users
create`, `flask users token`), and starts `gunicorn wsgi:app -w 4` on a free port of
127.0.0.1 with the production configuration and rate limits off. Then three phases:

- load: each client (a thread) sends `--posts` POST /api/v1/annotations, threads and
  replies mixed, with a read (a section's thread list, or one thread) after each;
- crash: `--rounds` rounds of the same load in which, after a random short delay, the
  whole gunicorn process group (master and workers) gets SIGKILL, and gunicorn is started
  again; a post whose connection broke is sent again, with the same body and
  `Idempotency-Key`, up to 3 times, once the server is back;
- fuzz: schemathesis (`schemathesis run`) against the server's OpenAPI document with a
  participant's token, the same checks as tests/web/test_fuzz_api.py (no 5xx, status
  codes, content types and bodies as declared) and a longer budget.

Every post carries a unique marker in its body and a uuid4 `Idempotency-Key`. After each
phase the database is read directly (SQLAlchemy): posts acknowledged (201 received),
stored, lost (acknowledged but not stored), duplicated (a marker stored more than once);
rows whose reference leads nowhere; half-written threads and idempotency records (see
`half_written`); SQLite's `PRAGMA integrity_check`; and the 5xx answers. One markdown
table is printed, a row per database and phase, and written with the details to
bench/results/reliability.json.
Nothing is sent anywhere but 127.0.0.1; counts and times are bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
API = "/api/v1"
PAPER = "think-paper-1"
VERSION = "5.0"
TIMEOUT = 30.0
RETRIES = 3
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "tpc_reliability"
WRITER = "writer"  # the writers' e-mail addresses begin so
MARKER = re.compile(r"\[rel:(\w+):([0-9a-f]{32})\]")
FUZZ_CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "reliability.json"

sys.path.insert(0, str(ROOT))

from bench.databases import drop_postgres, postgres_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the server ----------------------------------------------------------------------------


class Gunicorn:
    """`gunicorn wsgi:app -w 4` in a process group of its own, so that one SIGKILL reaches
    the master and every worker at once, as a power cut or the OOM killer would."""

    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.port, self.env, self.log = port, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start and wait until /healthz answers; the seconds that took."""
        started = time.monotonic()
        gunicorn = shutil.which("gunicorn", path=str(BIN)) or shutil.which("gunicorn")
        command = [gunicorn, "wsgi:app", "-w", "4", "-b", f"{HOST}:{self.port}",
                   "--log-level", "warning", "--timeout", "60"]  # fmt: skip
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = started + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited with {code}; see {self.log}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready on port {self.port} after 60 s")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no worker finishes its request."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Post:
    marker: str
    key: str
    payload: dict[str, Any]
    status: int | None = None
    attempts: int = 0

    @property
    def acknowledged(self) -> bool:
        return self.status == 201


@dataclass
class Tally:
    """What the clients of one phase sent and got back."""

    posts: list[Post] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, status: int, body: bytes) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 400 and len(self.unexpected) < 20:
                self.unexpected.append(f"{method} {path} → {status}: {body[:200]!r}")


class Client:
    """One participant: a keep-alive connection and a bearer token."""

    def __init__(self, index: int, token: str, port: int, shared: Shared, phase: str):
        self.index, self.token, self.port = index, token, port
        self.shared, self.phase = shared, phase
        self.rng = random.Random(f"{phase}-{index}")
        self.conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, data

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept-Encoding": "identity"}

    def read(self, tally: Tally) -> None:
        """A section's thread list or one thread, as a reader between posts would."""
        known = self.shared.ids()
        if known and self.rng.random() < 0.5:
            path = f"{API}/annotations/{self.rng.choice(known)}"
        else:
            section = self.rng.choice(self.shared.sections)
            path = f"{API}/papers/{PAPER}/versions/{VERSION}/annotations?section={section}&limit=20"
        try:
            status, data = self._request("GET", path, None, self._headers())
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.connection_errors += 1
            return
        tally.answer("GET", path, status, data)

    def new_post(self) -> Post:
        marker = f"[rel:{self.phase}:{uuid.uuid4().hex}]"
        known = self.shared.ids()
        if known and self.rng.random() < 0.4:
            payload = {"parent": self.rng.choice(known), "body": f"A reply. {marker}"}
        else:
            payload = {
                "paper": PAPER,
                "version": VERSION,
                "section": self.rng.choice(self.shared.sections),
                "body": f"A comment on this section. {marker}",
            }
        return Post(marker=marker, key=str(uuid.uuid4()), payload=payload)

    def send(self, post: Post, tally: Tally) -> None:
        """POST it; on a broken connection wait for the server and send it again with the
        same key and body, up to RETRIES times."""
        body = json.dumps(post.payload).encode()
        headers = {**self._headers(), "Content-Type": "application/json",
                   "Idempotency-Key": post.key}  # fmt: skip
        while post.attempts <= RETRIES:
            post.attempts += 1
            try:
                status, data = self._request("POST", f"{API}/annotations", body, headers)
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.connection_errors += 1
                self.shared.server_up.wait(timeout=90)
                continue
            post.status = status
            tally.answer("POST", f"{API}/annotations", status, data)
            if status == 201:
                self.shared.add(json.loads(data)["id"])
            return

    def run(self, count: int, tally: Tally, stop: threading.Event) -> None:
        for _ in range(count):
            if stop.is_set():
                break
            post = self.new_post()
            with tally.lock:
                tally.posts.append(post)
            self.send(post, tally)
            if not stop.is_set():
                self.read(tally)
        if self.conn is not None:
            self.conn.close()


class Shared:
    """What the clients share: the section keys, the ids posted so far, the server's state."""

    def __init__(self, sections: list[str]):
        self.sections = sections
        self._ids: list[int] = []
        self._lock = threading.Lock()
        self.server_up = threading.Event()
        self.server_up.set()

    def add(self, annotation_id: int) -> None:
        with self._lock:
            self._ids.append(annotation_id)

    def ids(self) -> list[int]:
        with self._lock:
            return self._ids[-200:]


def load(clients: list[Client], count: int, tally: Tally, stop: threading.Event) -> None:
    threads = [threading.Thread(target=c.run, args=(count, tally, stop)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- what the database holds ---------------------------------------------------------------


def stored_markers(engine, phase: str) -> Counter:
    from sqlalchemy import text

    with engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM annotations WHERE body LIKE :p"), {"p": f"%[rel:{phase}:%"}
        ).scalars()
        return Counter(m.group(0) for body in bodies for m in MARKER.finditer(body))


def orphans(engine) -> dict[str, int]:
    """Rows whose foreign key names a row that does not exist, per table and column."""
    from sqlalchemy import exists, func, select

    from app.models import Base

    found: dict[str, int] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                child, parent = fk.parent, fk.column.table.alias("parent")
                target = parent.columns[fk.column.name]
                query = (
                    select(func.count())
                    .select_from(table)
                    .where(child.isnot(None), ~exists().where(target == child))
                )
                n = conn.execute(query).scalar_one()
                if n:
                    found[f"{table.name}.{child.name}"] = n
    return found


# Each query counts annotations that a transaction left half-way: a thread's parts that do
# not agree, or a row missing beside one that needs it.
HALF_WRITTEN = {
    "reply without its parent or root": """
        SELECT count(*) FROM annotations a WHERE a.parent_id IS NOT NULL AND (a.root_id IS NULL
          OR NOT EXISTS (SELECT 1 FROM annotations p WHERE p.id = a.parent_id)
          OR NOT EXISTS (SELECT 1 FROM annotations r WHERE r.id = a.root_id))""",
    "reply whose root is not its parent's root": """
        SELECT count(*) FROM annotations a JOIN annotations p ON p.id = a.parent_id
        WHERE a.root_id <> COALESCE(p.root_id, p.id) OR a.depth <> p.depth + 1""",
    "reply placed elsewhere than its thread": """
        SELECT count(*) FROM annotations a JOIN annotations r ON r.id = a.root_id
        WHERE r.parent_id IS NOT NULL OR a.paper_id <> r.paper_id
          OR a.version_id <> r.version_id OR a.section_key <> r.section_key""",
    "root with a root or depth": """
        SELECT count(*) FROM annotations WHERE parent_id IS NULL
          AND (root_id IS NOT NULL OR depth <> 0)""",
    "annotation on a section its version lacks": """
        SELECT count(*) FROM annotations a WHERE NOT EXISTS (SELECT 1 FROM sections s
          WHERE s.version_id = a.version_id AND s.key = a.section_key)""",
    "annotation on another paper's version": """
        SELECT count(*) FROM annotations a JOIN paper_versions v ON v.id = a.version_id
        WHERE v.paper_id <> a.paper_id""",
    "annotation without its rendered body": """
        SELECT count(*) FROM annotations WHERE body_html IS NULL
          OR (body_html = '' AND body <> '' AND status <> 'deleted')""",
    "passage without its quote, or section with one": """
        SELECT count(*) FROM annotations WHERE parent_id IS NULL
          AND ((target <> 'section' AND quote_exact IS NULL)
            OR (target = 'section' AND quote_exact IS NOT NULL))""",
    "hidden or rejected without its moderation log row": """
        SELECT count(*) FROM annotations a WHERE a.status IN ('hidden', 'rejected')
          AND NOT EXISTS (SELECT 1 FROM moderation_log m WHERE m.target_kind = 'annotation'
            AND m.target_id = a.id)""",
    "edited without its revision": """
        SELECT count(*) FROM annotations a WHERE a.edited_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM annotation_revisions r WHERE r.annotation_id = a.id)""",
    "thread without its anchor in a later version": """
        SELECT count(*) FROM annotations a JOIN paper_versions own ON own.id = a.version_id
        JOIN paper_versions later ON later.paper_id = own.paper_id
          AND later.sequence > own.sequence AND later.published_at IS NOT NULL
        WHERE a.parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM anchors n
          WHERE n.annotation_id = a.id AND n.version_id = later.id)""",
}


def half_written(engine) -> dict[str, int]:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        counts = {name: conn.execute(text(sql)).scalar_one() for name, sql in HALF_WRITTEN.items()}
        if inspect(conn).has_table("idempotency_records"):
            counts.update(_keys_half_written(conn))
    return {name: n for name, n in counts.items() if n}


def _keys_half_written(conn) -> dict[str, int]:
    """An Idempotency-Key's record is committed with its request's work: never without
    its answer, and never with an answer naming an annotation that was not stored. (The
    writers' records only: the fuzzing account may delete what it created.)"""
    from sqlalchemy import text

    empty = conn.execute(
        text("SELECT count(*) FROM idempotency_records WHERE status IS NULL")
    ).scalar_one()
    locations = conn.execute(
        text(
            "SELECT r.location FROM idempotency_records r JOIN users u ON u.id = r.owner_id"
            " WHERE u.email LIKE :writers AND r.location LIKE :p"
        ),
        {"writers": f"{WRITER}%", "p": f"%{API}/annotations/%"},
    ).scalars()
    named = {int(m.group(1)) for loc in locations if (m := re.search(r"/annotations/(\d+)$", loc))}
    stored = set(conn.execute(text("SELECT id FROM annotations")).scalars())
    return {
        "idempotency key without its answer": empty,
        "idempotency answer naming a missing annotation": len(named - stored),
    }


def integrity(engine) -> str:
    """SQLite's own check of the file (and of its foreign keys); PostgreSQL has none such
    (its orphaned rows are counted with the half-written ones)."""
    from sqlalchemy import text

    if engine.dialect.name != "sqlite":
        return "n/a"
    with engine.connect() as conn:
        result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        conn.execute(text("SELECT 1"))
    verdict = "ok" if result == ["ok"] else "; ".join(result[:3])
    return verdict if not fk else f"{verdict}; {len(fk)} foreign key violations"


def account(engine, phase: str, tally: Tally, seconds: float, **extra) -> dict[str, Any]:
    """The row of the table for one phase."""
    stored = stored_markers(engine, phase)
    acknowledged = {p.marker for p in tally.posts if p.acknowledged}
    broken = {**{f"orphaned {k}": v for k, v in orphans(engine).items()}, **half_written(engine)}
    return {
        "phase": phase,
        "posts": len(tally.posts),
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "lost": len(acknowledged - set(stored)),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1),
        "stored_unacknowledged": len(set(stored) - acknowledged),
        "half_written": sum(broken.values()),
        "half_written_detail": broken,
        "integrity": integrity(engine),
        "5xx": sum(n for s, n in tally.statuses.items() if s >= 500),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "connection_errors": tally.connection_errors,
        "retried": sum(1 for p in tally.posts if p.attempts > 1),
        "unexpected": tally.unexpected[:5],
        "seconds": round(seconds, 1),
        **extra,
    }


# --- one database, in a process of its own --------------------------------------------------


def prepare(database_url: str, workdir: Path, clients: int) -> tuple[dict[str, str], list[str]]:
    """Environment of the site, then migrate, import and make the accounts through the
    `flask` commands; the participants' tokens (the writers', then the fuzzing's)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"MAIL_SERVER", "TEST_DATABASE_URL"}},
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "SITE_URL": f"http://{HOST}:{port}",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "PAPERS_DIR": str(ROOT / "papers"),
        "RELIABILITY_PORT": str(port),
    }
    os.environ.update(env)
    from app import create_app

    app = create_app()
    cli = app.test_cli_runner()

    def flask(*args: str) -> str:
        result = cli.invoke(args=list(args))
        if result.exit_code != 0:
            raise RuntimeError(f"flask {' '.join(args)}: {result.output}{result.exception or ''}")
        return result.stdout

    flask("db", "upgrade")
    flask("papers", "import", *sorted(str(p) for p in (ROOT / "papers").glob("*/")))
    # The paper's comment period has dates; the measurement must not expire with them.
    from sqlalchemy import update

    from app.extensions import db
    from app.models import Paper

    with app.app_context():
        db.session.execute(update(Paper).values(comment_opens=None, comment_closes=None))
        db.session.commit()
        db.engine.dispose()
    tokens = []
    for n in range(clients + 1):  # the writers, then the fuzzing's participant
        email = f"{WRITER}{n}@example.org" if n < clients else "fuzzer@example.org"
        flask("users", "create", email, "--name", f"Participant {n}", "--role", "participant")
        tokens.append(flask("users", "token", email, "--label", "reliability").strip())
    return env, tokens


def sections(port: int) -> list[str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    conn.request("GET", f"{API}/papers/{PAPER}/versions/{VERSION}")
    keys = [s["key"] for s in json.loads(conn.getresponse().read())["sections"]]
    conn.close()
    return keys


def honours_keys(port: int, token: str, shared: Shared) -> bool:
    """Whether the server answers a repeated POST with the same Idempotency-Key with the
    first answer rather than a second annotation (the CONTRACT asks it to)."""
    client = Client(0, token, port, shared, "probe")
    post, tally = client.new_post(), Tally()
    ids = []
    for _ in range(2):
        post.attempts = 0
        client.send(post, tally)
        ids.append(shared.ids()[-1] if post.acknowledged else None)
    if client.conn is not None:
        client.conn.close()
    return ids[0] is not None and ids[0] == ids[1]


def crash_rounds(server: Gunicorn, tokens: list[str], shared: Shared, args) -> tuple[Tally, list]:
    """Rounds of load cut short by SIGKILL to every gunicorn process, then a restart."""
    rng = random.Random(args.seed)
    tally = Tally()
    rounds = []
    for n in range(args.rounds):
        stop = threading.Event()
        clients = [Client(i, t, server.port, shared, "crash") for i, t in enumerate(tokens)]
        threads = [
            threading.Thread(target=c.run, args=(args.round_posts, tally, stop)) for c in clients
        ]
        for thread in threads:
            thread.start()
        delay = rng.uniform(0.3, 1.5)
        time.sleep(delay)
        shared.server_up.clear()
        stop.set()
        in_flight = sum(1 for t in threads if t.is_alive())
        server.kill()
        restart = server.start()
        shared.server_up.set()
        for thread in threads:
            thread.join(timeout=120)
        rounds.append({"round": n + 1, "killed_after_s": round(delay, 2),
                       "clients_busy": in_flight, "restart_s": round(restart, 1)})  # fmt: skip
    return tally, rounds


def fuzz(port: int, token: str, workdir: Path, args) -> dict[str, Any]:
    """schemathesis against the running server: its verdict and the number of cases."""
    report = workdir / "schemathesis.json"
    command = [
        str(BIN / "schemathesis"), "run", f"http://{HOST}:{port}{API}/openapi.json",
        "--checks", FUZZ_CHECKS, "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(args.fuzz_examples), "--seed", str(args.seed),
        "--phases", "examples,coverage,fuzzing,stateful", "--max-time", str(args.fuzz_seconds),
        "--workers", "2", "--suppress-health-check", "all", "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=workdir,
                          timeout=args.fuzz_seconds + 120, check=False)  # fmt: skip
    seconds = time.monotonic() - started
    summary = _fuzz_summary(report)
    tail = done.stdout.strip().splitlines()[-12:]
    # An error of the run itself (not a failed check) is told in its own section.
    errors = done.stdout.find(" ERRORS ")
    told = done.stdout[errors : errors + 3000] if errors >= 0 else ""
    return {"exit_code": done.returncode, "seconds": round(seconds, 1), **summary, "tail": tail,
            "errors_text": told}  # fmt: skip


def _fuzz_summary(report: Path) -> dict[str, Any]:
    """Cases, failures by kind and server errors, from schemathesis' JSON report."""
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return {"cases": None, "failures": None, "server_errors": None}
    failures = {f"{f['code']} {f['title']}": f["count"] for f in data.get("failures", [])}
    failures.update({f"error: {e['title']}": e["count"] for e in data.get("errors", [])})
    server_errors = sum(
        f["count"] for f in data.get("failures", []) if f.get("type") == "ServerError"
    )
    return {
        "cases": data.get("test_cases", {}).get("generated"),
        "cases_failing": data.get("test_cases", {}).get("with_failures"),
        "failures": failures,
        "server_errors": server_errors,
        "operations": data.get("operations", {}).get("tested"),
    }


def run_leg(name: str, database_url: str, args) -> list[dict[str, Any]]:
    """The three phases on one database; the table's rows."""
    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory(prefix=f"tpc-reliability-{name}-") as tmp:
        workdir = Path(tmp)
        env, tokens = prepare(database_url, workdir, args.clients)
        tokens, fuzzer = tokens[:-1], tokens[-1]
        # Only now: config.py reads the environment when it is first imported.
        from config import database_url as normalise

        engine = create_engine(normalise(database_url))
        server = Gunicorn(int(env["RELIABILITY_PORT"]), env, workdir / "gunicorn.log")
        rows = []
        try:
            server.start()
            shared = Shared(sections(server.port))
            keys = honours_keys(server.port, tokens[0], shared)

            started = time.monotonic()
            tally = Tally()
            clients = [Client(i, t, server.port, shared, "load") for i, t in enumerate(tokens)]
            load(clients, args.posts, tally, threading.Event())
            rows.append(account(engine, "load", tally, time.monotonic() - started, keys=keys))

            started = time.monotonic()
            tally, rounds = crash_rounds(server, tokens, shared, args)
            seconds = time.monotonic() - started
            rows.append(account(engine, "crash", tally, seconds, rounds=rounds, keys=keys))

            fuzzed = fuzz(server.port, fuzzer, workdir, args)
            broken = {**{f"orphaned {k}": v for k, v in orphans(engine).items()},
                      **half_written(engine)}  # fmt: skip
            rows.append(
                {
                    "phase": "fuzz",
                    "half_written": sum(broken.values()),
                    "half_written_detail": broken,
                    "integrity": integrity(engine),
                    "5xx": fuzzed.get("server_errors"),
                    **fuzzed,
                }
            )
        finally:
            server.stop()
            engine.dispose()
            log = (workdir / "gunicorn.log").read_text(errors="replace")
            errors = log.count("Traceback")
            for row in rows:
                row["server_tracebacks"] = errors
            if errors:
                print(log[-3000:], file=sys.stderr)
        return rows


# --- the parent: both databases, the table --------------------------------------------------


def child(name: str, url: str, args) -> list[dict[str, Any]]:
    """A leg in a process of its own: the configuration is read once per process."""
    command = [sys.executable, __file__, "--leg", name, "--leg-url", url, *args.passed]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    sys.stderr.write(done.stderr[-4000:])
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return [{"phase": "all", "failed": f"exit {done.returncode}: {done.stderr[-500:]}"}]
    return json.loads(lines[-1])


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "–" if value is None else str(value)


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    head = ["database", "phase", "posts", "acknowledged", "stored", "lost", "duplicated",
            "half-written", "integrity", "5xx", "seconds", "notes"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for database, rows in results.items():
        for row in rows:
            if "skipped" in row or "failed" in row:
                cells = [database, row.get("phase", "all")] + ["–"] * 9
                cells.append(row.get("skipped") or f"failed: {row['failed']}")
            else:
                cells = [database, row["phase"]]
                cells += [_cell(row, k) for k in ("posts", "acknowledged", "stored", "lost",
                          "duplicated", "half_written", "integrity", "5xx", "seconds")]  # fmt: skip
                cells.append(_notes(row))
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def _notes(row: dict[str, Any]) -> str:
    if row["phase"] == "fuzz":
        failures = row.get("failures") or {}
        listed = ", ".join(f"{k} ×{v}" for k, v in failures.items()) or "no failures"
        return f"{row.get('cases')} cases on {row.get('operations')} operations; {listed}"
    notes = []
    if row["phase"] == "crash":
        notes.append(f"{len(row.get('rounds', []))} kill -9 rounds")
    notes.append(f"{row['retried']} retried with their key")
    if not row.get("keys"):
        notes.append("Idempotency-Key not honoured by this server")
    if row.get("stored_unacknowledged"):
        notes.append(f"{row['stored_unacknowledged']} stored unacknowledged")
    other = {k: v for k, v in row["statuses"].items() if k not in {"200", "201"}}
    if other:
        notes.append("answers " + ", ".join(f"{k} ×{v}" for k, v in other.items()))
    return "; ".join(notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--posts", type=int, default=50, help="per client in the load phase")
    parser.add_argument("--rounds", type=int, default=10, help="kill -9 rounds")
    parser.add_argument("--round-posts", type=int, default=10, help="per client and round, at most")
    parser.add_argument("--fuzz-examples", type=int, default=100, help="per operation")
    parser.add_argument("--fuzz-seconds", type=int, default=45, help="the fuzzing's time budget")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--leg", help=argparse.SUPPRESS)
    parser.add_argument("--leg-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 64))
    args.posts = max(1, min(args.posts, 500))
    args.rounds = max(0, min(args.rounds, 50))
    args.round_posts = max(1, min(args.round_posts, 100))
    args.fuzz_examples = max(1, min(args.fuzz_examples, 1000))
    args.fuzz_seconds = max(10, min(args.fuzz_seconds, 600))
    if args.leg:
        print(json.dumps(run_leg(args.leg, args.leg_url, args), default=str))
        return 0
    args.passed = [f"--clients={args.clients}", f"--posts={args.posts}",
                   f"--rounds={args.rounds}", f"--round-posts={args.round_posts}",
                   f"--fuzz-examples={args.fuzz_examples}", f"--fuzz-seconds={args.fuzz_seconds}",
                   f"--seed={args.seed}"]  # fmt: skip

    results: dict[str, list[dict[str, Any]]] = {}
    started = time.monotonic()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="tpc-reliability-db-") as folder:
            results["SQLite"] = child("sqlite", f"sqlite:///{folder}/site.sqlite3", args)
    if args.only in (None, "postgres"):
        admin = os.environ.get("RELIABILITY_POSTGRES_URL", PG_DEFAULT)
        url, reason = postgres_database(admin, PG_DATABASE)
        if url is None:
            results["PostgreSQL"] = [{"phase": "all", "skipped": f"skipped: {reason}"}]
        else:
            try:
                results["PostgreSQL"] = child("postgres", url, args)
            finally:
                drop_postgres(admin, PG_DATABASE)
    print(table(results))
    print(f"\n{args.clients} clients; {time.monotonic() - started:.0f} s in all")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    internal = {"json", "leg", "leg_url", "passed"}
    settings = {k: v for k, v in vars(args).items() if k not in internal}
    args.json.write_text(json.dumps({"settings": settings, "results": results}, indent=2,
                                    default=str) + "\n")  # fmt: skip
    # Duplicates count once the server honours Idempotency-Key; before, they are expected.
    bad = any(
        row.get("failed") or row.get("lost") or row.get("half_written") or row.get("5xx")
        or (row.get("keys") and row.get("duplicated"))
        or row.get("integrity") not in (None, "ok", "n/a")
        for rows in results.values() for row in rows
    )  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
