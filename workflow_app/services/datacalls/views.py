"""Data-call read models: the list, one call's state (who answered, who is late), the consolidation table
(per-recipient rows, totals) and its XLSX; the recipient's own answer page."""

from sqlalchemy import select

from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import DataCall, DataCallRecipient, TaskAttachment
from .. import spreadsheets
from ..errors import NotFound
from ..people.actors import Actor
from ..tasks import panels
from . import templates
from .calls import answer_task, get_call, may_follow, may_manage, recipient_of_task

STATUS = {
    "pending": "ожидается",
    "submitted": "представлены",
    "excused": "освобождена от ответа",
    "cancelled": "запрос отменён",  # the call was cancelled before this recipient answered
}


def list_calls(actor: Actor) -> list[DataCall]:
    calls = db.session.execute(select(DataCall).order_by(DataCall.id.desc()).limit(500)).scalars()
    return [c for c in calls if may_follow(actor, c)]


def available_templates(actor: Actor) -> list[dict]:
    """The templates the actor may open a call from by hand: those naming the kinds of organisations they ask (a
    template without any, such as the roadmap monitoring's ``roadmap_report``, is opened by its own process, which
    chooses each recipient and pre-fills its answer)."""
    out = []
    groups = set(actor.groups)
    for code in templates.codes():
        template = templates.load(code)
        if not template.get("recipients"):
            continue
        if actor.is_admin or groups & set(template["owners"]):
            kinds = templates.kinds()
            out.append(
                {
                    "code": code,
                    "title": template.get("title", code),
                    "roadmap": template.get("roadmap"),
                    "description": template.get("description"),
                    "owners": template["owners"],
                    "recipients": template.get("recipients", []),
                    "recipient_labels": [kinds[k]["label"] for k in template.get("recipients", [])],
                    "deadline": template.get("deadline"),
                    "reminders": template.get("reminders"),
                    "columns": templates.columns_of(template["form"]),
                }
            )
    return out


def recipient_view(rec: DataCallRecipient, now=None) -> dict:
    now = now or clock.now()
    return {
        "id": rec.id,
        "org_id": rec.org_id,
        "organisation": rec.organisation.name,
        "task_id": rec.task_id,
        "status": rec.status,
        "status_label": STATUS[rec.status],
        "late": rec.status == "pending" and rec.due_at < now,
        "due_at": rec.due_at,
        "draft_saved_at": rec.draft_saved_at,
        "submitted_at": rec.submitted_at,
        "reminders_sent": rec.reminders_sent,
        "head_notified_at": rec.head_notified_at,
        "excuse_reason": rec.excuse_reason,
    }


def call_view(actor: Actor, call_id) -> dict:
    call = get_call(actor, call_id)
    now = clock.now()
    files = answer_files(call)
    recipients = [{**recipient_view(r, now), "attachments": files.get(r.id, [])} for r in call.recipients]
    return {
        "id": call.id,
        "instance_id": call.instance_id,
        "template": call.template,
        "title": call.title,
        "year": call.year,
        "owner_group": call.owner_group,
        "status": call.status,
        "opened_at": call.opened_at,
        "deadline_at": call.deadline_at,
        "reminders": call.reminders,
        "completed_at": call.completed_at,
        "recipients": recipients,
        "answered": [r for r in recipients if r["status"] == "submitted"],
        "late": [r for r in recipients if r["late"]],
        "may_manage": may_manage(actor, call) and call.status == "open",
        "consolidation": consolidation(call),
    }


def _submitted_tasks(call: DataCall) -> dict[int, int]:
    """answer task id -> recipient id, for the answers submitted (those the consolidation holds)."""
    return {rec.task_id: rec.id for rec in call.recipients if rec.status == "submitted" and rec.task_id}


def answer_files(call: DataCall) -> dict[int, list[dict]]:
    """recipient id -> the files attached to its submitted answer (without their bytes)."""
    tasks = _submitted_tasks(call)
    if not tasks:
        return {}
    out: dict[int, list[dict]] = {}
    rows = db.session.execute(
        select(TaskAttachment.id, TaskAttachment.task_id, TaskAttachment.file_name, TaskAttachment.size)
        .where(TaskAttachment.task_id.in_(tasks))
        .order_by(TaskAttachment.id)
    ).all()
    for att_id, task_id, file_name, size in rows:
        if task_id is not None:  # (the query's own condition: for the type checker)
            out.setdefault(tasks[task_id], []).append({"id": att_id, "file_name": file_name, "size": size})
    return out


def answer_attachment(actor: Actor, call_id, attachment_id: int) -> TaskAttachment:
    """A file of a submitted answer, for those who follow the call (its owners, the Координатор, auditors,
    administrators); NotFound for anyone else and for files of drafts or of other calls."""
    call = get_call(actor, call_id)
    att = db.session.get(TaskAttachment, attachment_id) if isinstance(attachment_id, int) else None
    if att is None or att.task_id not in _submitted_tasks(call):
        raise NotFound("attachment not found")
    return att


def consolidation(call: DataCall, frozen: bool = True) -> dict:
    """All answers as one table: a row per answer row, with its organisation; each recipient's subtotal of
    the summed columns, the grand totals; counts. A completed call returns what was frozen at completion."""
    if frozen and call.status == "completed" and call.consolidated:
        return call.consolidated
    columns = templates.columns_of(call.form)
    totals: dict[str, int | float] = dict.fromkeys(call.totals, 0)
    rows, per_recipient = [], []
    counts = {"recipients": len(call.recipients), "submitted": 0, "excused": 0, "pending": 0, "cancelled": 0}
    for rec in call.recipients:
        counts[rec.status] += 1
        if rec.status != "submitted":
            continue
        name = rec.organisation.name
        subtotal: dict[str, int | float] = dict.fromkeys(call.totals, 0)
        for row in (rec.answer or {}).get("rows") or []:
            rows.append({"organisation": name, "org_id": rec.org_id, **row})
            for c in call.totals:
                value = row.get(c)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    subtotal[c] += value
        for c in call.totals:
            totals[c] += subtotal[c]
        per_recipient.append({"organisation": name, "org_id": rec.org_id, "totals": subtotal})
    return {"columns": columns, "rows": rows, "per_recipient": per_recipient, "totals": totals, "counts": counts}


def consolidation_xlsx(actor: Actor, call_id) -> tuple[str, bytes]:
    call = get_call(actor, call_id)
    table = consolidation(call)
    columns = table["columns"]
    header = ["Организация"] + [c["title"] for c in columns]
    lines = [[r["organisation"]] + [r.get(c["name"]) for c in columns] for r in table["rows"]]
    if call.totals:
        lines.append(
            ["Итого"] + [table["totals"].get(c["name"]) if c["name"] in table["totals"] else None for c in columns]
        )
    return f"data-call-{call.id}.xlsx", spreadsheets.xlsx_bytes("Сводная таблица", header, lines)


def answer_view(actor: Actor, task_id) -> dict:
    """The recipient's page: the call, its form, the draft or the answer, the attachments."""
    task, rec = answer_task(actor, task_id)
    call = rec.call
    attachments = db.session.execute(
        select(TaskAttachment).where(TaskAttachment.task_id == task.id).order_by(TaskAttachment.id)
    ).scalars()
    return {
        "task": task,
        "call": call,
        "recipient": recipient_view(rec),
        "form": call.form,
        "columns": templates.columns_of(call.form),
        "data": rec.answer if rec.status == "submitted" else (rec.draft or {}),
        "open": task.status == "open" and call.status == "open",
        "attachments": list(attachments),
    }


@panels.register("data_call", "answer")
def answer_panel(task, data):
    """On the generic task page: where the recipient fills the call's table."""
    rec = recipient_of_task(task)
    return {
        "id": "data-call",
        "title": rec.call.title,
        "note": "Сведения представляются в таблице запроса: черновик можно сохранять, отправка — кнопкой «Отправить».",
        "link": f"/data-calls/answer/{task.id}",
        "columns": ["Срок", "Состояние"],
        "rows": [[ru_date(rec.due_at), STATUS[rec.status]]],
    }
