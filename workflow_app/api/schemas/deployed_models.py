"""Schemas of /models: the deployed process models."""

from marshmallow import Schema, fields


class ModelSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    file_name = fields.String()
    content_hash = fields.String()
    deployed_at = fields.DateTime()
