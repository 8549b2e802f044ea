"""Settings, read from environment variables (see README: Configuration)."""

import os
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-insecure-secret-change-me"  # published in the source: never accepted to sign anything


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _threshold(value: str) -> int | None:
    """psycopg's ``prepare_threshold``: a number of executions, or none (never prepare)."""
    return None if value.strip().lower() in ("", "none", "off") else int(value)


def engine_options(url: str) -> dict:
    """Connection pool settings for PostgreSQL (sizes from the environment; docs/operations.md §10).

    Every setting here is about round trips, which are most of a command's cost on PostgreSQL:

    - No pre-ping by default (``DB_POOL_PRE_PING=1`` turns it on): it costs a round trip each time a request
      takes a connection from the pool. Without it, the first statement on a connection the server has
      dropped (PostgreSQL restarted) fails; SQLAlchemy then discards every connection of the pool opened
      before that moment, the request is answered 503 with Retry-After (resilience.py), and the next request
      gets a fresh connection. Connections are also renewed every ``DB_POOL_RECYCLE`` seconds (default 30
      minutes), before firewalls or PgBouncer's ``server_idle_timeout`` close them silently.
    - Prepared statements (``DB_PREPARE_THRESHOLD``, default 5): psycopg prepares a statement on its fifth
      execution on a connection, and from then on PostgreSQL neither parses nor plans it again: half of the
      server's CPU per command (2.0 instead of 4.5 ms for a completion, benchmarks in docs/operations.md). The
      statements are the ones SQLAlchemy compiles (cached per statement shape), so a connection keeps a few
      dozen. psycopg forgets them at a ROLLBACK (``DEALLOCATE ALL``), which only a failed command sends (reads
      run in autocommit, a command ends with COMMIT). PgBouncer in transaction mode needs
      ``max_prepared_statements`` (PgBouncer 1.21 or newer); behind an older one set ``DB_PREPARE_THRESHOLD=none``.

    SQLite needs none of this: its connections are files that never go stale.
    """
    options: dict = {}
    if url.startswith("postgresql"):
        options.update(
            pool_pre_ping=_bool("DB_POOL_PRE_PING", False),
            pool_size=int(os.environ.get("DB_POOL_SIZE", "5")),
            max_overflow=int(os.environ.get("DB_MAX_OVERFLOW", "5")),
            pool_timeout=int(os.environ.get("DB_POOL_TIMEOUT", "10")),
            pool_recycle=int(os.environ.get("DB_POOL_RECYCLE", "1800")),
            connect_args={"prepare_threshold": _threshold(os.environ.get("DB_PREPARE_THRESHOLD", "5"))},
        )
    return options


class Config:
    ENV_NAME = os.environ.get("SOGLASIE_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # none given: a random one kept in the instance folder
    SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE", "")  # empty: <instance folder>/secret_key
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'soglasie.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = engine_options(SQLALCHEMY_DATABASE_URI)
    TIMEZONE = os.environ.get("TZ_REGION", "Asia/Tomsk")
    BPMN_DIR = os.environ.get("BPMN_DIR", str(ROOT / "bpmn"))
    FORMS_DIR = os.environ.get("FORMS_DIR", str(ROOT / "forms"))
    CHAINS_CONFIG = os.environ.get("CHAINS_CONFIG", "")  # empty: BPMN_DIR/chains.json
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
    ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))  # one task attachment
    BABEL_DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "ru")
    BABEL_DEFAULT_TIMEZONE = "Asia/Tomsk"
    LANGUAGES = ("ru", "en")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "soglasie@localhost")
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo")
    # argon2id at OWASP's recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane
    PASSWORD_HASH: ClassVar[dict] = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV_NAME == "production")  # HTTPS in production
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None
    TOKEN_TTL_DAYS = int(os.environ.get("TOKEN_TTL_DAYS", "90"))  # personal API tokens expire
    # A browser session ends after this many minutes without a request (OWASP Session Management: 15-30
    # minutes for an application of this value) and, however active, this many hours after sign-in.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    # Failed logins, counted in the database (shared by every worker and host) within a sliding window:
    # per account (the account is then refused for the rest of the window) and per client address (an
    # office behind one NAT shares it, so its limit is higher). Successful logins are not counted.
    LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "10"))
    LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "100"))
    LOG_JSON = _bool("LOG_JSON", ENV_NAME == "production")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))  # reverse proxies in front (X-Forwarded-* trusted)
    TESTING = False


class TestConfig(Config):
    TESTING = True
    PASSWORD_HASH: ClassVar[dict] = {
        "time_cost": 1,
        "memory_cost": 1024,
        "parallelism": 1,
    }  # the suite creates many users
    SECRET_KEY = "tests-only-" + "t" * 32
    # the suite moves the clock by days while its clients stay signed in; test_trust sets the limits it tests
    SESSION_IDLE_MINUTES = 10 * 365 * 24 * 60
    SESSION_MAX_HOURS = 10 * 365 * 24
    WTF_CSRF_ENABLED = True
