"""The caller's own account: password change (required after an administrator's reset), personal API tokens
and browser sessions, "my absence" (deputies). Thin views on services/people (sign_in, tokens, deputies)."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required

from ..services.errors import ServiceError
from ..services.people import browser_sessions, deputies, sign_in, tokens
from .ui import actor, bp, safe_next, translate_message

# Pages a user whose password was set by an administrator may open before changing it.
OPEN_WHILE_PASSWORD_MUST_CHANGE = ("web.account_password", "web.logout", "web.set_language", "static")


FIELD_LABELS = {
    "username": lazy_gettext("Login"),
    "display_name": lazy_gettext("Surname, name, patronymic"),
    "email": lazy_gettext("E-mail"),
    "organisation": lazy_gettext("Organisation"),
    "groups": lazy_gettext("Groups"),
    "password": lazy_gettext("Password"),
    "current_password": lazy_gettext("Current password"),
    "new_password": lazy_gettext("New password"),
    "repeat": lazy_gettext("Repeat the new password"),
    "principal": lazy_gettext("Absent user"),
    "deputy": lazy_gettext("Deputy"),
    "starts_on": lazy_gettext("From"),
    "ends_on": lazy_gettext("To"),
    "reason": lazy_gettext("Reason"),
    "code": lazy_gettext("Code"),
    "name": lazy_gettext("Full name"),
    "short_name": lazy_gettext("Short name"),
    "kind": lazy_gettext("Kind"),
    "inn": lazy_gettext("ИНН"),
    "ogrn": lazy_gettext("ОГРН"),
    "founder": lazy_gettext("Founder"),
    "active": lazy_gettext("Status"),
    "user_id": lazy_gettext("Person"),
    "user": lazy_gettext("Person"),
    "role": lazy_gettext("Role"),
    "seat": lazy_gettext("Seat"),
    "position": lazy_gettext("Position"),
    "valid_from": lazy_gettext("From"),
    "valid_to": lazy_gettext("To"),
    "quorum_share": lazy_gettext("Quorum"),
    "protocols_public": lazy_gettext("Protocols"),
}


def form_errors(exc: ServiceError) -> dict:
    """A service error's message and per-field problems in the UI language, fields by their labels."""
    return {
        "message": translate_message(exc.message),
        "fields": {str(FIELD_LABELS.get(k, k)): translate_message(str(v)) for k, v in (exc.fields or {}).items()},
    }


@bp.before_app_request
def _password_change_first():
    path = request.path
    if path.startswith(("/api/", "/static/", "/public", "/healthz")) or request.endpoint in (
        OPEN_WHILE_PASSWORD_MUST_CHANGE
    ):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("web.account_password", next=request.full_path if request.method == "GET" else None))
    return None


def _sid():
    return session.get(browser_sessions.SID_KEY)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def account_password():
    target = safe_next(request.values.get("next"), url_for("web.inbox"))
    errors, status = None, 200
    if request.method == "POST":
        try:
            ended = sign_in.change_password(
                actor(),
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
                request.form.get("repeat_password", ""),
                sid=_sid(),
            )
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The password has been changed. Other sessions ended: %(n)s.", n=ended), "success")
            return redirect(target)
    return render_template(
        "account/password.html", errors=errors, next=target, forced=current_user.must_change_password
    ), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def account_tokens():
    me = actor()
    new_token, errors, status = None, None, 200
    if request.method == "POST":
        try:
            new_token = tokens.issue_token(me, me.username, request.form.get("name", "").strip() or "api")
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
    return render_template(
        "account/tokens.html",
        tokens=tokens.list_tokens(me),
        sessions=tokens.list_sessions(me, None, _sid()),
        new_token=new_token,
        errors=errors,
    ), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def account_revoke_token(token_id):
    row = tokens.revoke(actor(), token_id)
    flash(_("The token “%(name)s” is revoked.", name=row["name"]), "success")
    return redirect(url_for("web.account_tokens"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def account_end_session(session_id):
    tokens.end_session(actor(), session_id)
    flash(_("The session has ended."), "success")
    return redirect(url_for("web.account_tokens"))


@bp.route("/account/absence", methods=["GET", "POST"])
@login_required
def account_absence():
    me = actor()
    errors, status = None, 200
    if request.method == "POST":
        try:
            deputies.add(
                me,
                me.username,
                request.form.get("deputy", "").strip(),
                request.form.get("starts_on", ""),
                request.form.get("ends_on", ""),
                request.form.get("reason", ""),
            )
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            flash(_("The deputy is registered."), "success")
            return redirect(url_for("web.account_absence"))
    return render_template(
        "account/absence.html",
        **deputies.my_absences(me),
        candidates=deputies.candidates(me),
        errors=errors,
        form=request.form,
    ), status


@bp.route("/account/absence/<int:deputy_id>/end", methods=["POST"])
@login_required
def account_absence_end(deputy_id):
    deputies.end(actor(), deputy_id)
    flash(_("The absence is ended."), "success")
    return redirect(url_for("web.account_absence"))
