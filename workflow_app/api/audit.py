"""Audit endpoints: chain verification and head, event search and export, an instance's history and
diagram, and the administrator's corrections (each with a mandatory reason)."""

from flask import Response, request
from flask_smorest import Blueprint

from ..services.audit import queries
from ..services.cases import corrections
from .core import current_actor
from .schemas.audit import (
    CorrectedSchema,
    EventPageSchema,
    EventQuerySchema,
    HeadSchema,
    HistorySchema,
    ReasonSchema,
    ReassignSchema,
    VerifySchema,
)

blp = Blueprint("audit", __name__, description="Audit log, instance history, administrator corrections")


def _params() -> dict:
    return {k: request.args.getlist(k) for k in request.args}


@blp.route("/audit/verify")
@blp.response(200, VerifySchema)
def verify():
    """Walk the whole hash chain; ``first_bad`` is the seq of the first event that breaks it (auditors, admins)."""
    return queries.verify_chain(current_actor())


@blp.route("/audit/head")
@blp.response(200, HeadSchema)
def head():
    """The chain head (seq and hash) to keep outside the system."""
    return queries.chain_head(current_actor())


@blp.route("/audit/events")
@blp.arguments(EventQuerySchema(), location="query", as_kwargs=True)
@blp.response(200, EventPageSchema)
def events(**_documented):
    """Search events, newest first by time (events of the same moment in chain order), a page at a time
    (auditors, admins)."""
    return queries.search(current_actor(), _params(), request.args.get("limit"), request.args.get("before"))


@blp.route("/audit/events.<fmt>")
@blp.arguments(EventQuerySchema(), location="query", as_kwargs=True)
def export(fmt, **_documented):
    """Every matching event, oldest first, as csv, xlsx or json."""
    content, mimetype, name = queries.export(current_actor(), _params(), fmt)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/instances/<int:instance_id>/history")
@blp.response(200, HistorySchema)
def history(instance_id):
    """Timeline of an instance and the path it took (participants, auditors, admins)."""
    return queries.instance_history(current_actor(), instance_id)


@blp.route("/instances/<int:instance_id>/diagram.svg")
def diagram(instance_id):
    """The process diagram as SVG with completed steps, current steps and taken flows highlighted."""
    svg = queries.instance_diagram(current_actor(), instance_id)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@blp.route("/admin/instances/<int:instance_id>/terminate", methods=["POST"])
@blp.arguments(ReasonSchema())
@blp.response(200, CorrectedSchema)
def terminate(body, instance_id):
    """Terminate a stuck instance (administrators; a reason is required)."""
    return corrections.terminate_instance(current_actor(), instance_id, body["reason"])


@blp.route("/admin/tasks/<int:task_id>/reassign", methods=["POST"])
@blp.arguments(ReassignSchema())
@blp.response(200, CorrectedSchema)
def reassign(body, task_id):
    """Give an open task to another eligible user (administrators; a reason is required)."""
    return corrections.reassign_task(current_actor(), task_id, body["assignee"], body["reason"])


@blp.route("/admin/tasks/<int:task_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema())
@blp.response(200, CorrectedSchema)
def cancel(body, task_id):
    """Cancel an open task in the engine (administrators; a reason is required)."""
    return corrections.cancel_task(current_actor(), task_id, body["reason"])
