"""Use cases on one human task: claim, unclaim, complete (which advances its instance)."""

from sqlalchemy import update

from .. import forms as form_schemas
from ..engine import clock
from ..extensions import db
from ..models import HumanTask, ProcessInstance
from . import instances
from .access import acting_identity, check_four_eyes, require_task_visible
from .errors import Conflict, Forbidden, Invalid
from .identity import Actor
from .processes import visible_tasks
from .uow import UnitOfWork


def _require_open(task: HumanTask):
    if task.status != "open":
        raise Conflict("the task is already closed")


def _require_worker(actor: Actor, task: HumanTask):
    if actor.is_auditor and not actor.is_admin and acting_identity(actor, task) is None:
        raise Forbidden("auditors read, they do not act")
    if acting_identity(actor, task) is None:
        if task.assignee_id is not None:
            raise Conflict("the task is assigned to someone else")
        raise Forbidden("the task is not in your groups")


def claim(actor: Actor, task_id: int) -> HumanTask:
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        if task.assignee_id == actor.user_id:
            return task
        _require_worker(actor, task)
        check_four_eyes(actor, task)
        # Atomic: only one of two simultaneous claims finds the task still free.
        won = db.session.execute(
            update(HumanTask)
            .where(HumanTask.id == task.id, HumanTask.assignee_id.is_(None), HumanTask.status == "open")
            .values(assignee_id=actor.user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise Conflict("someone else has just claimed this task")
        uow.record("task_claimed", instance=task.instance, task_id=task.id, payload={"task": task.task_def})
        uow.commit()
    db.session.refresh(task)
    return task


def unclaim(actor: Actor, task_id: int) -> HumanTask:
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        if task.assignee_id != actor.user_id and not actor.is_admin:
            raise Forbidden("only the assignee or an administrator may release the task")
        previous = task.assignee_id
        task.assignee_id = None
        task.owner_id = None
        uow.record(
            "task_unclaimed",
            instance=task.instance,
            task_id=task.id,
            payload={"task": task.task_def, "previous_assignee_id": previous},
        )
        uow.commit()
    return task


def validate_submission(task: HumanTask, data: dict) -> dict:
    data = instances.check_data(data)
    if not task.form_key:
        return data
    schema = instances.compiled_by_id(task.instance.model_id).forms.get(task.form_key)
    if schema is None:
        raise Conflict(f"the form '{task.form_key}' of this task was not deployed")
    clean, errors = form_schemas.validate(schema, data)
    if errors:
        raise Invalid("the form has errors", fields={e.path: e.message for e in errors})
    return clean


def complete(
    actor: Actor, task_id: int, data: dict, *, expected_lock_version: int | None = None
) -> tuple[HumanTask, list[HumanTask]]:
    """Submit the form of a task; returns the task and the open tasks of its instance that the actor sees."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        _require_worker(actor, task)
        if task.owner_id is not None:
            # Delegation (as in Camunda): the delegate works on it and resolves it back; the owner completes.
            raise Conflict("the task is delegated: the delegate resolves it back to its owner, who completes it")
        check_four_eyes(actor, task)
        instance: ProcessInstance = task.instance
        if expected_lock_version is not None and instance.lock_version != expected_lock_version:
            raise Conflict("the case has changed since you opened it; reload the task")
        clean = validate_submission(task, data)
        complete_in(uow, actor, task, clean)
        next_tasks = visible_tasks(actor, uow.open_tasks.get(instance.id, []))  # before commit: rows still loaded
        uow.commit()
    return task, next_tasks


def complete_in(uow: UnitOfWork, actor: Actor, task: HumanTask, clean: dict, extra_payload: dict | None = None):
    """Complete ``task`` inside an open unit of work (also used when a protocol closes agenda items)."""
    done = {
        "status": "completed",
        "completed_at": clock.now(),
        "completed_by_id": actor.user_id,
        "outcome": str(clean.get("decision"))[:64] if clean.get("decision") is not None else None,
        "submitted": clean,
    }
    if task.assignee_id is None:
        done["assignee_id"] = actor.user_id  # completing a free task implies claiming it
    uow.update(task, done, expect={"status": "open"})
    uow.record(
        "task_completed",
        instance=task.instance,
        task_id=task.id,
        payload={
            "task": task.task_def,
            "name": task.name,
            "data": clean,
            "decision": task.outcome,
            **(extra_payload or {}),
        },
    )
    instances.advance(uow, task.instance, actor, lambda li: li.complete(task.engine_task_id, clean))
