"""Data calls in the browser (blueprint ``data_calls``): the officials' list, opening a call from a template,
one call's state with extend / excuse / complete and the consolidated table (XLSX); the recipient's answer
page (a table to fill, a draft, the submission). Thin: every rule lives in services/datacalls."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import formkit as form_schemas
from ..downloads import attachment_response
from ..numbers import whole_number
from ..services import datacalls
from ..services.errors import Invalid
from .ui import actor

bp = Blueprint("data_calls", __name__, url_prefix="/data-calls")


@bp.route("/", strict_slashes=False)
@login_required
def index():
    me = actor()
    return render_template(
        "datacalls/list.html", calls=datacalls.list_calls(me), templates=datacalls.available_templates(me)
    )


@bp.route("/open", methods=["POST"])
@login_required
def open_call():
    form = request.form
    deadline = form.get("deadline_date") or whole_number(form.get("deadline_days", ""))
    year = whole_number(form.get("year", ""))
    call = datacalls.open_call(actor(), form.get("template", ""), year=year, deadline=deadline)
    flash(_("The data call «%(title)s» is open.", title=call.title), "success")
    return redirect(url_for("data_calls.show", call_id=call.id))


@bp.route("/<int:call_id>")
@login_required
def show(call_id):
    return render_template("datacalls/call.html", call=datacalls.call_view(actor(), call_id))


@bp.route("/<int:call_id>/consolidation.xlsx")
@login_required
def xlsx(call_id):
    name, content = datacalls.consolidation_xlsx(actor(), call_id)
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/<int:call_id>/attachments/<int:attachment_id>")
@login_required
def attachment(call_id, attachment_id):
    return attachment_response(datacalls.answer_attachment(actor(), call_id, attachment_id))


@bp.route("/<int:call_id>/recipients/<int:recipient_id>/<action>", methods=["POST"])
@login_required
def recipient_action(call_id, recipient_id, action):
    if action == "extend":
        datacalls.extend(actor(), call_id, recipient_id, request.form.get("deadline"), request.form.get("reason"))
        flash(_("The deadline is extended."), "success")
    elif action == "excuse":
        datacalls.excuse(actor(), call_id, recipient_id, request.form.get("reason"))
        flash(_("The organisation is excused from answering."), "success")
    else:
        return redirect(url_for("data_calls.show", call_id=call_id))
    return redirect(url_for("data_calls.show", call_id=call_id))


@bp.route("/<int:call_id>/complete", methods=["POST"])
@login_required
def complete(call_id):
    datacalls.complete(actor(), call_id, request.form.get("comment") or None)
    flash(_("The data call is completed; its consolidated table is fixed."), "success")
    return redirect(url_for("data_calls.show", call_id=call_id))


@bp.route("/answer/<int:task_id>", methods=["GET", "POST"])
@login_required
def answer(task_id):
    me = actor()
    view = datacalls.answer_view(me, task_id)
    errors = {}
    if request.method == "POST":
        data = form_schemas.parse_form_post(view["form"], request.form)
        try:
            if request.form.get("action") == "submit":
                datacalls.submit(me, task_id, data)
                flash(_("The answer is submitted."), "success")
            else:
                datacalls.save_draft(me, task_id, data)
                flash(_("The draft is saved."), "info")
            return redirect(url_for("data_calls.answer", task_id=task_id))
        except Invalid as exc:
            errors = exc.fields
            view["data"] = data
    return render_template("datacalls/answer.html", view=view, errors=errors), 422 if errors else 200
