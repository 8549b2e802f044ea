"""The forecast of staffing demand (roadmap 6.1, 6.6), scripted: an approved investment project's staffing plan
is in the system; the yearly cycle ticks on 1 May and opens the data call to the employers and the sector
department; two employers and the department answer; ДТЗН completes the call, the forecast is consolidated
(the project's plan counted), the sector department returns it once, then agrees, the Working Group approves,
it is published (HTML, CSV, JSON, XLSX) and brought to the ПОО; the КЦП consolidation task shows its figures."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from mail_texts import assert_mails_readable
from openpyxl import load_workbook
from sqlalchemy import select
from test_chains import ROOT, Api, kcp_lines, questionnaire, staffing_plan

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, DataCall, Notification, ProcessInstance, User
from workflow_app.services import demo, scheduler
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

APRIL = datetime(2027, 4, 5, 3, 0, tzinfo=UTC)
MAY_1 = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)  # 09:00 in Tomsk: the cycle's moment

SIBHIM_ROWS = [
    {
        "profession": "Аппаратчик химических производств",
        "code": "10912",
        "profession_group": "Химическое производство",
        "year": 2028,
        "number": 10,
    },
    {
        "profession": "Аппаратчик химических производств",
        "code": "10912",
        "profession_group": "Химическое производство",
        "year": 2029,
        "number": 15,
    },
    {
        "profession": "Технология машиностроения",
        "code": "15.02.16",
        "profession_group": "Машиностроение",
        "year": 2028,
        "number": 12,
    },
]
TOMLES_ROWS = [
    {
        "profession": "Станочник деревообрабатывающих станков",
        "profession_group": "Деревообработка",
        "year": 2027,
        "number": 5,
    },
    {
        "profession": "Технология машиностроения",
        "code": "15.02.16",
        "profession_group": "Машиностроение",
        "year": 2028,
        "number": 3,
    },
    {
        "profession": "Станочник деревообрабатывающих станков",
        "profession_group": "Деревообработка",
        "year": 2040,
        "number": 99,
    },  # beyond the 7-year horizon: not counted
]
SECTOR_ROWS = [
    {
        "profession": "Аппаратчик химических производств",
        "code": "10912",
        "profession_group": "Химическое производство",
        "year": 2029,
        "number": 5,
    },
]


@pytest.fixture
def api(app, client):
    clock.set_clock(APRIL)
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    yield Api(client)
    clock.set_clock(None)


def approve_investment_project(api):
    case = api.start("investor_1", "investor_case", {})
    key = case["business_key"]
    api.do("investor_1", key, "questionnaire", questionnaire())
    api.do("di_officer", key, "di_check", {"decision": "accept"})
    api.do("coordinator", key, "open_case", {"case_number": "КД-7"})
    api.do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree"})
    for t in api.tasks("employment_centre", key):
        api.complete("employment_centre", t["id"], {"czn_decision": "agree"})
    api.do("dpo_officer", key, "opinion_dpo", {"dpo_decision": "agree"})
    api.do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    api.do("sector_officer_3", key, "opinion_dnvo", {"dnvo_decision": "agree"})
    api.do("investor_1", key, "plan", staffing_plan())  # Аппаратчик химических производств: 60 people in 2029
    api.do("coordinator", key, "plan_review", {"decision": "agree"})
    api.decide(key, "wg_decision", {"decision": "approve"})
    return key


def answer(api, who, rows):
    task = next(t for t in api.tasks(who) if t["process_id"] == "data_call" and t["task_def"] == "answer")
    r = api.client.post(
        f"/api/v1/data-calls/answers/{task['id']}/submit", json={"data": {"rows": rows}}, headers=api._h(who)
    )
    assert r.status_code == 200, r.get_json()


def test_the_forecast_cycle_on_1_may_runs_to_a_published_forecast(api, app, client):
    approve_investment_project(api)
    # another case that never reached approval is not counted
    api.do(
        "investor_2",
        api.start("investor_2", "investor_case", {})["business_key"],
        "questionnaire",
        questionnaire() | {"investor_inn": "7017987652"},
    )

    for code in ("poo_governance", "poo_graduates", "poo_rating"):  # the ПОО's data calls have their own test
        scheduler.set_paused(SYSTEM, code, True)
    clock.set_clock(MAY_1 + timedelta(minutes=1))
    result = scheduler.tick(MAY_1 + timedelta(minutes=1))
    assert "staffing_forecast" in [s["cycle"] for s in result.started]
    forecast = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.process_id == "staffing_forecast")
    ).scalar_one()
    assert forecast.business_key == "Прогноз-2027" and forecast.waiting_messages == ["data_call_completed"]
    call = db.session.execute(select(DataCall)).scalar_one()
    assert call.template == "staffing_demand" and call.owner_group == "dtzn_officer"
    assert call.title == "Потребность в кадрах на 2027–2033 годы"
    orgs = {r.organisation.code: r for r in call.recipients}
    assert {"SECTOR", "SIBHIM", "TOMLES"} <= set(orgs)  # two employers and the sector departments
    assert {r.organisation.kind for r in call.recipients} == {"investor", "department"}
    for code in set(orgs) - {"SECTOR", "SIBHIM", "TOMLES"}:  # other sector departments: excused, recorded
        api.client.post(
            f"/api/v1/data-calls/{call.id}/recipients/{orgs[code].id}/excuse",
            json={"reason": "отрасль не затронута"},
            headers=api._h("dtzn_officer"),
        )

    answer(api, "investor_1", SIBHIM_ROWS)
    answer(api, "investor_2", TOMLES_ROWS)
    answer(api, "sector_officer", SECTOR_ROWS)
    api.do("dtzn_officer", "Запрос-2027/staffing_demand", "consolidate", {"comment": "Все ответы получены"})

    # the forecast is consolidated by profession group and year, with its sources; ДТЗН checks it
    data = api.get_task("dtzn_officer", api.task("dtzn_officer", "Прогноз-2027", "review")["id"]).get_json()["data"]
    fc = data["forecast"]
    assert fc["years"] == list(range(2027, 2034))
    lines = {(r["profession"], r["year"]): (r["number"], r["answers"], r["projects"]) for r in fc["rows"]}
    assert lines[("Аппаратчик химических производств", 2029)] == (15 + 5 + 60, 2, 1)  # survey + the project's plan
    assert lines[("Аппаратчик химических производств", 2028)] == (10, 2, 1)
    assert lines[("Технология машиностроения", 2028)] == (15, 2, 0)
    assert lines[("Станочник деревообрабатывающих станков", 2027)] == (5, 1, 0)
    assert ("Станочник деревообрабатывающих станков", 2040) not in lines
    groups = {g["profession_group"]: g["by_year"] for g in fc["groups"]}
    assert groups["Химическое производство"] == {"2028": 10, "2029": 80}
    assert fc["sources"] == {
        "survey_call_id": call.id,
        "answers": 3,
        "excused": len(orgs) - 3,
        "investment_projects": 1,
    }

    # ДТЗН → the sector department returns it once → ДТЗН again → agreed → the Working Group approves
    api.do("dtzn_officer", "Прогноз-2027", "review", {"review_comment": "Свод по ответам и кадровому плану"})
    api.do("sector_officer", "Прогноз-2027", "agree", {"decision": "remarks", "remarks": "Уточнить группы"})
    api.do("dtzn_officer", "Прогноз-2027", "review", {"review_comment": "Группы уточнены"})
    api.do("sector_officer", "Прогноз-2027", "agree", {"decision": "agree"})
    api.decide(
        "Прогноз-2027",
        "wg_decision",
        {"decision": "approve"},
    )
    db.session.expire_all()
    assert db.session.get(ProcessInstance, forecast.id).status == "completed"

    # published: HTML, CSV, JSON, XLSX; counts only, no organisation named
    page = client.get("/public/forecast/2027")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Прогноз потребности в кадрах Томской области на 2027–2033 годы" in html
    assert "Химическое производство" in html and ">80<" in html
    out = client.get("/public/forecast/2027.json").get_json()
    assert out["sources"] == {"answers": 3, "investment_projects": 1} and out["approved"].startswith("протокол от ")
    assert out["totals_by_year"]["2029"] == 80 and out["totals_by_year"]["2028"] == 25
    table = list(
        csv.reader(
            io.StringIO(client.get("/public/forecast/2027.csv").get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
        )
    )
    assert table[0][:5] == ["Группа профессий", "Профессия / специальность", "Код", "Год", "Потребность, чел."]
    assert ["Химическое производство", "Аппаратчик химических производств", "10912", "2029", "80"] in [
        r[:5] for r in table
    ]
    sheet = load_workbook(io.BytesIO(client.get("/public/forecast/2027.xlsx").data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Химическое производство", "Аппаратчик химических производств", "10912", 2029, 80] in [
        v[:5] for v in values
    ]
    everything = json.dumps(out, ensure_ascii=False) + html + client.get("/public/").get_data(as_text=True)
    for secret in ("СХК", "Томлесдрев", "SIBHIM", "TOMLES", "7017123451", "Северный"):
        assert secret not in everything

    # brought to the ПОО (and the others configured): a recorded notice, in-app and by e-mail
    brought = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "forecast_brought")).scalar_one()
    assert brought.payload["groups"]["college_officer"] >= 2 and brought.payload["link"] == "/public/forecast/2027"
    officer = db.session.execute(select(User).where(User.username == "college_officer_1")).scalar_one()
    notes = db.session.execute(select(Notification).where(Notification.user_id == officer.id)).scalars().all()
    assert [n.kind for n in notes] == ["notice"] and "2027–2033" in notes[0].subject
    assert_mails_readable({"notice"})

    # the КЦП consolidation of the next admission year shows the forecast for the programmes it touches
    api.start("dpo_officer", "kcp_campaign", {"year": 2028})
    api.do("dpo_officer", "КЦП-2028", "announce", {"intake_deadline": "2027-05-28", "announcement": "Приём заявок"})
    started = api.start("college_officer_1", "kcp_request", {"year": 2028})
    request = {
        "year": 2028,
        "change_type": "increase",
        "reason": "employer_demand",
        "contact": "Белов К. И.",
        "lines": kcp_lines(),
        "evidence": "Письма работодателей",
    }
    api.do("college_officer_1", started["business_key"], "fill_request", request)
    api.do("college_director_1", started["business_key"], "sign_request", {"decision": "sign"})
    api.do("dpo_officer", started["business_key"], "formal_check", {"decision": "accept"})
    api.do("dpo_officer", started["business_key"], "assess", {"opinion": "support", "comment": "Обосновано"})
    api.do("dpo_officer", "КЦП-2028", "close_intake", {"decision": "close"})
    task = api.task("dpo_officer", "КЦП-2028", "consolidate")
    from test_web import login

    login(client, "dpo_officer", "demo-pw-1")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    panel = page[page.index('id="panel-forecast"') :]
    panel = panel[: panel.index("</section>")]
    assert "Прогноз потребности в кадрах Томской области на 2027–2033 годы" in panel
    assert "Технология машиностроения" in panel and "15.02.16" in panel
    assert re.search(r"<td>15</td>", panel)  # 2028: 12 + 3
    assert "Аппаратчик" not in panel  # only the programmes this consolidation touches
    # the API's task detail carries the same panel
    detail = api.get_task("dpo_officer", task["id"]).get_json()
    (forecast_panel,) = [p for p in detail["panels"] if p["id"] == "forecast"]
    assert forecast_panel["title"] == "Прогноз потребности в кадрах Томской области на 2027–2033 годы"
    row = next(r for r in forecast_panel["rows"] if r[1] == "15.02.16")
    assert row[0] == "Технология машиностроения" and row[2 + forecast_panel["columns"][2:].index("2028")] == 15
    assert all("Аппаратчик" not in r[0] for r in forecast_panel["rows"])
