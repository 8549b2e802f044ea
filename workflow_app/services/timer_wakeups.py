"""Timer wake-ups: the one place where the scheduler learns that a timer was set or something became due.

A command that saves an instance with a timer, or queues an e-mail for the scheduler to send, calls
``timer_set(uow, at)``. On PostgreSQL that sends
``NOTIFY soglasie_timers`` with the moment in the command's own transaction (delivered at commit to every
scheduler process that LISTENs, dropped with a rollback); after the commit the scheduler loops of this
process are woken directly (``flask run-all``, tests). Admin actions that may make something due at once
(a cycle defined or resumed) call ``wake(now)``. Scheduler loops ``subscribe`` themselves.

A leaf: it imports nothing of the services (only the clock), so instances and the scheduler both use it without a cycle.
"""

import weakref
from datetime import datetime, timedelta

from sqlalchemy import text

from ..engine import clock

NOTIFY_CHANNEL = "soglasie_timers"
_NOTIFY = text("SELECT pg_notify(:channel, :at)")
_KEY = "timer_wakeup"
MAX_SLEEP = timedelta(seconds=30)  # the scheduler loop's longest sleep (scheduler.loop.MAX_SLEEP uses this)
_loops: "weakref.WeakSet" = weakref.WeakSet()  # objects with notify(at: datetime | None)


def subscribe(loop) -> None:
    _loops.add(loop)


def unsubscribe(loop) -> None:
    _loops.discard(loop)


def wake(at: datetime | None) -> None:
    """Wake this process's scheduler loops whose next planned moment is later than ``at``."""
    for loop in list(_loops):
        loop.notify(at)


def timer_set(uow, at: datetime) -> None:
    """``uow`` saves an instance whose next timer is due at ``at``: once it commits, the scheduler loops
    (of every process, on PostgreSQL) wake if they planned to sleep past it. One notice per command, with
    its earliest moment; none for a moment beyond the loops' longest sleep (they look at the database at
    least that often and find it then), which spares most commands a round trip."""
    if at > clock.now() + MAX_SLEEP:
        return
    earliest = uow.info.get(_KEY)
    if earliest is not None and earliest <= at:
        return
    first = earliest is None
    uow.info[_KEY] = at
    connection = uow.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "at": at.isoformat()})
    if first:
        uow.after_commit(lambda: wake(uow.info.get(_KEY)))
