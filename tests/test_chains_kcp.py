"""КЦП (roadmap 6.3) rules through the REST API: the intake window, the consolidation built from every
submitted request's assessment, a year without requests, the act in force, the order's number and the
timeline from 1 April to a registered order by 31 May and the ПОО's site update by 1 June."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ROOT
from flask_migrate import downgrade, upgrade
from mail_texts import assert_mails_readable
from sqlalchemy import select, update
from test_chains import (
    AMENDING_TITLE,
    MONDAY,
    ROOT,
    Api,
    accept_and_assess,
    fire_due,
    instance,
    kcp_lines,
    kcp_request,
    open_kcp_campaign,
    sign_and_register,
    submit_kcp,
)

from workflow_app import workdays
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import (
    AuditEvent,
    HumanTask,
    Notification,
    ProcessInstance,
    ProcessModel,
    Publication,
    User,
)
from workflow_app.services import demo, scheduler
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment
from workflow_app.services.process_models.catalogue import compiled_by_id

FROZEN_AT = MONDAY
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


@pytest.fixture
def api(app, client):
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    return Api(client)


CAMPAIGN = "КЦП-2027"


def events(kind, business_key=None):
    db.session.expire_all()
    q = select(AuditEvent).where(AuditEvent.kind == kind)
    if business_key:
        q = q.where(AuditEvent.business_key == business_key)
    return db.session.execute(q.order_by(AuditEvent.seq)).scalars().all()


def open_tasks(business_key):
    db.session.expire_all()
    return (
        db.session.execute(
            select(HumanTask.task_def).where(HumanTask.business_key == business_key, HumanTask.status == "open")
        )
        .scalars()
        .all()
    )


def to_order(api, funding_grows=False):
    api.do("dpo_officer", CAMPAIGN, "consolidate", {"funding_grows": funding_grows, "summary": "Свод"})
    api.do("sector_officer", CAMPAIGN, "opinion_sector", {"sector_decision": "agree"})
    api.do("dtzn_officer", CAMPAIGN, "opinion_dtzn", {"dtzn_decision": "agree"})
    api.do("project_office", CAMPAIGN, "opinion_rpo", {"rpo_decision": "agree"})
    api.decide(CAMPAIGN, "ec_decision", {"decision": "recommend"})
    api.decide(CAMPAIGN, "cc_decision", {"decision": "agree"})


def test_intake_closes_unsubmitted_requests_with_a_notice_and_the_consolidation_waits_for_assessments(api):
    open_kcp_campaign(api)
    tpt = submit_kcp(api, 1)
    ttit = "КЦП-2027/ТТИТ"
    api.start("college_officer_2", "kcp_request", {"year": 2027})
    api.do("college_officer_2", ttit, "fill_request", kcp_request(kcp_lines("09.02.07", 50, 75)))
    # TTIT's director has not signed it when ДепПО decides; an extension needs its date and grounds
    r = api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "extend"}, expect=422)
    assert {"new_deadline", "comment"} <= set(r["error"]["fields"])
    api.do(
        "dpo_officer",
        CAMPAIGN,
        "close_intake",
        {"decision": "extend", "new_deadline": "2027-04-30", "comment": "Просьба ПОО"},
    )
    extended = [e for e in events("task_completed", CAMPAIGN) if e.payload.get("task") == "close_intake"]
    assert extended[-1].payload["data"]["new_deadline"] == "2027-04-30"  # a recorded decision
    assert "close_intake" in open_tasks(CAMPAIGN)  # the intake is open again
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})

    # the unsubmitted request is closed with a notice to its ПОО; nothing of it is left open
    assert instance(ttit).status == "completed" and open_tasks(ttit) == []
    notice = events("notice", ttit)
    assert len(notice) == 1 and "закрыта без рассмотрения" in notice[0].payload["text"]
    assert api.tasks("college_director_2", ttit) == []
    told = db.session.execute(select(Notification).where(Notification.instance_id == instance(ttit).id)).scalars()
    assert {(n.kind, n.subject) for n in told} == {("notice", "Заявка закрыта")}  # the ПОО's officer and director
    api.start("college_officer_2", "kcp_request", {"year": 2027}, expect=409)  # and no late start either

    # the submitted one is not assessed yet: the consolidation waits for it, not without it; the steps it
    # waits for carry their own timers (a reminder to the head of ДепПО when the assessment is late)
    assert "consolidate" not in open_tasks(CAMPAIGN)
    assert "kcp_assessed" in instance(CAMPAIGN).waiting_messages
    api.do("dpo_officer", tpt, "formal_check", {"decision": "accept"})
    fire_due(MONDAY + timedelta(days=7))
    assert [e.payload["task"] for e in events("reminder", tpt) if e.payload["group"] == "dpo_head"] == ["assess"]
    assert_mails_readable({"notice", "reminder"})
    assert "consolidate" not in open_tasks(CAMPAIGN)
    api.do(
        "dpo_officer",
        tpt,
        "assess",
        {
            "opinion": "support_partly",
            "line_opinions": [{"programme_code": "15.02.16", "form_of_study": "full_time", "proposed_kcp": 40}],
        },
    )
    task = api.task("dpo_officer", CAMPAIGN, "consolidate")
    data = api.get_task("dpo_officer", task["id"]).get_json()["data"]
    assert [(r["business_key"], r["current"], r["requested"], r["proposed"]) for r in data["assessed_requests"]] == [
        (tpt, 25, 50, 40)
    ]
    assert data["requests_totals"] == {
        "requests": 1,
        "lines": 1,
        "current": 25,
        "requested": 50,
        "proposed": 40,
        "delta": 15,
    }
    to_order(api)
    sign_and_register(api, finance=False)
    assert instance(CAMPAIGN).status == "completed"
    rows = api.client.get("/public/kcp/2027.json").get_json()["rows"]
    changed = [(r["college_code"], r["programme_code"], r["approved_kcp"]) for r in rows if r["changed"]]
    assert changed == [("TPT", "15.02.16", 40)]  # TTIT's unsubmitted request changed nothing
    assert {r["college_code"] for r in rows} == {
        "TPT",
        "TTIT",
        "TMK",
        "TLTT",
    }  # …and TTIT's lines are still in the table


def test_a_request_returned_after_the_close_keeps_the_campaign_waiting_and_its_rejection_releases_it(api):
    open_kcp_campaign(api)
    tpt = submit_kcp(api, 1)
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    assert instance(tpt).status == "running"  # it was submitted: not closed
    api.do("dpo_officer", tpt, "formal_check", {"decision": "return", "comment": "Приложите письма"})
    assert "fill_request" in open_tasks(tpt) and "consolidate" not in open_tasks(CAMPAIGN)
    api.do("college_officer_1", tpt, "fill_request", kcp_request())
    api.do("college_director_1", tpt, "sign_request", {"decision": "sign"})
    api.do("dpo_officer", tpt, "formal_check", {"decision": "reject", "comment": "Программа не лицензирована"})
    # nothing left to consider: a recorded "no changes", no councils, no order
    campaign = instance(CAMPAIGN)
    assert campaign.status == "completed"
    assert [e.payload["outcome"] for e in events("outcome", CAMPAIGN)] == ["no_changes"]


def test_a_year_without_requests_ends_in_a_recorded_no_changes(api):
    open_kcp_campaign(api)
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    campaign = instance(CAMPAIGN)
    assert campaign.status == "completed"
    outcome = events("outcome", CAMPAIGN)
    assert len(outcome) == 1 and outcome[0].payload["outcome"] == "no_changes"
    assert "327-ра" in outcome[0].payload["act_in_force"]
    made = {e.payload["task"] for e in events("task_ready", CAMPAIGN)}
    assert made == {"announce", "close_intake"}  # no consolidation, councils or order
    assert db.session.execute(select(Publication).where(Publication.source_instance_id == campaign.id)).first() is None


def test_current_figures_come_from_the_act_in_force_not_from_what_the_poo_types(api):
    open_kcp_campaign(api)
    started = api.start("college_officer_1", "kcp_request", {"year": 2027})
    fill = api.task("college_officer_1", started["business_key"], "fill_request")
    prefilled = api.get_task("college_officer_1", fill["id"])
    lines = prefilled.get_json()["data"]["lines"]
    assert [(x["programme_code"], x["current_kcp"]) for x in lines] == [("15.01.05", 50), ("15.02.16", 25)]
    api.complete("college_officer_1", fill["id"], kcp_request(kcp_lines("15.02.16", current=999, requested=30)))
    api.do("college_director_1", started["business_key"], "sign_request", {"decision": "sign"})
    accept_and_assess(api, started["business_key"])
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    to_order(api)
    sign_and_register(api, finance=False)
    rows = api.client.get("/public/kcp/2027.json").get_json()["rows"]
    line = next(r for r in rows if r["programme_code"] == "15.02.16")
    assert (line["current_kcp"], line["approved_kcp"], line["delta"], line["changed"]) == (25, 30, 5, True)


def test_order_number_suffix_is_configuration(api, app, tmp_path):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    accept_and_assess(api, key)
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    to_order(api)
    draft = api.task("dpo_officer", CAMPAIGN, "draft_order")
    data = api.get_task("dpo_officer", draft["id"]).get_json()["data"]
    assert data["act_title"] == AMENDING_TITLE
    api.complete(
        "dpo_officer", draft["id"], {"act_type": data["act_type"], "act_title": AMENDING_TITLE, "draft_text": "Проект"}
    )
    api.do("dpo_head", CAMPAIGN, "visa_head", {"decision": "approve"})
    api.do("legal_officer", CAMPAIGN, "visa_legal", {"decision": "approve"})
    api.do("deputy_governor", CAMPAIGN, "sign_order", {"decision": "sign"})
    for wrong in ("321-рп", "321", "ра-321"):
        r = api.do(
            "records_office", CAMPAIGN, "register_order", {"order_number": wrong, "order_date": "2027-05-24"}, 422
        )
        assert "order_number" in r["error"]["fields"]
    assert "register_order" in open_tasks(CAMPAIGN)  # refused, nothing half-written
    # the region renames its acts: the suffix is read from the configuration, not a form
    from workflow_app.services.chains_config import config

    cfg = json.loads(json.dumps(config()))
    cfg["order_number_suffix"] = "-рп"
    path = tmp_path / "chains.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    app.config["CHAINS_CONFIG"] = str(path)
    try:
        api.do(
            "records_office", CAMPAIGN, "register_order", {"order_number": "321-ра", "order_date": "2027-05-24"}, 422
        )
        api.do("records_office", CAMPAIGN, "register_order", {"order_number": "321-рп", "order_date": "2027-05-24"})
    finally:
        app.config["CHAINS_CONFIG"] = ""
    assert instance(CAMPAIGN).status == "completed"


def _due_days(process_id):
    model = db.session.execute(
        select(ProcessModel).where(ProcessModel.process_id == process_id).order_by(ProcessModel.version.desc())
    ).scalar()
    return {k: v.get("dueWorkingDays", 0) for k, v in compiled_by_id(model.id).meta["user_tasks"].items()}


def test_the_due_dates_from_1_april_add_up_to_a_registered_order_by_31_may(api):
    campaign, request = _due_days("kcp_campaign"), _due_days("kcp_request")
    path = [
        campaign["announce"],
        campaign["close_intake"],
        request["formal_check"],  # a request signed on the intake's last day is checked and assessed
        request["assess"],
        campaign["consolidate"],
        max(campaign[t] for t in ("opinion_sector", "opinion_dtzn", "opinion_finance", "opinion_rpo")),
        campaign["ec_decision"],
        campaign["cc_decision"],
        campaign["draft_order"],
        campaign["visa_head"],
        campaign["visa_legal"],
        campaign["visa_finance"],
        campaign["sign_order"],
        campaign["register_order"],
    ]
    for year in (2027, 2028, 2029, 2030):
        start = datetime(year, 4, 1, 2, 0, tzinfo=UTC)  # the scheduler opens the campaign on 1 April, 09:00
        due = start
        for days in path:
            due = workdays.add_working_days(due, days)
        assert due.astimezone(clock.REGION_TZ).date() <= datetime(year, 5, 31).date(), (year, due, sum(path))


def test_the_site_update_is_due_on_1_june_with_a_reminder(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    accept_and_assess(api, key)
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    to_order(api)
    sign_and_register(api, finance=False)
    task = api.task("college_officer_1", key, "confirm_site")
    due = datetime.fromisoformat(task["due_at"]).astimezone(clock.REGION_TZ)
    assert (due.date().isoformat(), due.hour) == ("2027-06-01", 18)
    fire_due(datetime(2027, 6, 1, 12, 0, tzinfo=UTC))  # 19:00 in Tomsk: late
    reminders = events("reminder", key)
    assert any(e.payload["task"] == "confirm_site" and e.payload["group"] == "dpo_officer" for e in reminders)
    api.do("college_officer_1", key, "confirm_site", {"site_url": "https://tpt.example/abitur", "confirmed": True})
    assert instance(key).status == "completed"
    left = db.session.execute(
        select(HumanTask).where(HumanTask.status == "open", HumanTask.business_key.like("КЦП-2027%"))
    ).all()
    assert left == []
    assert db.session.execute(select(ProcessInstance).where(ProcessInstance.status == "running")).all() == []


def test_founders_other_than_the_dpo_take_the_founders_steps_for_their_own_poo(api, client):
    """Департамент по культуре and Департамент лесного хозяйства check and assess the requests of the ПОО they
    founded (the founder in the organisations' registry); ДепПО does so for its own; nobody else sees them."""
    open_kcp_campaign(api)
    keys = {}
    for n, founder_officer in ((1, "dpo_officer"), (3, "sector_officer_4"), (4, "sector_officer_5")):
        started = api.start(f"college_officer_{n}", "kcp_request", {"year": 2027})
        key = keys[founder_officer] = started["business_key"]
        line = json.loads(json.dumps(kcp_request()["lines"][0]))
        api.do(f"college_officer_{n}", key, "fill_request", kcp_request([line]))
        api.do(f"college_director_{n}", key, "sign_request", {"decision": "sign"})
    names = {
        "dpo_officer": "Департамент профессионального образования Томской области",
        "sector_officer_4": "Департамент по культуре Томской области",
        "sector_officer_5": "Департамент лесного хозяйства Томской области",
    }
    for officer, key in keys.items():
        task = api.task(officer, key, "formal_check")
        assert task["name"] == "Формальная проверка заявки департаментом — учредителем ПОО"
        assert api.get_task(officer, task["id"]).get_json()["data"]["founder_name"] == names[officer]
        for other in set(keys) - {officer} | {"sector_officer"}:  # another founder, another industry's department
            assert [t for t in api.tasks(other, key) if t["task_def"] == "formal_check"] == []
            api.complete(other, task["id"], {"decision": "accept"}, expect=404)  # not theirs: not even visible
    # a late check reminds the founder's own people: ДепПО's head, the culture department's officers
    fire_due(MONDAY + timedelta(days=5))
    reminded = {
        (e.business_key, (e.payload or {}).get("group"), (e.payload or {}).get("org")) for e in events("reminder")
    }
    assert (keys["dpo_officer"], "dpo_head", "DEPPO") in reminded
    assert (keys["sector_officer_4"], "sector_officer", "DKULT") in reminded
    db.session.expire_all()
    people = dict(db.session.execute(select(User.id, User.username)).all())
    told = {
        (instance_id, people[user_id])
        for instance_id, user_id in db.session.execute(
            select(Notification.instance_id, Notification.user_id).where(Notification.kind == "reminder")
        )
    }
    culture = instance(keys["sector_officer_4"]).id
    assert {who for iid, who in told if iid == culture} == {"sector_officer_4"}  # not other departments' officers
    assert "dpo_head" in {who for iid, who in told if iid == instance(keys["dpo_officer"]).id}
    for officer, key in keys.items():
        api.do(officer, key, "formal_check", {"decision": "accept"})
        api.do(officer, key, "assess", {"opinion": "support", "comment": "Обоснование подтверждено"})
    assert open_tasks(keys["sector_officer_5"]) == []
    assert "kcp_decision" in instance(keys["sector_officer_5"]).waiting_messages


def test_case_numbers_are_cyrillic_and_found_however_typed(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    assert key == "КЦП-2027/ТПТ"
    case = api.start("investor_1", "investor_case", {})["business_key"]
    assert case == "ИП/СХК/1"
    db.session.expire_all()
    keys = db.session.execute(select(ProcessInstance.business_key)).scalars().all()
    assert keys and not [k for k in keys if re.search("[A-Za-z]", k)]  # one script: no Latin letter in any
    # typed on a Latin layout or in lower case: «k» and «T», «P» are Latin here
    for typed in ("kцп-2027/tпт", "КЦП-2027/ТПТ", "кцп-2027/тпт", " KЦП-2027/TПT "):
        found = [t["business_key"] for t in api.tasks("dpo_officer", typed)]
        assert found == [key], typed
        r = api.client.get("/api/v1/instances", query_string={"business_key": typed}, headers=api._h("admin"))
        assert [i["business_key"] for i in r.get_json()] == [key], typed
    assert [t["business_key"] for t in api.tasks("investor_1", "ип/cxk/1")] == [case]
    assert api.tasks("dpo_officer", "КЦП-2027/ТТИТ") == [] and api.tasks("dpo_officer", "кцп-2028/тпт") == []
    r = api.client.get("/api/v1/audit/events", query_string={"business_key": "kцп-2027/тпт"}, headers=api._h("auditor"))
    assert r.status_code == 200 and {e["business_key"] for e in r.get_json()["events"]} == {key}


@pytest.mark.postgres_too
def test_cases_stored_before_the_folded_numbers_are_found_after_the_migration(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    db.session.remove()
    migrations = str(ROOT / "migrations")
    downgrade(directory=migrations, revision="0025_cancelled_recipients")  # no folded numbers yet
    db.session.remove()
    upgrade(directory=migrations, revision="heads")  # 0026 folds the numbers already stored
    folded = db.session.execute(
        select(ProcessInstance.business_key_folded).where(ProcessInstance.business_key == key)
    ).scalar_one()
    assert folded == "кцп-2027/тпт"
    assert [t["business_key"] for t in api.tasks("dpo_officer", " KЦП-2027/TПT ")] == [key]


@pytest.mark.postgres_too
def test_a_case_started_by_older_code_during_the_upgrade_is_folded_by_the_scheduler(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    unfold = update(ProcessInstance).where(ProcessInstance.business_key == key).values(business_key_folded=None)
    db.session.execute(unfold)  # as a worker of the version before migration 0026 stored it
    db.session.commit()
    assert api.tasks("dpo_officer", "kцп-2027/tпт") == []
    assert scheduler.tick().as_dict()["folded_case_numbers"] == 1  # what `flask scheduler tick` prints
    assert [t["business_key"] for t in api.tasks("dpo_officer", "kцп-2027/tпт")] == [key]


def test_the_regional_project_office_agrees_the_consolidated_proposal_as_6_3_names_it(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    accept_and_assess(api, key)
    api.do("dpo_officer", CAMPAIGN, "close_intake", {"decision": "close"})
    api.do("dpo_officer", CAMPAIGN, "consolidate", {"funding_grows": False, "summary": "Свод"})
    task = api.task("project_office", CAMPAIGN, "opinion_rpo")
    assert task["name"] == "Согласование сводного предложения региональным проектным офисом"
    assert [t for t in api.tasks("sector_officer", CAMPAIGN) if t["task_def"] == "opinion_rpo"] == []
    api.do("sector_officer", CAMPAIGN, "opinion_sector", {"sector_decision": "agree"})
    api.do("dtzn_officer", CAMPAIGN, "opinion_dtzn", {"dtzn_decision": "agree"})
    assert "ec_decision" not in open_tasks(CAMPAIGN)  # the Expert Council waits for the project office
    r = api.complete("project_office", task["id"], {"rpo_decision": "disagree"}, expect=422)
    assert "rpo_remarks" in r["error"]["fields"]  # a disagreement says why
    api.complete("project_office", task["id"], {"rpo_decision": "agree_with_remarks", "rpo_remarks": "Учесть паспорт"})
    assert "ec_decision" in open_tasks(CAMPAIGN)
    db.session.expire_all()
    rpo = db.session.execute(select(User).where(User.username == "project_office")).scalar_one()
    assert rpo.organisation.name.startswith("Департамент проектной деятельности – региональный проектный офис")
