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
    in the same process that sets an earlier ``next_timer_at`` wakes it at once (session hook below); on
    PostgreSQL the hook also sends ``NOTIFY soglasie_timers`` and every scheduler process LISTENs, so a
    timer created by a web worker wakes the scheduler processes too. On SQLite another process's timer is
    seen within the 30 s cap.

Every automatic start, timer fire and escalation is an audit event whose actor is ``SCHEDULER``.
"""

import logging
import os
import socket
import string
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..engine import clock
from ..extensions import db
from ..models import CycleDefinition, Notification, ProcessInstance, ProcessModel, SchedulerNode
from . import instances, notifications
from .errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from .identity import SCHEDULER, Actor
from .uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(seconds=30)
RETRY_FAILED = timedelta(seconds=60)
NOTIFY_CHANNEL = "soglasie_timers"
TEMPLATE_NAMES = ("year", "next_year", "month", "day", "date")
_US = timedelta(microseconds=1)
# search windows for "the latest cron moment not after now": small first, so dense and sparse crons both
# need only a couple of trigger evaluations
_WINDOWS = (
    timedelta(minutes=1),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=32),
    timedelta(days=400),
    timedelta(days=3700),
)


# --- cron and templates -------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("unknown time zone", fields={"timezone": name}) from None


@lru_cache(maxsize=256)
def trigger(cron: str, tz: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(cron, timezone=zone(tz))
    except ValueError as exc:
        raise Invalid(f"invalid cron expression: {exc}", fields={"cron": cron}) from None


def _floor(cycle: CycleDefinition) -> tuple[datetime | None, bool]:
    """(bound, inclusive): moments at or before the cursor never fire again."""
    if cycle.last_due_at is not None:
        return cycle.last_due_at, False
    return cycle.active_from or cycle.created_at, True


def latest_due(cycle: CycleDefinition, now: datetime) -> datetime | None:
    """The latest cron moment of ``cycle`` in (cursor, now], or None when nothing is due."""
    trig = trigger(cycle.cron, cycle.timezone)
    bound, inclusive = _floor(cycle)
    lowest = None if bound is None else (bound if inclusive else bound + _US)
    if lowest is not None:  # the usual case, one evaluation: the first moment after the cursor is still ahead
        first = trig.get_next_fire_time(None, lowest)
        if first is None or first > now:
            return None
    for width in _WINDOWS:
        start, last = now - width, False
        if lowest is not None and start <= lowest:
            start, last = lowest, True
        moment = trig.get_next_fire_time(None, start)
        if moment is not None and moment <= now:
            while True:
                following = trig.get_next_fire_time(None, moment + _US)
                if following is None or following > now:
                    return moment.astimezone(UTC)
                moment = following
        if last:
            return None
    return None


def next_moment(cycle: CycleDefinition, now: datetime) -> datetime | None:
    """The next cron moment of ``cycle`` after ``now`` (and after its cursor)."""
    bound, inclusive = _floor(cycle)
    start = now + _US
    if bound is not None:
        start = max(start, bound if inclusive else bound + _US)
    moment = trigger(cycle.cron, cycle.timezone).get_next_fire_time(None, start)
    return moment.astimezone(UTC) if moment is not None else None


def template_values(due: datetime, tz: str) -> dict:
    local = due.astimezone(zone(tz))
    return {
        "year": local.year,
        "next_year": local.year + 1,
        "month": local.month,
        "day": local.day,
        "date": local.date().isoformat(),
    }


def check_template(template: str, name: str = "template") -> str:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise Invalid(f"invalid template: {exc}", fields={name: template}) from None
    for _literal, field_name, _spec, conversion in parts:
        if field_name is None:
            continue
        if field_name not in TEMPLATE_NAMES or conversion:
            raise Invalid(f"a template may use only {{{'}, {'.join(TEMPLATE_NAMES)}}}", fields={name: template})
    return template


def render(template: str, values: dict) -> str:
    check_template(template)
    return template.format(**values)


def render_data(value, values: dict):
    """Start data template: "{year}" alone becomes the number, other strings are formatted."""
    if isinstance(value, str):
        bare = value[1:-1] if value.startswith("{") and value.endswith("}") else None
        if bare in values:
            return values[bare]
        return render(value, values)
    if isinstance(value, dict):
        return {k: render_data(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render_data(v, values) for v in value]
    return value


# --- one tick -----------------------------------------------------------------------------------------


@dataclass
class TickResult:
    now: datetime
    started: list = field(default_factory=list)  # {"cycle", "cycle_key", "instance_id", "late_s"}
    already: list = field(default_factory=list)  # cycles whose key had been started elsewhere
    fired: list = field(default_factory=list)  # {"instance_id", "due_at", "late_s"}
    warnings: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # instance ids whose timers could not fire
    mail: dict = field(default_factory=dict)  # the outbox: {"sent", "retry", "failed"}
    next_due: datetime | None = None

    @property
    def max_late_s(self) -> float | None:
        lates = [x["late_s"] for x in self.started + self.fired]
        return max(lates) if lates else None

    def as_dict(self) -> dict:
        return {
            "now": _iso(self.now),
            "started": self.started,
            "already_started": self.already,
            "fired": len(self.fired),
            "warnings": self.warnings,
            "failed": self.failed,
            "mail": self.mail,
            "max_late_s": self.max_late_s,
            "next_due": _iso(self.next_due),
        }


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def tick(now: datetime | None = None, *, skip_ids=(), timer_limit: int | None = None) -> TickResult:
    """Do everything that is due at ``now`` once: start due cycles, then fire due timers."""
    now = now or clock.now()
    result = TickResult(now=now)
    start_due_cycles(now, result)
    fire_due_timers(now, result, skip_ids=set(skip_ids), limit=timer_limit)
    result.mail = notifications.send_due(now)
    result.next_due = next_due(clock.now(), exclude_ids=set(skip_ids) | set(result.failed))
    return result


def start_due_cycles(now: datetime, result: TickResult) -> None:
    codes = []
    for cycle in db.session.execute(
        select(CycleDefinition).where(CycleDefinition.paused.is_(False)).order_by(CycleDefinition.id)
    ).scalars():
        try:
            if latest_due(cycle, now) is not None:  # read-only first: no write transaction when nothing is due
                codes.append(cycle.id)
        except Invalid as exc:
            result.warnings.append({"cycle": cycle.id, "message": exc.message})
    db.session.rollback()
    for code in codes:
        try:
            _start_cycle_if_due(code, now, result)
        except Exception as exc:  # one broken cycle must not stop the others, nor the timers
            db.session.rollback()
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, ServiceError):
                log.exception("cycle %s failed", code)
            _store_warning(code, f"the cycle could not start: {message}"[:1000], result)


def _store_warning(code: str, message: str, result: TickResult) -> None:
    """Keep the cycle due but out of the loop's way (retried at the 30 s cap) and say why."""
    try:
        with UnitOfWork(SCHEDULER) as uow:
            cycle = db.session.get(CycleDefinition, code)
            if cycle is not None:
                _warn(uow, cycle, message, result)
    except Exception:
        db.session.rollback()
        log.exception("cycle %s: the warning could not be stored", code)
        result.warnings.append({"cycle": code, "message": message})


def _start_cycle_if_due(code: str, now: datetime, result: TickResult) -> None:
    with UnitOfWork(SCHEDULER) as uow:
        # populate_existing: the row as it is now, whatever the session kept from an earlier read
        query = select(CycleDefinition).where(CycleDefinition.id == code).execution_options(populate_existing=True)
        if _postgres():
            query = query.with_for_update(skip_locked=True)  # another scheduler is on it
        cycle = db.session.execute(query).scalar_one_or_none()
        if cycle is None or cycle.paused:
            return
        try:
            due = latest_due(cycle, now)
        except Invalid as exc:
            _warn(uow, cycle, f"{exc.message}", result)
            return
        if due is None:
            return
        values = template_values(due, cycle.timezone)
        try:
            cycle_key = render(cycle.key_template, values)
            business_key = render(cycle.business_key_template, values) if cycle.business_key_template else None
            title = render(cycle.title_template, values) if cycle.title_template else None
            data = render_data(cycle.start_data or {}, values)
        except Invalid as exc:
            _warn(uow, cycle, f"{exc.message}: {exc.fields}", result)
            return
        deployed = db.session.execute(
            select(ProcessModel.id).where(ProcessModel.process_id == cycle.process_id).limit(1)
        ).first()
        if not deployed:
            _warn(uow, cycle, f"process '{cycle.process_id}' is not deployed; cycle {cycle_key} waits for it", result)
            return
        existing = _cycle_instance(cycle.process_id, cycle_key)
        late_s = round((now - due).total_seconds(), 3)
        instance = None
        if existing is None:
            mark = len(uow.events)
            try:
                with db.session.begin_nested():
                    instance = instances.start_instance(
                        uow,
                        SCHEDULER,
                        cycle.process_id,
                        data,
                        business_key=business_key,
                        title=title,
                        cycle_key=cycle_key,
                        check_permission=False,
                    )
            except (IntegrityError, ServiceError) as exc:  # the key was taken, or the start was refused
                del uow.events[mark:]
                existing = _cycle_instance(cycle.process_id, cycle_key)
                if existing is None:  # not the unique key: the process itself could not start
                    message = getattr(exc, "message", None) or type(exc).__name__
                    _warn(uow, cycle, f"cycle {cycle_key} could not start: {message}", result)
                    return
        cycle.last_due_at = due
        cycle.last_cycle_key = cycle_key
        cycle.last_warning = None
        cycle.updated_at = clock.now()
        if instance is not None:
            cycle.last_fired_at = now
            cycle.last_instance_id = instance.id
            cycle.last_lateness_s = late_s
            uow.record(
                "cycle_started",
                instance=instance,
                payload={
                    "cycle": cycle.id,
                    "cycle_key": cycle_key,
                    "due_at": _iso(due),
                    "late_s": late_s,
                    "caught_up": late_s >= 60,
                    "cron": cycle.cron,
                    "timezone": cycle.timezone,
                },
            )
            uow.commit()
            result.started.append(
                {
                    "cycle": code,
                    "cycle_key": cycle_key,
                    "instance_id": instance.id,
                    "due_at": _iso(due),
                    "late_s": late_s,
                }
            )
            log.info("cycle %s started %s (instance %s, %.3f s late)", code, cycle_key, instance.id, late_s)
        else:
            cycle.last_instance_id = existing
            uow.commit()
            result.already.append({"cycle": code, "cycle_key": cycle_key, "instance_id": existing})


def _cycle_instance(process_id: str, cycle_key: str) -> int | None:
    return db.session.execute(
        select(ProcessInstance.id).where(
            ProcessInstance.process_id == process_id, ProcessInstance.cycle_key == cycle_key
        )
    ).scalar_one_or_none()


def _warn(uow: UnitOfWork, cycle: CycleDefinition, message: str, result: TickResult) -> None:
    """A cycle that cannot start stays due (it starts, late, once the cause is fixed); say so once."""
    result.warnings.append({"cycle": cycle.id, "message": message})
    if cycle.last_warning != message:
        log.warning("cycle %s: %s", cycle.id, message)
        cycle.last_warning = message
        cycle.updated_at = clock.now()
        uow.record("cycle_skipped", payload={"cycle": cycle.id, "process_id": cycle.process_id, "message": message})
        uow.commit()


def fire_due_timers(
    now: datetime, result: TickResult, *, skip_ids=frozenset(), limit: int | None = None, batch: int = 200
) -> None:
    done: set[int] = set(skip_ids)
    while limit is None or len(result.fired) < limit:
        query = (
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at < now, ProcessInstance.status == "running")
            .order_by(ProcessInstance.next_timer_at)
            .limit(batch + len(done))
        )
        ids = [i for i in db.session.execute(query).scalars() if i not in done]
        db.session.rollback()
        if not ids:
            return
        for instance_id in ids:
            done.add(instance_id)
            try:
                fired = fire_instance(instance_id, now)
            except Conflict as exc:
                log.warning("timers of instance %s did not fire: %s", instance_id, exc.message)
                result.failed.append(instance_id)
                continue
            except Exception:
                log.exception("timers of instance %s did not fire", instance_id)
                result.failed.append(instance_id)
                continue
            if fired is not None:
                result.fired.append(fired)


def fire_instance(instance_id: int, now: datetime) -> dict | None:
    """Fire the due timers of one instance under its lock; None if it is not (or no longer) due here."""
    with UnitOfWork(SCHEDULER) as uow:
        query = (
            select(ProcessInstance)
            .where(
                ProcessInstance.id == instance_id,
                ProcessInstance.status == "running",
                ProcessInstance.next_timer_at < now,
            )
            .execution_options(populate_existing=True)
        )  # fresh state and lock_version, never a cached copy
        if _postgres():
            query = query.with_for_update(skip_locked=True)
        instance = db.session.execute(query).scalar_one_or_none()
        if instance is None:
            return None  # fired by another scheduler, or locked by one right now
        due = instance.next_timer_at
        mark = len(uow.events)
        transitions = instances.fire_timers(uow, instance, SCHEDULER)
        if not transitions:
            raise Conflict(f"the engine found no due timer although next_timer_at is {_iso(due)}")
        fired_at = clock.now()
        late_s = round((fired_at - due).total_seconds(), 3)
        for ev in uow.events[mark:]:
            if ev["kind"] in ("timer_fired", "escalation"):
                ev["payload"].update(due_at=_iso(due), late_s=late_s)
        uow.commit()
    return {"instance_id": instance_id, "due_at": _iso(due), "late_s": late_s}


def next_due(now: datetime, *, exclude_ids=frozenset()) -> datetime | None:
    """The earliest moment anything becomes due: a cycle moment or a timer (may lie in the past)."""
    candidates = []
    query = select(func.min(ProcessInstance.next_timer_at)).where(
        ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None)
    )
    if exclude_ids:
        query = query.where(ProcessInstance.id.not_in(list(exclude_ids)))
    earliest = db.session.execute(query).scalar()
    if earliest is not None:
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=UTC)
        candidates.append(earliest)
    mail = notifications.next_attempt()
    if mail is not None:
        candidates.append(mail if mail.tzinfo is not None else mail.replace(tzinfo=UTC))
    for cycle in db.session.execute(select(CycleDefinition).where(CycleDefinition.paused.is_(False))).scalars():
        try:
            if cycle.last_warning is None and latest_due(cycle, now) is not None:
                candidates.append(now)
            moment = next_moment(cycle, now)
        except Invalid:
            continue
        if moment is not None:
            candidates.append(moment)
    db.session.rollback()
    return min(candidates) if candidates else None


# --- heartbeats and health ----------------------------------------------------------------------------


def node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat(
    node: str, mode: str, result: TickResult | None = None, *, error: str | None = None, stopped: bool = False
) -> None:
    try:
        with UnitOfWork(SCHEDULER) as uow:
            row = db.session.get(SchedulerNode, node)
            now = clock.now()
            if row is None:
                row = SchedulerNode(id=node, mode=mode, started_at=now, timers_fired=0, cycles_started=0)
                db.session.add(row)
            row.mode = mode
            if result is not None:
                row.last_tick_at = result.now
                row.next_due_at = result.next_due
                row.timers_fired = (row.timers_fired or 0) + len(result.fired)
                row.cycles_started = (row.cycles_started or 0) + len(result.started)
                late = result.max_late_s
                if late is not None:
                    row.last_lateness_s = late
                    row.max_lateness_s = max(late, row.max_lateness_s or 0.0)
            if error is not None:
                row.last_error = error
            row.stopped_at = now if stopped else None
            uow.commit()
    except Exception:  # health bookkeeping must never stop the scheduler
        db.session.rollback()
        log.exception("scheduler heartbeat failed")


HEARTBEAT_EVERY = timedelta(seconds=5)


def finish_due(last_beat: datetime | None, now: datetime) -> bool:
    return last_beat is None or now - last_beat >= HEARTBEAT_EVERY


def _merge(results: list[TickResult]) -> TickResult:
    """Several ticks reported in one heartbeat write (a busy loop ticks many times a second)."""
    last = results[-1]
    merged = TickResult(now=last.now, next_due=last.next_due)
    for r in results:
        merged.started += r.started
        merged.fired += r.fired
        merged.failed += r.failed
    return merged


def health(now: datetime | None = None) -> dict:
    """For /healthz and the admin page: the freshest scheduler, what is due next, lateness."""
    now = now or clock.now()
    nodes = db.session.execute(select(SchedulerNode).order_by(SchedulerNode.last_tick_at.desc())).scalars().all()
    alive = [
        n
        for n in nodes
        if n.stopped_at is None
        and n.mode != "tick"
        and n.last_tick_at is not None
        and now - n.last_tick_at <= MAX_SLEEP * 2 + timedelta(seconds=30)
    ]
    last = alive[0] if alive else (nodes[0] if nodes else None)
    overdue = db.session.execute(
        select(func.count(ProcessInstance.id)).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at < now - timedelta(minutes=2)
        )
    ).scalar()
    upcoming = next_due(now)
    return {
        "running": bool(alive),
        "processes": len(alive),
        "last_tick_at": _iso(last.last_tick_at) if last else None,
        "next_due_at": _iso(upcoming),
        "last_lateness_s": last.last_lateness_s if last else None,
        "max_lateness_s": max((n.max_lateness_s or 0.0 for n in nodes), default=None) if nodes else None,
        "overdue_timers": overdue,
        "last_error": last.last_error if last else None,
    }


def status(actor: Actor) -> dict:
    _require_reader(actor)
    return health()


def overview(actor: Actor) -> dict:
    """Everything the admin page shows: the cycles, the health summary, each scheduler process."""
    _require_reader(actor)
    now = clock.now()
    rows = (
        db.session.execute(select(SchedulerNode).order_by(SchedulerNode.last_tick_at.desc()).limit(20)).scalars().all()
    )
    return {
        "cycles": [
            cycle_view(c, now)
            for c in db.session.execute(select(CycleDefinition).order_by(CycleDefinition.id)).scalars()
        ],
        "health": health(now),
        "nodes": [
            {
                "id": n.id,
                "mode": n.mode,
                "started_at": _iso(n.started_at),
                "last_tick_at": _iso(n.last_tick_at),
                "next_due_at": _iso(n.next_due_at),
                "last_lateness_s": n.last_lateness_s,
                "max_lateness_s": n.max_lateness_s,
                "timers_fired": n.timers_fired,
                "cycles_started": n.cycles_started,
                "last_error": n.last_error,
                "stopped_at": _iso(n.stopped_at),
            }
            for n in rows
        ],
        "can_change": actor.is_admin or actor.is_system,
    }


# --- admin use cases ----------------------------------------------------------------------------------


def _require_reader(actor: Actor) -> None:
    if not (actor.reads_everything or actor.is_system):
        raise Forbidden("only administrators and auditors may see the scheduler")


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators may change the scheduler")


def list_cycles(actor: Actor) -> list[CycleDefinition]:
    _require_reader(actor)
    return list(db.session.execute(select(CycleDefinition).order_by(CycleDefinition.id)).scalars())


def cycle_view(cycle: CycleDefinition, now: datetime | None = None) -> dict:
    now = now or clock.now()
    try:
        upcoming = None if cycle.paused else next_moment(cycle, now)
        pending = latest_due(cycle, now)
    except Invalid:
        upcoming = pending = None
    deployed = (
        db.session.execute(select(ProcessModel.id).where(ProcessModel.process_id == cycle.process_id).limit(1)).first()
        is not None
    )
    return {
        "id": cycle.id,
        "name": cycle.name,
        "process_id": cycle.process_id,
        "deployed": deployed,
        "cron": cycle.cron,
        "timezone": cycle.timezone,
        "key_template": cycle.key_template,
        "business_key_template": cycle.business_key_template,
        "paused": cycle.paused,
        "next_due_at": _iso(upcoming),
        "pending_due_at": _iso(pending),
        "next_cycle_key": render(cycle.key_template, template_values(upcoming, cycle.timezone)) if upcoming else None,
        "last_due_at": _iso(cycle.last_due_at),
        "last_fired_at": _iso(cycle.last_fired_at),
        "last_cycle_key": cycle.last_cycle_key,
        "last_instance_id": cycle.last_instance_id,
        "last_lateness_s": cycle.last_lateness_s,
        "last_warning": cycle.last_warning,
    }


def get_cycle(actor: Actor, code: str) -> CycleDefinition:
    _require_reader(actor)
    cycle = db.session.get(CycleDefinition, code)
    if cycle is None:
        raise NotFound(f"cycle '{code}' not found")
    return cycle


def set_paused(actor: Actor, code: str, paused: bool) -> CycleDefinition:
    _require_admin(actor)
    with UnitOfWork(actor) as uow:
        cycle = db.session.get(CycleDefinition, code)
        if cycle is None:
            raise NotFound(f"cycle '{code}' not found")
        if cycle.paused != paused:
            cycle.paused = paused
            cycle.updated_at = clock.now()
            uow.record("cycle_paused" if paused else "cycle_resumed", payload={"cycle": code})
        uow.commit()
    _wake_loops(clock.now())  # a resumed cycle may be due at once
    return db.session.get(CycleDefinition, code)


def save_cycle(
    actor: Actor,
    code: str,
    *,
    name: str,
    process_id: str,
    cron: str,
    timezone_name: str = "Asia/Tomsk",
    key_template: str = "{year}",
    business_key_template: str = "{year}",
    title_template: str = "",
    start_data: dict | None = None,
    active_from: datetime | None = None,
    paused: bool = False,
) -> CycleDefinition:
    """Create or redefine a cycle (admin, CLI, tests); the cursor stays, so nothing fires twice."""
    _require_admin(actor)
    zone(timezone_name)
    trigger(cron, timezone_name)
    for fname, tmpl in (
        ("key_template", key_template),
        ("business_key_template", business_key_template),
        ("title_template", title_template),
    ):
        check_template(tmpl, fname)
    if not key_template.strip():
        raise Invalid("the cycle key template must not be empty", fields={"key_template": key_template})
    data = instances.check_data(start_data or {})
    with UnitOfWork(actor) as uow:
        cycle = db.session.get(CycleDefinition, code)
        created = cycle is None
        if created:
            cycle = CycleDefinition(id=code, created_at=clock.now())
            db.session.add(cycle)
        cycle.name, cycle.process_id, cycle.cron, cycle.timezone = name, process_id, cron, timezone_name
        cycle.key_template, cycle.business_key_template = key_template, business_key_template
        cycle.title_template, cycle.start_data, cycle.paused = title_template, data, paused
        if active_from is not None:
            cycle.active_from = active_from
        cycle.last_warning = None
        cycle.updated_at = clock.now()
        uow.record(
            "cycle_defined",
            payload={
                "cycle": code,
                "created": created,
                "process_id": process_id,
                "cron": cron,
                "timezone": timezone_name,
                "key_template": key_template,
            },
        )
        uow.commit()
    _wake_loops(clock.now())
    return db.session.get(CycleDefinition, code)


# --- the long-running loop ----------------------------------------------------------------------------

_LOOPS: "weakref.WeakSet[SchedulerLoop]" = weakref.WeakSet()


def _wake_loops(at: datetime) -> None:
    for loop in list(_LOOPS):
        loop.notify(at)


class SchedulerLoop:
    """Tick, then sleep until the next due moment (at most 30 s), woken early by new earlier timers.

    ``run()`` blocks (``flask scheduler run``); ``start()`` runs it in a daemon thread (``flask run-all``
    and tests). Each loop needs the Flask app; it works in its own app context.
    """

    def __init__(self, app, mode: str = "run", max_sleep: timedelta = MAX_SLEEP):
        self.app = app
        self.mode = mode
        self.max_sleep = max_sleep
        self.node = node_id() + ("" if mode == "run" else f":{mode}")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._planned: datetime | None = None
        self._failed: dict[int, datetime] = {}  # instance id -> retry at
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self.ticks = 0
        self._pending: list[TickResult] = []
        self._last_beat: datetime | None = None

    # called from other threads (session hook, LISTEN thread, admin actions)
    def notify(self, at: datetime | None) -> None:
        planned = self._planned
        if at is None or planned is None or at < planned:
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def start(self) -> "SchedulerLoop":
        self._thread = threading.Thread(target=self.run, name=f"scheduler-{self.mode}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        _LOOPS.add(self)
        try:
            with self.app.app_context():
                if _postgres():
                    dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                    self._listener = threading.Thread(
                        target=self._listen, args=(dsn,), name="scheduler-listen", daemon=True
                    )
                    self._listener.start()
                log.info("scheduler %s started (%s)", self.node, db.engine.dialect.name)
                while not self._stop.is_set():
                    self._once()
                heartbeat(self.node, self.mode, _merge(self._pending) if self._pending else None, stopped=True)
                db.session.remove()
        finally:
            _LOOPS.discard(self)

    def _once(self) -> None:
        now = clock.now()
        self._failed = {i: t for i, t in self._failed.items() if t > now}
        self._planned = None  # from here on every notification wakes us
        self._wake.clear()
        try:
            result = tick(now, skip_ids=self._failed.keys())
            for instance_id in result.failed:
                self._failed[instance_id] = now + RETRY_FAILED
            self.ticks += 1
            self._pending.append(result)
            if result.started or result.failed or finish_due(self._last_beat, now):
                heartbeat(self.node, self.mode, _merge(self._pending), error=None)
                self._pending, self._last_beat = [], now
            upcoming = result.next_due
        except Exception as exc:  # a lost database connection, ...: report and retry shortly
            db.session.rollback()
            log.exception("scheduler tick failed")
            heartbeat(self.node, self.mode, error=f"{type(exc).__name__}: {exc}"[:500])
            upcoming = clock.now() + timedelta(seconds=5)
        finish = clock.now()
        wake_at = finish + self.max_sleep
        if upcoming is not None:
            wake_at = min(wake_at, upcoming)
        if self._failed:
            wake_at = min(wake_at, min(self._failed.values()))
        self._planned = wake_at
        # a timer is due once its deadline has passed: wake just after it
        delay = (wake_at - clock.now()).total_seconds() + 0.002
        if delay > 0:
            self._wake.wait(delay)

    def _listen(self, dsn: str) -> None:
        """PostgreSQL: LISTEN for timers set by other processes (web workers) and wake the loop."""
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake.set()  # anything set while we were not listening
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            try:
                                at = datetime.fromisoformat(note.payload)
                            except ValueError:
                                at = None
                            self.notify(at)
            except Exception:  # the 30 s cap still bounds the delay meanwhile
                log.exception("scheduler LISTEN failed; polling every %s until it reconnects", self.max_sleep)
                self._stop.wait(5.0)


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
