"""Who is acting: users, password and token authentication, roles, deputies.

Neighbours: who may see or work on what is ``access``; sign-in as an audited command ``sign_in``; the
browser session row ``browser_sessions``; accounts as administered ``administration``. This module only
answers *who is acting* (the ``Actor``) and checks passwords and tokens.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from sqlalchemy import Integer, bindparam, exists, or_, select, type_coerce, update
from werkzeug.security import check_password_hash

from ...engine import clock
from ...extensions import db
from ...models import ApiToken, Deputy, Group, Membership, Organisation, User
from ...roles import ROLES

# (user id, organisation id, groups): the actor itself (no user id for the system), or a principal it deputises
Identity = tuple[int | None, int | None, frozenset]
Principal = tuple[int, int | None, frozenset]  # a user this actor deputises today


@dataclass(frozen=True)
class Actor:
    """The caller of a use case, resolved once per request (or "scheduler" / "system")."""

    user_id: int | None
    username: str
    org_id: int | None = None
    groups: frozenset = field(default_factory=frozenset)
    # principal user id -> that principal's groups, for users this actor deputises today
    acting_for: tuple[Principal, ...] = ()
    token_id: int | None = None  # the personal API token this request was authenticated with

    @property
    def is_admin(self) -> bool:
        return "admin" in self.groups

    @property
    def is_auditor(self) -> bool:
        return "auditor" in self.groups

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def reads_everything(self) -> bool:
        return self.is_admin or self.is_auditor


SCHEDULER = Actor(None, "scheduler")
SYSTEM = Actor(None, "system")


def _acting_for(user_id: int, today: date) -> tuple[Principal, ...]:
    """(principal id, org id, groups) of each active user whom ``user_id`` deputises today."""
    principals = (
        db.session.execute(
            select(Deputy.principal_id).where(
                Deputy.deputy_id == user_id, Deputy.starts_on <= today, Deputy.ends_on >= today
            )
        )
        .scalars()
        .all()
    )
    acting_for: list[Principal] = []
    for pid in principals:
        principal = db.session.get(User, pid)
        if principal is not None and principal.active:
            acting_for.append((principal.id, principal.organisation_id, frozenset(principal.group_ids)))
    return tuple(acting_for)


def actor_for(user: User, today: date | None = None) -> Actor:
    today = today or clock.today()
    return Actor(user.id, user.username, user.organisation_id, frozenset(user.group_ids), _acting_for(user.id, today))


# Every API request resolves its token: one Core statement (built once) returns the user's groups, one row
# each, and whether the user deputises anyone today; only then are the principals read.
_user, _token, _membership, _deputy = User.__table__.c, ApiToken.__table__.c, Membership.__table__.c, Deputy.__table__.c
_TOKEN_ACTOR = (
    select(
        _token.id.label("token_id"),
        # was its last use recorded before ``stale``? (a flag: the driver gives it as it is, no conversion)
        type_coerce(or_(_token.last_used_at.is_(None), _token.last_used_at < bindparam("stale")), Integer).label(
            "use_stale"
        ),
        _user.id,
        _user.username,
        _user.organisation_id,
        _membership.group_id,
        type_coerce(
            exists().where(
                _deputy.deputy_id == _user.id,
                _deputy.starts_on <= bindparam("today"),
                _deputy.ends_on >= bindparam("today"),
            ),
            Integer,
        ).label("deputises"),
    )
    .select_from(
        User.__table__.join(ApiToken.__table__, _token.user_id == _user.id).outerjoin(
            Membership.__table__, _membership.user_id == _user.id
        )
    )
    .where(
        _token.token_hash == bindparam("digest"),
        _token.revoked.is_(False),
        _token.expires_at > bindparam("now"),
        _user.active.is_(True),
    )
)


TOKEN_USE_PRECISION = timedelta(minutes=1)  # a token's last use is recorded at most once a minute


def token_actor(token: str) -> tuple[Actor, bool] | None:
    """The Actor of a valid (not revoked, not expired) personal API token of an active user, and whether the
    token's last recorded use is older than TOKEN_USE_PRECISION (so it is to be recorded again); or None."""
    now = clock.now()
    today = clock.today()
    params = {"digest": token_digest(token), "today": today, "now": now, "stale": now - TOKEN_USE_PRECISION}
    rows = db.session.connection().execute(_TOKEN_ACTOR, params).all()
    if not rows:
        return None
    token_id, use_stale, user_id, username, org_id, _group, deputises = rows[0]
    groups = frozenset(row[5] for row in rows if row[5] is not None)
    acting = _acting_for(user_id, today) if deputises else ()
    return Actor(user_id, username, org_id, groups, acting, token_id), bool(use_stale)


def actor_for_token(token: str) -> Actor | None:
    """The Actor of a valid personal API token of an active user, or None."""
    found = token_actor(token)
    return found[0] if found else None


PASSWORD_MIN_LENGTH = 10


def password_problems(username: str, password) -> list[str]:
    """Why ``password`` is unacceptable for a (non-demo) user; an empty list when it is fine.

    The policy: at least PASSWORD_MIN_LENGTH characters, not only digits, not the username
    (compared case-insensitively, surrounding blanks ignored).
    """
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        return [f"at least {PASSWORD_MIN_LENGTH} characters"]
    problems = []
    if password.isdigit():
        problems.append("must not consist of digits only")
    if isinstance(username, str) and password.strip().casefold() == username.strip().casefold():
        problems.append("must not equal the username")
    return problems


OWASP_PASSWORD_HASH = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}


def _hasher() -> PasswordHasher:
    """argon2id with the configured parameters (``PASSWORD_HASH``; OWASP's recommendation by default)."""
    params = current_app.config.get("PASSWORD_HASH") if has_app_context() else None
    return PasswordHasher(**(params or OWASP_PASSWORD_HASH), type=Type.ID)


def hash_password(password: str) -> str:
    """A new argon2id hash with its own random salt."""
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return _hasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)  # pbkdf2/scrypt hashes written before argon2id
    except ValueError:
        return False


def password_hash_is_stale(stored: str) -> bool:
    """Not argon2id at today's parameters (read from the hash itself: no verification needed)."""
    return not stored.startswith("$argon2id$") or _hasher().check_needs_rehash(stored)


_decoys: dict[tuple, str] = {}


def _decoy_hash() -> str:
    """A hash of a random password at today's parameters, made once: checked for unknown user names."""
    params = tuple(sorted((current_app.config.get("PASSWORD_HASH") or OWASP_PASSWORD_HASH).items()))
    if params not in _decoys:
        _decoys[params] = hash_password(secrets.token_urlsafe(16))
    return _decoys[params]


def authenticate(username: str, password: str) -> User | None:
    """The user whose name and password these are, or None.

    The same work whether the name exists, is inactive or the password is wrong: one verification of one
    hash at today's parameters (an unknown name is checked against a decoy hash), so the time of the answer
    does not tell which user names exist. The caller then upgrades an outdated hash
    (:func:`upgrade_password_hash`) in the login's transaction.
    """
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    matches = verify_password(user.password_hash if user is not None else _decoy_hash(), password)
    if user is None or not user.active or not matches:
        return None
    return user


def upgrade_password_hash(user: User, password: str) -> None:
    """In the login's unit of work, after :func:`authenticate`: a hash at older parameters is replaced."""
    if password_hash_is_stale(user.password_hash):
        db.session.execute(update(User).where(User.id == user.id).values(password_hash=hash_password(password)))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    return "sgl_" + secrets.token_urlsafe(32)


def ensure_roles(session) -> None:
    """Insert any role of ROLES missing from the group table (idempotent)."""
    existing = set(session.execute(select(Group.id)).scalars())
    for gid, (ru, en) in ROLES.items():
        if gid not in existing:
            session.add(Group(id=gid, name_ru=ru, name_en=en))


def create_user(
    session,
    username,
    password,
    display_name,
    groups=(),
    organisation: Organisation | None = None,
    email=None,
    is_demo=False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        email=email,
        organisation=organisation,
        is_demo=is_demo,
        active=True,
    )
    session.add(user)
    for gid in groups:
        user.memberships.append(Membership(group_id=gid))
    return user
