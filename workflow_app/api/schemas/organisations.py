"""Schemas of /organisations: the organisations' registry."""

from marshmallow import Schema, fields, validate

from .shared import OrgRefSchema

ORG_KINDS = ("department", "college", "investor", "employment_centre", "council", "other")


class RegistryOrganisationSchema(OrgRefSchema):
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
