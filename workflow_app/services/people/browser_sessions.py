"""Browser sessions kept on the server.

The signed session cookie carries the user id (Flask-Login) and a random session id; the ``user_session``
table holds that id's SHA-256. A request is authenticated only while its row is open and the user active,
so logging out, a deactivation or a password change ends a session at once: a copied cookie no longer
works afterwards. A session also ends after ``SESSION_IDLE_MINUTES`` without a request (default 30) and

Neighbours: ``sign_in`` holds the sign-in and sign-out commands that open and close these rows;
``tokens`` lists and revokes them for a person.
``SESSION_MAX_HOURS`` after sign-in (default 12: a working day). Functions that write run inside the caller's unit of work.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ...engine import clock
from ...extensions import db
from ...models import User, UserSession
from ..uow import UnitOfWork, rows_changed
from .actors import Actor

SID_KEY = "sid"  # the key of the session id in the signed cookie session


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def start(user: User, remote_addr: str | None = None, user_agent: str | None = None) -> str:
    """Open a session for ``user``; returns its id (to be put in the cookie session, never stored in clear)."""
    sid = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            sid_hash=_digest(sid),
            user_id=user.id,
            created_at=clock.now(),
            remote_addr=(remote_addr or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    return sid


_USER_OF_SESSION = (
    select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(User.active.is_(True), UserSession.ended_at.is_(None))
)
SEEN_EVERY = timedelta(minutes=1)  # the last activity is written at most once a minute


def user_for(user_id: int, sid) -> User | None:
    """The active user of an open session with this id (the cookie's user id must match), else None.

    A session idle for longer than ``SESSION_IDLE_MINUTES`` or older than ``SESSION_MAX_HOURS`` is ended
    here (its row closed, so the cookie never works again); an open one records its last activity.
    """
    if not isinstance(sid, str) or not sid:
        return None
    row = db.session.execute(
        _USER_OF_SESSION.where(User.id == user_id, UserSession.sid_hash == _digest(sid))
    ).one_or_none()
    if row is None:
        return None
    user, opened = row
    now = clock.now()
    seen = opened.last_seen_at or opened.created_at
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    longest = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    if now - seen > idle or now - opened.created_at > longest:
        _write(user, update(UserSession).where(UserSession.id == opened.id).values(ended_at=now))
        return None
    if now - seen >= SEEN_EVERY:
        _write(user, update(UserSession).where(UserSession.id == opened.id).values(last_seen_at=now))
    return user


def _write(user: User, statement) -> None:
    """One small write of the session's own row, as a command of its own (authentication runs before any)."""
    with UnitOfWork(Actor(user.id, user.username)) as uow:
        db.session.execute(statement.execution_options(synchronize_session=False))
        uow.commit()


def end(sid) -> bool:
    """End the session with this id; True when it was open."""
    if not isinstance(sid, str) or not sid:
        return False
    ended = rows_changed(
        update(UserSession)
        .where(UserSession.sid_hash == _digest(sid), UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return ended == 1


def end_all(user_id: int, keep_sid=None) -> int:
    """End every open session of the user (except ``keep_sid``, the caller's own); returns how many."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if isinstance(keep_sid, str) and keep_sid:
        statement = statement.where(UserSession.sid_hash != _digest(keep_sid))
    return rows_changed(statement.values(ended_at=clock.now()).execution_options(synchronize_session=False))


def open_sessions(user_id: int) -> list[UserSession]:
    return list(
        db.session.execute(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .order_by(UserSession.created_at.desc())
        ).scalars()
    )


def is_current(row: UserSession, sid) -> bool:
    return isinstance(sid, str) and bool(sid) and row.sid_hash == _digest(sid)
