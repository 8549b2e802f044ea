"""Administration without a database console (issue 21), through the API and the CLI: people, organisations,
deputies, bodies' seats, tokens and sessions, login limits; every refusal; every change an audit event."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import _make_app
from factories import example_people, login_session, org, user
from flask import g

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, BodyMembership, CollegialBody, HumanTask, Meeting, User
from workflow_app.services import council
from workflow_app.services.cases import start
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.tasks import commands

MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Tomsk
GOOD_INN, GOOD_OGRN = "7017123451", "1027700132195"


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


@pytest.fixture
def people(app, deployed):
    return example_people()


def bearer(username):
    return {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, username)}


class Api:
    def __init__(self, client, username=None, headers=None):
        self.client = client
        self.headers = headers if headers is not None else bearer(username)

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self.headers, **kw)

    def post(self, path, json=None):
        return self.client.post("/api/v1" + path, headers=self.headers, json=json if json is not None else {})

    def patch(self, path, json):
        return self.client.patch("/api/v1" + path, headers=self.headers, json=json)


def events(kind):
    return db.session.query(AuditEvent).filter_by(kind=kind).order_by(AuditEvent.seq).all()


def web_login(client, username, password):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def csrf(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def csrf_token_of(client):
    return csrf(client, "/account/tokens")


# --- people -----------------------------------------------------------------------------------------------


def test_admin_creates_an_official_who_must_change_the_password_and_sees_the_groups_tasks(client, people):
    admin = Api(client, "admin")
    r = admin.post(
        "/users",
        {
            "username": "petrova",
            "display_name": "Петрова Анна Сергеевна",
            "email": "petrova@deppo.tomsk.test",
            "organisation": "dpo",
            "groups": ["dpo_officer"],
        },
    )
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    password = created["temporary_password"]
    assert password and created["user"]["must_change_password"] is True
    assert created["user"]["groups"] == ["dpo_officer"] and created["user"]["organisation"]["code"] == "dpo"
    # a token is refused until the password is the user's own; the web login leads to the change page
    token = client.post("/api/v1/auth/token", json={"username": "petrova", "password": password})
    assert token.status_code == 403
    page = web_login(client, "petrova", password)
    assert page.status_code == 302 and "/account/password" in page.headers["Location"]
    assert client.get("/inbox").status_code == 302  # every page leads to the password change first
    token = csrf_token_of_password_page(client)
    changed = client.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": "Petrova-own-2026",
            "repeat_password": "Petrova-own-2026",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 302
    assert client.get("/inbox").status_code == 200
    # the group's task is in her inbox
    officer = actor_for(people["officer1"])
    _inst, [submit] = start.start_process(officer, "example_approval", {"title": "Заявка"})
    commands.complete(officer, submit.id, {"title": "Заявка", "amount": 5, "justification": "Нужно больше мест"})
    api = Api(client, headers={"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "petrova")})
    assert [t["name"] for t in api.get("/tasks?view=group").get_json()]
    [ev] = events("user_created")
    assert ev.actor_name == "admin" and ev.payload["after"]["groups"] == ["dpo_officer"]


def csrf_token_of_password_page(client):
    return csrf(client, "/account/password")


def test_only_admins_manage_users_and_bad_input_is_named(client, people):
    officer, admin = Api(client, "dpo_officer"), Api(client, "admin")
    assert officer.get("/users").status_code == 403
    assert officer.post("/users", {"username": "x1"}).status_code == 403
    assert officer.patch(f"/users/{people['dpo'].id}", {"groups": ["admin"]}).status_code == 403
    assert officer.post(f"/users/{people['head'].id}/deactivate").status_code == 403
    r = admin.post("/users", {"username": "bad name!", "groups": ["no_such_group"], "email": "nope"})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) >= {"username", "groups", "email"}
    assert admin.post("/users", {"username": "dpo_officer"}).status_code == 409
    r = admin.post("/users", {"username": "newbie", "organisation": "NOWHERE"})
    assert r.status_code == 422 and "organisation" in r.get_json()["error"]["fields"]
    assert admin.get("/users/999999").status_code == 404


def test_search_by_name_login_organisation_group_and_status(client, people):
    admin = Api(client, "admin")
    people["dpo"].display_name = "Иванова Мария Сергеевна"
    db.session.commit()
    found = admin.get("/users?q=иванова").get_json()
    assert [u["username"] for u in found["items"]] == ["dpo_officer"]
    assert [u["username"] for u in admin.get("/users?q=DPO_HEAD").get_json()["items"]] == ["dpo_head"]
    by_org = {u["username"] for u in admin.get("/users?organisation=college1").get_json()["items"]}
    assert by_org == {"college_officer_1", "dpo_officer_2"}
    by_group = {u["username"] for u in admin.get("/users?group=dpo_officer").get_json()["items"]}
    assert by_group == {"dpo_officer", "dpo_officer_2"}
    admin.post(f"/users/{people['officer2'].id}/deactivate")
    assert "college_officer_2" not in {u["username"] for u in admin.get("/users").get_json()["items"]}
    inactive = admin.get("/users?status=inactive").get_json()
    assert [u["username"] for u in inactive["items"]] == ["college_officer_2"] and inactive["total"] == 1
    assert admin.get("/users?status=bogus").status_code == 422


def test_edit_changes_take_effect_on_the_next_request_and_are_audited_with_before_and_after(client, people):
    admin = Api(client, "admin")
    officer = Api(client, "dpo_officer")
    assert officer.get("/me").get_json()["groups"] == ["dpo_officer"]
    r = admin.patch(
        f"/users/{people['dpo'].id}",
        {"display_name": "Иванова М. С.", "email": "", "organisation": "college1", "groups": ["sector_officer"]},
    )
    assert r.status_code == 200, r.get_json()
    me = officer.get("/me").get_json()  # the same token, the next request
    assert me["groups"] == ["sector_officer"] and me["organisation"]["code"] == "college1"
    [ev] = events("user_changed")
    assert ev.payload["before"] == {
        "display_name": "Dpo Officer",
        "groups": ["dpo_officer"],
        "organisation": "dpo",
    }
    assert ev.payload["after"]["groups"] == ["sector_officer"] and ev.actor_name == "admin"
    # the auditor reads it in the audit log
    auditor = Api(client, "auditor")
    found = auditor.get("/audit/events?kind=user_changed").get_json()
    assert [e["payload"]["after"]["display_name"] for e in found["events"]] == ["Иванова М. С."]
    assert admin.patch(f"/users/{people['dpo'].id}", {"groups": "dpo_officer"}).status_code == 422
    assert admin.patch(f"/users/{people['dpo'].id}", {"display_name": None}).status_code == 422


def test_the_last_admin_keeps_the_admin_group_and_cannot_be_deactivated(client, people):
    admin = Api(client, "admin")
    me = people["admin"].id
    r = admin.patch(f"/users/{me}", {"groups": ["auditor"]})
    assert r.status_code == 409 and "last active administrator" in r.get_json()["error"]["message"]
    assert admin.post(f"/users/{me}/deactivate").status_code == 409
    assert admin.patch(f"/users/{me}", {"groups": ["admin", "auditor"]}).status_code == 200
    # with a second administrator, the first may go
    second = admin.post("/users", {"username": "admin2", "groups": ["admin"], "password": "Second-admin-1"})
    assert second.status_code == 201
    # a deactivated administrator does not count
    admin.post(f"/users/{second.get_json()['user']['id']}/deactivate")
    assert admin.patch(f"/users/{me}", {"groups": ["auditor"]}).status_code == 409
    admin.post(f"/users/{second.get_json()['user']['id']}/reactivate")
    assert admin.patch(f"/users/{me}", {"groups": ["auditor"]}).status_code == 200


def test_deactivation_ends_sessions_and_tokens_at_once_and_returns_open_tasks(client, app, people):
    officer = actor_for(people["officer1"])
    inst, [submit] = start.start_process(officer, "example_approval", {"title": "Заявка"}, business_key="К-1")
    commands.complete(officer, submit.id, {"title": "Заявка", "amount": 5, "justification": "Нужно больше мест"})
    review = db.session.query(HumanTask).filter_by(instance_id=inst.id, status="open").one()
    commands.claim(actor_for(people["dpo"]), review.id)
    token = bearer("dpo_officer")
    browser = app.test_client()
    login_session(browser, people["dpo"])
    assert browser.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me", headers=token).status_code == 200
    r = Api(client, "admin").post(f"/users/{people['dpo'].id}/deactivate")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["sessions_ended"] == 1 and body["tokens_revoked"] == 1
    assert body["unassigned_tasks"] == [
        {"id": review.id, "name": review.name, "business_key": "К-1", "group": "dpo_officer"}
    ]
    assert browser.get("/api/v1/me").status_code == 401 and client.get("/api/v1/me", headers=token).status_code == 401
    assert browser.get("/inbox").status_code == 302  # to the login page
    db.session.expire_all()
    assert db.session.get(HumanTask, review.id).assignee_id is None
    # the history keeps the name: the submission was theirs ... and the task is free for the group
    history = Api(client, "auditor").get(f"/instances/{inst.id}/history").get_json()
    assert "Dpo Officer" in str(history) or "dpo_officer" in str(history)
    free = Api(client, "dpo_officer_2").get("/tasks?view=group").get_json()
    assert [t["id"] for t in free] == [review.id] and free[0]["assignee"] is None
    # a deactivated user cannot log in; reactivated, they can (the old tokens stay revoked)
    assert (
        client.post("/api/v1/auth/token", json={"username": "dpo_officer", "password": "pw-123456"}).status_code == 401
    )
    Api(client, "admin").post(f"/users/{people['dpo'].id}/reactivate")
    assert (
        client.post("/api/v1/auth/token", json={"username": "dpo_officer", "password": "pw-123456"}).status_code == 201
    )
    assert client.get("/api/v1/me", headers=token).status_code == 401
    kinds = [e.kind for e in db.session.query(AuditEvent).filter(AuditEvent.kind.like("user_%"))]
    assert kinds == ["user_deactivated", "user_reactivated"]
    assert Api(client, "admin").post(f"/users/{people['dpo'].id}/reactivate").status_code == 409


def test_password_reset_ends_the_users_sessions_and_requires_a_change(client, app, people):
    browser = app.test_client()
    login_session(browser, people["dpo"])
    r = Api(client, "admin").post(f"/users/{people['dpo'].id}/reset-password")
    assert r.status_code == 200
    temporary = r.get_json()["temporary_password"]
    assert browser.get("/api/v1/me").status_code == 401
    assert (
        client.post("/api/v1/auth/token", json={"username": "dpo_officer", "password": "pw-123456"}).status_code == 401
    )
    login = web_login(browser, "dpo_officer", temporary)
    assert "/account/password" in login.headers["Location"]
    assert (
        Api(client, "admin").post(f"/users/{people['dpo'].id}/reset-password", {"password": "123"}).status_code == 422
    )
    assert events("password_reset")[0].payload["sessions_ended"] == 1


# --- tokens and sessions ---------------------------------------------------------------------------------


def test_tokens_are_listed_revoked_by_owner_or_admin_expire_and_record_their_last_use(client, app, people):
    me = Api(client, "dpo_officer")
    issued = me.post("/me/tokens", {"name": "скрипт"})
    assert issued.status_code == 201
    second = {"Authorization": "Bearer " + issued.get_json()["token"]}
    listed = me.get("/me/tokens").get_json()
    assert [t["state"] for t in listed] == ["active", "active"]
    assert datetime.fromisoformat(listed[0]["expires_at"]) == MONDAY + timedelta(days=90)
    first_id = next(t["id"] for t in listed if t["name"] != "скрипт")
    assert next(t["last_used_at"] for t in listed if t["id"] == first_id) is not None  # this request's token
    clock.set_clock(MONDAY + timedelta(seconds=30))
    me.get("/me")
    row = next(t for t in me.get("/me/tokens").get_json() if t["id"] == first_id)
    assert datetime.fromisoformat(row["last_used_at"]) == MONDAY  # recorded at most once a minute
    clock.set_clock(MONDAY + timedelta(minutes=5))
    me.get("/me")
    row = next(t for t in me.get("/me/tokens").get_json() if t["id"] == first_id)
    assert datetime.fromisoformat(row["last_used_at"]) == MONDAY + timedelta(minutes=5)
    # another user's token: not found for a peer, revoked by an admin
    peer = Api(client, "dpo_officer_2")
    assert peer.post(f"/tokens/{first_id}/revoke").status_code == 404
    assert peer.get(f"/users/{people['dpo'].id}/tokens").status_code == 403
    assert Api(client, "admin").get(f"/users/{people['dpo'].id}/tokens").status_code == 200
    assert Api(client, "admin").post(f"/tokens/{first_id}/revoke").get_json()["state"] == "revoked"
    assert me.get("/me").status_code == 401
    # POST /auth/revoke revokes the token it is called with
    r = client.post("/api/v1/auth/revoke", headers=second)
    assert r.status_code == 200 and r.get_json()["state"] == "revoked"
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert [e.payload["by_owner"] for e in events("token_revoked")] == [False, True]
    # expiry: TOKEN_TTL_DAYS after issue
    late = bearer("dpo_officer")
    clock.set_clock(MONDAY + timedelta(minutes=5, days=90))
    assert client.get("/api/v1/me", headers=late).status_code == 401
    assert Api(client, "admin").get(f"/users/{people['dpo'].id}/tokens").get_json()[0]["state"] == "expired"


def test_revoke_with_a_session_is_a_clear_400(client, people):
    login_session(client, people["dpo"])
    token = csrf_token_of(client)
    r = client.post("/api/v1/auth/revoke", headers={"X-CSRFToken": token})
    assert r.status_code == 400 and "token" in r.get_json()["error"]["message"]


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_no_longer_works(app, people):
    browser = app.test_client()
    assert web_login(browser, "dpo_officer", "pw-123456").status_code == 302
    cookie = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/api/v1/me").status_code == 200
    token = csrf_token_of(browser)
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/inbox").status_code == 302


def test_a_password_change_ends_every_other_session_but_this_one(app, people):
    here, there = app.test_client(), app.test_client()
    web_login(here, "dpo_officer", "pw-123456")
    web_login(there, "dpo_officer", "pw-123456")
    assert len(Api(here, headers={}).get("/me/sessions").get_json()) == 2
    token = csrf_token_of(here)
    r = here.post(
        "/api/v1/me/password",
        json={"current_password": "pw-123456", "new_password": "Brand-new-pass-1"},
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 200 and r.get_json() == {"sessions_ended": 1}
    assert here.get("/api/v1/me").status_code == 200 and there.get("/api/v1/me").status_code == 401
    wrong = here.post(
        "/api/v1/me/password",
        json={"current_password": "nope", "new_password": "Another-pass-22"},
        headers={"X-CSRFToken": token},
    )
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["fields"]
    weak = here.post(
        "/api/v1/me/password",
        json={"current_password": "Brand-new-pass-1", "new_password": "123"},
        headers={"X-CSRFToken": token},
    )
    assert weak.status_code == 422 and "new_password" in weak.get_json()["error"]["fields"]


def test_an_admin_ends_any_users_session(app, client, people):
    browser = app.test_client()
    web_login(browser, "dpo_officer", "pw-123456")
    admin = Api(client, "admin")
    [s] = admin.get(f"/users/{people['dpo'].id}/sessions").get_json()
    assert Api(client, "dpo_officer_2").post(f"/sessions/{s['id']}/end").status_code == 404
    assert admin.post(f"/sessions/{s['id']}/end").status_code == 204
    assert browser.get("/api/v1/me").status_code == 401


# --- login limits ----------------------------------------------------------------------------------------


def _token_login(client, username, password, addr):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr}
    ).status_code


def test_failures_are_counted_per_account_and_successful_logins_pass(app, client, people):
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT=5, LOGIN_FAILURES_PER_ADDRESS=8)
    office = "10.1.1.1"
    # a department behind one NAT logs in all morning: successes are not counted
    for _ in range(30):
        assert _token_login(client, "dpo_officer_2", "pw-123456", office) == 201
    assert [_token_login(client, "dpo_officer", "wrong-pass", "10.9.9.9") for _ in range(6)] == [401] * 5 + [429]
    # the account is locked for the window, also with the right password and from another address
    assert _token_login(client, "dpo_officer", "pw-123456", office) == 429
    assert client.post(
        "/login", data={"username": "dpo_officer", "password": "pw-123456"}, environ_base={"REMOTE_ADDR": office}
    ).status_code in (400, 429)  # without a CSRF token the form is refused either way
    # others behind the same address are not affected
    assert _token_login(client, "dpo_head", "pw-123456", office) == 201
    # the window passes
    clock.set_clock(MONDAY + timedelta(minutes=16))
    assert _token_login(client, "dpo_officer", "pw-123456", office) == 201
    # and a success clears the account's count
    assert [_token_login(client, "dpo_officer", "wrong-pass", "10.9.9.8") for _ in range(4)] == [401] * 4
    assert _token_login(client, "dpo_officer", "pw-123456", office) == 201
    assert [_token_login(client, "dpo_officer", "wrong-pass", "10.9.9.8") for _ in range(5)] == [401] * 5


def test_failures_are_counted_per_address_over_accounts(app, client, people):
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT=50, LOGIN_FAILURES_PER_ADDRESS=6)
    spray = [_token_login(client, f"guess{i}", "wrong-pass", "10.6.6.6") for i in range(7)]
    assert spray == [401] * 6 + [429]
    assert _token_login(client, "dpo_officer", "pw-123456", "10.6.6.6") == 429
    assert _token_login(client, "dpo_officer", "pw-123456", "10.6.6.7") == 201


def test_the_count_is_shared_by_every_worker(app, database_url, people):
    """Two application instances (two workers, or two hosts) on one database count the same failures."""
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT=4)
    other = _make_app(database_url, {"LOGIN_FAILURES_PER_ACCOUNT": 4})
    first, second = app.test_client(), other.test_client()
    statuses = []
    for i in range(4):
        statuses.append(_token_login(first if i % 2 else second, "dpo_officer", "wrong-pass", f"10.0.0.{i}"))
    assert statuses == [401] * 4
    assert _token_login(first, "dpo_officer", "pw-123456", "10.0.1.1") == 429
    with other.app_context():
        assert _token_login(second, "dpo_officer", "pw-123456", "10.0.1.2") == 429
        db.session.remove()
        db.engine.dispose()


def test_web_login_over_the_limit_answers_in_russian(app, people):
    app.config.update(LOGIN_FAILURES_PER_ACCOUNT=2, WTF_CSRF_ENABLED=False)
    browser = app.test_client()
    for _ in range(2):
        assert browser.post("/login", data={"username": "dpo_officer", "password": "x"}).status_code == 401
    page = browser.post("/login", data={"username": "dpo_officer", "password": "pw-123456"})
    assert page.status_code == 429
    assert "Слишком много неудачных попыток входа" in page.get_data(as_text=True)


# --- organisations ---------------------------------------------------------------------------------------


def test_organisations_registry_with_checked_inn_and_ogrn(client, people):
    admin = Api(client, "admin")
    r = admin.post(
        "/organisations",
        {
            "code": "TPT2",
            "name": "Томский политехнический техникум",
            "short_name": "ТПТ",
            "kind": "college",
            "inn": GOOD_INN,
            "ogrn": GOOD_OGRN,
            "founder": "dpo",
        },
    )
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["founder"]["code"] == "dpo" and created["active"] is True
    bad = admin.post(
        "/organisations", {"code": "X1", "name": "X", "kind": "college", "inn": "7017123452", "ogrn": "1027700132196"}
    )
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"inn", "ogrn"}
    assert (
        admin.post("/organisations", {"code": "X2", "name": "X", "kind": "college", "inn": GOOD_INN}).status_code == 409
    )
    r = admin.post("/organisations", {"code": "X3", "name": "X", "kind": "investor", "founder": "dpo"})
    assert r.status_code == 422 and "founder" in r.get_json()["error"]["fields"]
    r = admin.post("/organisations", {"code": "X4", "name": "X", "kind": "college", "founder": "college1"})
    assert r.status_code == 422  # the founder is a department
    assert admin.post("/organisations", {"code": "X5", "name": "X", "kind": "spaceship"}).status_code == 422
    org_id = created["id"]
    r = admin.patch(f"/organisations/{org_id}", {"active": False, "short_name": "ТПТ-2"})
    assert r.status_code == 200 and r.get_json()["active"] is False
    [ev] = events("organisation_changed")
    assert ev.payload["before"] == {"active": True, "short_name": "ТПТ"}
    assert ev.payload["after"] == {"active": False, "short_name": "ТПТ-2"}
    # an inactive organisation is offered no more for new users
    r = admin.post("/users", {"username": "newcomer", "organisation": "TPT2"})
    assert r.status_code == 422 and r.get_json()["error"]["fields"]["organisation"] == "the organisation is inactive"
    listed = admin.get("/organisations?kind=college").get_json()
    assert {o["code"] for o in listed} == {"TPT2", "college1", "college2"}
    assert Api(client, "dpo_officer").get("/organisations").status_code == 403
    assert admin.patch("/organisations/999999", {"active": True}).status_code == 404


def test_cli_orgs_checks_the_inn(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["orgs", "create", "BAD", "Плохой ИНН", "--inn", "7017123452"]).exit_code == 1
    result = runner.invoke(args=["orgs", "create", "GOOD", "Хороший ИНН", "--kind", "investor", "--inn", GOOD_INN])
    assert result.exit_code == 0, result.output


# --- deputies --------------------------------------------------------------------------------------------


def test_deputies_refusals_and_my_absence(client, people):
    me, admin = Api(client, "dpo_officer"), Api(client, "admin")
    week = {"starts_on": "2026-02-27", "ends_on": "2026-03-08"}
    r = me.post("/deputies", {"principal": "dpo_officer", "deputy": "dpo_officer", **week})
    assert r.status_code == 422 and "deputy" in r.get_json()["error"]["fields"]
    r = me.post("/deputies", {"principal": "dpo_head", "deputy": "dpo_officer", **week})
    assert r.status_code == 403  # only the absent user or an administrator
    r = me.post("/deputies", {"principal": "dpo_officer", "deputy": "dpo_officer_2", "reason": "отпуск", **week})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["state"] == "current" and r.get_json()["reason"] == "отпуск"
    overlapping = admin.post(
        "/deputies",
        {"principal": "dpo_officer", "deputy": "dpo_head", "starts_on": "2026-03-08", "ends_on": "2026-03-20"},
    )
    assert overlapping.status_code == 409 and "overlapping" in overlapping.get_json()["error"]["message"]
    # the deputy is absent themself then
    admin.post(
        "/deputies", {"principal": "dpo_head", "deputy": "auditor", "starts_on": "2026-03-10", "ends_on": "2026-03-12"}
    )
    absent = admin.post(
        "/deputies", {"principal": "admin", "deputy": "dpo_head", "starts_on": "2026-03-11", "ends_on": "2026-03-11"}
    )
    assert absent.status_code == 409
    bad = me.post(
        "/deputies",
        {"principal": "dpo_officer", "deputy": "dpo_head", "starts_on": "2026-03-20", "ends_on": "2026-03-19"},
    )
    assert bad.status_code == 422
    over = me.post(
        "/deputies",
        {"principal": "dpo_officer", "deputy": "dpo_head", "starts_on": "2026-02-01", "ends_on": "2026-02-03"},
    )
    assert over.status_code == 422 and over.get_json()["error"]["fields"]["ends_on"] == "the period has already ended"
    assert me.post("/deputies", {"principal": "dpo_officer", "deputy": "nobody", **week}).status_code == 422
    # the deputy sees it as "acting for"; the list of a non-admin is their own
    mine = me.get("/deputies").get_json()
    assert [(d["principal"]["username"], d["deputy"]["username"]) for d in mine] == [("dpo_officer", "dpo_officer_2")]
    assert len(admin.get("/deputies").get_json()) == 2
    assert Api(client, "dpo_officer_2").get("/me").get_json()["acting_for"] == ["dpo_officer"]
    # ending: a running period ends yesterday ... an upcoming one is removed
    ended = me.post(f"/deputies/{mine[0]['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["ends_on"] == "2026-03-01"
    assert Api(client, "dpo_officer_2").get("/me").get_json()["acting_for"] == []
    upcoming = admin.get(f"/deputies?user_id={people['head'].id}").get_json()[0]
    assert Api(client, "college_officer_1").post(f"/deputies/{upcoming['id']}/end").status_code == 404
    assert admin.post(f"/deputies/{upcoming['id']}/end").status_code == 204
    assert [e.kind for e in db.session.query(AuditEvent).filter(AuditEvent.kind.like("deputy_%"))] == [
        "deputy_added",
        "deputy_added",
        "deputy_ended",
        "deputy_removed",
    ]


def test_a_registered_deputy_sees_the_principals_tasks(client, people):
    officer = actor_for(people["officer1"])
    _inst, [submit] = start.start_process(officer, "example_approval", {"title": "Заявка"})
    commands.complete(officer, submit.id, {"title": "Заявка", "amount": 5, "justification": "Нужно больше мест"})
    stranger = user("stranger", ["sector_officer"], org("dpo"))
    assert Api(client, stranger.username).get("/tasks?view=group").get_json() == []
    Api(client, "admin").post(
        "/deputies",
        {"principal": "dpo_officer", "deputy": "stranger", "starts_on": "2026-03-02", "ends_on": "2026-03-06"},
    )
    assert len(Api(client, stranger.username).get("/tasks?view=group").get_json()) == 1


# --- collegial bodies ------------------------------------------------------------------------------------


@pytest.fixture
def body(app):
    b = db.session.query(CollegialBody).filter_by(code="coordination_council").one()  # the migration's
    b.settings = {}
    db.session.commit()
    return b


def test_seats_on_a_body_and_its_settings(client, people, body):
    admin = Api(client, "admin")
    seat = admin.post(
        "/admin/bodies/coordination_council/seats",
        {"user_id": people["head"].id, "role": "chair", "valid_from": "2026-01-01", "position": "начальник ДепПО"},
    )
    assert seat.status_code == 201, seat.get_json()
    twice = admin.post(
        "/admin/bodies/coordination_council/seats",
        {"user_id": people["head"].id, "role": "member", "valid_from": "2026-06-01"},
    )
    assert twice.status_code == 409 and "overlapping" in twice.get_json()["error"]["message"]
    second_chair = admin.post(
        "/admin/bodies/coordination_council/seats", {"user_id": people["dpo"].id, "role": "chair"}
    )
    assert second_chair.status_code == 409
    for key in ("dpo", "dpo2", "officer1"):
        r = admin.post("/admin/bodies/coordination_council/seats", {"user_id": people[key].id, "role": "member"})
        assert r.status_code == 201
    bad = admin.post("/admin/bodies/coordination_council/seats", {"user_id": people["dpo"].id, "role": "king"})
    assert bad.status_code == 422
    assert admin.post("/admin/bodies/nowhere/seats", {"user_id": 1, "role": "member"}).status_code == 404
    # end the chair's seat at the end of June; then a new chair may sit from July (not before)
    seat_id = seat.get_json()["id"]
    ended = admin.post(f"/admin/bodies/coordination_council/seats/{seat_id}/end", {"valid_to": "2026-06-30"})
    assert ended.status_code == 200 and ended.get_json()["valid_to"] == "2026-06-30"
    early = admin.post(
        "/admin/bodies/coordination_council/seats",
        {"user_id": people["auditor"].id, "role": "chair", "valid_from": "2026-06-30"},
    )
    assert early.status_code == 409
    assert (
        admin.post(
            "/admin/bodies/coordination_council/seats",
            {"user_id": people["auditor"].id, "role": "chair", "valid_from": "2026-07-01"},
        ).status_code
        == 201
    )
    # the same person again after their seat ended: allowed
    again = admin.post(
        "/admin/bodies/coordination_council/seats",
        {"user_id": people["head"].id, "role": "member", "valid_from": "2026-07-01"},
    )
    assert again.status_code == 201
    listed = admin.get("/admin/bodies/coordination_council").get_json()
    assert len(listed["seats"]) == 6
    # settings: the quorum share drives the quorum
    r = admin.patch("/admin/bodies/coordination_council/settings", {"quorum_share": 0.75, "protocols_public": True})
    assert r.status_code == 200 and (r.get_json()["quorum_share"], r.get_json()["protocols_public"]) == (0.75, True)
    assert admin.patch("/admin/bodies/coordination_council/settings", {"quorum_share": 1.5}).status_code == 422
    assert admin.patch("/admin/bodies/coordination_council/settings", {"quorum_share": 0}).status_code == 422
    db.session.expire_all()
    meeting = Meeting(body_id=body.id, starts_at=datetime(2026, 3, 20, 3, 0, tzinfo=UTC))
    db.session.add(meeting)
    db.session.commit()
    assert council.quorum(meeting).required == 3  # 4 voting members on 20 March, 75 %
    admin.patch("/admin/bodies/coordination_council/settings", {"quorum_share": 0.5})
    db.session.expire_all()
    assert council.quorum(db.session.get(type(meeting), meeting.id)).required == 2
    [ev] = [e for e in events("council_settings_changed") if "quorum_share" in e.payload["before"]][:1]
    assert ev.payload["before"]["quorum_share"] == 0.5 and ev.payload["after"]["quorum_share"] == 0.75
    assert Api(client, "dpo_head").get("/admin/bodies").status_code == 403
    assert db.session.query(BodyMembership).count() == 6
    # an act renames the body: its name and short name, with the trail's before and after
    official = "Координационный совет по кадровому обеспечению экономики Томской области"
    renamed = f"{official} (в редакции распоряжения от 01.02.2027)"
    r = admin.patch("/admin/bodies/coordination_council/settings", {"name": f"  {renamed} ", "short_name": "КС"})
    assert r.status_code == 200 and (r.get_json()["name"], r.get_json()["short_name"]) == (renamed, "КС")
    for bad in ({"name": " "}, {"short_name": ""}, {"name": "x" * 301}):
        answer = admin.patch("/admin/bodies/coordination_council/settings", bad)
        assert answer.status_code == 422 and set(answer.get_json()["error"]["fields"]) == set(bad)
    [ev] = [e for e in events("council_settings_changed") if "name" in e.payload["before"]]
    assert ev.payload["before"]["name"] == official and ev.payload["after"]["name"] == renamed
    assert db.session.get(CollegialBody, body.id).name == renamed


# --- CLI ---------------------------------------------------------------------------------------------------


def test_flask_users_commands_for_scripts(app, people):
    runner = app.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=["users", *args])
        assert result.exit_code == 0, result.output
        return result.output

    run(
        "create",
        "sidorov",
        "--password",
        "Sidorov-2027-ok",
        "--name",
        "Сидоров И. И.",
        "--group",
        "dpo_officer",
        "--org",
        "dpo",
    )
    assert "sidorov\tactive\tdpo\tdpo_officer\tСидоров И. И." in run("list", "--search", "сидоров")
    assert "groups=dpo_head,dpo_officer" in run("edit", "sidorov", "--add-group", "dpo_head", "--email", "s@t.test")
    assert "groups=dpo_head" in run("edit", "sidorov", "--remove-group", "dpo_officer")
    token = run("token", "sidorov").strip()
    assert "acts for" in run("deputy", "sidorov", "dpo_officer", "2026-03-02", "2026-03-06", "--reason", "отпуск")
    assert "revoked 1 token(s)" in run("revoke-tokens", "sidorov")
    assert app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
    assert run("reset-password", "sidorov").strip().startswith("Tmp-")
    assert "deactivated sidorov" in run("deactivate", "sidorov")
    assert "reactivated sidorov" in run("reactivate", "sidorov")
    refused = runner.invoke(args=["users", "deputy", "sidorov", "sidorov", "2026-03-02", "2026-03-06"])
    assert refused.exit_code == 1 and "themself" in refused.output
    last_admin = runner.invoke(args=["users", "deactivate", "admin"])
    assert last_admin.exit_code == 1 and "last active administrator" in last_admin.output
    assert db.session.query(User).filter_by(username="sidorov").one().active is True


# --- pages -------------------------------------------------------------------------------------------------


def test_admin_and_account_pages_render_in_russian_and_refuse_others(app, client, people, body):
    login_session(client, people["admin"])
    pages = {
        "/admin/users": "Пользователи",
        "/admin/users/new": "Новый пользователь",
        f"/admin/users/{people['dpo'].id}": "Сбросить пароль",
        "/admin/organisations": "Зарегистрировать организацию",
        "/admin/organisations/%d": "Департамент-учредитель",
        "/admin/deputies": "Зарегистрировать замещение",
        "/admin/bodies": "Коллегиальные органы",
        "/admin/bodies/coordination_council": "Включить в состав",
        "/account/tokens": "Персональные токены API",
        "/account/password": "Текущий пароль",
        "/account/absence": "Назначить замещающего",
    }
    org_id = db.session.query(type(people["dpo"].organisation)).filter_by(code="college1").one().id
    for path, text in pages.items():
        path = path % org_id if "%d" in path else path
        page = client.get(path)
        assert page.status_code == 200, path
        assert text in page.get_data(as_text=True), path
    token = csrf(client, "/admin/users/new")
    bad = client.post("/admin/users/new", data={"username": "x y", "csrf_token": token})
    assert bad.status_code == 422 and "2–64 символа" in bad.get_data(as_text=True)
    created = client.post(
        "/admin/users/new",
        data={"username": "novikov", "display_name": "Новиков", "groups": ["dpo_officer"], "csrf_token": token},
    )
    assert created.status_code == 200 and "Одноразовый пароль" in created.get_data(as_text=True)
    other = app.test_client()
    login_session(other, people["dpo"])
    for path in ("/admin/users", "/admin/users/new", "/admin/organisations", "/admin/deputies", "/admin/bodies"):
        assert other.get(path).status_code == 403, path
    assert other.get("/account/absence").status_code == 200


def test_an_administrator_renames_a_body_on_its_page(client, people, body):
    """The body's page has its name and short name (an act renames a body); a blank name is refused in Russian
    and changes nothing."""

    login_session(client, people["admin"])
    g.pop("csrf_token", None)
    page = client.get("/admin/bodies/coordination_council").get_data(as_text=True)
    assert 'name="name"' in page and 'name="short_name"' in page and body.name in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "quorum_share": "50", "protocols_public": "1", "short_name": "КС"}
    refused = client.post("/admin/bodies/coordination_council/settings", data={**form, "name": "  "})
    assert refused.status_code == 422 and "Текст длиной от 1 до 300 символов" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CollegialBody, body.id).short_name == "Координационный совет"
    new_name = "Координационный совет по кадровому обеспечению экономики Томской области"
    saved = client.post("/admin/bodies/coordination_council/settings", data={**form, "name": new_name})
    assert saved.status_code == 302
    db.session.expire_all()
    renamed = db.session.get(CollegialBody, body.id)
    assert (renamed.name, renamed.short_name) == (new_name, "КС")
