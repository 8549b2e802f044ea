"""Schemas of /data-calls: a call, its recipients and their answers, templates."""

from marshmallow import Schema, fields

from ..schemas.tasks import AttachmentSchema


class DataCallOpenSchema(Schema):
    template = fields.String(required=True, metadata={"description": "forms/data_calls/<template>.json"})
    year = fields.Integer(load_default=None)
    title = fields.String(load_default=None)
    recipients = fields.List(fields.String(), load_default=None, metadata={"description": "recipient kinds"})
    organisations = fields.List(fields.String(), load_default=None, metadata={"description": "organisation codes"})
    deadline = fields.Raw(load_default=None, metadata={"description": "a date YYYY-MM-DD or working days"})
    reminders = fields.Dict(load_default=None, metadata={"description": '{"count": n, "every_working_days": d}'})
    owner_group = fields.String(load_default=None)


class DataCallRecipientSchema(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    organisation = fields.String()
    task_id = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={"description": "pending | submitted | excused | cancelled (the call was cancelled before the answer)"}
    )
    status_label = fields.String()
    late = fields.Boolean()
    due_at = fields.DateTime()
    draft_saved_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    reminders_sent = fields.Integer()
    head_notified_at = fields.DateTime(allow_none=True)
    excuse_reason = fields.String(allow_none=True)
    attachments = fields.List(
        fields.Dict(), metadata={"description": "files of the submitted answer: {id, file_name, size}"}
    )


class DataCallSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    template = fields.String()
    title = fields.String()
    year = fields.Integer(allow_none=True)
    owner_group = fields.String()
    status = fields.String(metadata={"description": "open | completed (frozen) | terminated (cancelled)"})
    opened_at = fields.DateTime()
    deadline_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class DataCallDetailSchema(DataCallSchema):
    reminders = fields.Dict()
    recipients = fields.List(fields.Nested(DataCallRecipientSchema))
    consolidation = fields.Dict(metadata={"description": "columns, rows, per_recipient, totals, counts"})


class DataCallReasonSchema(Schema):
    reason = fields.String(load_default=None)
    deadline = fields.Raw(load_default=None, metadata={"description": "extend: the new date YYYY-MM-DD"})


class DataCallCompleteSchema(Schema):
    comment = fields.String(load_default=None)


class DataCallAnswerSchema(Schema):
    data = fields.Dict(load_default=dict)


class DataCallAnswerViewSchema(Schema):
    call_id = fields.Integer()
    title = fields.String()
    form = fields.Dict()
    data = fields.Dict()
    open = fields.Boolean()
    recipient = fields.Nested(DataCallRecipientSchema)
    attachments = fields.List(fields.Nested(AttachmentSchema), metadata={"description": "files attached to the answer"})


class DataCallColumnSchema(Schema):
    name = fields.String()
    title = fields.String()
    numeric = fields.Boolean()


class DataCallTemplateSchema(Schema):
    code = fields.String()
    title = fields.String()
    roadmap = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    owners = fields.List(fields.String())
    recipients = fields.List(fields.String(), metadata={"description": "recipient kinds"})
    recipient_labels = fields.List(fields.String())
    deadline = fields.Dict(allow_none=True)
    reminders = fields.Dict(allow_none=True)
    columns = fields.List(fields.Nested(DataCallColumnSchema))
