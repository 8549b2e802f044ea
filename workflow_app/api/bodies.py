"""Collegial bodies' composition and settings (administrators)."""

from flask_smorest import Blueprint

from ..services.council import composition
from .core import current_actor
from .schemas.bodies import BodyAdminSchema, BodySettingsSchema, SeatCreateSchema, SeatEndSchema, SeatSchema

blp = Blueprint(
    "bodies_admin",
    __name__,
    url_prefix="/admin/bodies",
    description="Seats on collegial bodies (role, dates) and the bodies' settings (administrators)",
)


@blp.route("")
@blp.response(200, BodyAdminSchema(many=True))
def list_bodies():
    """Every body with its current and upcoming seats."""
    return composition.list_bodies(current_actor())


@blp.route("/<body>")
@blp.response(200, BodyAdminSchema)
def get_body(body):
    """One body with all its seats, past ones included."""
    return composition.get_body(current_actor(), body)


@blp.route("/<body>/seats", methods=["POST"])
@blp.arguments(SeatCreateSchema)
@blp.response(201, SeatSchema)
def add_seat(payload, body):
    """Seat a person (refused: a second seat of the same person, or a second chair or secretary, for
    overlapping dates)."""
    return composition.seat_view(composition.add_seat(current_actor(), body, **payload))


@blp.route("/<body>/seats/<int:seat_id>/end", methods=["POST"])
@blp.arguments(SeatEndSchema)
@blp.response(200, SeatSchema)
@blp.alt_response(204, description="the seat had not begun: it was removed")
def end_seat(payload, body, seat_id):
    seat = composition.end_seat(current_actor(), seat_id, payload.get("valid_to"), body_code=body)
    return composition.seat_view(seat) if seat is not None else ("", 204)


@blp.route("/<body>/settings", methods=["PATCH"])
@blp.arguments(BodySettingsSchema)
@blp.response(200, BodyAdminSchema)
def update_settings(payload, body):
    """Quorum share (over 0, at most 1), whether signed protocols are public, the name and the short name."""
    return composition.body_view(composition.update_settings(current_actor(), body, **payload))
