"""Login limits that fit an office: FAILED password checks are counted per account and per client address
in the database, which every worker and host shares; successful logins are never counted.

Within a sliding window (``LOGIN_FAILURE_WINDOW_MINUTES``, 15) an account with ``LOGIN_FAILURES_PER_ACCOUNT``
(10) failures, or an address with ``LOGIN_FAILURES_PER_ADDRESS`` (100: a department behind one NAT shares
it) is refused with ``TooManyAttempts`` (429) before its password is checked, also a right one — otherwise
a guesser would learn which guess was right. A successful login clears its account's failures (not its
address's: an attacker could otherwise reset the address count with an account of their own).
"""

from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select

from ...engine import clock
from ...extensions import db
from ...models import LoginFailure
from ..errors import TooManyAttempts

DEFAULTS = {"LOGIN_FAILURE_WINDOW_MINUTES": 15, "LOGIN_FAILURES_PER_ACCOUNT": 10, "LOGIN_FAILURES_PER_ADDRESS": 100}
MAX_ADDR = 64


def _setting(name: str) -> int:
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


def _window_start():
    return clock.now() - timedelta(minutes=_setting("LOGIN_FAILURE_WINDOW_MINUTES"))


def _address(remote_addr) -> str:
    return (remote_addr or "")[:MAX_ADDR]


def check(username: str, remote_addr: str | None) -> None:
    """Raise TooManyAttempts when the account or the address is over its limit of failures."""
    since = _window_start()
    by_account = db.session.execute(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.occurred_at >= since)
    ).scalar_one()
    if by_account >= _setting("LOGIN_FAILURES_PER_ACCOUNT"):
        raise TooManyAttempts("too many failed logins for this account; wait a few minutes and try again")
    address = _address(remote_addr)
    if address:
        by_address = db.session.execute(
            select(func.count()).where(LoginFailure.remote_addr == address, LoginFailure.occurred_at >= since)
        ).scalar_one()
        if by_address >= _setting("LOGIN_FAILURES_PER_ADDRESS"):
            raise TooManyAttempts("too many failed logins from this address; wait a few minutes and try again")


def record_failure(username: str, remote_addr: str | None) -> None:
    """Count one failure (in the caller's unit of work) and drop this account's and address's expired ones."""
    now = clock.now()
    address = _address(remote_addr)
    expired = now - timedelta(minutes=_setting("LOGIN_FAILURE_WINDOW_MINUTES"))
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.occurred_at < expired)
    )
    if address:
        db.session.execute(
            delete(LoginFailure).where(LoginFailure.remote_addr == address, LoginFailure.occurred_at < expired)
        )
    db.session.add(LoginFailure(username=username, remote_addr=address, occurred_at=now))


def forget_account(username: str) -> None:
    """A successful login: this account's failures no longer count (in the caller's unit of work)."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
