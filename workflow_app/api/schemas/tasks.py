"""Schemas of /tasks: lists, one task, its comments and attachments, assign/delegate, completion."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .shared import InstanceBriefSchema, TaskSchema

VIEWS = ("mine", "group", "overdue", "all")


class TaskListArgs(Schema):
    view = fields.String(load_default="mine", validate=validate.OneOf(VIEWS))
    process_id = fields.String(load_default=None, validate=validate.Length(max=128))
    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
    due_before = fields.AwareDateTime(load_default=None, metadata={"description": "ISO 8601 with offset"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class CommentSchema(Schema):
    id = fields.Integer()
    author = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


class CommentCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class AttachmentSchema(Schema):
    id = fields.Integer()
    file_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    created_at = fields.DateTime()
    url = fields.String()


class UploadSchema(Schema):
    file = Upload(required=True)


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(allow_none=True, metadata={"description": "JSON Schema snapshotted with the model"})
    instance = fields.Nested(InstanceBriefSchema)
    data = fields.Dict(metadata={"description": "current task data from the engine (submitted data once closed)"})
    comments = fields.List(fields.Nested(CommentSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))
    can_work = fields.Boolean()
    can_assign = fields.Boolean()
    panels = fields.List(
        fields.Dict(),
        metadata={"description": "figures to compare the decision with: {id, title, note, columns, rows} each"},
    )


class UserArgSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=64))


class FollowUpSchema(Schema):
    follow_up_at = fields.AwareDateTime(required=True, allow_none=True)


class CompleteSchema(Schema):
    data = fields.Dict(required=True)
    lock_version = fields.Integer(load_default=None, allow_none=True)


class CompleteResultSchema(Schema):
    task = fields.Nested(TaskSchema)
    instance = fields.Nested(InstanceBriefSchema)
    next_tasks = fields.List(fields.Nested(TaskSchema))
