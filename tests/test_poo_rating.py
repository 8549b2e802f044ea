"""The ПОО rating (roadmap 13.2), scripted through the API: the cycle on 1 August starts ``poo_rating``, which opens a
data call to every ПОО; two answer, one is excused; the rating is computed from the answers by the formula kept as
data (forms/data_calls/poo_rating_formula.json, evaluated in the sandbox), ДепПО checks it, the Working Group
approves it, and it is published (HTML, CSV, JSON, XLSX) naming only the ПОО rated. An analyst's edit of the formula
changes the result; an expression outside the sandbox's allow-list is refused.
"""

import csv
import io
import json
import shutil
from datetime import UTC, datetime

import pytest
from factories import org, two_demo_poo, user
from openpyxl import load_workbook
from sqlalchemy import select
from test_chains import ROOT, Api

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import DataCall, Organisation, ProcessInstance
from workflow_app.services import demo, scheduler
from workflow_app.services.datacalls import rating
from workflow_app.services.errors import Invalid
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

AUGUST_1 = datetime(2027, 8, 1, 2, 0, tzinfo=UTC)  # 09:00 in Tomsk: the cycle's moment (a Sunday)

TPT_ROWS = [  # 40 graduates, 30 by profile (75 %); exam 20 of 25 (80 %); 50 of 200 target (25 %); 10 contracts
    {
        "programme_code": "15.02.16",
        "programme_name": "Технология машиностроения",
        "students": 120,
        "target_students": 30,
        "graduates": 25,
        "employed_by_profile": 20,
        "demo_exam_taken": 15,
        "demo_exam_passed": 12,
        "employer_contracts": 6,
    },
    {
        "programme_code": "09.02.07",
        "programme_name": "Информационные системы и программирование",
        "students": 80,
        "target_students": 20,
        "graduates": 15,
        "employed_by_profile": 10,
        "demo_exam_taken": 10,
        "demo_exam_passed": 8,
        "employer_contracts": 4,
    },
]
TTIT_ROWS = [  # 50 graduates, 45 by profile (90 %); exam 18 of 30 (60 %); 10 of 100 target (10 %); 2 contracts
    {
        "programme_code": "09.02.07",
        "programme_name": "Информационные системы и программирование",
        "students": 100,
        "target_students": 10,
        "graduates": 50,
        "employed_by_profile": 45,
        "demo_exam_taken": 30,
        "demo_exam_passed": 18,
        "employer_contracts": 2,
    }
]
# score = 0.4 employment + 0.3 exam + 0.2 target + 0.1 partners (contracts per 100 students)
TPT_SCORE = round(0.4 * 75 + 0.3 * 80 + 0.2 * 25 + 0.1 * 5, 1)  # 59.5
TTIT_SCORE = round(0.4 * 90 + 0.3 * 60 + 0.2 * 10 + 0.1 * 2, 1)  # 56.2


@pytest.fixture
def api(app, client):
    clock.set_clock(AUGUST_1)
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    two_demo_poo()  # the demo's culture and forestry ПОО stay out: three ПОО are rated
    third = org("TAT", "Томский аграрный техникум", kind="college")
    user("college_officer_3", ["college_officer"], third, email="o3@tat.test")
    for code in ("kcp_campaign", "professions_cycle", "staffing_forecast", "poo_graduates", "poo_governance"):
        scheduler.set_paused(SYSTEM, code, True)
    yield Api(client)
    clock.set_clock(None)


def answer(api, who, rows):
    task = next(t for t in api.tasks(who) if t["process_id"] == "data_call" and t["task_def"] == "answer")
    r = api.client.post(
        f"/api/v1/data-calls/answers/{task['id']}/submit", json={"data": {"rows": rows}}, headers=api._h(who)
    )
    assert r.status_code == 200, r.get_json()


def test_the_rating_cycle_runs_to_an_approved_published_rating(api, client):
    result = scheduler.tick(AUGUST_1)
    assert [(s["cycle"], s["cycle_key"]) for s in result.started] == [("poo_rating", "2027")]
    case = db.session.execute(select(ProcessInstance).where(ProcessInstance.process_id == "poo_rating")).scalar_one()
    assert case.business_key == "Рейтинг-ПОО-2027" and case.waiting_messages == ["data_call_completed"]
    call = db.session.execute(select(DataCall)).scalar_one()
    assert (call.template, call.owner_group, call.title) == (
        "poo_rating",
        "dpo_officer",
        "Сведения для рейтинга ПОО, 2027 год",
    )
    orgs = {db.session.get(Organisation, r.org_id).code: r for r in call.recipients}
    assert set(orgs) == {"TPT", "TTIT", "TAT"}

    answer(api, "college_officer_1", TPT_ROWS)
    answer(api, "college_officer_2", TTIT_ROWS)
    r = api.client.post(
        f"/api/v1/data-calls/{call.id}/recipients/{orgs['TAT'].id}/excuse",
        json={"reason": "нет выпуска в 2027 году"},
        headers=api._h("dpo_officer"),
    )
    assert r.status_code == 200, r.get_json()
    api.do("dpo_officer", "Запрос-2027/poo_rating", "consolidate", {"comment": "Все ответы получены"})

    # computed by the formula from the answers; the check and the Working Group's task show it
    review = api.task("dpo_officer", "Рейтинг-ПОО-2027", "review")
    detail = api.get_task("dpo_officer", review["id"]).get_json()
    computed = detail["data"]["rating"]
    assert [(r["organisation"], r["place"], r["score"]) for r in computed["rows"]] == [
        ("Томский политехнический техникум", 1, TPT_SCORE),
        ("Томский техникум информационных технологий", 2, TTIT_SCORE),
    ]
    assert computed["rows"][0]["values"] == {"employment": 75.0, "demo_exam": 80.0, "target": 25.0, "partners": 5.0}
    assert computed["sources"]["answers"] == 2 and computed["sources"]["excused"] == 1
    (panel,) = [p for p in detail["panels"] if p["id"] == "poo-rating"]
    assert panel["rows"][0][:2] == [1, "Томский политехнический техникум"] and panel["rows"][0][-1] == TPT_SCORE

    # ДепПО → the Working Group returns it once → ДепПО again → approved at a meeting → published
    api.do("dpo_officer", "Рейтинг-ПОО-2027", "review", {"review_comment": "Ответили 2 ПОО, ТАТ освобождён"})
    wg = api.task("wg_secretary", "Рейтинг-ПОО-2027", "wg_decision")
    wg_detail = api.get_task("wg_secretary", wg["id"]).get_json()
    assert [p["id"] for p in wg_detail["panels"]] == ["poo-rating"]  # what the Working Group approves
    api.decide("Рейтинг-ПОО-2027", "wg_decision", {"decision": "return", "comment": "Проверить ТТИТ"})
    api.do("dpo_officer", "Рейтинг-ПОО-2027", "review", {"review_comment": "Проверено"})
    protocol = api.decide("Рейтинг-ПОО-2027", "wg_decision", {"decision": "approve"})
    db.session.expire_all()
    assert db.session.get(ProcessInstance, case.id).status == "completed"

    html = client.get("/public/poo_rating/2027").get_data(as_text=True)
    assert "Рейтинг профессиональных образовательных организаций Томской области за 2027 год" in html
    day = protocol.meeting.starts_at.astimezone(clock.REGION_TZ)
    assert f"протокол от {day:%d.%m.%Y} № {protocol.number}, вопрос 1" in html  # the protocol's own reference
    tpt_at = html.index("Томский политехнический техникум")
    assert tpt_at < html.index("Томский техникум информационных технологий")
    assert "Томский аграрный техникум" not in html  # excused: not rated
    for investor in db.session.execute(select(Organisation.name).where(Organisation.kind == "investor")).scalars():
        assert investor not in html  # the rating names the ПОО only
    out = client.get("/public/poo_rating/2027.json").get_json()
    assert [(r["place"], r["organisation"], r["score"]) for r in out["rows"]] == [
        (1, "Томский политехнический техникум", TPT_SCORE),
        (2, "Томский техникум информационных технологий", TTIT_SCORE),
    ]
    assert "org_id" not in out["rows"][0]
    rows = list(
        csv.reader(
            io.StringIO(client.get("/public/poo_rating/2027.csv").get_data(as_text=True).lstrip("\ufeff")),
            delimiter=";",
        )
    )
    assert rows[0][:2] == ["Место", "ПОО"] and rows[0][-1] == "Итоговый балл"
    assert "Трудоустройство выпускников по профилю, %" in rows[0]
    sheet = load_workbook(io.BytesIO(client.get("/public/poo_rating/2027.xlsx").data)).active
    assert (
        sheet.cell(2, 2).value == "Томский политехнический техникум"
        and sheet.cell(2, sheet.max_column).value == TPT_SCORE
    )


def test_the_formula_is_a_data_file_an_analyst_edits_and_the_sandbox_guards(api, app, tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    app.config["FORMS_DIR"] = str(forms)
    path = forms / "data_calls" / "poo_rating_formula.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))

    scheduler.tick(AUGUST_1)
    answer(api, "college_officer_1", TPT_ROWS)
    answer(api, "college_officer_2", TTIT_ROWS)
    call = db.session.execute(select(DataCall)).scalar_one()

    # the analyst weighs employment alone: ТТИТ (90 %) comes first
    cfg["score"]["expression"] = "employment"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    result = rating.compute(call, rating.formula())
    assert [(r["organisation"], r["score"]) for r in result["rows"]] == [
        ("Томский техникум информационных технологий", 90.0),
        ("Томский политехнический техникум", 75.0),
    ]
    # an expression outside the allow-list never runs
    for hostile in ("__import__('os').system('true')", "graduates.__class__", "[x for x in range(10**9)]"):
        cfg["indicators"][0]["expression"] = hostile
        path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(Invalid) as info:
            rating.formula()
        assert info.value.fields == {"formula": "employment"}
    # a formula that gives no number is named with the ПОО it failed on
    cfg["indicators"][0]["expression"] = "'много'"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(Invalid):
        rating.compute(call, rating.formula())
