"""The shapes several resources share: a task row, an instance's summary, references to an organisation, a
person and a task, and the base of inputs that ignore fields they do not know."""

from marshmallow import EXCLUDE, Schema, fields


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


class OrgRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class PersonRefSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()


class TaskRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    business_key = fields.String(allow_none=True)
    group = fields.String(allow_none=True, metadata={"description": "the candidate group it returned to"})


class LenientSchema(Schema):
    """An input that ignores fields it does not know (a query string may carry others)."""

    class Meta:
        unknown = EXCLUDE
