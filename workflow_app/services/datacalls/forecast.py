"""The forecast of staffing demand (roadmap 6.1, 6.6), process ``staffing_forecast``: its service-task
operations (open the survey data call, consolidate it with the investment projects' approved staffing plans,
publish, bring it to the ПОО and others) and the forecast figures the КЦП and professions tasks show.
Texts, horizon and recipients are data: ``forms/data_calls/forecast.json``."""

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import DataCall, ProcessInstance
from .. import notifications, publication
from ..cases import advance
from ..cases.operations import operation
from ..errors import Conflict
from ..tasks import panels
from .calls import open_in
from .views import consolidation

PUBLICATION_KIND = "forecast"


def settings() -> dict:
    return json.loads((Path(current_app.config["FORMS_DIR"]) / "data_calls" / "forecast.json").read_text("utf-8"))


def _year(data) -> int:
    return int(str(data.get("year") or clock.today().year))


@operation("open_forecast_survey")
def open_survey(ctx, params, data):
    """The survey of employers and sector departments: a data call whose completion resumes this instance."""
    year = _year(data)
    call = open_in(
        ctx.uow,
        ctx.actor,
        str(params.get("template") or settings()["survey_template"]),
        year=year,
        parent=ctx.instance,
    )
    return {"call_id": call.id, "business_key": None}


def _approved_plans(years: range) -> list[dict]:
    """Lines (profession, year, number) of the investment projects whose staffing plan was approved (the case
    went through publication); each project counted once, by its plan's need, else its questionnaire's."""
    out = []
    cases = db.session.execute(select(ProcessInstance).where(ProcessInstance.process_id == "investor_case")).scalars()
    for case in cases:
        data = advance.instance_data(case)
        if not data.get("publication"):
            continue
        lines = [
            {"profession": line.get("profession"), "year": line.get("year"), "number": line.get("need")}
            for line in data.get("lines") or []
        ] or [
            {
                "profession": n.get("profession"),
                "code": n.get("code"),
                "year": n.get("year_needed"),
                "number": n.get("number"),
            }
            for n in data.get("needs") or []
        ]
        lines = [x for x in lines if x["profession"] and isinstance(x["year"], int) and x["year"] in years]
        if lines:
            out.append({"instance_id": case.id, "lines": lines})
    return out


@operation("consolidate_forecast")
def consolidate(ctx, params, data):
    """By profession group and year for the horizon: the survey's answers plus the approved investment plans,
    each line with its sources (how many answers, how many projects); never an organisation's name."""
    cfg = settings()
    year = _year(data)
    years = range(year, year + int(cfg.get("horizon_years", 7)))
    call_id = (data.get("survey") or {}).get("call_id") or (data.get("survey_call") or {}).get("call_id")
    call = db.session.get(DataCall, call_id) if isinstance(call_id, int) else None
    if call is None:
        raise Conflict("the forecast names no survey data call")
    table = consolidation(call)
    lines: dict = {}  # (profession) -> {"profession", "code", "group", "years": {y: n}, "survey": set, "investment": set}
    for row in table["rows"]:
        if row.get("year") not in years:
            continue
        key = str(row["profession"]).strip().lower()
        line = lines.setdefault(
            key,
            {
                "profession": row["profession"].strip(),
                "code": row.get("code"),
                "group": None,
                "years": {},
                "survey": set(),
                "investment": set(),
            },
        )
        line["group"] = line["group"] or (row.get("profession_group") or "").strip() or None
        line["code"] = line["code"] or row.get("code")
        line["years"][row["year"]] = line["years"].get(row["year"], 0) + int(row.get("number") or 0)
        line["survey"].add(row["org_id"])
    plans = _approved_plans(years)
    for plan in plans:
        for item in plan["lines"]:
            key = str(item["profession"]).strip().lower()
            line = lines.setdefault(
                key,
                {
                    "profession": str(item["profession"]).strip(),
                    "code": item.get("code"),
                    "group": None,
                    "years": {},
                    "survey": set(),
                    "investment": set(),
                },
            )
            line["years"][item["year"]] = line["years"].get(item["year"], 0) + int(item.get("number") or 0)
            line["investment"].add(plan["instance_id"])
    rows = []
    for line in sorted(lines.values(), key=lambda x: ((x["group"] or cfg["other_group"]), x["profession"])):
        group = line["group"] or cfg["other_group"]
        for y in years:
            if line["years"].get(y):
                rows.append(
                    {
                        "profession_group": group,
                        "profession": line["profession"],
                        "code": line["code"],
                        "year": y,
                        "number": line["years"][y],
                        "answers": len(line["survey"]),
                        "projects": len(line["investment"]),
                    }
                )
    groups: dict = {}
    for r in rows:
        g = groups.setdefault(
            r["profession_group"], {"profession_group": r["profession_group"], "by_year": {}, "total": 0}
        )
        g["by_year"][str(r["year"])] = g["by_year"].get(str(r["year"]), 0) + r["number"]
        g["total"] += r["number"]
    return {
        "year": year,
        "years": list(years),
        "rows": rows,
        "groups": list(groups.values()),
        "totals_by_year": {str(y): sum(r["number"] for r in rows if r["year"] == y) for y in years},
        "sources": {
            "survey_call_id": call.id,
            "answers": table["counts"]["submitted"],
            "excused": table["counts"]["excused"],
            "investment_projects": len(plans),
        },
    }


def _title(cfg: dict, year: int) -> dict:
    return {"year": year, "last_year": year + int(cfg.get("horizon_years", 7)) - 1}


@operation("publish_forecast")
def publish(ctx, params, data):
    cfg = settings()
    forecast = data["forecast"]
    names = _title(cfg, forecast["year"])
    payload = {k: forecast[k] for k in ("year", "years", "rows", "groups", "totals_by_year")}
    payload["sources"] = {k: forecast["sources"][k] for k in ("answers", "investment_projects")}  # counts only
    payload["approved"] = data.get("protocol_ref")
    pub = publication.publish(
        ctx.uow,
        PUBLICATION_KIND,
        str(forecast["year"]),
        cfg["publication_title"].format(**names),
        payload,
        ctx.instance,
    )
    return {"publication_id": pub.id, "link": f"/public/forecast/{forecast['year']}"}


@operation("bring_forecast")
def bring(ctx, params, data):
    """A notice (in-app and e-mail, through the outbox) to every person of the configured groups; recorded."""
    cfg = settings()
    names = _title(cfg, _year(data))
    link = (data.get("publication") or {}).get("link") or f"/public/forecast/{names['year']}"
    reached = {}
    for group in cfg.get("notify_groups", []):
        people = notifications.members_of(group)
        notifications.queue(
            ctx.uow,
            people,
            "notice",
            cfg["notice_subject"].format(**names),
            cfg["notice_body"].format(link=link, **names),
            instance_id=ctx.instance.id,
            link=link,
        )
        reached[group] = len(people)
    ctx.uow.record(
        "forecast_brought", instance=ctx.instance, actor=ctx.actor, payload={"groups": reached, "link": link}
    )
    return {"groups": reached}


def figures_for(programmes: list[dict], year: int | None = None) -> dict | None:
    """The latest published forecast's lines for the given programmes/professions (matched by code, else by
    name): {"title", "years", "rows"}; None when nothing is published or nothing matches."""
    pubs = [p for p in publication.current() if p.kind == PUBLICATION_KIND]
    if year is not None:
        pubs = [p for p in pubs if p.key <= str(year)] or pubs
    if not pubs:
        return None
    pub = max(pubs, key=lambda p: p.key)
    codes = {str(p.get("code") or p.get("programme_code") or "").strip() for p in programmes} - {""}
    names = {
        str(p.get("name") or p.get("programme_name") or p.get("profession") or "").strip().lower() for p in programmes
    } - {""}
    rows = [
        r
        for r in pub.payload.get("rows", [])
        if (r.get("code") and str(r["code"]).strip() in codes) or str(r.get("profession", "")).strip().lower() in names
    ]
    if not rows:
        return None
    table: dict = {}
    for r in rows:
        line = table.setdefault(r["profession"], {"profession": r["profession"], "code": r.get("code"), "by_year": {}})
        line["by_year"][str(r["year"])] = r["number"]
    return {"title": pub.title, "key": pub.key, "years": pub.payload.get("years", []), "rows": list(table.values())}


def _panel(programmes: list[dict], year) -> dict | None:
    figures = figures_for(programmes, year if isinstance(year, int) else None)
    if figures is None:
        return None
    years = [str(y) for y in figures["years"]]
    return {
        "id": "forecast",
        "title": figures["title"],
        "note": "Потребность в кадрах по опубликованному прогнозу (чел.) для профессий и специальностей этого свода.",
        "link": f"/public/forecast/{figures['key']}",
        "columns": ["Профессия / специальность", "Код", *years],
        "rows": [
            [r["profession"], r["code"] or "", *(r["by_year"].get(y, "") for y in years)] for r in figures["rows"]
        ],
    }


@panels.register("kcp_campaign", "consolidate")
def kcp_consolidation_panel(task, data):
    """The КЦП consolidation beside the demand forecast for the programmes its requests touch."""
    return _panel((data.get("kcp_requests") or {}).get("lines") or [], data.get("year"))


@panels.register("professions_cycle", "consolidate")
def professions_panel(task, data):
    """The draft professions list beside the demand forecast for its professions."""
    items = [
        {"code": i.get("okpdtr_code"), "name": i.get("profession")}
        for i in (data.get("proposals") or {}).get("items") or []
    ]
    return _panel(items, data.get("year"))
