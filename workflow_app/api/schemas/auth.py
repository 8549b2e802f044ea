"""Schemas of /auth and /me: tokens, the CSRF token, the caller's profile, the inbox-seen mark."""

from marshmallow import Schema, fields, validate

from .shared import OrgRefSchema


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    name = fields.String(load_default="api", validate=validate.Length(max=100))


class TokenSchema(Schema):
    token = fields.String()


class CsrfSchema(Schema):
    csrf_token = fields.String()


class OrganisationSchema(OrgRefSchema):
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
