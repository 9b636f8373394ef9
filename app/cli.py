"""`flask papers ...`, `flask users ...`, `flask sessions prune`, `flask notifications
send-digests`, `flask mail retry`, `flask search reindex` and `flask backup`: the commands of
CONTRACT.md; `flask access table`, which writes docs/access.md.

Each command is one unit of work (`app.core.transaction.unit_of_work`): what it stored is
committed when it succeeds and rolled back when it fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.accounts import sessions
from app.accounts.services import AccountError, check_password_rules, create_user, issue_api_token
from app.accounts.services import find_user_by_email as find_user
from app.core import access_matrix, mail, transaction
from app.core.backup import BackupError, backup_sqlite, sqlite_path
from app.editor import documents
from app.editor.publishing import import_paths
from app.models import Role
from app.notifications.digests import send_digests
from app.papers.source import SourceError

papers_cli = AppGroup("papers", help="Import and manage paper sources.")
users_cli = AppGroup("users", help="Create accounts and API tokens.")
access_cli = AppGroup("access", help="The table of who may do what.")
sessions_cli = AppGroup("sessions", help="Logged-in sessions kept on the server.")
notifications_cli = AppGroup("notifications", help="Notification e-mail.")
mail_cli = AppGroup("mail", help="The outbox of e-mail.")
search_cli = AppGroup("search", help="The full-text search index.")

# How the commands name what a service refused (its field).
OPTION_NAMES = {"email": "EMAIL", "display_name": "--name", "label": "--label"}


def _refusal(error: AccountError) -> click.ClickException:
    """A service's refusal as the command's error: a message and exit status 1, no traceback."""
    where = OPTION_NAMES.get(error.field or "", error.field)
    return click.ClickException(f"{where}: {error}" if where else str(error))


@papers_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_command(paths: tuple[Path, ...]) -> None:
    """Import paper sources: folders papers/<slug>/ (versions in order) or single files."""
    for path in paths:
        if not path.exists():
            raise click.ClickException(f"{path}: no such file or folder")
    try:
        with transaction.unit_of_work():
            results = import_paths(list(paths))
    except SourceError as error:
        raise click.ClickException(f"{error}\nNothing was imported.") from None
    if not results:
        raise click.ClickException("no paper sources (*.md) found in " + ", ".join(map(str, paths)))
    for result in results:
        click.echo(f"{result.slug} {result.version}: {result.status} ({result.sections} sections)")


@papers_cli.command("convert")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--paper",
    "slug",
    help="Take the front matter from this paper's latest version (as the publish page does).",
)
@click.option("--version", "label", help="With --paper: the new version's number.")
@click.option("--change-note", help="With --paper: the new version's change note.")
def convert_command(file: Path, slug: str | None, label: str | None, change_note: str | None
                    ) -> None:  # fmt: skip
    """Print a .docx or .odt document as paper source Markdown on standard output.

    Without --paper the front matter holds what the document says of itself (title,
    authors, date); add version, change_note and the rest before importing it."""
    if not file.is_file():
        raise click.ClickException(f"{file}: no such file")
    if not documents.is_document(file.name):
        raise click.ClickException(f"{file}: only .docx and .odt documents can be converted")
    data = file.read_bytes()
    try:
        if slug:
            if documents.latest_version(slug) is None:
                raise click.ClickException(f"no paper '{slug}'")
            text = documents.source_from_document(
                slug, data, file.name, version=label, change_note=change_note
            )
        else:
            text = documents.document_source(data, file.name)
    except documents.ConversionError as error:
        raise click.ClickException(f"{file}: {error}") from None
    click.echo(text, nl=not text.endswith("\n"))


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.PARTICIPANT.value,
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a confirmed, trusted account (not pre-moderated)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.ClickException(f"{email}: {error}") from None
    if not name.strip():
        raise click.ClickException("--name must not be empty")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = check_password_rules(password, email=email, name=name)
        if problem:
            raise click.ClickException(f"password refused: {problem}")
    try:
        with transaction.unit_of_work():
            user = create_user(
                email, name, role=Role(role), password=password, trusted=True, confirmed=True
            )
    except AccountError as error:
        raise _refusal(error) from None
    note = "" if password else " (no password: set one with the password reset page)"
    click.echo(f"created {user.email} as {user.role.value}{note}", err=True)


@users_cli.command("token")
@click.argument("email")
@click.option("--label", default="", help="What the token is for.")
def token_command(email: str, label: str) -> None:
    """Print a new API token for EMAIL, once; only its hash is kept."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with e-mail {email}")
    if not user.is_active:
        raise click.ClickException(f"{email} is suspended or deleted; no token issued")
    try:
        with transaction.unit_of_work():
            token = issue_api_token(user, label)
    except AccountError as error:
        raise _refusal(error) from None
    click.echo(token)


@access_cli.command("table")
def access_table_command() -> None:
    """Print docs/access.md: who may do what, from app/core/access_matrix.py."""
    click.echo(access_matrix.markdown(current_app.url_map), nl=False)


@sessions_cli.command("prune")
def prune_sessions_command() -> None:
    """End expired sessions and delete those ended longer ago than SESSION_RETENTION (cron)."""
    with transaction.unit_of_work():
        deleted = sessions.prune_sessions()
    click.echo(f"{deleted} ended session(s) deleted", err=True)


@mail_cli.command("retry")
def retry_mail_command() -> None:
    """Hand over again every message whose delivery failed and is due (cron)."""
    summary = mail.retry_due()
    line = f"sent {summary.sent}, still failing {summary.failing}"
    if summary.given_up:
        line += f" ({summary.given_up} given up after {mail.MAX_ATTEMPTS} attempts)"
    if summary.skipped:
        line += f", {summary.skipped} taken by another process"
    click.echo(line)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Write a consistent copy of the SQLite database to PATH, while the site runs."""
    try:
        source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
        result = backup_sqlite(source, path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{source} copied to {result.path} ({result.size:,} bytes, {result.tables} tables)")


@notifications_cli.command("send-digests")
def send_digests_command() -> None:
    """Send the due daily digests (for cron): one e-mail per account with what it chose to
    hear of once a day; running it again sends nothing new."""
    summary = send_digests()
    click.echo(
        f"{summary.digests} digest(s) sent with {summary.items} notification(s)"
        + (
            f"; {summary.dropped} left out (turned off or no longer visible)"
            if summary.dropped
            else ""
        )
    )


@search_cli.command("reindex")
@click.option("--batch", default=5000, show_default=True, help="Rows written per statement.")
def reindex_command(batch: int) -> None:
    """Rebuild the search index from what is stored, with a progress bar on standard error.

    The index follows every write by itself; this is for after bulk imports that bypass
    the application (or to check it). One transaction: readers see the old index until
    the new one is complete."""
    from app.extensions import db
    from app.search import rebuilding

    if batch < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch")
    with transaction.unit_of_work():
        connection = db.session.connection()
        plan = rebuilding.plan(connection, batch)
        total = sum(step.rows for step in plan)
        with click.progressbar(
            length=total, label="Indexing", file=sys.stderr, show_pos=True
        ) as bar:
            for step in rebuilding.rebuild(connection, plan):
                bar.update(step.rows)
    counts = rebuilding.counted(plan)
    click.echo(
        "Indexed " + ", ".join(f"{n} {kind}s" for kind, n in counts.items()) + f" ({total} rows)."
    )
