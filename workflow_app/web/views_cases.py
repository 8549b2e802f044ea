"""Starting a process, the list of cases (instances) and one case."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..services import casefile, documents, processes
from ..services.access import acting_identity
from ..services.errors import Conflict, Forbidden, Invalid, NotFound
from .ui import actor, bp, translate_message

PER_PAGE = 25


@bp.route("/start", methods=["GET"])
@login_required
def start():
    infos = [p for p in processes.list_processes(actor()) if p.can_start]
    return render_template(
        "start.html", processes=infos, values={}, errors={}, selected=request.args.get("process", "")
    )


@bp.route("/start", methods=["POST"])
@login_required
def start_post():
    me = actor()
    process_id = request.form.get("process_id", "")
    business_key = (request.form.get("business_key") or "").strip()
    title = (request.form.get("title") or "").strip()
    data = {}
    for field in ("year", "investor_org_code"):  # start data the chains' start rules read
        value = (request.form.get(field) or "").strip()
        if value:
            data[field] = value
    try:
        instance, open_tasks = processes.start_process(
            me, process_id, data, business_key=business_key or None, title=title or None
        )
    except (Invalid, Conflict, Forbidden, NotFound) as exc:
        # e.g. "no campaign is accepting requests now": shown on the start page, input kept
        infos = [p for p in processes.list_processes(me) if p.can_start]
        return render_template(
            "start.html",
            processes=infos,
            values=request.form,
            errors=exc.fields,
            problem=translate_message(exc.message),
            selected=process_id,
        ), exc.status
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
    page = processes.list_instances(
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
        processes=processes.list_processes(actor()),
    )


@bp.route("/instances/<int:instance_id>")
@login_required
def instance(instance_id):
    me = actor()
    inst, open_tasks = processes.get_instance(me, instance_id)
    return render_template(
        "instance.html",
        instance=inst,
        open_tasks=open_tasks,
        timeline=casefile.timeline(me, inst.id, limit=100),
        summary=casefile.summary(inst),
        documents=documents.for_instance(me, inst.id),
    )
