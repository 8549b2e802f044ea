"""Login, logout, the language switch and the start page."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..services.errors import TooManyAttempts, Unauthorized
from ..services.people import browser_sessions, sign_in
from .ui import actor, bp, safe_next, translate_message


@bp.route("/")
def index():
    return redirect(url_for("web.inbox"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"), url_for("web.inbox"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    error = None
    username = ""
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            user, sid = sign_in.login(
                username,
                request.form.get("password", ""),
                remote_addr=request.remote_addr,
                user_agent=request.user_agent.string,
            )
        except (Unauthorized, TooManyAttempts) as exc:
            error = _("Wrong user name or password.") if exc.status == 401 else translate_message(exc.message)
            status = exc.status
        else:
            session.clear()
            session[browser_sessions.SID_KEY] = sid
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("web.account_password", next=target))
            return redirect(target)
    return render_template("login.html", error=error, username=username, next=target), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_in.logout(actor(), session.get(browser_sessions.SID_KEY), remote_addr=request.remote_addr)
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("web.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next"), url_for("web.index")))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response
