"""How long the password-reset page takes to answer, for an address with an account and one
without: the two medians should be the same.

    python bench/reset_timing.py [--requests 50] [--mail-delay 0.2]

Builds a temporary SQLite site as `bench/run.py` does (with one account), then posts the
reset form alternately for the account's address and for an unknown one, straight to the
WSGI application. For each it times the answer (until the last byte of the body) and,
separately, the whole request including what runs after the answer has gone (the mail for
the known address: stored in the outbox, then delivered). `--mail-delay` adds that many
seconds to each delivery, as a slow SMTP server would: the answer's median must not move.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import prepare_environment  # noqa: E402

KNOWN = "reader@example.org"
UNKNOWN = "nobody@example.org"


def time_requests(requests: int, mail_delay: float) -> dict[str, dict[str, list[float]]]:
    from flask_migrate import upgrade
    from werkzeug.test import EnvironBuilder

    from app import create_app
    from app.core import mail
    from app.extensions import db

    app = create_app()
    logging.getLogger("app.mail").setLevel(logging.WARNING)  # one line per mail otherwise
    app.config["WTF_CSRF_ENABLED"] = False  # the same check either way; left out here
    with app.app_context():
        upgrade()
        db.engine.dispose()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", KNOWN, "--name", "Reader"])
    if result.exit_code != 0:
        raise SystemExit(result.output)

    if mail_delay:
        send = mail._send  # the hand-over to the server, after the row is stored and claimed

        def slow_send(message, config):
            time.sleep(mail_delay)
            return send(message, config)

        mail._send = slow_send

    times: dict[str, dict[str, list[float]]] = {
        email: {"answer": [], "whole": []} for email in (KNOWN, UNKNOWN)
    }

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"unexpected answer: {status}")

    for n in range(requests + 5):  # the first five warm up
        for email in (KNOWN, UNKNOWN) if n % 2 else (UNKNOWN, KNOWN):
            environ = EnvironBuilder(
                path="/reset-password", method="POST", data={"email": email}
            ).get_environ()
            start = time.perf_counter()
            body = app(environ, start_response)
            b"".join(body)
            answered = time.perf_counter()
            body.close()
            done = time.perf_counter()
            if n >= 5:
                times[email]["answer"].append((answered - start) * 1000)
                times[email]["whole"].append((done - start) * 1000)
    with app.app_context():
        db.engine.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="requests per address")
    parser.add_argument(
        "--mail-delay", type=float, default=0.0, help="seconds added to each delivery"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tpc-reset-") as folder:
        prepare_environment(Path(folder))
        times = time_requests(args.requests, args.mail_delay)
    print(f"POST /reset-password, {args.requests} requests each, median ms")
    print(f"{'address':<28} {'answer':>8} {'with mail':>10}")
    for email, label in ((KNOWN, "with an account"), (UNKNOWN, "without an account")):
        answer = statistics.median(times[email]["answer"])
        whole = statistics.median(times[email]["whole"])
        print(f"{label:<28} {answer:>8.2f} {whole:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
