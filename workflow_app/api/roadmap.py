"""The roadmap (план мероприятий): its items with executors, status and evidence; an administrator's edits."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services import roadmap
from . import current_actor

blp = Blueprint("roadmap_api", __name__, url_prefix="/roadmap", description="The roadmap's items (план мероприятий)")


class ExecutorOrganisationSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ExecutorSchema(Schema):
    name = fields.String(metadata={"description": "as the act names it"})
    organisation = fields.Nested(ExecutorOrganisationSchema, allow_none=True)
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


def _detail(actor, number):
    page = roadmap.item_page(actor, number)
    for change in page["changes"]:
        change["fields_"] = change.pop("fields")
    return page


@blp.route("/items")
@blp.arguments(RoadmapQuerySchema, location="query")
@blp.response(200, RoadmapItemSchema(many=True))
def list_items(query):
    """Every item in the act's order (any signed-in user)."""
    return roadmap.list_items(current_actor(), **query)


@blp.route("/items/<number>")
@blp.response(200, RoadmapItemDetailSchema)
def get_item(number):
    return _detail(current_actor(), number)


@blp.route("/items/<number>", methods=["PATCH"])
@blp.arguments(RoadmapEditSchema)
@blp.response(200, RoadmapItemDetailSchema)
def edit_item(body, number):
    """Administrators: any field; the Координатор: status and status_note. Recorded with before/after."""
    actor = current_actor()
    reason = body.pop("reason", "")
    roadmap.edit(actor, number, body, reason=reason)
    return _detail(actor, number)


@blp.route("/items/<number>/evidence", methods=["POST"])
@blp.arguments(EvidenceAddSchema)
@blp.response(201, EvidenceSchema)
def add_evidence(body, number):
    """Link what fulfils the item: a case, data call, protocol or fixed document by id, or a link."""
    return roadmap.evidence_view(
        roadmap.add_evidence(current_actor(), number, body["kind"], body["ref"], body["title"])
    )


@blp.route("/items/<number>/evidence/<int:evidence_id>", methods=["DELETE"])
@blp.response(204)
def remove_evidence(number, evidence_id):
    roadmap.remove_evidence(current_actor(), number, evidence_id)
