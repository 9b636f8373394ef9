"""Search latency over 100,000 annotations, on SQLite (FTS5) and on PostgreSQL.

    python bench/search.py [--annotations 100000] [--queries 300] [--only sqlite|postgres]

For each database, in a process of its own: migrate an empty database (a temporary SQLite
file; `tpc_bench_search` beside $BENCH_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres, created then dropped), import
papers/ (`flask papers import`), seed the annotations in bulk (bench/seed.py: 60 % threads,
40 % replies, 12–40 words each drawn with Zipf-like odds from the words of Think Paper 1),
rebuild the index (`flask search reindex`, timed), then send `--queries` searches through
the JSON API (Flask's test client: the whole request, without a network), anonymous,
cycling through a fixed mix: common words, rare words, two-word and phrase queries, and
each filter (kind, type, paper and version, author's name, stakeholder type). Prints p50
and p95 per kind of query and overall, and writes bench/results/search.json. Nothing is
sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "search.json"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "tpc_bench_search"
PAPER = "think-paper-1"
# Words the 'english' configuration drops (a query of them finds nothing on PostgreSQL):
# never chosen as query words, so that both engines answer the same questions.
STOP = {
    "the", "and", "for", "that", "this", "with", "are", "was", "from", "which", "not",
    "have", "has", "their", "they", "its", "but", "can", "been", "also", "these", "there",
    "more", "other", "such", "into", "than", "them", "were", "all", "what", "will", "how",
    "our", "any", "may", "being", "both", "who", "where", "when", "some", "most", "out",
}  # fmt: skip

sys.path.insert(0, str(ROOT))

from bench.databases import drop_postgres, postgres_database  # noqa: E402


def query_mix(words: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(kind of query, parameters): common and rare words, pairs, phrases, filters."""
    content = [w for w in words if w not in STOP and len(w) >= 5]
    common, rare = content[:12], content[-1200::100][:12]
    mix: list[tuple[str, dict[str, str]]] = []
    for n in range(12):
        mix.append(("common word", {"q": common[n]}))
        mix.append(("rare word", {"q": rare[n]}))
        mix.append(("two words", {"q": f"{common[n]} {content[20 + n]}"}))
    for n in range(6):
        mix.append(("phrase", {"q": f'"{common[n]} {common[n + 1]}"'}))
        mix.append(("filtered", {"q": common[n], "kind": "question"}))
        mix.append(("filtered", {"q": common[n], "type": "annotation", "stakeholder": "academia"}))
        mix.append(("filtered", {"q": common[n], "paper": PAPER, "version": "5.0"}))
        mix.append(("filtered", {"q": common[n], "author": f"Reader {n}"}))
    return mix


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def run_leg(url: str, annotations: int, count: int) -> dict[str, Any]:
    """One database: build, seed, reindex, search; the figures."""
    workdir = Path(tempfile.mkdtemp(prefix="tpc-bench-search-"))
    os.environ.update(
        {
            "APP_CONFIG": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "SITE_URL": "http://localhost",  # the test client's host
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": "false",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
            "PAPERS_DIR": str(ROOT / "papers"),
        }
    )
    for name in ("MAIL_SERVER", "TEST_DATABASE_URL"):
        os.environ.pop(name, None)
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from bench.seed import seed_annotations, vocabulary

    app = create_app()
    cli = app.test_cli_runner()
    with app.app_context():
        upgrade()
    result = cli.invoke(args=["papers", "import", str(ROOT / "papers" / PAPER)])
    if result.exit_code != 0:
        raise SystemExit(f"import failed:\n{result.output}{result.exception or ''}")
    words = vocabulary()
    threads = annotations * 6 // 10
    started = time.perf_counter()
    with app.app_context():
        seed_annotations(PAPER, threads, annotations - threads, seed=7, vocabulary=words)
        db.session.commit()
        db.engine.dispose()
    seeded = time.perf_counter() - started

    started = time.perf_counter()
    result = cli.invoke(args=["search", "reindex"])
    reindexed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"reindex failed:\n{result.output}{result.exception or ''}")
    print(result.stdout.strip(), file=sys.stderr)
    if url.startswith("postgresql"):
        with app.app_context():
            from sqlalchemy import text

            db.session.execute(text("ANALYZE"))
            db.session.commit()

    client = app.test_client()
    mix = query_mix(words)
    for _kind, params in mix:  # warm up: caches, the planner's statistics
        client.get("/api/v1/search", query_string=params)
    timings: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    for n in range(count):
        kind, params = mix[n % len(mix)]
        began = time.perf_counter()
        answer = client.get("/api/v1/search", query_string=params)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{params}: HTTP {answer.status_code} {answer.get_data(as_text=True)}")
        timings.setdefault(kind, []).append(elapsed)
        totals.setdefault(kind, []).append(answer.get_json()["total"])
    rows = []
    every = [t for values in timings.values() for t in values]
    for kind, values in [*timings.items(), ("all", every)]:
        hits = totals.get(kind) or [h for v in totals.values() for h in v]
        rows.append(
            {
                "queries": kind,
                "n": len(values),
                "p50_ms": round(statistics.median(values), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "max_ms": round(max(values), 1),
                "median_hits": int(statistics.median(hits)),
            }
        )
    return {
        "annotations": annotations,
        "seed_s": round(seeded, 1),
        "reindex_s": round(reindexed, 1),
        "rows": rows,
    }


def child(url: str, args) -> dict[str, Any]:
    """A leg in a process of its own: the configuration is read once per process."""
    command = [sys.executable, __file__, "--leg-url", url,
               f"--annotations={args.annotations}", f"--queries={args.queries}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=540, check=False)
    sys.stderr.write(done.stderr[-2000:])
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"failed": f"exit {done.returncode}: {done.stderr[-500:]}"}
    return json.loads(lines[-1])


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{'database':<11} {'queries':<12} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'hits (median)':>14}"
    ]
    for name, leg in results.items():
        if "rows" not in leg:
            lines.append(f"{name:<11} {leg.get('failed') or leg.get('skipped')}")
            continue
        for row in leg["rows"]:
            lines.append(
                f"{name:<11} {row['queries']:<12} {row['n']:>5} {row['p50_ms']:>8} "
                f"{row['p95_ms']:>8} {row['max_ms']:>8} {row['median_hits']:>14}"
            )
        lines.append(
            f"{name:<11} {leg['annotations']} annotations seeded in {leg['seed_s']} s, "
            f"index rebuilt in {leg['reindex_s']} s"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--leg-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.annotations = max(100, min(args.annotations, 200_000))
    args.queries = max(10, min(args.queries, 2_000))
    if args.leg_url:
        print(json.dumps(run_leg(args.leg_url, args.annotations, args.queries)))
        return 0
    results: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="tpc-bench-search-db-") as folder:
            results["SQLite"] = child(f"sqlite:///{folder}/site.sqlite3", args)
    if args.only in (None, "postgres"):
        admin = os.environ.get("BENCH_POSTGRES_URL", PG_DEFAULT)
        url, reason = postgres_database(admin, PG_DATABASE)
        if url is None:
            results["PostgreSQL"] = {"skipped": f"skipped: {reason}"}
        else:
            try:
                results["PostgreSQL"] = child(url, args)
            finally:
                drop_postgres(admin, PG_DATABASE)
    print(table(results))
    print(f"\n{time.monotonic() - started:.0f} s in all")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {"annotations": args.annotations, "queries": args.queries}
    args.json.write_text(json.dumps({"settings": settings, "results": results}, indent=2) + "\n")
    return 1 if any("failed" in leg for leg in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
