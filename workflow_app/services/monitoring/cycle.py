"""The half-yearly monitoring of the roadmap (13.3, footnote 3): the ``roadmap_monitoring`` process, started by the
scheduler in June and December (cycle ``roadmap_monitoring``), calls the operations below.

1. ``open_monitoring_reports``: one data call (template ``roadmap_report``) with an answer task for every executor
   of an open item (``executor_targets``): an organisation through its officials, an official or a body through
   the organisations of those who hold the group, and a group the act names — ПОО, отраслевые департаменты,
   работодатели — through each of its organisations (``collective_executors`` of ``bpmn/monitoring.json``);
   each answer pre-filled with that organisation's items; the Координатор owns the call, chases the late and
   completes it. The executors nobody in the system can answer for are named in the report.
2. ``consolidate_monitoring``: when the call completes, the answers per item (and the items nobody reported on)
   become the report's table, which the Координатор analyses, proposing corrections of items.
3. The Координационный совет decides at a meeting (a ``collegialBody`` task closed by the signed protocol).
4. ``apply_roadmap_corrections``: on approval each proposed change is written to its item with the protocol's
   reference (``roadmap.changes.change_in``, source ``council``), and the protocol and the call become evidence of 13.3.
"""

from sqlalchemy import select

from ...extensions import db
from ...models import (
    DataCall,
    Membership,
    Organisation,
    ProcessInstance,
    Protocol,
    RoadmapExecutor,
    RoadmapItem,
    User,
)
from ...roles import BODY_SECRETARY, GROUP_HEADS
from .. import spreadsheets
from ..cases import advance
from ..cases.operations import operation
from ..datacalls import open_in, templates
from ..errors import Invalid, NotFound
from ..roadmap import changes, queries
from .dashboard import config, require_viewer

PROCESS_ID = "roadmap_monitoring"
TEMPLATE = "roadmap_report"
MONITORING_ITEM = "13.3"
REPORT_STATUSES = ("planned", "in_progress", "done", "not_done")


def half_of(data: dict) -> tuple[int, int]:
    """(year, half) of the cycle: June → the first half, December → the second."""
    year = int(str(data.get("year") or 0) or 0)
    month = int(str(data.get("month") or 12) or 12)
    return year, 1 if month <= 6 else 2


def _reporting_group(org: Organisation, preference: list[str]) -> str | None:
    """The group whose active members answer for ``org`` (the first of ``preference`` that has one)."""
    groups = set(
        db.session.execute(
            select(Membership.group_id)
            .join(User, User.id == Membership.user_id)
            .where(User.organisation_id == org.id, User.active.is_(True))
        ).scalars()
    )
    return next((g for g in preference if g in groups), None)


def open_items() -> list[RoadmapItem]:
    return list(
        db.session.execute(
            select(RoadmapItem).where(RoadmapItem.status.in_(("planned", "in_progress"))).order_by(RoadmapItem.position)
        ).scalars()
    )


def _row(item: RoadmapItem) -> dict:
    status = item.status if item.status in REPORT_STATUSES else "in_progress"
    return {"number": item.number, "title": item.title, "status": status, "done": ""}


def _target(org: Organisation, group: str) -> dict:
    return {"org_id": org.id, "group": group, "head_group": GROUP_HEADS.get(group), "name": org.name}


def _organisations_of(group: str) -> list[Organisation]:
    """The active organisations where someone active holds ``group``."""
    return list(
        db.session.execute(
            select(Organisation)
            .where(
                Organisation.active.is_(True),
                Organisation.id.in_(
                    select(User.organisation_id)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.group_id == group, User.active.is_(True))
                ),
            )
            .order_by(Organisation.name)
        ).scalars()
    )


def _collective_rule(name: str, rules: list[dict]) -> dict | None:
    """The rule of ``bpmn/monitoring.json`` for an executor the act names as a group (ПОО, отраслевые
    департаменты, работодатели…): the first whose name begins the executor's (letter case aside)."""
    low = name.strip().lower()
    return next((r for r in rules if any(low.startswith(p.lower()) for p in r["names"])), None)


def executor_targets(executor: RoadmapExecutor, settings: dict) -> list[dict]:
    """Who answers for one executor of an item: [{org_id, group, head_group, name}], empty when nobody can.

    An organisation of the registry answers through its officials (the first group of ``reporting_groups``
    it has); an official (``role``) or a collegial body (its secretary) through the organisations of those
    who hold that group; a group the act names (ПОО, отраслевые департаменты, работодатели…) by the rule
    of ``collective_executors``: every organisation of a data-call recipient kind, or the department that
    answers for the group."""
    preference = list(settings["reporting_groups"])
    org = executor.organisation
    if org is not None:
        group = _reporting_group(org, preference) if org.active else None
        return [_target(org, group)] if group else []
    if executor.role or executor.body:
        group = executor.role or BODY_SECRETARY.get(executor.body or "")
        return [_target(o, group) for o in _organisations_of(group)] if group else []
    rule = _collective_rule(executor.name, settings.get("collective_executors", []))
    if rule is None:
        return []
    if rule.get("recipients"):
        return templates.resolve_recipients([rule["recipients"]])
    answering = db.session.execute(
        select(Organisation).where(Organisation.code == rule.get("organisation"), Organisation.active.is_(True))
    ).scalar_one_or_none()
    group = _reporting_group(answering, preference) if answering is not None else None
    return [_target(answering, group)] if answering is not None and group else []


@operation("open_monitoring_reports")
def open_reports(ctx, params, data):
    """The data call to every executor of an open item — each organisation of a group the act names too —
    each answer task pre-filled with that organisation's items; the executors nobody can answer for are
    returned (``not_asked``) and named in the report."""
    settings = config()["cycle"]
    year, half = half_of(data)
    by_org: dict[int, list[RoadmapItem]] = {}
    targets: dict[int, dict] = {}
    not_asked = []
    for item in open_items():
        for e in item.executors:
            found = executor_targets(e, settings)
            if not found:
                not_asked.append({"number": item.number, "executor": e.name})
            for t in found:
                targets.setdefault(t["org_id"], t)  # one answer per organisation, by the group found first
                items = by_org.setdefault(t["org_id"], [])
                if item not in items:
                    items.append(item)
    if not targets:
        raise Invalid("no executor of an open roadmap item has anyone to report")
    title = settings["call_title"].format(half=settings["halves"][half - 1], year=year)
    call = open_in(
        ctx.uow,
        ctx.actor,
        TEMPLATE,
        year=year,
        title=title,
        targets=sorted(targets.values(), key=lambda t: t["name"]),
        deadline=int(settings.get("report_working_days", 10)),
        parent=ctx.instance,
    )
    for rec in call.recipients:
        rec.draft = {"rows": [_row(item) for item in by_org[rec.org_id]]}
    return {"call_id": call.id, "recipients": len(call.recipients), "not_asked": not_asked}


@operation("consolidate_monitoring")
def consolidate(ctx, params, data):
    """The report's table: each executor's answer per item, then the open items nobody reported on."""
    call = db.session.get(DataCall, int((data.get("reports_call") or {}).get("call_id") or 0))
    if call is None:
        raise Invalid("the monitoring data call is missing")
    names = {o.id: o.name for o in db.session.execute(select(Organisation)).scalars()}
    status_prop = call.form["properties"]["rows"]["items"]["properties"]["status"]
    labels = dict(zip(status_prop["enum"], status_prop["x-ui"]["enumNames"], strict=True))  # as the form shows them
    rows, reported = [], set()
    for rec in sorted(call.recipients, key=lambda r: names.get(r.org_id, "")):
        for line in (rec.answer or {}).get("rows") or []:
            reported.add(line["number"])
            rows.append(
                {
                    "number": line["number"],
                    "title": line.get("title", ""),
                    "executor": names.get(rec.org_id, ""),
                    "status": labels.get(line.get("status"), line.get("status", "")),
                    "done": line.get("done", ""),
                    "problems": line.get("problems", ""),
                    "proposal": line.get("proposal", ""),
                }
            )
    settings = config()["cycle"]
    titles = {item.number: item.title for item in open_items()}
    for line in (data.get("reports_call") or {}).get("not_asked") or []:
        rows.append(
            {
                "number": line["number"],
                "title": titles.get(line["number"], ""),
                "executor": line["executor"],
                "status": settings["not_asked"],
                "done": "",
                "problems": "",
                "proposal": "",
            }
        )
    missing = settings["no_report"]
    for item in open_items():
        if item.number not in reported:
            rows.append(
                {
                    "number": item.number,
                    "title": item.title,
                    "executor": ", ".join(e.name for e in item.executors),
                    "status": missing,
                    "done": "",
                    "problems": "",
                    "proposal": "",
                }
            )
    rows.sort(key=lambda r: queries.sort_key(r["number"]))
    return rows


@operation("apply_roadmap_corrections")
def apply_corrections(ctx, params, data):
    """The council approved: each proposed change of an item is written with the protocol's reference; the
    protocol and the data call become evidence of item 13.3."""
    ref = data.get("protocol") or {}
    protocol = db.session.get(Protocol, ref.get("protocol_id")) if ref.get("protocol_id") else None
    protocol_ref = data.get("protocol_ref") or (
        f"протокол № {ref.get('number')}, вопрос {ref.get('question')}" if ref else ""
    )
    applied = []
    for row in data.get("corrections") or []:
        item = db.session.execute(select(RoadmapItem).where(RoadmapItem.number == row["number"])).scalar_one_or_none()
        if item is None:
            raise Invalid("roadmap item %(number)s not found", number=row["number"])
        fields = {k: row[k] for k in ("status", "deadline", "due_on") if row.get(k)}
        change = changes.change_in(
            ctx.uow,
            ctx.actor,
            item,
            fields,
            source="council",
            protocol=protocol,
            protocol_ref=protocol_ref,
            reason=row.get("note", ""),
        )
        if change is not None:
            applied.append(item.number)
    monitoring_item = db.session.execute(
        select(RoadmapItem).where(RoadmapItem.number == MONITORING_ITEM)
    ).scalar_one_or_none()
    if monitoring_item is not None:
        if protocol is not None:
            changes.add_evidence_in(ctx.uow, ctx.actor, monitoring_item, "protocol", protocol.id, protocol_ref)
        call_id = (data.get("reports_call") or {}).get("call_id")
        if call_id:
            changes.add_evidence_in(ctx.uow, ctx.actor, monitoring_item, "data_call", call_id)
        changes.add_evidence_in(ctx.uow, ctx.actor, monitoring_item, "case", ctx.instance.id)
    return {"applied": applied, "protocol_ref": protocol_ref}


def report_xlsx(actor, instance_id: int) -> tuple[str, bytes]:
    """The cycle's consolidated report (the executors' answers per item, the analysis, the corrections and the
    council's decision) as a workbook; for those who see the dashboard."""
    require_viewer(actor)
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("instance not found")
    if instance.process_id != PROCESS_ID:
        raise Invalid("not a roadmap monitoring cycle", fields={"instance_id": str(instance_id)})
    data = advance.instance_data(instance)
    headers = config()["cycle"]["report_headers"]
    sheets = [
        (
            headers["sheet_reports"],
            headers["reports"],
            [
                [r["number"], r["title"], r["executor"], r["status"], r["done"], r["problems"], r["proposal"]]
                for r in data.get("report_rows") or []
            ],
        ),
        (
            headers["sheet_corrections"],
            headers["corrections"],
            [
                [c.get("number"), c.get("status", ""), c.get("deadline", ""), c.get("due_on", ""), c.get("note", "")]
                for c in data.get("corrections") or []
            ],
        ),
        (
            headers["sheet_analysis"],
            [headers["analysis"]],
            [[data.get("analysis", "")], [data.get("protocol_ref", "")]],
        ),
    ]
    return f"{instance.business_key or instance.id}.xlsx".replace("/", "-"), spreadsheets.xlsx_book(sheets)
