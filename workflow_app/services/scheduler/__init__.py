"""The scheduler: yearly cycles and process timers — exactly once, on time, across processes.

What is due
    * a **cycle** (``CycleDefinition``) is due at each moment of its 5-field cron expression, evaluated in
      its zone (Asia/Tomsk) by APScheduler's ``CronTrigger``. ``last_due_at`` is the cursor; when several
      moments were missed (the scheduler was down, the cycle paused) only the latest fires, once, and the
      ``cycle_started`` audit event records how late it was. A cron moment counts as due at that instant.
    * a **timer** of an instance is due when ``next_timer_at`` (indexed) lies strictly before now — the
      engine fires a timer once its deadline has passed.

Exactly once
    * a cycle starts an instance with ``cycle_key`` rendered from the due moment; the unique key
      ``uq_instance_cycle (process_id, cycle_key)`` makes a second start impossible, whoever tries
      (another scheduler, a restart, an admin). A loser of that race just moves its cursor.
    * each due timer is fired in its own UnitOfWork on a row re-read with ``next_timer_at < now``; on
      PostgreSQL the row is taken ``FOR UPDATE SKIP LOCKED`` so two schedulers split the work; on SQLite
      write transactions are serial (``BEGIN IMMEDIATE``). ``lock_version`` catches anything else.

On time
    ``SchedulerLoop`` sleeps until min(next cycle moment, earliest ``next_timer_at``, now + 30 s). A commit
    in the same process that sets an earlier ``next_timer_at`` wakes it at once (``services/timer_wakeups``,
    the one place for it); on PostgreSQL that command also sends ``NOTIFY soglasie_timers`` and every
    scheduler process LISTENs, so a timer created by a web worker wakes the scheduler processes too. On SQLite another process's timer is
    seen within the 30 s cap.

Every automatic start, timer fire and escalation is an audit event whose actor is ``SCHEDULER``.

Rooms, each importing only the ones before it: ``cycles`` (cron maths, templates, admin use cases), ``tick`` (one pass over what is due), ``loop``
(``SchedulerLoop``, heartbeats, health), ``views`` (admin read models). Callers use the package's names
(``scheduler.tick``), which this module re-exports.
"""

from .cycles import (
    TEMPLATE_NAMES,
    check_template,
    cycle_view,
    get_cycle,
    latest_due,
    list_cycles,
    next_moment,
    render,
    render_data,
    save_cycle,
    set_paused,
    template_values,
    trigger,
    zone,
)
from .loop import (
    HEARTBEAT_EVERY,
    MAX_SLEEP,
    RETRY_FAILED,
    SchedulerHealth,
    SchedulerLoop,
    finish_due,
    health,
    heartbeat,
    node_id,
)
from .tick import TickResult, fire_due_timers, fire_instance, next_due, start_due_cycles, tick
from .views import overview, status

__all__ = [
    "HEARTBEAT_EVERY",
    "MAX_SLEEP",
    "RETRY_FAILED",
    "TEMPLATE_NAMES",
    "SchedulerHealth",
    "SchedulerLoop",
    "TickResult",
    "check_template",
    "cycle_view",
    "finish_due",
    "fire_due_timers",
    "fire_instance",
    "get_cycle",
    "health",
    "heartbeat",
    "latest_due",
    "list_cycles",
    "next_due",
    "next_moment",
    "node_id",
    "overview",
    "render",
    "render_data",
    "save_cycle",
    "set_paused",
    "start_due_cycles",
    "status",
    "template_values",
    "tick",
    "trigger",
    "zone",
]
