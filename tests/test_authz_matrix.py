"""Authorization matrix: every API endpoint (read from the live /api/v1/openapi.json) x every role and
anonymous, against the expected table below. Any drift fails, and so does an endpoint with no expectation.

"Allowed" means the answer is not 401/403 (a 404 for an object the caller cannot see, a 409 or a 422 is
an answer past the role gate). Object-level isolation (one college never sees another's case) is covered by
tests/test_api.py; this matrix pins the role gates.

To print the observed table (when you add an endpoint on purpose): SOGLASIE_AUTHZ_DUMP=1 pytest this file -s.
"""

import io
import os
import re

from factories import login_session

from workflow_app.extensions import db
from workflow_app.models import ProcessInstance
from workflow_app.roles import ROLES
from workflow_app.services import demo
from workflow_app.services.people import administration
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.people.tokens import issue_token
from workflow_app.services.process_models.deployment import deploy_path

ANY = "any authenticated"
NONE = frozenset()
ADMIN = frozenset({"admin"})
READERS = frozenset({"admin", "auditor"})

EVERY = frozenset(ROLES)


def but(*roles):
    """Every role except these (object-level rules of the service answer 403 to them)."""
    return EVERY - set(roles)


# endpoint + method -> the roles allowed (a set of role ids), ANY (every authenticated user) or PUBLIC
# (anonymous too). Observed on a demo data set: one user per role, an example instance started by the
# college officer (its open task is the college's "submit_request"); council endpoints on unknown ids.
PUBLIC = "public"
WORKERS = but("auditor")  # auditors read, they do not act
CC_MEMBERS = frozenset({"cc_secretary", "cc_chair", "cc_member"})
MONITORING = frozenset({"coordinator", "deputy_governor", "dpo_head", "dtzn_head", "di_head", "auditor", "admin"})
EXPECTED = {
    # authentication and the caller
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/csrf": ANY,
    "GET /api/v1/me": ANY,
    "POST /api/v1/me/inbox-seen": ANY,
    # models, processes, instances
    "GET /api/v1/models": ANY,
    "POST /api/v1/models": ADMIN,
    # in-app notices: each user's own
    "GET /api/v1/notices": ANY,
    "POST /api/v1/notices/read": ANY,
    "POST /api/v1/notices/{notice_id}/read": ANY,
    "GET /api/v1/processes": ANY,
    "POST /api/v1/processes/{process_id}/instances": frozenset({"college_officer", "admin"}),  # the start lane
    "GET /api/v1/instances": ANY,
    "GET /api/v1/instances/{instance_id}": ANY,  # 404 for those who do not take part
    "GET /api/v1/instances/{instance_id}/history": ANY,
    "GET /api/v1/instances/{instance_id}/diagram.svg": ANY,
    "GET /api/v1/instances/{instance_id}/documents": ANY,  # 404 for those who do not take part
    "GET /api/v1/instances/{instance_id}/documents/{kind}.{fmt}": ANY,
    "GET /api/v1/instances/{instance_id}/materials/{key}.xlsx": ANY,
    # tasks
    "GET /api/v1/tasks": ANY,
    "GET /api/v1/tasks/{task_id}": ANY,
    "POST /api/v1/tasks/{task_id}/claim": WORKERS,
    "POST /api/v1/tasks/{task_id}/unclaim": WORKERS,
    "POST /api/v1/tasks/{task_id}/complete": WORKERS,
    "POST /api/v1/tasks/{task_id}/assign": but("auditor", "college_officer"),  # assign: heads/admins, not a peer
    "POST /api/v1/tasks/{task_id}/delegate": but("auditor", "admin"),
    "POST /api/v1/tasks/{task_id}/follow-up": but("auditor", "admin"),
    "POST /api/v1/tasks/{task_id}/resolve": ANY,
    "GET /api/v1/tasks/{task_id}/comments": ANY,
    "POST /api/v1/tasks/{task_id}/comments": WORKERS,
    "GET /api/v1/tasks/{task_id}/attachments": ANY,
    "POST /api/v1/tasks/{task_id}/attachments": WORKERS,
    "GET /api/v1/tasks/{task_id}/attachments/{attachment_id}": ANY,
    # audit and administrator corrections
    "GET /api/v1/audit/verify": READERS,
    "GET /api/v1/audit/head": READERS,
    "GET /api/v1/audit/events": READERS,
    "GET /api/v1/audit/events.{fmt}": READERS,
    "POST /api/v1/admin/instances/{instance_id}/terminate": ADMIN,
    "POST /api/v1/admin/tasks/{task_id}/reassign": ADMIN,
    "POST /api/v1/admin/tasks/{task_id}/cancel": ADMIN,
    # scheduler
    "GET /api/v1/scheduler/cycles": READERS,
    "GET /api/v1/scheduler/cycles/{code}": READERS,
    "GET /api/v1/scheduler/status": READERS,
    "POST /api/v1/scheduler/cycles/{code}/pause": ADMIN,
    "POST /api/v1/scheduler/cycles/{code}/resume": ADMIN,
    # collegial bodies: per-body membership (the demo seats cc_* users on the coordination council, the body
    # used here): its pages for its members and the readers of everything, a meeting created by its
    # secretary only; meetings/protocols/instructions on unknown ids answer 404 to anyone
    "GET /api/v1/council/bodies": ANY,
    "GET /api/v1/council/bodies/{body}/pending": CC_MEMBERS | READERS,
    "GET /api/v1/council/bodies/{body}/meetings": CC_MEMBERS | READERS,
    "GET /api/v1/council/bodies/{body}/instructions": CC_MEMBERS | READERS,
    "POST /api/v1/council/meetings": frozenset({"cc_secretary"}),
    "POST /api/v1/council/meetings/{meeting_id}/cancel": ANY,
    "GET /api/v1/council/meetings/{meeting_id}": ANY,
    "GET /api/v1/council/meetings/{meeting_id}/items/{item_id}/materials": ANY,
    "GET /api/v1/council/meetings/{meeting_id}/items/{item_id}/materials/{key}.xlsx": ANY,
    "GET /api/v1/council/meetings/{meeting_id}/items/{item_id}/attachments/{attachment_id}": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/items": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/questions": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/instructions-review": ANY,
    "DELETE /api/v1/council/meetings/{meeting_id}/items/{item_id}": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/items/{item_id}/postpone": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/items/{item_id}/refresh": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/approve-agenda": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/attendance": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/items/{item_id}/decision": ANY,
    "GET /api/v1/council/meetings/{meeting_id}/protocol": ANY,
    "POST /api/v1/council/meetings/{meeting_id}/sign": ANY,
    "GET /api/v1/council/protocols/{protocol_id}": ANY,
    "DELETE /api/v1/council/protocols/{protocol_id}": ANY,
    "POST /api/v1/council/instructions/{instruction_id}/done": ANY,
    # administration (issue 21): only administrators change others; everyone manages their own tokens,
    # sessions, password and absence. A token or session of someone else, or an unknown deputy registration,
    # answers 404 to a non-admin (ANY: past the role gate, nothing revealed).
    "GET /api/v1/users": ADMIN,
    "POST /api/v1/users": ADMIN,
    "GET /api/v1/users/{user_id}": ADMIN,
    "PATCH /api/v1/users/{user_id}": ADMIN,
    "POST /api/v1/users/{user_id}/reset-password": ADMIN,
    "POST /api/v1/users/{user_id}/deactivate": ADMIN,
    "POST /api/v1/users/{user_id}/reactivate": ADMIN,
    "GET /api/v1/users/{user_id}/tokens": ADMIN,
    "GET /api/v1/users/{user_id}/sessions": ADMIN,
    "GET /api/v1/me/tokens": ANY,
    "POST /api/v1/me/tokens": ANY,
    "GET /api/v1/me/sessions": ANY,
    "POST /api/v1/me/password": ANY,
    "POST /api/v1/tokens/{token_id}/revoke": ANY,
    "POST /api/v1/sessions/{session_id}/end": ANY,
    "POST /api/v1/auth/revoke": ANY,
    "GET /api/v1/organisations": ADMIN,
    "POST /api/v1/organisations": ADMIN,
    "GET /api/v1/organisations/{org_id}": ADMIN,
    "PATCH /api/v1/organisations/{org_id}": ADMIN,
    "GET /api/v1/deputies": ANY,
    "POST /api/v1/deputies": ADMIN,  # for someone else; the absent user registers their own
    "POST /api/v1/deputies/{deputy_id}/end": ANY,
    "GET /api/v1/admin/bodies": ADMIN,
    "GET /api/v1/admin/bodies/{body}": ADMIN,
    "POST /api/v1/admin/bodies/{body}/seats": ADMIN,
    "POST /api/v1/admin/bodies/{body}/seats/{seat_id}/end": ADMIN,
    "PATCH /api/v1/admin/bodies/{body}/settings": ADMIN,
    # data calls: opened by the template's owners (poo_graduates: ДепПО, the Координатор); a call or an answer
    # on an unknown id answers 404 to anyone
    "GET /api/v1/data-calls": ANY,
    "POST /api/v1/data-calls": frozenset({"dpo_officer", "coordinator", "admin"}),
    "GET /api/v1/data-calls/templates": ANY,
    "GET /api/v1/data-calls/{call_id}": ANY,
    "GET /api/v1/data-calls/{call_id}/consolidation.xlsx": ANY,
    "GET /api/v1/data-calls/{call_id}/attachments/{attachment_id}": ANY,  # 404: unknown call (the service's rule)
    "POST /api/v1/data-calls/{call_id}/complete": ANY,
    "POST /api/v1/data-calls/{call_id}/recipients/{recipient_id}/extend": ANY,
    "POST /api/v1/data-calls/{call_id}/recipients/{recipient_id}/excuse": ANY,
    "GET /api/v1/data-calls/answers/{task_id}": ANY,
    "PUT /api/v1/data-calls/answers/{task_id}/draft": ANY,
    "POST /api/v1/data-calls/answers/{task_id}/submit": ANY,
    # the roadmap: everyone reads the act; the Координатор follows up (status, evidence), administrators edit
    "GET /api/v1/roadmap/items": ANY,
    "GET /api/v1/roadmap/items/{number}": ANY,
    "PATCH /api/v1/roadmap/items/{number}": frozenset({"coordinator", "admin"}),
    "POST /api/v1/roadmap/items/{number}/evidence": frozenset({"coordinator", "admin"}),
    "DELETE /api/v1/roadmap/items/{number}/evidence/{evidence_id}": frozenset({"coordinator", "admin"}),
    # the monitoring dashboard: the Координатор, heads, the curating deputy governor, auditors, administrators
    "GET /api/v1/monitoring": MONITORING,
    "GET /api/v1/monitoring/tasks/by-department": MONITORING,
    "GET /api/v1/monitoring/tasks/by-chain": MONITORING,
    "GET /api/v1/monitoring/times/steps": MONITORING,
    "GET /api/v1/monitoring/times/chains": MONITORING,
    "GET /api/v1/monitoring/roadmap": MONITORING,
    "GET /api/v1/monitoring/instructions": MONITORING,
    "GET /api/v1/monitoring/export.xlsx": MONITORING,
    "GET /api/v1/monitoring/cycles/{instance_id}/report.xlsx": MONITORING,  # 422: the matrix's case is no cycle
}


def _all_roles():
    return sorted(ROLES, key=lambda r: (r == "admin", r))  # admin last: its writes may close objects


def _path_values(app):
    """Real ids where they exist (an instance with an open task), harmless ones elsewhere."""
    from workflow_app.services.process_models import deployment

    deployment.deploy_path(SYSTEM, os.path.join(app.config["BPMN_DIR"], "examples", "example_approval.bpmn"))
    token = issue_token(SYSTEM, "college_officer", "matrix")
    client = app.test_client()
    r = client.post(
        "/api/v1/processes/example_approval/instances",
        json={"data": {"title": "Матрица"}},
        headers={"Authorization": "Bearer " + token},
    )
    assert r.status_code == 201, r.get_json()
    inst = r.get_json()
    victim = administration.add_user(
        SYSTEM, "matrix_victim", "victim-password-1", "Проверка прав", ["dpo_officer"], "DEPPO"
    )
    victim_token = issue_token(SYSTEM, "matrix_victim", "matrix")
    token_id = client.get("/api/v1/me/tokens", headers={"Authorization": "Bearer " + victim_token}).get_json()[0]["id"]
    org_id = client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).get_json()["organisation"]["id"]
    return {
        "user_id": victim.id,
        "token_id": token_id,
        "org_id": org_id,
        "deputy_id": 999999,
        "session_id": 999999,
        "seat_id": 999999,
        "instance_id": inst["id"],
        "task_id": inst["tasks"][0]["id"],
        "process_id": "example_approval",
        "attachment_id": 999999,
        "meeting_id": 999999,
        "item_id": 999999,
        "protocol_id": 999999,
        "instruction_id": 999999,
        "notice_id": 999999,
        "body": "coordination_council",
        "code": "kcp_campaign",
        "fmt": "csv",
        "kind": "order",
        "key": "opinions",
        "call_id": 999999,
        "recipient_id": 999999,
        "number": "13.3",
        "evidence_id": 999999,
    }


BODIES = {
    "POST /api/v1/auth/token": {"username": "college_officer", "password": "demo"},
    "POST /api/v1/processes/{process_id}/instances": {"data": {"title": "Матрица"}},
    "POST /api/v1/tasks/{task_id}/assign": {"user": "college_officer"},
    "POST /api/v1/tasks/{task_id}/delegate": {"user": "college_officer"},
    "POST /api/v1/tasks/{task_id}/follow-up": {"follow_up_at": None},
    "POST /api/v1/tasks/{task_id}/complete": {"data": {}},
    "POST /api/v1/tasks/{task_id}/comments": {"body": "проверка прав"},
    "POST /api/v1/admin/instances/{instance_id}/terminate": {"reason": "проверка прав"},
    "POST /api/v1/admin/tasks/{task_id}/reassign": {"reason": "проверка прав", "assignee": "college_officer"},
    "POST /api/v1/admin/tasks/{task_id}/cancel": {"reason": "проверка прав"},
    "POST /api/v1/council/meetings": {"body": "coordination_council", "starts_at": "2030-05-20T10:00"},
    "POST /api/v1/council/meetings/{meeting_id}/items": {"task_id": 999999},
    "POST /api/v1/council/meetings/{meeting_id}/questions": {"title": "Матрица"},
    "POST /api/v1/council/meetings/{meeting_id}/attendance": {"present": []},
    "POST /api/v1/council/meetings/{meeting_id}/items/{item_id}/decision": {"outcome": "approve"},
    "POST /api/v1/council/meetings/{meeting_id}/items/{item_id}/postpone": {},
    "POST /api/v1/users": {"username": "matrix_new", "groups": ["dpo_officer"]},
    "POST /api/v1/me/password": {"current_password": "wrong", "new_password": "another-password-1"},
    "POST /api/v1/organisations": {"code": "MATRIX", "name": "Проверка прав", "kind": "other"},
    "POST /api/v1/deputies": {
        "principal": "matrix_victim",
        "deputy": "dpo_head",
        "starts_on": "2099-01-01",
        "ends_on": "2099-01-31",
    },
    "POST /api/v1/admin/bodies/{body}/seats": {"user_id": 1, "role": "member", "valid_from": "2099-01-01"},
    "POST /api/v1/data-calls": {"template": "poo_graduates"},
    "POST /api/v1/roadmap/items/{number}/evidence": {"kind": "link", "ref": "https://example.org/matrix"},
}


def _endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, ops in spec["paths"].items():
        for method in ops:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append(
                    f"{method.upper()} /api/v1{path}" if not path.startswith("/api/v1") else f"{method.upper()} {path}"
                )
    # destructive administrator corrections last, so they do not close the objects other checks use; revoking
    # the calling token at the very end (every role's token is revoked by it)
    return sorted(found, key=lambda e: (e.endswith("/auth/revoke"), "/admin/" in e or "/deactivate" in e, e))


def _request(client, endpoint, values, token):
    method, path = endpoint.split(" ", 1)
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    headers = {"Authorization": "Bearer " + token} if token else {}
    body = BODIES.get(endpoint)
    if endpoint.endswith("/attachments") and method == "POST":
        return client.post(
            url,
            data={"file": (io.BytesIO(b"%PDF-1.4 matrix"), "matrix.pdf")},
            headers=headers,
            content_type="multipart/form-data",
        ).status_code
    if method == "GET":
        return client.get(url, headers=headers).status_code
    return client.open(url, method=method, json=body if body is not None else {}, headers=headers).status_code


def test_every_endpoint_against_every_role(app, client):
    demo.load(SYSTEM)
    db.session.commit()
    values = _path_values(app)
    tokens = {role: issue_token(SYSTEM, role, "matrix") for role in _all_roles()}
    observed = {}
    for endpoint in _endpoints(client):
        allowed = set()
        anon = _request(client, endpoint, values, None)
        for role, token in tokens.items():
            status = _request(client, endpoint, values, token)
            assert status < 500, f"{endpoint} as {role}: {status}"
            if status not in (401, 403):
                allowed.add(role)
        observed[endpoint] = (anon not in (401, 403), frozenset(allowed))
    if os.environ.get("SOGLASIE_AUTHZ_DUMP"):
        everyone = frozenset(tokens)
        for endpoint, (anon_ok, roles) in observed.items():
            shown = PUBLIC if anon_ok else ANY if roles == everyone else sorted(roles)
            print(f'    "{endpoint}": {shown!r},')
    missing = [e for e in observed if e not in EXPECTED]
    assert not missing, f"new endpoint without an authorization expectation: {missing}"
    drift = []
    everyone = frozenset(tokens)
    for endpoint, (anon_ok, roles) in observed.items():
        want = EXPECTED[endpoint]
        want_anon = want == PUBLIC
        want_roles = everyone if want in (PUBLIC, ANY) else frozenset(want)
        assert everyone == EVERY
        if anon_ok != want_anon:
            drift.append(f"{endpoint}: anonymous {'allowed' if anon_ok else 'refused'}")
        if roles != want_roles:
            drift.append(f"{endpoint}: extra {sorted(roles - want_roles)} missing {sorted(want_roles - roles)}")
    stale = [e for e in EXPECTED if e not in observed]
    assert not drift, "authorization drift:\n" + "\n".join(drift)
    assert not stale, f"expectations for endpoints that no longer exist: {stale}"


# --- the web pages (issue #18: the matrix covers every face) ---------------------------------------------
# page -> roles that get it (not 401/403 and not sent to the login page); PUBLIC: anonymous too. Objects are
# those of the API matrix (an instance and its open task of the college officer; unknown council ids: 404
# past the gate counts as allowed, as above).
AUDIT_READERS = READERS
WEB_EXPECTED = {
    "/healthz": PUBLIC,
    "/login": PUBLIC,
    "/public/": PUBLIC,
    "/public/council/coordination_council/protocols": PUBLIC,
    "/public/council/protocols/{protocol_id}": PUBLIC,
    "/public/{kind}/{key}": PUBLIC,
    "/public/{kind}/{key}.csv": PUBLIC,
    "/public/{kind}/{key}.json": PUBLIC,
    "/public/{kind}/{key}.xlsx": PUBLIC,
    "/": PUBLIC,  # a redirect to the inbox (which sends an anonymous caller to the login page)
    "/inbox": ANY,
    "/notices": ANY,
    "/data-calls/": ANY,  # each caller sees the calls of its groups
    "/data-calls/{call_id}": ANY,  # 404 for an unknown call
    "/data-calls/{call_id}/consolidation.xlsx": ANY,
    "/data-calls/{call_id}/attachments/{attachment_id}": ANY,  # 404: unknown call (the service's rule)
    "/data-calls/answer/{task_id}": ANY,  # 404 unless the caller's own answer task
    "/roadmap": ANY,
    "/roadmap/{number}": ANY,
    "/monitoring": MONITORING,
    "/monitoring/export.xlsx": MONITORING,
    "/monitoring/cycles/{instance_id}/report.xlsx": MONITORING,  # 422 for a case that is no monitoring cycle
    "/start": ANY,
    "/instances": ANY,
    "/instances/{instance_id}": ANY,  # 404 for those who do not take part
    "/instances/{instance_id}/history": ANY,
    "/tasks/{task_id}": ANY,
    "/tasks/{task_id}/attachments/{attachment_id}": ANY,
    "/council/": ANY,
    "/council/meetings/{meeting_id}": ANY,
    "/council/meetings/{meeting_id}/protocol": ANY,
    "/council/bodies/coordination_council": CC_MEMBERS | READERS,
    "/council/bodies/coordination_council/instructions": CC_MEMBERS | READERS,
    "/audit/": AUDIT_READERS,
    "/audit/verify": AUDIT_READERS,
    "/admin/": ADMIN,
    "/admin/models": ADMIN,
    "/admin/scheduler": READERS,
    # administration (issue 21): the admin's pages; everyone's own account pages
    "/admin/users": ADMIN,
    "/admin/users/new": ADMIN,
    "/admin/users/{user_id}": ADMIN,
    "/admin/organisations": ADMIN,
    "/admin/organisations/{org_id}": ADMIN,
    "/admin/deputies": ADMIN,
    "/admin/bodies": ADMIN,
    "/admin/bodies/coordination_council": ADMIN,
    "/account/password": ANY,
    "/account/tokens": ANY,
    "/account/absence": ANY,
    # case documents and material tables (the service answers 404 to whoever does not take part)
    "/council/meetings/{meeting_id}/protocol.{fmt}": ANY,
    "/council/meetings/{meeting_id}/items/{item_id}/attachments/{attachment_id}": ANY,  # 404: unknown meeting
    "/council/meetings/{meeting_id}/items/{item_id}/materials/{key}.xlsx": ANY,  # 404: unknown meeting
    "/instances/{instance_id}/attachments/{attachment_id}": ANY,
    "/instances/{instance_id}/documents/{kind}.{fmt}": ANY,
    "/instances/{instance_id}/materials/{key}.xlsx": ANY,
    "/public/{kind}/{key}/documents/{doc_kind}.{fmt}": PUBLIC,  # only the fixed files of a published act
    "/tasks/{task_id}/tables/{field}.xlsx": ANY,
}


def _web_pages(app, values):
    pages = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static")):
            continue
        pattern = rule.rule.replace("<code>", "coordination_council")
        pattern = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern)
        pages[pattern] = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), pattern)
    return pages


def _web_allowed(response) -> bool:
    if response.status_code in (401, 403):
        return False
    return not (response.status_code == 302 and "/login" in response.headers.get("Location", ""))


def test_every_web_page_against_every_role(app):
    from workflow_app.models import User

    demo.load(SYSTEM)
    db.session.commit()
    values = _path_values(app) | {"kind": "kcp", "key": "2027", "code": "coordination_council", "field": "lines"}
    values["doc_kind"] = "order"
    pages = _web_pages(app, values)
    observed = {}
    for pattern, url in sorted(pages.items()):
        anonymous = _web_allowed(app.test_client().get(url))
        allowed = set()
        for role in _all_roles():
            client = app.test_client()
            login_session(client, db.session.query(User).filter_by(username=role).one())
            response = client.get(url)
            assert response.status_code < 500, f"{url} as {role}: {response.status_code}"
            if _web_allowed(response):
                allowed.add(role)
            db.session.rollback()
        observed[pattern] = (anonymous, frozenset(allowed))
    if os.environ.get("SOGLASIE_AUTHZ_DUMP"):
        for pattern, (anon_ok, roles) in observed.items():
            shown = PUBLIC if anon_ok else ANY if roles == EVERY else sorted(roles)
            print(f'    "{pattern}": {shown!r},')
    missing = [p for p in observed if p not in WEB_EXPECTED]
    assert not missing, f"new page without an authorization expectation: {missing}"
    drift = []
    for pattern, (anon_ok, roles) in observed.items():
        want = WEB_EXPECTED[pattern]
        want_roles = EVERY if want in (PUBLIC, ANY) else frozenset(want)
        if anon_ok != (want == PUBLIC):
            drift.append(f"{pattern}: anonymous {'allowed' if anon_ok else 'refused'}")
        if roles != want_roles:
            drift.append(f"{pattern}: extra {sorted(roles - want_roles)} missing {sorted(want_roles - roles)}")
    assert not drift, "authorization drift on web pages:\n" + "\n".join(drift)
    assert not [p for p in WEB_EXPECTED if p not in observed], "expectations for pages that no longer exist"


# --- what each role may send and is offered (issue #18 classes 3 and 4) ----------------------------------
OUTSIDERS = frozenset({"college_officer", "college_director", "investor"})  # organisations outside government


def test_start_forms_and_organisation_choices_against_every_role(app, client):
    """Every role: the processes it may start publish their start form; a start with a field outside it is
    refused (never 2xx); of the investors, an outsider is offered only its own company, staff all of them."""
    demo.load(SYSTEM)
    deploy_path(SYSTEM, app.config["BPMN_DIR"])
    db.session.commit()
    investors = {"SIBHIM", "TOMLES"}
    for role in _all_roles():
        headers = {"Authorization": "Bearer " + issue_token(SYSTEM, role, "forms")}
        listed = client.get("/api/v1/processes", headers=headers).get_json()
        for process in listed:
            if not process["can_start"]:
                assert process["start_form"] is None, (role, process["process_id"])
                continue
            r = client.post(
                f"/api/v1/processes/{process['process_id']}/instances",
                json={"data": {"draft_decision": "approve", "protocol_ref": "№ 1"}},
                headers=headers,
            )
            assert 400 <= r.status_code < 500, (role, process["process_id"], r.status_code)
            if process["process_id"] == "investor_case":
                offered = set(process["start_form"]["properties"]["investor_org_code"]["enum"])
                want = {"SIBHIM"} if role == "investor" else set() if role in OUTSIDERS else investors
                assert offered == want, (role, offered)
    assert db.session.query(ProcessInstance).count() == 0
