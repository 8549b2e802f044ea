"""Authorization rules shared by the use cases: who may see and who may work on what.

Neighbours: ``actors`` says who is acting; this module says what that actor may see and do (every
service calls it; no view decides access itself).
"""

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import ColumnElement, bindparam, exists, or_, select
from sqlalchemy.orm import joinedload, undefer

from ...extensions import db
from ...models import HumanTask, ProcessInstance
from ...roles import GROUP_HEADS
from ..errors import Forbidden, NotFound
from .actors import Actor, Identity


def identities(actor: Actor) -> Iterator[Identity]:
    """(user id, org id, groups) for the actor and every principal it deputises today."""
    yield actor.user_id, actor.org_id, actor.groups
    yield from actor.acting_for


def _candidate(task: HumanTask, org_id, groups) -> bool:
    return task.candidate_group in groups and (task.org_scope_id is None or task.org_scope_id == org_id)


def can_see_task(actor: Actor, task: HumanTask) -> bool:
    if actor.reads_everything or actor.is_system:
        return True
    for user_id, org_id, groups in identities(actor):
        if user_id in (task.assignee_id, task.owner_id, task.completed_by_id):
            return True
        if _candidate(task, org_id, groups):
            return True
    return False


def acting_identity(actor: Actor, task: HumanTask) -> Identity | None:
    """The identity (the actor, or a principal it deputises) under which the actor may work on the task."""
    for ident in identities(actor):
        user_id, org_id, groups = ident
        if task.assignee_id is not None:
            if task.assignee_id == user_id:
                return ident
            continue
        if _candidate(task, org_id, groups):
            return ident
    return None


# Nearly every use case goes on to the task's instance and, when it advances it, to the instance's open
# tasks; the answer names the initiator: all in one statement, built once.
_TASK_WITH_INSTANCE = (
    select(HumanTask)
    .options(
        joinedload(HumanTask.instance).options(
            undefer(ProcessInstance.initiator_name), joinedload(ProcessInstance.open_tasks)
        )
    )
    .where(HumanTask.id == bindparam("task_id"))
)


def require_task_visible(actor: Actor, task_id: int) -> HumanTask:
    task = db.session.execute(_TASK_WITH_INSTANCE, {"task_id": task_id}).unique().scalar_one_or_none()
    if task is None or not can_see_task(actor, task):
        raise NotFound("task not found")  # do not reveal that another organisation's task exists
    return task


def heads_group_of(actor: Actor, task: HumanTask) -> bool:
    """Whether the actor (or a principal it deputises) heads the task's group (``roles.GROUP_HEADS``)."""
    head = GROUP_HEADS.get(task.candidate_group or "")
    if head is None:
        return False
    for _uid, org_id, groups in identities(actor):
        if head in groups and (task.org_scope_id is None or task.org_scope_id == org_id):
            return True
    return False


def may_assign(actor: Actor, task: HumanTask) -> bool:
    return actor.is_admin or heads_group_of(actor, task)


def require_task_readable(actor: Actor, task_id) -> HumanTask:
    """The task if the actor may see it or heads its group (NotFound otherwise: another college's task does
    not exist)."""
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise NotFound("task not found") from None
    task = db.session.get(HumanTask, task_id)
    if task is None or not (can_see_task(actor, task) or heads_group_of(actor, task)):
        raise NotFound("task not found")
    return task


@lru_cache(maxsize=16)
def _done_by(count: int):
    """Did the user complete one of ``count`` task definitions of the instance? One statement per count
    (rather than an expanding IN), so it is built once. An ORM statement: the session flushes completions
    made earlier in the same command before it runs."""
    return (
        select(HumanTask.task_def)
        .where(
            HumanTask.instance_id == bindparam("instance_id"),
            HumanTask.task_def.in_([bindparam(f"task_def_{i}") for i in range(count)]),
            HumanTask.status == "completed",
            HumanTask.completed_by_id == bindparam("user_id"),
        )
        .limit(1)
    )


def check_four_eyes(actor: Actor, task: HumanTask) -> None:
    if not task.distinct_from:
        return
    # completions earlier in the same command count (a protocol closing several tasks of one case)
    params = {"instance_id": task.instance_id, "user_id": actor.user_id}
    params.update({f"task_def_{i}": name for i, name in enumerate(task.distinct_from)})
    done_by_me = db.session.execute(_done_by(len(task.distinct_from)), params).first()
    if done_by_me is not None:
        raise Forbidden(
            "four-eyes rule: you completed an earlier step of this case and may not also do this one",
            fields={"distinct_from": done_by_me[0]},
        )


def visible_instances_clause(actor: Actor):
    """A WHERE clause selecting the instances the actor takes part in (None = no restriction)."""
    if actor.reads_everything:
        return None
    ids = [i[0] for i in identities(actor)]
    clauses: list[ColumnElement[bool]] = [ProcessInstance.initiator_id.in_(ids)]
    for user_id, org_id, groups in identities(actor):
        task_match: list[ColumnElement[bool]] = [
            HumanTask.assignee_id == user_id,
            HumanTask.completed_by_id == user_id,
            HumanTask.owner_id == user_id,
        ]
        if groups:
            task_match.append(
                (HumanTask.candidate_group.in_(groups))
                & or_(HumanTask.org_scope_id.is_(None), HumanTask.org_scope_id == org_id)
            )
        clauses.append(exists().where(HumanTask.instance_id == ProcessInstance.id, or_(*task_match)))
    return or_(*clauses)


def can_see_instance(actor: Actor, instance: ProcessInstance) -> bool:
    clause = visible_instances_clause(actor)
    if clause is None:
        return True
    return (
        db.session.execute(select(ProcessInstance.id).where(ProcessInstance.id == instance.id, clause)).first()
        is not None
    )


def require_instance_visible(actor: Actor, instance_id: int, *, with_open_tasks: bool = False) -> ProcessInstance:
    """The instance if the actor takes part in it: one query, the row and the visibility rule together
    (``with_open_tasks``: its open task rows too, joined in the same query)."""
    options = [joinedload(ProcessInstance.open_tasks)] if with_open_tasks else []
    clause = visible_instances_clause(actor)
    if clause is None:
        instance = db.session.get(ProcessInstance, instance_id, options=options)
    else:
        query = select(ProcessInstance).options(*options).where(ProcessInstance.id == instance_id, clause)
        instance = db.session.execute(query).unique().scalar_one_or_none()
    if instance is None:
        raise NotFound("instance not found")
    return instance
