"""Reading cases as a person asks for them (web and API alike): the list of cases one takes part in, one case
with its open tasks the person may see.

Neighbours: ``advance`` runs the engine; ``start`` starts a case for a person; the start list (which processes
one may start) is ``process_models.catalogue``. This module only reads.
"""

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import HumanTask, ProcessInstance
from ..errors import Invalid, NotFound
from ..people.access import can_see_task, visible_instances_clause
from ..people.actors import Actor
from . import advance, case_numbers

MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # as the API's schemas: a page number beyond it is bad input, not an offset overflow
STATUSES = ("running", "completed", "terminated")


def visible_tasks(actor: Actor, rows) -> list[HumanTask]:
    """The rows the actor may see, in their order (the projection lists them in creation order)."""
    return [t for t in rows if can_see_task(actor, t)]


@dataclass
class InstancePage:
    items: list
    page: int
    per_page: int
    has_more: bool


def list_instances(
    actor: Actor,
    process_id: str | None = None,
    status: str | None = None,
    business_key: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> InstancePage:
    """The instances the actor takes part in (auditors and admins: all), newest first."""
    if status is not None and status not in STATUSES:
        raise Invalid("unknown status", fields={"status": f"one of {', '.join(STATUSES)}"})
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("bad page", fields={"per_page": f"1..{MAX_PER_PAGE}", "page": f"1..{MAX_PAGE}"})
    query, params = select(ProcessInstance), dict[str, object]()
    rule = visible_instances_clause(actor)
    if rule is not None:
        clause, params = rule
        query = query.where(clause)
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    if status:
        query = query.where(ProcessInstance.status == status)
    if business_key:
        query = query.where(  # a case number however typed (letter case, Latin look-alikes)
            ProcessInstance.business_key.in_(case_numbers.matching_keys(business_key))
        )
    rows = (
        db.session.execute(
            query.order_by(ProcessInstance.id.desc()).offset((page - 1) * per_page).limit(per_page + 1), params
        )
        .scalars()
        .all()
    )
    return InstancePage(list(rows[:per_page]), page, per_page, len(rows) > per_page)


def get_instance(actor: Actor, instance_id) -> tuple[ProcessInstance, list[HumanTask]]:
    """One instance the actor may see (NotFound otherwise) with its open tasks visible to the actor."""
    try:
        instance_id = int(instance_id)
    except (TypeError, ValueError):
        raise NotFound("instance not found") from None
    instance = advance.get_instance(actor, instance_id, with_open_tasks=True)  # one query: the row and its tasks
    return instance, visible_tasks(actor, instance.open_tasks)


def submitted_data(instance: ProcessInstance) -> dict:
    """What people submitted on the instance's forms, later submissions overriding earlier ones.

    Read from the task projection (validated form data), not the engine state: a process waiting at a
    catch event has no single "current" data set.
    """
    merged = {}
    rows = db.session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.status == "completed")
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).scalars()
    for row in rows:
        merged.update(row.submitted or {})
    return merged
