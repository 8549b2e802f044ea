"""Schemas of /processes and /instances: deployed processes to start, instances and their lists."""

from marshmallow import Schema, fields, validate

from .shared import InstanceBriefSchema, TaskSchema


class ProcessSchema(Schema):
    process_id = fields.String()
    name = fields.String()
    version = fields.Integer()
    can_start = fields.Boolean()
    start_form = fields.Dict(
        allow_none=True,
        metadata={
            "description": "JSON Schema (Draft 2020-12) of the start form: the only fields `data` may carry when "
            "starting an instance (validated as a task form; an organisation reference lists the registry's codes "
            "in `enum`). null: the process takes no start data (or you may not start it)."
        },
    )


class StartSchema(Schema):
    data = fields.Dict(
        load_default=dict,
        metadata={"description": "the start form's fields (see `start_form` in GET /processes); any other key: 422"},
    )
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class InstanceSchema(InstanceBriefSchema):
    tasks = fields.List(fields.Nested(TaskSchema), metadata={"description": "open tasks the caller may see"})


class InstanceListArgs(Schema):
    process_id = fields.String(load_default=None, validate=validate.Length(max=128))
    status = fields.String(load_default=None, validate=validate.OneOf(("running", "completed", "terminated")))
    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
