"""Deputies (absences): administrators register anyone's, each user their own."""

from flask_smorest import Blueprint

from ..services.people import deputies
from .core import current_actor
from .schemas.deputies import DeputyCreateSchema, DeputyQuerySchema, DeputySchema

blp = Blueprint("deputies", __name__, url_prefix="/deputies", description="Who acts for whom, from–to (absences)")


@blp.route("")
@blp.arguments(DeputyQuerySchema, location="query")
@blp.response(200, DeputySchema(many=True))
def list_deputies(query):
    """All registrations for administrators and auditors; one's own (as absent user or deputy) otherwise."""
    return deputies.list_deputies(current_actor(), query["user_id"], query["include_past"])


@blp.route("", methods=["POST"])
@blp.arguments(DeputyCreateSchema)
@blp.response(201, DeputySchema)
def add_deputy(body):
    """Register a deputy: the absent user themself or an administrator. Refused: oneself, a period that
    overlaps another deputy of the same user, a deputy absent during the period."""
    return deputies.view(deputies.add(current_actor(), **body))


@blp.route("/<int:deputy_id>/end", methods=["POST"])
@blp.response(200, DeputySchema)
@blp.alt_response(204, description="the period had not started: it was removed")
def end_deputy(deputy_id):
    """End a registration now (a running one ends yesterday; one not started yet is removed: 204)."""
    row = deputies.end(current_actor(), deputy_id)
    return deputies.view(row) if row is not None else ("", 204)
