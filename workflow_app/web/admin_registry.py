"""Administration of the organisations' registry and of the collegial bodies' seats and settings.
Thin views on services/people/organisations and services/council/composition (which hold the rules and the admin check)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required

from ..models.council import BODY_ROLES
from ..services.council import composition
from ..services.errors import ServiceError
from ..services.people import organisations
from .account import form_errors
from .council import ROLE_LABELS
from .ui import actor, bp

ORG_FIELDS = ("code", "name", "short_name", "kind", "inn", "ogrn", "founder")
ORG_KIND_LABELS = {
    "department": lazy_gettext("department"),
    "college": lazy_gettext("ПОО (professional educational organisation)"),
    "investor": lazy_gettext("investor"),
    "employment_centre": lazy_gettext("employment centre"),
    "council": lazy_gettext("collegial body"),
    "other": lazy_gettext("other"),
}


@bp.app_context_processor
def _labels():
    return {
        "org_kind_label": lambda kind: ORG_KIND_LABELS.get(kind, kind),
        "body_role_label": lambda role: ROLE_LABELS.get(role, role),
    }


def _org_form(form) -> dict:
    data = {k: form.get(k, "").strip() for k in ORG_FIELDS if k in form}
    data["active"] = form.get("active") == "1"
    return data


@bp.route("/admin/organisations", methods=["GET", "POST"])
@login_required
def admin_organisations():
    me = actor()
    errors, status = None, 200
    if request.method == "POST":
        try:
            org = organisations.create(me, _org_form(request.form))
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The organisation %(name)s is registered.", name=org.name), "success")
            return redirect(url_for("web.admin_organisations"))
    rows = organisations.search(
        me, request.args.get("q", ""), request.args.get("kind") or None, request.args.get("status", "all")
    )
    return render_template(
        "admin/organisations.html",
        rows=rows,
        args=request.args,
        kinds=organisations.KINDS,
        founders=organisations.choices("department"),
        errors=errors,
        form=request.form,
    ), status


@bp.route("/admin/organisations/<int:org_id>", methods=["GET", "POST"])
@login_required
def admin_organisation(org_id):
    me = actor()
    errors, status = None, 200
    if request.method == "POST":
        try:
            organisations.edit(me, org_id, _org_form(request.form))
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("web.admin_organisation", org_id=org_id))
    org = organisations.get(me, org_id)
    return render_template(
        "admin/organisation.html",
        org=organisations.view(org),
        kinds=organisations.KINDS,
        founders=[(c, n) for c, n in organisations.choices("department") if c != org.code],
        errors=errors,
    ), status


@bp.route("/admin/bodies")
@login_required
def admin_bodies():
    return render_template("admin/bodies.html", bodies=composition.list_bodies(actor()))


@bp.route("/admin/bodies/<code>", methods=["GET"])
@login_required
def admin_body(code, errors=None, status=200):
    me = actor()
    return render_template(
        "admin/body.html",
        body=composition.get_body(me, code),
        roles=BODY_ROLES,
        users=composition.user_choices(),
        errors=errors,
        form=request.form,
    ), status


@bp.route("/admin/bodies/<code>/seats", methods=["POST"])
@login_required
def admin_body_add_seat(code):
    form = request.form
    try:
        user_id = int(form.get("user_id", ""))
    except ValueError:
        user_id = None
    try:
        composition.add_seat(
            actor(),
            code,
            user_id,
            form.get("role", ""),
            form.get("valid_from") or None,
            form.get("valid_to") or None,
            form.get("position") or None,
        )
    except ServiceError as exc:
        return admin_body(code, form_errors(exc), exc.status)
    flash(_("The seat is added."), "success")
    return redirect(url_for("web.admin_body", code=code))


@bp.route("/admin/bodies/<code>/seats/<int:seat_id>/end", methods=["POST"])
@login_required
def admin_body_end_seat(code, seat_id):
    try:
        composition.end_seat(actor(), seat_id, request.form.get("valid_to") or None, body_code=code)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return admin_body(code, form_errors(exc), exc.status)
    flash(_("The seat is ended."), "success")
    return redirect(url_for("web.admin_body", code=code))


@bp.route("/admin/bodies/<code>/settings", methods=["POST"])
@login_required
def admin_body_settings(code):
    raw = request.form.get("quorum_share", "").strip().replace(",", ".")
    try:
        share = float(raw) / 100 if raw else None
    except ValueError:
        share = -1.0  # refused by the service with its message
    try:
        composition.update_settings(
            actor(),
            code,
            share,
            request.form.get("protocols_public") == "1",
            name=request.form.get("name"),
            short_name=request.form.get("short_name"),
        )
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return admin_body(code, form_errors(exc), exc.status)
    flash(_("The settings are saved."), "success")
    return redirect(url_for("web.admin_body", code=code))
