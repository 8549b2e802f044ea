"""Commands on one human task: claim, unclaim, assign, delegate, resolve, follow-up, and complete (which
advances its instance). The inbox (``inbox.py``) lists and reads tasks; this module changes them."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from ... import formkit as form_schemas
from ...engine import clock
from ...extensions import db
from ...models import HumanTask, ProcessInstance, User
from .. import durations
from ..cases import advance, operations
from ..cases.reads import visible_tasks
from ..errors import Conflict, Forbidden, Invalid
from ..people.access import acting_identity, check_four_eyes, may_assign, require_task_readable, require_task_visible
from ..people.actors import Actor
from ..process_models import catalogue
from ..uow import UnitOfWork, rows_changed
from . import form_input

DECISION_ONLY = {"type": "object", "properties": {"decision": {}}}  # what a task without a form takes


def require_open(task: HumanTask):
    if task.status != "open":
        raise Conflict("the task is already closed")


def require_not_collegial(task: HumanTask):
    """A task of a collegial body (``collegialBody``) is decided only by the body: at a meeting whose protocol
    both signatories sign (``council.sign``), or by a recorded absentee vote where the body's rules allow it —
    never by one person's form, whatever groups or deputies that person holds."""
    if task.collegial_body:
        raise Forbidden(
            "a collegial body decides this question only through a signed protocol of its meeting: "
            "the secretary puts it on an agenda, the members vote, the secretary and the presiding chair sign",
            fields={"collegial_body": task.collegial_body},
        )


def require_worker(actor: Actor, task: HumanTask):
    _not_read_only(actor, task)
    if acting_identity(actor, task) is None:
        if task.assignee_id is not None:
            raise Conflict("the task is assigned to someone else")
        raise Forbidden("the task is not in your groups")


def claim(actor: Actor, task_id: int) -> HumanTask:
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id, with_instance=False)
        require_open(task)
        if task.assignee_id == actor.user_id:
            return task
        require_worker(actor, task)
        check_four_eyes(actor, task)
        # Atomic: only one of two simultaneous claims finds the task still free.
        claimed = rows_changed(
            update(HumanTask)
            .where(HumanTask.id == task.id, HumanTask.assignee_id.is_(None), HumanTask.status == "open")
            .values(assignee_id=actor.user_id)
            .execution_options(synchronize_session=False)
        )
        if claimed != 1:
            raise Conflict("someone else has just claimed this task")
        set_committed_value(task, "assignee_id", actor.user_id)  # what the UPDATE wrote: the answer reads nothing
        uow.record("task_claimed", task=task, payload={"task": task.task_def})
        uow.commit(keep=(task,))
    return task


def unclaim(actor: Actor, task_id: int) -> HumanTask:
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id, with_instance=False)
        require_open(task)
        if task.assignee_id != actor.user_id and not actor.is_admin:
            raise Forbidden("only the assignee or an administrator may release the task")
        previous = task.assignee_id
        task.assignee_id = None
        task.owner_id = None
        uow.record(
            "task_unclaimed",
            task=task,
            payload={"task": task.task_def, "previous_assignee_id": previous},
        )
        uow.commit()
    return task


def _not_read_only(actor: Actor, task: HumanTask):
    if actor.is_auditor and not actor.is_admin and acting_identity(actor, task) is None:
        raise Forbidden("auditors read, they do not act")


def is_candidate(user: User, task: HumanTask) -> bool:
    """Whether ``user`` could work on ``task`` (a member of its group, inside its organisation scope)."""
    return (
        user.active
        and task.candidate_group in user.group_ids
        and (task.org_scope_id is None or task.org_scope_id == user.organisation_id)
    )


def _user_by_name(username) -> User:
    if not isinstance(username, str) or not username:
        raise Invalid("a user is required", fields={"user": "a username"})
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise Invalid("no such active user", fields={"user": "unknown user"})
    return user


def assign(actor: Actor, task_id: int, username: str) -> HumanTask:
    """A group head (``roles.GROUP_HEADS``) or an admin gives the task to a candidate of its group."""
    with UnitOfWork(actor) as uow:
        task = require_task_readable(actor, task_id)
        require_open(task)
        if not may_assign(actor, task):
            raise Forbidden("only the head of the group or an administrator may assign this task")
        user = _user_by_name(username)
        if not is_candidate(user, task):
            raise Invalid("the user is not a candidate for this task", fields={"user": "not in the task's group"})
        previous = task.assignee_id
        task.assignee_id, task.owner_id = user.id, None
        uow.record(
            "task_assigned",
            instance=task.instance,
            task_id=task.id,
            payload={"task": task.task_def, "assignee": user.username, "previous_assignee_id": previous},
        )
        uow.commit()
    return task


def delegate(actor: Actor, task_id: int, username: str) -> HumanTask:
    """The assignee hands the task to a colleague (a candidate of the same group) and stays its owner;
    the colleague works on it and resolves it back (``resolve``)."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id, with_instance=False)
        require_open(task)
        _not_read_only(actor, task)
        ident = acting_identity(actor, task)
        if task.assignee_id is None or ident is None or ident[0] != task.assignee_id:
            raise Forbidden("only the assignee may delegate the task; claim it first")
        user = _user_by_name(username)
        if user.id == task.assignee_id:
            raise Invalid("the task is already yours", fields={"user": "choose a colleague"})
        if not is_candidate(user, task):
            raise Invalid(
                "the user is not a colleague in this task's group", fields={"user": "not in the task's group"}
            )
        owner = task.owner_id or task.assignee_id
        task.owner_id, task.assignee_id = owner, user.id
        uow.record(
            "task_delegated",
            task=task,
            payload={"task": task.task_def, "to": user.username, "owner_id": owner},
        )
        uow.commit()
    return task


def resolve(actor: Actor, task_id: int) -> HumanTask:
    """The delegate gives a delegated task back to its owner."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id, with_instance=False)
        require_open(task)
        if task.owner_id is None:
            raise Conflict("the task is not delegated")
        ident = acting_identity(actor, task)
        if not (actor.is_admin or (ident is not None and ident[0] == task.assignee_id)):
            raise Forbidden("only the delegate may resolve the task")
        delegate_id = task.assignee_id
        task.assignee_id, task.owner_id = task.owner_id, None
        uow.record(
            "task_resolved",
            task=task,
            payload={"task": task.task_def, "delegate_id": delegate_id, "owner_id": task.assignee_id},
        )
        uow.commit()
    return task


def set_follow_up(actor: Actor, task_id: int, follow_up_at: datetime | None) -> HumanTask:
    """A reminder date for whoever works on the task (the assignee)."""
    if follow_up_at is not None and follow_up_at.tzinfo is None:
        raise Invalid("the follow-up date needs a time zone", fields={"follow_up_at": "ISO 8601 with offset"})
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id, with_instance=False)
        require_open(task)
        _not_read_only(actor, task)
        ident = acting_identity(actor, task)
        if ident is None or task.assignee_id != ident[0]:
            raise Forbidden("only the assignee sets a follow-up date")
        task.follow_up_at = follow_up_at
        uow.record(
            "task_follow_up",
            task=task,
            payload={"follow_up_at": follow_up_at.isoformat() if follow_up_at else None},
        )
        uow.commit()
    return task


def validate_submission(task: HumanTask, data: dict, actor: Actor | None = None) -> dict:
    """The one reading of a task's submission, whatever face it came through (web form or API).

    A submission writes only the fields of the task's own form: a key the form does not have is refused,
    read-only fields keep the value the case holds, computed fields are recalculated; then the form
    validates. A task without a form takes only a ``decision``.
    """
    data = advance.check_data(data)
    hook = operations.complete_hook(task.process_id, task.task_def)
    if hook is not None:
        return hook(actor, task, data)
    if not task.form_key:
        data, unknown = form_schemas.own_fields(DECISION_ONLY, data, None)
        if unknown:
            raise Invalid("the form has errors", fields={e.path: e.message for e in unknown})
        return data
    schema = catalogue.compiled_by_id(task.instance.model_id).forms.get(task.form_key)
    if schema is None:
        raise Conflict("the form '%(form)s' of this task was not deployed", form=task.form_key)
    current = None
    if form_schemas.has_read_only(schema):  # the case's values of the read-only fields
        current = advance.load(task.instance).task_data(task.engine_task_id)
    return form_input.read(schema, data, current, actor)


def complete(
    actor: Actor, task_id: int, data: dict, *, expected_lock_version: int | None = None
) -> tuple[HumanTask, list[HumanTask]]:
    """Submit the form of a task; returns the task and the open tasks of its instance that the actor sees."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        require_open(task)
        require_not_collegial(task)
        require_worker(actor, task)
        if task.owner_id is not None:
            # Delegation (as in Camunda): the delegate works on it and resolves it back; the owner completes.
            raise Conflict("the task is delegated: the delegate resolves it back to its owner, who completes it")
        check_four_eyes(actor, task)
        instance: ProcessInstance = task.instance
        if expected_lock_version is not None and instance.lock_version != expected_lock_version:
            raise Conflict("the case has changed since you opened it; reload the task")
        clean = validate_submission(task, data, actor)
        complete_in(uow, actor, task, clean)
        next_tasks = visible_tasks(actor, uow.open_tasks.get(instance.id, []))
        uow.commit(keep=(task, instance, *next_tasks))  # the answer: what this command wrote, nothing read back
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
    for key, value in done.items():  # a second completion of the task conflicts on its instance's lock_version
        setattr(task, key, value)
    durations.task_completed(uow, task)
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
    advance.advance(uow, task.instance, actor, lambda li: li.complete(task.engine_task_id, clean))
