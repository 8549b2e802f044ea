"""Administrator corrections of running cases, each with a mandatory reason kept in the audit log.

- terminate a stuck instance (``instance_terminated``): its open tasks are cancelled, no timer fires again;
  its running child cases are terminated with it (each with its own event naming the parent);
- reassign an open task to another eligible user (``admin_correction``, action ``reassign``);
- cancel an open task in the engine (``admin_correction``, action ``cancel_task``); when nothing is left
  active afterwards, the instance is terminated with the same reason.
"""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import HumanTask, ProcessInstance, User
from ...numbers import whole_number
from .. import durations
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..people.access import _candidate
from ..people.actors import Actor, actor_for
from ..uow import UnitOfWork
from . import advance, operations

REASON_MAX = 2000


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an administrator may correct a case")


def _reason(reason) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid("a reason is required", fields={"reason": "give the reason for the correction"})
    if len(text) > REASON_MAX:
        raise Invalid("the reason is too long", fields={"reason": f"at most {REASON_MAX} characters"})
    return text


def _open_task(task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("task not found")
    if task.status != "open":
        raise Conflict("the task is already closed")
    return task


def _terminate_in(
    uow: UnitOfWork,
    actor: Actor,
    instance: ProcessInstance,
    reason: str,
    cause: str | None = None,
    parent: ProcessInstance | None = None,
):
    """Terminate ``instance`` and, in the same unit of work, its running child cases (a chain's data call, a
    КЦП request queued into a campaign...), recursively: each gets its own ``instance_terminated`` event that
    names the parent case, and its own terminate hook (a data call stops collecting answers)."""
    now = clock.now()
    open_rows = (
        db.session.execute(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
            .order_by(HumanTask.id)
        )
        .scalars()
        .all()
    )
    for row in open_rows:
        row.status = "cancelled"
        row.completed_at = now
        uow.record(
            "task_cancelled",
            instance=instance,
            task_id=row.id,
            payload={"task": row.task_def, "name": row.name, "reason": reason},
        )
    previous = instance.status
    instance.status = "terminated"
    instance.completed_at = now
    instance.updated_at = now
    instance.next_timer_at = None
    instance.waiting_messages = []
    payload: dict[str, object] = {
        "reason": reason,
        "previous_status": previous,
        "cancelled_tasks": [r.id for r in open_rows],
    }
    if cause:
        payload["cause"] = cause
    if parent is not None:
        payload["parent_id"] = parent.id
        payload["parent_business_key"] = parent.business_key or f"#{parent.id}"
    uow.record("instance_terminated", instance=instance, payload=payload)
    hook = operations.terminate_hook(instance.process_id)
    if hook is not None:
        hook(uow, actor, instance, reason)
    uow.flush()
    children = db.session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.parent_id == instance.id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)
    ).scalars()
    for child in children.all():
        _terminate_in(uow, actor, child, reason, cause="the parent case was terminated", parent=instance)


def terminate_instance(actor: Actor, instance_id: int, reason) -> ProcessInstance:
    _require_admin(actor)
    reason = _reason(reason)
    with UnitOfWork(actor) as uow:
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("instance not found")
        if instance.status != "running":
            raise Conflict("the instance is already %(status)s", status=instance.status)
        _terminate_in(uow, actor, instance, reason)
        uow.commit()
    return instance


def _user(ref) -> User:
    if (user_id := whole_number(ref)) is not None:
        user = db.session.get(User, user_id)
    elif isinstance(ref, str) and ref.strip():
        user = db.session.execute(select(User).where(User.username == ref.strip())).scalar_one_or_none()
    else:
        raise Invalid("an assignee is required", fields={"assignee": "a user name or id"})
    if user is None or not user.active:
        raise Invalid("no such active user", fields={"assignee": "no such active user"})
    return user


def _eligible(user: User, task: HumanTask) -> bool:
    who = actor_for(user)
    identities = [(who.user_id, who.org_id, who.groups), *who.acting_for]
    return any(_candidate(task, org_id, groups) for _uid, org_id, groups in identities)


def reassign_task(actor: Actor, task_id: int, assignee, reason) -> HumanTask:
    _require_admin(actor)
    reason = _reason(reason)
    with UnitOfWork(actor) as uow:
        task = _open_task(task_id)
        user = _user(assignee)
        if not _eligible(user, task):
            raise Invalid(
                "this user may not work on the task",
                fields={"assignee": f"not in the group '{task.candidate_group}' of this task's organisation"},
            )
        previous = task.assignee_id
        task.assignee_id = user.id
        task.owner_id = None
        uow.record(
            "admin_correction",
            instance=task.instance,
            task_id=task.id,
            payload={
                "action": "reassign",
                "reason": reason,
                "task": task.task_def,
                "name": task.name,
                "from_assignee_id": previous,
                "to_assignee_id": user.id,
                "to_username": user.username,
            },
        )
        uow.commit()
    return task


def cancel_task(actor: Actor, task_id: int, reason) -> HumanTask:
    _require_admin(actor)
    reason = _reason(reason)
    with UnitOfWork(actor) as uow:
        task = _open_task(task_id)
        instance = task.instance
        uow.record(
            "admin_correction",
            instance=instance,
            task_id=task.id,
            payload={
                "action": "cancel_task",
                "reason": reason,
                "task": task.task_def,
                "name": task.name,
                "assignee_id": task.assignee_id,
            },
        )
        loaded, transitions = advance.advance(uow, instance, actor, lambda li: li.cancel(task.engine_task_id))
        reached_end = any(t.kind == "EndEvent" and t.new == "COMPLETED" for t in transitions)
        if instance.status == "completed" and not reached_end:
            durations.case_completed(uow, instance, undo=True)
            instance.status = "running"  # the engine ran out of work without an end event: that is no completion
        if instance.status == "running" and not loaded.path()["active"]:
            _terminate_in(uow, actor, instance, reason, cause="nothing left to do after the task was cancelled")
        uow.commit()
    return task
