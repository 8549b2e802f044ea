"""Administration: the deployed process models and deploying a BPMN file by upload."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..services.errors import Forbidden, Invalid
from ..services.process_models import deployment
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
    """Deploy the uploaded file, or only check it («Проверить»); every problem is listed in a table."""
    upload = request.files.get("bpmn")
    if upload is None or not upload.filename:
        _require_admin()
        flash(_("Choose a BPMN file to upload."), "warning")
        return redirect(url_for("web.admin_models"))
    content = upload.read()
    if request.form.get("action") == "check":
        report = deployment.check_bytes(actor(), content, upload.filename)
        return _models_page(report.file_name, report.problems, checked=True, status=200 if report.ok else 422)
    try:
        results = deployment.deploy_bytes(actor(), content, upload.filename)
    except Invalid as exc:
        if exc.problems:
            return _models_page(upload.filename, exc.problems, checked=False, status=422)
        error = {
            "message": translate_message(exc.message),
            "element": exc.fields.get("element") or "",
            "file": upload.filename,
        }
        return render_template("admin_models.html", models=deployment.list_models(), error=error), 422
    for r in results:
        if r.created:
            flash(_("Deployed %(process)s, version %(version)s.", process=r.process_id, version=r.version), "success")
        else:
            flash(_("%(process)s is unchanged (version %(version)s).", process=r.process_id, version=r.version), "info")
    if results and results[0].warnings:
        flash(
            _("%(count)s warning(s): check the file with «Check» to see them.", count=len(results[0].warnings)),
            "warning",
        )
    return redirect(url_for("web.admin_models"))


def _models_page(file_name: str, problems: list, checked: bool, status: int):
    rows = [dict(p.as_dict(), **p.translated(_)) for p in problems]
    report = {
        "file": file_name,
        "problems": rows,
        "checked": checked,
        "errors": sum(p.severity == "error" for p in problems),
    }
    return render_template("admin_models.html", models=deployment.list_models(), error=None, report=report), status
