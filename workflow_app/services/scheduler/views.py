"""Read models of the scheduler's admin page and status endpoint."""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import CycleDefinition, SchedulerNode
from ..people.actors import Actor
from .cycles import _iso, _require_reader, cycle_view
from .loop import SchedulerHealth, health


def status(actor: Actor) -> SchedulerHealth:
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
