"""Sign-in, sign-out and the own password as audited commands (kinds ``login``, ``login_failed``, ``logout``,
``password_changed``).

The password check itself is ``actors.authenticate``; this module adds the login limits
(``login_limits``: failures counted per account and address in the database), the server-side session
(``browser_sessions``) and the audit trail, so that every sign-in attempt — also a failed one — is in the
hash-chained log.

Neighbours: ``browser_sessions`` keeps the browser session row a cookie points to; ``actors`` checks the
password; ``login_limits`` counts failures. This module: the sign-in/sign-out/password commands themselves.
"""

from ...extensions import db
from ...models import User
from ..errors import Forbidden, Invalid, NotFound, Unauthorized
from ..uow import UnitOfWork
from . import browser_sessions, login_limits, tokens
from .actors import Actor, actor_for, authenticate, hash_password, password_problems, upgrade_password_hash

ANONYMOUS = Actor(None, "anonymous")
MAX_NAME = 64


def verify(username, password, *, remote_addr: str | None = None, channel: str = "web") -> User:
    """The active user with these credentials. A failure is counted and recorded (``login_failed``), then
    Unauthorized; an account or address over its limit of failures gets TooManyAttempts before any check."""
    username = (username if isinstance(username, str) else "").strip()[:MAX_NAME]
    password = password if isinstance(password, str) else ""
    if not username:
        raise Unauthorized("wrong user name or password")
    login_limits.check(username, remote_addr)
    user = authenticate(username, password)
    if user is None:
        with UnitOfWork(ANONYMOUS) as uow:
            login_limits.record_failure(username, remote_addr)
            uow.record("login_failed", payload={"username": username, "remote_addr": remote_addr, "channel": channel})
            uow.commit()
        raise Unauthorized("wrong user name or password")
    return user


def login(
    username: str, password: str, *, remote_addr: str | None = None, user_agent: str | None = None
) -> tuple[User, str]:
    """Check the credentials and open a browser session: returns the user and the session id for the cookie."""
    user = verify(username, password, remote_addr=remote_addr, channel="web")
    with UnitOfWork(actor_for(user)) as uow:
        upgrade_password_hash(user, password)
        login_limits.forget_account(user.username)
        sid = browser_sessions.start(user, remote_addr, user_agent)
        uow.record("login", payload={"remote_addr": remote_addr, "channel": "web"})
        uow.commit()
    return user, sid


def logout(actor: Actor, sid=None, *, remote_addr: str | None = None) -> None:
    """End this browser session on the server (its cookie, if copied, no longer works)."""
    with UnitOfWork(actor) as uow:
        browser_sessions.end(sid)
        uow.record("logout", payload={"remote_addr": remote_addr})
        uow.commit()


def change_password(actor: Actor, current: str, new: str, repeat: str | None = None, *, sid=None) -> int:
    """The user changes their own password: the current one is checked, the new one must meet the policy
    and differ from it. Every other session of the user ends; returns how many did."""
    if actor.user_id is None:
        raise Unauthorized("not a user")
    errors = {}
    problems = password_problems(actor.username, new)
    if problems:
        errors["new_password"] = "; ".join(problems)
    elif repeat is not None and new != repeat:
        errors["repeat"] = "the passwords do not match"
    elif new == current:
        errors["new_password"] = "must differ from the current password"
    if errors:
        raise Invalid("the password cannot be changed", fields=errors)
    if authenticate(actor.username, current if isinstance(current, str) else "") is None:
        raise Invalid("the password cannot be changed", fields={"current_password": "wrong password"})
    with UnitOfWork(actor) as uow:
        user = db.session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        user.password_hash = hash_password(new)
        user.must_change_password = False
        ended = browser_sessions.end_all(user.id, keep_sid=sid)
        uow.record("password_changed", payload={"user_id": user.id, "sessions_ended": ended})
        uow.commit()
    return ended


def login_for_token(username, password, name: str = "api", *, remote_addr: str | None = None) -> str:
    """``POST /auth/token``: check the password (within the login limits) and issue a token (Unauthorized on
    bad credentials, TooManyAttempts over the limits)."""
    user = verify(username, password, remote_addr=remote_addr, channel="api")
    if user.must_change_password:
        raise Forbidden("the password was set by an administrator: change it on the web first")
    return tokens.issue_token(actor_for(user), user.username, name, login_password=password)
