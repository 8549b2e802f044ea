"""Wake-ups: a commit that sets an earlier ``next_timer_at`` wakes this process's scheduler loops (Session
hooks) and, on PostgreSQL, every scheduler process (``NOTIFY soglasie_timers``).
"""

import weakref
from datetime import datetime

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from ...models import Notification, ProcessInstance

NOTIFY_CHANNEL = "soglasie_timers"


# the running SchedulerLoops of this process (loop.py registers each while it runs)
_LOOPS: weakref.WeakSet = weakref.WeakSet()


def _wake_loops(at: datetime) -> None:
    for loop in list(_LOOPS):
        loop.notify(at)


# --- wake-ups: a commit that sets an earlier next_timer_at ------------------------------------------------


def _after_flush(session, _flush_context):
    earliest = None
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Notification) and obj.next_attempt_at is not None:
            if earliest is None or obj.next_attempt_at < earliest:  # an e-mail to send
                earliest = obj.next_attempt_at
            continue
        if not isinstance(obj, ProcessInstance):
            continue
        for value in inspect(obj).attrs.next_timer_at.history.added:
            if value is not None and (earliest is None or value < earliest):
                earliest = value
    if earliest is not None:
        wake_at(session, earliest)


def wake_at(session, at: datetime) -> None:
    """After this session commits, wake the scheduler loops if ``at`` is earlier than what they wait for
    (an instance's next_timer_at was set; the ORM flush reports it, and so does instances' own write)."""
    previous = session.info.get("scheduler_wake")
    if previous is None or at < previous:
        session.info["scheduler_wake"] = at
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            # delivered at commit, dropped with a rollback
            session.connection().execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": at.isoformat()})


def _after_commit(session):
    at = session.info.pop("scheduler_wake", None)
    if at is not None and _LOOPS:
        _wake_loops(at)


def _after_rollback(session):
    session.info.pop("scheduler_wake", None)


_hooks_installed = False


def install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
    _hooks_installed = True


install_hooks()
