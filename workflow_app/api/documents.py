"""The documents of a case (order, consolidated table, list of professions, staffing plan) and a table of its
materials as XLSX."""

import io

from flask import send_file, url_for
from flask_smorest import Blueprint

from ..services import documents, materials
from .core import current_actor
from .schemas.documents import DocumentSchema

blp = Blueprint("documents", __name__, url_prefix="", description="Documents and materials of a case")


def _entry(instance_id, d):
    return {
        "kind": d.kind,
        "title": d.title,
        "number": d.number,
        "date": d.date,
        "draft": d.draft,
        "files": [
            {
                "format": f.fmt,
                "url": url_for("documents.document_file", instance_id=instance_id, kind=d.kind, fmt=f.fmt),
                "fixed": f.fixed,
                "sha256": f.sha256,
                "size": f.size,
            }
            for f in d.files
        ],
    }


@blp.route("/instances/<int:instance_id>/documents")
@blp.response(200, DocumentSchema(many=True))
def list_documents(instance_id):
    """The documents of a case (404 when I do not take part in it)."""
    return [_entry(instance_id, d) for d in documents.for_instance(current_actor(), instance_id)]


@blp.route("/instances/<int:instance_id>/documents/<kind>.<fmt>")
def document_file(instance_id, kind, fmt):
    """One document as DOCX or PDF: once signed, exactly the bytes fixed at signing."""
    body, mimetype, name = documents.instance_file(current_actor(), instance_id, kind, fmt)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@blp.route("/instances/<int:instance_id>/materials/<key>.xlsx")
def material_xlsx(instance_id, key):
    """One table of the case's materials as XLSX."""
    body, mimetype, name = materials.block_xlsx(current_actor(), instance_id, key)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)
