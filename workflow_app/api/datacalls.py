"""Data calls (запросы сведений): open from a template, follow who answered / who is late, extend or excuse
one recipient, complete (freezes the consolidation, XLSX); the recipient's draft and answer."""

from flask import Response
from flask_smorest import Blueprint

from ..downloads import attachment_response
from ..services import datacalls
from . import serialize
from .core import current_actor
from .schemas.datacalls import (
    DataCallAnswerSchema,
    DataCallAnswerViewSchema,
    DataCallCompleteSchema,
    DataCallDetailSchema,
    DataCallOpenSchema,
    DataCallReasonSchema,
    DataCallRecipientSchema,
    DataCallSchema,
    DataCallTemplateSchema,
)

blp = Blueprint(
    "data_calls_api", __name__, url_prefix="/data-calls", description="Data calls to organisations (запросы сведений)"
)


@blp.route("/templates")
@blp.response(200, DataCallTemplateSchema(many=True))
def templates():
    """The templates the caller may open a call from."""
    return datacalls.available_templates(current_actor())


@blp.route("", methods=["GET"])
@blp.response(200, DataCallSchema(many=True))
def list_calls():
    return datacalls.list_calls(current_actor())


@blp.route("", methods=["POST"])
@blp.arguments(DataCallOpenSchema())
@blp.response(201, DataCallDetailSchema)
def open_call(args):
    """Open a data call (ДТЗН, ДепПО, the Координатор, as the template's owners say)."""
    actor = current_actor()
    call = datacalls.open_call(actor, args.pop("template"), **args)
    return datacalls.call_view(actor, call.id)


@blp.route("/<int:call_id>")
@blp.response(200, DataCallDetailSchema)
def get_call(call_id):
    """Who has answered, who is late, and the consolidation so far (frozen once completed)."""
    return datacalls.call_view(current_actor(), call_id)


@blp.route("/<int:call_id>/consolidation.xlsx")
def consolidation_xlsx(call_id):
    name, content = datacalls.consolidation_xlsx(current_actor(), call_id)
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@blp.route("/<int:call_id>/attachments/<int:attachment_id>")
@blp.response(200, content_type="application/octet-stream")
def answer_attachment(call_id, attachment_id):
    """A file attached to a submitted answer, for those who follow the call."""
    return attachment_response(datacalls.answer_attachment(current_actor(), call_id, attachment_id))


@blp.route("/<int:call_id>/recipients/<int:recipient_id>/extend", methods=["POST"])
@blp.arguments(DataCallReasonSchema())
@blp.response(200, DataCallRecipientSchema)
def extend(args, call_id, recipient_id):
    """Move one recipient's deadline (recorded with the reason)."""
    datacalls.extend(current_actor(), call_id, recipient_id, args["deadline"], args["reason"])
    return _recipient(call_id, recipient_id)


@blp.route("/<int:call_id>/recipients/<int:recipient_id>/excuse", methods=["POST"])
@blp.arguments(DataCallReasonSchema())
@blp.response(200, DataCallRecipientSchema)
def excuse(args, call_id, recipient_id):
    """Release one recipient from answering (recorded with the reason)."""
    datacalls.excuse(current_actor(), call_id, recipient_id, args["reason"])
    return _recipient(call_id, recipient_id)


def _recipient(call_id, recipient_id):
    view = datacalls.call_view(current_actor(), call_id)
    return next(r for r in view["recipients"] if r["id"] == recipient_id)


@blp.route("/<int:call_id>/complete", methods=["POST"])
@blp.arguments(DataCallCompleteSchema())
@blp.response(200, DataCallDetailSchema)
def complete(args, call_id):
    """Complete the call (every recipient answered or excused): the consolidation is frozen."""
    actor = current_actor()
    datacalls.complete(actor, call_id, args["comment"])
    return datacalls.call_view(actor, call_id)


@blp.route("/answers/<int:task_id>")
@blp.response(200, DataCallAnswerViewSchema)
def answer(task_id):
    """The recipient's view of its answer task: the call's form and its draft or answer."""
    return _answer(task_id)


@blp.route("/answers/<int:task_id>/draft", methods=["PUT"])
@blp.arguments(DataCallAnswerSchema())
@blp.response(200, DataCallAnswerViewSchema)
def save_draft(args, task_id):
    datacalls.save_draft(current_actor(), task_id, args["data"])
    return _answer(task_id)


@blp.route("/answers/<int:task_id>/submit", methods=["POST"])
@blp.arguments(DataCallAnswerSchema())
@blp.response(200, DataCallAnswerViewSchema)
def submit(args, task_id):
    datacalls.submit(current_actor(), task_id, args["data"])
    return _answer(task_id)


def _answer(task_id):
    view = datacalls.answer_view(current_actor(), task_id)
    return {
        "call_id": view["call"].id,
        "title": view["call"].title,
        "form": view["form"],
        "data": view["data"],
        "open": view["open"],
        "recipient": view["recipient"],
        "attachments": [serialize.attachment(a) for a in view["attachments"]],
    }
