"""Tokens and the caller: POST /auth/token (no authentication), GET /auth/csrf, GET /me, POST /me/inbox-seen."""

from flask import request
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from ..services.people import profile, sign_in
from ..services.tasks import inbox
from .core import current_actor
from .schemas.auth import CsrfSchema, MeSchema, SeenSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="", description="Authentication and the current user")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema())
@blp.response(201, TokenSchema)
@blp.doc(security=[])
def create_token(body):
    """Exchange a user name and password for a personal API token (use it as ``Authorization: Bearer``)."""
    return {
        "token": sign_in.login_for_token(
            body["username"], body["password"], body.get("name") or "api", remote_addr=request.remote_addr
        )
    }


@blp.route("/auth/csrf")
@blp.response(200, CsrfSchema)
def csrf_token():
    """A CSRF token for session-authenticated clients: send it as ``X-CSRFToken`` on writes."""
    current_actor()
    return {"csrf_token": generate_csrf()}


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """Who I am: organisation, groups, whom I deputise today, and the new-task counter."""
    return profile.profile(current_actor())


@blp.route("/me/inbox-seen", methods=["POST"])
@blp.response(200, SeenSchema)
def inbox_seen():
    """Reset the new-task counter."""
    return {"inbox_seen_at": inbox.mark_inbox_seen(current_actor())}
