"""Scheduler endpoints: the yearly cycles (list, pause, resume) and the scheduler's health."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services import scheduler
from . import current_actor

blp = Blueprint(
    "scheduler",
    __name__,
    url_prefix="/scheduler",
    description="Yearly cycles (cron in Asia/Tomsk) and the scheduler's health; admins and auditors",
)


class CycleSchema(Schema):
    id = fields.String(metadata={"description": "the cycle's code, e.g. kcp_campaign"})
    name = fields.String()
    process_id = fields.String()
    deployed = fields.Boolean(metadata={"description": "false: the cycle is skipped (with a warning) until deployed"})
    cron = fields.String(metadata={"description": "5-field cron: minute hour day-of-month month day-of-week"})
    timezone = fields.String()
    key_template = fields.String(metadata={"description": "cycle_key of the started instance, e.g. {year}"})
    business_key_template = fields.String(metadata={"description": "business key, e.g. КЦП-{year}"})
    paused = fields.Boolean()
    next_due_at = fields.String(allow_none=True, metadata={"description": "next cron moment (UTC ISO)"})
    pending_due_at = fields.String(allow_none=True, metadata={"description": "a due moment not yet started"})
    next_cycle_key = fields.String(allow_none=True)
    last_due_at = fields.String(allow_none=True)
    last_fired_at = fields.String(allow_none=True)
    last_cycle_key = fields.String(allow_none=True)
    last_instance_id = fields.Integer(allow_none=True)
    last_lateness_s = fields.Float(allow_none=True, metadata={"description": "how late the last start was"})
    last_warning = fields.String(allow_none=True)


class HealthSchema(Schema):
    running = fields.Boolean()
    processes = fields.Integer()
    last_tick_at = fields.String(allow_none=True)
    next_due_at = fields.String(allow_none=True)
    last_lateness_s = fields.Float(allow_none=True)
    max_lateness_s = fields.Float(allow_none=True)
    overdue_timers = fields.Integer()
    last_error = fields.String(allow_none=True)


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
