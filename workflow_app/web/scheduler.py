"""The scheduler's admin page (blueprint ``scheduler_web``): cycles with pause/resume, health, processes."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..dates import ru_datetime
from ..services import scheduler
from .ui import actor

bp = Blueprint("scheduler_web", __name__, url_prefix="/admin/scheduler")


@bp.app_template_filter("sched_dt")
def _sched_dt(value):
    """An ISO UTC timestamp as dd.mm.yyyy HH:MM in Asia/Tomsk."""
    return ru_datetime(value) or "—"


@bp.app_template_filter("lateness")
def _lateness(seconds):
    """How late, readable: "0,25 s", "3 min", "19 d 1 h"."""
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return _("%(n)s s", n=f"{seconds:.2f}".replace(".", ","))
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    hours = minutes // 60
    if hours < 48:
        return _("%(h)s h %(m)s min", h=hours, m=minutes % 60)
    return _("%(d)s d %(h)s h", d=hours // 24, h=hours % 24)


@bp.route("", strict_slashes=False)
@login_required
def page():
    return render_template("admin_scheduler.html", **scheduler.overview(actor()))


@bp.route("/<code>/pause", methods=["POST"])
@login_required
def pause(code):
    cycle = scheduler.set_paused(actor(), code, True)
    flash(_("The cycle “%(name)s” is paused.", name=cycle.name), "success")
    return redirect(url_for("scheduler_web.page"))


@bp.route("/<code>/resume", methods=["POST"])
@login_required
def resume(code):
    cycle = scheduler.set_paused(actor(), code, False)
    flash(_("The cycle “%(name)s” is resumed.", name=cycle.name), "success")
    return redirect(url_for("scheduler_web.page"))
