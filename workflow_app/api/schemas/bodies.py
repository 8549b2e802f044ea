"""Schemas of /bodies: the collegial bodies' seats and settings."""

from marshmallow import Schema, fields

from .shared import PersonRefSchema


class SeatSchema(Schema):
    id = fields.Integer()
    user = fields.Nested(PersonRefSchema)
    role = fields.String(metadata={"description": "chair, deputy_chair, secretary, member"})
    position = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "current, upcoming or past"})


class BodyAdminSchema(Schema):
    code = fields.String()
    name = fields.String()
    short_name = fields.String()
    quorum_share = fields.Float(metadata={"description": "share of the voting members that makes a quorum"})
    protocols_public = fields.Boolean()
    seats = fields.List(fields.Nested(SeatSchema))


class SeatCreateSchema(Schema):
    user_id = fields.Integer(required=True)
    role = fields.String(required=True)
    valid_from = fields.String(load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD; today"})
    valid_to = fields.String(load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD; open-ended"})
    position = fields.String(load_default=None, allow_none=True)


class SeatEndSchema(Schema):
    valid_to = fields.String(load_default=None, allow_none=True, metadata={"description": "YYYY-MM-DD; today"})


class BodySettingsSchema(Schema):
    quorum_share = fields.Float(allow_none=True)
    protocols_public = fields.Boolean(allow_none=True)
    name = fields.String(allow_none=True, metadata={"description": "the body's name as its act gives it"})
    short_name = fields.String(allow_none=True)
