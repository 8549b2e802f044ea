"""The monitoring dashboard's read queries (issue #23): open and overdue tasks by department and by chain, the
average and 90th-percentile time per step and per chain over a period, roadmap items by status, instructions by
status. Each answer is plain rows with Russian labels (departments, chains, steps — never codes), ready for a
chart, a table and an XLSX sheet. Every query is one aggregate statement over an index: the open tasks' counts
over ``ix_task_open_units`` and ``ix_task_open_chains``; the times over the per-day summary of ``services/durations`` (kept as tasks and
cases complete), so a period of a million completed tasks is a sum of a few thousand rows. The count and the
average are exact; the 90th percentile (nearest rank) is within ±6 % (the middle of its histogram bucket).

Who reads it: the Координатор, the heads of the departments, the curating deputy governor, auditors and
administrators (``may_view``). Investors are never named: their organisation-scoped tasks count under one label.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import case, func, literal, select

from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Organisation, ProcessModel, RoadmapItem
from .. import durations, spreadsheets
from ..council import instructions
from ..errors import Forbidden, Invalid
from ..people.actors import Actor
from .labels import all_labels

VIEWERS = frozenset({"coordinator", "deputy_governor", "dpo_head", "dtzn_head", "di_head", "auditor", "admin"})
CONFIG_FILE = "monitoring.json"
MAX_PERIOD_DAYS = 3 * 366


def config() -> dict:
    path = Path(current_app.config["BPMN_DIR"]) / CONFIG_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(
            "the monitoring settings %(name)s cannot be read: %(error)s", name=path.name, error=str(exc)
        ) from None


def may_view(actor: Actor) -> bool:
    if actor.is_system or actor.groups & VIEWERS:
        return True
    return any(groups & VIEWERS for _uid, _org, groups in actor.acting_for)


def require_viewer(actor: Actor) -> None:
    if not may_view(actor):
        raise Forbidden("only the Coordinator, heads and auditors see the monitoring dashboard")


# --- the period --------------------------------------------------------------------------------------------


def period(start=None, end=None) -> tuple[date, date]:
    """The chosen period (dates in Tomsk, both inclusive); by default the last ``default_period_days`` days."""
    today = clock.today()

    def parse(value, name) -> date | None:
        if value in (None, ""):
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise Invalid("a date YYYY-MM-DD", fields={name: str(value)[:20]}) from None

    last = parse(end, "end") or today
    first = parse(start, "start") or last - timedelta(days=int(config().get("default_period_days", 180)) - 1)
    if first > last:
        raise Invalid("the period starts after it ends", fields={"start": first.isoformat()})
    if (last - first).days > MAX_PERIOD_DAYS:
        raise Invalid("the period is at most three years", fields={"start": first.isoformat()})
    return first, last


# --- labels ------------------------------------------------------------------------------------------------


def chain_labels() -> dict[str, str]:
    """process id -> the name of its newest deployed version."""
    newest = (
        select(ProcessModel.process_id, func.max(ProcessModel.version).label("v"))
        .group_by(ProcessModel.process_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ProcessModel.process_id, ProcessModel.name).join(
            newest, (newest.c.process_id == ProcessModel.process_id) & (newest.c.v == ProcessModel.version)
        )
    ).all()
    return {row[0]: row[1] for row in rows}


def _unit_labels(keys) -> dict:
    """(org scope id, group) -> the department's (or body's) name; investors under one label."""
    settings = config()
    units, investor, other = settings["units"], settings["investor_unit"], settings["other_unit"]
    org_ids = {org_id for org_id, _group in keys if org_id is not None}
    orgs = (
        {o.id: o for o in db.session.execute(select(Organisation).where(Organisation.id.in_(org_ids))).scalars()}
        if org_ids
        else {}
    )
    out = {}
    for org_id, group in keys:
        org = orgs.get(org_id)
        if org is not None:
            out[(org_id, group)] = investor if org.kind == "investor" else org.name
        else:
            out[(org_id, group)] = units.get(group or "", other)
    return out


# --- the queries -------------------------------------------------------------------------------------------


def open_tasks_by_department(actor: Actor) -> list[dict]:
    require_viewer(actor)
    now = clock.now()
    rows = db.session.execute(
        select(
            HumanTask.org_scope_id,
            HumanTask.candidate_group,
            func.count(),
            func.sum(case((HumanTask.due_at < now, 1), else_=0)),
        )
        .where(HumanTask.status == "open")
        .group_by(HumanTask.candidate_group, HumanTask.org_scope_id)
    ).all()
    labels = _unit_labels({(org_id, group) for org_id, group, _n, _o in rows})
    merged: dict[str, dict] = {}
    for org_id, group, count, overdue in rows:
        label = labels[(org_id, group)]
        row = merged.setdefault(label, {"label": label, "open": 0, "overdue": 0})
        row["open"] += count
        row["overdue"] += overdue or 0
    return sorted(merged.values(), key=lambda r: (-r["open"], r["label"]))


def open_tasks_by_chain(actor: Actor) -> list[dict]:
    require_viewer(actor)
    now = clock.now()
    rows = db.session.execute(
        select(HumanTask.process_id, func.count(), func.sum(case((HumanTask.due_at < now, 1), else_=0)))
        .where(HumanTask.status == "open")
        .group_by(HumanTask.process_id)
    ).all()
    labels = chain_labels()
    out = [{"label": labels.get(pid, pid), "open": n, "overdue": o or 0} for pid, n, o in rows]
    return sorted(out, key=lambda r: (-r["open"], r["label"]))


def step_times(actor: Actor, start=None, end=None) -> dict:
    """Per step (a process's user task) completed in the period: how many, the average and the 90th percentile of
    the time from the task's creation to its completion, in hours (the percentile within ±6 %: services/durations)."""
    require_viewer(actor)
    first, last = period(start, end)
    chains = chain_labels()
    rows = [
        {
            "chain": chains.get(pid, pid),
            "label": name or tdef,
            "count": n,
            "avg_hours": _hours(avg_ms / 1000),
            "p90_hours": _hours(p90_ms / 1000),
        }
        for pid, tdef, name, n, avg_ms, p90_ms in durations.summarise(durations.STEP, first, last)
    ]
    rows.sort(key=lambda r: (r["chain"], -r["avg_hours"], r["label"]))
    return {"start": first, "end": last, "rows": rows}


def chain_times(actor: Actor, start=None, end=None) -> dict:
    """Per chain, the cases completed in the period: how many, the average and the 90th percentile of their
    duration from start to end, in days (the percentile within ±6 %)."""
    require_viewer(actor)
    first, last = period(start, end)
    chains = chain_labels()
    rows = [
        {"label": chains.get(pid, pid), "count": n, "avg_days": _days(avg_ms / 1000), "p90_days": _days(p90_ms / 1000)}
        for pid, _tdef, _name, n, avg_ms, p90_ms in durations.summarise(durations.CASE, first, last)
    ]
    rows.sort(key=lambda r: (-r["count"], r["label"]))
    return {"start": first, "end": last, "rows": rows}


def _hours(seconds) -> float:
    return round(float(seconds or 0) / 3600, 1)


def _days(seconds) -> float:
    return round(float(seconds or 0) / 86400, 1)


ROADMAP_ORDER = ("done", "in_progress", "planned", "overdue", "not_done", "cancelled")


def roadmap_by_status(actor: Actor) -> list[dict]:
    """Items per status; an open item past its last dated deadline counts as ``overdue``."""
    require_viewer(actor)
    today = clock.today()
    is_overdue = (
        RoadmapItem.status.in_(("planned", "in_progress"))
        & RoadmapItem.recurring.is_(False)
        & (RoadmapItem.due_on < today)
    )
    effective = case((is_overdue, literal("overdue")), else_=RoadmapItem.status)
    rows = db.session.execute(select(effective, func.count()).group_by(effective)).all()
    counts: dict[str, int] = {row[0]: row[1] for row in rows}
    return [{"status": s, "count": counts.get(s, 0)} for s in ROADMAP_ORDER]


INSTRUCTION_ORDER = ("open", "overdue", "reported", "done")


def instructions_by_status(actor: Actor) -> list[dict]:
    """Instructions (поручения) of signed protocols per status; ``overdue`` = open past their due date (and
    counted apart from the still-open ones)."""
    require_viewer(actor)
    counts = instructions.counts_by_status()
    shown = dict(counts)
    shown["open"] = counts.get("open", 0) - counts.get("overdue", 0)
    return [{"status": s, "count": shown.get(s, 0)} for s in INSTRUCTION_ORDER]


def dashboard(actor: Actor, start=None, end=None) -> dict:
    require_viewer(actor)
    first, last = period(start, end)
    return {
        "start": first,
        "end": last,
        "by_department": open_tasks_by_department(actor),
        "by_chain": open_tasks_by_chain(actor),
        "step_times": step_times(actor, first, last)["rows"],
        "chain_times": chain_times(actor, first, last)["rows"],
        "roadmap": roadmap_by_status(actor),
        "instructions": instructions_by_status(actor),
    }


def xlsx(actor: Actor, start=None, end=None) -> tuple[str, bytes]:
    """Every table of the dashboard as a sheet of one workbook, headers and statuses in the UI language."""
    data = dashboard(actor, start, end)
    t = all_labels()

    def tr(key):
        return str(t.get(key, key))

    sheets = [
        (
            tr("by_department"),
            [tr("department"), tr("open"), tr("overdue")],
            [[r["label"], r["open"], r["overdue"]] for r in data["by_department"]],
        ),
        (
            tr("by_chain"),
            [tr("chain"), tr("open"), tr("overdue")],
            [[r["label"], r["open"], r["overdue"]] for r in data["by_chain"]],
        ),
        (
            tr("step_times"),
            [tr("chain"), tr("step"), tr("count"), tr("avg_hours"), tr("p90_hours")],
            [[r["chain"], r["label"], r["count"], r["avg_hours"], r["p90_hours"]] for r in data["step_times"]],
        ),
        (
            tr("chain_times"),
            [tr("chain"), tr("count"), tr("avg_days"), tr("p90_days")],
            [[r["label"], r["count"], r["avg_days"], r["p90_days"]] for r in data["chain_times"]],
        ),
        (tr("roadmap"), [tr("status"), tr("count")], [[tr(r["status"]), r["count"]] for r in data["roadmap"]]),
        (
            tr("instructions"),
            [tr("status"), tr("count")],
            [[tr("instruction_" + r["status"]), r["count"]] for r in data["instructions"]],
        ),
    ]
    name = f"monitoring-{data['start'].isoformat()}-{data['end'].isoformat()}.xlsx"
    return name, spreadsheets.xlsx_book(sheets)
