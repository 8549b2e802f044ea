"""Schemas of /deputies: who acts for an absent user."""

from marshmallow import Schema, fields

from .shared import PersonRefSchema


class DeputySchema(Schema):
    id = fields.Integer()
    principal = fields.Nested(PersonRefSchema, metadata={"description": "the absent user"})
    deputy = fields.Nested(PersonRefSchema, metadata={"description": "who acts for them"})
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()
    state = fields.String(metadata={"description": "current, upcoming or past"})


class DeputyQuerySchema(Schema):
    user_id = fields.Integer(load_default=None, metadata={"description": "administrators: concerning this user"})
    include_past = fields.Boolean(load_default=False)


class DeputyCreateSchema(Schema):
    principal = fields.String(required=True, metadata={"description": "username of the absent user"})
    deputy = fields.String(required=True, metadata={"description": "username of the deputy"})
    starts_on = fields.String(required=True, metadata={"description": "YYYY-MM-DD (inclusive)"})
    ends_on = fields.String(required=True, metadata={"description": "YYYY-MM-DD (inclusive)"})
    reason = fields.String(load_default="")
