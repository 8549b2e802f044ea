"""Administration: the deployed process models and deploying a BPMN file by upload."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..services import deployment
from ..services.errors import Forbidden, Invalid
from .ui import actor, bp, translate_message


def _require_admin():
    if not actor().is_admin:
        raise Forbidden("only administrators may open this page")


@bp.route("/admin/")
@bp.route("/admin/models")
@login_required
def admin_models():
    _require_admin()
    return render_template("admin_models.html", models=deployment.list_models(), error=None)


@bp.route("/admin/models", methods=["POST"])
@login_required
def admin_deploy():
    upload = request.files.get("bpmn")
    if upload is None or not upload.filename:
        _require_admin()
        flash(_("Choose a BPMN file to upload."), "warning")
        return redirect(url_for("web.admin_models"))
    try:
        results = deployment.deploy_bytes(actor(), upload.read(), upload.filename)
    except Invalid as exc:
        error = {
            "message": translate_message(exc.message),
            "element": exc.fields.get("element") or "",
            "file": exc.fields.get("file") or upload.filename,
        }
        return render_template("admin_models.html", models=deployment.list_models(), error=error), 422
    for r in results:
        if r.created:
            flash(_("Deployed %(process)s, version %(version)s.", process=r.process_id, version=r.version), "success")
        else:
            flash(_("%(process)s is unchanged (version %(version)s).", process=r.process_id, version=r.version), "info")
    return redirect(url_for("web.admin_models"))
