"""The REST API under /api/v1: JSON in and out, OpenAPI 3 at /api/v1/openapi.json.

Authentication: ``Authorization: Bearer <personal token>`` or the browser session (then mutating
requests need the CSRF token in ``X-CSRFToken``). Errors are ``{"error": {"code", "message", "fields"}}``.
"""

from flask import request
from werkzeug.exceptions import HTTPException

from ..extensions import csrf
from ..services.errors import ServiceError
from ..web import http_error_page, internal_error_page, service_error_page
from . import blueprints
from .core import PUBLIC_PATHS, ApiSessionInterface, api, authenticate_request, error_response


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
    for bp in blueprints.ALL:
        csrf.exempt(bp)  # CSRF is enforced in core.authenticate_request for session-authenticated writes
        api.register_blueprint(bp, url_prefix="/api/v1" + (bp.url_prefix or ""))

    @app.before_request
    def _api_auth():
        if (
            request.path.startswith("/api/v1")
            and not request.path.endswith("/openapi.json")
            and request.path not in PUBLIC_PATHS
        ):
            try:
                authenticate_request()
            except ServiceError as exc:
                return error_response(exc.status, exc.code, exc.message, exc.fields)
        return None

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if request.path.startswith("/api/"):
            return error_response(exc.status, exc.code, exc.message, exc.fields, exc.problems)
        return service_error_page(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            fields = {}
            data = getattr(exc, "data", None)
            if isinstance(data, dict) and "messages" in data:
                fields = data["messages"]
            status = exc.code or 500
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
            }.get(status, "error")
            return error_response(status, code, exc.description or exc.name, fields)
        if exc.code is None or exc.code < 400:
            return exc  # redirects and the like
        return http_error_page(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        if request.path.startswith("/api/"):
            return error_response(500, "internal", "internal error; it has been logged")
        return internal_error_page()
