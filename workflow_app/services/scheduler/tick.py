"""One tick: start the cycles that are due, fire the due timers (each in its own unit of work), say what is due next."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...engine import clock
from ...extensions import db
from ...models import CycleDefinition, ProcessInstance, ProcessModel
from .. import council, datacalls, notifications
from ..cases import advance, case_numbers
from ..errors import Conflict, Invalid, ServiceError
from ..people.actors import SCHEDULER
from ..uow import UnitOfWork
from .cycles import _iso, latest_due, next_moment, render, render_data, template_values

log = logging.getLogger(__name__)


# --- one tick -----------------------------------------------------------------------------------------


@dataclass
class TickResult:
    now: datetime
    started: list = field(default_factory=list)  # {"cycle", "cycle_key", "instance_id", "late_s"}
    already: list = field(default_factory=list)  # cycles whose key had been started elsewhere
    fired: list = field(default_factory=list)  # {"instance_id", "due_at", "late_s"}
    warnings: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # instance ids whose timers could not fire
    chased: dict = field(default_factory=dict)  # data calls: {"reminders", "heads"}
    council: dict = field(default_factory=dict)  # {"half_year_reminders", "overdue_instructions"}
    mail: dict = field(default_factory=dict)  # the outbox: {"sent", "retry", "failed"}
    folded: int = 0  # case numbers folded for search after an upgrade (services/cases/case_numbers)
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
            "chased": self.chased,
            "council": self.council,
            "mail": self.mail,
            "folded_case_numbers": self.folded,
            "max_late_s": self.max_late_s,
            "next_due": _iso(self.next_due),
        }


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def tick(now: datetime | None = None, *, skip_ids=(), timer_limit: int | None = None) -> TickResult:
    """Do everything that is due at ``now`` once: start due cycles, then fire due timers."""
    now = now or clock.now()
    result = TickResult(now=now)
    start_due_cycles(now, result)
    fire_due_timers(now, result, skip_ids=set(skip_ids), limit=timer_limit)
    result.chased = datacalls.chase_late(now)  # late data-call answers: reminders, then the head
    result.council = council.chase(now)  # half-yearly meeting reminders, overdue instructions: the secretary
    result.mail = notifications.send_due(now)
    result.folded = fold_case_numbers()
    result.next_due = next_due(clock.now(), exclude_ids=set(skip_ids) | set(result.failed))
    return result


def fold_case_numbers() -> int:
    """Cases started by older code during an upgrade get their folded case number, so a search finds them."""
    rows = case_numbers.unfolded_numbers()
    if rows:
        with UnitOfWork(SCHEDULER) as uow:
            case_numbers.store_folded(rows)
            uow.commit()
    return len(rows)


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
                    if cycle.process_id == datacalls.PROCESS_ID:  # a data call from the template the row names
                        instance = datacalls.open_for_cycle(uow, SCHEDULER, data, cycle_key)
                    else:
                        instance = advance.start_instance(
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
        if due is None:  # the row was read with next_timer_at < now
            raise Conflict("the instance has no due timer")
        mark = len(uow.events)
        transitions = advance.fire_timers(uow, instance, SCHEDULER)
        if not transitions:
            raise Conflict("the engine found no due timer although next_timer_at is %(due)s", due=_iso(due))
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
