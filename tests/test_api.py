"""REST API journeys (/api/v1): auth, isolation between colleges, claim race, forms, four-eyes, deputies,
assign/delegate/resolve, comments and attachments, working-day due dates, the OpenAPI document."""

import hashlib
import io
import re
import threading
from datetime import UTC, date, datetime

import pytest
from factories import example_people, login_session, org, user

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, HumanTask, TaskAttachment
from workflow_app.services.audit import trail
from workflow_app.services.people import deputies, tokens
from workflow_app.services.people.actors import SYSTEM

REQUEST = {"title": "Заявка ТПТ", "amount": 25, "justification": "Нужно больше мест для набора"}


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


@pytest.fixture
def people(app, deployed):
    p = example_people()
    p["director1"] = user("college_director_1", ["college_director"], org("college1"))
    p["director2"] = user("college_director_2", ["college_director"], org("college2"))
    return p


def bearer(username):
    return {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, username)}


class Api:
    """A tiny client: one user's bearer token."""

    def __init__(self, client, username):
        self.client, self.headers = client, bearer(username)

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, headers=self.headers, json=json, **kw)


def start(api, key="КЦП-2027/ТПТ"):
    r = api.post("/processes/example_approval/instances", {"data": {"title": "Заявка"}, "business_key": key})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def error(r):
    body = r.get_json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_token_me_and_authentication_errors(client, people):
    r = client.post("/api/v1/auth/token", json={"username": "college_officer_1", "password": "wrong"})
    assert r.status_code == 401 and error(r)["code"] == "unauthorized"
    r = client.post("/api/v1/auth/token", json={"username": "college_officer_1", "password": "pw-123456"})
    assert r.status_code == 201
    token = r.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == "college_officer_1" and me["groups"] == ["college_officer"]
    assert me["organisation"]["code"] == "college1"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer sgl_nope"}).status_code == 401
    r = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert r.status_code == 400 and error(r)["code"] == "bad_request"
    r = client.post("/api/v1/auth/token", json={"username": 5})
    assert r.status_code == 422 and "password" in str(error(r)["fields"]) and "username" in str(error(r)["fields"])
    r = client.post("/api/v1/auth/token", json=["a", "b"])
    assert r.status_code in (400, 422)
    kinds = [e.kind for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert "login_failed" in kinds and "token_issued" in kinds


@pytest.mark.postgres_too
def test_two_colleges_see_only_their_own_tasks(client, people):
    one, two = Api(client, "college_officer_1"), Api(client, "college_officer_2")
    inst = start(one)
    [task] = inst["tasks"]
    assert task["group"] == "college_officer" and task["form_key"] == "example_request"
    mine = one.get("/tasks?view=group").get_json()
    assert [t["id"] for t in mine] == [task["id"]]
    assert two.get("/tasks?view=group").get_json() == []
    assert two.get("/tasks?view=all").get_json() == []
    for r in (
        two.get(f"/tasks/{task['id']}"),
        two.post(f"/tasks/{task['id']}/claim"),
        two.post(f"/tasks/{task['id']}/complete", {"data": REQUEST}),
        two.get(f"/instances/{inst['id']}"),
        two.post(f"/tasks/{task['id']}/comments", {"body": "чужая заявка"}),
    ):
        assert r.status_code == 404 and error(r)["code"] == "not_found"
    assert two.get("/instances").get_json() == []
    assert [i["id"] for i in one.get("/instances").get_json()] == [inst["id"]]
    # the second college's own case is invisible to the first
    inst2 = start(two, "КЦП-2027/ТТИТ")
    assert one.get(f"/tasks/{inst2['tasks'][0]['id']}").status_code == 404
    assert [t["business_key"] for t in two.get("/tasks?view=group").get_json()] == ["КЦП-2027/ТТИТ"]


def test_russian_text_travels_as_utf8(client, people):
    """Answers carry Cyrillic as UTF-8 (JSON's own encoding), not as \\uXXXX escapes three times its size."""
    officer = Api(client, "college_officer_1")
    r = officer.post("/processes/example_approval/instances", {"data": {"title": "Заявка"}, "business_key": "КЦП-1"})
    assert r.status_code == 201 and r.mimetype == "application/json"
    assert "Подать заявку".encode() in r.data and b"\\u041f" not in r.data
    assert r.get_json()["tasks"][0]["name"] == "Подать заявку"


def test_wrong_group_and_auditor_read_only(client, people):
    officer, dpo, auditor = Api(client, "college_officer_1"), Api(client, "dpo_officer"), Api(client, "auditor")
    task_id = start(officer)["tasks"][0]["id"]
    assert dpo.post(f"/tasks/{task_id}/complete", {"data": REQUEST}).status_code == 404  # not the department's lane
    assert dpo.post(f"/tasks/{task_id}/claim").status_code == 404
    assert auditor.get(f"/tasks/{task_id}").status_code == 200
    assert task_id in [t["id"] for t in auditor.get("/tasks?view=all").get_json()]
    r = auditor.post(f"/tasks/{task_id}/claim")
    assert r.status_code == 403
    assert auditor.post(f"/tasks/{task_id}/complete", {"data": REQUEST}).status_code == 403
    assert auditor.post(f"/tasks/{task_id}/comments", {"body": "аудитор пишет"}).status_code == 403
    r = officer.post(f"/tasks/{task_id}/complete", {"data": REQUEST})
    assert r.status_code == 200
    review = dpo.get("/tasks?view=group").get_json()[0]
    assert officer.post(f"/tasks/{review['id']}/complete", {"data": {"decision": "approve"}}).status_code == 404
    r = Api(client, "college_officer_1").post("/processes/example_approval/instances", {"data": []})
    assert r.status_code == 422
    assert dpo.post("/processes/example_approval/instances", {"data": {}}).status_code == 403
    assert dpo.post("/processes/no_such/instances", {"data": {}}).status_code == 404


@pytest.mark.postgres_too
def test_journey_with_form_validation_next_tasks_and_four_eyes(client, people):
    both = Api(client, "dpo_officer_2")  # a college officer who is also a department officer
    inst = start(both)
    task_id = inst["tasks"][0]["id"]
    detail = both.get(f"/tasks/{task_id}").get_json()
    assert detail["form"]["required"] == ["title", "amount", "justification"]
    assert detail["instance"]["business_key"] == "КЦП-2027/ТПТ" and detail["data"]["title"] == "Заявка"
    assert detail["can_work"] is True
    r = both.post(f"/tasks/{task_id}/complete", {"data": {"title": "x", "amount": "много"}})
    assert r.status_code == 422
    fields = error(r)["fields"]
    assert {"title", "amount", "justification"} <= set(fields)
    r = both.post(f"/tasks/{task_id}/complete", {"data": "not an object"})
    assert r.status_code == 422 and "data" in str(error(r)["fields"])
    r = both.post(
        f"/tasks/{task_id}/complete", {"data": REQUEST, "lock_version": detail["instance"]["lock_version"] - 1}
    )
    assert r.status_code == 409
    r = both.post(f"/tasks/{task_id}/complete", {"data": REQUEST, "lock_version": detail["instance"]["lock_version"]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["task"]["status"] == "completed" and body["task"]["assignee"] == "dpo_officer_2"
    [review] = body["next_tasks"]  # this user is in the department group too, so it sees the review
    assert review["task_def"] == "review_request" and review["group"] == "dpo_officer"
    r = both.post(f"/tasks/{review['id']}/complete", {"data": {"decision": "approve"}})
    assert r.status_code == 403 and "four-eyes" in error(r)["message"]
    assert both.post(f"/tasks/{review['id']}/claim").status_code == 403
    dpo = Api(client, "dpo_officer")
    r = dpo.post(f"/tasks/{review['id']}/complete", {"data": {"decision": "reject", "comment": "Не обосновано"}})
    assert r.status_code == 200 and r.get_json()["instance"]["status"] == "completed"
    assert (
        r.get_json()["instance"]["initiator"] == "dpo_officer_2" and r.get_json()["task"]["assignee"] == "dpo_officer"
    )
    assert r.get_json()["next_tasks"] == []
    assert dpo.post(f"/tasks/{review['id']}/complete", {"data": {"decision": "reject"}}).status_code == 409
    assert dpo.get("/instances?status=completed").get_json()[0]["id"] == inst["id"]
    assert trail.verify(db.session).ok


@pytest.mark.postgres_too
def test_claim_race_exactly_one_wins(app, client, people):
    officer = Api(client, "college_officer_1")
    task_id = start(officer)["tasks"][0]["id"]
    assert officer.post(f"/tasks/{task_id}/complete", {"data": REQUEST}).status_code == 200
    review_id = Api(client, "dpo_officer").get("/tasks?view=group").get_json()[0]["id"]
    headers = {name: bearer(name) for name in ("dpo_officer", "dpo_officer_2")}
    db.session.commit()
    results, barrier = {}, threading.Barrier(2)

    def worker(name):
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            r = c.post(f"/api/v1/tasks/{review_id}/claim", headers=headers[name])
            results[name] = r.status_code
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409], results
    winner = next(n for n, s in results.items() if s == 200)
    loser = next(n for n, s in results.items() if s == 409)
    task = Api(client, winner).get(f"/tasks/{review_id}").get_json()
    assert task["assignee"] == winner
    # the loser can no longer complete it either
    r = Api(client, loser).post(f"/tasks/{review_id}/complete", {"data": {"decision": "approve"}})
    assert r.status_code == 409
    assert db.session.query(AuditEvent).filter_by(kind="task_claimed", task_id=review_id).count() == 1


def _login_session(client, u):
    login_session(client, u)


def test_session_auth_needs_csrf_for_writes(client, people):
    officer_api = Api(client, "college_officer_1")
    task_id = start(officer_api)["tasks"][0]["id"]
    browser = client.application.test_client()
    _login_session(browser, people["officer1"])
    assert browser.get("/api/v1/me").get_json()["username"] == "college_officer_1"
    r = browser.post(f"/api/v1/tasks/{task_id}/claim")
    assert r.status_code in (400, 403) and r.get_json()["error"]["code"] in ("bad_request", "forbidden")
    r = browser.post(f"/api/v1/tasks/{task_id}/claim", headers={"X-CSRFToken": "forged"})
    assert r.status_code in (400, 403)
    token = browser.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    r = browser.post(f"/api/v1/tasks/{task_id}/claim", headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["assignee"] == "college_officer_1"
    assert client.application.test_client().get("/api/v1/tasks").status_code == 401


def test_bearer_requests_neither_read_nor_write_the_browser_session(client, people):
    browser = client.application.test_client()
    _login_session(browser, people["officer1"])
    r = browser.get("/api/v1/me", headers=bearer("dpo_officer"))
    assert r.status_code == 200 and r.get_json()["username"] == "dpo_officer"  # the token decides, not the cookie
    assert "Set-Cookie" not in r.headers  # no session re-signed (nor any opened) for a token's call
    r = browser.post(
        "/api/v1/processes/example_approval/instances",
        headers=bearer("college_officer_1"),
        json={"data": {"title": "Заявка"}, "business_key": "BEARER-1"},
    )
    assert r.status_code == 201 and "Set-Cookie" not in r.headers
    assert browser.get("/api/v1/me").get_json()["username"] == "college_officer_1"  # the session is untouched
    r = client.application.test_client().get("/api/v1/me", headers={"Authorization": "Bearer sgl_forged"})
    assert r.status_code == 401 and "Set-Cookie" not in r.headers
    assert browser.get("/api/v1/auth/csrf", headers=bearer("dpo_officer")).status_code == 200  # writes, saves nothing
    app, cookie = client.application, f"session={browser.get_cookie('session').value}"
    with app.test_request_context("/api/v1/tasks", headers={"Authorization": "Bearer x", "Cookie": cookie}) as ctx:
        assert dict(app.session_interface.open_session(app, ctx.request)) == {}  # the cookie is not even read
    with app.test_request_context("/api/v1/tasks", headers={"Cookie": cookie}) as ctx:
        assert app.session_interface.open_session(app, ctx.request)["_user_id"] == str(people["officer1"].id)


def test_deputy_acts_only_during_the_absence(client, people):
    deputy = user("dpo_deputy", ["sector_officer"], org("dpo"))
    deputies.add(SYSTEM, "dpo_officer", "dpo_deputy", date(2026, 3, 2), date(2026, 3, 4))
    officer = Api(client, "college_officer_1")
    task_id = start(officer)["tasks"][0]["id"]
    officer.post(f"/tasks/{task_id}/complete", {"data": REQUEST})
    api = Api(client, deputy.username)
    assert api.get("/me").get_json()["acting_for"] == ["dpo_officer"]
    [review] = api.get("/tasks?view=group").get_json()
    clock.set_clock(datetime(2026, 3, 5, 3, 0, tzinfo=UTC))  # the absence is over
    assert api.get("/tasks?view=group").get_json() == []
    assert api.post(f"/tasks/{review['id']}/claim").status_code == 404
    clock.set_clock(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))  # last day of the absence (Tomsk time)
    r = api.post(f"/tasks/{review['id']}/complete", {"data": {"decision": "approve"}})
    assert r.status_code == 200, r.get_json()
    event = db.session.query(AuditEvent).filter_by(kind="task_completed", task_id=review["id"]).one()
    assert event.actor_name == "dpo_deputy"


def test_assign_delegate_resolve(client, people):
    officer = Api(client, "college_officer_1")
    task_id = start(officer)["tasks"][0]["id"]
    director1, director2 = Api(client, "college_director_1"), Api(client, "college_director_2")
    assert director2.post(f"/tasks/{task_id}/assign", {"user": "college_officer_1"}).status_code == 404
    assert officer.post(f"/tasks/{task_id}/assign", {"user": "college_officer_1"}).status_code == 403
    r = director1.post(f"/tasks/{task_id}/assign", {"user": "college_officer_2"})  # another college's officer
    assert r.status_code == 422 and "user" in error(r)["fields"]
    assert director1.post(f"/tasks/{task_id}/assign", {"user": "nobody"}).status_code == 422
    assert director1.post(f"/tasks/{task_id}/assign", {}).status_code == 422
    r = director1.post(f"/tasks/{task_id}/assign", {"user": "college_officer_1"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "college_officer_1"
    assert [t["id"] for t in officer.get("/tasks?view=mine").get_json()] == [task_id]
    assert officer.get("/tasks?view=group").get_json() == []
    colleague = Api(client, "dpo_officer_2")  # also a college officer of college 1
    assert colleague.post(f"/tasks/{task_id}/delegate", {"user": "college_officer_1"}).status_code == 403
    assert officer.post(f"/tasks/{task_id}/delegate", {"user": "college_officer_2"}).status_code == 422
    r = officer.post(f"/tasks/{task_id}/delegate", {"user": "dpo_officer_2"})
    assert r.status_code == 200
    assert (r.get_json()["assignee"], r.get_json()["owner"]) == ("dpo_officer_2", "college_officer_1")
    assert [t["id"] for t in colleague.get("/tasks?view=mine").get_json()] == [task_id]
    assert officer.post(f"/tasks/{task_id}/complete", {"data": REQUEST}).status_code == 409  # it is with the delegate
    r = colleague.post(f"/tasks/{task_id}/complete", {"data": REQUEST})  # the delegate resolves, never completes
    assert r.status_code == 409 and "resolve" in error(r)["message"]
    assert officer.post(f"/tasks/{task_id}/resolve").status_code == 403
    r = colleague.post(f"/tasks/{task_id}/resolve")
    assert r.status_code == 200 and (r.get_json()["assignee"], r.get_json()["owner"]) == ("college_officer_1", None)
    assert colleague.post(f"/tasks/{task_id}/resolve").status_code == 409
    r = officer.post(f"/tasks/{task_id}/unclaim")
    assert r.status_code == 200 and r.get_json()["assignee"] is None
    kinds = [e.kind for e in db.session.query(AuditEvent).filter_by(task_id=task_id).order_by(AuditEvent.seq)]
    assert kinds[-4:] == ["task_assigned", "task_delegated", "task_resolved", "task_unclaimed"]
    row = db.session.get(HumanTask, task_id)  # each event names the task's case (read from the task row alone)
    named = {
        (e.instance_id, e.process_id, e.business_key) for e in db.session.query(AuditEvent).filter_by(task_id=task_id)
    }
    assert named == {(row.instance_id, row.process_id, row.business_key)} and row.instance_id is not None
    # the department head assigns the review to an officer of the department
    officer.post(f"/tasks/{task_id}/complete", {"data": REQUEST})
    review = Api(client, "dpo_head").get("/tasks?view=all").get_json()
    assert [t["task_def"] for t in review] == ["review_request"]
    r = Api(client, "dpo_head").post(f"/tasks/{review[0]['id']}/assign", {"user": "dpo_officer"})
    assert r.status_code == 200 and r.get_json()["assignee"] == "dpo_officer"


def test_comments_and_attachments(app, client, people):
    officer = Api(client, "college_officer_1")
    task_id = start(officer)["tasks"][0]["id"]
    r = officer.post(f"/tasks/{task_id}/comments", {"body": "Прилагаю письма работодателей"})
    assert r.status_code == 201 and r.get_json()["author"] == "college_officer_1"
    assert officer.post(f"/tasks/{task_id}/comments", {"body": ""}).status_code == 422
    content = "Письмо ООО «Томскнефтехим»: потребность 25 выпускников".encode() * 10
    r = officer.post(
        f"/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(content), "письмо.txt")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()
    att = r.get_json()
    assert att["sha256"] == hashlib.sha256(content).hexdigest() and att["size"] == len(content)
    stored = db.session.get(TaskAttachment, att["id"])
    assert stored.sha256 == att["sha256"] and stored.content == content
    download = officer.get(f"/tasks/{task_id}/attachments/{att['id']}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["X-Content-SHA256"] == att["sha256"]
    assert "attachment" in download.headers["Content-Disposition"]
    assert Api(client, "college_officer_2").get(f"/tasks/{task_id}/attachments/{att['id']}").status_code == 404
    assert officer.get(f"/tasks/{task_id}/attachments/{att['id'] + 99}").status_code == 404
    assert Api(client, "auditor").get(f"/tasks/{task_id}/attachments/{att['id']}").status_code == 200
    detail = officer.get(f"/tasks/{task_id}").get_json()
    assert [c["body"] for c in detail["comments"]] == ["Прилагаю письма работодателей"]
    assert [a["file_name"] for a in detail["attachments"]] == ["письмо.txt"]
    r = officer.post(f"/tasks/{task_id}/attachments", data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    r = officer.post(
        f"/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(b"x" * 1001), "big.bin")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and error(r)["code"] == "too_large"
    app.config["MAX_CONTENT_LENGTH"] = 2000
    r = officer.post(
        f"/tasks/{task_id}/attachments",
        data={"file": (io.BytesIO(b"x" * 5000), "huge.bin")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and error(r)["code"] == "too_large"
    assert db.session.query(TaskAttachment).count() == 1
    from workflow_app.models import ProcessInstance

    assert "Томскнефтехим" not in db.session.get(ProcessInstance, stored.instance_id).state  # never in engine state


def test_due_dates_in_working_days_and_overdue_view(client, people):
    officer = Api(client, "college_officer_1")
    task = start(officer)["tasks"][0]
    # 5 working days from Monday 2 March 2026: 8 March (Sunday) moves the day off to Monday 9 March
    assert task["due_at"] == "2026-03-10T11:00:00+00:00" and task["overdue"] is False
    assert officer.get("/tasks?view=overdue").get_json() == []
    assert len(officer.get("/tasks?view=group&due_before=2026-03-10T12:00:00%2B00:00").get_json()) == 1
    assert officer.get("/tasks?view=group&due_before=2026-03-09T12:00:00%2B00:00").get_json() == []
    assert officer.get("/tasks?view=group&due_before=2026-03-09").status_code == 422  # no offset
    clock.set_clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    [late] = officer.get("/tasks?view=overdue").get_json()
    assert late["id"] == task["id"] and late["overdue"] is True
    assert [t["id"] for t in Api(client, "auditor").get("/tasks?view=overdue").get_json()] == [task["id"]]
    assert Api(client, "college_officer_2").get("/tasks?view=overdue").get_json() == []


def test_bad_input_never_500(client, people):
    api = Api(client, "college_officer_1")
    task_id = start(api)["tasks"][0]["id"]
    for path in ("/tasks/999999", "/instances/999999", f"/tasks/{task_id}/attachments/5"):
        assert api.get(path).status_code == 404
    assert api.get("/tasks/abc").status_code == 404
    assert api.get("/tasks?per_page=0").status_code == 422
    assert api.get("/tasks?per_page=1000").status_code == 422
    assert api.get("/tasks?page=-1").status_code == 422
    assert api.get("/instances?status=weird").status_code == 422
    r = api.post(f"/tasks/{task_id}/complete", data=b"\xff\xfe", content_type="application/json")
    assert r.status_code == 400
    r = api.post(f"/tasks/{task_id}/complete", {"data": {"title": "t" * 300000}})
    assert r.status_code in (413, 422)
    r = api.post(f"/tasks/{task_id}/complete", {"data": {}})
    assert r.status_code == 422
    assert api.post(f"/tasks/{task_id}/follow-up", {"follow_up_at": "not a date"}).status_code == 422
    r = api.post(f"/tasks/{task_id}/follow-up", {"follow_up_at": "2026-03-05T09:00:00+07:00"})
    assert r.status_code == 403  # not claimed yet
    api.post(f"/tasks/{task_id}/claim")
    r = api.post(f"/tasks/{task_id}/follow-up", {"follow_up_at": "2026-03-05T09:00:00+07:00"})
    assert r.status_code == 200 and r.get_json()["follow_up_at"] == "2026-03-05T02:00:00+00:00"


def test_pagination_headers(client, people):
    api = Api(client, "college_officer_1")
    ids = [start(api, f"BK-{i}")["tasks"][0]["id"] for i in range(5)]
    r = api.get("/tasks?view=group&per_page=2")
    assert [t["id"] for t in r.get_json()] == ids[:2]
    assert r.headers["X-Has-More"] == "true" and r.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in r.headers["Link"] and "page=2" in r.headers["Link"]
    r = api.get("/tasks?view=group&per_page=2&page=3")
    assert [t["id"] for t in r.get_json()] == ids[4:] and r.headers["X-Has-More"] == "false"
    assert r.headers["X-Total-Count"] == "5"
    assert [t["business_key"] for t in api.get("/tasks?view=group&business_key=BK-3").get_json()] == ["BK-3"]
    assert api.get("/tasks?view=group&process_id=other").get_json() == []
    r = api.get("/instances?per_page=2")
    assert len(r.get_json()) == 2 and r.headers["X-Has-More"] == "true"


def test_openapi_lists_every_endpoint(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule.endswith("openapi.json"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append((path, method))
    assert missing == []
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/processes",
        "/api/v1/processes/{process_id}/instances",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/unclaim",
        "/api/v1/tasks/{task_id}/assign",
        "/api/v1/tasks/{task_id}/delegate",
        "/api/v1/tasks/{task_id}/resolve",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/comments",
        "/api/v1/tasks/{task_id}/attachments",
        "/api/v1/tasks/{task_id}/attachments/{attachment_id}",
        "/api/v1/instances",
        "/api/v1/instances/{instance_id}",
    ):
        assert path in doc["paths"], path
    assert doc["paths"]["/api/v1/auth/token"]["post"].get("security") == []
