"""A person's notices (blueprint ``notices``): the in-app face of the notification outbox."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

from ..services import notifications
from .ui import actor

bp = Blueprint("notices", __name__, url_prefix="/notices")


@bp.route("", strict_slashes=False)
@login_required
def page():
    return render_template("notices.html", notices=notifications.notices(actor()))


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    notifications.mark_read(actor())
    return redirect(url_for("notices.page"))
