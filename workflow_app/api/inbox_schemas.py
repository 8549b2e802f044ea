"""Marshmallow schemas of the identity, process, instance and task endpoints (and their OpenAPI)."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

VIEWS = ("mine", "group", "overdue", "all")


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    name = fields.String(load_default="api", validate=validate.Length(max=100))


class TokenSchema(Schema):
    token = fields.String()


class CsrfSchema(Schema):
    csrf_token = fields.String()


class OrganisationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
    groups = fields.List(fields.String())
    group_names = fields.Dict(keys=fields.String(), values=fields.String())
    acting_for = fields.List(fields.String(), metadata={"description": "users this one deputises today"})
    new_tasks = fields.Integer(metadata={"description": "tasks that became ready since the inbox was last seen"})


class SeenSchema(Schema):
    inbox_seen_at = fields.DateTime()


class ProcessSchema(Schema):
    process_id = fields.String()
    name = fields.String()
    version = fields.Integer()
    can_start = fields.Boolean()


class StartSchema(Schema):
    data = fields.Dict(load_default=dict)
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class TaskSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    process_id = fields.String()
    task_def = fields.String(metadata={"description": "the BPMN id of the user task"})
    name = fields.String()
    title = fields.String()
    business_key = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    group = fields.String(allow_none=True, metadata={"description": "candidate group (role id)"})
    assignee = fields.String(allow_none=True)
    owner = fields.String(allow_none=True, metadata={"description": "set while the task is delegated"})
    due_at = fields.DateTime(allow_none=True)
    follow_up_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    form_key = fields.String(allow_none=True)
    status = fields.String()
    overdue = fields.Boolean()
    collegial_body = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class InstanceBriefSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    title = fields.String()
    status = fields.String()
    initiator = fields.String(allow_none=True)
    lock_version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class InstanceSchema(InstanceBriefSchema):
    tasks = fields.List(fields.Nested(TaskSchema), metadata={"description": "open tasks the caller may see"})


class TaskListArgs(Schema):
    view = fields.String(load_default="mine", validate=validate.OneOf(VIEWS))
    process_id = fields.String(load_default=None, validate=validate.Length(max=128))
    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
    due_before = fields.AwareDateTime(load_default=None, metadata={"description": "ISO 8601 with offset"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class InstanceListArgs(Schema):
    process_id = fields.String(load_default=None, validate=validate.Length(max=128))
    status = fields.String(load_default=None, validate=validate.OneOf(("running", "completed", "terminated")))
    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
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
