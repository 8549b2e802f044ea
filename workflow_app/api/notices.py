"""A person's notices: the in-app face of the notification outbox (the same rows are e-mailed)."""

from flask_smorest import Blueprint

from ..services import notifications
from .core import current_actor
from .schemas.notices import NoticeSchema, NoticesReadSchema

blp = Blueprint(
    "notices_api", __name__, url_prefix="/notices", description="Reminders and notices addressed to the caller"
)


@blp.route("")
@blp.response(200, NoticeSchema(many=True))
def list_notices():
    """The caller's latest notices, newest first."""
    return notifications.notices(current_actor())


@blp.route("/read", methods=["POST"])
@blp.response(200, NoticesReadSchema)
def read_all():
    """Mark every notice of the caller read."""
    return {"marked": notifications.mark_read(current_actor())}


@blp.route("/<int:notice_id>/read", methods=["POST"])
@blp.response(200, NoticesReadSchema)
def read_one(notice_id):
    return {"marked": notifications.mark_read(current_actor(), notice_id)}
