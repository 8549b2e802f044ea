"""Schemas of /roadmap: the roadmap's items, their status and evidence, and their changes."""

from marshmallow import Schema, fields

from .shared import OrgRefSchema


class ExecutorSchema(Schema):
    name = fields.String(metadata={"description": "as the act names it"})
    organisation = fields.Nested(OrgRefSchema, allow_none=True)
    role = fields.String(allow_none=True, metadata={"description": "coordinator | deputy_governor"})
    body = fields.String(allow_none=True, metadata={"description": "working_group | coordination_council | ..."})


class RoadmapItemSchema(Schema):
    number = fields.String(metadata={"description": "«6.3»"})
    section = fields.String()
    title = fields.String()
    result = fields.String(metadata={"description": "the expected (key) result"})
    deadline = fields.String(metadata={"description": "as the act words it: «Ежегодно, май»"})
    due_on = fields.Date(allow_none=True, metadata={"description": "the last dated deadline"})
    recurring = fields.Boolean()
    documents = fields.String()
    status = fields.String(metadata={"description": "planned | in_progress | done | not_done | cancelled"})
    status_note = fields.String()
    overdue = fields.Boolean()
    executors = fields.List(fields.Nested(ExecutorSchema))


class EvidenceSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "case | data_call | protocol | document | link"})
    ref_id = fields.Integer(allow_none=True)
    url = fields.String(allow_none=True)
    title = fields.String()
    link = fields.String(allow_none=True)


class ChangeSchema(Schema):
    changed_at = fields.DateTime()
    source = fields.String(metadata={"description": "admin | council | monitoring | load"})
    protocol_ref = fields.String()
    reason = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields")
    before = fields.Dict()
    after = fields.Dict()


class RoadmapItemDetailSchema(RoadmapItemSchema):
    evidence = fields.List(fields.Nested(EvidenceSchema))
    changes = fields.List(fields.Nested(ChangeSchema))


class RoadmapQuerySchema(Schema):
    status = fields.String(load_default=None, metadata={"description": "a status or «overdue»"})
    q = fields.String(load_default=None)
    org = fields.String(load_default=None, metadata={"description": "an executor organisation's code"})


class RoadmapEditSchema(Schema):
    title = fields.String()
    result = fields.String()
    deadline = fields.String()
    due_on = fields.String(allow_none=True)
    recurring = fields.Boolean()
    documents = fields.String()
    status = fields.String()
    status_note = fields.String()
    executors = fields.List(fields.Raw(), metadata={"description": "organisation codes or {name, org, role, body}"})
    reason = fields.String(load_default="")


class EvidenceAddSchema(Schema):
    kind = fields.String(required=True)
    ref = fields.Raw(required=True, metadata={"description": "the record's id, or the URL of a link"})
    title = fields.String(load_default="")
