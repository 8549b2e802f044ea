"""The ``complete_data_call`` operation: the call ends with its consolidation frozen (a command that needs the
read model of :mod:`.views`, so it lives apart from :mod:`.calls`, which the views import)."""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import DataCall, ProcessInstance
from ..cases import advance, operations
from .calls import COMPLETED_MESSAGE
from .views import consolidation


@operations.operation("complete_data_call")
def freeze(ctx, params, data):
    """Service task ``complete_data_call``: the call is completed and its consolidation frozen; a process
    that opened it (the forecast chain) is told, in the same transaction."""
    call = db.session.execute(select(DataCall).where(DataCall.instance_id == ctx.instance.id)).scalar_one()
    call.status = "completed"
    call.completed_at = clock.now()
    call.completed_by_id = getattr(ctx.actor, "user_id", None)
    call.consolidated = consolidation(call, frozen=False)
    ctx.uow.record(
        "data_call_completed",
        instance=ctx.instance,
        actor=ctx.actor,
        payload={
            "call_id": call.id,
            "submitted": call.consolidated["counts"]["submitted"],
            "excused": call.consolidated["counts"]["excused"],
            "totals": call.consolidated["totals"],
        },
    )
    parent = db.session.get(ProcessInstance, ctx.instance.parent_id) if ctx.instance.parent_id else None
    if parent is not None and parent.status == "running" and COMPLETED_MESSAGE in (parent.waiting_messages or []):
        payload = {"call_id": call.id, "template": call.template}
        advance.advance(
            ctx.uow,
            parent,
            ctx.actor,
            lambda li: li.deliver(COMPLETED_MESSAGE, payload),
            audit_kind="message_delivered",
            audit_payload={"message": COMPLETED_MESSAGE, "payload": payload},
        )
    return {"call_id": call.id, "completed_at": call.completed_at.isoformat()}
