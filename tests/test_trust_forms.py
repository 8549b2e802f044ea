"""Issue 18 classes 3 and 4 and issue 21's registry choices: what a client may write, on every face.

- A process takes at start only the fields of its start form (``formKey`` on its start event), validated as
  any task form and published in ``GET /api/v1/processes``; nothing is created on a refusal.
- A task's submission writes only its own form's fields; read-only and computed ones come from the server
  (the web face here, the API face in test_submission.py).
- A field that references an organisation is a choice from the registry, checked at entry; an organisation's
  identifying data comes from its registry record.
- A browser session ends after ``SESSION_IDLE_MINUTES`` without a request.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from test_chains import (  # noqa: F401  (fixtures)
    MONDAY,
    api,
    instance,
    kcp_request,
    open_kcp_campaign,
    questionnaire,
    staffing_plan,
)

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, ProcessInstance, UserSession
from workflow_app.services.cases import advance

FROZEN_AT = MONDAY
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def web_login(client, username, password="demo-pw-1"):
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(page)})
    assert r.status_code == 302, r.get_data(as_text=True)


def web_post(client, url, data, page):
    html = client.get(page).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf(html)})


def html_fields(data: dict, prefix: str = "") -> dict:
    """A JSON submission as the HTML form posts it (``lines-0-programme_code``)."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for i, row in enumerate(value):
                out.update(html_fields(row, f"{name}-{i}-"))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def instances_count() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count(ProcessInstance.id))).scalar_one()


def starts_recorded() -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "instance_started")
    ).scalar_one()


# --- 18.3 start forms ----------------------------------------------------------------------------------


def test_every_process_publishes_its_start_form_in_the_list_and_the_openapi_document(api, client):
    def listed(who):
        return {p["process_id"]: p for p in client.get("/api/v1/processes", headers=api._h(who)).get_json()}

    campaign = listed("dpo_officer")["kcp_campaign"]["start_form"]
    assert set(campaign["properties"]) == {"year"} and campaign["required"] == ["year"]
    assert campaign["properties"]["year"]["minimum"] == 2000
    assert set(listed("college_officer_1")["kcp_request"]["start_form"]["properties"]) == {"year"}
    # a data call is opened by its service with the recipients it computes: a client sends nothing
    assert listed("dtzn_officer")["data_call"]["start_form"] is None
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Process"]
    assert "start_form" in schema["properties"] and schema["properties"]["start_form"].get("description")


@pytest.mark.parametrize(
    ("process_id", "data", "field"),
    [
        ("kcp_campaign", {"year": 2027, "draft_decision": "Утвердить КЦП"}, "draft_decision"),
        ("kcp_campaign", {"year": 2027, "protocol_ref": "протокол № 1 / вопрос 1"}, "protocol_ref"),
        ("kcp_campaign", {"year": -2027}, "year"),
        ("kcp_campaign", {"year": "две тысячи"}, "year"),
        ("kcp_campaign", {}, "year"),
        ("investor_case", {"dtzn_decision": "agree", "dtzn_remarks": "Согласовано"}, "dtzn_decision"),
        ("investor_case", {"investor_org_code": "NO-SUCH"}, "investor_org_code"),
        ("data_call", {"recipients": [{"org_id": 1}]}, "recipients"),
    ],
)
def test_start_data_outside_the_start_form_is_refused_and_nothing_is_created(api, process_id, data, field):
    who = (
        "di_officer"
        if process_id == "investor_case"
        else "dpo_officer"
        if process_id != "data_call"
        else "dtzn_officer"
    )
    before = starts_recorded()
    answer = api.start(who, process_id, data, expect=422)
    assert field in answer["error"]["fields"], answer
    assert answer["error"]["fields"][field]  # a clear message per field
    assert instances_count() == 0 and starts_recorded() == before


@pytest.mark.postgres_too
def test_a_college_cannot_slip_another_departments_opinion_into_its_request(api):
    open_kcp_campaign(api)
    answer = api.start(
        "college_officer_1", "kcp_request", {"year": 2027, "opinion_dtzn": "agree", "queued_for": 2030}, expect=422
    )
    assert {"opinion_dtzn", "queued_for"} <= set(answer["error"]["fields"])
    assert instances_count() == 1  # the campaign only
    started = api.start("college_officer_1", "kcp_request", {"year": 2027})
    assert started["business_key"] == "КЦП-2027/ТПТ"


def test_the_web_start_page_shows_the_start_form_and_reads_only_its_fields(api, client):
    web_login(client, "dpo_officer")
    page = client.get("/start?process=kcp_campaign").get_data(as_text=True)
    assert 'id="f-year"' in page and "Год цикла" in page
    refused = web_post(client, "/start", {"process_id": "kcp_campaign", "year": "-1"}, "/start?process=kcp_campaign")
    assert refused.status_code == 422 and "Процесс не запущен" in refused.get_data(as_text=True)
    assert instances_count() == 0
    forged = {"process_id": "kcp_campaign", "year": "2027", "draft_decision": "Утвердить", "signatory": "Я"}
    started = web_post(client, "/start", forged, "/start?process=kcp_campaign")
    assert started.status_code == 302, started.get_data(as_text=True)
    data = advance.instance_data(instance("КЦП-2027"))
    assert data["year"] == 2027 and "draft_decision" not in data
    assert data["signatory"] != "Я"  # the chain's configuration, not the client's


# --- 18.3 second half: a task's submission on the web face ------------------------------------------------


def test_the_web_form_cannot_change_a_read_only_or_computed_field(api, client):
    open_kcp_campaign(api)
    api.start("college_officer_1", "kcp_request", {"year": 2027})
    task = api.task("college_officer_1", "КЦП-2027/ТПТ", "fill_request")
    web_login(client, "college_officer_1")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    lock = re.search(r'name="lock_version" value="(\d+)"', page).group(1)
    forged = html_fields(kcp_request()) | {"year": "1999", "total_delta": "1000", "lines-0-delta": "1000"}
    r = web_post(client, f"/tasks/{task['id']}/complete", {**forged, "lock_version": lock}, f"/tasks/{task['id']}")
    assert r.status_code == 302, r.get_data(as_text=True)
    data = advance.instance_data(instance("КЦП-2027/ТПТ"))
    assert data["year"] == 2027 and data["total_delta"] == 25 and data["lines"][0]["delta"] == 25


# --- 18.4 / issue 21: organisation references are choices from the registry ----------------------------


def to_plan(api) -> str:
    case = api.start("investor_1", "investor_case", {})
    key = case["business_key"]
    api.do("investor_1", key, "questionnaire", questionnaire())
    api.do("di_officer", key, "di_check", {"decision": "accept"})
    api.do("coordinator", key, "open_case", {"case_number": "КД-1"})
    api.do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree"})
    api.do(
        "employment_centre", key, "opinion_czn", {"czn_vacancies": 12, "czn_job_seekers": 30, "czn_decision": "agree"}
    )
    api.do("dpo_officer", key, "opinion_dpo", {"dpo_decision": "agree"})
    api.do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    api.do("sector_officer_3", key, "opinion_dnvo", {"dnvo_decision": "agree"})
    return key


def test_a_staffing_plan_naming_an_unknown_college_is_refused_when_submitted(api, client):
    key = to_plan(api)
    task = api.task("investor_1", key, "plan")
    form = api.get_task("investor_1", task["id"]).get_json()["form"]
    college = form["properties"]["measures"]["items"]["properties"]["college_code"]
    assert "TPT" in college["enum"] and len(college["enum"]) == len(college["x-ui"]["enumNames"])
    bad = staffing_plan()
    bad["measures"][0]["college_code"] = "NO-SUCH-COLLEGE"
    answer = api.do("investor_1", key, "plan", bad, expect=422)
    assert "measures/0/college_code" in answer["error"]["fields"], answer
    assert "реестр" in answer["error"]["fields"]["measures/0/college_code"]
    web_login(client, "investor_1")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    select_ = re.search(r'<select[^>]*name="measures-0-college_code"[^>]*>(.*?)</select>', page, re.S)
    assert select_ and 'value="TPT"' in select_.group(1)  # a keyboard-usable choice, not a text box
    api.do("investor_1", key, "plan", staffing_plan())


def test_an_investor_cannot_submit_another_companys_name_and_inn(api, client):
    case = api.start("investor_1", "investor_case", {})
    key = case["business_key"]
    other = questionnaire() | {"investor_name": "АО «Томлесдрев-Инвест»", "investor_inn": "7017987652"}
    api.do("investor_1", key, "questionnaire", other)
    data = advance.instance_data(instance(key))
    assert data["investor_name"] == "ООО «Сибирский химический комбинат — Новые материалы»"
    assert data["investor_inn"] == "7017123451"  # from the registry record of SIBHIM


def test_the_investor_of_a_case_is_a_choice_from_the_registry_and_outsiders_see_only_their_own(api, client):
    def choices(who):
        listed = {p["process_id"]: p for p in client.get("/api/v1/processes", headers=api._h(who)).get_json()}
        return listed["investor_case"]["start_form"]["properties"]["investor_org_code"]["enum"]

    assert sorted(choices("di_officer")) == ["SIBHIM", "TOMLES"]
    assert choices("investor_1") == ["SIBHIM"]  # never the names of the other companies
    answer = api.start("investor_1", "investor_case", {"investor_org_code": "TOMLES"}, expect=422)
    assert "investor_org_code" in answer["error"]["fields"]
    started = api.start("di_officer", "investor_case", {"investor_org_code": "TOMLES"})
    assert started["business_key"] == "ИП/ТЛД/1"
    assert advance.instance_data(instance("ИП/ТЛД/1"))["investor_inn"] == "7017987652"
    web_login(client, "di_officer")
    page = client.get("/start?process=investor_case").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="f-investor_org_code"', page) and "Томлесдрев" in page


# --- issue 21: the idle timeout of a browser session ---------------------------------------------------


def test_a_browser_session_ends_after_the_idle_timeout_and_activity_keeps_it(api, client, app):
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=12)
    web_login(client, "dpo_officer")
    assert client.get("/inbox").status_code == 200
    for _ in range(3):  # working: a request every 20 minutes keeps the session
        clock.set_clock(clock.now() + timedelta(minutes=20))
        assert client.get("/inbox").status_code == 200
    clock.set_clock(clock.now() + timedelta(minutes=31))
    r = client.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    db.session.expire_all()
    assert db.session.execute(select(UserSession)).scalar_one().ended_at is not None
    clock.set_clock(clock.now() - timedelta(minutes=31))  # back in time: the ended session stays ended
    assert client.get("/inbox").status_code == 302


def test_a_browser_session_ends_after_its_longest_lifetime_however_active(api, client, app):
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=12)
    web_login(client, "dpo_officer")
    for _ in range(12 * 3 + 1):
        clock.set_clock(clock.now() + timedelta(minutes=20))
        client.get("/inbox")
    r = client.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
