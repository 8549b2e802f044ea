"""Collegial bodies over REST: bodies, pending items, meetings, agenda and its materials, attendance, decisions,
signing."""

import io

from flask import send_file
from flask_smorest import Blueprint

from ..downloads import attachment_response
from ..services import council
from . import serialize
from .core import current_actor
from .schemas.council import (
    CouncilAttendanceIn,
    CouncilBodySchema,
    CouncilDecisionIn,
    CouncilDecisionSchema,
    CouncilDoneIn,
    CouncilInstructionSchema,
    CouncilInstructionsQuery,
    CouncilItemIn,
    CouncilMaterialSchema,
    CouncilMeetingIn,
    CouncilMeetingSchema,
    CouncilPendingSchema,
    CouncilPostponeIn,
    CouncilProtocolSchema,
    CouncilQuestionIn,
    CouncilQuorumSchema,
)

PREFIX = "/api/v1/council"  # where the question's files and tables download (the answer links them)
blp = Blueprint(
    "council_api",
    __name__,
    url_prefix="/council",
    description="Collegial bodies: meetings, agenda, quorum, decisions, protocols",
)


@blp.route("/bodies")
@blp.response(200, CouncilBodySchema(many=True))
def bodies():
    return council.list_bodies(current_actor())


@blp.route("/bodies/<body>/pending")
@blp.response(200, CouncilPendingSchema(many=True))
def pending(body):
    return council.pending(current_actor(), body)


@blp.route("/bodies/<body>/meetings")
@blp.response(200, CouncilMeetingSchema(many=True))
def meetings(body):
    return [council.meeting_view(m) for m in council.list_meetings(current_actor(), body)]


@blp.route("/bodies/<body>/instructions")
@blp.arguments(CouncilInstructionsQuery(), location="query")
@blp.response(200, CouncilInstructionSchema(many=True))
def instructions(args, body):
    return council.list_instructions(current_actor(), body, overdue_only=args["overdue"])


@blp.route("/meetings", methods=["POST"])
@blp.arguments(CouncilMeetingIn())
@blp.response(201, CouncilMeetingSchema)
def create_meeting(args):
    return council.meeting_view(
        council.create_meeting(current_actor(), args["body"], args["starts_at"], args["place"], args["form"])
    )


@blp.route("/meetings/<int:meeting_id>")
@blp.response(200, CouncilMeetingSchema)
def get_meeting(meeting_id):
    return council.meeting_view(council.get_meeting(current_actor(), meeting_id))


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/materials")
@blp.response(200, CouncilMaterialSchema(many=True))
def item_materials(meeting_id, item_id):
    """What the body decides on in a question, for whoever may read the meeting (its members are no party to the
    case): the case's tables with labels, the opinions so far, its files and those of the requests under it."""
    base = f"{PREFIX}/meetings/{meeting_id}/items/{item_id}"
    blocks = council.item_materials(current_actor(), meeting_id, item_id, files_at=f"{base}/attachments")
    return [serialize.material(b, f"{base}/materials/{b.key}.xlsx") for b in blocks]


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/materials/<key>.xlsx")
def item_material_xlsx(meeting_id, item_id, key):
    """One table of a question's materials as XLSX."""
    body, mimetype, name = council.item_material_xlsx(current_actor(), meeting_id, item_id, key)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/attachments/<int:attachment_id>")
def item_attachment(meeting_id, item_id, attachment_id):
    """A file among a question's materials (the case's, a request's under it, or one added to a body's own
    question)."""
    return attachment_response(council.item_attachment(current_actor(), meeting_id, item_id, attachment_id))


@blp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@blp.arguments(CouncilItemIn())
@blp.response(201, CouncilMeetingSchema)
def add_item(args, meeting_id):
    item = council.add_item(current_actor(), meeting_id, args["task_id"], args["draft_decision"], args["title"])
    return council.meeting_view(item.meeting)


@blp.route("/meetings/<int:meeting_id>/questions", methods=["POST"])
@blp.arguments(CouncilQuestionIn())
@blp.response(201, CouncilMeetingSchema)
def add_question(args, meeting_id):
    """A question of the body's own (no case's task): title, rapporteur, materials, draft decision."""
    return council.meeting_view(council.add_question(current_actor(), meeting_id, **args).meeting)


@blp.route("/meetings/<int:meeting_id>/instructions-review", methods=["POST"])
@blp.response(201, CouncilMeetingSchema)
def add_instructions_review(meeting_id):
    """The question «Об исполнении поручений»: the body's instructions not yet done, with their status."""
    return council.meeting_view(council.add_instructions_review(current_actor(), meeting_id).meeting)


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>", methods=["DELETE"])
@blp.response(200, CouncilMeetingSchema)
def remove_item(meeting_id, item_id):
    return council.meeting_view(council.remove_item(current_actor(), meeting_id, item_id))


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/postpone", methods=["POST"])
@blp.arguments(CouncilPostponeIn())
@blp.response(200, CouncilMeetingSchema)
def postpone(args, meeting_id, item_id):
    council.postpone_item(current_actor(), meeting_id, item_id, args["to_meeting_id"])
    return council.meeting_view(council.get_meeting(current_actor(), meeting_id))


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/refresh", methods=["POST"])
@blp.response(200, CouncilMeetingSchema)
def refresh(meeting_id, item_id):
    item = council.refresh_item(current_actor(), meeting_id, item_id)
    return council.meeting_view(item.meeting)


@blp.route("/meetings/<int:meeting_id>/approve-agenda", methods=["POST"])
@blp.response(200, CouncilMeetingSchema)
def approve_agenda(meeting_id):
    return council.meeting_view(council.approve_agenda(current_actor(), meeting_id))


@blp.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@blp.response(200, CouncilMeetingSchema)
def cancel(meeting_id):
    return council.meeting_view(council.cancel_meeting(current_actor(), meeting_id))


@blp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@blp.arguments(CouncilAttendanceIn())
@blp.response(200, CouncilQuorumSchema)
def attendance(args, meeting_id):
    return council.record_attendance(current_actor(), meeting_id, args["present"], args["substitutes"]).as_dict()


@blp.route("/meetings/<int:meeting_id>/items/<int:item_id>/decision", methods=["POST"])
@blp.arguments(CouncilDecisionIn())
@blp.response(200, CouncilDecisionSchema)
def decision(args, meeting_id, item_id):
    return council.record_decision(
        current_actor(),
        meeting_id,
        item_id,
        outcome=args["outcome"],
        votes_for=args["votes_for"],
        votes_against=args["votes_against"],
        votes_abstained=args["votes_abstained"],
        chair_casting_vote=args["chair_casting_vote"],
        text=args["text"],
        fields=args["fields_"],
        instructions=args["instructions"],
    )


@blp.route("/meetings/<int:meeting_id>/protocol")
@blp.response(200, CouncilProtocolSchema)
def protocol_preview(meeting_id):
    return council.protocol_view(council.get_meeting(current_actor(), meeting_id))


@blp.route("/meetings/<int:meeting_id>/sign", methods=["POST"])
@blp.response(200, CouncilProtocolSchema)
def sign(meeting_id):
    """The secretary signs the draft; the chair's signature closes the protocol and the waiting tasks."""
    protocol = council.sign(current_actor(), meeting_id)
    return council.protocol_view(protocol.meeting)


@blp.route("/protocols/<int:protocol_id>", methods=["GET"])
@blp.response(200, CouncilProtocolSchema)
def get_protocol(protocol_id):
    return council.protocol_view(council.get_protocol(current_actor(), protocol_id).meeting)


@blp.route("/protocols/<int:protocol_id>", methods=["DELETE"])
@blp.response(204)
def delete_protocol(protocol_id):
    council.delete_protocol(current_actor(), protocol_id)


@blp.route("/instructions/<int:instruction_id>/done", methods=["POST"])
@blp.arguments(CouncilDoneIn())
@blp.response(200, CouncilInstructionSchema)
def instruction_done(args, instruction_id):
    return council.instruction_view(council.complete_instruction(current_actor(), instruction_id, args["note"]))
