"""Data-call commands: open (from a template), save a draft, submit (the answer task's completion hook),
extend one recipient's deadline, excuse a recipient, complete (freeze), and the scheduler's chase of late
answers (reminders, then the head). Each is one unit of work; every change is an audit event.

Kept whole: the commands on one call share its recipient checks (``may_manage``, ``recipient_of_task``); its
read models are ``views``, the operation that ends it ``completion``.
"""

from datetime import date, datetime, time

from sqlalchemy import func, select

from ... import formkit as form_schemas
from ... import workdays
from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import DataCall, DataCallRecipient, HumanTask, ProcessInstance
from .. import notifications
from ..cases import advance, operations
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..people.access import require_task_visible
from ..people.actors import SCHEDULER, Actor
from ..tasks import commands
from ..uow import UnitOfWork
from . import templates

PROCESS_ID = "data_call"
ANSWER_TASK = "answer"
COMPLETE_TASK = "consolidate"
COMPLETED_MESSAGE = "data_call_completed"
OFFICIAL_READERS = ("coordinator",)  # besides the owner group: the Координатор follows every call


# --- who may do what -----------------------------------------------------------------------------------


def owner_group_for(actor: Actor, template: dict, wanted: str | None = None) -> str:
    owners = list(template["owners"])
    if wanted is not None:
        if wanted not in owners:
            raise Invalid("this group may not open the data call", fields={"owner_group": wanted})
        if actor.is_system or actor.is_admin or wanted in actor.groups:
            return wanted
        raise Forbidden("you may not open this data call")
    if actor.is_system or actor.is_admin:
        return owners[0]
    for group in owners:
        if group in actor.groups:
            return group
    raise Forbidden("you may not open this data call")


def may_follow(actor: Actor, call: DataCall) -> bool:
    """The officials of the owner group (and the Координатор, administrators, auditors) follow a call."""
    if actor.is_system or actor.is_admin or actor.is_auditor:
        return True
    groups = set(actor.groups)
    for _uid, _org, principal_groups in actor.acting_for:
        groups |= principal_groups
    return call.owner_group in groups or bool(groups & set(OFFICIAL_READERS))


def may_manage(actor: Actor, call: DataCall) -> bool:
    """Extend, excuse, complete: the owner group (deputies included) and administrators; never auditors."""
    if actor.is_system or actor.is_admin:
        return True
    if actor.is_auditor and call.owner_group not in actor.groups:
        return False
    groups = set(actor.groups)
    for _uid, _org, principal_groups in actor.acting_for:
        groups |= principal_groups
    return call.owner_group in groups


def get_call(actor: Actor, call_id, *, manage: bool = False) -> DataCall:
    call = db.session.get(DataCall, call_id) if isinstance(call_id, int) else None
    if call is None or not may_follow(actor, call):
        raise NotFound("data call not found")
    if manage and not may_manage(actor, call):
        raise Forbidden("only the officials who opened the data call may change it")
    return call


def _require_open(call: DataCall):
    if call.status == "terminated":
        raise Conflict("the data call was cancelled")
    if call.status != "open":
        raise Conflict("the data call is completed; its answers are frozen")


# --- deadlines ------------------------------------------------------------------------------------------


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.REGION_TZ).astimezone(clock.now().tzinfo)


def deadline_from(value, template: dict) -> datetime:
    """A deadline: a date (ISO "2027-05-20") — the end of that day in Tomsk — or a number of working days
    from now; the template's default when not given."""
    if value in (None, ""):
        value = (template.get("deadline") or {}).get("working_days", 10)
    if isinstance(value, bool):
        raise Invalid("the deadline is a date or a number of working days", fields={"deadline": str(value)})
    if isinstance(value, int):
        if not 1 <= value <= 120:
            raise Invalid("the deadline is 1 to 120 working days", fields={"deadline": str(value)})
        return workdays.add_working_days(clock.now(), value)
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(
            "the deadline is a date (YYYY-MM-DD) or a number of working days", fields={"deadline": str(value)}
        ) from None
    due = _end_of_day(day)
    if due <= clock.now():
        raise Invalid("the deadline must lie in the future", fields={"deadline": str(value)})
    return due


def _reminders(template: dict, value) -> dict:
    value = value if isinstance(value, dict) else (template.get("reminders") or {})
    count, every = value.get("count", 1), value.get("every_working_days", 2)
    if not (isinstance(count, int) and 0 <= count <= 10 and isinstance(every, int) and 1 <= every <= 30):
        raise Invalid("reminders: count 0–10, every 1–30 working days", fields={"reminders": str(value)})
    return {"count": count, "every_working_days": every}


# --- open ------------------------------------------------------------------------------------------------


def open_call(actor: Actor, template_code: str, **params) -> DataCall:
    with UnitOfWork(actor) as uow:
        call = open_in(uow, actor, template_code, **params)
        uow.commit()
    return call


def open_in(
    uow,
    actor: Actor,
    template_code: str,
    *,
    year=None,
    title=None,
    recipients=None,
    organisations=None,
    deadline=None,
    reminders=None,
    owner_group=None,
    parent: ProcessInstance | None = None,
    extra_data: dict | None = None,
    cycle_key: str | None = None,
    targets: list[dict] | None = None,
) -> DataCall:
    """Open a data call inside ``uow``: the ``data_call`` instance (one answer task per recipient
    organisation, in its inbox only) and the call's own rows."""
    template = templates.load(template_code)
    group = owner_group_for(actor, template, owner_group)
    year = clock.today().year if year in (None, "") else year
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise Invalid("the year is a number between 2000 and 2100", fields={"year": str(year)})
    if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 500):
        raise Invalid("the title is 1 to 500 characters", fields={"title": ""})
    kind_codes = template.get("recipients", [])
    if recipients is not None:
        if not isinstance(recipients, list) or not all(isinstance(k, str) for k in recipients):
            raise BadRequest("recipients must be a list of recipient kinds")
        kind_codes = recipients
    if targets is not None:  # resolved by the caller (the roadmap monitoring: each executor's own answering group)
        targets = list(targets)
    elif organisations:
        if not isinstance(organisations, list):
            raise BadRequest("organisations must be a list of organisation codes")
        targets = templates.resolve_listed(organisations, kind_codes)
    else:
        targets = templates.resolve_recipients(kind_codes)
    if not targets:
        raise Invalid("the data call has no recipient organisations", fields={"recipients": ", ".join(kind_codes)})
    due = deadline_from(deadline, template)
    reminder_rules = _reminders(template, reminders)
    title = (title or templates.title(template, year)).strip()
    number = db.session.execute(
        select(func.count(DataCall.id)).where(DataCall.template == template_code, DataCall.year == year)
    ).scalar_one()
    business_key = f"Запрос-{year}/{template_code}" + (f"/{number + 1}" if number else "")
    owner_org = actor.org_id if group in actor.groups else None
    data = {
        **(extra_data or {}),
        "title": title,
        "template": template_code,
        "year": year,
        "owner_group": group,
        "recipients": [{"org_id": t["org_id"], "group": t["group"], "name": t["name"]} for t in targets],
        "deadline": due.isoformat(),
    }
    instance = advance.start_instance(
        uow,
        actor,
        PROCESS_ID,
        data,
        business_key=business_key,
        title=title,
        parent=parent,
        check_permission=False,
        initiator_org_id=owner_org,
        run_hooks=False,
        cycle_key=cycle_key,
    )
    call = DataCall(
        instance_id=instance.id,
        template=template_code,
        title=title,
        year=year,
        owner_group=group,
        owner_org_id=owner_org,
        opened_by_id=actor.user_id,
        opened_at=clock.now(),
        form=template["form"],
        totals=list(template.get("totals", [])),
        deadline_at=due,
        reminders=reminder_rules,
        status="open",
    )
    db.session.add(call)
    uow.flush()  # the answer tasks' ids
    tasks_by_org = {row.org_scope_id: row for row in uow.open_tasks.get(instance.id, []) if row.task_def == ANSWER_TASK}
    for target in targets:
        task = tasks_by_org.get(target["org_id"])
        if task is None:
            raise Conflict("the data call process did not open a task for every recipient")
        task.due_at = due
        call.recipients.append(
            DataCallRecipient(
                org_id=target["org_id"],
                group=target["group"],
                head_group=target["head_group"],
                task_id=task.id,
                status="pending",
                due_at=due,
                reminders_sent=0,
            )
        )
    uow.flush()
    uow.record(
        "data_call_opened",
        instance=instance,
        actor=actor,
        payload={
            "call_id": call.id,
            "template": template_code,
            "title": title,
            "owner_group": group,
            "recipients": [t["org_id"] for t in targets],
            "deadline": due.isoformat(),
            "reminders": reminder_rules,
        },
    )
    return call


def open_for_cycle(uow, actor: Actor, data: dict, cycle_key: str) -> ProcessInstance:
    """A yearly cycle whose process is ``data_call`` opens the call its start data names (a scheduler cycle row:
    ``{"template": "poo_graduates", "year": "{year}", "deadline": 15}``): data, not code."""
    template = data.get("template")
    if not isinstance(template, str) or not template:
        raise Invalid("a data-call cycle names its template in its start data", fields={"template": str(template)})
    call = open_in(
        uow,
        actor,
        template,
        year=data.get("year"),
        deadline=data.get("deadline"),
        recipients=data.get("recipients"),
        cycle_key=cycle_key,
    )
    instance = db.session.get(ProcessInstance, call.instance_id)
    if instance is None:
        raise Conflict("the data call process did not start")
    return instance


# --- the recipient: draft and answer ---------------------------------------------------------------------


def recipient_of_task(task: HumanTask) -> DataCallRecipient:
    rec = db.session.execute(select(DataCallRecipient).where(DataCallRecipient.task_id == task.id)).scalar_one_or_none()
    if rec is None:
        raise NotFound("this task is not a data-call answer")
    return rec


def answer_task(actor: Actor, task_id) -> tuple[HumanTask, DataCallRecipient]:
    if not isinstance(task_id, int):
        raise NotFound("task not found")
    task = require_task_visible(actor, task_id)  # a recipient sees only its own organisation's task
    if task.process_id != PROCESS_ID or task.task_def != ANSWER_TASK:
        raise NotFound("this task is not a data-call answer")
    return task, recipient_of_task(task)


def save_draft(actor: Actor, task_id, data) -> DataCallRecipient:
    """Keep an unfinished answer (not checked against the form yet); only its organisation's answerers."""
    with UnitOfWork(actor) as uow:
        task, rec = answer_task(actor, task_id)
        _require_open(rec.call)
        if task.status != "open":
            raise Conflict("the answer has already been submitted")
        commands.require_worker(actor, task)
        rec.draft = advance.check_data(data)
        rec.draft_saved_at = clock.now()
        uow.record(
            "data_call_draft_saved",
            instance=task.instance,
            task_id=task.id,
            payload={"call_id": rec.call_id, "org_id": rec.org_id, "rows": len(rec.draft.get("rows") or [])},
        )
        uow.commit()
    return rec


def submit(actor: Actor, task_id, data) -> DataCallRecipient:
    """Submit the answer: the task's completion, checked against the call's form (the hook below)."""
    task, rec = answer_task(actor, task_id)
    _require_open(rec.call)  # a cancelled call says so, rather than "the task is closed"
    commands.complete(actor, task.id, data)
    return db.session.execute(select(DataCallRecipient).where(DataCallRecipient.task_id == task.id)).scalar_one()


def _check_answer(actor, task: HumanTask, data: dict) -> dict:
    """Completion hook of the answer task (every face: the data-call page, the task API): the answer must fit
    the call's form; the recipient row records it in the same transaction."""
    rec = recipient_of_task(task)
    _require_open(rec.call)
    clean, errors = form_schemas.validate(rec.call.form, data)
    if errors:
        raise Invalid("the form has errors", fields={e.path: e.message for e in errors})
    rec.status = "submitted"
    rec.answer = clean
    rec.submitted_at = clock.now()
    rec.submitted_by_id = getattr(actor, "user_id", None)
    rec.draft = None
    return {"reply": {"org_id": rec.org_id, "status": "submitted", "answer": clean}}


operations.COMPLETE_HOOKS[(PROCESS_ID, ANSWER_TASK)] = _check_answer


def _refuse_direct_start(uow, actor, req):
    raise BadRequest("a data call is opened from a template (POST /api/v1/data-calls, the «Запросы сведений» page)")


operations.START_HOOKS[PROCESS_ID] = _refuse_direct_start


def _close_terminated(uow, actor, instance: ProcessInstance, reason: str) -> None:
    """A terminated (cancelled) data-call case closes its call in the same unit of work: no more answers,
    no more reminders (``chase_late`` chases pending recipients of open calls only); every recipient that had
    not answered is ``cancelled`` (a final status: nothing is asked of it any more). The case's
    ``instance_terminated`` event records the reason."""
    call = db.session.execute(select(DataCall).where(DataCall.instance_id == instance.id)).scalar_one_or_none()
    if call is not None and call.status == "open":
        call.status = "terminated"
        for rec in call.recipients:
            if rec.status == "pending":
                rec.status = "cancelled"


operations.TERMINATE_HOOKS[PROCESS_ID] = _close_terminated


# --- the official: extend, excuse, complete --------------------------------------------------------------


def _recipient(call: DataCall, recipient_id) -> DataCallRecipient:
    rec = next((r for r in call.recipients if r.id == recipient_id), None)
    if rec is None:
        raise NotFound("recipient not found")
    return rec


def _answer_task(rec: DataCallRecipient) -> HumanTask:
    """The recipient's answer task (every recipient gets one when the call opens)."""
    task = db.session.get(HumanTask, rec.task_id) if rec.task_id is not None else None
    if task is None:
        raise Conflict("this recipient has no answer task")
    return task


def _reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid("give the reason", fields={"reason": "required"})
    if len(reason) > 2000:
        raise Invalid("the reason is at most 2000 characters", fields={"reason": "too long"})
    return reason.strip()


def extend(actor: Actor, call_id, recipient_id, deadline, reason) -> DataCallRecipient:
    """Move one recipient's deadline later (recorded with the reason); its reminders start again from it."""
    with UnitOfWork(actor) as uow:
        call = get_call(actor, call_id, manage=True)
        _require_open(call)
        rec = _recipient(call, recipient_id)
        if rec.status != "pending":
            raise Conflict("this recipient has already answered or been excused")
        reason = _reason(reason)
        due = deadline_from(deadline, {"deadline": {}}) if deadline not in (None, "") else None
        if due is None or due <= rec.due_at:
            raise Invalid("the new deadline must be later than the current one", fields={"deadline": str(deadline)})
        previous = rec.due_at
        rec.due_at, rec.reminders_sent, rec.last_reminded_at, rec.head_notified_at = due, 0, None, None
        task = _answer_task(rec)
        task.due_at = due
        uow.record(
            "data_call_extended",
            instance=task.instance,
            task_id=task.id,
            payload={
                "call_id": call.id,
                "org_id": rec.org_id,
                "from": previous.isoformat(),
                "to": due.isoformat(),
                "reason": reason,
            },
        )
        uow.commit()
    return rec


def excuse(actor: Actor, call_id, recipient_id, reason) -> DataCallRecipient:
    """Release one recipient from answering (recorded with the reason): its task closes, it is not chased
    and its row stays out of the consolidation. A recipient whose answer task an administrator cancelled
    (``cancel_task``) is excused the same way, so that the call can still be completed."""
    with UnitOfWork(actor) as uow:
        call = get_call(actor, call_id, manage=True)
        _require_open(call)
        rec = _recipient(call, recipient_id)
        if rec.status != "pending":
            raise Conflict("this recipient has already answered or been excused")
        reason = _reason(reason)
        task = _answer_task(rec)
        rec.status, rec.excuse_reason, rec.draft = "excused", reason, None
        if task.status == "open":
            reply = {"reply": {"org_id": rec.org_id, "status": "excused", "reason": reason}}
            commands.complete_in(uow, actor, task, reply, extra_payload={"excused": True})
        elif task.status != "cancelled":  # an administrator's cancelled task leaves nothing to close in the engine
            raise Conflict("this recipient has already answered or been excused")
        uow.record(
            "data_call_excused",
            instance=task.instance,
            task_id=task.id,
            payload={"call_id": call.id, "org_id": rec.org_id, "reason": reason},
        )
        uow.commit()
    return rec


def complete(actor: Actor, call_id, comment: str | None = None) -> DataCall:
    """Complete the call once every recipient has answered or been excused: the official's task closes and
    the consolidation is frozen (``complete_data_call``)."""
    call = get_call(actor, call_id, manage=True)
    _require_open(call)
    task = db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == call.instance_id, HumanTask.task_def == COMPLETE_TASK, HumanTask.status == "open"
        )
    ).scalar_one_or_none()
    waiting = sum(1 for r in call.recipients if r.status == "pending")
    if task is None or waiting:  # a recipient whose answer task was cancelled is excused first
        raise Conflict("%(n)s recipient(s) have neither answered nor been excused", n=waiting)
    commands.complete(actor, task.id, {"comment": comment} if comment else {})
    db.session.expire_all()
    return get_call(actor, call.id)


# --- the scheduler: chase late answers ---------------------------------------------------------------------


def chase_late(now: datetime | None = None) -> dict:
    """Late recipients get reminders (the call's count, every N working days), then their head is told (the
    organisation's head group, or the call's officials where the kind has none). Called by every tick."""
    now = now or clock.now()
    call_ids = list(
        db.session.execute(
            select(DataCallRecipient.call_id)
            .join(DataCall, DataCall.id == DataCallRecipient.call_id)
            .where(DataCallRecipient.status == "pending", DataCallRecipient.due_at < now, DataCall.status == "open")
            .distinct()
        ).scalars()
    )
    db.session.rollback()
    counts = {"reminders": 0, "heads": 0}
    for call_id in call_ids:
        with UnitOfWork(SCHEDULER) as uow:
            call = db.session.get(DataCall, call_id)
            if call is None:  # a call the query found but another transaction removed: nothing to chase
                continue
            for rec in call.recipients:
                kind = _chase(uow, call, rec, now)
                if kind:
                    counts[kind] += 1
            uow.commit()
    return counts


def _chase(uow, call: DataCall, rec: DataCallRecipient, now: datetime) -> str | None:
    if rec.status != "pending" or rec.due_at >= now:
        return None
    task = db.session.get(HumanTask, rec.task_id) if rec.task_id is not None else None
    if task is None or task.status != "open":  # its answer task was cancelled: nothing left to ask of it
        return None
    every = call.reminders.get("every_working_days", 2)
    if rec.last_reminded_at is not None and now < workdays.add_working_days(rec.last_reminded_at, every):
        return None
    org = rec.organisation
    due = ru_date(rec.due_at)
    instance = db.session.get(ProcessInstance, call.instance_id)
    if rec.reminders_sent < call.reminders.get("count", 1):
        rec.reminders_sent += 1
        rec.last_reminded_at = now
        notifications.queue(
            uow,
            notifications.members_of(rec.group, rec.org_id),
            "reminder",
            f"Напоминание: запрос сведений «{call.title}»",
            f"Срок представления сведений по запросу «{call.title}» истёк {due}. "
            f"Представьте сведения в задаче «Представить сведения по запросу».\n",
            instance_id=call.instance_id,
            link=f"/data-calls/answer/{rec.task_id}",
        )
        uow.record(
            "data_call_reminder",
            instance=instance,
            task_id=rec.task_id,
            payload={
                "call_id": call.id,
                "org_id": rec.org_id,
                "reminder": rec.reminders_sent,
                "due_at": rec.due_at.isoformat(),
            },
        )
        return "reminders"
    if rec.head_notified_at is not None:
        return None
    rec.head_notified_at = now
    heads = notifications.members_of(rec.head_group, rec.org_id) if rec.head_group else []
    to = "head" if heads else "officials"
    if not heads:  # no head role for this kind of organisation: the officials who opened the call chase it
        heads = notifications.members_of(call.owner_group, call.owner_org_id)
    notifications.queue(
        uow,
        heads,
        "head_notice",
        f"Не представлены сведения: {org.name}",
        f"{org.name} не представила сведения по запросу «{call.title}» (срок — {due}) "
        f"после {rec.reminders_sent} напоминаний.\n",
        instance_id=call.instance_id,
    )
    uow.record(
        "data_call_head_notified",
        instance=instance,
        task_id=rec.task_id,
        payload={"call_id": call.id, "org_id": rec.org_id, "to": to, "people": [p.id for p in heads]},
    )
    return "heads"
