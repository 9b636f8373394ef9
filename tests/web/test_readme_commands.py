"""The README's commands, as written, in a fresh copy of the repository.

The repository's files (what git tracks, plus new files it does not ignore) are copied into
a temporary folder without `instance/`; `.venv` there points at this checkout's virtual
environment, so nothing is downloaded, and `make` is told it is installed (the copy's
pyproject.toml is given the install stamp's time). Nothing is exported by hand: the
environment is cleared of the site's settings, and `flask` finds its own through
`.flaskenv`. Then the README's block of `flask` commands runs as it stands, and
`make run PORT=…` serves until `/healthz` answers.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"

pytestmark = pytest.mark.readme

# The site's settings and anything that would tell `flask` or `make` where to look.
CLEARED = (
    "APP_CONFIG",
    "DATABASE_URL",
    "SECRET_KEY",
    "SITE_URL",
    "EXTRA_TRUSTED_HOSTS",
    "LOG_FORMAT",
    "PAPERS_DIR",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "HOST",
    "PORT",
)
CLEARED_PREFIXES = ("FLASK_", "MAIL_", "RATELIMIT_")


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _readme_block_with(command: str) -> str:
    """The README's ```sh block that runs `command`."""
    blocks = [b for b in _shell_blocks(README.read_text(encoding="utf-8")) if command in b]
    assert blocks, f"README.md has no ```sh block with `{command}`"
    return blocks[0]


def _clean_environment() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in CLEARED and not name.startswith(CLEARED_PREFIXES)
    }
    # As in a new shell: no virtual environment on PATH until the README activates one.
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if ".venv" not in p]
    env["PATH"] = os.pathsep.join(path)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _copy_of_the_repository(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file() or name.startswith(".venv"):
            continue  # deleted in the working tree, or the environment itself
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    (target / ".venv").symlink_to(VENV.resolve(), target_is_directory=True)
    # Older than the install stamp, so that `make` in the copy never reinstalls into the
    # shared environment (which would point its editable install at this temporary copy).
    before_install = STAMP.stat().st_mtime_ns - 1_000_000_000
    os.utime(target / "pyproject.toml", ns=(before_install, before_install))
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local URL)
            return response.status
    except OSError:
        return None


def _stop(process: subprocess.Popen) -> None:
    """Stop `make run` and the server it started (their own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: the copy is made from git's list of files")
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    if not (VENV / "bin" / "python").exists() or not STAMP.exists():
        pytest.skip("no .venv made by `make install` to reuse")
    return _copy_of_the_repository(tmp_path_factory.mktemp("fresh-clone"))


def _library_noise(output: str) -> list[str]:
    """Lines a library logged below WARNING (alembic's, for instance)."""
    return [
        line
        for line in output.splitlines()
        if re.match(r"(INFO|DEBUG)\b", line) or "alembic" in line.lower()
    ]


def test_the_readme_commands_run_as_written_and_make_run_serves(checkout):
    env = _clean_environment()

    # The README's `flask` commands, in a shell, exactly as they stand.
    block = _readme_block_with("flask db upgrade")
    for command in ("flask papers import", "flask users create", "flask users token"):
        assert command in block
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not _library_noise(output), output
    assert "imported" in done.stdout
    token = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\S{20,}", token), done.stdout  # the token, alone on its line
    assert (checkout / "instance" / "commons.sqlite3").exists()

    # `make run PORT=…`, as the Quick start says, until /healthz answers.
    assert "make run" in _readme_block_with("make run")
    port = _free_port()
    log = checkout / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=checkout,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while _answers(f"http://127.0.0.1:{port}/healthz") != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
    finally:
        _stop(process)

    output = log.read_text()
    # What comes before the server's own lines: migration, import and the demo accounts.
    before, serving, _rest = output.partition(" * Serving Flask app")
    assert serving, output
    assert not _library_noise(before), output
    assert f" * Running on http://127.0.0.1:{port}" in output  # 127.0.0.1 by default
    assert "unchanged" in before  # the papers were imported by the README's commands
    # The new passwords stand last, in their block, right before the server starts.
    lines = [line for line in before.splitlines() if line.strip()]
    assert "Note the passwords now" in before, output
    block_lines = lines[lines.index(next(x for x in lines if "Note the passwords" in x)) - 1 :]
    assert block_lines[0].startswith("=====") and block_lines[-1].startswith("====="), output
    for role in ("participant", "moderator", "editor", "admin"):
        assert any(line.split()[:2] == [f"{role}@example.org", role] for line in block_lines)


def test_production_needs_its_secret_key_whatever_the_checkout_says(checkout):
    """.flaskenv says `development` for a checkout; the environment wins over it, and
    gunicorn does not read it at all."""
    env = _clean_environment()
    flask = str(checkout / ".venv" / "bin" / "flask")
    gunicorn = str(checkout / ".venv" / "bin" / "gunicorn")

    production = subprocess.run(
        [flask, "db", "current"],
        cwd=checkout,
        env={**env, "APP_CONFIG": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert production.returncode != 0
    assert "SECRET_KEY must be set" in production.stderr

    secret = {"SECRET_KEY": "x" * 32}
    for extra, refusal in (
        ({}, "SECRET_KEY must be set"),
        (secret, "SITE_URL must be set"),
        ({**secret, "SITE_URL": "https://commons.example.org"}, None),
    ):
        checked = subprocess.run(
            [gunicorn, "--check-config", "wsgi:app"],
            cwd=checkout,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (checked.returncode != 0) is (refusal is not None), checked.stderr
        if refusal:
            assert refusal in checked.stderr, checked.stderr
        else:
            assert "must be set" not in checked.stderr, checked.stderr
