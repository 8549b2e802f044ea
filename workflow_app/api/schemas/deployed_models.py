"""Schemas of /models: the deployed process models."""

from marshmallow import Schema, fields


class ModelSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    file_name = fields.String()
    content_hash = fields.String()
    deployed_at = fields.DateTime()


class DeployArgs(Schema):
    check = fields.Boolean(load_default=False, metadata={"description": "true: only check, deploy nothing"})
    file_name = fields.String(load_default="model.bpmn", metadata={"description": "for a raw XML body"})


class ProblemSchema(Schema):
    severity = fields.String(metadata={"description": "error (refuses the file) or warning"})
    rule = fields.String()
    element = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    file = fields.String()
    message = fields.String()
    hint = fields.String(metadata={"description": "what to do"})


class CheckSchema(Schema):
    file = fields.String()
    ok = fields.Boolean()
    processes = fields.List(fields.String())
    problems = fields.List(fields.Nested(ProblemSchema))


class DeployedSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    created = fields.Boolean()
    file_name = fields.String()
    warnings = fields.List(fields.Nested(ProblemSchema))
