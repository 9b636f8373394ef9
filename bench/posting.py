"""What posting an annotation costs: throughput, latency, SQL statements and worker memory.

    python bench/posting.py [--posts 400] [--clients 1,8] [--seed-threads 0]
                            [--profile] [--statements] [--json FILE]

Builds a private site in a temporary folder (SQLite, production configuration, rate
limits off), imports papers/think-paper-1 and makes one participant with an API token
per client (`flask users create`, `flask users token`), as an integrator would. Then:

- `--statements`: one POST /api/v1/annotations in-process (Flask's test client) with the
  SQL statements it sends, listed;
- `--profile`: 200 POSTs in-process under cProfile, the functions that take the time;
- otherwise (and also after those): gunicorn with 1 worker and 1 thread on a free port
  of 127.0.0.1; for each number of clients, that many processes post `--posts` new
  threads in all (a bearer token each, one keep-alive connection each, an
  `Idempotency-Key` on every post, a third of them on a quoted passage), and the rows are
  counted afterwards: a post answered 201 and not stored is lost. The worker's resident
  memory (from /proc) is read after start and after each load.

`--seed-threads N` adds N threads (bulk, bench/seed.py) first, `--seed-elsewhere M` M more
on a copy of the paper under another name (100,000 in all with 8,000 on Think Paper 1 is
the shape of a big site), and `--reads N` sends N
GETs of each of a few reading pages after the loads: the worker's memory at size.
Nothing is sent anywhere but 127.0.0.1; counts and times are bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PAPER = "think-paper-1"
TIMEOUT = 30.0
MAX_POSTS = 20_000

sys.path.insert(0, str(ROOT))

from bench.run import free_port, prepare_environment, stop_process  # noqa: E402


def build(clients: int, seed_threads: int, elsewhere: int = 0) -> tuple[list[str], dict]:
    """Migrate, import Think Paper 1, open its comment period for good, make the
    participants; their tokens and what a post needs to know of the paper. `elsewhere`
    threads go on a copy of Think Paper 1 under another name (the rest of a big site)."""
    from sqlalchemy import select, update

    from app import create_app
    from app.extensions import db
    from app.models import Paper, PaperVersion, Section, User

    app = create_app()
    cli = app.test_cli_runner()

    def flask(*args: str) -> str:
        result = cli.invoke(args=list(args))
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(args)}: {result.output}{result.exception or ''}")
        return result.stdout

    flask("db", "upgrade")
    flask("papers", "import", str(ROOT / "papers" / PAPER))
    if elsewhere:
        copy = Path(os.environ["MAIL_OUTBOX_DIR"]).parent / "papers" / f"{PAPER}-copy"
        shutil.copytree(ROOT / "papers" / PAPER, copy)
        flask("papers", "import", str(copy))
    tokens = []
    for n in range(clients):
        email = f"poster{n}@example.org"
        flask("users", "create", email, "--name", f"Poster {n}", "--role", "participant")
        tokens.append(flask("users", "token", email, "--label", "posting").strip())
    with app.app_context():
        db.session.execute(update(Paper).values(comment_opens=None, comment_closes=None))
        version = db.session.scalar(
            select(PaperVersion).join(Paper).where(Paper.slug == PAPER).order_by(
                PaperVersion.sequence.desc()).limit(1)
        )  # fmt: skip
        sections = [
            (s.key, s.text)
            for s in db.session.scalars(select(Section).where(Section.version_id == version.id))
            if len(s.text) > 200
        ]
        from bench.seed import seed_annotations

        if seed_threads:
            seed_annotations(PAPER, seed_threads, 0)
        if elsewhere:
            # bench/seed.py makes its 40 authors anew each time, under the same addresses.
            db.session.execute(
                update(User).where(User.email.like("bench%")).values(email="first-" + User.email)
            )
            seed_annotations(f"{PAPER}-copy", elsewhere, 0, seed=2)
        label = version.label
        db.session.commit()
        db.engine.dispose()
    return tokens, {"version": label, "sections": sections}


def payload(paper: dict, n: int) -> dict:
    """The n-th post: a comment on a section, every third on a quoted passage of it."""
    key, text = paper["sections"][n % len(paper["sections"])]
    body = {
        "paper": PAPER,
        "version": paper["version"],
        "section": key,
        "body": f"Post {n}: *this* needs [a source](https://example.org/{n}), I think.",
    }
    if n % 3 == 0:
        start = (n * 37) % (len(text) - 80)
        body["quote"] = {"exact": text[start : start + 60], "start": start, "end": start + 60}
    return body


# --- in-process ----------------------------------------------------------------------------


def _client_app():
    from app import create_app

    app = create_app()
    return app, app.test_client()


def statements(token: str, paper: dict) -> list[str]:
    """The SQL statements of one POST of a new thread (after one unmeasured POST)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _app, client = _client_app()
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/annotations", json=payload(paper, 1), headers=headers, base_url=f"http://{HOST}"
    )

    def committed(conn):
        seen.append("COMMIT")

    event.listen(Engine, "before_cursor_execute", note)
    event.listen(Engine, "commit", committed)
    try:
        for n in (2, 3):  # a section comment, then a quoted passage
            seen.append(f"-- POST {n}")
            answer = client.post(
                "/api/v1/annotations",
                json=payload(paper, n),
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                base_url=f"http://{HOST}",
            )
            if answer.status_code != 201:
                raise SystemExit(f"POST answered {answer.status_code}: {answer.get_data(True)}")
    finally:
        event.remove(Engine, "before_cursor_execute", note)
        event.remove(Engine, "commit", committed)
    return seen


def profile(token: str, paper: dict, count: int = 200) -> str:
    import cProfile
    import io
    import pstats

    _app, client = _client_app()
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(10):
        client.post(
            "/api/v1/annotations",
            json=payload(paper, n),
            headers=headers,
            base_url=f"http://{HOST}",
        )
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for n in range(count):
        client.post(
            "/api/v1/annotations",
            base_url=f"http://{HOST}",
            json=payload(paper, 100 + n),
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
    profiler.disable()
    elapsed = (time.perf_counter() - started) * 1000 / count
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    return f"in-process: {elapsed:.2f} ms per POST (under cProfile)\n" + out.getvalue()


# --- against gunicorn --------------------------------------------------------------------


class Gunicorn:
    def __init__(self, port: int, env: dict[str, str]):
        self.port, self.env = port, env
        binary = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
        self.process = subprocess.Popen(
            [binary or "gunicorn", "--workers=1", "--threads=1", f"--bind={HOST}:{port}",
             "--log-level=warning", "wsgi:app"],
            cwd=ROOT, env={**os.environ, **env},
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=1)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn not ready after 60 s")

    def _worker(self) -> str:
        """The (one) worker's pid: the master's child."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return children.read_text().split()[0]

    def worker_rss_mb(self) -> float:
        """Resident memory of the worker."""
        for line in Path(f"/proc/{self._worker()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def worker_cpu_s(self) -> float:
        """CPU time the worker has used (user and system): what a post costs the server
        whatever else the machine runs meanwhile."""
        fields = Path(f"/proc/{self._worker()}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_process(self.process)


def _poster(args: tuple) -> tuple[list[float], dict[str, int], list[int]]:
    """One client process: `count` posts over one keep-alive connection."""
    port, token, paper, first, count = args
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    latencies, errors, ids = [], {}, []
    for n in range(first, first + count):
        body = json.dumps(payload(paper, n)).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
            "Accept-Encoding": "identity",
        }
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/annotations", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            continue
        if response.status == 201:
            latencies.append((time.perf_counter() - started) * 1000)
            ids.append(json.loads(data)["id"])
        else:
            errors[f"HTTP {response.status}"] = errors.get(f"HTTP {response.status}", 0) + 1
    conn.close()
    return latencies, errors, ids


def load(port: int, tokens: list[str], paper: dict, clients: int, posts: int, first: int):
    share = posts // clients
    jobs = [(port, tokens[c], paper, first + c * share, share) for c in range(clients)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.map(_poster, jobs)
    wall = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r[0])
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r[1].items():
            errors[k] = errors.get(k, 0) + v
    ids = [i for r in results for i in r[2]]
    row = {"clients": clients, "posts": share * clients, "acknowledged": len(ids),
           "errors": errors, "posts_per_s": len(ids) / wall}  # fmt: skip
    if latencies:
        row["p50_ms"] = statistics.median(latencies)
        row["p95_ms"] = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    row["lost"] = len(ids) - stored(ids)
    return row


def reads(port: int, paper: dict, count: int) -> dict[str, dict[int, int]]:
    """`count` GETs of each of a few pages a reader opens, for the worker's memory
    after them: the paper, a section's threads and margin, the API's list, a search."""
    key = paper["sections"][0][0]
    base = f"/papers/{PAPER}/v/{paper['version']}"
    paths = [
        f"/papers/{PAPER}/",
        f"{base}/sections/{key}/",
        f"{base}/sections/{key}/margin.fragment",
        f"/api/v1/papers/{PAPER}/versions/{paper['version']}/annotations?limit=200",
        "/api/v1/search?q=source",
    ]
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    statuses: dict[str, dict[int, int]] = {}
    for path in paths:
        for _ in range(count):
            conn.request("GET", path, headers={"Accept-Encoding": "identity"})
            response = conn.getresponse()
            response.read()
            seen = statuses.setdefault(path, {})
            seen[response.status] = seen.get(response.status, 0) + 1
    conn.close()
    return statuses


def stored(ids: list[int]) -> int:
    from sqlalchemy import create_engine, func, select

    from app.models import Annotation

    engine = create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as conn:
        found = 0
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            found += conn.scalar(select(func.count()).where(Annotation.id.in_(chunk)))
    engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400, help="per load (at most 20,000)")
    parser.add_argument("--clients", default="1,8", help="client counts, comma-separated")
    parser.add_argument("--seed-threads", type=int, default=0, help="on Think Paper 1")
    parser.add_argument("--seed-elsewhere", type=int, default=0, help="on a copy of it")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="in-process parts only")
    parser.add_argument("--reads", type=int, default=0, help="GETs of a few pages, each")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    counts = [max(1, int(c)) for c in args.clients.split(",") if c.strip()]
    posts = min(max(1, args.posts), MAX_POSTS)
    report: dict = {"rows": []}
    with tempfile.TemporaryDirectory(prefix="tpc-posting-") as tmp:
        env = prepare_environment(Path(tmp), f"sqlite:///{Path(tmp) / 'posting.sqlite3'}")
        tokens, paper = build(
            max([*counts, 1]), max(0, args.seed_threads), max(0, args.seed_elsewhere)
        )
        if args.statements:
            seen = statements(tokens[0], paper)
            print("\n".join(seen))
            report["statements"] = seen
        if args.profile:
            print(profile(tokens[0], paper))
        if args.no_server:
            return 0
        server = Gunicorn(free_port(), env)
        try:
            report["rss_start_mb"] = server.worker_rss_mb()
            # Warm the worker up (imports, first connections) before measuring.
            load(server.port, tokens, paper, 1, 20, 10_000_000)
            first = 0
            for clients in counts:
                cpu = server.worker_cpu_s()
                row = load(server.port, tokens, paper, clients, posts, first)
                row["worker_cpu_ms_per_post"] = (
                    (server.worker_cpu_s() - cpu) * 1000 / max(1, row["acknowledged"])
                )
                row["rss_after_mb"] = server.worker_rss_mb()
                report["rows"].append(row)
                first += posts
            if args.reads:
                report["reads"] = reads(server.port, paper, args.reads)
                report["rss_after_reads_mb"] = server.worker_rss_mb()
        finally:
            server.stop()
    print(f"worker RSS after start: {report['rss_start_mb']:.1f} MB")
    if "reads" in report:
        print(f"worker RSS after the reads: {report['rss_after_reads_mb']:.1f} MB")
        for path, statuses in report["reads"].items():
            print(f"  {statuses}  {path}")
    print(
        "clients  posts  ok     lost  posts/s  p50 ms  p95 ms  worker CPU ms/post  RSS MB  errors"
    )
    for r in report["rows"]:
        print(
            f"{r['clients']:>7}  {r['posts']:>5}  {r['acknowledged']:>5}  {r['lost']:>4}  "
            f"{r['posts_per_s']:>7.1f}  {r.get('p50_ms', float('nan')):>6.1f}  "
            f"{r.get('p95_ms', float('nan')):>6.1f}  {r['worker_cpu_ms_per_post']:>18.2f}  "
            f"{r['rss_after_mb']:>6.1f}  {r['errors']}"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    lost = sum(r["lost"] for r in report["rows"])
    short = any(r["acknowledged"] < r["posts"] for r in report["rows"])
    return 1 if lost or short else 0


if __name__ == "__main__":
    sys.exit(main())
