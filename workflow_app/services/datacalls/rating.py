"""The ПОО rating (roadmap 13.2), process ``poo_rating``: in August a data call collects each ПОО's figures (template
``poo_rating``), the rating is computed from the answers by the formula kept as data
(``forms/data_calls/poo_rating_formula.json``: indicators and the score as expressions, evaluated in the engine's
sandbox), ДепПО checks it, the Working Group approves it at a meeting, and it is published
(``/public/poo_rating/<year>``: the ПОО by place, their indicators and score; never anyone else's data)."""

import json
from pathlib import Path

from flask import current_app

from ...engine import clock
from ...engine.scripting import UnsafeScript, check_formula, evaluate_formula
from ...extensions import db
from ...models import DataCall
from .. import publication
from ..cases.operations import operation
from ..errors import Invalid
from ..tasks import panels
from .calls import open_in
from .views import consolidation

PUBLICATION_KIND = "poo_rating"
FORMULA_FILE = "poo_rating_formula.json"


def formula() -> dict:
    """The formula file, checked: every indicator has a code, a title and an expression the sandbox allows."""
    path = Path(current_app.config["FORMS_DIR"]) / "data_calls" / FORMULA_FILE
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(
            "the data-call file %(name)s cannot be read: %(error)s", name=FORMULA_FILE, error=str(exc)
        ) from None
    indicators = cfg.get("indicators")
    score = cfg.get("score")
    if not isinstance(indicators, list) or not indicators or not isinstance(score, dict):
        raise Invalid("the rating formula needs indicators and a score", fields={"formula": FORMULA_FILE})
    for item in [*indicators, score]:
        code = item.get("code", "score") if isinstance(item, dict) else None
        expression = item.get("expression") if isinstance(item, dict) else None
        if not isinstance(code, str) or not code.isidentifier() or not isinstance(expression, str):
            raise Invalid("the rating formula needs indicators and a score", fields={"formula": str(code)})
        try:
            check_formula(expression)
        except UnsafeScript as exc:
            raise Invalid(
                "the rating formula %(code)s is not allowed: %(error)s",
                code=code,
                error=str(exc),
                fields={"formula": code},
            ) from None
    return cfg


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid("a rating formula gave no number", fields={"formula": str(value)})
    return float(value)


def compute(call: DataCall, cfg: dict | None = None) -> dict:
    """Each ПОО that answered: its indicators and score by the formula, ranked (ties share a place)."""
    cfg = cfg or formula()
    decimals = int(cfg.get("decimals", 1))
    table = consolidation(call)
    rows = []
    for rec in table["per_recipient"]:
        variables = {k: v for k, v in rec["totals"].items() if isinstance(k, str) and k.isidentifier()}
        values = {}
        try:
            for ind in cfg["indicators"]:
                values[ind["code"]] = round(_number(evaluate_formula(ind["expression"], variables)), decimals)
            score = round(_number(evaluate_formula(cfg["score"]["expression"], values)), decimals)
        except (UnsafeScript, ArithmeticError, TypeError, ValueError) as exc:
            raise Invalid(
                "the rating of %(organisation)s could not be computed: %(error)s",
                organisation=rec["organisation"],
                error=str(exc),
            ) from None
        rows.append({"organisation": rec["organisation"], "org_id": rec["org_id"], "values": values, "score": score})
    rows.sort(key=lambda r: (-r["score"], r["organisation"]))
    for i, row in enumerate(rows):
        row["place"] = rows[i - 1]["place"] if i and row["score"] == rows[i - 1]["score"] else i + 1
    return {
        "year": call.year,
        "indicators": [{"code": i["code"], "title": i["title"]} for i in cfg["indicators"]],
        "score_title": cfg["score"].get("title", "Итоговый балл"),
        "rows": rows,
        "sources": {"call_id": call.id, "answers": table["counts"]["submitted"], "excused": table["counts"]["excused"]},
        "computed_at": clock.now().isoformat(),
    }


def _year(data) -> int:
    return int(str(data.get("year") or clock.today().year))


@operation("open_rating_survey")
def open_survey(ctx, params, data):
    """The ПОО's figures for the rating: a data call whose completion resumes this instance."""
    template = str(params.get("template") or formula()["survey_template"])
    call = open_in(ctx.uow, ctx.actor, template, year=_year(data), parent=ctx.instance)
    return {"call_id": call.id}


@operation("compute_poo_rating")
def compute_rating(ctx, params, data):
    call_id = (data.get("survey") or {}).get("call_id") or (data.get("survey_call") or {}).get("call_id")
    call = db.session.get(DataCall, call_id)
    if call is None:
        raise Invalid("the rating's data call is not found", fields={"call_id": str(call_id)})
    return compute(call)


@operation("publish_poo_rating")
def publish(ctx, params, data):
    """The approved rating: the ПОО by place with their indicators and score, and the Working Group's protocol."""
    rating = data["rating"]
    codes = [i["code"] for i in rating["indicators"]]
    payload = {
        "year": rating["year"],
        "indicators": rating["indicators"],
        "score_title": rating["score_title"],
        "rows": [
            {
                "place": r["place"],
                "organisation": r["organisation"],
                **{c: r["values"][c] for c in codes},
                "score": r["score"],
            }
            for r in rating["rows"]
        ],
        "sources": {"answers": rating["sources"]["answers"]},
        "approved": data.get("protocol_ref"),
    }
    pub = publication.publish(
        ctx.uow,
        PUBLICATION_KIND,
        str(rating["year"]),
        formula()["publication_title"].format(year=rating["year"]),
        payload,
        ctx.instance,
    )
    return {"publication_id": pub.id, "link": f"/public/{PUBLICATION_KIND}/{rating['year']}"}


def _panel(task, data) -> dict | None:
    """The computed rating above the check and the Working Group's decision: what is being approved."""
    rating = data.get("rating")
    if not isinstance(rating, dict) or not rating.get("rows"):
        return None
    codes = [i["code"] for i in rating["indicators"]]
    return {
        "id": "poo-rating",
        "title": f"Рейтинг ПОО за {rating['year']} год (расчёт по формуле)",
        "note": "Показатели рассчитаны по ответам ПОО на запрос сведений по формуле из файла poo_rating_formula.json.",
        "columns": ["Место", "ПОО", *[i["title"] for i in rating["indicators"]], rating["score_title"]],
        "rows": [[r["place"], r["organisation"], *[r["values"][c] for c in codes], r["score"]] for r in rating["rows"]],
    }


panels.register("poo_rating", "review")(_panel)
panels.register("poo_rating", "wg_decision")(_panel)
