"""Schemas of /council: collegial bodies, meetings and their agenda, attendance and quorum, decisions, protocols, instructions."""

from marshmallow import Schema, fields, validate

from ...services import council
from .shared import LenientSchema


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


class CouncilMeetingIn(LenientSchema):
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


class CouncilItemIn(LenientSchema):
    task_id = fields.Integer(required=True, strict=True)
    draft_decision = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20000))
    title = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "the question as the protocol words it (default: the case's title and task)"},
    )


class CouncilSubstituteIn(LenientSchema):
    member_id = fields.Integer(required=True, strict=True)
    substitute_id = fields.Integer(required=True, strict=True)


class CouncilAttendanceIn(LenientSchema):
    present = fields.List(fields.Integer(strict=True), required=True)
    substitutes = fields.List(fields.Nested(CouncilSubstituteIn), load_default=list)


class CouncilQuorumSchema(Schema):
    members = fields.Integer()
    present = fields.Integer()
    required = fields.Integer()
    reached = fields.Boolean()


class CouncilInstructionIn(LenientSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    executor = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={"description": "as printed; or an organisation's code, short name or name, or a user name"},
    )
    executor_user_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    executor_username = fields.String(load_default=None, allow_none=True, metadata={"description": "a person"})
    executor_org = fields.String(load_default=None, allow_none=True, metadata={"description": "a department's code"})
    deadline = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})


class CouncilQuestionIn(LenientSchema):
    title = fields.String(load_default="", metadata={"description": "the question as the agenda names it"})
    rapporteur = fields.String(load_default="")
    materials = fields.String(load_default="", metadata={"description": "what the members read before voting"})
    draft_decision = fields.String(load_default="")


class CouncilDecisionIn(LenientSchema):
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


class CouncilPostponeIn(LenientSchema):
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
    executor_org = fields.String(allow_none=True)
    deadline = fields.String()
    status = fields.String(metadata={"description": "open | reported | done"})
    overdue = fields.Boolean()
    report = fields.String(allow_none=True)
    reported_at = fields.String(allow_none=True)
    done_at = fields.String(allow_none=True)
    done_note = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True, metadata={"description": "the executor's task's case"})
    ref = fields.String()
    protocol_ref = fields.String(metadata={"description": "протокол от ДД.ММ.ГГГГ № N, вопрос M"})
    protocol_id = fields.Integer()
    item_title = fields.String()


class CouncilInstructionsQuery(LenientSchema):
    overdue = fields.Boolean(load_default=False)


class CouncilDoneIn(LenientSchema):
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class CouncilMaterialColumnSchema(Schema):
    key = fields.String()
    label = fields.String(metadata={"description": "the column's heading, as the page shows it"})
    numeric = fields.Boolean()


class CouncilMaterialRowSchema(Schema):
    cells = fields.List(fields.String(), metadata={"description": "each column's value as the page shows it"})
    links = fields.List(
        fields.String(allow_none=True), metadata={"description": "per cell: where its file downloads, or null"}
    )
    mark = fields.String(allow_none=True, metadata={"description": "added, changed, removed or null"})
    mark_label = fields.String()


class CouncilMaterialSchema(Schema):
    """One table of what the body decides on in a question (labelled, as the meeting's page shows it)."""

    key = fields.String()
    title = fields.String()
    note = fields.String()
    columns = fields.List(fields.Nested(CouncilMaterialColumnSchema))
    rows = fields.List(fields.Nested(CouncilMaterialRowSchema))
    totals = fields.List(fields.String(), allow_none=True)
    xlsx = fields.String(metadata={"description": "the table as XLSX"})
