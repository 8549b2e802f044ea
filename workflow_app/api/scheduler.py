"""Scheduler endpoints: the yearly cycles (list, pause, resume) and the scheduler's health."""

from flask_smorest import Blueprint

from ..services import scheduler
from .core import current_actor
from .schemas.scheduler import CycleSchema, HealthSchema

blp = Blueprint(
    "scheduler",
    __name__,
    url_prefix="/scheduler",
    description="Yearly cycles (cron in Asia/Tomsk) and the scheduler's health; admins and auditors",
)


@blp.route("/cycles")
@blp.response(200, CycleSchema(many=True))
def list_cycles():
    """The yearly cycles with their next and last start."""
    return [scheduler.cycle_view(c) for c in scheduler.list_cycles(current_actor())]


@blp.route("/cycles/<code>")
@blp.response(200, CycleSchema)
def get_cycle(code):
    return scheduler.cycle_view(scheduler.get_cycle(current_actor(), code))


@blp.route("/cycles/<code>/pause", methods=["POST"])
@blp.response(200, CycleSchema)
def pause_cycle(code):
    """Pause a cycle (admin): it does not start until resumed."""
    return scheduler.cycle_view(scheduler.set_paused(current_actor(), code, True))


@blp.route("/cycles/<code>/resume", methods=["POST"])
@blp.response(200, CycleSchema)
def resume_cycle(code):
    """Resume a cycle (admin); a moment missed while paused starts once, late."""
    return scheduler.cycle_view(scheduler.set_paused(current_actor(), code, False))


@blp.route("/status")
@blp.response(200, HealthSchema)
def status():
    """Last tick, next due moment, lateness (admins and auditors)."""
    return scheduler.status(current_actor())
