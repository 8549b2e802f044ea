"""The roadmap in the browser (blueprint ``roadmap``): the items with their executors, deadline and status; one
item with its evidence and history; an administrator's edit, the Координатор's status and evidence. Thin:
every rule lives in services/roadmap."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required

from ..numbers import whole_number
from ..services.errors import ServiceError
from ..services.monitoring.labels import ROADMAP_STATUS as STATUS_LABELS
from ..services.roadmap import changes, queries
from .account import form_errors
from .ui import actor

bp = Blueprint("roadmap", __name__, url_prefix="/roadmap")

EVIDENCE_LABELS = {
    "case": lazy_gettext("case"),
    "data_call": lazy_gettext("data call"),
    "protocol": lazy_gettext("protocol"),
    "document": lazy_gettext("document"),
    "link": lazy_gettext("link"),
}
SOURCE_LABELS = {
    "admin": lazy_gettext("edited"),
    "council": lazy_gettext("council decision"),
    "monitoring": lazy_gettext("monitoring"),
    "load": lazy_gettext("roadmap file"),
}
FIELD_LABELS = {
    "title": lazy_gettext("Measure"),
    "result": lazy_gettext("Key result"),
    "deadline": lazy_gettext("Deadline"),
    "due_on": lazy_gettext("Last dated deadline"),
    "recurring": lazy_gettext("Recurring"),
    "documents": lazy_gettext("Documents that fix the result"),
    "status": lazy_gettext("Status"),
    "status_note": lazy_gettext("Status note"),
    "executors": lazy_gettext("Executors"),
}


@bp.app_context_processor
def _labels():
    return {
        "roadmap_status_label": lambda s: STATUS_LABELS.get(s, s),
        "evidence_label": lambda k: EVIDENCE_LABELS.get(k, k),
        "change_source_label": lambda s: SOURCE_LABELS.get(s, s),
        "roadmap_field_label": lambda f: FIELD_LABELS.get(f, f),
        "executor_line": executor_line,
    }


@bp.route("", strict_slashes=False)
@login_required
def index():
    args = request.args
    items = queries.list_items(actor(), args.get("status") or None, args.get("q") or None, args.get("org") or None)
    return render_template(
        "roadmap/list.html", items=items, sections=queries.sections(), statuses=STATUS_LABELS, args=args
    )


@bp.route("/<number>", methods=["GET", "POST"])
@login_required
def item(number):
    me = actor()
    errors, status = None, 200
    if request.method == "POST":
        try:
            _post(me, number, request.form)
        except ServiceError as exc:
            errors, status = form_errors(exc), exc.status
        else:
            return redirect(url_for("roadmap.item", number=number))
    page = queries.item_page(me, number)
    return render_template(
        "roadmap/item.html", item=page, statuses=queries.STATUSES, kinds=queries.EVIDENCE_KINDS, errors=errors
    ), status


def _post(me, number, form) -> None:
    action = form.get("action")
    if action == "evidence":
        changes.add_evidence(me, number, form.get("kind", ""), form.get("ref", "").strip(), form.get("title", ""))
        flash(_("The evidence is linked."), "success")
    elif action == "remove-evidence":
        evidence_id = form.get("evidence_id", "")
        changes.remove_evidence(me, number, whole_number(evidence_id) or 0)
        flash(_("The evidence is removed."), "success")
    elif action == "status":
        changes.edit(me, number, {"status": form.get("status"), "status_note": form.get("status_note", "")})
        flash(_("The changes are saved."), "success")
    elif action == "edit":
        data = {k: form.get(k, "") for k in ("title", "result", "deadline", "documents", "due_on")}
        data["recurring"] = form.get("recurring") == "1"
        data["executors"] = [_executor(line) for line in form.get("executors", "").splitlines() if line.strip()]
        changes.edit(me, number, data, reason=form.get("reason", ""))
        flash(_("The changes are saved."), "success")


def _executor(line: str) -> dict:
    """One line of the executors' field: «CODE | name as in the act» (an organisation of the registry),
    «role:coordinator | Координатор», «body:working_group | Рабочая группа», or a name alone."""
    key, _sep, name = (part.strip() for part in line.partition("|"))
    if not name:
        return {"name": key}
    if key.startswith("role:"):
        return {"role": key[5:], "name": name}
    if key.startswith("body:"):
        return {"body": key[5:], "name": name}
    return {"org": key, "name": name}


def executor_line(e: dict) -> str:
    if e["organisation"]:
        return f"{e['organisation']['code']} | {e['name']}"
    if e["role"]:
        return f"role:{e['role']} | {e['name']}"
    if e["body"]:
        return f"body:{e['body']} | {e['name']}"
    return e["name"]
