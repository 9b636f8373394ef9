"""Configuration classes, read from the environment.

`APP_CONFIG` picks one of them (production by default, so that a server started
without thought is a safe one); everything else comes from environment variables.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def database_url(url: str) -> str:
    """Accept the usual `postgres://` and `postgresql://` forms; psycopg 3 is the driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class DefaultConfig:
    """Settings shared by every environment."""

    ENV_NAME = "default"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # The public origin (https://commons.example.org): every absolute link is built from it,
    # and requests naming another host are refused. Required in production.
    SITE_URL = os.environ.get("SITE_URL")
    # Host names accepted besides SITE_URL's (comma-separated), e.g. an internal name that
    # health probes use.
    EXTRA_TRUSTED_HOSTS = [h for h in os.environ.get("EXTRA_TRUSTED_HOSTS", "").split(",") if h]
    # Log lines on standard error: `text` or `json` (one object per line)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'commons.sqlite3'}")
    )
    # A pooled server connection may have been closed by the server or a proxy: ping it
    # before use. An SQLite file cannot go away under a connection, so it pays nothing.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_pre_ping": not SQLALCHEMY_DATABASE_URI.startswith("sqlite")
    }
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14
    # Logged-in sessions (app/accounts/sessions.py says why these values): one ends after
    # this long unused, and this long after its log-in however much it is used; ended
    # sessions are deleted this long after they ended (seconds).
    SESSION_IDLE_TIMEOUT = _int("SESSION_IDLE_TIMEOUT", 60 * 60 * 24 * 7)
    SESSION_MAX_AGE = _int("SESSION_MAX_AGE", 60 * 60 * 24 * 30)
    SESSION_RETENTION = _int("SESSION_RETENTION", 60 * 60 * 24 * 30)
    # "Keep me logged in" lasts no longer than the session it keeps (Flask-Login's
    # default is a year).
    REMEMBER_COOKIE_DURATION = timedelta(seconds=SESSION_MAX_AGE)

    # Requests larger than this are refused with 413 (paper sources are far smaller)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # A pasted paper source travels as a form field: allow it as much as an upload.
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH

    # Forms
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session, which has its own lifetime

    # Rate limits (Flask-Limiter): memory by default, Redis in production
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed log-ins: per account and client address, per client address, and per account
    # from every address (a browser that logged in to the account before is not held by the
    # last one); see app/accounts/throttling.py.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute")
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "20 per minute")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "30 per hour")
    # Forms that send mail, per client address and per e-mail address
    MAIL_RATE_LIMIT = os.environ.get("MAIL_RATE_LIMIT", "5 per hour")
    # Registrations per client address (each e-mail address also counts as a mail form)
    REGISTRATION_RATE_LIMIT = os.environ.get("REGISTRATION_RATE_LIMIT", "10 per hour")
    # How many reverse proxies stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto are believed (Werkzeug's ProxyFix), so that limits count the
    # client's address. 0: no proxy, the headers are ignored.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # New annotations, replies and edits per account (web forms and API together)
    ANNOTATION_RATE_LIMIT = os.environ.get("ANNOTATION_RATE_LIMIT", "10 per minute")
    # Votes on definition proposals per account (changing one's mind is cheap)
    VOTE_RATE_LIMIT = os.environ.get("VOTE_RATE_LIMIT", "60 per minute")
    # Moderation decisions through the API, per moderator (scripts working a queue)
    MODERATION_RATE_LIMIT = os.environ.get("MODERATION_RATE_LIMIT", "120 per minute")

    # Moderation: accounts with fewer approved contributions than this are pre-moderated;
    # this many open flags from accounts in good standing hide an item until decided.
    PREMODERATION_THRESHOLD = _int("PREMODERATION_THRESHOLD", 1)
    FLAG_HIDE_THRESHOLD = _int("FLAG_HIDE_THRESHOLD", 3)

    # Accounts
    PASSWORD_MIN_LENGTH = 10
    EMAIL_TOKEN_MAX_AGE = 60 * 60 * 48  # confirmation links: two days
    RESET_TOKEN_MAX_AGE = 60 * 60  # password reset links: one hour

    # Mail: SMTP when MAIL_SERVER is set, otherwise an outbox folder under instance/
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Think Paper Commons <no-reply@localhost>"
    )
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))

    # The accessibility statement (/accessibility), as the EU Web Accessibility Directive asks:
    # where readers report a barrier (empty: the address mail is sent from), the national
    # monitoring body they may turn to when the answer does not satisfy them (its name and
    # page, which the operator fills in for their country), and the date the statement was
    # last prepared, ISO 8601.
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "")
    ACCESSIBILITY_ENFORCEMENT_BODY = os.environ.get("ACCESSIBILITY_ENFORCEMENT_BODY", "")
    ACCESSIBILITY_ENFORCEMENT_URL = os.environ.get("ACCESSIBILITY_ENFORCEMENT_URL", "")
    ACCESSIBILITY_STATEMENT_DATE = os.environ.get("ACCESSIBILITY_STATEMENT_DATE", "2026-12-05")

    # Translation
    # British English: European date formats ("24 October 2006"). The first of LANGUAGES
    # is the default; each other has its catalogues in app/translations/.
    BABEL_DEFAULT_LOCALE = "en_GB"
    LANGUAGES = ["en_GB", "fr", "de"]

    # Rendered public pages kept for anonymous readers (app.core.page_cache): in each
    # process by default; in Redis, shared by every worker, when CACHE_REDIS_URL is set
    # (or CACHE_TYPE names another Flask-Caching backend). Pages are keyed on what they
    # show, so the timeout only bounds how long an unvisited page takes room.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL")
    CACHE_TYPE = os.environ.get("CACHE_TYPE") or (
        "RedisCache" if CACHE_REDIS_URL else "SimpleCache"
    )
    CACHE_DEFAULT_TIMEOUT = _int("CACHE_DEFAULT_TIMEOUT", 600)
    # Entries per process (SimpleCache): a page, and its Brotli and gzip copies as asked.
    CACHE_THRESHOLD = _int("CACHE_THRESHOLD", 600)
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "tpc:")
    # What names a deploy in the cache keys; by default the shipped files' sizes and times.
    CACHE_BUILD_ID = os.environ.get("CACHE_BUILD_ID")

    # How long the API remembers an Idempotency-Key and the answer it named, in seconds
    IDEMPOTENCY_TTL = _int("IDEMPOTENCY_TTL", 24 * 60 * 60)

    # Where paper sources live
    PAPERS_DIR = os.environ.get("PAPERS_DIR", str(BASE_DIR / "papers"))

    # Compression (Flask-Compress): Brotli, else gzip, of every textual answer; .docx and .odt
    # downloads are zip files already and are left alone. Streamed answers (the exports) stay
    # streamed: each chunk goes through the compressor as it is produced, never the whole body.
    # Fingerprinted static files come compressed already (app/core/assets.py), with the same
    # choice of encodings.
    # ETags: Flask-Compress appends the encoding to a strong ETag ("abc" → "abc:br") and
    # leaves a weak one as it is (one weak validator for every encoding of a page, which
    # HTTP allows); with COMPRESS_EVALUATE_CONDITIONAL_REQUEST it then answers If-None-Match
    # against the ETag as finally sent, so a 304 still comes after compression.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
    COMPRESS_EVALUATE_CONDITIONAL_REQUEST = True
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/atom+xml",
        "application/xml",
        "text/xml",
        "text/csv",
        "text/plain",
        "image/svg+xml",
    ]


class DevelopmentConfig(DefaultConfig):
    """`make run`: a local site with a throw-away key and the outbox for mail."""

    ENV_NAME = "development"
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-not-secret")
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")  # `make run`'s address
    # An edited stylesheet or script gets its new fingerprinted name at the next request.
    STATIC_RELOAD = True


class TestingConfig(DefaultConfig):
    """The test suite: each test brings its own database URL."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SITE_URL = "http://localhost"  # the test client's host; a live server sets its own
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_TYPE = "SimpleCache"  # one per app: every test starts with an empty one
    # Tests post forms directly; the CSRF tests switch protection back on.
    WTF_CSRF_ENABLED = False


class ProductionConfig(DefaultConfig):
    """Behind a proxy, over HTTPS: secure cookies and a real secret are required."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "default": DefaultConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
