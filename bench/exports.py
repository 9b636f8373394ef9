"""Time, size and a gunicorn worker's memory while it streams the big downloads.

    python bench/exports.py [--annotations 100000] [--only sqlite|postgresql] [--json FILE]

For SQLite (a temporary file) and PostgreSQL (a `tpc_bench_exports` database made beside
$BENCH_POSTGRES_URL, by default postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
and dropped afterwards): migrates, imports papers/think-paper-1, seeds a discussion of
`--annotations` contributions on version 5.0 (a quarter threads, the rest replies;
bench/seed.py; then ANALYZE on PostgreSQL, as autovacuum would), makes an editor with an
API token, and starts gunicorn (1 worker, 1 thread, production configuration, rate
limits off) on a free port of 127.0.0.1. After a warm-up (the health check and a page of
the version's threads), it downloads, one at a time, the editors' `export.csv` and
`export.json` of 5.0 and the paper's W3C JSON-LD `annotations.jsonld` (then the CSV
once more: the first download also pays for what the worker builds once), and reports
for each: seconds, bytes, rows, and the worker's resident memory (VmRSS of
/proc/<pid>/status) before, after and at its peak during the download (VmHWM, reset
before each download through /proc/<pid>/clear_refs, and VmRSS sampled every 20 ms).
The acceptance is a growth (peak less before) under 20 MB.

Prints one table and writes bench/results/exports.json. Nothing is sent anywhere but
127.0.0.1. Without PostgreSQL its rows say skipped, and why.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import drop_postgres, postgres_database  # noqa: E402
from bench.run import HOST, Server, free_port, prepare_environment  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "exports.json"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = "tpc_bench_exports"
LIMIT_MB = 20.0
DOWNLOADS = (
    ("export.csv", "/api/v1/papers/think-paper-1/versions/5.0/export.csv"),
    ("export.json", "/api/v1/papers/think-paper-1/versions/5.0/export.json"),
    ("annotations.jsonld", "/api/v1/papers/think-paper-1/annotations.jsonld"),
    # The first download also pays for what a worker builds once (compiled statements,
    # lazily imported code): the same again shows what is left.
    ("export.csv, again", "/api/v1/papers/think-paper-1/versions/5.0/export.csv"),
)
WARM_UP = ("/healthz", "/api/v1/papers/think-paper-1/versions/5.0/annotations?limit=50")


# --- the site ---------------------------------------------------------------------------


def build_site(annotations: int) -> str:
    """Migrate, import Think Paper 1, seed the discussion; an editor's API token."""
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.services import create_user, issue_api_token
    from app.extensions import db
    from app.models import Role
    from bench.seed import seed_annotations

    app = create_app()
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(
        args=["papers", "import", str(ROOT / "papers" / "think-paper-1")]
    )
    if result.exit_code != 0:
        raise SystemExit(f"import failed:\n{result.output}{result.exception or ''}")
    threads = annotations // 4
    with app.app_context():
        started = time.perf_counter()
        seed_annotations("think-paper-1", threads, annotations - threads)
        editor = create_user(
            "bench-editor@example.org", "Bench Editor", role=Role.EDITOR, confirmed=True,
            trusted=True,
        )  # fmt: skip
        token = issue_api_token(editor, "bench")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does shortly after a bulk load in production: without the
            # statistics the planner takes 100,000 rows for a hundred.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        print(
            f"  seeded {threads} threads and {annotations - threads} replies "
            f"in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        db.session.remove()
        db.engine.dispose()
    return token


# --- the worker's memory ----------------------------------------------------------------


def worker_pid(master: int, seconds: float = 10.0) -> int:
    """gunicorn's only worker: the master's child."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: the command may hold spaces, so split after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                return int(entry.name)
        time.sleep(0.1)
    raise SystemExit("gunicorn started no worker")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak since the last reset) of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _sep, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the present VmRSS (Linux 4.0+); False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler(threading.Thread):
    """VmRSS of the worker every 20 ms while a download runs: the highest seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, memory_kb(self.pid)["VmRSS"])
            self.done.wait(0.02)


# --- downloads --------------------------------------------------------------------------


def get(port: int, path: str, token: str | None = None) -> tuple[int, int, bytes, float]:
    """Status, bytes, the first and last bytes kept for a look, seconds."""
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    headers = {"Accept-Encoding": "identity"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    size, tail = 0, b""
    while chunk := response.read(1 << 16):
        size += len(chunk)
        tail = (tail + chunk)[-4096:]
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, size, tail, elapsed


def rows_of(name: str, path: str, port: int, token: str) -> int | None:
    """How many rows came (read again, whole, to count them: outside the measure)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    body = conn.getresponse().read()
    conn.close()
    if name.startswith("export.csv"):
        import csv
        import io

        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    document = json.loads(body)
    if name == "export.json":
        return len(document["contributions"]) + len(document["proposals"])
    return len(document["first"]["items"])


def measure(port: int, pid: int, token: str) -> list[dict]:
    for path in WARM_UP:
        get(port, path, token)
    results = []
    for name, path in DOWNLOADS:
        before = memory_kb(pid)["VmRSS"]
        peak_reset = reset_peak(pid)
        sampler = Sampler(pid)
        sampler.start()
        status, size, _tail, seconds = get(port, path, token)
        sampler.done.set()
        sampler.join()
        after = memory_kb(pid)
        peak = max(sampler.peak, after["VmHWM"] if peak_reset else 0, after["VmRSS"])
        results.append(
            {
                "download": name,
                "status": status,
                "seconds": round(seconds, 2),
                "bytes": size,
                "rows": rows_of(name, path, port, token) if status == 200 else None,
                "rss_before_kb": before,
                "rss_after_kb": after["VmRSS"],
                "rss_peak_kb": peak,
                "peak_from": "VmHWM and samples" if peak_reset else "samples",
                "growth_mb": round((peak - before) / 1024, 1),
            }
        )
    return results


def run_database(kind: str, annotations: int, postgres_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="tpc-bench-exports-") as tmp:
        workdir = Path(tmp)
        if kind == "sqlite":
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            url, reason = postgres_database(postgres_url, DATABASE_NAME)
            if url is None:
                raise SystemExit(reason)
        try:
            env = prepare_environment(workdir, url)
            print(f"{kind}: building the site", file=sys.stderr)
            token = build_site(annotations)
            port = free_port()
            server = Server("gunicorn", port, env)
            _start_single(server)
            try:
                pid = worker_pid(server.process.pid)
                results = measure(port, pid, token)
            finally:
                server.stop()
        finally:
            if kind == "postgresql":
                drop_postgres(postgres_url, DATABASE_NAME)
    return {"database": kind, "annotations": annotations, "downloads": results}


def _start_single(server: Server) -> None:
    """gunicorn with one worker and one thread: the downloads have the worker to
    themselves, so that its memory is theirs."""
    import shutil

    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    server.process = subprocess.Popen(
        [gunicorn or "gunicorn", "--workers=1", "--threads=1", f"--bind={HOST}:{server.port}",
         "--timeout=600", "--log-level=warning", "wsgi:app"],
        cwd=ROOT,
        env={**os.environ, **server.env},
    )  # fmt: skip
    server.wait_until_ready()


# --- the report -------------------------------------------------------------------------


def table(runs: list[dict]) -> str:
    header = ["database", "download", "rows", "seconds", "MB", "RSS before", "peak", "after",
              "growth MB", f"< {LIMIT_MB:.0f} MB"]  # fmt: skip
    lines = []
    for run in runs:
        if "skipped" in run:
            lines.append([run["database"], f"skipped: {run['skipped']}"] + [""] * 8)
            continue
        for r in run["downloads"]:
            lines.append(
                [
                    run["database"],
                    r["download"],
                    f"{r['rows']:,}" if r["rows"] is not None else f"HTTP {r['status']}",
                    f"{r['seconds']:.1f}",
                    f"{r['bytes'] / 1e6:.1f}",
                    f"{r['rss_before_kb'] / 1024:.1f} MB",
                    f"{r['rss_peak_kb'] / 1024:.1f} MB",
                    f"{r['rss_after_kb'] / 1024:.1f} MB",
                    f"{r['growth_mb']:.1f}",
                    "yes" if r["growth_mb"] < LIMIT_MB and r["status"] == 200 else "NO",
                ]
            )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, lines)])


def postgres_missing(url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any reason it cannot be reached
        return f"no PostgreSQL at {url} ({type(error).__name__})"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    annotations = max(4, min(args.annotations, 1_000_000))
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
    runs = []
    if args.only is None:
        # One process per database: config.py reads DATABASE_URL once, when imported.
        for kind in ("sqlite", "postgresql"):
            part = args.json.with_suffix(f".{kind}.json")
            command = [sys.executable, __file__, "--only", kind, "--quiet",
                       "--annotations", str(annotations), "--json", str(part)]  # fmt: skip
            subprocess.run(command, check=False)
            if part.exists():
                runs += json.loads(part.read_text())["runs"]
                part.unlink()
            else:
                runs.append({"database": kind, "skipped": "its run failed (see above)"})
        return report(runs, annotations, args.json)
    reason = postgres_missing(postgres_url) if args.only == "postgresql" else None
    if reason:
        runs.append({"database": args.only, "skipped": reason})
    else:
        runs.append(run_database(args.only, annotations, postgres_url))
    return report(runs, annotations, args.json, quiet=args.quiet)


def report(runs: list[dict], annotations: int, path: Path, quiet: bool = False) -> int:
    """Print the table (unless `quiet`), write the JSON; 1 when a download failed or grew
    the worker by the limit or more."""
    if not quiet:
        print(f"\nexports of {annotations:,} annotations; gunicorn, 1 worker, 1 thread\n")
        print(table(runs))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"limit_mb": LIMIT_MB, "runs": runs}, indent=2) + "\n")
    failed = [
        r
        for run in runs
        for r in run.get("downloads", [])
        if r["status"] != 200 or r["growth_mb"] >= LIMIT_MB
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
