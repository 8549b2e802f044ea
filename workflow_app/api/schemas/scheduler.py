"""Schemas of /scheduler: yearly cycles and the scheduler's health."""

from marshmallow import Schema, fields


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
