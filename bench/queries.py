"""SQL statements per page: how many queries the busiest pages cost, for a small and a large
discussion.

    python bench/queries.py [--threads 10 1000] [--json FILE]

For each discussion size, builds a temporary SQLite database as `bench/run.py` does (the
migrations, Think Paper 1 imported, `threads` threads and three replies per thread seeded),
then requests each page once to warm up and once counting the SQL statements sent (BEGIN
and COMMIT not counted), anonymously and with a participant's API token. Nothing leaves
the process: the pages are asked of the application through Flask's test client. A page
that costs the same for 10 and for 1,000 threads has no N+1 query. Each size is measured
in a process of its own, since the configuration is read once per process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import build_database, prepare_environment  # noqa: E402

PAGES = [
    ("paper page", "/papers/think-paper-1/", False),
    ("section page", "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/", False),
    ("API thread list (50)", "/api/v1/papers/think-paper-1/versions/5.0/annotations", False),
    ("API thread list (50), token", "/api/v1/papers/think-paper-1/versions/5.0/annotations", True),
    ("API version", "/api/v1/papers/think-paper-1/versions/5.0", False),
]
IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def count_for(threads: int) -> dict[str, int]:
    """Statements per page for one discussion size, in a fresh temporary site."""
    from sqlalchemy import event

    with tempfile.TemporaryDirectory(prefix="tpc-queries-") as folder:
        prepare_environment(Path(folder))
        build_database(threads, threads * 3)
        from app import create_app
        from app.extensions import db

        app = create_app()
        runner = app.test_cli_runner()
        runner.invoke(args=["users", "create", "reader@example.org", "--name", "Reader"])
        token = runner.invoke(args=["users", "token", "reader@example.org"]).output.strip()
        counts: dict[str, int] = {}
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(IGNORED):
                statements.append(statement)

        # No application context is held here: each request has its own, and so its own
        # database session, as in a server.
        client = app.test_client()
        for name, path, with_token in PAGES:
            headers = {"Authorization": f"Bearer {token}"} if with_token else {}
            # The site answers only for SITE_URL's host.
            site = app.config["SITE_URL"]
            client.get(path, headers=headers, base_url=site)  # warm up (a token's use is noted)
            event.listen(engine, "before_cursor_execute", record)
            response = client.get(path, headers=headers, base_url=site)
            event.remove(engine, "before_cursor_execute", record)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
            counts[name] = len(statements)
            statements.clear()
        engine.dispose()
        return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--json", type=Path, help="also write the counts to this file")
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.single is not None:
        print(json.dumps(count_for(options.single)))
        return 0
    results = {}
    for n in options.threads:
        command = [sys.executable, __file__, "--single", str(n)]
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
    sizes = list(results)
    print("| page | " + " | ".join(f"{n:,} threads" for n in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for name, _path, _token in PAGES:
        print(f"| {name} | " + " | ".join(str(results[n][name]) for n in sizes) + " |")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
