"""A person's notices: the in-app face of the notification outbox (the same rows are e-mailed)."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..services import notifications
from . import current_actor

blp = Blueprint(
    "notices_api", __name__, url_prefix="/notices", description="Reminders and notices addressed to the caller"
)


class NoticeSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "task_ready | reminder | head_notice | meeting | notice"})
    subject = fields.String()
    body = fields.String()
    instance_id = fields.Integer(allow_none=True)
    link = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"description": "e-mail: pending | sent | failed | skipped (no address)"})
    sent_at = fields.DateTime(allow_none=True)


class NoticesReadSchema(Schema):
    marked = fields.Integer()


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
