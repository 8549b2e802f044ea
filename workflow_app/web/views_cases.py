"""Starting a process, the list of cases (instances) and one case."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import formkit as form_schemas
from ..i18n import localize_schema
from ..services import documents
from ..services.cases import reads, timeline
from ..services.cases.start import start_process
from ..services.errors import Conflict, Forbidden, Invalid, NotFound
from ..services.people.access import acting_identity
from ..services.process_models import catalogue
from .ui import actor, bp, translate_message

PER_PAGE = 25


def _start_page(infos, *, selected="", values=None, errors=None, form_errors=None, problem=None, status=200):
    chosen = next((p for p in infos if p.process_id == selected), infos[0] if len(infos) == 1 else None)
    return render_template(
        "start.html",
        processes=infos,
        chosen=chosen,
        form=localize_schema(chosen.start_form) if chosen is not None and chosen.start_form else None,
        values=values or {},
        errors=errors or {},
        form_errors=form_errors or {},
        problem=problem,
    ), status


@bp.route("/start", methods=["GET"])
@login_required
def start():
    infos = [p for p in catalogue.list_processes(actor()) if p.can_start]
    return _start_page(infos, selected=request.args.get("process") or request.args.get("process_id") or "")


@bp.route("/start", methods=["POST"])
@login_required
def start_post():
    me = actor()
    infos = [p for p in catalogue.list_processes(me) if p.can_start]
    process_id = request.form.get("process_id", "")
    chosen = next((p for p in infos if p.process_id == process_id), None)
    # only the fields of the chosen process's start form are read; the service validates them (as the API's)
    data = form_schemas.parse_form_post(chosen.start_form, request.form) if chosen and chosen.start_form else {}
    try:
        instance, open_tasks = start_process(
            me,
            process_id,
            data,
            business_key=(request.form.get("business_key") or "").strip() or None,
            title=(request.form.get("title") or "").strip() or None,
        )
    except (Invalid, Conflict, Forbidden, NotFound) as exc:
        # e.g. "no campaign is accepting requests now": shown on the start page, input kept
        fields = {k: translate_message(v) for k, v in (exc.fields or {}).items()}
        own = {k: v for k, v in fields.items() if k in ("process_id", "business_key", "title")}
        return _start_page(
            infos,
            selected=process_id,
            values=request.form,
            errors=own,
            form_errors={k: v for k, v in fields.items() if k not in own},
            problem=translate_message(exc.message),
            status=exc.status,
        )
    flash(_("Case «%(title)s» started.", title=instance.title), "success")
    mine = [t for t in open_tasks if acting_identity(me, t) is not None]
    if mine:
        return redirect(url_for("web.task", task_id=mine[0].id))
    return redirect(url_for("web.instance", instance_id=instance.id))


@bp.route("/instances")
@login_required
def instances():
    status = request.args.get("status") or None
    process_id = request.args.get("process") or None
    key = (request.args.get("key") or "").strip() or None
    try:
        page_no = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_no = 1
    page = reads.list_instances(
        actor(), process_id=process_id, status=status, business_key=key, page=page_no, per_page=PER_PAGE
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "instances.html",
        page=page,
        status=status or "",
        process_id=process_id or "",
        key=key or "",
        args=args,
        processes=catalogue.list_processes(actor()),
    )


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id):
    me = actor()
    inst, open_tasks = reads.get_instance(me, instance_id)
    return render_template(
        "instance.html",
        instance=inst,
        open_tasks=open_tasks,
        timeline=timeline.timeline(me, inst.id, limit=100),
        summary=timeline.summary(inst),
        documents=documents.for_instance(me, inst.id),
    )
