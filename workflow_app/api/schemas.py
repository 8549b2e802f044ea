"""Marshmallow schemas of the API (also the source of the OpenAPI document)."""

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    error = fields.Dict()


class ModelSchema(Schema):
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    file_name = fields.String()
    content_hash = fields.String()
    deployed_at = fields.DateTime()
