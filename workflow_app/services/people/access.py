"""Authorization rules shared by the use cases: who may see and who may work on what.

Neighbours: ``actors`` says who is acting; this module says what that actor may see and do (every
service calls it; no view decides access itself).
"""

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import BindParameter, ColumnElement, bindparam, exists, or_, select
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


# Claiming, releasing, delegating a task change the task row alone: its own row is all they read (about a
# third of a claim's CPU on PostgreSQL went into the joined instance and its open tasks).
_TASK_ALONE = select(HumanTask).where(HumanTask.id == bindparam("task_id"))


def require_task_visible(actor: Actor, task_id: int, *, with_instance: bool = True) -> HumanTask:
    """The task if the actor may see it (NotFound otherwise); ``with_instance``: its instance and the
    instance's open tasks loaded in the same statement."""
    query = _TASK_WITH_INSTANCE if with_instance else _TASK_ALONE
    task = db.session.execute(query, {"task_id": task_id}).unique().scalar_one_or_none()
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


def visible_instances_clause(actor: Actor) -> tuple[ColumnElement[bool], dict] | None:
    """The rule selecting the instances the actor takes part in, and its bind values (None = no restriction).
    The clause is built once per shape of actor (how many principals it deputises today, which of them have
    groups) and its values are bound at execution: building it afresh and computing its cache key cost about
    a third of a ``GET /instances/<id>``'s CPU on PostgreSQL."""
    if actor.reads_everything:
        return None
    everyone = list(identities(actor))
    params: dict = {"initiators": [user_id for user_id, _org, _groups in everyone]}
    for i, (user_id, org_id, groups) in enumerate(everyone):
        params.update({f"user_{i}": user_id, f"org_{i}": org_id})
        if groups:
            params[f"groups_{i}"] = sorted(groups)
    return _visibility(tuple(bool(groups) for _user, _org, groups in everyone)), params


@lru_cache(maxsize=64)
def _visibility(has_groups: tuple[bool, ...]) -> ColumnElement[bool]:
    """An instance is visible to whoever started it, and to each identity (``has_groups``: whether it has any)
    that is assigned, owns or completed one of its tasks, or is a candidate for one."""
    clauses: list[ColumnElement[bool]] = [ProcessInstance.initiator_id.in_(bindparam("initiators", expanding=True))]
    for i, grouped in enumerate(has_groups):
        user: BindParameter[int] = bindparam(f"user_{i}")
        task_match: list[ColumnElement[bool]] = [
            HumanTask.assignee_id == user,
            HumanTask.completed_by_id == user,
            HumanTask.owner_id == user,
        ]
        if grouped:
            task_match.append(
                HumanTask.candidate_group.in_(bindparam(f"groups_{i}", expanding=True))
                & or_(HumanTask.org_scope_id.is_(None), HumanTask.org_scope_id == bindparam(f"org_{i}"))
            )
        clauses.append(exists().where(HumanTask.instance_id == ProcessInstance.id, or_(*task_match)))
    return or_(*clauses)


@lru_cache(maxsize=256)
def _visible_instance(rule: ColumnElement[bool], with_open_tasks: bool):
    """The instance by id under a visibility rule, built once per rule and option."""
    query = select(ProcessInstance).where(ProcessInstance.id == bindparam("instance_id"), rule)
    return query.options(joinedload(ProcessInstance.open_tasks)) if with_open_tasks else query


def can_see_instance(actor: Actor, instance: ProcessInstance) -> bool:
    rule = visible_instances_clause(actor)
    if rule is None:
        return True
    clause, params = rule
    query = select(ProcessInstance.id).where(ProcessInstance.id == instance.id, clause)
    return db.session.execute(query, params).first() is not None


def require_instance_visible(actor: Actor, instance_id: int, *, with_open_tasks: bool = False) -> ProcessInstance:
    """The instance if the actor takes part in it: one query, the row and the visibility rule together
    (``with_open_tasks``: its open task rows too, joined in the same query)."""
    rule = visible_instances_clause(actor)
    if rule is None:
        options = [joinedload(ProcessInstance.open_tasks)] if with_open_tasks else []
        instance = db.session.get(ProcessInstance, instance_id, options=options)
    else:
        clause, params = rule
        query = _visible_instance(clause, with_open_tasks)
        instance = db.session.execute(query, {**params, "instance_id": instance_id}).unique().scalar_one_or_none()
    if instance is None:
        raise NotFound("instance not found")
    return instance
