"""Use cases for starting and reading processes: the start list (with each start form), start, instance lists
and details.

Neighbours: ``advance`` runs the engine (start, ``advance()``); this module is what a person asks for
about processes — which may I start, start one, the lists and the details of instances — and calls it.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import HumanTask, ProcessInstance, ProcessModel
from ..errors import Invalid, NotFound
from ..people import organisations
from ..people.access import can_see_task, visible_instances_clause
from ..people.actors import Actor
from ..tasks import form_input
from ..uow import UnitOfWork
from . import advance, case_numbers

MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # as the API's schemas: a page number beyond it is bad input, not an offset overflow
STATUSES = ("running", "completed", "terminated")


@dataclass
class ProcessInfo:
    process_id: str
    name: str
    version: int
    can_start: bool
    start_form: dict | None = None  # what a client may send at start (JSON Schema); None: nothing


def list_processes(actor: Actor) -> list[ProcessInfo]:
    """The latest version of every deployed process, and whether the actor may start it."""
    latest = (
        select(ProcessModel.process_id, func.max(ProcessModel.version).label("v"))
        .group_by(ProcessModel.process_id)
        .subquery()
    )
    models = (
        db.session.execute(
            select(ProcessModel)
            .join(latest, (latest.c.process_id == ProcessModel.process_id) & (latest.c.v == ProcessModel.version))
            .order_by(ProcessModel.process_id)
        )
        .scalars()
        .all()
    )
    infos = []
    for m in models:
        allowed = advance.can_start(actor, m)
        form = advance.start_form(m) if allowed else None
        infos.append(
            ProcessInfo(m.process_id, m.name, m.version, allowed, organisations.in_forms(form, actor) if form else None)
        )
    return infos


def start_process(
    actor: Actor, process_id: str, data: dict | None = None, business_key: str | None = None, title: str | None = None
) -> tuple[ProcessInstance, list[HumanTask]]:
    """Start the latest version of ``process_id``; returns the instance and its open tasks the actor sees."""
    if business_key is not None and (not isinstance(business_key, str) or len(business_key) > 200):
        raise Invalid("bad business key", fields={"business_key": "a string of at most 200 characters"})
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise Invalid("bad title", fields={"title": "a string of at most 500 characters"})
    with UnitOfWork(actor) as uow:
        # A client sends only the fields of the start form, validated as any task form; the chains' start
        # rules and internal starts (follow-ups, data calls, cycles) add the server's own data afterwards.
        model = advance.latest_model(process_id)
        clean = form_input.read_start(advance.start_form(model), advance.check_data(data), actor)
        instance = advance.start_instance(
            uow, actor, process_id, clean, business_key=business_key or None, title=title or None, model=model
        )
        open_now = visible_tasks(actor, uow.open_tasks.get(instance.id, []))
        uow.commit(keep=(instance, *open_now))  # the answer: what this command wrote, nothing read back
    return instance, open_now


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
    query = select(ProcessInstance)
    clause = visible_instances_clause(actor)
    if clause is not None:
        query = query.where(clause)
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    if status:
        query = query.where(ProcessInstance.status == status)
    if business_key:
        query = query.where(  # a case number however typed (letter case, Latin look-alikes)
            ProcessInstance.business_key.in_(case_numbers.matching_keys(ProcessInstance.business_key, business_key))
        )
    rows = (
        db.session.execute(query.order_by(ProcessInstance.id.desc()).offset((page - 1) * per_page).limit(per_page + 1))
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
