"""The REST API under /api/v1: JSON in and out, OpenAPI 3 at /api/v1/openapi.json.

Authentication: ``Authorization: Bearer <personal token>`` or the browser session (then mutating
requests need the CSRF token in ``X-CSRFToken``). Errors are ``{"error": {"code", "message", "fields"}}``.
"""

from flask import g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_smorest import Api
from marshmallow import Schema
from marshmallow import fields as ma_fields
from werkzeug.exceptions import HTTPException

from ..extensions import csrf
from ..services import tokens
from ..services.errors import ServiceError, Unauthorized
from ..services.identity import actor_for, token_actor


class ErrorBodySchema(Schema):
    code = ma_fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, ..."})
    message = ma_fields.String()
    fields = ma_fields.Dict(metadata={"description": "per-field problems (validation)"})
    problems = ma_fields.List(
        ma_fields.Dict(),
        metadata={
            "description": "a refused BPMN model's every problem: severity, rule, element, name, line, file, message, hint"
        },
    )


class ErrorSchema(Schema):
    """The documented shape of every error answer (so clients and schemathesis can rely on it)."""

    error = ma_fields.Nested(ErrorBodySchema)


api = Api()
api.ERROR_SCHEMA = ErrorSchema
PUBLIC_PATHS = {"/api/v1/auth/token"}  # no authentication: this is where a token is obtained


def _bearer_token(req) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None (the request then relies on the session)."""
    header = req.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def _bearer_api_request(req) -> bool:
    return req.path.startswith("/api/") and _bearer_token(req) is not None


class ApiSessionInterface(SecureCookieSessionInterface):
    """A request authenticated by a bearer token has no browser session: its cookie (if any) is neither
    verified nor re-signed, it gets an empty session, and that is never saved (no Set-Cookie)."""

    def open_session(self, app, request):
        if _bearer_api_request(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not _bearer_api_request(request):
            super().save_session(app, session, response)


def error_response(status: int, code: str, message: str, fields=None, problems=None):
    """The error body; ``problems`` (a refused model's every problem) is listed as ``error.problems``."""
    body = {"code": code, "message": message, "fields": fields or {}}
    if problems:
        body["problems"] = [p.as_dict() for p in problems]
    response = jsonify({"error": body})
    response.status_code = status
    return response


def current_actor():
    """The authenticated Actor of this API request (401 otherwise)."""
    actor = g.get("api_actor")
    if actor is None:
        raise Unauthorized("authentication required: a Bearer token or a session")
    return actor


def _authenticate():
    g.pop("api_actor", None)  # never inherit an actor from an enclosing app context (tests, CLI)
    g.pop("_login_user", None)  # Flask-Login's per-context cache: re-read the session of this request
    token = _bearer_token(request)
    if token is not None:
        found = token_actor(token)
        if found is None:
            raise Unauthorized("invalid, expired or revoked token")
        g.api_actor, use_stale = found
        if use_stale:  # its last use is recorded at most once a minute (services/identity)
            tokens.record_use(g.api_actor)
        return
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_actor = actor_for(current_user)


def register_api(app):
    app.config.setdefault("API_TITLE", "Soglasie API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.session_interface = ApiSessionInterface()
    app.json.ensure_ascii = False  # Russian text as UTF-8 (JSON's own encoding), not 6-byte \uXXXX escapes
    api.init_app(app)
    from . import blueprints

    for bp in blueprints.ALL:
        csrf.exempt(bp)  # CSRF is enforced in _authenticate for session-authenticated writes
        api.register_blueprint(bp, url_prefix="/api/v1" + (bp.url_prefix or ""))

    @app.before_request
    def _api_auth():
        if (
            request.path.startswith("/api/v1")
            and not request.path.endswith("/openapi.json")
            and request.path not in PUBLIC_PATHS
        ):
            try:
                _authenticate()
            except ServiceError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.fields)
        return None

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if request.path.startswith("/api/"):
            return error_response(exc.status, exc.code, exc.message, exc.fields, exc.problems)
        from ..web import service_error_page

        return service_error_page(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            fields = {}
            data = getattr(exc, "data", None)
            if isinstance(data, dict) and "messages" in data:
                fields = data["messages"]
            code = {
                400: "bad_request",
                401: "unauthorized",
                403: "forbidden",
                404: "not_found",
                405: "method_not_allowed",
                409: "conflict",
                413: "too_large",
                415: "unsupported_media_type",
                422: "invalid",
                429: "too_many_requests",
            }.get(exc.code, "error")
            return error_response(exc.code or 500, code, exc.description or exc.name, fields)
        if exc.code is None or exc.code < 400:
            return exc  # redirects and the like
        from ..web import http_error_page

        return http_error_page(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        if request.path.startswith("/api/"):
            return error_response(500, "internal", "internal error; it has been logged")
        from ..web import internal_error_page

        return internal_error_page()
