"""Schemas of /users and /me: accounts, passwords, tokens and browser sessions."""

from marshmallow import Schema, fields, validate

from .shared import OrgRefSchema, TaskRefSchema


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    organisation = fields.Nested(OrgRefSchema, allow_none=True)
    groups = fields.List(fields.String(), metadata={"description": "role ids, e.g. dpo_officer"})
    active = fields.Boolean()
    must_change_password = fields.Boolean(metadata={"description": "set by a password reset: change at next login"})
    created_at = fields.DateTime()
    deactivated_at = fields.DateTime(allow_none=True)


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


class UserQuerySchema(Schema):
    q = fields.String(load_default="", metadata={"description": "part of the name or the login"})
    organisation = fields.String(load_default=None, metadata={"description": "organisation code"})
    group = fields.String(load_default=None, metadata={"description": "role id"})
    status = fields.String(load_default="active", validate=validate.OneOf(("active", "inactive", "all")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))


class UserCreateSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(load_default=None)
    email = fields.String(load_default=None, allow_none=True)
    organisation = fields.String(load_default=None, allow_none=True, metadata={"description": "organisation code"})
    groups = fields.List(fields.String(), load_default=list)
    password = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "omit to have a one-time password generated; either way it is changed at first login"},
    )


class UserCreatedSchema(Schema):
    user = fields.Nested(UserSchema)
    temporary_password = fields.String(allow_none=True, metadata={"description": "the generated password, shown once"})


class UserEditSchema(Schema):
    display_name = fields.String()
    email = fields.String(allow_none=True, metadata={"description": "null or empty clears it"})
    organisation = fields.String(allow_none=True, metadata={"description": "organisation code; null clears it"})
    groups = fields.List(fields.String(), metadata={"description": "the complete new list of role ids"})


class PasswordResetSchema(Schema):
    password = fields.String(load_default=None, allow_none=True, metadata={"description": "omit to generate one"})


class PasswordResetDoneSchema(Schema):
    temporary_password = fields.String(metadata={"description": "shown once; the user changes it at next login"})


class DeactivationSchema(Schema):
    user = fields.Nested(UserSchema)
    sessions_ended = fields.Integer()
    tokens_revoked = fields.Integer()
    unassigned_tasks = fields.List(fields.Nested(TaskRefSchema))


class TokenInfoSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "recorded at most once a minute"})
    revoked_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "active, expired or revoked"})


class TokenCreateSchema(Schema):
    name = fields.String(load_default="api", validate=validate.Length(max=100))


class NewTokenSchema(Schema):
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})


class SessionInfoSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    remote_addr = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    current = fields.Boolean()


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True)
    new_password = fields.String(required=True)


class PasswordChangedSchema(Schema):
    sessions_ended = fields.Integer(metadata={"description": "the caller's other browser sessions ended"})
