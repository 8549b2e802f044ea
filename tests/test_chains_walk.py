"""A scripted walk of the three chains on what `make run` sets up (the roadmap models deployed, the demo
organisations and users, last year's КЦП table and professions list): two ПОО (one submits in time, one too
late), two investors, the year's list. At the end every result is published whole and nothing is left open:
no task, no request, no case."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_chains import MONDAY, ROOT, Api, fire_due, instance, kcp_lines, kcp_request, questionnaire, staffing_plan

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, ProcessInstance
from workflow_app.services import demo
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

KCP, LIST = "КЦП-2027", "Перечень-2028"


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


@pytest.fixture
def api(app, client):
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")  # what `make run` deploys: the chains, no example process
    demo.load(SYSTEM, password="demo-pw-1")
    return Api(client)


def item(action, profession, sector, **extra):
    return {
        "action": action,
        "profession": profession,
        "programme_type": "training",
        "sector": sector,
        "justification": "Потребность работодателей",
        **extra,
    }


def investor_to_decision(api, who, key):
    api.do(
        who,
        key,
        "questionnaire",
        questionnaire() | {"investor_inn": "7017123451" if who == "investor_1" else "7017987652"},
    )
    api.do("di_officer", key, "di_check", {"decision": "accept"})
    api.do("coordinator", key, "open_case", {"case_number": f"КД-{key[-1]}"})
    api.do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree"})
    api.do("employment_centre", key, "opinion_czn", {"czn_decision": "agree"})
    api.do("dpo_officer", key, "opinion_dpo", {"dpo_decision": "agree"})
    api.do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    api.do("sector_officer_3", key, "opinion_dnvo", {"dnvo_decision": "agree"})
    plan = staffing_plan()
    plan["measures"] = [m for m in plan["measures"] if m["kind"] == "professions_list"]
    api.do(who, key, "plan", plan)
    api.do("coordinator", key, "plan_review", {"decision": "agree"})


def test_a_year_of_the_three_chains_leaves_nothing_open(api, client):
    deployed = {m["process_id"] for m in client.get("/api/v1/processes", headers=api._h("admin")).get_json()}
    assert "example_approval" not in deployed and {"kcp_campaign", "professions_cycle", "investor_case"} <= deployed

    # (a) КЦП 2027: ТПТ submits in time, ТТИТ does not sign before the intake closes; the music ПОО's request
    # is checked and assessed by its founder, Департамент по культуре
    api.start("dpo_officer", "kcp_campaign", {"year": 2027})
    api.do("dpo_officer", KCP, "announce", {"intake_deadline": "2027-04-19", "announcement": "Приём заявок открыт"})
    api.start("college_officer_1", "kcp_request", {"year": 2027})
    api.do("college_officer_1", f"{KCP}/ТПТ", "fill_request", kcp_request())
    api.do("college_director_1", f"{KCP}/ТПТ", "sign_request", {"decision": "sign"})
    api.start("college_officer_2", "kcp_request", {"year": 2027})
    api.do("college_officer_2", f"{KCP}/ТТИТ", "fill_request", kcp_request(kcp_lines("09.02.07", 50, 75)))
    api.start("college_officer_3", "kcp_request", {"year": 2027})
    music = [{**kcp_lines("53.02.03", 20, 24)[0], "programme_name": "Инструментальное исполнительство"}]
    api.do("college_officer_3", f"{KCP}/ТМК", "fill_request", kcp_request(music))
    api.do("college_director_3", f"{KCP}/ТМК", "sign_request", {"decision": "sign"})
    api.do("dpo_officer", KCP, "close_intake", {"decision": "close"})
    api.start("college_officer_2", "kcp_request", {"year": 2027}, expect=409)  # too late
    api.do("dpo_officer", f"{KCP}/ТПТ", "formal_check", {"decision": "accept"})
    api.do("dpo_officer", f"{KCP}/ТПТ", "assess", {"opinion": "support"})
    api.do("sector_officer_4", f"{KCP}/ТМК", "formal_check", {"decision": "accept"})
    api.do("sector_officer_4", f"{KCP}/ТМК", "assess", {"opinion": "support"})
    api.do("dpo_officer", KCP, "consolidate", {"funding_grows": True, "summary": "Свод"})
    api.do("sector_officer", KCP, "opinion_sector", {"sector_decision": "agree"})
    api.do("dtzn_officer", KCP, "opinion_dtzn", {"dtzn_decision": "agree"})
    api.do("project_office", KCP, "opinion_rpo", {"rpo_decision": "agree"})
    api.do("finance_officer", KCP, "opinion_finance", {"finance_decision": "agree"})
    api.decide(
        KCP,
        "ec_decision",
        {"decision": "recommend"},
    )
    api.decide(
        KCP,
        "cc_decision",
        {"decision": "agree"},
    )
    draft = api.task("dpo_officer", KCP, "draft_order")
    prefilled = api.get_task("dpo_officer", draft["id"]).get_json()["data"]
    api.complete(
        "dpo_officer",
        draft["id"],
        {"act_type": prefilled["act_type"], "act_title": prefilled["act_title"], "draft_text": "Проект"},
    )
    api.do("dpo_head", KCP, "visa_head", {"decision": "approve"})
    api.do("legal_officer", KCP, "visa_legal", {"decision": "approve"})
    api.do("finance_officer", KCP, "visa_finance", {"decision": "approve"})
    api.do("deputy_governor", KCP, "sign_order", {"decision": "sign"})
    api.do("records_office", KCP, "register_order", {"order_number": "321-ра", "order_date": "2027-05-24"})
    api.do(
        "college_officer_1", f"{KCP}/ТПТ", "confirm_site", {"site_url": "https://tpt.example/abitur", "confirmed": True}
    )
    api.do(
        "college_officer_3", f"{KCP}/ТМК", "confirm_site", {"site_url": "https://tmk.example/abitur", "confirmed": True}
    )

    # (b) the 2028 list: last year's list carried over; an industry, an employment centre and an investor propose
    api.start("dtzn_officer", "professions_cycle", {"year": 2028})
    api.do("dtzn_officer", LIST, "announce", {"intake_deadline": "2027-11-01", "announcement": "Запрос предложений"})
    api.start("sector_officer", "professions_proposal", {"year": 2028})
    api.do(
        "sector_officer",
        f"{LIST}/ДПЭ",
        "draft_sector",
        {"year": 2028, "contact": "Соколов", "items": [item("exclude", "Наборщик", "Полиграфия")]},
    )
    api.start("sector_officer_2", "professions_proposal", {"year": 2028})  # started, never sent: closed at the close
    api.start("employment_centre", "professions_proposal", {"year": 2028})
    api.do(
        "employment_centre",
        f"{LIST}/ЦЗН",
        "draft_centre",
        {"year": 2028, "contact": "ЦЗН", "items": [item("modify", "Повар", "Общественное питание", grade="5")]},
    )

    # (c) two investors: one plan approved (its list proposal joins the open 2028 cycle), one rejected
    one = api.start("investor_1", "investor_case", {})["business_key"]
    two = api.start("investor_2", "investor_case", {})["business_key"]
    investor_to_decision(api, "investor_1", one)
    investor_to_decision(api, "investor_2", two)
    api.decide(
        two,
        "wg_decision",
        {
            "decision": "reject",
            "comment": "Проект не обеспечен финансированием",
        },
    )
    api.decide(
        one,
        "wg_decision",
        {"decision": "approve"},
    )
    followup = f"{LIST}/{one}"
    assert instance(followup).parent_id == instance(LIST).id
    proposal = api.get_task("sector_officer", api.task("sector_officer", followup, "draft_sector")["id"]).get_json()[
        "data"
    ]
    api.do("sector_officer", followup, "draft_sector", {"year": 2028, "contact": "Соколов", "items": proposal["items"]})
    for key in (f"{LIST}/ДПЭ", f"{LIST}/ЦЗН", followup):
        api.do("dtzn_officer", key, "review", {"decision": "accept"})
    api.do("dtzn_officer", LIST, "close_intake", {"decision": "close"})
    api.do("dtzn_officer", LIST, "consolidate", {"summary": "Проект перечня на 2028 год"})
    api.do("sector_officer", LIST, "agree", {"agreement": "agree"})
    api.do("sector_officer_2", LIST, "agree", {"agreement": "agree"})
    api.do("coordinator", LIST, "coordinator_review", {"decision": "submit"})
    api.decide(
        LIST,
        "wg_decision",
        {"decision": "approve", "effective_date": "2028-01-01"},
    )

    # the approved case is monitored quarterly until its plan is done
    fire_due(MONDAY + timedelta(days=100))
    report = {
        "report_period": "III квартал 2027 г.",
        "hired": 40,
        "trained": 25,
        "measures": "Набор выполнен",
        "decision": "completed",
    }
    api.do("investor_1", one, "quarterly_report", report)

    # results: the whole КЦП table (both ПОО), the whole list (last year's items carried over)
    kcp = client.get("/public/kcp/2027.json").get_json()
    assert {r["college_code"] for r in kcp["rows"]} == {"TPT", "TTIT", "TMK", "TLTT"}
    changed = {(r["college_code"], r["programme_code"], r["approved_kcp"]) for r in kcp["rows"] if r["changed"]}
    assert changed == {("TPT", "15.02.16", 50), ("TMK", "53.02.03", 24)}
    professions = client.get("/public/professions/2028.json").get_json()
    status = {i["profession"]: i["status"] for i in professions["items"]}
    assert status["Сварщик"] == "сохранена" and status["Продавец продовольственных товаров"] == "сохранена"
    assert status["Повар"] == "изменена" and status["Аппаратчик"] == "новая"
    assert [i["profession"] for i in professions["excluded"]] == ["Наборщик"]

    assert instance(f"{LIST}/ДПР").status == "completed"  # the unsent proposal was closed with its notice

    # case numbers in one script: Cyrillic
    db.session.expire_all()
    assert not [
        k for k in db.session.execute(select(ProcessInstance.business_key)).scalars() if re.search("[A-Za-z]", k)
    ]

    # nothing left open anywhere
    db.session.expire_all()
    assert (
        db.session.execute(select(HumanTask.business_key, HumanTask.task_def).where(HumanTask.status == "open")).all()
        == []
    )
    assert (
        db.session.execute(select(ProcessInstance.business_key).where(ProcessInstance.status == "running")).all() == []
    )
