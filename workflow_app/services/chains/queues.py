"""What the КЦП and professions chains share about a submission that waits for a later cycle: the cycle of a
year, whether its intake has closed, the first cycle from a year on that takes submissions, admitting the
waiting ones when a cycle opens, and the cycle a waiting one may join."""

from sqlalchemy import select

from ...extensions import db
from ...models import HumanTask, ProcessInstance
from ..cases import advance


def cycle_of(process_id: str, year: int) -> ProcessInstance | None:
    """The instance of ``process_id`` (a yearly cycle) for ``year``, if it has started."""
    return db.session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.process_id == process_id, ProcessInstance.cycle_key == str(year))
        .limit(1)
    ).scalar_one_or_none()


def intake_closed(cycle: ProcessInstance) -> bool:
    """Closed for good: the cycle ended or its «Закрыть приём» was completed with «close»."""
    if cycle.status != "running":
        return True
    rows = db.session.execute(
        select(HumanTask.submitted).where(
            HumanTask.instance_id == cycle.id, HumanTask.task_def == "close_intake", HumanTask.status == "completed"
        )
    ).scalars()
    return any((s or {}).get("decision") == "close" for s in rows)


def first_open_cycle(process_id: str, year: int) -> tuple[int, ProcessInstance | None]:
    """The first cycle from ``year`` on that still takes submissions: (its year, the cycle if it has started,
    else None — the submission then waits for it). Never a finished or closed cycle."""
    while True:
        cycle = cycle_of(process_id, year)
        if cycle is None:
            return year, None
        if not intake_closed(cycle):
            return year, cycle
        year += 1


def admit_waiting(ctx, year: int, process_id: str, waiting_task: str, id_key: str, audit_kind: str) -> list[str | None]:
    """The cycle ``ctx.instance`` opens: every ``process_id`` instance queued for ``year`` joins it (its open
    ``waiting_task`` completes with ``{id_key: the cycle's id}``); their business keys."""
    admitted: list[str | None] = []
    rows = db.session.execute(
        select(HumanTask)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.status == "running",
            HumanTask.task_def == waiting_task,
            HumanTask.status == "open",
        )
    ).scalars()
    for row in list(rows):
        waiting = db.session.get_one(ProcessInstance, row.instance_id)  # the task's own instance: it exists
        if str(advance.instance_data(waiting).get("queued_for")) != str(year):
            continue
        advance.advance(
            ctx.uow,
            waiting,
            ctx.actor,
            lambda li, row=row: li.complete(row.engine_task_id, {id_key: ctx.instance.id}),
            audit_kind=audit_kind,
            audit_payload={id_key.removesuffix("_id"): ctx.instance.business_key},
        )
        admitted.append(waiting.business_key)
    return admitted


def joinable_cycle(process_id: str, year: int, cycle_id) -> ProcessInstance | None:
    """The cycle a waiting submission joins (the one it was admitted to, else its year's), or None when that
    is not a ``process_id`` cycle of ``year`` that still takes submissions."""
    cycle = db.session.get(ProcessInstance, cycle_id) if cycle_id else cycle_of(process_id, year)
    if cycle is None or cycle.process_id != process_id or cycle.cycle_key != str(year) or intake_closed(cycle):
        return None
    return cycle
