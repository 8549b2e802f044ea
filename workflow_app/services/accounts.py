"""Use cases on people: create users, personal API tokens, deputies (absences), the caller's profile.

Passwords and tokens are stored hashed (``identity.hash_password``, ``identity.token_digest``); a token's
clear value is shown once, when it is issued.
"""

import re
from datetime import date

from sqlalchemy import select

from ..engine import clock
from ..extensions import db
from ..models import ApiToken, Deputy, Group, Organisation, User
from ..roles import ROLES
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from .identity import (
    Actor,
    authenticate,
    create_user,
    ensure_roles,
    new_token_value,
    password_problems,
    token_digest,
    upgrade_password_hash,
)
from .uow import UnitOfWork

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD = PASSWORD_MIN_LENGTH = 10  # see identity.password_problems


def _require_admin(actor: Actor):
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators manage users")


def add_user(
    actor: Actor,
    username: str,
    password: str,
    display_name: str | None = None,
    groups=(),
    organisation_code: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user (admins and the CLI). Groups must be known role ids; the organisation is by code."""
    _require_admin(actor)
    errors = {}
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        errors["username"] = "2-64 characters: letters, digits, _ . -"
    password_errors = password_problems(username, password)  # the policy for non-demo users
    if password_errors:
        errors["password"] = "; ".join(password_errors)
    unknown = [g for g in groups if g not in ROLES]
    if unknown:
        errors["groups"] = "unknown groups: " + ", ".join(unknown)
    if errors:
        raise Invalid("the user cannot be created", fields=errors)
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        if db.session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"user '{username}' already exists", fields={"username": "taken"})
        org = None
        if organisation_code:
            org = db.session.execute(
                select(Organisation).where(Organisation.code == organisation_code)
            ).scalar_one_or_none()
            if org is None:
                raise Invalid("unknown organisation", fields={"organisation": organisation_code})
        user = create_user(
            db.session, username, password, display_name or username, list(groups), organisation=org, email=email
        )
        uow.flush()
        uow.record(
            "user_created",
            payload={
                "user_id": user.id,
                "username": username,
                "groups": sorted(groups),
                "organisation": organisation_code,
            },
        )
        uow.commit()
    return user


def issue_token(actor: Actor, username: str, name: str = "", *, login_password: str | None = None) -> str:
    """A new personal API token for ``username`` (the user itself, an admin or the CLI); returns it in clear.

    ``login_password``: issued at a password login, whose outdated hash is upgraded in the same transaction."""
    with UnitOfWork(actor) as uow:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"user '{username}' not found")
        if not (actor.is_system or actor.is_admin or actor.user_id == user.id):
            raise Forbidden("you may issue tokens only for yourself")
        if not user.active:
            raise Conflict("the user is deactivated")
        if login_password is not None:
            upgrade_password_hash(user, login_password)
        value = new_token_value()
        row = ApiToken(user_id=user.id, token_hash=token_digest(value), name=(name or "")[:100], created_at=clock.now())
        db.session.add(row)
        uow.flush()
        uow.record("token_issued", payload={"user_id": user.id, "token_id": row.id, "name": row.name})
        uow.commit()
    return value


def login_for_token(username, password, name: str = "api") -> str:
    """``POST /auth/token``: check the password and issue a token (Unauthorized on bad credentials)."""
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise Unauthorized("wrong user name or password")
    user = authenticate(username[:64], password)
    if user is None:
        with UnitOfWork(Actor(None, "anonymous")) as uow:
            uow.record("login_failed", payload={"username": username[:64], "channel": "api"})
            uow.commit()
        raise Unauthorized("wrong user name or password")
    from .identity import actor_for

    return issue_token(actor_for(user), user.username, name, login_password=password)


def revoke_tokens(actor: Actor, username: str) -> int:
    with UnitOfWork(actor) as uow:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"user '{username}' not found")
        if not (actor.is_system or actor.is_admin or actor.user_id == user.id):
            raise Forbidden("you may revoke only your own tokens")
        rows = (
            db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False)))
            .scalars()
            .all()
        )
        for row in rows:
            row.revoked = True
        uow.record("tokens_revoked", payload={"user_id": user.id, "count": len(rows)})
        uow.commit()
    return len(rows)


def add_deputy(actor: Actor, principal: str, deputy: str, starts_on: date, ends_on: date) -> Deputy:
    """``deputy`` acts for ``principal`` from ``starts_on`` to ``ends_on`` inclusive (an absence).
    An admin or the principal itself sets it up."""
    if not isinstance(starts_on, date) or not isinstance(ends_on, date) or ends_on < starts_on:
        raise Invalid("bad period", fields={"ends_on": "on or after starts_on"})
    with UnitOfWork(actor) as uow:
        users = {
            u.username: u
            for u in db.session.execute(select(User).where(User.username.in_([principal, deputy]))).scalars()
        }
        if principal not in users or deputy not in users:
            raise Invalid("unknown user", fields={"user": "unknown user"})
        p, d = users[principal], users[deputy]
        if p.id == d.id:
            raise Invalid("a user cannot deputise for itself", fields={"deputy": "another user"})
        if not (actor.is_admin or actor.is_system or actor.user_id == p.id):
            raise Forbidden("only the absent user or an administrator names a deputy")
        row = Deputy(principal_id=p.id, deputy_id=d.id, starts_on=starts_on, ends_on=ends_on)
        db.session.add(row)
        uow.flush()
        uow.record(
            "deputy_added",
            payload={
                "principal": principal,
                "deputy": deputy,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
        uow.commit()
    return row


def profile(actor: Actor) -> dict:
    """``GET /me``: who the caller is, its organisation, groups and whom it deputises today."""
    user = db.session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        raise Unauthorized("not a user")
    from . import inbox

    acting = []
    for uid, _org, _groups in actor.acting_for:
        principal = db.session.get(User, uid)
        if principal is not None:
            acting.append(principal.username)
    names: dict[str, str] = dict(
        db.session.execute(select(Group.id, Group.name_ru).where(Group.id.in_(user.group_ids))).tuples().all()
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
