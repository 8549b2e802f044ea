"""What every API module shares: the flask-smorest ``Api``, the error body, and the caller of a request.

A leaf of the api package (it imports no api module), so each resource module imports it and the
package's ``register_api`` imports them all without a cycle.
"""

from flask import g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_smorest import Api
from marshmallow import Schema
from marshmallow import fields as ma_fields

from ..extensions import csrf
from ..services.errors import Unauthorized
from ..services.people import tokens
from ..services.people.actors import actor_for, token_actor


class ErrorBodySchema(Schema):
    code = ma_fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, ..."})
    message = ma_fields.String()
    fields = ma_fields.Dict(metadata={"description": "per-field problems (validation)"})  # type: ignore[assignment]  # the body's key "fields" shadows Schema.fields (the declared fields) for mypy only
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


def authenticate_request():
    g.pop("api_actor", None)  # never inherit an actor from an enclosing app context (tests, CLI)
    g.pop("_login_user", None)  # Flask-Login's per-context cache: re-read the session of this request
    token = _bearer_token(request)
    if token is not None:
        found = token_actor(token)
        if found is None:
            raise Unauthorized("invalid, expired or revoked token")
        g.api_actor, use_stale = found
        if use_stale:  # its last use is recorded at most once a minute (services/people/actors)
            tokens.record_use(g.api_actor)
        return
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_actor = actor_for(current_user)
