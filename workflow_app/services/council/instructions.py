"""Instructions (поручения) given by decisions of signed protocols: tracked records with an executor, a due date,
a status and the executor's report.

Statuses: ``draft`` (in a decision of an unsigned protocol: not yet an instruction), ``open`` (given by a signed
protocol, the executor works on it), ``reported`` (the executor reported; the secretary accepts or returns the
report), ``done`` (accepted). An open instruction past its due date (Asia/Tomsk) is *overdue*.

Read queries (``counts_by_status``, ``instruction_rows``) take no actor: callers check who may read first
(the monitoring dashboard, the body's pages).
"""

from datetime import date

from sqlalchemy import and_, case, func, select

from ...engine import clock
from ...extensions import db
from ...models import AgendaItem, Decision, Instruction, Protocol
from ..errors import Conflict, NotFound
from ..identity import Actor
from ..uow import UnitOfWork
from .seats import _require_reader, _require_secretary, get_body, meeting_day

STATUSES = ("open", "reported", "done")  # the statuses of instructions given by signed protocols
TRACKED = STATUSES


def _overdue_clause(today: date):
    return and_(Instruction.status == "open", Instruction.deadline < today)


def counts_by_status(body_code: str | None = None, today: date | None = None) -> dict[str, int]:
    """How many instructions of signed protocols are in each status (every status present, 0 if none), plus
    ``overdue`` (open and past the due date) and ``total``; of one body, or of all bodies."""
    today = today or clock.today()
    query = select(Instruction.status, func.count(), func.sum(case((_overdue_clause(today), 1), else_=0))).where(
        Instruction.status.in_(TRACKED)
    )
    if body_code is not None:
        query = query.where(Instruction.body_id == get_body(body_code).id)
    result = dict.fromkeys(STATUSES, 0) | {"overdue": 0, "total": 0}
    for status, count, overdue in db.session.execute(query.group_by(Instruction.status)).all():
        result[status] = count
        result["overdue"] += int(overdue or 0)
        result["total"] += count
    return result


def instruction_view(i: Instruction, today: date | None = None) -> dict:
    today = today or clock.today()
    return {
        "id": i.id,
        "body": i.body.code if i.body is not None else None,
        "text": i.text,
        "executor": i.executor,
        "executor_user_id": i.executor_user_id,
        "deadline": i.deadline.isoformat(),
        "status": i.status,
        "overdue": i.status == "open" and i.deadline < today,
        "done_at": i.done_at.isoformat() if i.done_at else None,
        "done_note": i.done_note,
    }


def instruction_rows(
    body_code: str | None = None,
    *,
    status: str | None = None,
    overdue_only: bool = False,
    today: date | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Instructions of signed protocols (of one body or all), by due date, each with its protocol reference
    «протокол от ДД.ММ.ГГГГ № N, вопрос M»."""
    today = today or clock.today()
    query = (
        select(Instruction, Decision, AgendaItem, Protocol)
        .join(Decision, Decision.id == Instruction.decision_id)
        .join(AgendaItem, AgendaItem.id == Decision.item_id)
        .join(Protocol, Protocol.meeting_id == AgendaItem.meeting_id)
        .where(Instruction.status.in_(TRACKED), Protocol.status == "signed")
        .order_by(Instruction.deadline, Instruction.id)
    )
    if body_code is not None:
        query = query.where(Instruction.body_id == get_body(body_code).id)
    if status is not None:
        query = query.where(Instruction.status == status)
    if overdue_only:
        query = query.where(_overdue_clause(today))
    if limit is not None:
        query = query.limit(limit)
    rows = []
    for i, d, item, p in db.session.execute(query).all():
        day = meeting_day(p.meeting)
        rows.append(
            {
                **instruction_view(i, today),
                "ref": f"{p.number}/{item.position}/{d.number}",
                "protocol_ref": f"протокол от {day:%d.%m.%Y} № {p.number}, вопрос {item.position}",
                "protocol_id": p.id,
                "protocol_year": p.year,
                "meeting_id": p.meeting_id,
                "item_title": item.title,
            }
        )
    return rows


def list_instructions(actor: Actor, body_code: str, overdue_only: bool = False) -> list[dict]:
    _require_reader(actor, get_body(body_code))
    return instruction_rows(body_code, overdue_only=overdue_only)


def complete_instruction(actor: Actor, instruction_id: int, note: str = "") -> Instruction:
    with UnitOfWork(actor) as uow:
        ins = db.session.get(Instruction, instruction_id)
        if ins is None:
            raise NotFound("instruction not found")
        body = ins.body
        _require_secretary(actor, body)
        if ins.status != "open":
            raise Conflict("the instruction is not open")
        ins.status = "done"
        ins.done_at = clock.now()
        ins.done_note = (note or "").strip() or None
        uow.record(
            "council_instruction_done", payload={"instruction_id": ins.id, "body": body.code, "note": ins.done_note}
        )
        uow.commit()
    return ins
