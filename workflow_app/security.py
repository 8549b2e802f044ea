"""HTTP hardening: security headers (CSP without inline script, no framing), login rate limits."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

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

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

# Endpoints that take a password: a few attempts a minute per client address.
LOGIN_ENDPOINTS = ("web.login", "auth.create_token")
LOGIN_LIMIT = "10 per minute"


def init_security(app) -> None:
    limiter.init_app(app)

    @app.before_request
    def _api_requires_authentication():
        """Anonymous calls to the API get 401 before any argument parsing (runs after the API's own auth)."""
        from flask import g

        from .api import PUBLIC_PATHS, error_response

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
        present = {key.lower() for key in headers.keys()}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", "max-age=31536000")
        if "cache-control" not in present and request.path.startswith(("/api/", "/login", "/tasks/")):
            headers.add("Cache-Control", "no-store")
        return response


def limit_logins(app) -> None:
    """Wrap the password-taking views (registered by their blueprints) with the login rate limit."""
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(LOGIN_LIMIT, methods=["POST"])(view)
