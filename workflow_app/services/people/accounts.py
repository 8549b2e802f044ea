"""Use cases on people: create users (see ``administration``), personal API tokens, the caller's profile.

Passwords and tokens are stored hashed (``actors.hash_password``, ``actors.token_digest``); a token's
clear value is shown once, when it is issued.

Neighbours: ``administration`` administers other users (search, edit, deactivate); ``tokens`` lists and revokes
tokens and sessions; ``actors`` turns a user into an ``Actor``. This module: creating users, issuing
tokens, the caller's own profile.
"""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import ApiToken, Group, User
from ..errors import Conflict, Forbidden, NotFound, Unauthorized
from ..tasks import inbox
from ..uow import UnitOfWork
from . import administration, login_limits, sign_in, tokens
from .actors import Actor, actor_for, new_token_value, token_digest, upgrade_password_hash


def add_user(
    actor: Actor,
    username: str,
    password: str,
    display_name: str | None = None,
    groups=(),
    organisation_code: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user whose password is final (the operator's CLI, scripts): ``administration.create`` with no
    change required at the first login."""
    user, _generated = administration.create(
        actor, username, password, display_name, groups, organisation_code, email, must_change_password=False
    )
    return user


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
        expires_at = now + tokens.ttl()
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


def login_for_token(username, password, name: str = "api", *, remote_addr: str | None = None) -> str:
    """``POST /auth/token``: check the password (within the login limits) and issue a token (Unauthorized on
    bad credentials, TooManyAttempts over the limits)."""
    user = sign_in.verify(username, password, remote_addr=remote_addr, channel="api")
    if user.must_change_password:
        raise Forbidden("the password was set by an administrator: change it on the web first")
    return issue_token(actor_for(user), user.username, name, login_password=password)


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


def profile(actor: Actor) -> dict:
    """``GET /me``: who the caller is, its organisation, groups and whom it deputises today."""
    user = db.session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        raise Unauthorized("not a user")
    acting = []
    for uid, _org, _groups in actor.acting_for:
        principal = db.session.get(User, uid)
        if principal is not None:
            acting.append(principal.username)
    names: dict[str, str] = dict(
        db.session.execute(select(Group.id, Group.name_ru).where(Group.id.in_(user.group_ids))).all()
    )
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "organisation": (
            {
                "id": user.organisation.id,
                "code": user.organisation.code,
                "name": user.organisation.name,
                "kind": user.organisation.kind,
            }
            if user.organisation
            else None
        ),
        "groups": sorted(user.group_ids),
        "group_names": {g: names.get(g, g) for g in sorted(user.group_ids)},
        "acting_for": acting,
        "new_tasks": inbox.new_task_count(actor),
    }
