"""People, administered without a database console: list and search, create, edit (name, e-mail,
organisation, groups), reset a password, deactivate and reactivate.

Only administrators (and the operator's CLI) change users. Every change is an audit event naming the user
and what changed (before/after). Rules that hold whatever the face:
- the last active administrator cannot lose the ``admin`` group or be deactivated;
- deactivating ends every browser session and revokes every token of the user at once, and puts their open
  tasks back, unassigned, into their groups (the answer names them); what they did stays in the history
  under their name;
- a password set by an administrator must be changed by its user at the next login; the reset ends the
  user's sessions;
- group changes take effect on the user's next request (the actor is read afresh for every request).

Neighbours: ``tokens`` issues and revokes API tokens; ``actors`` answers who is acting; ``profile`` is the
caller's own. This module: creating users, the administrator's commands and lists over everyone's accounts.
"""

import re
import secrets
from dataclasses import dataclass
from types import EllipsisType

from sqlalchemy import exists, func, or_, select, update

from ...engine import clock
from ...extensions import db
from ...models import ApiToken, Group, HumanTask, Membership, Organisation, User
from ...roles import ROLES
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..uow import UnitOfWork, rows_changed
from . import browser_sessions
from .actors import Actor, create_user, ensure_roles, hash_password, password_problems

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_NAME = 200
PAGE_SIZE = 50


def require_admin(actor: Actor) -> None:
    """Administrators (and the operator's CLI) manage people; anyone else is refused."""
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators manage users")


def temporary_password() -> str:
    """A one-time password an administrator hands over (the user must change it at the next login)."""
    return "Tmp-" + secrets.token_urlsafe(9)


# --- reading ------------------------------------------------------------------------------------------


def user_view(user: User) -> dict:
    org = user.organisation
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "organisation": {"id": org.id, "code": org.code, "name": org.name} if org else None,
        "groups": sorted(user.group_ids),
        "active": bool(user.active),
        "must_change_password": bool(user.must_change_password),
        "created_at": user.created_at,
        "deactivated_at": user.deactivated_at,
    }


@dataclass
class UserPage:
    items: list
    total: int
    page: int
    pages: int


def search(
    actor: Actor, q: str = "", organisation: str | None = None, group: str | None = None, status: str = "active", page=1
) -> UserPage:
    """Users matching ``q`` (in the name or the login, case-insensitive), of an organisation (code), in a
    group, ``status`` active / inactive / all; by name, PAGE_SIZE a page."""
    require_admin(actor)
    query = select(User)
    q = (q or "").strip()[:100] if isinstance(q, str) else ""
    if q:
        # SQLite's lower() folds ASCII only: Cyrillic names are matched in the usual spellings of the query
        variants = {q, q.lower(), q.upper(), q.title(), q.capitalize()}
        query = query.where(
            or_(
                func.lower(User.username).like(f"%{q.lower()}%"),
                *(User.display_name.like(f"%{v}%") for v in sorted(variants)),
            )
        )
    if organisation:
        query = query.join(Organisation, Organisation.id == User.organisation_id).where(
            Organisation.code == organisation
        )
    if group:
        query = query.where(exists().where(Membership.user_id == User.id, Membership.group_id == group))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    total = db.session.execute(query.with_only_columns(func.count()).order_by(None)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        page = min(max(1, int(page)), pages)
    except (TypeError, ValueError):
        page = 1
    rows = db.session.execute(
        query.order_by(User.display_name, User.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).scalars()
    return UserPage([user_view(u) for u in rows], total, page, pages)


def get(actor: Actor, user_id: int) -> User:
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def by_username(actor: Actor, username: str) -> User:
    require_admin(actor)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("user '%(username)s' not found", username=username)
    return user


def group_choices() -> list[tuple[str, str]]:
    """(group id, Russian name) of every role, in the order of roles.ROLES."""
    return [(gid, names[0]) for gid, names in ROLES.items()]


# --- validation ---------------------------------------------------------------------------------------


def _clean_groups(groups, errors: dict) -> list[str] | None:
    if groups is None:
        return None
    if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):
        errors["groups"] = "a list of group ids"
        return None
    unknown = sorted({g for g in groups if g not in ROLES})
    if unknown:
        errors["groups"] = "unknown groups: " + ", ".join(unknown)
        return None
    return sorted(set(groups))


def _clean_name(value, errors: dict, required: bool) -> str | None:
    if value is None:
        if required:
            errors["display_name"] = "required"
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME:
        errors["display_name"] = f"1-{MAX_NAME} characters"
        return None
    return " ".join(value.split())


def _clean_email(value, errors: dict) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 200 or not EMAIL_RE.match(value.strip()):
        errors["email"] = "not an e-mail address"
        return None
    return value.strip()


def _organisation(code, errors: dict, *, for_new_member: bool) -> Organisation | None:
    if code in (None, ""):
        return None
    org = (
        db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
        if isinstance(code, str)
        else None
    )
    if org is None:
        errors["organisation"] = "unknown organisation"
    elif for_new_member and not org.active:
        errors["organisation"] = "the organisation is inactive"
    return org


def _active_admin_ids(excluding: int) -> list[int]:
    return list(
        db.session.execute(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == "admin", User.active.is_(True), User.id != excluding)
        ).scalars()
    )


def _require_not_last_admin(user: User) -> None:
    if "admin" in user.group_ids and user.active and not _active_admin_ids(user.id):
        raise Conflict(
            "the last active administrator cannot lose the administrator's rights", fields={"groups": "admin"}
        )


# --- commands -----------------------------------------------------------------------------------------


def create(
    actor: Actor,
    username: str,
    password: str | None = None,
    display_name: str | None = None,
    groups=(),
    organisation: str | None = None,
    email: str | None = None,
    must_change_password: bool = True,
) -> tuple[User, str | None]:
    """Create a user; returns the user and, when no password was given, the generated one-time password
    (shown once). A password set here must be changed at the first login unless ``must_change_password``
    is False (the operator's CLI, for service accounts)."""
    require_admin(actor)
    errors: dict = {}
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        errors["username"] = "2-64 characters: letters, digits, _ . -"
    generated = None
    if password in (None, ""):
        password = generated = temporary_password()
    problems = password_problems(username, password)
    if problems:
        errors["password"] = "; ".join(problems)
    clean_groups = _clean_groups(list(groups or ()), errors)
    name = _clean_name(display_name, errors, required=False) if display_name not in (None, "") else None
    clean_email = _clean_email(email, errors)
    if errors:
        raise Invalid("the user cannot be created", fields=errors)
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        org = _organisation(organisation, errors, for_new_member=True)
        if errors:
            raise Invalid("the user cannot be created", fields=errors)
        if db.session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict("a user with this login already exists", fields={"username": "taken"})
        user = create_user(
            db.session, username, password, name or username, clean_groups, organisation=org, email=clean_email
        )
        user.must_change_password = bool(must_change_password)
        uow.flush()
        uow.record(
            "user_created",
            payload={
                "user_id": user.id,
                "username": username,
                "after": {
                    "display_name": user.display_name,
                    "email": clean_email,
                    "organisation": org.code if org else None,
                    "groups": clean_groups,
                },
            },
        )
        uow.commit()
    return user, generated


def _snapshot(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "organisation": user.organisation.code if user.organisation else None,
        "groups": sorted(user.group_ids),
    }


def edit(
    actor: Actor,
    user_id: int,
    *,
    display_name=None,
    email=...,
    organisation=...,
    groups=None,
) -> User:
    """Change what is given (``...`` / None: unchanged; ``email=""`` / ``organisation=""`` clear them)."""
    require_admin(actor)
    errors: dict = {}
    name = _clean_name(display_name, errors, required=False)
    clean_email = _clean_email(email, errors) if email is not ... else ...
    clean_groups = _clean_groups(groups, errors)
    if errors:
        raise Invalid("the user cannot be changed", fields=errors)
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        org: Organisation | EllipsisType | None = ...
        if organisation is not ...:
            org = _organisation(
                organisation,
                errors,
                for_new_member=organisation != (user.organisation.code if user.organisation else None),
            )
            if errors:
                raise Invalid("the user cannot be changed", fields=errors)
        before = _snapshot(user)
        if name is not None:
            user.display_name = name
        if clean_email is not ...:
            user.email = clean_email
        if org is not ...:
            user.organisation = org
        if clean_groups is not None:
            if "admin" not in clean_groups:
                _require_not_last_admin(user)
            current = {m.group_id: m for m in user.memberships}
            for gid, m in current.items():
                if gid not in clean_groups:
                    user.memberships.remove(m)
            for gid in clean_groups:
                if gid not in current:
                    user.memberships.append(Membership(group_id=gid))
        after = _snapshot(user)
        changed = {k for k in after if after[k] != before[k]}
        if changed:
            uow.record(
                "user_changed",
                payload={
                    "user_id": user.id,
                    "username": user.username,
                    "before": {k: before[k] for k in sorted(changed)},
                    "after": {k: after[k] for k in sorted(changed)},
                },
            )
        uow.commit()
    return user


def reset_password(actor: Actor, user_id: int, password: str | None = None) -> str:
    """Set a new password (generated when none is given; returned once): the user must change it at the next
    login, and every session of the user ends."""
    require_admin(actor)
    with UnitOfWork(actor) as uow:
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        new = password if password not in (None, "") else temporary_password()
        problems = password_problems(user.username, new)
        if problems:
            raise Invalid("the password cannot be set", fields={"password": "; ".join(problems)})
        user.password_hash = hash_password(new)
        user.must_change_password = True
        ended = browser_sessions.end_all(user.id)
        uow.record("password_reset", payload={"user_id": user.id, "username": user.username, "sessions_ended": ended})
        uow.commit()
    return new


@dataclass
class Deactivation:
    user: User
    sessions_ended: int
    tokens_revoked: int
    unassigned_tasks: list  # [{"id", "name", "business_key", "group"}]


def deactivate(actor: Actor, user_id: int) -> Deactivation:
    """Deactivate a user at once: sessions end, tokens are revoked, open tasks return to their groups."""
    require_admin(actor)
    with UnitOfWork(actor) as uow:
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        if not user.active:
            raise Conflict("the user is already deactivated")
        if "admin" in user.group_ids and not _active_admin_ids(user.id):
            raise Conflict("the last active administrator cannot be deactivated", fields={"user": user.username})
        now = clock.now()
        user.active = False
        user.deactivated_at = now
        ended = browser_sessions.end_all(user.id)
        revoked = rows_changed(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
            .values(revoked=True, revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        tasks = (
            db.session.execute(
                select(HumanTask)
                .where(HumanTask.status == "open", or_(HumanTask.assignee_id == user.id, HumanTask.owner_id == user.id))
                .order_by(HumanTask.id)
            )
            .scalars()
            .all()
        )
        released = []
        for task in tasks:
            task.assignee_id = None
            task.owner_id = None
            released.append(
                {"id": task.id, "name": task.name, "business_key": task.business_key, "group": task.candidate_group}
            )
            uow.record(
                "task_unclaimed",
                instance=task.instance,
                task_id=task.id,
                payload={"task": task.task_def, "previous_assignee_id": user.id, "reason": "user_deactivated"},
            )
        uow.record(
            "user_deactivated",
            payload={
                "user_id": user.id,
                "username": user.username,
                "before": {"active": True},
                "after": {"active": False},
                "sessions_ended": ended,
                "tokens_revoked": revoked,
                "tasks_unassigned": [t["id"] for t in released],
            },
        )
        uow.commit()
    return Deactivation(user, ended, revoked, released)


def reactivate(actor: Actor, user_id: int) -> User:
    """Let a deactivated user log in again (with the same password; tokens stay revoked)."""
    require_admin(actor)
    with UnitOfWork(actor) as uow:
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("user not found")
        if user.active:
            raise Conflict("the user is active")
        user.active = True
        user.deactivated_at = None
        uow.record(
            "user_reactivated",
            payload={
                "user_id": user.id,
                "username": user.username,
                "before": {"active": False},
                "after": {"active": True},
            },
        )
        uow.commit()
    return user


def group_names() -> dict[str, str]:
    return {row[0]: row[1] for row in db.session.execute(select(Group.id, Group.name_ru)).all()}


def add_user(
    actor: Actor,
    username: str,
    password: str,
    display_name: str | None = None,
    groups=(),
    organisation_code: str | None = None,
    email: str | None = None,
) -> User:
    """Create a user whose password is final (the operator's CLI, scripts): ``create`` with no change required
    at the first login."""
    user, _generated = create(
        actor, username, password, display_name, groups, organisation_code, email, must_change_password=False
    )
    return user
