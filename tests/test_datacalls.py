"""Data calls through the REST API: a call to 3 ПОО — one answers, one is late (reminder, then its director
is told, then answers late), one is excused; the consolidation holds exactly the answers; completing freezes
it; each recipient sees only its own task."""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import login_session, org, two_demo_poo, user
from flask import g
from flask_migrate import downgrade, upgrade
from mail_texts import assert_mails_readable
from openpyxl import load_workbook
from sqlalchemy import select

from workflow_app import workdays
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, CycleDefinition, HumanTask, Notification, ProcessInstance, User
from workflow_app.services import demo, scheduler
from workflow_app.services.audit import trail
from workflow_app.services.datacalls import calls
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.process_models import deployment
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
MONDAY = datetime(2027, 9, 6, 3, 0, tzinfo=UTC)  # 10:00 in Tomsk, a working Monday
THREE_POO = (  # the recipients of _three_poo_call
    "Томский политехнический техникум",
    "Томский техникум информационных технологий",
    "Томский аграрный техникум",
)

ROWS_TPT = [
    {"programme_code": "15.02.16", "programme_name": "Технология машиностроения", "graduates": 25, "employed": 20},
    {
        "programme_code": "08.02.01",
        "programme_name": "Строительство и эксплуатация зданий",
        "graduates": 30,
        "employed": 18,
        "by_profile": 12,
    },
]
ROWS_LATE = [{"programme_code": "09.02.07", "programme_name": "Информационные системы", "graduates": 15, "employed": 9}]


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


class Api:
    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def h(self, who):
        if who not in self.tokens:
            self.tokens[who] = tokens.issue_token(SYSTEM, who, "test")
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who, url, expect=200):
        r = self.client.get(url, headers=self.h(who))
        assert r.status_code == expect, (url, r.get_json())
        return r.get_json() if r.is_json else r

    def post(self, who, url, body=None, expect=200):
        r = self.client.post(url, json=body or {}, headers=self.h(who))
        assert r.status_code == expect, (url, r.get_json())
        return r.get_json()

    def put(self, who, url, body, expect=200):
        r = self.client.put(url, json=body, headers=self.h(who))
        assert r.status_code == expect, (url, r.get_json())
        return r.get_json()

    def answer_tasks(self, who):
        tasks = self.get(who, "/api/v1/tasks?view=all&per_page=100")
        return [t for t in tasks if t["process_id"] == "data_call" and t["status"] == "open"]


@pytest.fixture
def api(app, client):
    deployment.deploy_path(SYSTEM, ROOT / "bpmn")
    demo.load(SYSTEM, password="demo-pw-1")
    two_demo_poo()  # the demo's culture and forestry ПОО stay out of these calls: a call to three ПОО
    third = org("TAT", "Томский аграрный техникум", kind="college")
    user("college_officer_3", ["college_officer"], third, email="o3@tat.test")
    user("college_director_3", ["college_director"], third, email="d3@tat.test")
    return Api(client)


def notices(who):
    return [
        (n.kind, n.subject)
        for n in db.session.execute(select(Notification).where(Notification.user_id == _uid(who))).scalars()
    ]


def _uid(username):
    return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def events(kind, business_key="Запрос-2027/poo_graduates"):
    """This call's events (a tick also starts the yearly cycles that are due, e.g. the forecast's own survey)."""
    query = select(AuditEvent).where(AuditEvent.kind == kind, AuditEvent.business_key == business_key)
    return db.session.execute(query.order_by(AuditEvent.seq)).scalars().all()


def test_a_call_to_three_poo(api):
    # a data call is opened from a template only, by its owners
    assert (
        api.client.post(
            "/api/v1/processes/data_call/instances", json={"data": {}}, headers=api.h("dpo_officer")
        ).status_code
        == 400
    )
    api.post("college_officer_1", "/api/v1/data-calls", {"template": "poo_graduates"}, expect=403)
    api.post("dpo_officer", "/api/v1/data-calls", {"template": "poo_graduates", "deadline": "2020-01-01"}, expect=422)
    api.post("dpo_officer", "/api/v1/data-calls", {"template": "no_such"}, expect=404)
    call = api.post(
        "dpo_officer",
        "/api/v1/data-calls",
        {"template": "poo_graduates", "year": 2027, "deadline": 5, "reminders": {"count": 1, "every_working_days": 2}},
        expect=201,
    )
    assert call["title"] == "Трудоустройство выпускников ПОО 2027 года" and call["status"] == "open"
    by_org = {r["organisation"]: r for r in call["recipients"]}
    assert set(by_org) == {
        "Томский политехнический техникум",
        "Томский техникум информационных технологий",
        "Томский аграрный техникум",
    }
    due = datetime.fromisoformat(call["deadline_at"])
    assert due == workdays.add_working_days(MONDAY, 5)
    tpt, ttit, tat = (by_org[n] for n in THREE_POO)

    # each recipient sees exactly its own task, in its own inbox, due at the call's deadline
    for who, rec in (("college_officer_1", tpt), ("college_officer_2", ttit), ("college_officer_3", tat)):
        mine = api.answer_tasks(who)
        assert [t["id"] for t in mine] == [rec["task_id"]]
        assert datetime.fromisoformat(mine[0]["due_at"]) == due
    # the director follows (heads) its own ПОО's task only; the officials have none of them in their inbox
    assert [t["id"] for t in api.answer_tasks("college_director_1")] == [tpt["task_id"]]
    assert api.answer_tasks("dpo_officer") == []
    api.get("college_officer_2", f"/api/v1/tasks/{tpt['task_id']}", expect=404)
    api.get("college_officer_2", f"/api/v1/data-calls/answers/{tpt['task_id']}", expect=404)
    api.put("college_officer_2", f"/api/v1/data-calls/answers/{tpt['task_id']}/draft", {"data": {}}, expect=404)
    api.get("college_officer_1", f"/api/v1/data-calls/{call['id']}", expect=404)  # the officials' view
    assert api.get("college_officer_1", "/api/v1/data-calls") == []

    # TPT: a draft first (incomplete is fine), then a wrong answer (422), then the answer
    view = api.put(
        "college_officer_1",
        f"/api/v1/data-calls/answers/{tpt['task_id']}/draft",
        {"data": {"rows": [{"programme_code": "15.02.16"}]}},
    )
    assert view["data"] == {"rows": [{"programme_code": "15.02.16"}]} and view["open"]
    r = api.post(
        "college_officer_1",
        f"/api/v1/tasks/{tpt['task_id']}/complete",
        {"data": {"rows": [{"programme_code": "15-02", "graduates": -1}]}},
        expect=422,
    )
    assert "rows/0/programme_code" in r["error"]["fields"]  # the call's own form, through every face
    view = api.post(
        "college_officer_1",
        f"/api/v1/data-calls/answers/{tpt['task_id']}/submit",
        {"data": {"rows": ROWS_TPT, "contact": "Белов К. И."}},
    )
    assert view["recipient"]["status"] == "submitted" and not view["open"]

    # TTIT: the official extends its deadline (recorded), then excuses it (recorded)
    api.post(
        "dpo_officer",
        f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/extend",
        {"deadline": "2027-09-01", "reason": "x"},
        expect=422,
    )  # not later
    ext = api.post(
        "dpo_officer",
        f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/extend",
        {"deadline": "2027-09-30", "reason": "реорганизация"},
    )
    assert ext["due_at"].startswith("2027-09-30T16:59:59")
    assert db.session.get(HumanTask, ttit["task_id"]).due_at == datetime.fromisoformat(ext["due_at"])
    api.post(
        "college_officer_2",
        f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/excuse",
        {"reason": "сам себя"},
        expect=404,
    )
    api.post("dpo_officer", f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/excuse", {}, expect=422)
    exc = api.post(
        "dpo_officer",
        f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/excuse",
        {"reason": "нет выпуска в 2027 году"},
    )
    assert exc["status"] == "excused" and exc["excuse_reason"] == "нет выпуска в 2027 году"
    assert api.answer_tasks("college_officer_2") == []
    assert [e.payload["reason"] for e in events("data_call_extended")] == ["реорганизация"]
    assert [e.payload["reason"] for e in events("data_call_excused")] == ["нет выпуска в 2027 году"]

    # TAT is late: the scheduler reminds its officer after the deadline, then tells its director
    scheduler.tick(due - timedelta(minutes=1))
    assert events("data_call_reminder") == []
    after_due = due + timedelta(hours=1)
    clock.set_clock(after_due)
    scheduler.tick(after_due)
    reminders = events("data_call_reminder")
    assert [(e.payload["org_id"], e.payload["reminder"]) for e in reminders] == [(tat["org_id"], 1)]
    assert notices("college_officer_3") == [
        ("reminder", "Напоминание: запрос сведений «Трудоустройство выпускников ПОО 2027 года»")
    ]
    assert notices("college_officer_1") == [] and notices("college_officer_2") == []  # answered / excused: left alone
    scheduler.tick(after_due + timedelta(hours=2))  # not yet: the next step comes 2 working days later
    assert events("data_call_head_notified") == [] and len(events("data_call_reminder")) == 1
    later = workdays.add_working_days(after_due, 2) + timedelta(minutes=1)
    clock.set_clock(later)
    scheduler.tick(later)
    heads = events("data_call_head_notified")
    assert [(e.payload["org_id"], e.payload["to"]) for e in heads] == [(tat["org_id"], "head")]
    assert notices("college_director_3") == [("head_notice", "Не представлены сведения: Томский аграрный техникум")]
    assert notices("college_director_1") == []
    assert_mails_readable({"reminder", "head_notice"})
    scheduler.tick(later + timedelta(days=10))  # told once
    assert len(events("data_call_head_notified")) == 1 and len(events("data_call_reminder")) == 1
    state = api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")
    status = {
        r["organisation"]: (r["status"], r["late"], r["reminders_sent"], bool(r["head_notified_at"]))
        for r in state["recipients"]
    }
    assert status == {
        "Томский политехнический техникум": ("submitted", False, 0, False),
        "Томский техникум информационных технологий": ("excused", False, 0, False),
        "Томский аграрный техникум": ("pending", True, 1, True),
    }
    api.post("dpo_officer", f"/api/v1/data-calls/{call['id']}/complete", expect=409)  # TAT has not answered

    # TAT answers late; the official's task to complete the call is now in the ДепПО inbox
    api.post("college_officer_3", f"/api/v1/data-calls/answers/{tat['task_id']}/submit", {"data": {"rows": ROWS_LATE}})
    own = [t for t in api.get("dpo_officer", "/api/v1/tasks?view=all") if t["process_id"] == "data_call"]
    assert [(t["task_def"], t["group"]) for t in own if t["status"] == "open"] == [("consolidate", "dpo_officer")]
    table = api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")["consolidation"]
    assert [(r["organisation"], r["programme_code"]) for r in table["rows"]] == [  # recipients by name
        ("Томский аграрный техникум", "09.02.07"),
        ("Томский политехнический техникум", "15.02.16"),
        ("Томский политехнический техникум", "08.02.01"),
    ]
    assert table["totals"] == {"graduates": 70, "employed": 47, "by_profile": 12, "studying": 0, "army": 0}
    assert table["counts"] == {"recipients": 3, "submitted": 2, "excused": 1, "pending": 0, "cancelled": 0}
    assert {p["organisation"]: p["totals"]["graduates"] for p in table["per_recipient"]} == {
        "Томский политехнический техникум": 55,
        "Томский аграрный техникум": 15,
    }

    # completing freezes it
    api.post("college_officer_1", f"/api/v1/data-calls/{call['id']}/complete", expect=404)
    api.post("auditor", f"/api/v1/data-calls/{call['id']}/complete", expect=403)
    done = api.post("dpo_officer", f"/api/v1/data-calls/{call['id']}/complete", {"comment": "Сведения сведены"})
    assert done["status"] == "completed" and done["consolidation"] == table
    api.post(
        "dpo_officer", f"/api/v1/data-calls/{call['id']}/recipients/{tat['id']}/excuse", {"reason": "x"}, expect=409
    )
    api.put("college_officer_1", f"/api/v1/data-calls/answers/{tpt['task_id']}/draft", {"data": {}}, expect=409)
    assert [e.payload["submitted"] for e in events("data_call_completed")] == [2]

    # the XLSX of the consolidation holds the figures
    r = api.client.get(f"/api/v1/data-calls/{call['id']}/consolidation.xlsx", headers=api.h("dpo_officer"))
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:5] == [
        "Организация",
        "Код профессии / специальности",
        "Наименование",
        "Выпускников",
        "Трудоустроено",
    ]
    assert values[1][:5] == ["Томский аграрный техникум", "09.02.07", "Информационные системы", 15, 9]
    assert values[2][:5] == ["Томский политехнический техникум", "15.02.16", "Технология машиностроения", 25, 20]
    assert values[-1][0] == "Итого" and values[-1][3:5] == [70, 47]
    assert trail.verify(db.session).ok


def test_a_recipient_attaches_files_to_its_answer_and_only_it_sees_them(api):
    call = api.post("dpo_officer", "/api/v1/data-calls", {"template": "poo_graduates", "year": 2027}, expect=201)
    tpt = next(r for r in call["recipients"] if r["organisation"] == "Томский политехнический техникум")
    url = f"/api/v1/tasks/{tpt['task_id']}/attachments"
    body = b"%PDF-1.4 employment certificates"
    r = api.client.post(
        url, data={"file": (io.BytesIO(body), "справки.pdf", "application/pdf")}, headers=api.h("college_officer_1")
    )
    assert r.status_code == 201, r.get_json()
    att = r.get_json()
    # another ПОО cannot attach to, list or download it: for it the task does not exist
    other = api.client.post(
        url, data={"file": (io.BytesIO(b"x"), "x.pdf", "application/pdf")}, headers=api.h("college_officer_2")
    )
    assert other.status_code == 404
    api.get("college_officer_2", url, expect=404)
    api.get("college_officer_2", f"{url}/{att['id']}", expect=404)
    # the recipient's answer view lists it, and it downloads as it was sent
    view = api.get("college_officer_1", f"/api/v1/data-calls/answers/{tpt['task_id']}")
    assert [a["file_name"] for a in view["attachments"]] == ["справки.pdf"]
    assert api.get("college_officer_1", f"{url}/{att['id']}").data == body
    assert [a["id"] for a in api.get("college_officer_1", url)] == [att["id"]]
    # the answer goes in with its file; the attachment event is in the call's history
    api.post(
        "college_officer_1",
        f"/api/v1/data-calls/answers/{tpt['task_id']}/submit",
        {"data": {"rows": ROWS_LATE}},
    )
    assert [e.payload.get("file_name") or e.payload.get("filename") for e in events("attachment_added")] == [
        "справки.pdf"
    ]


def test_the_poo_yearly_data_calls_start_from_their_cycles(api):
    """The cycle rows of the ПОО's yearly data (2.7, 13.1, 13.2) open data calls from the templates they name: the
    rating's in August (through its process), graduates' employment in the autumn (the cycle row names the template
    of a bare data call); each once a year; a data-call cycle naming no template warns."""
    from workflow_app.services.scheduler import cycles as cycle_defs

    for code in ("kcp_campaign", "professions_cycle", "staffing_forecast", "poo_governance", "roadmap_monitoring"):
        scheduler.set_paused(SYSTEM, code, True)
    august = datetime(2027, 8, 2, 3, 0, tzinfo=UTC)  # Monday 2 August, 10:00 in Tomsk
    clock.set_clock(august)
    result = scheduler.tick(august)
    # the rating's cycle starts the poo_rating process, whose first step opens the call (test_poo_rating goes on)
    assert [(s["cycle"], s["cycle_key"]) for s in result.started] == [("poo_rating", "2027")]
    (call,) = api.get("dpo_officer", "/api/v1/data-calls")
    assert call["title"] == "Сведения для рейтинга ПОО, 2027 год" and call["status"] == "open"
    detail = api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")
    assert len(detail["recipients"]) == 3  # every ПОО with someone to answer
    tasks = api.answer_tasks("college_officer_1")
    assert len(tasks) == 1 and tasks[0]["business_key"] == "Запрос-2027/poo_rating"
    assert scheduler.tick(august + timedelta(days=3)).started == []  # once a year
    started = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "cycle_started")).scalars().all()
    assert [e.payload["cycle"] for e in started] == ["poo_rating"] and started[0].actor_name == "scheduler"

    autumn = datetime(2027, 9, 15, 3, 0, tzinfo=UTC)
    clock.set_clock(autumn)
    assert [s["cycle"] for s in scheduler.tick(autumn).started] == ["poo_graduates"]
    assert {c["title"] for c in api.get("dpo_officer", "/api/v1/data-calls")} == {
        "Сведения для рейтинга ПОО, 2027 год",
        "Трудоустройство выпускников ПОО 2027 года",
    }
    # a data-call cycle whose row names no template is refused with a warning, and stays due
    scheduler.save_cycle(
        SYSTEM,
        "broken",
        name="Без шаблона",
        process_id="data_call",
        cron="0 9 1 10 *",
        key_template="broken-{year}",
        start_data={"year": "{year}"},
        active_from=autumn,
    )
    october = datetime(2027, 10, 1, 3, 0, tzinfo=UTC)
    clock.set_clock(october)
    result = scheduler.tick(october)
    assert [w["cycle"] for w in result.warnings] == ["broken"] and "broken" not in [s["cycle"] for s in result.started]
    assert cycle_defs.latest_due(db.session.get(CycleDefinition, "broken"), october) is not None


def test_the_open_a_call_page_offers_only_templates_that_open_by_hand(api, app):
    """Every template the page offers its owner opens from the page; the roadmap monitoring's report (its
    recipients and their pre-filled items are chosen by the monitoring cycle) is not offered, and a hand-made
    request for it is refused with a 4xx."""
    import re

    from factories import login_session
    from flask import g

    def post(client, data):
        g.pop("csrf_token", None)  # each browser its own session's token (the app context outlives requests)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data-calls/").get_data(as_text=True))
        return client.post("/data-calls/open", data={**data, "csrf_token": token.group(1)})

    for username in ("coordinator", "dpo_officer", "dtzn_officer"):
        client = app.test_client()
        g.pop("csrf_token", None)
        login_session(client, db.session.execute(select(User).where(User.username == username)).scalar_one())
        page = client.get("/data-calls/")
        assert page.status_code == 200
        offered = re.findall(r'<option value="([a-z_]+)"', page.get_data(as_text=True))
        assert offered and "roadmap_report" not in offered, username
        for code in offered:
            r = post(client, {"template": code, "year": "2027"})
            assert r.status_code == 302 and "/data-calls/" in r.headers["Location"], (username, code, r.status_code)
        assert post(client, {"template": "roadmap_report", "year": "2027"}).status_code in (403, 422)
    assert "roadmap_report" not in {t["code"] for t in api.get("coordinator", "/api/v1/data-calls/templates")}


def test_those_who_follow_a_call_download_the_files_of_submitted_answers(api, app):
    """The call's owners, the Координатор and auditors see and download the files a ПОО attached to its
    submitted answer, on the call's page and through the API; another ПОО does not, nor anyone the file of an
    answer still in draft, nor a file through another call."""
    from factories import login_session

    call = api.post("dpo_officer", "/api/v1/data-calls", {"template": "poo_graduates", "year": 2027}, expect=201)
    other = api.post("dpo_officer", "/api/v1/data-calls", {"template": "poo_graduates", "year": 2027}, expect=201)
    by_name = {r["organisation"]: r for r in call["recipients"]}
    tpt, ttit = by_name["Томский политехнический техникум"], by_name["Томский техникум информационных технологий"]
    body = b"%PDF-1.4 employment certificates"

    def attach(who, task_id, content, name):
        r = api.client.post(
            f"/api/v1/tasks/{task_id}/attachments",
            data={"file": (io.BytesIO(content), name, "application/pdf")},
            headers=api.h(who),
        )
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    submitted = attach("college_officer_1", tpt["task_id"], body, "справки.pdf")
    draft = attach("college_officer_2", ttit["task_id"], b"%PDF-1.4 draft", "черновик.pdf")
    api.post("college_officer_1", f"/api/v1/data-calls/answers/{tpt['task_id']}/submit", {"data": {"rows": ROWS_LATE}})

    url = f"/api/v1/data-calls/{call['id']}/attachments"
    for who in ("dpo_officer", "coordinator", "auditor"):
        view = api.get(who, f"/api/v1/data-calls/{call['id']}")
        files = {r["organisation"]: r["attachments"] for r in view["recipients"]}
        assert [a["file_name"] for a in files["Томский политехнический техникум"]] == ["справки.pdf"], who
        assert files["Томский техникум информационных технологий"] == [], who  # a draft's file is not shown
        r = api.get(who, f"{url}/{submitted}")
        assert r.data == body and r.headers["Content-Disposition"].startswith("attachment;"), who
        api.get(who, f"{url}/{draft}", expect=404)
        api.get(who, f"/api/v1/data-calls/{other['id']}/attachments/{submitted}", expect=404)
    api.get("college_officer_2", f"{url}/{submitted}", expect=404)  # another ПОО does not follow the call

    client = app.test_client()
    login_session(client, db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one())
    page = client.get(f"/data-calls/{call['id']}").get_data(as_text=True)
    link = f"/data-calls/{call['id']}/attachments/{submitted}"
    assert link in page and "справки.pdf" in page and "черновик.pdf" not in page
    r = client.get(link)
    assert r.status_code == 200 and r.data == body
    outsider = app.test_client()
    login_session(outsider, db.session.execute(select(User).where(User.username == "college_officer_2")).scalar_one())
    assert outsider.get(link).status_code == 404


def _three_poo_call(api, deadline=5):
    call = api.post(
        "dpo_officer",
        "/api/v1/data-calls",
        {"template": "poo_graduates", "year": 2027, "deadline": deadline},
        expect=201,
    )
    return call, {r["organisation"]: r for r in call["recipients"]}


def test_a_recipient_whose_answer_task_an_administrator_cancelled_is_excused_and_the_call_completes(api):
    call, by_org = _three_poo_call(api)
    tpt, ttit, tat = (by_org[n] for n in THREE_POO)
    api.post("admin", f"/api/v1/admin/tasks/{ttit['task_id']}/cancel", {"reason": "ошибочно включён в запрос"})
    assert db.session.get(HumanTask, ttit["task_id"]).status == "cancelled"
    # past the deadline: the cancelled recipient is not reminded about a task it can no longer answer
    after_due = datetime.fromisoformat(call["deadline_at"]) + timedelta(hours=1)
    clock.set_clock(after_due)
    scheduler.tick(after_due)
    assert sorted(e.payload["org_id"] for e in events("data_call_reminder")) == sorted([tpt["org_id"], tat["org_id"]])
    assert notices("college_officer_2") == []
    api.post("college_officer_1", f"/api/v1/data-calls/answers/{tpt['task_id']}/submit", {"data": {"rows": ROWS_TPT}})
    api.post("college_officer_3", f"/api/v1/data-calls/answers/{tat['task_id']}/submit", {"data": {"rows": ROWS_LATE}})
    api.post("dpo_officer", f"/api/v1/data-calls/{call['id']}/complete", expect=409)  # excuse the cancelled one first
    exc = api.post(
        "dpo_officer",
        f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/excuse",
        {"reason": "не ведёт подготовку"},
    )
    assert exc["status"] == "excused"
    api.post(
        "dpo_officer", f"/api/v1/data-calls/{call['id']}/recipients/{ttit['id']}/excuse", {"reason": "x"}, expect=409
    )
    done = api.post("dpo_officer", f"/api/v1/data-calls/{call['id']}/complete")
    assert done["status"] == "completed"
    assert done["consolidation"]["counts"] == {
        "recipients": 3,
        "submitted": 2,
        "excused": 1,
        "pending": 0,
        "cancelled": 0,
    }
    assert [e.payload["reason"] for e in events("data_call_excused")] == ["не ведёт подготовку"]
    assert trail.verify(db.session).ok


def test_a_terminated_data_call_case_closes_its_call_and_is_not_chased(api, app):
    call, by_org = _three_poo_call(api)
    tpt, ttit, tat = (by_org[n] for n in THREE_POO)
    api.post("college_officer_2", f"/api/v1/data-calls/answers/{ttit['task_id']}/submit", {"data": {"rows": ROWS_LATE}})
    api.put("college_officer_3", f"/api/v1/data-calls/answers/{tat['task_id']}/draft", {"data": {"rows": ROWS_LATE}})
    api.post("admin", f"/api/v1/admin/instances/{call['instance_id']}/terminate", {"reason": "запрос открыт по ошибке"})
    state = api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")
    assert state["status"] == "terminated"
    # whoever had not answered has a final status; the answer given stays
    statuses = {r["organisation"]: (r["status"], r["status_label"]) for r in state["recipients"]}
    assert statuses == {
        THREE_POO[0]: ("cancelled", "запрос отменён"),
        THREE_POO[1]: ("submitted", "представлены"),
        THREE_POO[2]: ("cancelled", "запрос отменён"),
    }
    assert state["consolidation"]["counts"] == {
        "recipients": 3,
        "submitted": 1,
        "excused": 0,
        "pending": 0,
        "cancelled": 2,
    }
    # a late answer, a draft, an official's excuse: 409, the call is cancelled («Запрос отменён» on the page)
    for who, rec in (("college_officer_1", tpt), ("college_officer_3", tat)):
        for url in ("submit", "draft"):
            send = api.client.post if url == "submit" else api.client.put
            r = send(f"/api/v1/data-calls/answers/{rec['task_id']}/{url}", json={"data": {}}, headers=api.h(who))
            assert r.status_code == 409 and r.get_json()["error"]["message"] == "the data call was cancelled"
        assert api.get(who, f"/api/v1/data-calls/answers/{rec['task_id']}")["recipient"]["status"] == "cancelled"
    api.post(
        "dpo_officer", f"/api/v1/data-calls/{call['id']}/recipients/{tpt['id']}/excuse", {"reason": "x"}, expect=409
    )
    after_due = datetime.fromisoformat(call["deadline_at"]) + timedelta(hours=1)
    for moment in (after_due, workdays.add_working_days(after_due, 2) + timedelta(minutes=1)):
        clock.set_clock(moment)
        scheduler.tick(moment)
    assert events("data_call_reminder") == [] and events("data_call_head_notified") == []
    assert notices("college_officer_1") == [] and notices("college_director_1") == []
    after = api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")["recipients"]
    assert [r["late"] for r in after] == [False, False, False]  # past the deadline, but nothing is owed
    browser = app.test_client()
    login_session(browser, db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one())
    page = browser.get(f"/data-calls/{call['id']}").get_data(as_text=True)
    row = page[page.index(f'id="recipient-{tpt["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "запрос отменён" in row and "просрочено" not in row
    login_session(browser, db.session.execute(select(User).where(User.username == "college_officer_1")).scalar_one())
    g.pop("csrf_token", None)  # this browser's own session's token (the app context outlives requests)
    mine = browser.get(f"/data-calls/answer/{tpt['task_id']}").get_data(as_text=True)
    assert "запрос отменён" in mine and 'name="action"' not in mine
    token = re.search(r'name="csrf_token" value="([^"]+)"', mine).group(1)
    late = browser.post(f"/data-calls/answer/{tpt['task_id']}", data={"csrf_token": token, "action": "submit"})
    assert late.status_code == 409 and "Запрос отменён" in late.get_data(as_text=True)


def _child_call(parent_instance_id: int, title: str) -> tuple[int, int]:
    """A data call opened as the child case of another (as a chain's service task opens its survey)."""
    officer = db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one()
    with UnitOfWork(actor_for(officer)) as uow:
        parent = db.session.get(ProcessInstance, parent_instance_id)
        call = calls.open_in(uow, actor_for(officer), "poo_graduates", year=2027, title=title, parent=parent)
        uow.commit()
    return call.id, call.instance_id


@pytest.mark.postgres_too
def test_terminating_a_case_terminates_its_running_children_recursively(api):
    """A parent case with a child data call, which has a child of its own: the administrator terminates the parent;
    the children go with it in the same command, each with its own event naming its parent; their calls close,
    their recipients are cancelled; another case's child and a finished child are left alone."""
    root, _ = _three_poo_call(api)
    child_id, child_instance = _child_call(root["instance_id"], "Дочерний запрос")
    grandchild_id, grandchild_instance = _child_call(child_instance, "Внучатый запрос")
    other, _ = _three_poo_call(api)
    other_child_id, other_child_instance = _child_call(other["instance_id"], "Чужой дочерний запрос")

    # who may terminate the parent is the service's rule: a department official may not, and nothing moves
    api.post("dpo_officer", f"/api/v1/admin/instances/{root['instance_id']}/terminate", {"reason": "x"}, expect=403)
    db.session.expire_all()
    assert db.session.get(ProcessInstance, grandchild_instance).status == "running"

    api.post("admin", f"/api/v1/admin/instances/{root['instance_id']}/terminate", {"reason": "открыт по ошибке"})
    db.session.expire_all()
    for instance_id in (root["instance_id"], child_instance, grandchild_instance):
        assert db.session.get(ProcessInstance, instance_id).status == "terminated"
    for call_id in (child_id, grandchild_id):
        state = api.get("dpo_officer", f"/api/v1/data-calls/{call_id}")
        assert state["status"] == "terminated"
        assert {r["status"] for r in state["recipients"]} == {"cancelled"}
    assert db.session.get(ProcessInstance, other_child_instance).status == "running"
    assert api.get("dpo_officer", f"/api/v1/data-calls/{other_child_id}")["status"] == "open"
    assert not db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id.in_([child_instance, grandchild_instance]), HumanTask.status == "open"
        )
    ).all()
    terminated = {
        e.instance_id: e
        for e in db.session.execute(select(AuditEvent).where(AuditEvent.kind == "instance_terminated")).scalars()
    }
    assert set(terminated) == {root["instance_id"], child_instance, grandchild_instance}
    assert all(e.payload["reason"] == "открыт по ошибке" for e in terminated.values())
    assert terminated[child_instance].payload["parent_id"] == root["instance_id"]
    assert terminated[grandchild_instance].payload["parent_id"] == child_instance
    assert terminated[grandchild_instance].payload["parent_business_key"].startswith("Запрос-2027/poo_graduates")
    assert "parent_id" not in terminated[root["instance_id"]].payload
    browser = api.client.application.test_client()
    login_session(browser, db.session.execute(select(User).where(User.username == "admin")).scalar_one())
    history = browser.get(f"/instances/{grandchild_instance}/history").get_data(as_text=True)
    assert "Прекращено вместе с родительским делом" in history and "открыт по ошибке" in history
    assert trail.verify(db.session).ok

    # the other parent's child already finished: terminating its parent leaves it as it is
    api.post("admin", f"/api/v1/admin/instances/{other_child_instance}/terminate", {"reason": "не нужен"})
    api.post("admin", f"/api/v1/admin/instances/{other['instance_id']}/terminate", {"reason": "не нужен"})
    kinds = db.session.execute(select(AuditEvent.instance_id).where(AuditEvent.kind == "instance_terminated"))
    assert sorted(kinds.scalars()) == sorted([*terminated, other_child_instance, other["instance_id"]])


@pytest.mark.postgres_too
def test_the_migration_gives_the_waiting_recipients_of_cancelled_calls_their_final_status(api):
    call, _ = _three_poo_call(api)
    api.post("admin", f"/api/v1/admin/instances/{call['instance_id']}/terminate", {"reason": "открыт по ошибке"})
    db.session.remove()
    migrations = str(ROOT / "migrations")
    downgrade(directory=migrations, revision="0024_duration_summary")  # as the call was left before
    assert {r["status"] for r in api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")["recipients"]} == {
        "pending"
    }
    db.session.remove()
    upgrade(directory=migrations, revision="heads")
    assert {r["status"] for r in api.get("dpo_officer", f"/api/v1/data-calls/{call['id']}")["recipients"]} == {
        "cancelled"
    }
