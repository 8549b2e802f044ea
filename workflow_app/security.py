"""HTTP hardening: security headers (CSP without inline script, no framing).

Login limits are not here: failed logins are counted per account and per address in the database, which
every worker and host shares (services/people/login_limits.py).
"""

import os
import secrets
import tempfile
from pathlib import Path

from flask import g, request

from .api.core import PUBLIC_PATHS, error_response
from .config import DEFAULT_SECRET

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)

# Secrets anyone can read (they are in this repository): a server never signs sessions with them.
KNOWN_SECRETS = frozenset({DEFAULT_SECRET, "test-secret", "changeme", "secret"})
MIN_SECRET_LENGTH = 16


def ensure_secret_key(app) -> None:
    """Refuse a readable secret in every mode; outside production make a random one on first run.

    Given a known or short ``SECRET_KEY`` the app does not start (in development too: a cookie signed with the
    source's value would otherwise be accepted). Given none, production refuses; elsewhere a random key is
    created once in the instance folder (``secret_key``, mode 0600) and read by every later start and every
    worker.
    """
    key = app.config.get("SECRET_KEY")
    if key:
        if key in KNOWN_SECRETS or len(key) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                f"SECRET_KEY is a published or short value: set a random one of {MIN_SECRET_LENGTH}+ characters"
            )
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    path = Path(app.config.get("SECRET_KEY_FILE") or os.path.join(app.instance_path, "secret_key"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # written aside and linked into place: workers starting together agree on one key
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    app.config["SECRET_KEY"] = path.read_text().strip()
    if len(app.config["SECRET_KEY"]) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"{path}: the secret key file is empty or short; delete it to have a new one made")


def init_security(app) -> None:
    @app.before_request
    def _api_requires_authentication():
        """Anonymous calls to the API get 401 before any argument parsing (runs after the API's own auth)."""
        if (
            request.path.startswith("/api/v1")
            and not request.path.endswith("/openapi.json")
            and request.path not in PUBLIC_PATHS
            and g.get("api_actor") is None
        ):
            return error_response(401, "unauthorized", "authentication required: a Bearer token or a session")
        return None

    @app.after_request
    def _headers(response):
        headers = response.headers
        present = {key.lower() for key in headers.keys()}  # noqa: SIM118  (iterating Headers gives (name, value) pairs)
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000")
        if "cache-control" not in present and request.path.startswith(("/api/", "/login", "/tasks/")):
            headers.add("Cache-Control", "no-store")
        return response
