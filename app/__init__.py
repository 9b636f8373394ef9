"""Think Paper Commons: versioned think papers, discussed in the margin.

`create_app` builds the application: configuration, extensions, blueprints, the
`flask` commands, error pages and the security headers sent with every response.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, request

from app.core import database  # noqa: F401  (SQLite connection settings, for every engine)
from config import CONFIGS, INSTANCE_DIR

BASE_DIR = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(config: str | type | None = None) -> Flask:
    """Build the application for a config name ('production', ...) or class."""
    if config is None:
        config = os.environ.get("APP_CONFIG", "production")
    config_class = CONFIGS[config] if isinstance(config, str) else config

    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(config_class)
    if app.config["ENV_NAME"] == "production" and not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (APP_CONFIG=production)")
    from app.core import assets, headers, logs, urls

    # SITE_URL (required in production) and the hosts a request may name: checked first.
    urls.init_app(app)
    os.makedirs(app.instance_path, exist_ok=True)
    _trust_proxies(app)
    # Request ids in every log line; the site's loggers (under `app`) at INFO, libraries
    # (alembic, SQLAlchemy, …) only from WARNING, so the terminal stays readable.
    logs.init_app(app)
    headers.init_app(app)
    # Static files under fingerprinted names, kept a year by browsers.
    assets.init_app(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_security_headers(app)
    _register_template_context(app)

    from app.core import errors, page_cache, transaction

    transaction.init_app(app)
    page_cache.init_app(app)
    errors.register(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind `TRUSTED_PROXIES` reverse proxies, take the client's address and scheme from
    their X-Forwarded-For and X-Forwarded-Proto (the Host is never taken from a header)."""
    count = app.config.get("TRUSTED_PROXIES") or 0
    if count < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 or more")
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    from app.accounts.services import load_user_from_session
    from app.core.i18n import select_locale
    from app.extensions import babel, cache, compress, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    compress.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user_from_session)

    from app.core import i18n

    login_manager.localize_callback = i18n.gettext
    i18n.install_template_translations(app.jinja_env)


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.annotations.views import bp as annotations_bp
    from app.api.views import bp as api_bp
    from app.core.health import bp as health_bp
    from app.definitions.views import bp as definitions_bp
    from app.editor.views import bp as editor_bp
    from app.moderation.views import bp as moderation_bp
    from app.notifications.views import bp as notifications_bp
    from app.reading.views import bp as papers_bp
    from app.search.views import bp as search_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(papers_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(annotations_bp)
    app.register_blueprint(editor_bp, url_prefix="/editor")
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(definitions_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(search_bp)


def _register_cli(app: Flask) -> None:
    from app.cli import (
        access_cli,
        backup_command,
        mail_cli,
        notifications_cli,
        papers_cli,
        search_cli,
        sessions_cli,
        users_cli,
    )

    app.cli.add_command(papers_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(access_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(search_cli)


def _register_template_context(app: Flask) -> None:
    from flask_babel import format_date, format_number, get_locale

    from app.core.labels import TEMPLATE_LABELS
    from app.core.permissions import TEMPLATE_PREDICATES

    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(TEMPLATE_LABELS)
    from app.moderation.labels import TEMPLATE_LABELS as MODERATION_LABELS

    app.jinja_env.globals.update(MODERATION_LABELS)
    app.jinja_env.globals["format_date"] = format_date
    app.jinja_env.globals["format_number"] = format_number
    from app.core.languages import TEMPLATE_GLOBALS as LANGUAGE_GLOBALS

    app.jinja_env.globals.update(LANGUAGE_GLOBALS)
    from app.core.forms import first_autofocus

    app.jinja_env.globals["first_autofocus"] = first_autofocus
    # States are compared by identity in templates too (`is sameas PeriodState.OPEN`).
    from app.models import TargetKind
    from app.papers.queries import PeriodState

    app.jinja_env.globals.update(PeriodState=PeriodState, TargetKind=TargetKind)

    from app.core.i18n import language_choices, ui_strings

    app.jinja_env.globals.update(language_choices=language_choices, ui_strings=ui_strings)

    @app.context_processor
    def locale():
        code = str(get_locale() or "en")
        return {"current_locale": code.replace("_", "-"), "current_locale_code": code}


def _register_security_headers(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """No text the site stores may hold U+0000 (PostgreSQL refuses it): a 400, not a 500."""
        values = [request.path, *request.args.values()]
        if request.form:
            values.extend(request.form.values())
        if any("\x00" in value for value in values):
            abort(400, "The request contains a NUL character.")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
