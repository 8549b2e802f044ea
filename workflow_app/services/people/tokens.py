"""Personal API tokens and browser sessions of one user: list, revoke one, revoke the calling token, record
a token's last use; the expiry of new tokens (``TOKEN_TTL_DAYS``, default 90); issuing a token (also at a
password login through the API, ``sign_in.login_for_token``) and revoking all of a user's.

A user manages their own; an administrator any user's.

Neighbours: ``actors`` authenticates a request by a token; ``browser_sessions`` holds
the browser sessions listed here.
"""

from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import select, update

from ...engine import clock
from ...extensions import db
from ...models import ApiToken, User, UserSession
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..uow import UnitOfWork
from . import browser_sessions, login_limits
from .actors import Actor, new_token_value, token_digest, upgrade_password_hash

DEFAULT_TTL_DAYS = 90


def ttl() -> timedelta:
    days = current_app.config.get("TOKEN_TTL_DAYS", DEFAULT_TTL_DAYS) if has_app_context() else DEFAULT_TTL_DAYS
    return timedelta(days=int(days))


def _require_self_or_admin(actor: Actor, user_id: int) -> None:
    if not (actor.is_admin or actor.is_system or actor.user_id == user_id):
        raise Forbidden("only administrators manage another user's tokens and sessions")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def token_view(row: ApiToken) -> dict:
    now = clock.now()
    state = "revoked" if row.revoked else "expired" if row.expires_at is None or row.expires_at <= now else "active"
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
        "state": state,
    }


def session_view(row: UserSession, sid=None) -> dict:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "remote_addr": row.remote_addr,
        "user_agent": row.user_agent,
        "current": browser_sessions.is_current(row, sid),
    }


def list_tokens(actor: Actor, user_id: int | None = None) -> list[dict]:
    """The tokens of a user (the caller by default), newest first."""
    user_id = actor.user_id if user_id is None else user_id
    if user_id is None:
        raise BadRequest("not a user")
    _require_self_or_admin(actor, user_id)
    _user(user_id)
    rows = db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars()
    return [token_view(r) for r in rows]


def list_sessions(actor: Actor, user_id: int | None = None, sid=None) -> list[dict]:
    """The open browser sessions of a user (the caller by default), newest first."""
    user_id = actor.user_id if user_id is None else user_id
    if user_id is None:
        raise BadRequest("not a user")
    _require_self_or_admin(actor, user_id)
    _user(user_id)
    return [session_view(r, sid) for r in browser_sessions.open_sessions(user_id)]


def revoke(actor: Actor, token_id: int) -> dict:
    """Revoke one token (its owner or an administrator); revoking a revoked token changes nothing."""
    with UnitOfWork(actor) as uow:
        row = db.session.get(ApiToken, token_id)
        if row is None or not (actor.is_admin or actor.is_system or actor.user_id == row.user_id):
            raise NotFound("token not found")  # another user's token is not revealed to a non-admin
        if not row.revoked:
            row.revoked = True
            row.revoked_at = clock.now()
            uow.record(
                "token_revoked",
                payload={
                    "user_id": row.user_id,
                    "token_id": row.id,
                    "name": row.name,
                    "by_owner": actor.user_id == row.user_id,
                },
            )
        uow.commit()
    return token_view(row)


def revoke_current(actor: Actor) -> dict:
    """``POST /auth/revoke``: revoke the token this request was authenticated with."""
    if actor.token_id is None:
        raise BadRequest("this request was not authenticated with a token")
    return revoke(actor, actor.token_id)


def end_session(actor: Actor, session_id: int) -> None:
    """End one browser session of a user (the user or an administrator)."""
    with UnitOfWork(actor) as uow:
        row = db.session.get(UserSession, session_id)
        if row is None or not (actor.is_admin or actor.is_system or actor.user_id == row.user_id):
            raise NotFound("session not found")
        if row.ended_at is None:
            row.ended_at = clock.now()
            uow.record("session_ended", payload={"user_id": row.user_id, "session_id": row.id})
        uow.commit()


def record_use(actor: Actor) -> None:
    """Record now as the last use of the actor's token (the caller decides it is due: once a minute)."""
    if actor.token_id is None:
        return
    with UnitOfWork(actor) as uow:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == actor.token_id)
            .values(last_used_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        uow.commit()


def issue_token(actor: Actor, username: str, name: str = "", *, login_password: str | None = None) -> str:
    """A new personal API token for ``username`` (the user itself, an admin or the CLI); returns it in clear.

    ``login_password``: issued at a password login, whose outdated hash is upgraded in the same transaction."""
    with UnitOfWork(actor) as uow:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound("user '%(username)s' not found", username=username)
        if not (actor.is_system or actor.is_admin or actor.user_id == user.id):
            raise Forbidden("you may issue tokens only for yourself")
        if not user.active:
            raise Conflict("the user is deactivated")
        if login_password is not None:
            upgrade_password_hash(user, login_password)
            login_limits.forget_account(user.username)  # a successful login: its failures no longer count
        value = new_token_value()
        now = clock.now()
        expires_at = now + ttl()
        row = ApiToken(
            user_id=user.id,
            token_hash=token_digest(value),
            name=(name or "")[:100],
            created_at=now,
            expires_at=expires_at,
        )
        db.session.add(row)
        uow.flush()
        uow.record(
            "token_issued",
            payload={
                "user_id": user.id,
                "token_id": row.id,
                "name": row.name,
                "expires_at": expires_at.isoformat(),
            },
        )
        uow.commit()
    return value


def revoke_tokens(actor: Actor, username: str) -> int:
    with UnitOfWork(actor) as uow:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound("user '%(username)s' not found", username=username)
        if not (actor.is_system or actor.is_admin or actor.user_id == user.id):
            raise Forbidden("you may revoke only your own tokens")
        rows = (
            db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False)))
            .scalars()
            .all()
        )
        now = clock.now()
        for row in rows:
            row.revoked = True
            row.revoked_at = now
        uow.record("tokens_revoked", payload={"user_id": user.id, "count": len(rows)})
        uow.commit()
    return len(rows)
