"""The work pages: inbox, task page (form, context, timeline, comments, attachments, actions)."""

import io
from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import formkit as form_schemas
from ..downloads import attachment_response
from ..engine import clock
from ..i18n import localize_schema
from ..roles import ROLES
from ..services import documents, materials
from ..services.cases import timeline
from ..services.errors import Conflict, Invalid
from ..services.process_models import deployment
from ..services.tasks import attachments, commands, comments, table_io
from ..services.tasks import inbox as inbox_svc
from .ui import actor, bp, new_task_count, safe_next, translate_message

TABS = ("mine", "group", "overdue", "all")
PER_PAGE = 20


def group_name(group_id: str | None) -> str:
    from flask_babel import get_locale

    if not group_id:
        return ""
    names = ROLES.get(group_id)
    if names is None:
        return group_id
    return names[1] if str(get_locale()) == "en" else names[0]


@bp.app_context_processor
def _work_context():
    return {"group_name": group_name}


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except (TypeError, ValueError):
        return default


def _due_before(text: str | None) -> datetime | None:
    """The end of the given day (yyyy-mm-dd) in Asia/Tomsk, or None."""
    if not text:
        return None
    try:
        day = clock.parse_day(datetime.strptime(text, "%Y-%m-%d").date())
    except ValueError:
        raise Invalid("bad date", fields={"due": "YYYY-MM-DD, 1900 to 2999"}) from None
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=clock.REGION_TZ)


# --- inbox -----------------------------------------------------------------------------------------


@bp.route("/inbox")
@login_required
def inbox():
    me = actor()
    tabs = [t for t in TABS if t != "all" or me.reads_everything]
    tab = request.args.get("tab") or "mine"
    if tab not in tabs:
        abort(404)
    filters = inbox_svc.TaskFilters(
        process_id=request.args.get("process") or None,
        business_key=(request.args.get("key") or "").strip() or None,
        due_before=_due_before(request.args.get("due")),
    )
    page = inbox_svc.list_tasks(me, tab, filters, page=_int_arg("page", 1), per_page=PER_PAGE)
    counts = {t: inbox_svc.count_tasks(me, t, filters) for t in tabs}
    new_task_count()  # the badge shows what was new when the page opened; then it is reset
    if page.page == 1 and tab in ("mine", "group"):
        inbox_svc.mark_inbox_seen(me)
    processes = sorted({(m.process_id, m.name) for m in deployment.list_models()})
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "inbox.html",
        tab=tab,
        tabs=tabs,
        page=page,
        counts=counts,
        filters=filters,
        processes=processes,
        args=args,
        args_no_tab={k: v for k, v in args.items() if k != "tab"},
        my_groups=me.groups,
        due_text=request.args.get("due", ""),
        is_overdue=inbox_svc.is_overdue,
    )


# --- one task --------------------------------------------------------------------------------------


def _render_task(task_id: int, *, data=None, errors=None, alert=None, status=200, replace=None):
    me = actor()
    ctx = inbox_svc.task_context(me, task_id)
    task, instance = ctx["task"], ctx["instance"]
    readonly = not ctx["can_work"] or instance.status != "running"
    blocks, initial = materials.task_page(me, task, ctx["data"], editable=not readonly)
    shown = set((ctx["form"] or {}).get("properties", {}) or {})
    ctx["form"] = localize_schema(ctx["form"]) if ctx["form"] else ctx["form"]
    return render_template(
        "task.html",
        **ctx,
        values={**(initial if data is None else data), **(replace or {})},
        errors=errors or {},
        alert=alert,
        context_items=timeline.key_data(instance, ctx["data"], exclude=shown),
        timeline=timeline.timeline(me, instance.id, limit=50),
        blocks=blocks,
        documents=documents.for_task(me, task),
        candidates=inbox_svc.candidates(me, task.id) if ctx["can_assign"] or task.assignee_id == me.user_id else [],
        is_overdue=inbox_svc.is_overdue(task),
        me=me,
        readonly=readonly,
    ), status


@bp.route("/tasks/<int:task_id>")
@login_required
def task(task_id):
    return _render_task(task_id)


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@login_required
def task_complete(task_id):
    me = actor()
    ctx = inbox_svc.task_context(me, task_id)
    task_row, schema = ctx["task"], ctx["form"]
    data = form_schemas.parse_form_post(schema, request.form) if schema else {}
    if schema is None and request.form.get("decision"):
        data["decision"] = request.form["decision"]
    try:
        expected = int(request.form.get("lock_version", ""))
    except ValueError:
        expected = None
    try:
        commands.complete(me, task_id, data, expected_lock_version=expected)
    except Invalid as exc:  # shown again with the case's read-only values beside the entries
        shown = form_schemas.own_fields(schema, data, ctx["data"])[0] if schema else data
        return _render_task(task_id, data=shown, errors=exc.fields, status=422)
    except Conflict as exc:
        alert = _(
            "The case was changed by someone else after you opened this page, so your input was not saved. "
            "Check the current state below; your entries are kept in the form."
        )
        return _render_task(
            task_id,
            data=data,
            alert={"kind": "error", "text": alert, "detail": translate_message(exc.message)},
            status=409,
        )
    flash(_("Task «%(name)s» completed.", name=task_row.name), "success")
    return redirect(url_for("web.inbox"))


def _back(task_id):
    return redirect(safe_next(request.form.get("next"), url_for("web.task", task_id=task_id)))


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def task_claim(task_id):
    t = commands.claim(actor(), task_id)
    flash(_("You took the task «%(name)s».", name=t.name), "success")
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
@login_required
def task_unclaim(task_id):
    commands.unclaim(actor(), task_id)
    flash(_("The task is back in the group's queue."), "info")
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/assign", methods=["POST"])
@login_required
def task_assign(task_id):
    t = commands.assign(actor(), task_id, request.form.get("user", ""))
    flash(_("The task is assigned to %(name)s.", name=t.assignee.display_name if t.assignee else ""), "success")
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/delegate", methods=["POST"])
@login_required
def task_delegate(task_id):
    t = commands.delegate(actor(), task_id, request.form.get("user", ""))
    name = t.assignee.display_name if t.assignee else ""
    flash(
        _("The task is delegated to %(name)s; it comes back to you when resolved.", name=name),
        "success",
    )
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/resolve", methods=["POST"])
@login_required
def task_resolve(task_id):
    commands.resolve(actor(), task_id)
    flash(_("The task is returned to its owner."), "success")
    return _back(task_id)


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@login_required
def task_comment(task_id):
    comments.add_comment(actor(), task_id, request.form.get("body", ""))
    flash(_("Comment added."), "success")
    return redirect(url_for("web.task", task_id=task_id) + "#comments")


@bp.route("/tasks/<int:task_id>/attachments", methods=["POST"])
@login_required
def task_attach(task_id):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("choose a file to upload", fields={"file": "required"})
    att = attachments.add_attachment(actor(), task_id, upload.filename, upload.mimetype, upload.read())
    flash(_("File «%(name)s» attached.", name=att.file_name), "success")
    return redirect(url_for("web.task", task_id=task_id) + "#attachments")


@bp.route("/tasks/<int:task_id>/attachments/<int:attachment_id>")
@login_required
def task_attachment(task_id, attachment_id):
    return attachment_response(attachments.get_attachment(actor(), task_id, attachment_id))


# --- a task's table in Excel -------------------------------------------------------------------------


@bp.route("/tasks/<int:task_id>/tables/<field>.xlsx")
@login_required
def task_table_xlsx(task_id, field):
    me = actor()
    ctx = inbox_svc.task_context(me, task_id)
    rows = ctx["data"].get(field) if isinstance(ctx["data"].get(field), list) else []
    body, mimetype, name = table_io.table_xlsx(me, task_id, field, rows)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/tasks/<int:task_id>/tables/<field>", methods=["POST"])
@login_required
def task_table_upload(task_id, field):
    upload = request.files.get("file")
    content = upload.read() if upload is not None else b""
    try:
        rows = table_io.read_table_xlsx(actor(), task_id, field, content)
    except Invalid as exc:
        problems = exc.fields.get("rows") or [translate_message(exc.message)]
        alert = {"kind": "error", "text": _("The table was not loaded:"), "problems": problems}
        return _render_task(task_id, alert=alert, status=422)
    alert = {
        "kind": "info",
        "text": _("%(count)s rows loaded from Excel: check them and complete the task.", count=len(rows)),
    }
    return _render_task(task_id, replace={field: rows}, alert=alert)
