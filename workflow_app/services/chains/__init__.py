"""The roadmap chains (bpmn/kcp_*.bpmn, professions_*.bpmn, investor_case.bpmn): start rules and operations.

Start hooks (run by instances.start_instance, so the REST API and the web UI obey them):
- ``kcp_campaign`` / ``professions_cycle``: one per year (cycle key = the year), business key from config;
- ``kcp_request``: a college submits only while the campaign of its year accepts requests (its task
  «Закрыть приём заявок» is open); the request becomes a child of the campaign (parent_id), one per college;
- ``professions_proposal``: the same for sector departments and employment centres;
- ``investor_case``: an investor, or a ДИ manager on an investor's behalf, at any time.

Service-task operations (``spiffworkflow:serviceTaskOperator id=...``), each inside the command's unit of work:
``collect_kcp_requests``, ``deliver_kcp_decision``, ``publish_kcp``, ``collect_profession_proposals``,
``deliver_professions_decision``, ``publish_professions``, ``publish_investment``, ``start_followups``, ``remind``.
Names, act types and signatories come from ``bpmn/chains.json`` (configuration, not code).
"""

import json
from functools import lru_cache
from pathlib import Path

import flask_babel
from flask import current_app, has_app_context
from sqlalchemy import func, select

from ...dates import ru_datetime
from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Organisation, ProcessInstance
from .. import case_numbers, instances, notifications, organisations
from ..errors import Conflict, Forbidden, Invalid
from ..operations import START_HOOKS, UNSET, operation


def _(msgid, **variables):
    try:
        return flask_babel.gettext(msgid, **variables)
    except (KeyError, RuntimeError):
        return msgid % variables if variables else msgid


@lru_cache(maxsize=4)
def _read_config(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def config() -> dict:
    default = Path(__file__).resolve().parents[2] / "bpmn" / "chains.json"
    if has_app_context():
        path = current_app.config.get("CHAINS_CONFIG") or Path(current_app.config["BPMN_DIR"]) / "chains.json"
        if Path(path).exists():
            default = Path(path)
    return _read_config(str(default))


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("The year is required"), fields={"year": _("a year such as 2027")}) from None
    if not 2000 <= year <= 2100:
        raise Invalid(_("The year is out of range"), fields={"year": _("a year such as 2027")})
    return year


def _org(org_id) -> Organisation | None:
    return db.session.get(Organisation, org_id) if org_id is not None else None


def _open_cycle(process_id: str, year: int, intake_task: str = "close_intake") -> ProcessInstance | None:
    """The running cycle instance of ``year`` whose intake is still open (its intake task is open)."""
    return db.session.execute(
        select(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.cycle_key == str(year),
            ProcessInstance.status == "running",
            HumanTask.task_def == intake_task,
            HumanTask.status == "open",
        )
        .limit(1)
    ).scalar_one_or_none()


def _the_only_open_year(process_id: str) -> int | None:
    keys = (
        db.session.execute(
            select(ProcessInstance.cycle_key)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status == "running",
                HumanTask.task_def == "close_intake",
                HumanTask.status == "open",
            )
        )
        .scalars()
        .all()
    )
    keys = sorted({k for k in keys if k})
    return int(keys[0]) if len(keys) == 1 else None


def _running_with_key(process_id: str, business_key: str) -> bool:
    return (
        db.session.execute(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.business_key == business_key,
                ProcessInstance.status == "running",
            )
            .limit(1)
        ).first()
        is not None
    )


# --- start hooks ---------------------------------------------------------------------------------------


def _cycle_hook(section: str):
    def hook(uow, actor, req):
        cfg = config()
        year = _year(req.data.get("year", req.cycle_key))
        req.data["year"] = year
        req.cycle_key = req.cycle_key or str(year)
        req.business_key = req.business_key or cfg[section]["business_key"].format(year=year)
        req.title = req.title or cfg[section].get("campaign_title", cfg[section].get("cycle_title", "")).format(
            year=year
        )
        req.data.setdefault("act_type", cfg["act_type"])
        req.data.setdefault("signatory", cfg["signatory"])
        if section == "kcp":
            kcp.campaign_data(req.data, year)
        if section == "professions":
            req.data.setdefault("effective_date", cfg["professions"]["effective_date"].format(year=year))

    return hook


def _kcp_request_hook(uow, actor, req):
    cfg = config()["kcp"]
    org = _org(req.initiator_org_id if req.initiator_org_id is not UNSET else actor.org_id)
    if not ("college_officer" in actor.groups or actor.is_admin or actor.is_system) or org is None:
        raise Forbidden(_("Only a college's staff may submit a request"))
    year = req.data.get("year") or _the_only_open_year("kcp_campaign")
    if year is None:
        raise Conflict(_("No campaign for changes to admission quotas is accepting requests now"))
    year = _year(year)
    campaign = _open_cycle("kcp_campaign", year)
    if campaign is None:
        raise Conflict(_("The campaign for admission quotas %(year)s is not accepting requests", year=year))
    req.data["year"] = year
    req.data["queued_for"] = None
    kcp.prefill_request(req.data, year, org)
    kcp.founder_data(req.data, org)
    req.parent = req.parent or campaign
    req.business_key = cfg["request_business_key"].format(year=year, org=case_numbers.org_part(org))
    req.title = req.title or cfg["request_title"].format(year=year, org_name=org.name)
    if _running_with_key("kcp_request", req.business_key):
        raise Conflict(_("Your organisation already has a request in this campaign: %(key)s", key=req.business_key))


def _proposal_hook(uow, actor, req):
    cfg = config()["professions"]
    groups = set(actor.groups)
    if not (groups & {"sector_officer", "employment_centre"} or actor.is_admin or actor.is_system):
        raise Forbidden(_("Only sector departments and employment centres submit proposals"))
    req.data["proposer_kind"] = (
        "employment_centre" if ("employment_centre" in groups and "sector_officer" not in groups) else "sector"
    )
    org = _org(actor.org_id)
    year = req.data.get("year") or _the_only_open_year("professions_cycle")
    if year is None:
        raise Conflict(_("No call for proposals to the professions list is open now"))
    year = _year(year)
    cycle = _open_cycle("professions_cycle", year)
    if cycle is None:
        raise Conflict(_("The call for proposals to the professions list %(year)s is not open", year=year))
    req.data["year"] = year
    req.data["queued_for"] = None
    req.parent = req.parent or cycle
    code = case_numbers.org_part(org) if org is not None else case_numbers.cyrillic(actor.username)
    req.business_key = cfg["proposal_business_key"].format(year=year, org=code)
    req.title = req.title or cfg["proposal_title"].format(year=year, org_name=org.name if org else actor.username)
    if _running_with_key("professions_proposal", req.business_key):
        raise Conflict(_("Your organisation already has proposals in this cycle: %(key)s", key=req.business_key))
    req.check_permission = False  # checked above: two groups may submit


def _investor_hook(uow, actor, req):
    cfg = config()["investment"]
    groups = set(actor.groups)
    if "investor" in groups:
        org = _org(actor.org_id)
        named = req.data.pop("investor_org_code", None)
        if named not in (None, "") and (org is None or named != org.code):
            raise Invalid(
                _("An investor starts a case only for its own company"),
                fields={"investor_org_code": _("the code of your organisation")},
            )
    elif groups & {"di_officer", "di_head"} or actor.is_admin or actor.is_system:
        code = req.data.pop("investor_org_code", None)
        org = db.session.execute(select(Organisation).where(Organisation.code == str(code or ""))).scalar_one_or_none()
        if org is None or org.kind != "investor":
            raise Invalid(
                _("Name the investor the case is started for"),
                fields={"investor_org_code": _("the code of an investor organisation")},
            )
        req.initiator_org_id = org.id
    else:
        raise Forbidden(_("Only an investor or the Department of Investments starts a staffing case"))
    if org is None:
        raise Forbidden(_("Only an investor or the Department of Investments starts a staffing case"))
    n = (
        db.session.execute(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.process_id == "investor_case", ProcessInstance.initiator_org_id == org.id
            )
        ).scalar_one()
        + 1
    )
    # the investor's identifying data comes from its registry record, never from what its user types
    registry = organisations.identity(org.id)
    req.data.update(investor_name=registry["name"], investor_inn=registry["inn"], investor_ogrn=registry["ogrn"])
    req.business_key = cfg["case_business_key"].format(org=case_numbers.org_part(org), n=n)
    req.title = req.title or cfg["case_title"].format(project=req.data.get("project_name") or req.business_key)
    req.check_permission = False  # checked above


START_HOOKS.update(
    {
        "kcp_campaign": _cycle_hook("kcp"),
        "professions_cycle": _cycle_hook("professions"),
        "kcp_request": _kcp_request_hook,
        "professions_proposal": _proposal_hook,
        "investor_case": _investor_hook,
    }
)


# --- helpers for operations ------------------------------------------------------------------------------


def _waiting_children(process_id: str, key_prefix: str, message: str) -> list[ProcessInstance]:
    rows = (
        db.session.execute(
            select(ProcessInstance)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status == "running",
                ProcessInstance.business_key.like(key_prefix + "%"),
            )
            .order_by(ProcessInstance.business_key, ProcessInstance.id)
        )
        .scalars()
        .all()
    )
    return [r for r in rows if message in (r.waiting_messages or [])]


def _submitted(instance: ProcessInstance) -> dict:
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


def _deliver(ctx, child: ProcessInstance, message: str, payload: dict):
    instances.advance(
        ctx.uow,
        child,
        ctx.actor,
        lambda li: li.deliver(message, payload),
        audit_kind="message_delivered",
        audit_payload={"message": message, "payload": payload, "from_instance_id": ctx.instance.id},
    )


# --- shared -----------------------------------------------------------------------------------------------


@operation("remind")
def remind(ctx, params, data):
    """A late step: the head of the responsible group is reminded (audit event + in-app/e-mail notice)."""
    group = str(params.get("group") or "")
    about = str(params.get("about") or "")
    org_code = params.get("org")  # only that organisation's members of the group (the ПОО's founder department)
    org_id = (
        db.session.execute(select(Organisation.id).where(Organisation.code == str(org_code))).scalar()
        if org_code
        else None
    )
    task = db.session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == ctx.instance.id, HumanTask.task_def == about, HumanTask.status == "open")
        .limit(1)
    ).scalar_one_or_none()
    ctx.uow.record(
        "reminder",
        instance=ctx.instance,
        task_id=task.id if task else None,
        payload={
            "group": group,
            "org": org_code or None,
            "task": about,
            "name": task.name if task else None,
            "due_at": task.due_at.isoformat() if task and task.due_at else None,
        },
    )
    name = task.name if task else ctx.instance.title
    key = f" ({ctx.instance.business_key})" if ctx.instance.business_key else ""
    notifications.queue(
        ctx.uow,
        notifications.members_of(group, org_id),
        "reminder",
        f"Просрочено: {name}",
        f"Срок задачи «{name}» по делу «{ctx.instance.title}»{key}"
        f"{' — ' + ru_datetime(task.due_at) if task and task.due_at else ''} истёк.\n",
        instance_id=ctx.instance.id,
    )
    return {"group": group, "task": about, "at": clock.now().isoformat()}


from . import investment, kcp, professions  # noqa: E402,F401  (they register their operations)
