"""The peer of the benchmark: isso, the Python comment server, beside the site.

isso is installed in a virtual environment of its own under bench/.peer/ (made on first
use, with the pinned versions below) and served like the site: gunicorn, one worker, one
thread, on 127.0.0.1, with an SQLite database in the run's temporary folder. Its guard
(rate limits, reply rules) and moderation are off, as the site's rate limits are.

SQLite settings: the site opens its connections in WAL mode with synchronous=NORMAL
(app/core/database.py). isso opens a connection per statement with the defaults; here
its database is switched to WAL once (a setting kept in the file) and a sitecustomize
module, on isso's path only, sets synchronous=NORMAL on each of its connections, so both
servers write with the same durability.
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / ".peer"
VENV = PEER / "venv"
# The same gunicorn and Werkzeug as the site's own environment.
REQUIREMENTS = ["isso==0.13.0", "gunicorn==27.0.1", "werkzeug==3.1.9"]
SQLITE_SETTINGS = "WAL, synchronous=NORMAL (isso: WAL set in its file, NORMAL by sitecustomize)"
SITECUSTOMIZE = '''"""Every sqlite3 connection of this process with synchronous=NORMAL."""
import sqlite3

_connect = sqlite3.connect


def _normal(*args, **kwargs):
    connection = _connect(*args, **kwargs)
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


sqlite3.connect = _normal
'''


def ensure_venv() -> Path:
    """bench/.peer/venv with isso and gunicorn, made when missing; its gunicorn."""
    gunicorn = VENV / "bin" / "gunicorn"
    stamp = VENV / ".installed"
    wanted = " ".join(REQUIREMENTS)
    if stamp.exists() and stamp.read_text() == wanted and gunicorn.exists():
        return gunicorn
    print(f"making the peer's environment in {VENV} ({wanted})", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--disable-pip-version-check", *REQUIREMENTS], check=True)
    stamp.write_text(wanted)
    return gunicorn


class Isso:
    """isso under gunicorn on `port`, its database and settings in `workdir`."""

    def __init__(self, port: int, workdir: Path, site_url: str):
        self.port = port
        self.database = workdir / "isso.sqlite3"
        self.config = workdir / "isso.cfg"
        self.site = workdir / "isso-site"
        self.site_url = site_url
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = ensure_venv()
        self.site.mkdir(exist_ok=True)
        (self.site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.config.write_text(
            "[general]\n"
            f"dbpath = {self.database}\n"
            f"host = {self.site_url}\n"
            "[moderation]\nenabled = false\n"
            "[guard]\nenabled = false\nratelimit = 0\n"
            f"[server]\nlisten = http://127.0.0.1:{self.port}/\n"
        )
        env = {**os.environ, "ISSO_SETTINGS": str(self.config), "PYTHONPATH": str(self.site)}
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "--workers=1",
                "--threads=1",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                "isso.run:application",
            ],
            cwd=self.site,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"isso exited with code {self.process.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/?uri=%2Fready%2F")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit("isso not ready after 60 s")
        with sqlite3.connect(self.database) as connection:
            connection.execute("PRAGMA journal_mode=WAL")

    def comments(self) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute("SELECT count(*) FROM comments").fetchone()[0]

    def stop(self) -> None:
        from bench.run import stop_process

        if self.process is not None:
            stop_process(self.process)
