"""Yearly cycles: cron maths and key templates, and the admin use cases on cycle definitions."""

import string
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import CycleDefinition, ProcessModel
from .. import timer_wakeups
from ..cases import advance
from ..errors import Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..uow import UnitOfWork

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
        raise Invalid("invalid cron expression: %(reason)s", fields={"cron": cron}, reason=str(exc)) from None


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
        raise Invalid("invalid template: %(reason)s", fields={name: template}, reason=str(exc)) from None
    for _literal, field_name, _spec, conversion in parts:
        if field_name is None:
            continue
        if field_name not in TEMPLATE_NAMES or conversion:
            raise Invalid(
                "a template may use only %(names)s",
                fields={name: template},
                names="{" + "}, {".join(TEMPLATE_NAMES) + "}",
            )
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


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


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
        raise NotFound("cycle '%(code)s' not found", code=code)
    return cycle


def set_paused(actor: Actor, code: str, paused: bool) -> CycleDefinition:
    _require_admin(actor)
    with UnitOfWork(actor) as uow:
        cycle = db.session.get(CycleDefinition, code)
        if cycle is None:
            raise NotFound("cycle '%(code)s' not found", code=code)
        if cycle.paused != paused:
            cycle.paused = paused
            cycle.updated_at = clock.now()
            uow.record("cycle_paused" if paused else "cycle_resumed", payload={"cycle": code})
        uow.commit()
    timer_wakeups.wake(clock.now())  # a resumed cycle may be due at once
    return _existing(code)


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
    data = advance.check_data(start_data or {})
    with UnitOfWork(actor) as uow:
        existing = db.session.get(CycleDefinition, code)
        created = existing is None
        cycle = existing if existing is not None else CycleDefinition(id=code, created_at=clock.now())
        if created:
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
    timer_wakeups.wake(clock.now())
    return _existing(code)


def _existing(code: str) -> CycleDefinition:
    cycle = db.session.get(CycleDefinition, code)
    if cycle is None:
        raise NotFound("cycle '%(code)s' not found", code=code)
    return cycle
