"""Schemas of /notices: in-app notifications."""

from marshmallow import Schema, fields


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
