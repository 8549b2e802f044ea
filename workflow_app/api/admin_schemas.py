"""Schemas of the administration endpoints: users, tokens and sessions, organisations, deputies, bodies' seats."""

from marshmallow import Schema, fields, validate

ORG_KINDS = ("department", "college", "investor", "employment_centre", "council", "other")


class OrgRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


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


class TaskRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    business_key = fields.String(allow_none=True)
    group = fields.String(allow_none=True, metadata={"description": "the candidate group it returned to"})


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


class RegistryOrganisationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    short_name = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": ", ".join(ORG_KINDS)})
    inn = fields.String(allow_none=True, metadata={"description": "ИНН (checksum verified)"})
    ogrn = fields.String(allow_none=True, metadata={"description": "ОГРН (checksum verified)"})
    founder = fields.Nested(OrgRefSchema, allow_none=True, metadata={"description": "founder department of a ПОО"})
    active = fields.Boolean()
    users = fields.Integer(metadata={"description": "active users (in lists)"})


class OrganisationQuerySchema(Schema):
    q = fields.String(load_default="")
    kind = fields.String(load_default=None, validate=validate.OneOf(ORG_KINDS))
    status = fields.String(load_default="all", validate=validate.OneOf(("active", "inactive", "all")))


class OrganisationWriteSchema(Schema):
    code = fields.String()
    name = fields.String()
    short_name = fields.String(allow_none=True)
    kind = fields.String()
    inn = fields.String(allow_none=True)
    ogrn = fields.String(allow_none=True)
    founder = fields.String(allow_none=True, metadata={"description": "code of the founder department (ПОО only)"})
    active = fields.Boolean()


class PersonRefSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()


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
