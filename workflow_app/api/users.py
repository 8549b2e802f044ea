"""People and their credentials: users (administrators), the caller's and any user's tokens and sessions,
the caller's password."""

from flask import session
from flask_smorest import Blueprint

from ..services.people import administration, browser_sessions, sign_in, tokens
from .core import current_actor
from .schemas.users import (
    DeactivationSchema,
    NewTokenSchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    PasswordResetDoneSchema,
    PasswordResetSchema,
    SessionInfoSchema,
    TokenCreateSchema,
    TokenInfoSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserEditSchema,
    UserPageSchema,
    UserQuerySchema,
    UserSchema,
)

blp = Blueprint(
    "users",
    __name__,
    url_prefix="",
    description="Users (administrators only change them), personal API tokens and browser sessions",
)


@blp.route("/users")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(query):
    """Search users by name or login, organisation, group, status (administrators)."""
    return administration.search(current_actor(), **query)


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserCreatedSchema)
def create_user(body):
    """Create a user (administrators); the password must be changed at the first login."""
    user, generated = administration.create(current_actor(), **body)
    return {"user": administration.user_view(user), "temporary_password": generated}


@blp.route("/users/<int:user_id>")
@blp.response(200, UserSchema)
def get_user(user_id):
    return administration.user_view(administration.get(current_actor(), user_id))


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.arguments(UserEditSchema)
@blp.response(200, UserSchema)
def edit_user(body, user_id):
    """Change name, e-mail, organisation (code), groups (the complete list); group changes apply at the
    user's next request. The last active administrator keeps the admin group."""
    return administration.user_view(administration.edit(current_actor(), user_id, **body))


@blp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@blp.arguments(PasswordResetSchema)
@blp.response(200, PasswordResetDoneSchema)
def reset_password(body, user_id):
    """Set a one-time password (generated unless given); the user's sessions end, and the user must change
    it at the next login."""
    return {"temporary_password": administration.reset_password(current_actor(), user_id, body.get("password"))}


@blp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@blp.response(200, DeactivationSchema)
def deactivate_user(user_id):
    """Deactivate at once: sessions end, tokens are revoked, open tasks go back unassigned to their groups
    (named in the answer). The last active administrator cannot be deactivated."""
    done = administration.deactivate(current_actor(), user_id)
    return {
        "user": administration.user_view(done.user),
        "sessions_ended": done.sessions_ended,
        "tokens_revoked": done.tokens_revoked,
        "unassigned_tasks": done.unassigned_tasks,
    }


@blp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@blp.response(200, UserSchema)
def reactivate_user(user_id):
    return administration.user_view(administration.reactivate(current_actor(), user_id))


@blp.route("/users/<int:user_id>/tokens")
@blp.response(200, TokenInfoSchema(many=True))
def user_tokens(user_id):
    """A user's tokens (the user or an administrator)."""
    return tokens.list_tokens(current_actor(), user_id)


@blp.route("/users/<int:user_id>/sessions")
@blp.response(200, SessionInfoSchema(many=True))
def user_sessions(user_id):
    """A user's open browser sessions (the user or an administrator)."""
    return tokens.list_sessions(current_actor(), user_id, session.get(browser_sessions.SID_KEY))


@blp.route("/me/tokens")
@blp.response(200, TokenInfoSchema(many=True))
def my_tokens():
    return tokens.list_tokens(current_actor())


@blp.route("/me/tokens", methods=["POST"])
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
def issue_my_token(body):
    """A new personal token for the caller (expires after TOKEN_TTL_DAYS)."""
    actor = current_actor()
    return {"token": tokens.issue_token(actor, actor.username, body["name"])}


@blp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@blp.response(200, TokenInfoSchema)
def revoke_token(token_id):
    """Revoke a token: one's own, or any user's for an administrator."""
    return tokens.revoke(current_actor(), token_id)


@blp.route("/auth/revoke", methods=["POST"])
@blp.response(200, TokenInfoSchema)
def revoke_calling_token():
    """Revoke the token this request is authenticated with (400 with a session)."""
    return tokens.revoke_current(current_actor())


@blp.route("/me/sessions")
@blp.response(200, SessionInfoSchema(many=True))
def my_sessions():
    return tokens.list_sessions(current_actor(), None, session.get(browser_sessions.SID_KEY))


@blp.route("/sessions/<int:session_id>/end", methods=["POST"])
@blp.response(204)
def end_session(session_id):
    """End a browser session: one's own, or any user's for an administrator."""
    tokens.end_session(current_actor(), session_id)


@blp.route("/me/password", methods=["POST"])
@blp.arguments(PasswordChangeSchema)
@blp.response(200, PasswordChangedSchema)
def change_password(body):
    """Change the own password; every other session of the caller ends."""
    ended = sign_in.change_password(
        current_actor(), body["current_password"], body["new_password"], sid=session.get(browser_sessions.SID_KEY)
    )
    return {"sessions_ended": ended}
