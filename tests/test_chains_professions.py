"""Актуальный перечень профессий (roadmap 6.5–6.6) rules through the REST API: the list carries over from last
year's approved list, proposals work on its items, each department concerned agrees its part, the Координатор
submits the draft, and the list starts no earlier than the decision."""

import pytest
from sqlalchemy import select
from test_chains import MONDAY, ROOT, Api, instance

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, Notification, Organisation
from workflow_app.services import demo
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

KEY = "Перечень-2028"


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


@pytest.fixture
def api(app, client):
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    return Api(client)


def item(action, profession, sector="Машиностроение", **extra):
    return {
        "action": action,
        "profession": profession,
        "programme_type": "training",
        "sector": sector,
        "justification": "Обоснование отрасли",
        **extra,
    }


def open_cycle(api):
    api.start("dtzn_officer", "professions_cycle", {"year": 2028})
    api.do("dtzn_officer", KEY, "announce", {"intake_deadline": "2027-11-01", "announcement": "Запрос предложений"})


def test_proposals_work_on_the_list_in_force(api):
    open_cycle(api)
    api.start("sector_officer", "professions_proposal", {"year": 2028})
    key = f"{KEY}/ДПЭ"
    bad = [
        item("exclude", "Токарь-карусельщик"),  # not on last year's list
        item("add", "Сварщик"),  # already on it
        item("keep", "Наборщик", "Полиграфия"),  # on it: fine
    ]
    r = api.do("sector_officer", key, "draft_sector", {"year": 2028, "items": bad, "contact": "Соколов"}, expect=422)
    assert set(r["error"]["fields"]) == {"items/0/profession", "items/1/profession"}
    assert "нет в действующем перечне" in r["error"]["fields"]["items/0/profession"]
    assert "draft_sector" in [t["task_def"] for t in api.tasks("sector_officer", key)]  # nothing half-written
    # the same by ОКПДТР code and whatever the letter case or «ё»
    good = [item("exclude", "СВАРЩИК", okpdtr_code="19756"), item("add", "Оператор станков с ЧПУ")]
    api.do("sector_officer", key, "draft_sector", {"year": 2028, "items": good, "contact": "Соколов"})
    assert api.task("dtzn_officer", key, "review")


def test_no_change_in_a_sector_means_no_agreement_task_for_it_and_the_coordinator_submits(api, client):
    open_cycle(api)
    api.start("employment_centre", "professions_proposal", {"year": 2028})
    api.do(
        "employment_centre",
        f"{KEY}/ЦЗН",
        "draft_centre",
        {"year": 2028, "items": [item("exclude", "Продавец продовольственных товаров", "Торговля")], "contact": "ЦЗН"},
    )
    api.do("dtzn_officer", f"{KEY}/ЦЗН", "review", {"decision": "accept"})
    api.do("dtzn_officer", KEY, "close_intake", {"decision": "close"})
    api.do("dtzn_officer", KEY, "consolidate", {"summary": "Проект"})
    agree = (
        db.session.execute(select(HumanTask).where(HumanTask.business_key == KEY, HumanTask.task_def == "agree"))
        .scalars()
        .all()
    )
    dpr = db.session.execute(select(Organisation.id).where(Organisation.code == "DPR")).scalar()
    assert [t.org_scope_id for t in agree] == [dpr]  # only the consumer-market department is concerned
    assert api.tasks("sector_officer", KEY) == []
    api.do("sector_officer_2", KEY, "agree", {"agreement": "agree"})
    r = api.do("coordinator", KEY, "coordinator_review", {"decision": "return"}, expect=422)  # a return says why
    assert "comment" in r["error"]["fields"]
    api.do("coordinator", KEY, "coordinator_review", {"decision": "submit"})
    api.decide(
        KEY,
        "wg_decision",
        {"decision": "approve", "effective_date": "2028-01-01"},
    )
    assert instance(KEY).status == "completed"
    data = client.get("/public/professions/2028.json").get_json()
    assert [i["profession"] for i in data["excluded"]] == ["Продавец продовольственных товаров"]
    assert {i["profession"] for i in data["items"]} == {"Сварщик", "Наборщик", "Повар"}  # carried over
    assert {i["status"] for i in data["items"]} == {"сохранена"}
    html = client.get("/public/professions/2028").get_data(as_text=True)
    assert "Дата начала применения: 01.01.2028" in html and "Исключены в этом году" in html


def test_closing_the_intake_closes_unsent_proposals_with_a_notice_so_none_outlives_its_cycle(api):
    open_cycle(api)
    api.start("sector_officer", "professions_proposal", {"year": 2028})  # sent and reviewed
    api.do(
        "sector_officer",
        f"{KEY}/ДПЭ",
        "draft_sector",
        {"year": 2028, "items": [item("add", "Фрезеровщик")], "contact": "Соколов"},
    )
    api.start("sector_officer_2", "professions_proposal", {"year": 2028})  # never sent
    api.start("employment_centre", "professions_proposal", {"year": 2028})  # sent, not yet reviewed
    api.do(
        "employment_centre",
        f"{KEY}/ЦЗН",
        "draft_centre",
        {"year": 2028, "items": [item("keep", "Повар", "Общественное питание")], "contact": "ЦЗН"},
    )
    api.do("dtzn_officer", f"{KEY}/ДПЭ", "review", {"decision": "accept"})
    r = api.do("dtzn_officer", KEY, "close_intake", {"decision": "close"}, expect=409)  # review what was sent first
    assert f"{KEY}/ЦЗН" in r["error"]["message"]
    assert instance(f"{KEY}/ДПР").status == "running" and api.task("sector_officer_2", f"{KEY}/ДПР", "draft_sector")
    api.do("dtzn_officer", f"{KEY}/ЦЗН", "review", {"decision": "accept"})
    api.do("dtzn_officer", KEY, "close_intake", {"decision": "close"})
    assert instance(f"{KEY}/ДПР").status == "completed"
    assert api.tasks("sector_officer_2", f"{KEY}/ДПР") == []
    db.session.expire_all()
    notice = db.session.execute(
        select(Notification).where(Notification.instance_id == instance(f"{KEY}/ДПР").id, Notification.kind == "notice")
    ).scalar_one()
    assert "не направлены" in notice.body and "закрыт" in notice.body
    assert api.start("sector_officer_2", "professions_proposal", {"year": 2028}, expect=409)  # too late now
    collected = api.task("dtzn_officer", KEY, "consolidate")
    data = api.get_task("dtzn_officer", collected["id"]).get_json()["data"]
    assert data["proposals"]["closed_unsubmitted"] == [f"{KEY}/ДПР"]
    assert {p["business_key"] for p in data["proposals"]["proposals"]} == {f"{KEY}/ДПЭ", f"{KEY}/ЦЗН"}
