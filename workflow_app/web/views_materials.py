"""Case downloads: a material table as XLSX, an attachment of any step, the case's documents (DOCX, PDF)."""

import io

from flask import send_file
from flask_login import login_required

from ..downloads import attachment_response
from ..services import documents, materials
from .ui import actor, bp


@bp.route("/instances/<int:instance_id>/materials/<key>.xlsx")
@login_required
def material_xlsx(instance_id, key):
    body, mimetype, name = materials.block_xlsx(actor(), instance_id, key)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/instances/<int:instance_id>/attachments/<int:attachment_id>")
@login_required
def case_attachment(instance_id, attachment_id):
    return attachment_response(materials.attachment(actor(), instance_id, attachment_id))


@bp.route("/instances/<int:instance_id>/documents/<kind>.<fmt>")
@login_required
def document_file(instance_id, kind, fmt):
    body, mimetype, name = documents.instance_file(actor(), instance_id, kind, fmt)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)
