"""Schemas of /monitoring: the roadmap's half-yearly monitoring and its dashboard."""

from marshmallow import Schema, fields

P90 = "the 90th percentile (nearest rank) within ±6 %: the middle of its histogram bucket (services/durations)"


class PeriodSchema(Schema):
    start = fields.String(load_default=None, metadata={"description": "YYYY-MM-DD (default: 180 days back)"})
    end = fields.String(load_default=None, metadata={"description": "YYYY-MM-DD (default: today)"})


class OpenRowSchema(Schema):
    label = fields.String(metadata={"description": "the department's (or chain's) name"})
    open = fields.Integer()
    overdue = fields.Integer()


class StepRowSchema(Schema):
    chain = fields.String()
    label = fields.String(metadata={"description": "the step's name"})
    count = fields.Integer()
    avg_hours = fields.Float(metadata={"description": "exact, to 0.1 hour"})
    p90_hours = fields.Float(metadata={"description": P90})


class ChainRowSchema(Schema):
    label = fields.String()
    count = fields.Integer()
    avg_days = fields.Float(metadata={"description": "exact, to 0.1 day"})
    p90_days = fields.Float(metadata={"description": P90})


class StatusRowSchema(Schema):
    status = fields.String()
    count = fields.Integer()


class StepTimesSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    rows = fields.List(fields.Nested(StepRowSchema))


class ChainTimesSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    rows = fields.List(fields.Nested(ChainRowSchema))


class DashboardSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    by_department = fields.List(fields.Nested(OpenRowSchema))
    by_chain = fields.List(fields.Nested(OpenRowSchema))
    step_times = fields.List(fields.Nested(StepRowSchema))
    chain_times = fields.List(fields.Nested(ChainRowSchema))
    roadmap = fields.List(fields.Nested(StatusRowSchema))
    instructions = fields.List(fields.Nested(StatusRowSchema))
