"""Schemas of /documents: a case's documents and their files."""

from marshmallow import Schema, fields


class DocumentFileSchema(Schema):
    format = fields.String(metadata={"description": "docx or pdf"})
    url = fields.String(metadata={"description": "GET returns the file"})
    fixed = fields.Boolean(
        metadata={"description": "fixed at signing: the stored bytes, their SHA-256 in the audit chain"}
    )
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)


class DocumentSchema(Schema):
    kind = fields.String(metadata={"description": "order | kcp_table | professions_list | staffing_plan"})
    title = fields.String()
    number = fields.String()
    date = fields.String(metadata={"description": "ДД.ММ.ГГГГ"})
    draft = fields.Boolean()
    files = fields.List(fields.Nested(DocumentFileSchema))
