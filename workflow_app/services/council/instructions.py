"""Instructions (поручения) given by decisions of signed protocols: tracked records with an executor, a due date,
a status and the executor's report.

Statuses: ``draft`` (in a decision of an unsigned protocol: not yet an instruction), ``open`` (given by a signed
protocol, the executor works on it), ``reported`` (the executor reported; the secretary accepts or returns the
report), ``done`` (accepted). An open instruction past its due date (Asia/Tomsk) is *overdue*.

Read queries (``counts_by_status``, ``instruction_rows``) take no actor: callers check who may read first
(the monitoring dashboard, the body's pages).
"""

from collections import Counter
from datetime import date

from sqlalchemy import and_, case, func, select

from ...engine import clock
from ...extensions import db
from ...models import AgendaItem, Decision, Instruction, Membership, Organisation, Protocol, User
from ...roles import GROUP_HEADS
from ..cases import advance
from ..cases.operations import START_HOOKS, operation
from ..errors import BadRequest, Conflict, Invalid, NotFound
from ..people.actors import Actor
from ..uow import UnitOfWork
from .seats import BODY_GROUP_PREFIX, _require_reader, _require_secretary, get_body, meeting_day

PROCESS_ID = "council_instruction"
NOT_EXECUTING = {"admin", "auditor", *GROUP_HEADS.values()}  # groups that never take a department's task
BODY_ABBREVIATION = {"coordination_council": "КС", "expert_council": "ЭС", "working_group": "РГ"}

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
        "executor_org": i.executor_org.code if i.executor_org is not None else None,
        "report": i.report,
        "reported_at": i.reported_at.isoformat() if i.reported_at else None,
        "done_at": i.done_at.isoformat() if i.done_at else None,
        "done_note": i.done_note,
        "instance_id": i.instance_id,
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
    """The secretary marks an instruction without an executor's task done (one given before instructions
    became tasks); a tracked one is closed by accepting the executor's report in the inbox."""
    with UnitOfWork(actor) as uow:
        ins = db.session.get(Instruction, instruction_id)
        if ins is None:
            raise NotFound("instruction not found")
        body = ins.body
        _require_secretary(actor, body)
        if ins.instance_id is not None:
            raise Conflict(
                "the executor reports on this instruction through their task; accept the report in your inbox"
            )
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


# --- the executor, and the instruction's task -------------------------------------------------------------


def resolve_executor(raw: dict) -> tuple[str, int | None, int | None]:
    """(executor as printed in the protocol, person id, department id) of an instruction: a person (``executor_user_id`` or
    ``executor_username``) or an organisation of the registry (``executor_org``: its code; or ``executor``: its
    code, short name or name, or a user name). Raises Invalid naming the field when nobody can be found."""
    user = None
    if raw.get("executor_user_id") is not None:
        uid = raw["executor_user_id"]
        user = db.session.get(User, uid) if isinstance(uid, int) and not isinstance(uid, bool) else None
        if user is None:
            raise Invalid("unknown user", fields={"executor_user_id": "unknown user"})
    elif raw.get("executor_username"):
        user = db.session.execute(select(User).where(User.username == str(raw["executor_username"]))).scalar()
        if user is None:
            raise Invalid("unknown user", fields={"executor_username": "unknown user"})
    org = None
    text = str(raw.get("executor") or "").strip()
    if user is None:
        key = str(raw.get("executor_org") or text).strip()
        org = db.session.execute(
            select(Organisation).where(
                func.lower(Organisation.code) == key.lower()
                if raw.get("executor_org")
                else (func.lower(Organisation.code) == key.lower())
                | (Organisation.short_name == key)
                | (Organisation.name == key)
            )
        ).scalar()
        if org is None and not raw.get("executor_org") and key:
            user = db.session.execute(select(User).where(User.username == key)).scalar()
        if org is None and user is None:
            raise Invalid(
                "name the executor: a department of the registry or a person (user name)",
                fields={"executor": "a department of the registry or a person"},
            )
    if user is not None:
        if not user.active:
            raise Invalid("the executor's account is deactivated", fields={"executor": "deactivated"})
        if user.organisation_id is None:
            raise Invalid("the executor belongs to no organisation", fields={"executor": "no organisation"})
        return user.display_name[:300], user.id, None  # the protocol names the person, never a login
    assert org is not None
    _department_group(org)  # a department without officers cannot execute anything: refused now, not at signing
    return org.name[:300], None, org.id  # the registry's full name, however the secretary named it


def _department_group(org: Organisation) -> str:
    """The group of the department's officers (the one most of its active people hold, heads aside)."""
    held = Counter(
        db.session.execute(
            select(Membership.group_id)
            .join(User, User.id == Membership.user_id)
            .where(User.organisation_id == org.id, User.active.is_(True))
        ).scalars()
    )
    groups = sorted(
        (g for g in held if g not in NOT_EXECUTING and g[:3] not in ("cc_", "ec_", "wg_")), key=lambda g: (-held[g], g)
    )
    if not groups:
        raise Invalid(
            "nobody in %(org)s can execute an instruction (no officers)",
            fields={"executor": "no officers"},
            org=org.name,
        )
    return groups[0]


def _route(ins: Instruction) -> dict:
    user = ins.executor_user
    if user is not None:
        groups = sorted(m.group_id for m in user.memberships) or ["investor"]
        org = db.session.get(Organisation, user.organisation_id) if user.organisation_id is not None else None
        if org is None:
            raise Invalid("the executor belongs to no organisation", fields={"executor": "no organisation"})
        return {"executor_group": groups[0], "executor_org": org.code, "executor_username": user.username}
    department = ins.executor_org
    if department is None:
        raise Invalid(
            "name the executor: a department of the registry or a person (user name)",
            fields={"executor": "a department of the registry or a person"},
        )
    return {"executor_group": _department_group(department), "executor_org": department.code, "executor_username": ""}


def start_tracking(uow, actor: Actor, ins: Instruction, protocol: Protocol, item: AgendaItem, number: int) -> None:
    """When the protocol is signed: the instruction becomes the executor's task (process council_instruction),
    due on its deadline; the body's secretary accepts the report."""
    day = meeting_day(protocol.meeting)
    ref = f"протокол от {day:%d.%m.%Y} № {protocol.number}, вопрос {item.position}"
    abbreviation = BODY_ABBREVIATION.get(ins.body.code, ins.body.code)
    key = f"Поручение-{protocol.year}/{abbreviation}-{protocol.number}.{item.position}.{number}.{ins.id}"
    data = {
        "instruction_id": ins.id,
        "text": ins.text,
        "deadline": ins.deadline.isoformat(),
        "protocol_ref": ref,
        "executor": ins.executor,
        "body": ins.body.code,
        "secretary_group": f"{BODY_GROUP_PREFIX.get(ins.body.code, 'cc')}_secretary",
        **_route(ins),
    }
    instance = advance.start_instance(
        uow,
        actor,
        PROCESS_ID,
        data,
        business_key=key,
        title=f"Поручение ({ref}): {ins.text}"[:300],
        check_permission=False,
        run_hooks=False,
    )
    ins.instance_id = instance.id


@operation("council_instruction_status")
def _set_status(ctx, params, data):
    """The instruction's record follows its process: reported, returned to the executor, done."""
    ins = db.session.get(Instruction, data.get("instruction_id"))
    status = params.get("status")
    if ins is None or status not in ("open", "reported", "done"):
        raise Invalid("the instruction of this case is not found", fields={"instruction_id": "unknown"})
    now = clock.now()
    ins.status = status
    if status == "reported":
        ins.report, ins.reported_at = str(data.get("report") or ""), now
    elif status == "done":
        ins.done_at, ins.done_note = now, (str(data.get("comment") or "").strip() or None)
    ctx.uow.record(
        "council_instruction_status",
        instance=ctx.instance,
        payload={"instruction_id": ins.id, "body": ins.body.code, "status": status},
    )
    return status


def _refuse_direct_start(uow, actor, req):
    raise BadRequest("an instruction is given by a decision of a signed protocol, not started by hand")


START_HOOKS[PROCESS_ID] = _refuse_direct_start
