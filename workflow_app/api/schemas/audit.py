"""Schemas of /audit and /instances/<id>/history: the audit trail, its verification, and administrative corrections."""

from marshmallow import Schema, fields

from .shared import LenientSchema


class EventQuerySchema(LenientSchema):
    from_ = fields.String(
        data_key="from", metadata={"description": "YYYY-MM-DD or ISO date-time (region time if naive)"}
    )
    to = fields.String(metadata={"description": "end of the period; a date includes that whole day"})
    process = fields.String()
    instance = fields.String()
    business_key = fields.String()
    actor = fields.String(metadata={"description": "user name or id; 'scheduler' / 'system'"})
    org = fields.String(metadata={"description": "organisation id or code"})
    kind = fields.List(fields.String(), metadata={"description": "repeatable or comma-separated"})
    decisions = fields.String(metadata={"description": "1: only decisions (completed tasks, signed protocols)"})
    limit = fields.String(metadata={"description": "page size, 1..500 (search only)"})
    before = fields.String(metadata={"description": "continue after this event (next_before of the previous page)"})


class VerifySchema(Schema):
    ok = fields.Boolean()
    events = fields.Integer()
    first_bad = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    head = fields.Dict()
    sealed = fields.Dict(metadata={"description": "how many events are sealed into the chain, and when it last moved"})
    unsealed = fields.Integer(metadata={"description": "events committed but not sealed yet (seconds old)"})


class HeadSchema(Schema):
    seq = fields.Integer()
    hash = fields.String()
    at = fields.String()
    sealed_at = fields.String(allow_none=True)


class EventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String()
    actor_org_id = fields.Integer(allow_none=True)
    kind = fields.String()
    instance_id = fields.Integer(allow_none=True)
    process_id = fields.String(allow_none=True)
    business_key = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    payload = fields.Dict()
    hash = fields.String()


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_before = fields.Integer(allow_none=True)
    limit = fields.Integer()
    filters = fields.Dict()


class TimelineEventSchema(EventSchema):
    actor_display = fields.String()
    task_name = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    data_labels = fields.Dict()
    details = fields.List(
        fields.Dict(),
        metadata={"description": "the event's values for a person: {label, text} or {label, columns, rows}"},
    )


class HistorySchema(Schema):
    instance = fields.Dict()
    path = fields.Dict()
    events = fields.List(fields.Nested(TimelineEventSchema))
    open_tasks = fields.List(fields.Dict())


class ReasonSchema(Schema):
    reason = fields.String(required=True)


class ReassignSchema(ReasonSchema):
    assignee = fields.Raw(required=True, metadata={"description": "user name or id"})


class CorrectedSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    assignee_id = fields.Integer(allow_none=True)
