"""Administration of people: users (list, search, create, edit, reset password, deactivate, reactivate,
their tokens and sessions) and deputies. Thin views on services/people (administration, tokens, deputies); every rule and
the administrator check are in those services."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..services.errors import ServiceError
from ..services.people import administration, deputies, organisations, tokens
from .account import form_errors
from .ui import actor, bp


def _user_form_context(**extra):
    return {
        "group_choices": administration.group_choices(),
        "org_choices": organisations.choices(include=extra.pop("org_code", None)),
        **extra,
    }


@bp.route("/admin/users")
@login_required
def admin_users():
    args = request.args
    result = administration.search(
        actor(),
        q=args.get("q", ""),
        organisation=args.get("organisation") or None,
        group=args.get("group") or None,
        status=args.get("status", "active"),
        page=args.get("page", 1),
    )
    return render_template(
        "admin/users.html",
        result=result,
        args=args,
        **_user_form_context(group_names=dict(administration.group_choices())),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def admin_user_new():
    errors, status, created = None, 200, None
    form = request.form
    if request.method == "POST":
        try:
            user, generated = administration.create(
                actor(),
                form.get("username", "").strip(),
                form.get("password") or None,
                form.get("display_name", ""),
                form.getlist("groups"),
                form.get("organisation") or None,
                form.get("email", ""),
            )
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            created = {"user": user, "password": generated or form.get("password")}
            flash(_("The user %(name)s is created.", name=user.display_name), "success")
    if created:
        return render_template("admin/user_created.html", **created)
    administration.require_admin(actor())  # refuse others before showing the form
    return render_template("admin/user_new.html", errors=errors, form=form, **_user_form_context()), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def admin_user(user_id):
    me = actor()
    errors, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            administration.edit(
                me,
                user_id,
                display_name=form.get("display_name", ""),
                email=form.get("email", ""),
                organisation=form.get("organisation", ""),
                groups=form.getlist("groups"),
            )
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("web.admin_user", user_id=user_id))
    user = administration.get(me, user_id)
    return render_template(
        "admin/user.html",
        user=user,
        view=administration.user_view(user),
        errors=errors,
        tokens=tokens.list_tokens(me, user_id),
        sessions=tokens.list_sessions(me, user_id),
        deputies=deputies.list_deputies(me, user_id),
        **_user_form_context(org_code=user.organisation.code if user.organisation else None),
    ), status


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
def admin_user_reset_password(user_id):
    password = administration.reset_password(actor(), user_id)
    user = administration.get(actor(), user_id)
    return render_template("admin/user_created.html", user=user, password=password, reset=True)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def admin_user_deactivate(user_id):
    done = administration.deactivate(actor(), user_id)
    return render_template("admin/user_deactivated.html", done=done, group_names=dict(administration.group_choices()))


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
def admin_user_reactivate(user_id):
    user = administration.reactivate(actor(), user_id)
    flash(_("The user %(name)s can log in again.", name=user.display_name), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def admin_user_revoke_token(user_id, token_id):
    row = tokens.revoke(actor(), token_id)
    flash(_("The token “%(name)s” is revoked.", name=row["name"]), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def admin_user_end_session(user_id, session_id):
    tokens.end_session(actor(), session_id)
    flash(_("The session has ended."), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/deputies", methods=["GET", "POST"])
@login_required
def admin_deputies():
    me = actor()
    administration.require_admin(me)  # the page is the administrators'; everyone has "my absence"
    errors, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            deputies.add(
                me,
                form.get("principal", ""),
                form.get("deputy", ""),
                form.get("starts_on", ""),
                form.get("ends_on", ""),
                form.get("reason", ""),
            )
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The deputy is registered."), "success")
            return redirect(url_for("web.admin_deputies"))
    include_past = request.args.get("past") == "1"
    rows = deputies.list_deputies(me, None, include_past)
    return render_template(
        "admin/deputies.html",
        rows=rows,
        include_past=include_past,
        users=deputies.candidates(me),
        errors=errors,
        form=request.form,
    ), status


@bp.route("/admin/deputies/<int:deputy_id>/end", methods=["POST"])
@login_required
def admin_deputy_end(deputy_id):
    deputies.end(actor(), deputy_id)
    flash(_("The deputy registration is ended."), "success")
    return redirect(url_for("web.admin_deputies"))
