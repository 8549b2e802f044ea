"""The shapes several resources nest: a task row and an instance's summary."""

from marshmallow import Schema, fields


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
