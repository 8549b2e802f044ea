"""Audit endpoints: chain verification and head, event search and export, an instance's history and
diagram, and the administrator's corrections (each with a mandatory reason)."""

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from ..services import admin_corrections, audit_log
from . import current_actor

blp = Blueprint("audit", __name__, description="Audit log, instance history, administrator corrections")


class EventQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

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


def _params() -> dict:
    return {k: request.args.getlist(k) for k in request.args}


@blp.route("/audit/verify")
@blp.response(200, VerifySchema)
def verify():
    """Walk the whole hash chain; ``first_bad`` is the seq of the first event that breaks it (auditors, admins)."""
    return audit_log.verify_chain(current_actor())


@blp.route("/audit/head")
@blp.response(200, HeadSchema)
def head():
    """The chain head (seq and hash) to keep outside the system."""
    return audit_log.chain_head(current_actor())


@blp.route("/audit/events")
@blp.arguments(EventQuerySchema(), location="query", as_kwargs=True)
@blp.response(200, EventPageSchema)
def events(**_documented):
    """Search events, newest first by time (events of the same moment in chain order), a page at a time
    (auditors, admins)."""
    return audit_log.search(current_actor(), _params(), request.args.get("limit"), request.args.get("before"))


@blp.route("/audit/events.<fmt>")
@blp.arguments(EventQuerySchema(), location="query", as_kwargs=True)
def export(fmt, **_documented):
    """Every matching event, oldest first, as csv, xlsx or json."""
    content, mimetype, name = audit_log.export(current_actor(), _params(), fmt)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/instances/<int:instance_id>/history")
@blp.response(200, HistorySchema)
def history(instance_id):
    """Timeline of an instance and the path it took (participants, auditors, admins)."""
    return audit_log.instance_history(current_actor(), instance_id)


@blp.route("/instances/<int:instance_id>/diagram.svg")
def diagram(instance_id):
    """The process diagram as SVG with completed steps, current steps and taken flows highlighted."""
    svg = audit_log.instance_diagram(current_actor(), instance_id)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@blp.route("/admin/instances/<int:instance_id>/terminate", methods=["POST"])
@blp.arguments(ReasonSchema())
@blp.response(200, CorrectedSchema)
def terminate(body, instance_id):
    """Terminate a stuck instance (administrators; a reason is required)."""
    return admin_corrections.terminate_instance(current_actor(), instance_id, body["reason"])


@blp.route("/admin/tasks/<int:task_id>/reassign", methods=["POST"])
@blp.arguments(ReassignSchema())
@blp.response(200, CorrectedSchema)
def reassign(body, task_id):
    """Give an open task to another eligible user (administrators; a reason is required)."""
    return admin_corrections.reassign_task(current_actor(), task_id, body["assignee"], body["reason"])


@blp.route("/admin/tasks/<int:task_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema())
@blp.response(200, CorrectedSchema)
def cancel(body, task_id):
    """Cancel an open task in the engine (administrators; a reason is required)."""
    return admin_corrections.cancel_task(current_actor(), task_id, body["reason"])
