"""Use cases that run the engine on an instance: start, advance (complete / message / timers), read.

``advance`` is the one path every state change of an instance takes: lock (optimistically, by
``lock_version``), load, act, save the state, sync the HumanTask projection, record audit events. It runs
inside the caller's UnitOfWork, so a command that advances several instances (a protocol closing many
agenda items) commits all of them or none.

Neighbours: ``start`` and ``reads`` are what a face calls (start a case; the lists and details of cases); the
deployed models, parsed once, are ``process_models.catalogue``;
``tasks.commands`` the commands on one task. This module is the only one that loads, moves and saves an
instance's engine state.
"""

import json
import logging
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from ... import workdays
from ...engine import EngineError, clock
from ...engine.errors import NotWaiting
from ...engine.timing import resolve_due
from ...extensions import db
from ...models import HumanTask, Organisation, ProcessInstance, ProcessModel, User
from .. import durations, notifications, timer_wakeups
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..people.access import require_instance_visible
from ..people.actors import SCHEDULER, Actor
from ..process_models.catalogue import ENGINE, can_start, compiled_by_id, latest_model
from ..uow import UnitOfWork
from . import case_numbers, operations

log = logging.getLogger(__name__)
MAX_DATA_BYTES = 256 * 1024


def check_data(data) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest("data must be a JSON object")
    try:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise BadRequest("data must contain only JSON values") from None
    if len(encoded.encode("utf-8")) > MAX_DATA_BYTES:
        raise Invalid("data is too large", fields={"": f"at most {MAX_DATA_BYTES // 1024} KiB"})
    return json.loads(encoded)


def start_instance(
    uow: UnitOfWork,
    actor: Actor,
    process_id: str,
    data: dict | None = None,
    *,
    business_key: str | None = None,
    title: str | None = None,
    cycle_key: str | None = None,
    parent: ProcessInstance | None = None,
    check_permission: bool = True,
    initiator_org_id: int | object | None = operations.UNSET,
    run_hooks: bool = True,
    model: ProcessModel | None = None,
) -> ProcessInstance:
    """``model``: the latest version of ``process_id`` when the caller has just read it (else read here)."""
    model = model or latest_model(process_id)
    data = check_data(data)
    hook = operations.start_hook(process_id) if run_hooks else None
    if hook is not None:  # chain rules (services/chains/): open campaign, parent, business key...
        req = operations.StartRequest(data, business_key, title, cycle_key, parent, check_permission, initiator_org_id)
        hook(uow, actor, req)
        data, business_key, title, cycle_key, parent, check_permission, initiator_org_id = (
            check_data(req.data),
            req.business_key,
            req.title,
            req.cycle_key,
            req.parent,
            req.check_permission,
            req.initiator_org_id,
        )
    if parent is not None:
        _require_running_parent(parent)
    if initiator_org_id is operations.UNSET:
        initiator_org_id = actor.org_id
    if check_permission and not can_start(actor, model):
        raise Forbidden("you may not start this process")
    if cycle_key is not None:
        taken = db.session.execute(
            select(ProcessInstance.id).where(
                ProcessInstance.process_id == process_id, ProcessInstance.cycle_key == cycle_key
            )
        ).first()
        if taken:
            raise Conflict(
                "cycle %(cycle)s of «%(process)s» has already been started", cycle=cycle_key, process=model.name
            )
    instance = ProcessInstance(
        model_id=model.id,
        process_id=process_id,
        business_key=business_key,
        business_key_folded=case_numbers.fold(business_key) if business_key else None,
        cycle_key=cycle_key,
        title=title or data.get("title") or model.name,
        initiator_id=actor.user_id,
        initiator_org_id=initiator_org_id,
        parent_id=parent.id if parent is not None else None,
        state="{}",
        status="running",
        created_at=clock.now(),
        updated_at=clock.now(),
        completed_at=None,  # given, as the task rows' (_NOT_YET): the started instance is whole in the session
    )
    db.session.add(instance)
    uow.flush()  # an id for the projection, the script operations and the audit events
    set_committed_value(instance, "open_tasks", [])  # a new instance has no task rows yet: nothing to read
    ctx = operations.OperationContext(uow, instance, actor)
    try:
        loaded, transitions = ENGINE.start(
            compiled_by_id(model.id), {**data, "business_key": business_key}, operations.bound(ctx)
        )
    except EngineError as exc:
        raise Conflict("the process could not start: %(reason)s", reason=str(exc)) from None
    uow.record(
        "instance_started",
        instance=instance,
        actor=actor,
        payload={
            "process_id": process_id,
            "version": model.version,
            "data": data,
            "cycle_key": cycle_key,
            "parent_id": instance.parent_id,
        },
    )
    _save(uow, instance, loaded, transitions, actor)
    return instance


def _require_running_parent(parent: ProcessInstance) -> None:
    """A case is started under a running parent only. The parent's row is share-locked to the end of the
    command: a termination of the parent committed meanwhile is seen here (this start is refused), and one that
    comes later waits for this start and then finds the new case among the children it terminates. Starts of
    sibling cases do not wait for each other (PostgreSQL; SQLite runs one writer at a time anyway)."""
    status = db.session.execute(
        select(ProcessInstance.status).where(ProcessInstance.id == parent.id).with_for_update(read=True)
    ).scalar_one()
    if status != "running":
        raise Conflict("the parent case is no longer running: no case is started under it")


def load(instance: ProcessInstance, ctx: operations.OperationContext | None = None):
    return ENGINE.load(compiled_by_id(instance.model_id), instance.state, operations.bound(ctx) if ctx else None)


def advance(uow: UnitOfWork, instance: ProcessInstance, actor: Actor, action, *, audit_kind=None, audit_payload=None):
    """Load ``instance``, run ``action(loaded)`` (returns transitions), save, project, audit.

    An EngineError leaves nothing changed: the workflow object is dropped and the command rolls back.
    """
    if instance.status != "running":
        raise Conflict("the instance is no longer running")
    ctx = operations.OperationContext(uow, instance, actor)
    loaded = load(instance, ctx)
    try:
        transitions = action(loaded)
    except NotWaiting as exc:
        raise Conflict(str(exc)) from None
    except EngineError as exc:
        raise Conflict(
            "the process could not continue: %(reason)s", fields={"element": exc.element or ""}, reason=str(exc)
        ) from None
    if audit_kind:
        uow.record(audit_kind, instance=instance, actor=actor, payload=audit_payload or {})
    _save(uow, instance, loaded, transitions, actor)
    return loaded, transitions


def deliver_message(
    uow: UnitOfWork, actor: Actor, instance_id: int, message_name: str, payload=None
) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("instance not found")
    if not (actor.is_system or actor.is_admin):
        raise Forbidden("only the system or an administrator may deliver messages")
    if message_name not in (instance.waiting_messages or []):
        raise Conflict("the instance is not waiting for message '%(name)s'", name=message_name)
    advance(
        uow,
        instance,
        actor,
        lambda li: li.deliver(message_name, payload),
        audit_kind="message_delivered",
        audit_payload={"message": message_name, "payload": payload},
    )
    return instance


def fire_timers(uow: UnitOfWork, instance: ProcessInstance, actor: Actor = SCHEDULER):
    """Fire whatever timers of ``instance`` are due at the clock's now."""
    due_at = instance.next_timer_at
    now = clock.now()
    if due_at is None or due_at > now:
        return []
    _loaded, transitions = advance(uow, instance, actor, lambda li: li.fire_timers())
    return transitions


def due_timer_instance_ids(now, limit: int = 100) -> list[int]:
    return list(
        db.session.execute(
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at <= now, ProcessInstance.status == "running")
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        ).scalars()
    )


def get_instance(actor: Actor, instance_id: int, *, with_open_tasks: bool = False) -> ProcessInstance:
    return require_instance_visible(actor, instance_id, with_open_tasks=with_open_tasks)


def instance_data(instance: ProcessInstance) -> dict:
    return load(instance).data


# --- saving and projection --------------------------------------------------------------------------


def _save(uow: UnitOfWork, instance: ProcessInstance, loaded, transitions, actor: Actor):
    now = clock.now()
    _project_tasks(uow, instance, loaded, transitions, actor, now)
    _audit_engine_events(uow, instance, transitions, actor)
    values = {
        "state": loaded.dump(),
        "next_timer_at": loaded.next_timer_at(),
        "waiting_messages": loaded.waiting_messages(),
        "updated_at": now,
    }
    if loaded.is_completed and instance.status == "running":
        values.update(status="completed", completed_at=now, next_timer_at=None, summary=_summary(loaded.data))
        uow.record(
            "instance_completed",
            instance=instance,
            actor=actor,
            payload={"end": [t.bpmn_id for t in transitions if t.kind == "EndEvent" and t.new == "COMPLETED"]},
        )
    _write_instance(uow, instance, values)
    if "completed_at" in values:
        durations.case_completed(uow, instance)


def _write_instance(uow: UnitOfWork, instance: ProcessInstance, values: dict):
    """Set the saved state on the instance; the flush writes it with the optimistic lock of the mapper's
    ``version_id_col`` (only while the row still has the version this command read, else ``Conflict``)."""
    for key, value in values.items():
        setattr(instance, key, value)
    instance.state_size = len(values["state"])
    if values["next_timer_at"] is not None:
        timer_wakeups.timer_set(uow, values["next_timer_at"])


def _summary(data: dict) -> dict:
    keep = ("decision", "title", "business_key")
    return {k: data[k] for k in keep if k in data and isinstance(data[k], (str, int, float, bool))}


OPEN_TASKS_OF_INSTANCE = (
    select(HumanTask)
    .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.status == "open")
    .order_by(HumanTask.id)
)


# A new row's columns that only a later command fills, given (as NULL) so that the row is whole in the session:
# an answer built from it after the commit (UnitOfWork.commit's ``keep``) reads nothing back.
_NOT_YET = {"owner_id": None, "completed_at": None, "completed_by_id": None, "outcome": None, "submitted": None}


def _project_tasks(uow, instance, loaded, transitions, actor, now):
    meta = loaded.model.meta.get("user_tasks", {})
    ready = {v.engine_task_id: v for v in loaded.ready_user_tasks()}
    if "open_tasks" in inspect(instance).dict:  # read with the task being completed, or set by an earlier
        open_rows = list(instance.open_tasks)  # advance of this instance in the same command (below)
    else:
        open_rows = list(db.session.execute(OPEN_TASKS_OF_INSTANCE, {"instance_id": instance.id}).scalars())
    final_state = {t.task_id: t.new for t in transitions}
    for row in open_rows:
        if row.engine_task_id in ready:
            continue
        if final_state.get(row.engine_task_id) == "COMPLETED" and row.completed_by_id is not None:
            continue  # completed by the caller, who set completed_* already
        closed = "cancelled" if final_state.get(row.engine_task_id) != "COMPLETED" else "completed"
        row.status, row.completed_at = closed, now
        if closed == "completed":
            durations.task_completed(uow, row)
        uow.record(
            "task_cancelled" if row.status == "cancelled" else "task_closed",
            instance=instance,
            task=row,
            actor=actor,
            payload={"task": row.task_def, "name": row.name},
        )
    known = {row.engine_task_id for row in open_rows}
    still_open = [row for row in open_rows if row.engine_task_id in ready]
    new_rows = []
    for engine_id, view in ready.items():
        if engine_id in known:
            continue
        props = meta.get(view.bpmn_id, {})
        due = props.get("dueWorkingDays")
        due_at = workdays.add_working_days(now, due) if due is not None else None
        extra = props.get("properties") or {}
        if extra.get("dueDateVariable"):  # a fixed date carried by the case (e.g. the site update deadline)
            due_at = _date_in_data(loaded.task_data(engine_id), extra["dueDateVariable"]) or due_at
        if props.get("dueDate"):  # Camunda's dueDate: an ISO 8601 date or duration, or an expression
            due_at = resolve_due(props["dueDate"], loaded.task_data(engine_id), now) or due_at
        follow_up = resolve_due(props.get("followUpDate"), loaded.task_data(engine_id), now)  # Camunda's followUpDate
        group, org_scope_id = _assignment(instance, view, props)
        if extra.get("orgScopeVariable"):  # the organisation named by the case (the industry's department)
            org_scope_id = _org_in_data(loaded.task_data(engine_id), extra["orgScopeVariable"])
        assignee_id = _candidate_user(props)
        if extra.get("assigneeVariable"):  # the person named by the case (an instruction's executor)
            assignee_id = _user_in_data(loaded.task_data(engine_id), extra["assigneeVariable"]) or assignee_id
        row = HumanTask(
            instance_id=instance.id,
            engine_task_id=engine_id,
            task_def=view.bpmn_id,
            name=view.name,
            process_id=instance.process_id,
            business_key=instance.business_key,
            title=instance.title,
            lane=view.lane,
            candidate_group=group,
            assignee_id=assignee_id,
            org_scope_id=org_scope_id,
            form_key=props.get("formKey"),
            collegial_body=props.get("collegialBody"),
            distinct_from=props.get("distinctFrom", []),
            status="open",
            created_at=now,
            due_at=due_at,
            follow_up_at=follow_up,
            **_NOT_YET,
        )
        new_rows.append(row)
    db.session.add_all(new_rows)
    open_now = still_open + new_rows
    uow.open_tasks[instance.id] = open_now
    set_committed_value(instance, "open_tasks", open_now)  # a second advance in this command sees them
    if new_rows:
        for row in new_rows:
            uow.record(
                "task_ready",
                instance=instance,
                task=row,
                actor=actor,
                payload={
                    "task": row.task_def,
                    "name": row.name,
                    "group": row.candidate_group,
                    "org_scope_id": row.org_scope_id,
                    "due_at": row.due_at.isoformat() if row.due_at else None,
                    "collegial_body": row.collegial_body,
                },
            )
        notifications.tasks_ready(uow, new_rows)


def _candidate_user(props: dict) -> int | None:
    """The one candidate user (Camunda candidateUsers / assignee) of a task without a group: it is assigned."""
    users = props.get("candidateUsers") or []
    if props.get("group") or len(users) != 1:
        return None
    return db.session.execute(select(User.id).where(User.username == users[0])).scalar_one_or_none()


def _value_at(data: dict, path: str):
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _org_in_data(data: dict, path: str) -> int | None:
    """The id of the organisation whose code is at ``path`` in ``data``; a task scoped to an organisation that
    does not exist is refused (no task visible to a whole group by mistake)."""
    code = _value_at(data, path)
    org_id = db.session.execute(select(Organisation.id).where(Organisation.code == str(code or ""))).scalar()
    if org_id is None:
        raise Conflict("no organisation '%(code)s' for the task's orgScopeVariable %(path)s", code=code, path=path)
    return org_id


def _user_in_data(data: dict, path: str) -> int | None:
    """The id of the active user whose user name is at ``path`` in ``data`` (None when the path is empty)."""
    username = _value_at(data, path)
    if not username:
        return None
    user_id = db.session.execute(
        select(User.id).where(User.username == str(username), User.active.is_(True))
    ).scalar_one_or_none()
    if user_id is None:
        raise Conflict("no active user '%(user)s' for the task's assigneeVariable %(path)s", user=username, path=path)
    return user_id


def _date_in_data(data: dict, path: str) -> datetime | None:
    """The end of the working day (18:00 in the region) of the ISO date at ``path`` (dotted) in ``data``."""
    value = _value_at(data, path)
    try:
        day = date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None
    return datetime.combine(day, time(18, 0), tzinfo=clock.REGION_TZ)


def _assignment(instance, view, props) -> tuple[str | None, int | None]:
    """(candidate group, organisation scope) of a new task: the lane, or the group named by the process
    variable ``groupFrom``; the initiator's organisation, or — ``orgScope="recipient"`` on a multi-instance
    task — the organisation (and group) of the task's own item, e.g. ``{"org_id": 7, "group": "investor"}``."""
    group = props.get("group") or view.lane
    if props.get("groupFrom"):
        named = (view.data or {}).get(props["groupFrom"])
        if isinstance(named, str) and named:
            group = named
    scope = props.get("orgScope")
    if scope == "initiator":
        return group, instance.initiator_org_id
    if scope == "recipient":
        item = view.item if isinstance(view.item, dict) else {}
        org_id = item.get("org_id")
        if not isinstance(org_id, int) or isinstance(org_id, bool):  # never a recipient task open to everyone
            raise Conflict(
                "the task %(task)s has no recipient organisation", fields={"element": view.bpmn_id}, task=view.bpmn_id
            )
        if isinstance(item.get("group"), str) and item["group"]:
            group = item["group"]
        return group, org_id
    return group, None


def _audit_engine_events(uow, instance, transitions, actor):
    for t in transitions:
        if t.event_type == "timer" and t.new == "COMPLETED" and t.kind != "StartEvent":
            kind = "escalation" if t.interrupting else "timer_fired"
            uow.record(
                kind,
                instance=instance,
                actor=actor,
                payload={"element": t.bpmn_id, "name": t.name, "attached_to": t.parent_bpmn_id},
            )
    path = [
        {"element": t.bpmn_id, "kind": t.kind, "from": t.old, "to": t.new}
        for t in transitions
        if t.kind not in ("UserTask", "ManualTask")
    ]
    if path:
        uow.record("engine_steps", instance=instance, actor=actor, payload={"steps": path})
