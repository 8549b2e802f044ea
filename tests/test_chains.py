"""The roadmap chains end to end through the REST API, as the real roles of the demo data.

(a) КЦП: campaign + one request per college; (b) the professions list: cycle + proposals; (c) investor staffing.
Publication under /public/ without login; timers with an injected clock; four-eyes; org scoping.
"""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import journeys
import pytest
from journeys import questionnaire  # the investor's questionnaire, shared with the journeys
from lxml import etree
from sqlalchemy import select

from workflow_app.diagram.di import DC
from workflow_app.engine import clock
from workflow_app.engine.vocabulary import BPMN_NS, BPMNDI_NS
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, HumanTask, Membership, ProcessInstance, Publication, User
from workflow_app.services import demo
from workflow_app.services.cases import advance
from workflow_app.services.errors import Conflict
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SCHEDULER, SYSTEM
from workflow_app.services.process_models import deployment
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
CHAIN_FILES = [
    "kcp_campaign.bpmn",
    "kcp_request.bpmn",
    "professions_cycle.bpmn",
    "professions_proposal.bpmn",
    "investor_case.bpmn",
]
MONDAY = datetime(2027, 4, 5, 3, 0, tzinfo=UTC)  # 10:00 in Tomsk, a working Monday


FROZEN_AT = MONDAY
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


class Api:
    """Drives the chains as people do: each call with the personal token of a demo user."""

    def __init__(self, client):
        self.client = client
        self.tokens = {}
        # the cases run for months of the test's clock: tokens issued once must outlive them
        client.application.config["TOKEN_TTL_DAYS"] = 3650

    def _h(self, who):
        if who not in self.tokens:
            self.tokens[who] = tokens.issue_token(SYSTEM, who, "test")
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def start(self, who, process_id, data, expect=201):
        r = self.client.post(f"/api/v1/processes/{process_id}/instances", json={"data": data}, headers=self._h(who))
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def tasks(self, who, business_key=None, view="all"):
        q = {"view": view, "per_page": 100}
        if business_key:
            q["business_key"] = business_key
        r = self.client.get("/api/v1/tasks", query_string=q, headers=self._h(who))
        assert r.status_code == 200, r.get_json()
        return [t for t in r.get_json() if t["status"] == "open"]

    def task(self, who, business_key, task_def):
        found = [t for t in self.tasks(who, business_key) if t["task_def"] == task_def]
        assert len(found) == 1, (who, business_key, task_def, [t["task_def"] for t in self.tasks(who, business_key)])
        return found[0]

    def get_task(self, who, task_id):
        return self.client.get(f"/api/v1/tasks/{task_id}", headers=self._h(who))

    def complete(self, who, task_id, data, expect=200):
        r = self.client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=self._h(who))
        assert r.status_code == expect, r.get_json()
        return r.get_json()

    def do(self, who, business_key, task_def, data, expect=200):
        return self.complete(who, self.task(who, business_key, task_def)["id"], data, expect)

    def decide(self, business_key, task_def, data, **kw):
        """A collegial body's task: decided at a meeting, closed by its signed protocol (journeys)."""
        return journeys.decide(business_key, task_def, data, **kw)


@pytest.fixture
def api(app, client):
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    return Api(client)


def instance(business_key):
    db.session.expire_all()
    return db.session.execute(select(ProcessInstance).where(ProcessInstance.business_key == business_key)).scalar_one()


def add_groups(username, *groups):
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    for g in groups:
        user.memberships.append(Membership(group_id=g))
    db.session.commit()


def fire_due(at):
    clock.set_clock(at)
    fired = []
    for iid in advance.due_timer_instance_ids(at):
        with UnitOfWork(SCHEDULER) as uow:
            inst = db.session.get(ProcessInstance, iid)
            fired += advance.fire_timers(uow, inst, SCHEDULER)
            uow.commit()
    return fired


# --- form data an official would submit ---------------------------------------------------------------------


def kcp_lines(code="15.02.16", current=25, requested=50):
    return [
        {
            "level": "ppssz",
            "programme_code": code,
            "programme_name": "Технология машиностроения",
            "form_of_study": "full_time",
            "base": "9",
            "current_kcp": current,
            "requested_kcp": requested,
            "targeted": 5,
            "employer_confirmations": 3,
            "applications_per_place": 2.4,
            "employment_rate": 87.5,
            "justification": "Потребность ООО «Томский завод» в техниках-технологах подтверждена письмами",
        }
    ]


def kcp_request(lines=None):
    return {
        "year": 2027,
        "change_type": "increase",
        "reason": "employer_demand",
        "contact": "Белов К. И., 8-3822-000000",
        "lines": lines or kcp_lines(),
        "evidence": "Письма работодателей № 1–3",
    }


def open_kcp_campaign(api):
    camp = api.start("dpo_officer", "kcp_campaign", {"year": 2027})
    assert camp["business_key"] == "КЦП-2027"
    api.do(
        "dpo_officer", "КЦП-2027", "announce", {"intake_deadline": "2027-04-26", "announcement": "Приём заявок открыт"}
    )
    return camp


def submit_kcp(api, n, lines=None):
    key = f"КЦП-2027/{'ТПТ' if n == 1 else 'ТТИТ'}"
    started = api.start(f"college_officer_{n}", "kcp_request", {"year": 2027})
    assert started["business_key"] == key
    api.do(f"college_officer_{n}", key, "fill_request", kcp_request(lines))
    api.do(f"college_director_{n}", key, "sign_request", {"decision": "sign"})
    return key


def accept_and_assess(api, key, proposed=None):
    api.do("dpo_officer", key, "formal_check", {"decision": "accept"})
    assessment = {"opinion": "support", "comment": "Обоснование подтверждено"}
    if proposed is not None:
        assessment["opinion"] = "support_partly"
        assessment["line_opinions"] = [
            {"programme_code": "15.02.16", "form_of_study": "full_time", "proposed_kcp": proposed}
        ]
    api.do("dpo_officer", key, "assess", assessment)


def run_kcp_campaign_to_order(api, changes=None):
    api.do("dpo_officer", "КЦП-2027", "close_intake", {"decision": "close"})
    api.do("dpo_officer", "КЦП-2027", "consolidate", {"funding_grows": True, "summary": "Свод по двум колледжам"})
    api.do("sector_officer", "КЦП-2027", "opinion_sector", {"sector_decision": "agree"})
    api.do(
        "dtzn_officer",
        "КЦП-2027",
        "opinion_dtzn",
        {"dtzn_decision": "agree_with_remarks", "dtzn_remarks": "Учесть прогноз"},
    )
    api.do("finance_officer", "КЦП-2027", "opinion_finance", {"finance_decision": "agree"})
    api.do("project_office", "КЦП-2027", "opinion_rpo", {"rpo_decision": "agree"})
    ec = {"decision": "recommend"}
    if changes:
        ec = {**ec, "decision": "recommend_changed", "changes": changes}
    api.decide("КЦП-2027", "ec_decision", ec)
    api.decide("КЦП-2027", "cc_decision", {"decision": "agree"})


AMENDING_TITLE = "О внесении изменений в распоряжение Администрации Томской области от 25.05.2026 № 327-ра"


def sign_and_register(api, drafter="dpo_officer", finance=True):
    # the draft starts from the act in force: «О внесении изменений в распоряжение … от … № …»
    draft = api.task(drafter, "КЦП-2027", "draft_order")
    prefilled = api.get_task(drafter, draft["id"]).get_json()["data"]
    assert prefilled["act_title"] == AMENDING_TITLE
    api.complete(
        drafter,
        draft["id"],
        {"act_type": prefilled["act_type"], "act_title": prefilled["act_title"], "draft_text": "Проект"},
    )
    api.do("dpo_head", "КЦП-2027", "visa_head", {"decision": "approve"})
    api.do("legal_officer", "КЦП-2027", "visa_legal", {"decision": "approve"})
    if finance:
        api.do("finance_officer", "КЦП-2027", "visa_finance", {"decision": "approve"})
    api.do("deputy_governor", "КЦП-2027", "sign_order", {"decision": "sign"})
    api.do("records_office", "КЦП-2027", "register_order", {"order_number": "321-ра", "order_date": "2027-05-24"})


# --- deploy and diagram -------------------------------------------------------------------------------------


def test_every_bpmn_file_deploys_through_the_cli_and_shapes_do_not_overlap(app):
    result = app.test_cli_runner().invoke(args=["deploy", str(ROOT / "bpmn")])
    assert result.exit_code == 0, result.output
    for pid in ("kcp_campaign", "kcp_request", "professions_cycle", "professions_proposal", "investor_case"):
        assert f"{pid} v1 deployed" in result.output
    ns = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC}
    for name in CHAIN_FILES:
        root = etree.parse(str(ROOT / "bpmn" / name)).getroot()
        process = root.find("bpmn:process", ns)
        nodes = {
            el.get("id"): el
            for el in process
            if el.get("id")
            and etree.QName(el).localname not in ("laneSet", "sequenceFlow", "documentation", "extensionElements")
        }
        boxes = {}
        for shape in root.iterfind(".//bpmndi:BPMNShape", ns):
            el = nodes.get(shape.get("bpmnElement"))
            if el is None:
                continue
            b = shape.find("dc:Bounds", ns)
            boxes[shape.get("bpmnElement")] = (el, *(float(b.get(k)) for k in ("x", "y", "width", "height")))
        assert set(boxes) == set(nodes), f"{name}: every flow node has a shape"
        items = list(boxes.items())
        for i, (id1, (el1, x1, y1, w1, h1)) in enumerate(items):
            for id2, (el2, x2, y2, w2, h2) in items[i + 1 :]:
                if el1.get("attachedToRef") == id2 or el2.get("attachedToRef") == id1:
                    continue  # a boundary event sits on its activity's border by definition
                overlap = x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1
                assert not overlap, f"{name}: {id1} overlaps {id2}"
        lanes = {lane.get("name") for lane in process.iterfind(".//bpmn:lane", ns)}
        assert lanes, name
        for el in nodes.values():
            if etree.QName(el).localname in ("userTask", "serviceTask", "startEvent", "endEvent"):
                assert el.get("name"), f"{name}: {el.get('id')} has a Russian name"


# --- chain (a) ----------------------------------------------------------------------------------------------


@pytest.mark.postgres_too
def test_kcp_happy_path_with_a_return_loop_to_the_same_college_and_publication(api, client):
    open_kcp_campaign(api)
    key1 = submit_kcp(api, 1)
    key2 = submit_kcp(api, 2, kcp_lines("09.02.07", 50, 75))
    campaign = instance("КЦП-2027")
    assert instance(key1).parent_id == campaign.id and instance(key2).parent_id == campaign.id
    # one request per college per campaign
    api.start("college_officer_1", "kcp_request", {"year": 2027}, expect=409)

    # ДепПО returns TTIT's request: it goes back to TTIT, and TPT never sees it
    api.do("dpo_officer", key2, "formal_check", {"decision": "return", "comment": "Нет писем работодателей"})
    back = api.task("college_officer_2", key2, "fill_request")
    assert api.tasks("college_officer_1", key2) == []
    assert api.get_task("college_officer_1", back["id"]).status_code == 404
    assert api.get_task("college_director_1", back["id"]).status_code == 404
    api.complete("college_officer_2", back["id"], kcp_request(kcp_lines("09.02.07", 50, 75)))
    api.do("college_director_2", key2, "sign_request", {"decision": "sign"})

    accept_and_assess(api, key1, proposed=40)
    accept_and_assess(api, key2)
    run_kcp_campaign_to_order(
        api,
        changes=[
            {"business_key": key2, "programme_code": "09.02.07", "form_of_study": "full_time", "approved_kcp": 70}
        ],
    )
    consolidate = db.session.execute(select(HumanTask).where(HumanTask.task_def == "consolidate")).scalar_one()
    assert consolidate.status == "completed"
    sign_and_register(api)

    assert instance("КЦП-2027").status == "completed"
    # the decision came back to each college: confirm the site update (step 10)
    api.do("college_officer_1", key1, "confirm_site", {"site_url": "https://tpt.example/abitur", "confirmed": True})
    assert api.tasks("college_officer_1", key2) == []
    api.do("college_officer_2", key2, "confirm_site", {"site_url": "https://ttit.example/abitur", "confirmed": True})
    assert instance(key1).status == instance(key2).status == "completed"

    page = client.get("/public/kcp/2027")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Томский политехнический техникум" in html and "15.02.16" in html and "321-ра" in html
    data = client.get("/public/kcp/2027.json").get_json()
    rows = {(r["college_code"], r["programme_code"]): r for r in data["rows"] if r["base_code"] == "9"}
    assert rows[("TPT", "15.02.16")]["approved_kcp"] == 40  # ДепПО's proposal
    assert rows[("TTIT", "09.02.07")]["approved_kcp"] == 70  # the Expert Council's change
    assert rows[("TPT", "15.02.16")]["form_of_study"] == "очная"
    assert data["order"]["number"] == "321-ра"
    # the whole table in force after the change: every ПОО's lines, the changed ones marked
    assert len(rows) == 5 and len(data["rows"]) == 6  # ТПТ, ТТИТ and the ПОО of the culture and forestry departments
    assert rows[("TPT", "15.01.05")]["approved_kcp"] == 50 and not rows[("TPT", "15.01.05")]["changed"]
    assert rows[("TPT", "15.02.16")]["changed"] and rows[("TPT", "15.02.16")]["current_kcp"] == 25
    assert [(r["base"], r["changed"]) for r in data["rows"] if r["programme_code"] == "09.02.07"] == [
        ("на базе основного общего образования", True),
        ("на базе среднего общего образования", False),
    ]
    assert data["act"]["number"] == "327-ра" and data["order"]["title"].startswith(
        "О внесении изменений в распоряжение"
    )
    text = client.get("/public/kcp/2027.csv").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][0] == "ПОО" and len(table) == 7
    assert sum(1 for line in table if line[-1] == "изменено") == 2
    assert "Белов" not in text and "Белов" not in html  # no contacts or personal data in the public table
    index = client.get("/public/")
    assert index.status_code == 200 and "Решения, размещённые в открытых источниках" in index.get_data(as_text=True)
    assert "Контрольные цифры приёма СПО на 2027 год" in index.get_data(as_text=True)
    assert client.get("/public/kcp/2031").status_code == 404
    assert client.get("/public/secret/2027.json").status_code == 404


def test_kcp_request_outside_an_open_campaign_is_refused_with_409(api):
    r = api.client.post(
        "/api/v1/processes/kcp_request/instances", json={"data": {"year": 2027}}, headers=api._h("college_officer_1")
    )
    assert r.status_code == 409
    assert "Кампания КЦП 2027 года не принимает заявки" in r.get_json()["error"]["message"]  # Russian by default
    open_kcp_campaign(api)
    api.start("college_officer_1", "kcp_request", {"year": 2026}, expect=409)
    api.do("dpo_officer", "КЦП-2027", "close_intake", {"decision": "close"})
    api.start("college_officer_2", "kcp_request", {"year": 2027}, expect=409)  # intake closed
    # a department officer is not a college
    api.start("dpo_officer", "kcp_request", {"year": 2027}, expect=403)


def test_kcp_rejections_four_eyes_and_reminder_timer(api):
    open_kcp_campaign(api)
    add_groups("college_officer_1", "college_director")
    key1 = "КЦП-2027/ТПТ"
    api.start("college_officer_1", "kcp_request", {"year": 2027})
    api.do("college_officer_1", key1, "fill_request", kcp_request())
    # four-eyes: the one who filled the request may not sign it
    sign = api.task("college_director_1", key1, "sign_request")
    api.complete("college_officer_1", sign["id"], {"decision": "sign"}, expect=403)
    api.complete("college_director_1", sign["id"], {"decision": "return", "comment": "Уточните обоснование"})
    api.do("college_officer_1", key1, "fill_request", kcp_request())
    api.do("college_director_1", key1, "sign_request", {"decision": "sign"})
    # a number that grows needs a justification (if/then on the computed Δ) and programme codes are checked
    key2 = "КЦП-2027/ТТИТ"
    api.start("college_officer_2", "kcp_request", {"year": 2027})
    bad = kcp_lines("9.2.7")
    bad[0].pop("justification")
    r = api.do("college_officer_2", key2, "fill_request", kcp_request(bad), expect=422)
    fields = r["error"]["fields"]
    assert "lines/0/programme_code" in fields and "lines/0/justification" in fields
    api.do("college_officer_2", key2, "fill_request", kcp_request(kcp_lines("09.02.07", 50, 40)))  # decrease: fine
    api.do("college_director_2", key2, "sign_request", {"decision": "sign"})

    # the formal check is late: a non-interrupting reminder to the head of ДепПО, the check stays open
    check = api.task("dpo_officer", key1, "formal_check")
    assert check["due_at"] is not None
    fire_due(MONDAY + timedelta(days=6))
    reminders = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "reminder")).scalars().all()
    assert {e.business_key for e in reminders} == {key1, key2}
    assert all(e.payload["group"] == "dpo_head" for e in reminders)
    assert api.task("dpo_officer", key1, "formal_check")["id"] == check["id"]

    # a formal rejection ends the request
    api.do("dpo_officer", key1, "formal_check", {"decision": "reject", "comment": "Программа не лицензирована"})
    assert instance(key1).status == "completed"
    # the Expert Council rejects the campaign: every collected request learns it was not approved
    accept_and_assess(api, key2)
    api.do("dpo_officer", "КЦП-2027", "close_intake", {"decision": "close"})
    # four-eyes on the order is tested below; here the consolidation goes to a rejection
    api.do("dpo_officer", "КЦП-2027", "consolidate", {"funding_grows": False, "summary": "Свод"})
    api.do(
        "sector_officer", "КЦП-2027", "opinion_sector", {"sector_decision": "disagree", "sector_remarks": "Нет спроса"}
    )
    api.do("dtzn_officer", "КЦП-2027", "opinion_dtzn", {"dtzn_decision": "disagree", "dtzn_remarks": "Нет вакансий"})
    assert api.tasks("finance_officer", "КЦП-2027") == []  # funding does not grow: no finance opinion
    api.do("project_office", "КЦП-2027", "opinion_rpo", {"rpo_decision": "agree"})
    api.decide("КЦП-2027", "ec_decision", {"decision": "reject", "comment": "Не обосновано"})
    assert instance("КЦП-2027").status == "completed"
    assert instance(key2).status == "completed"
    assert api.tasks("college_officer_2", key2) == []
    assert db.session.execute(select(Publication).where(Publication.source_instance_id.is_not(None))).first() is None


def test_kcp_order_four_eyes_and_visa_return(api):
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    accept_and_assess(api, key)
    run_kcp_campaign_to_order(api)
    add_groups("dpo_head", "dpo_officer")
    api.do(
        "dpo_head",
        "КЦП-2027",
        "draft_order",
        {
            "act_type": "распоряжение Администрации Томской области",
            "act_title": "Об установлении КЦП",
            "draft_text": "Проект",
        },
    )
    visa = api.task("dpo_head", "КЦП-2027", "visa_head")
    r = api.complete("dpo_head", visa["id"], {"decision": "approve"}, expect=403)
    assert "four-eyes" in r["error"]["message"] or r["error"]["fields"].get("distinct_from") == "draft_order"
    # the legal reviewer returns the draft: it goes back to ДепПО's drafting step
    add_groups("deputy_governor", "dpo_head")
    api.complete("deputy_governor", visa["id"], {"decision": "approve"})
    api.do("legal_officer", "КЦП-2027", "visa_legal", {"decision": "return", "comment": "Уточнить преамбулу"})
    assert api.task("dpo_officer", "КЦП-2027", "draft_order")


# --- chain (b) ----------------------------------------------------------------------------------------------


def proposal_items():
    return [
        {
            "action": "add",
            "profession": "Оператор станков с ЧПУ",
            "okpdtr_code": "16045",
            "programme_type": "training",
            "grade": "3",
            "duration_hours": 480,
            "sector": "Машиностроение",
            "vacancies": 40,
            "job_seekers": 12,
            "planned_trainees": 25,
            "providers": "ТПТ",
            "investment_project": "ИП/СХК/1",
            "justification": "Дефицит операторов на предприятиях отрасли",
        },
        {
            "action": "modify",
            "profession": "Сварщик",
            "okpdtr_code": "19756",
            "programme_type": "retraining",
            "duration_hours": 360,
            "sector": "Машиностроение",
            "justification": "Сокращённая программа по запросу работодателей",
        },
        {
            "action": "exclude",
            "profession": "Наборщик",
            "programme_type": "training",
            "sector": "Полиграфия",
            "justification": "Нет вакансий",
        },
    ]


@pytest.mark.postgres_too
def test_professions_list_with_returns_to_the_proposer_and_publication(api, client):
    cycle = api.start("dtzn_officer", "professions_cycle", {"year": 2028})
    assert cycle["business_key"] == "Перечень-2028"
    api.do(
        "dtzn_officer",
        "Перечень-2028",
        "announce",
        {"intake_deadline": "2027-11-01", "announcement": "Запрос предложений"},
    )
    sector = api.start("sector_officer", "professions_proposal", {"year": 2028})
    centre = api.start("employment_centre", "professions_proposal", {"year": 2028})
    assert (sector["business_key"], centre["business_key"]) == ("Перечень-2028/ДПЭ", "Перечень-2028/ЦЗН")
    assert instance("Перечень-2028/ЦЗН").parent_id == instance("Перечень-2028").id
    api.do(
        "sector_officer",
        "Перечень-2028/ДПЭ",
        "draft_sector",
        {"year": 2028, "items": proposal_items(), "contact": "Соколов"},
    )
    api.do(
        "employment_centre",
        "Перечень-2028/ЦЗН",
        "draft_centre",
        {
            "year": 2028,
            "items": [
                {
                    "action": "keep",
                    "profession": "Повар",
                    "programme_type": "upskilling",
                    "sector": "Общественное питание",
                    "justification": "Сохраняется спрос",
                }
            ],
            "contact": "ЦЗН",
        },
    )
    # ДТЗН returns the centre's proposal for clarification: it goes back to the employment centre, not the sector
    api.do("dtzn_officer", "Перечень-2028/ЦЗН", "review", {"decision": "return", "comment": "Уточните разряд"})
    assert api.tasks("sector_officer", "Перечень-2028/ЦЗН") == []
    api.do(
        "employment_centre",
        "Перечень-2028/ЦЗН",
        "draft_centre",
        {
            "year": 2028,
            "items": [
                {
                    "action": "modify",
                    "profession": "Повар",
                    "programme_type": "upskilling",
                    "grade": "5",
                    "sector": "Общественное питание",
                    "justification": "Спрос на повышение разряда",
                }
            ],
            "contact": "ЦЗН",
        },
    )
    api.do("dtzn_officer", "Перечень-2028/ЦЗН", "review", {"decision": "accept"})
    api.do("dtzn_officer", "Перечень-2028/ДПЭ", "review", {"decision": "accept"})
    api.do("dtzn_officer", "Перечень-2028", "close_intake", {"decision": "close"})
    api.start("sector_officer", "professions_proposal", {"year": 2028}, expect=409)  # intake closed

    api.do("dtzn_officer", "Перечень-2028", "consolidate", {"summary": "Проект перечня"})
    # each department concerned agrees its part: industry (welders, typesetters) and consumer market (cooks)
    agree = [t for t in api.tasks("sector_officer_2", "Перечень-2028") if t["task_def"] == "agree"]
    assert len(agree) == 1 and api.tasks("sector_officer", "Перечень-2028")[0]["id"] != agree[0]["id"]
    api.do("sector_officer", "Перечень-2028", "agree", {"agreement": "remarks", "comment": "Добавьте сварщиков"})
    api.do("sector_officer_2", "Перечень-2028", "agree", {"agreement": "agree"})
    api.do("dtzn_officer", "Перечень-2028", "consolidate", {"summary": "Проект перечня, ред. 2"})
    api.do("sector_officer", "Перечень-2028", "agree", {"agreement": "agree"})
    api.do("sector_officer_2", "Перечень-2028", "agree", {"agreement": "agree"})
    api.do("coordinator", "Перечень-2028", "coordinator_review", {"decision": "submit"})
    api.decide("Перечень-2028", "wg_decision", {"decision": "return", "comment": "Пересмотреть состав"})
    api.do("dtzn_officer", "Перечень-2028", "consolidate", {"summary": "Проект перечня, ред. 3"})
    api.do("sector_officer", "Перечень-2028", "agree", {"agreement": "agree"})
    api.do("sector_officer_2", "Перечень-2028", "agree", {"agreement": "agree"})
    api.do("coordinator", "Перечень-2028", "coordinator_review", {"decision": "submit"})
    early = {
        "decision": "approve_changed",
        "removed_items": ["Сварщик"],
        "effective_date": "2027-01-01",
    }
    with pytest.raises(Conflict) as refused:  # before the decision: the protocol cannot be signed with it
        api.decide("Перечень-2028", "wg_decision", early)
    assert "effective_date" in refused.value.fields
    api.decide("Перечень-2028", "wg_decision", early | {"effective_date": "2028-01-01"})
    assert instance("Перечень-2028").status == "completed"
    assert instance("Перечень-2028/ДПЭ").status == instance("Перечень-2028/ЦЗН").status == "completed"

    data = client.get("/public/professions/2028.json").get_json()
    assert data["effective_date"] == "2028-01-01" and data["previous_year"] == 2027
    # the whole list: last year's items carried over, this year's changes marked; the welders' change was removed
    status = {i["profession"]: i["status"] for i in data["items"]}
    assert status == {
        "Оператор станков с ЧПУ": "новая",
        "Повар": "изменена",
        "Продавец продовольственных товаров": "сохранена",
        "Сварщик": "сохранена",
    }
    assert next(i for i in data["items"] if i["profession"] == "Сварщик")["duration_hours"] == 480
    assert [i["profession"] for i in data["excluded"]] == ["Наборщик"]
    assert "ИП/СХК" not in json.dumps(data, ensure_ascii=False)  # the investment link stays internal
    assert "Повар" in client.get("/public/professions/2028").get_data(as_text=True)
    assert "Оператор станков с ЧПУ" in client.get("/public/professions/2028.csv").get_data(as_text=True)


# --- chain (c) ----------------------------------------------------------------------------------------------


def staffing_plan():
    """The journeys' plan with a second measure: a profession for the list (the follow-up to the professions)."""
    plan = journeys.staffing_plan()
    plan["measures"].append(
        {
            "kind": "professions_list",
            "measure": "Включить в перечень",
            "programme_name": "Аппаратчик",
            "okpdtr_code": "10912",
            "places": 30,
            "responsible": "ДТЗН",
            "deadline": "2027-12-20",
        }
    )
    return plan


@pytest.mark.postgres_too
def test_investor_case_returns_escalation_approval_followups_and_aggregates_only(api, client):
    case = api.start("investor_1", "investor_case", {})
    key = case["business_key"]
    assert key == "ИП/СХК/1"
    bad = questionnaire() | {"average_wage": -1}
    r = api.do("investor_1", key, "questionnaire", bad, expect=422)
    assert "average_wage" in r["error"]["fields"]
    api.do("investor_1", key, "questionnaire", questionnaire())
    # ДИ returns it: back to this investor only
    api.do("di_officer", key, "di_check", {"decision": "return", "comment": "Уточните год потребности"})
    assert api.tasks("investor_2", key) == []
    assert api.get_task("investor_2", api.task("investor_1", key, "questionnaire")["id"]).status_code == 404
    api.do("investor_1", key, "questionnaire", questionnaire())
    api.do("di_officer", key, "di_check", {"decision": "accept"})
    api.do("coordinator", key, "open_case", {"case_number": "КД-1"})
    api.do("dtzn_officer", key, "opinion_dtzn", {"dtzn_decision": "agree"})
    api.do(
        "employment_centre", key, "opinion_czn", {"czn_vacancies": 12, "czn_job_seekers": 30, "czn_decision": "agree"}
    )
    api.do(
        "dpo_officer", key, "opinion_dpo", {"dpo_decision": "agree_with_remarks", "dpo_remarks": "Нужен набор в ТПТ"}
    )
    # the sector opinion goes to the department of the project's industry only; ДНВО gives the higher-education part
    assert [t["task_def"] for t in api.tasks("sector_officer_2", key)] == []
    assert [t["task_def"] for t in api.tasks("sector_officer_3", key)] == ["opinion_dnvo"]
    api.do("sector_officer", key, "opinion_sector", {"sector_decision": "agree"})
    api.do("sector_officer_3", key, "opinion_dnvo", {"dnvo_decision": "agree"})
    # the plan is the employer's: the investor drafts it, the Coordinator reviews it
    api.do("investor_1", key, "plan", staffing_plan())
    api.do("coordinator", key, "plan_review", {"decision": "request_changes", "comment": "Сдвинуть сроки"})
    assert api.tasks("investor_2", key) == []

    # the investor does not submit the revised plan for 10 working days: the case escalates (interrupting)
    draft = api.task("investor_1", key, "plan")
    fire_due(MONDAY + timedelta(days=30))
    assert api.tasks("investor_1", key) == []
    assert db.session.get(HumanTask, draft["id"]).status == "cancelled"
    assert db.session.execute(
        select(AuditEvent).where(AuditEvent.kind == "escalation", AuditEvent.business_key == key)
    ).first()
    api.do("coordinator", key, "stalled", {"decision": "resume", "comment": "Созвонились с инвестором"})
    api.do("investor_1", key, "plan", staffing_plan())
    api.do("coordinator", key, "plan_review", {"decision": "agree"})
    api.decide(key, "wg_decision", {"decision": "refer_cc"})
    api.decide(key, "cc_decision", {"decision": "approve"})
    case_row = instance(key)
    assert case_row.status == "running" and case_row.next_timer_at is not None  # quarterly monitoring

    # quarterly progress reports (step 9) are the investor's; once a year the plan is re-planned (10.3)
    assert api.tasks("coordinator", key) == []
    fire_due(MONDAY + timedelta(days=130))
    report = {
        "report_period": "III квартал 2026 г.",
        "hired": 40,
        "trained": 25,
        "measures": "Набор в ТПТ по плану выполнен",
    }
    assert api.tasks("investor_2", key) == []
    api.do("investor_1", key, "quarterly_report", report | {"report_period": "2026-Q3"}, expect=422)
    api.do("investor_1", key, "quarterly_report", report | {"decision": "replan"})
    api.do("investor_1", key, "replan", staffing_plan())
    api.do("coordinator", key, "replan_review", {"decision": "agree"})
    assert instance(key).status == "running" and api.tasks("investor_1", key) == []
    fire_due(MONDAY + timedelta(days=230))
    api.do(
        "investor_1", key, "quarterly_report", report | {"report_period": "IV квартал 2026 г.", "decision": "completed"}
    )
    case_row = instance(key)
    assert case_row.status == "completed"
    out = client.get(f"/public/investment/{MONDAY.year}.json").get_json()
    assert out["projects"] == 1  # the yearly re-plan does not count the project twice

    # follow-ups: a КЦП request of the college named in the plan, and a proposal to the professions list
    children = (
        db.session.execute(select(ProcessInstance).where(ProcessInstance.parent_id == case_row.id)).scalars().all()
    )
    assert sorted(c.process_id for c in children) == ["kcp_request", "professions_proposal"]
    kcp_child = next(c for c in children if c.process_id == "kcp_request")
    assert kcp_child.business_key.startswith("КЦП-2028/ТПТ/")
    # the 2028 campaign has not opened yet: the request waits for it, visible to its ПОО only
    waiting = api.task("college_officer_1", kcp_child.business_key, "await_campaign")
    assert waiting["due_at"].startswith("2028-04-15")
    assert api.get_task("college_officer_2", waiting["id"]).status_code == 404
    api.complete("college_officer_1", waiting["id"], {}, expect=409)  # it cannot join a campaign that is not open
    prop_child = next(c for c in children if c.process_id == "professions_proposal")
    assert api.task("sector_officer", prop_child.business_key, "await_cycle")
    # the campaign opens: the request joins it and goes to its ПОО to fill in
    api.start("dpo_officer", "kcp_campaign", {"year": 2028})
    api.do("dpo_officer", "КЦП-2028", "announce", {"intake_deadline": "2028-04-26", "announcement": "Приём заявок"})
    assert instance(kcp_child.business_key).parent_id == instance("КЦП-2028").id
    fill = api.task("college_officer_1", kcp_child.business_key, "fill_request")
    assert api.get_task("college_officer_2", fill["id"]).status_code == 404
    detail = api.get_task("college_officer_1", fill["id"]).get_json()
    assert detail["data"]["lines"][0]["programme_code"] == "18.01.02"
    api.start("dtzn_officer", "professions_cycle", {"year": 2028})
    api.do("dtzn_officer", "Перечень-2028", "announce", {"intake_deadline": "2027-11-01", "announcement": "Запрос"})
    assert instance(prop_child.business_key).parent_id == instance("Перечень-2028").id
    assert api.task("sector_officer", prop_child.business_key, "draft_sector")

    # public: aggregates only, never the investor's own data
    year = MONDAY.year
    out = client.get(f"/public/investment/{year}.json").get_json()
    # one project: its count only, no totals that would be its questionnaire (#18.2; tests/test_trust.py)
    assert (out["projects"], out["jobs"], out["categories"]) == (1, None, [])
    assert "contributions" not in out
    everything = (
        json.dumps(out, ensure_ascii=False)
        + client.get(f"/public/investment/{year}").get_data(as_text=True)
        + client.get(f"/public/investment/{year}.csv").get_data(as_text=True)
        + client.get("/public/").get_data(as_text=True)
    )
    for secret in ("7017123451", "СХК", "Северный", "Северск", "98000", "SIBHIM"):
        assert secret not in everything


def test_investor_case_on_behalf_and_decline(api):
    api.start("di_officer", "investor_case", {}, expect=422)  # on whose behalf?
    case = api.start("di_officer", "investor_case", {"investor_org_code": "TOMLES"})
    key = case["business_key"]
    assert key == "ИП/ТЛД/1"
    api.start("college_officer_1", "investor_case", {}, expect=403)
    # the questionnaire waits for the investor's own people
    api.do("investor_2", key, "questionnaire", questionnaire() | {"investor_inn": "7017987652"})
    assert api.tasks("investor_1", key) == []
    api.do("di_officer", key, "di_check", {"decision": "decline", "comment": "Проект вне перечня приоритетных"})
    assert instance(key).status == "completed"
    assert db.session.execute(select(Publication).where(Publication.source_instance_id.is_not(None))).first() is None


def test_late_formal_check_mails_the_head_of_the_department(api, app):
    import socket

    from aiosmtpd.controller import Controller

    from workflow_app.services import notifications

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        fire_due(MONDAY + timedelta(days=2))
        notifications.send_due(MONDAY + timedelta(days=2))
        assert sink.messages == []  # not late yet: 3 working days
        fire_due(MONDAY + timedelta(days=6))
        notifications.send_due(MONDAY + timedelta(days=6))
    finally:
        app.config.update(SMTP_HOST="")
        controller.stop()
    assert [r for rcpts, _ in sink.messages for r in rcpts] == ["dpo_head@soglasie.test"]
    assert api.task("dpo_officer", key, "formal_check")  # still open: the reminder does not interrupt
    # the same outbox row is the head's in-app notice, marked sent; nobody else has it
    notices = api.client.get("/api/v1/notices", headers=api._h("dpo_head")).get_json()
    assert [(n["kind"], n["status"]) for n in notices] == [("reminder", "sent")]
    assert "Формальная проверка заявки" in notices[0]["subject"] and notices[0]["read_at"] is None
    assert api.client.get("/api/v1/notices", headers=api._h("dpo_officer")).get_json() == []
    r = api.client.post(f"/api/v1/notices/{notices[0]['id']}/read", headers=api._h("dpo_officer"))
    assert r.status_code == 404  # not someone else's notice
    r = api.client.post(f"/api/v1/notices/{notices[0]['id']}/read", headers=api._h("dpo_head"))
    assert r.get_json() == {"marked": 1}
    assert api.client.get("/api/v1/notices", headers=api._h("dpo_head")).get_json()[0]["read_at"]


def test_kcp_order_drafting_approving_signing_and_registering_are_different_people(api):
    """#18.1 four-eyes: whoever drafted or endorsed the order does not sign it, and whoever signed it does not
    register it — whatever groups they hold."""
    open_kcp_campaign(api)
    key = submit_kcp(api, 1)
    accept_and_assess(api, key)
    run_kcp_campaign_to_order(api)
    add_groups("dpo_officer", "deputy_governor")
    add_groups("deputy_governor", "records_office")
    draft = api.task("dpo_officer", "КЦП-2027", "draft_order")
    prefilled = api.get_task("dpo_officer", draft["id"]).get_json()["data"]
    api.complete(
        "dpo_officer",
        draft["id"],
        {"act_type": prefilled["act_type"], "act_title": prefilled["act_title"], "draft_text": "Проект"},
    )
    api.do("dpo_head", "КЦП-2027", "visa_head", {"decision": "approve"})
    api.do("legal_officer", "КЦП-2027", "visa_legal", {"decision": "approve"})
    api.do("finance_officer", "КЦП-2027", "visa_finance", {"decision": "approve"})
    r = api.do("dpo_officer", "КЦП-2027", "sign_order", {"decision": "sign"}, expect=403)  # drafted it
    assert r["error"]["fields"].get("distinct_from") == "draft_order"
    api.do("deputy_governor", "КЦП-2027", "sign_order", {"decision": "sign"})
    register = {"order_number": "321-ра", "order_date": "2027-05-24"}
    r = api.do("deputy_governor", "КЦП-2027", "register_order", register, expect=403)  # signed it
    assert r["error"]["fields"].get("distinct_from") == "sign_order"
    api.do("records_office", "КЦП-2027", "register_order", register)
