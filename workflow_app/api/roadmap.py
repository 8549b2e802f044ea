"""The roadmap (план мероприятий): its items with executors, status and evidence; an administrator's edits."""

from flask_smorest import Blueprint

from ..services.roadmap import changes, queries
from .core import current_actor
from .schemas.roadmap import (
    EvidenceAddSchema,
    EvidenceSchema,
    RoadmapEditSchema,
    RoadmapItemDetailSchema,
    RoadmapItemSchema,
    RoadmapQuerySchema,
)

blp = Blueprint("roadmap_api", __name__, url_prefix="/roadmap", description="The roadmap's items (план мероприятий)")


def _detail(actor, number):
    page = queries.item_page(actor, number)
    for change in page["changes"]:
        change["fields_"] = change.pop("fields")
    return page


@blp.route("/items")
@blp.arguments(RoadmapQuerySchema, location="query")
@blp.response(200, RoadmapItemSchema(many=True))
def list_items(query):
    """Every item in the act's order (any signed-in user)."""
    return queries.list_items(current_actor(), **query)


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
    changes.edit(actor, number, body, reason=reason)
    return _detail(actor, number)


@blp.route("/items/<number>/evidence", methods=["POST"])
@blp.arguments(EvidenceAddSchema)
@blp.response(201, EvidenceSchema)
def add_evidence(body, number):
    """Link what fulfils the item: a case, data call, protocol or fixed document by id, or a link."""
    return queries.evidence_view(
        changes.add_evidence(current_actor(), number, body["kind"], body["ref"], body["title"])
    )


@blp.route("/items/<number>/evidence/<int:evidence_id>", methods=["DELETE"])
@blp.response(204)
def remove_evidence(number, evidence_id):
    changes.remove_evidence(current_actor(), number, evidence_id)
