"""Collegial bodies over REST: bodies, pending items, meetings, agenda, attendance, decisions, signing."""

from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from ..services import council
from . import current_actor

blp = Blueprint(
    "council_api",
    __name__,
    url_prefix="/council",
    description="Collegial bodies: meetings, agenda, quorum, decisions, protocols",
)


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class CouncilMemberSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    role = fields.String()
    position = fields.String(allow_none=True)
    valid_from = fields.String()
    valid_to = fields.String(allow_none=True)


class CouncilBodySchema(Schema):
    code = fields.String()
    name = fields.String()
    short_name = fields.String()
    protocols_public = fields.Boolean()
    my_roles = fields.List(fields.String())
    members = fields.List(fields.Nested(CouncilMemberSchema))
    pending_count = fields.Integer()


class CouncilPendingSchema(Schema):
    task_id = fields.Integer()
    name = fields.String()
    task_def = fields.String()
    form_key = fields.String(allow_none=True)
    instance_id = fields.Integer()
    process_id = fields.String()
    business_key = fields.String(allow_none=True)
    title = fields.String()
    status = fields.String()
    lock_version = fields.Integer()
    created_at = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    materials = fields.Dict(metadata={"description": "data, attachments, draft_decision, decision_options"})


class CouncilMeetingIn(_In):
    body = fields.String(required=True)
    starts_at = fields.String(required=True, metadata={"description": "ISO date-time; without offset: Asia/Tomsk"})
    place = fields.String(load_default="", validate=validate.Length(max=500))
    form = fields.String(load_default="in_person", validate=validate.OneOf(council.MEETING_FORMS))


class CouncilMeetingSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    starts_at = fields.String()
    place = fields.String()
    form = fields.String()
    status = fields.String()
    agenda_approved_at = fields.String(allow_none=True)
    quorum = fields.Dict()
    items = fields.List(fields.Dict())
    attendance = fields.List(fields.Dict())
    protocol_id = fields.Integer(allow_none=True)


class CouncilItemIn(_In):
    task_id = fields.Integer(required=True, strict=True)
    draft_decision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))


class CouncilSubstituteIn(_In):
    member_id = fields.Integer(required=True, strict=True)
    substitute_id = fields.Integer(required=True, strict=True)


class CouncilAttendanceIn(_In):
    present = fields.List(fields.Integer(strict=True), required=True)
    substitutes = fields.List(fields.Nested(CouncilSubstituteIn), load_default=list)


class CouncilQuorumSchema(Schema):
    members = fields.Integer()
    present = fields.Integer()
    required = fields.Integer()
    reached = fields.Boolean()


class CouncilInstructionIn(_In):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    executor = fields.String(required=True, validate=validate.Length(min=1, max=300))
    executor_user_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    deadline = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})


class CouncilDecisionIn(_In):
    outcome = fields.String(required=True, metadata={"description": "a value of the task form's decision enum"})
    votes_for = fields.Integer(load_default=0, strict=True)
    votes_against = fields.Integer(load_default=0, strict=True)
    votes_abstained = fields.Integer(load_default=0, strict=True)
    chair_casting_vote = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("for", "against")))
    text = fields.String(load_default="", validate=validate.Length(max=20000))
    fields_ = fields.Dict(data_key="fields", load_default=dict, metadata={"description": "further form fields"})
    instructions = fields.List(fields.Nested(CouncilInstructionIn), load_default=list)


class CouncilDecisionSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    outcome = fields.String()
    votes_for = fields.Integer()
    votes_against = fields.Integer()
    votes_abstained = fields.Integer()
    chair_casting_vote = fields.String(allow_none=True)
    text = fields.String()
    number = fields.Integer(allow_none=True)


class CouncilPostponeIn(_In):
    to_meeting_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class CouncilProtocolSchema(Schema):
    id = fields.Integer(allow_none=True)
    status = fields.String()
    body = fields.String()
    body_name = fields.String()
    number = fields.Integer(allow_none=True)
    year = fields.Integer()
    date = fields.String()
    meeting_id = fields.Integer()
    starts_at = fields.String()
    place = fields.String()
    form = fields.String()
    quorum = fields.Nested(CouncilQuorumSchema)
    signed_by_secretary = fields.Dict(allow_none=True)
    secretary_signed_at = fields.String(allow_none=True)
    signed_by_chair = fields.Dict(allow_none=True)
    signed_at = fields.String(allow_none=True)
    composition = fields.List(fields.Dict())
    items = fields.List(fields.Dict(), metadata={"description": "questions with their decisions"})
    closed_tasks = fields.List(fields.Dict(), metadata={"description": "the tasks the signed protocol completed"})


class CouncilInstructionSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    executor = fields.String()
    executor_user_id = fields.Integer(allow_none=True)
    deadline = fields.String()
    status = fields.String()
    overdue = fields.Boolean()
    done_at = fields.String(allow_none=True)
    done_note = fields.String(allow_none=True)
    ref = fields.String()
    protocol_id = fields.Integer()
    item_title = fields.String()


class CouncilInstructionsQuery(_In):
    overdue = fields.Boolean(load_default=False)


class CouncilDoneIn(_In):
    note = fields.String(load_default="", validate=validate.Length(max=4000))


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


@blp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@blp.arguments(CouncilItemIn())
@blp.response(201, CouncilMeetingSchema)
def add_item(args, meeting_id):
    item = council.add_item(current_actor(), meeting_id, args["task_id"], args["draft_decision"])
    return council.meeting_view(item.meeting)


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
