"""Chain (a): changes of admission quotas (КЦП СПО), roadmap 6.3.

The КЦП table in force is data: the latest ``kcp`` publication of the admission year (the whole table,
every ПОО, programme, form of study and base, with the act that established it), or — before the first —
the table established by ``establish_table`` (``flask demo load`` seeds one). A campaign amends that act:
its order is «О внесении изменений в <act> от ДД.ММ.ГГГГ № N» and its publication is again the whole
table, the changed lines marked.

The intake window: ``close_kcp_intake`` closes every request of the campaign that was never signed and
sent (the ПОО gets a notice); ``pending_kcp_requests`` counts the submitted requests still without an
assessment, and the campaign waits for a ``kcp_assessed`` message from each (``report_to_campaign``, run by
the request after its assessment or rejection) before ``collect_kcp_requests`` builds the consolidation
from those assessments. A campaign with nothing to consider ends in ``record_kcp_no_changes``.

Kept whole: the operations follow the campaign's diagram from intake to publication and all read the table in
force defined at the top; the waiting for a later campaign is shared with the professions chain (``queues``).
"""

import re
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Organisation, ProcessInstance
from .. import documents, notifications, publication
from ..cases.operations import operation
from ..cases.reads import submitted_data
from ..errors import Conflict, Invalid
from . import queues
from .common import _, config, deliver, label_of, org_or_none, year_of

KCP_DECISION = "kcp_decision"
INTAKE_CLOSED = "kcp_intake_closed"
ASSESSED = "kcp_assessed"
FORM_OF_STUDY = {"full_time": "очная", "part_time": "очно-заочная", "extramural": "заочная"}
LEVEL = {"ppkrs": "ППКРС", "ppssz": "ППССЗ"}
BASE = {"9": "на базе основного общего образования", "11": "на базе среднего общего образования"}


# --- dates and the act in force --------------------------------------------------------------------------


def act_reference(act: dict) -> str:
    """«распоряжение Администрации Томской области от 22.05.2026 № 210-ра»."""
    return f"{act.get('act_type') or config()['act_type']} от {ru_date(act.get('date'))} № {act.get('number')}"


def order_title(act: dict) -> str:
    return config()["kcp"]["order_title"].format(act=act_reference(act))


def _key(row) -> tuple:
    return (row.get("college_code"), row.get("programme_code"), row.get("form_of_study_code"), row.get("base_code"))


def table_in_force(year: int) -> tuple[dict, list[dict]]:
    """(the act in force, its rows) for the admission year ``year``.

    Rows: college_code, college, level_code, programme_code, programme_name, form_of_study_code, base_code, kcp.
    """
    pub = publication.latest("kcp", str(year))
    if pub is not None:
        rows = [
            {
                "college_code": r.get("college_code"),
                "college": r.get("college"),
                "level_code": r.get("level_code"),
                "programme_code": r.get("programme_code"),
                "programme_name": r.get("programme_name"),
                "form_of_study_code": r.get("form_of_study_code"),
                "base_code": r.get("base_code"),
                "kcp": r.get("approved_kcp") or 0,
            }
            for r in pub.payload.get("rows", [])
        ]
        return dict(pub.payload.get("act") or {}), rows
    base = config()["kcp"].get("act_in_force") or {}
    act = {k: str(v).format(year=year) for k, v in base.items() if not k.startswith("_")}
    act.setdefault("act_type", config()["act_type"])
    return act, []


def _display_rows(rows: list[dict]) -> list[dict]:
    out = []

    def order(r):
        base = str(r.get("base_code") or "")
        return (r.get("college") or "", r.get("programme_code") or "", r.get("form_of_study_code") or "", base.zfill(3))

    for r in sorted(rows, key=order):
        previous = r.get("previous_kcp", r.get("kcp"))
        out.append(
            {
                "college": r.get("college"),
                "college_code": r.get("college_code"),
                "level": label_of(LEVEL, r.get("level_code")),
                "level_code": r.get("level_code"),
                "programme_code": r.get("programme_code"),
                "programme_name": r.get("programme_name"),
                "form_of_study": label_of(FORM_OF_STUDY, r.get("form_of_study_code")),
                "form_of_study_code": r.get("form_of_study_code"),
                "base": label_of(BASE, r.get("base_code")),
                "base_code": r.get("base_code"),
                "current_kcp": previous or 0,
                "approved_kcp": r.get("kcp") or 0,
                "delta": (r.get("kcp") or 0) - (previous or 0),
                "changed": bool(r.get("changed")),
                "changed_mark": "изменено" if r.get("changed") else "",
            }
        )
    return out


def establish_table(uow, year: int, act: dict, rows: list[dict], instance=None):
    """Record the КЦП table of ``year`` as established by ``act`` (before any campaign amends it)."""
    year = year_of(year)
    act = {"act_type": config()["act_type"], **act}
    payload = {"year": year, "act": act, "order": None, "rows": _display_rows(rows), "no_changes": False}
    return publication.publish(
        uow, "kcp", str(year), config()["kcp"]["publication_title"].format(year=year), payload, instance
    )


def _lines_in_force(year: int, college_code: str) -> list[dict]:
    _act, rows = table_in_force(year)
    return [
        {
            "level": r["level_code"],
            "programme_code": r["programme_code"],
            "programme_name": r["programme_name"],
            "form_of_study": r["form_of_study_code"],
            "base": r["base_code"],
            "current_kcp": r["kcp"],
            "requested_kcp": r["kcp"],
        }
        for r in rows
        if r["college_code"] == college_code
    ]


def prefill_request(data: dict, year: int, org) -> None:
    """A new request starts from the ПОО's lines of the table in force (current = requested = the act's figure)."""
    act, _rows = table_in_force(year)
    data.setdefault("lines", _lines_in_force(year, org.code))
    data["act_in_force"] = act_reference(act) if act.get("number") else ""


def founder_data(data: dict, org) -> None:
    """Who takes the founder's steps of the ПОО's request (formal check, assessment, their reminders): the ПОО's
    founder department from the organisations' registry (``kcp.founders.default`` where none is registered) and
    the groups it acts in (``kcp.founders.groups``; a founder not listed there acts as a sector department)."""
    cfg = config()["kcp"]["founders"]
    founder = (
        org.founder
        or db.session.execute(select(Organisation).where(Organisation.code == cfg["default"])).scalar_one_or_none()
    )
    if founder is None:
        raise Conflict(_("The ПОО %(name)s has no founder department in the registry", name=org.name))
    officer, head = cfg["groups"].get(founder.code, cfg["other"])
    data.update(founder_code=founder.code, founder_name=founder.name, founder_group=officer, founder_head_group=head)


def campaign_data(data: dict, year: int) -> None:
    """Start data of a campaign: the act it amends and the order's title."""
    act, _rows = table_in_force(year)
    data["act_in_force"] = act
    if act.get("number"):
        data.setdefault("act_title", order_title(act))


# --- the intake window ---------------------------------------------------------------------------------


def _requests(campaign_id: int) -> list[ProcessInstance]:
    return list(
        db.session.execute(
            select(ProcessInstance)
            .where(
                ProcessInstance.process_id == "kcp_request",
                ProcessInstance.parent_id == campaign_id,
                ProcessInstance.status == "running",
            )
            .order_by(ProcessInstance.business_key, ProcessInstance.id)
        ).scalars()
    )


def _was_submitted(request: ProcessInstance) -> bool:
    """Signed and sent by its director at least once (a return for revision keeps it submitted)."""
    rows = db.session.execute(
        select(HumanTask.submitted).where(
            HumanTask.instance_id == request.id, HumanTask.task_def == "sign_request", HumanTask.status == "completed"
        )
    ).scalars()
    return any((s or {}).get("decision") == "sign" for s in rows)


def _notify_org(ctx, request: ProcessInstance, subject: str, body: str) -> None:
    """An in-app notice (and e-mail) to the ПОО's officers and director, written in this command."""
    people = notifications.members_of("college_officer", request.initiator_org_id) + notifications.members_of(
        "college_director", request.initiator_org_id
    )
    notifications.queue(ctx.uow, people, "notice", subject, body, instance_id=request.id)


@operation("close_kcp_intake")
def close_kcp_intake(ctx, params, data):
    """The intake closes: every request of the campaign never signed and sent is closed with a notice."""
    closed = []
    when = ru_date(clock.now())
    for request in _requests(ctx.instance.id):
        if _was_submitted(request) or INTAKE_CLOSED not in (request.waiting_messages or []):
            continue
        text = _(
            "The intake of requests of the campaign %(campaign)s closed on %(date)s; your request %(key)s"
            " was not signed and sent by then and is closed without consideration.",
            campaign=ctx.instance.business_key,
            date=when,
            key=request.business_key,
        )
        deliver(ctx, request, INTAKE_CLOSED, {"closed_on": when, "notice": text})
        ctx.uow.record("notice", instance=request, payload={"to_org_id": request.initiator_org_id, "text": text})
        _notify_org(ctx, request, _("Request closed"), text)
        closed.append(request.business_key)
    return {"closed": closed, "closed_on": when}


@operation("pending_kcp_requests")
def pending_kcp_requests(ctx, params, data):
    """Submitted requests of the campaign still without their assessment (the consolidation waits for them)."""
    just_reported = (data.get("kcp_assessed") or {}).get("instance_id")
    pending = [
        r.business_key
        for r in _requests(ctx.instance.id)
        if r.id != just_reported and KCP_DECISION not in (r.waiting_messages or [])
    ]
    return {"count": len(pending), "keys": pending}


@operation("report_to_campaign")
def report_to_campaign(ctx, params, data):
    """A request has its assessment (or was rejected): tell its campaign if the campaign waits for it."""
    request = ctx.instance
    campaign = db.session.get(ProcessInstance, request.parent_id) if request.parent_id else None
    if campaign is None or campaign.process_id != "kcp_campaign" or campaign.status != "running":
        return {"reported": False}
    if ASSESSED not in (campaign.waiting_messages or []):
        return {"reported": False}
    payload = {
        "instance_id": request.id,
        "business_key": request.business_key,
        "outcome": params.get("outcome"),
        # this request's state is saved only after this step: the campaign reads the assessment from here
        "request": {k: data.get(k) for k in ("lines", "line_opinions", "opinion")},
    }
    deliver(ctx, campaign, ASSESSED, payload)
    return {"reported": True}


# --- consolidation ---------------------------------------------------------------------------------------


@operation("collect_kcp_requests")
def collect_kcp_requests(ctx, params, data):
    """The consolidation's material: every assessed request of the campaign with its lines and totals; the
    current figures are the act's, whatever the ПОО typed."""
    year = year_of(data.get("year"))
    _act, rows = table_in_force(year)
    in_force = {_key(r): r["kcp"] for r in rows}
    requests: list[dict] = []
    lines: list[dict] = []
    just = data.get("kcp_assessed") or {}
    for child in _requests(ctx.instance.id):
        if child.id == just.get("instance_id"):  # reported in this very command, not saved yet
            if just.get("outcome") != "assessed":
                continue
            d = just.get("request") or {}
        elif KCP_DECISION not in (child.waiting_messages or []):
            continue
        else:
            d = submitted_data(child)
        org = org_or_none(child.initiator_org_id)
        proposed = {
            (lo.get("programme_code"), lo.get("form_of_study")): lo.get("proposed_kcp")
            for lo in d.get("line_opinions") or []
        }
        own: list[dict] = []
        for line in d.get("lines") or []:
            proposal = proposed.get(
                (line.get("programme_code"), line.get("form_of_study")),
                proposed.get((line.get("programme_code"), None)),
            )
            key = (org.code if org else "", line.get("programme_code"), line.get("form_of_study"), line.get("base"))
            current = in_force.get(key, 0)
            own.append(
                {
                    "business_key": child.business_key,
                    "college": org.name if org else "",
                    "college_code": org.code if org else "",
                    "level": line.get("level"),
                    "programme_code": line.get("programme_code"),
                    "programme_name": line.get("programme_name"),
                    "form_of_study": line.get("form_of_study"),
                    "base": line.get("base"),
                    "current_kcp": current,
                    "requested_kcp": line.get("requested_kcp"),
                    "proposed_kcp": proposal if proposal is not None else line.get("requested_kcp"),
                }
            )
        lines += own
        requests.append(
            {
                "instance_id": child.id,
                "business_key": child.business_key,
                "college": org.name if org else "",
                "opinion": d.get("opinion"),
                "lines": len(own),
                "current": sum(x["current_kcp"] or 0 for x in own),
                "requested": sum(x["requested_kcp"] or 0 for x in own),
                "proposed": sum(x["proposed_kcp"] or 0 for x in own),
            }
        )
    totals = {
        "requests": len(requests),
        "lines": len(lines),
        "current": sum(r["current"] for r in requests),
        "requested": sum(r["requested"] for r in requests),
        "proposed": sum(r["proposed"] for r in requests),
    }
    totals["delta"] = totals["proposed"] - totals["current"]
    return {
        "count": len(requests),
        "requests": requests,
        "ids": [r["instance_id"] for r in requests],
        "lines": lines,
        "totals": totals,
    }


def _line_key(business_key, line):
    return (business_key, line.get("programme_code"), line.get("form_of_study"))


def _approved_kcp_lines(data) -> list[dict]:
    collected = data.get("kcp_requests") or {}
    adjust = {_line_key(a.get("business_key"), a): a.get("proposed_kcp") for a in data.get("adjustments") or []}
    changes = {_line_key(c.get("business_key"), c): c.get("approved_kcp") for c in data.get("changes") or []}
    out = []
    for line in collected.get("lines", []):
        key = _line_key(line["business_key"], line)
        approved = changes.get(key, adjust.get(key, line.get("proposed_kcp")))
        out.append({**line, "approved_kcp": approved})
    return out


def _check_order_number(number) -> str:
    suffix = config().get("order_number_suffix", "")
    pattern = r"^\d+" + re.escape(suffix) + "$"
    if not isinstance(number, str) or not re.match(pattern, number):
        raise Invalid(
            _("The act number is not in the form of the region's acts"),
            fields={"order_number": _("a number such as %(example)s", example="123" + suffix)},
        )
    return number


@operation("publish_kcp")
def publish_kcp(ctx, params, data):
    """The whole КЦП table in force after the change, the changed lines marked, with the amending order."""
    cfg = config()
    year = year_of(data.get("year"))
    order_number = _check_order_number(data.get("order_number"))
    act, rows = table_in_force(year)
    table = {_key(r): dict(r) for r in rows}
    for line in _approved_kcp_lines(data):
        key = (line["college_code"], line["programme_code"], line.get("form_of_study"), line.get("base"))
        row = table.get(key)
        if row is None:
            row = table[key] = {
                "college_code": line["college_code"],
                "college": line["college"],
                "level_code": line.get("level"),
                "programme_code": line["programme_code"],
                "programme_name": line["programme_name"],
                "form_of_study_code": line.get("form_of_study"),
                "base_code": line.get("base"),
                "kcp": 0,
            }
        approved = line["approved_kcp"] if line["approved_kcp"] is not None else row["kcp"]
        if approved != row["kcp"]:
            row.update(previous_kcp=row["kcp"], kcp=approved, changed=True)
    order = {
        "act_type": data.get("act_type") or cfg["act_type"],
        "title": data.get("act_title") or (order_title(act) if act.get("number") else ""),
        "number": order_number,
        "date": data.get("order_date"),
        "signatory": data.get("signatory") or cfg["signatory"],
    }
    payload: dict[str, Any] = {"year": year, "act": act, "order": order, "rows": _display_rows(list(table.values()))}
    payload["no_changes"] = not any(r["changed"] for r in payload["rows"])
    documents.fix_registered_order(ctx.uow, ctx.actor, ctx.instance, data)  # the signed act's bytes, hashed
    pub = publication.publish(
        ctx.uow, "kcp", str(year), cfg["kcp"]["publication_title"].format(year=year), payload, ctx.instance
    )
    return {
        "publication_id": pub.id,
        "rows": len(payload["rows"]),
        "changed": sum(r["changed"] for r in payload["rows"]),
    }


@operation("record_kcp_no_changes")
def record_kcp_no_changes(ctx, params, data):
    """No request to consider: the year's КЦП stay as in force (no councils, no order) — recorded."""
    year = year_of(data.get("year"))
    act, _rows = table_in_force(year)
    ctx.uow.record(
        "outcome",
        instance=ctx.instance,
        payload={"outcome": "no_changes", "year": year, "act_in_force": act_reference(act) if act else ""},
    )
    _close_leftovers(ctx, year)
    return {"outcome": "no_changes", "recorded_on": ru_date(clock.now())}


def site_deadline(year: int) -> tuple[str, str]:
    """(ISO date, ISO moment at the end of that working day in the region) of the ПОО's site update."""
    month_day = config()["kcp"].get("site_update_deadline", "06-01")
    day = date.fromisoformat(f"{year}-{month_day}")
    moment = datetime.combine(day, time(18, 0), tzinfo=clock.REGION_TZ)
    return day.isoformat(), moment.isoformat()


def _close_leftovers(ctx, year: int) -> list[dict]:
    """No request outlives its campaign: whatever still waits is told it was not considered."""
    done = []
    for child in _requests(ctx.instance.id):
        waiting = child.waiting_messages or []
        if KCP_DECISION in waiting:
            deliver(ctx, child, KCP_DECISION, {"decision": "not_considered", "lines": [], "order": None})
            done.append({"instance_id": child.id, "decision": "not_considered"})
        elif INTAKE_CLOSED in waiting:
            deliver(ctx, child, INTAKE_CLOSED, {"closed_on": ru_date(clock.now()), "notice": ""})
            done.append({"instance_id": child.id, "decision": "closed"})
    return done


@operation("deliver_kcp_decision")
def deliver_kcp_decision(ctx, params, data):
    outcome = params.get("outcome") or "approved"
    year = year_of(data.get("year"))
    collected = set((data.get("kcp_requests") or {}).get("ids", []))
    approved = _approved_kcp_lines(data) if outcome == "approved" else []
    order = {
        "number": data.get("order_number"),
        "date": data.get("order_date"),
        "act_type": data.get("act_type") or config()["act_type"],
    }
    deadline, deadline_at = site_deadline(year)
    delivered = []
    for child in _requests(ctx.instance.id):
        if child.id not in collected or KCP_DECISION not in (child.waiting_messages or []):
            continue
        lines = [
            {k: line[k] for k in ("programme_code", "programme_name", "form_of_study", "current_kcp", "approved_kcp")}
            for line in approved
            if line["business_key"] == child.business_key
        ]
        payload = {
            "decision": outcome,
            "lines": lines,
            "order": order if outcome == "approved" else None,
            "site_update_deadline": deadline,
            "site_update_deadline_at": deadline_at,
        }
        deliver(ctx, child, KCP_DECISION, payload)
        delivered.append({"instance_id": child.id, "decision": outcome})
    delivered += _close_leftovers(ctx, year)
    return {"delivered": delivered}


# --- follow-ups waiting for their year's campaign -----------------------------------------------------------


def target_campaign(year: int) -> tuple[int, ProcessInstance | None]:
    """The first campaign from ``year`` on that still takes requests (see :func:`queues.first_open_cycle`)."""
    return queues.first_open_cycle("kcp_campaign", year)


def queue_data(year: int) -> dict:
    """Data of a request waiting for the campaign of ``year``: its due date and reminder (mid-April)."""
    return {"queued_for": year, "queue_due": f"{year}-04-15", "queue_remind_at": f"{year}-04-15T18:00:00+07:00"}


@operation("admit_queued_kcp_requests")
def admit_queued_kcp_requests(ctx, params, data):
    """The campaign opens: every request waiting for its year joins it (its waiting step completes)."""
    year = year_of(data.get("year"))
    return {
        "admitted": queues.admit_waiting(ctx, year, "kcp_request", "await_campaign", "campaign_id", "joined_campaign")
    }


@operation("join_kcp_campaign")
def join_kcp_campaign(ctx, params, data):
    """A waiting request joins its year's campaign — only one that has opened and still takes requests."""
    year = year_of(data.get("queued_for") or data.get("year"))
    campaign = queues.joinable_cycle("kcp_campaign", year, data.get("campaign_id"))
    if campaign is None:
        raise Conflict(_("The campaign for admission quotas %(year)s is not accepting requests", year=year))
    ctx.instance.parent_id = campaign.id  # written with the instance's state at the flush
    return {"campaign": campaign.business_key, "year": year}
