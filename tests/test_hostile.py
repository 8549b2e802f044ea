"""Hostile input: schemathesis against /api/v1/openapi.json (in-process, WSGI) as an authenticated user —
zero 5xx, zero response-schema violations; BPMN uploads with script attacks, entity bombs, XXE and huge
files are refused through the service, the admin upload page and the request size limit."""

import io
import os
import re

import pytest
import schemathesis
from factories import login_session
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as st_checks

from workflow_app.extensions import db
from workflow_app.models import AuditEvent, ProcessInstance, ProcessModel
from workflow_app.services import demo
from workflow_app.services.errors import Forbidden, Invalid
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.people.tokens import issue_token
from workflow_app.services.process_models import deployment

EXAMPLES = int(os.environ.get("SOGLASIE_HOSTILE_EXAMPLES", "6"))
CHECKS = [st_checks.not_a_server_error, st_checks.response_schema_conformance, st_checks.content_type_conformance]


def _seed(app):
    demo.load(SYSTEM)
    deployment.deploy_path(SYSTEM, os.path.join(app.config["BPMN_DIR"], "examples", "example_approval.bpmn"))
    officer = issue_token(SYSTEM, "college_officer", "hostile")
    client = app.test_client()
    r = client.post(
        "/api/v1/processes/example_approval/instances",
        json={"data": {"title": "Атака"}},
        headers={"Authorization": "Bearer " + officer},
    )
    assert r.status_code == 201
    db.session.commit()
    return {"admin": issue_token(SYSTEM, "admin", "hostile"), "college_officer": officer}


def test_schemathesis_finds_no_5xx_and_no_schema_violation(app):
    tokens = _seed(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        for who in ("admin", "college_officer"):
            headers = {"Authorization": "Bearer " + tokens[who]}

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)  # noqa: B023  (run now, inside this loop turn)

            try:
                run()
            except Exception as exc:  # keep going: report every failing operation at once
                failures.append(f"{operation.method.upper()} {operation.path} as {who}: {str(exc)[:600]}")
            finally:
                db.session.rollback()
    assert not failures, "\n\n".join(failures)


# --- BPMN uploads --------------------------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
    'targetNamespace="http://example.org">\n'
)


def _process(body: str) -> bytes:
    return (
        HEAD
        + '<bpmn:process id="evil" isExecutable="true">\n<bpmn:startEvent id="s"/>\n'
        + body
        + '\n<bpmn:endEvent id="e"/>\n</bpmn:process>\n</bpmn:definitions>\n'
    ).encode()


def _script(source: str) -> bytes:
    return _process(
        f'<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:script>{source}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>'
)
XXE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
)

HOSTILE_FILES = {
    "import os": _script("import os\nos.system('id')"),
    "__import__": _script("x = __import__('os').system('id')"),
    "dunder walk": _script("x = ().__class__.__bases__[0].__subclasses__()"),
    "open file": _script("x = open('/etc/passwd').read()"),
    "eval": _script("x = eval('1+1')"),
    "condition attack": _process(
        '<bpmn:exclusiveGateway id="g" default="f3"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>'
        "__import__('os').getcwd() == '/'</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e"/>'
    ),
    "billion laughs": BILLION_LAUGHS,
    # issue #18.6: bounded size and steps, refused at deploy where the diagram shows it
    "format-spec width": _script('x = f"{1:>100000000}"'),
    "%-format width": _script('x = "%0100000000d" % 1'),
    "%-format computed width": _script('x = "%*d" % (100000000, 1)'),
    "nested repetition": _script("x = [[0] * 100000] * 100000"),
    "three nested loops": _script("x = sum([1 for a in [0] * 1000 for b in [0] * 1000 for c in [0] * 1000])"),
    "huge dueWorkingDays": (
        HEAD + '<bpmn:process id="evil" isExecutable="true"><bpmn:laneSet id="ls"><bpmn:lane id="L" name="dpo_officer">'
        "<bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
        '<bpmn:startEvent id="s"/><bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:properties '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        '<spiffworkflow:property name="dueWorkingDays" value="99999999999"/>'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
        "</bpmn:process></bpmn:definitions>"
    ).encode(),
    "billion laughs utf-16": BILLION_LAUGHS.replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>'
    )
    .decode()
    .encode("utf-16"),
    "xxe": XXE,
    "huge": _process("<!-- " + "x" * (3 * 1024 * 1024) + " -->"),
    "not xml": b"\x89PNG\r\n\x1a\n" + os.urandom(256),
    "empty": b"",
}


# why each is refused (a refusal for another reason would hide a hole)
REASONS = {
    "import os": "Import not allowed",
    "__import__": "not allowed",
    "dunder walk": "not allowed",
    "open file": "not allowed",
    "eval": "not allowed",
    "condition attack": "not allowed",
    "billion laughs": "DOCTYPE",
    "format-spec width": "width or precision over",
    "%-format width": "width or precision over",
    "%-format computed width": "computed width",
    "nested repetition": "larger than",
    "three nested loops": "nested more than 2 loops",
    "huge dueWorkingDays": "must be from 0 to 730",
    "billion laughs utf-16": "entity",
    "xxe": "DOCTYPE",
    "huge": "larger than",
    "not xml": "not well-formed XML",
    "empty": "not well-formed XML",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_bpmn_is_refused_by_the_deploy_service(app, name):
    with pytest.raises(Invalid) as refused:
        deployment.deploy_bytes(SYSTEM, HOSTILE_FILES[name], f"{name}.bpmn")
    assert REASONS[name] in refused.value.message, refused.value.message
    if name in ("huge dueWorkingDays", "format-spec width", "nested repetition"):
        assert (
            refused.value.fields.get("element") == "t"
            or "'t'" in refused.value.message
            or " t" in str(refused.value.fields)
        ), (refused.value.message, refused.value.fields)
    db.session.rollback()
    assert db.session.query(ProcessModel).filter_by(process_id="evil").count() == 0


def test_only_administrators_deploy(app):
    demo.load(SYSTEM)
    from workflow_app.models import User
    from workflow_app.services.people.actors import actor_for

    officer = actor_for(db.session.query(User).filter_by(username="dpo_officer").one())
    with pytest.raises(Forbidden):
        deployment.deploy_bytes(officer, HOSTILE_FILES["import os"], "x.bpmn")


def _admin_session(app, client):
    demo.load(SYSTEM)
    db.session.commit()
    from workflow_app.models import User

    admin = db.session.query(User).filter_by(username="admin").one()
    login_session(client, admin)
    page = client.get("/admin/models")
    assert page.status_code == 200
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_hostile_bpmn_is_refused_by_the_admin_upload_page(app, client):
    token = _admin_session(app, client)
    for name in ("import os", "billion laughs", "xxe", "billion laughs utf-16", "not xml"):
        r = client.post(
            "/admin/models",
            data={"csrf_token": token, "bpmn": (io.BytesIO(HOSTILE_FILES[name]), "evil.bpmn")},
            content_type="multipart/form-data",
        )
        assert r.status_code == 422, (name, r.status_code)
        body = r.get_data(as_text=True)
        assert "Traceback" not in body and "root:" not in body
    # without the CSRF token the upload is refused before anything is parsed
    r = client.post(
        "/admin/models",
        data={"bpmn": (io.BytesIO(HOSTILE_FILES["import os"]), "evil.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert db.session.query(ProcessModel).filter_by(process_id="evil").count() == 0


def test_a_request_over_the_size_limit_is_refused_413(app, client):
    token = _admin_session(app, client)
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    big = io.BytesIO(b"<" + b"x" * (512 * 1024))
    r = client.post(
        "/admin/models", data={"csrf_token": token, "bpmn": (big, "big.bpmn")}, content_type="multipart/form-data"
    )
    assert r.status_code == 413
    bearer = {"Authorization": "Bearer " + issue_token(SYSTEM, "college_officer", "t")}
    r = client.post(
        "/api/v1/tasks/1/attachments",
        headers=bearer,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"x" * (512 * 1024)), "big.pdf")},
    )
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"


# --- issue #18.7: input classes that used to be a 500, on the API and on every web page --------------------

SURROGATE = '"\\ud800"'
HOSTILE_JSON = {
    "lone surrogate": '{"data": {"title": ' + SURROGATE + '}, "title": ' + SURROGATE + ', "body": ' + SURROGATE + "}",
    "lone surrogate key": '{"data": {"\\udc00": "x"}, "\\udc00": 1}',
    "nested thousands deep": '{"data": ' + "[" * 5000 + "]" * 5000 + "}",
    "5,000-digit integer": '{"data": {"title": "x", "amount": ' + "9" * 5000 + "}}",
    "object where a string belongs": '{"data": {"title": {"a": 1}}, "title": {"a": 1}, "body": {"a": 1}, '
    '"username": {"a": 1}, "password": {"a": 1}, "business_key": ["x"]}',
    "NaN": '{"data": {"title": "x", "amount": NaN}}',
    "float overflow": '{"data": {"title": "x", "amount": 1e999}}',
    "not UTF-8": b'{"data": {"title": "\xff\xfe"}}',
}


@pytest.mark.postgres_too
def test_hostile_json_is_a_4xx_with_a_message_and_writes_nothing(app):
    from workflow_app.models import AuditEvent, ProcessInstance

    tokens = _seed(app)
    client = app.test_client()
    task_id = db.session.query(ProcessInstance).one().id
    instances_before = db.session.query(ProcessInstance).count()
    events_before = db.session.query(AuditEvent).count()
    endpoints = [
        "/api/v1/processes/example_approval/instances",
        "/api/v1/tasks/1/complete",
        "/api/v1/tasks/1/comments",
        "/api/v1/auth/token",
        "/api/v1/council/meetings",
    ]
    assert task_id
    for name, body in HOSTILE_JSON.items():
        for url in endpoints:
            r = client.post(
                url,
                data=body,
                content_type="application/json",
                headers={"Authorization": "Bearer " + tokens["college_officer"]},
            )
            assert 400 <= r.status_code < 500, (name, url, r.status_code, r.get_data(as_text=True)[:300])
            error = r.get_json()["error"]
            assert error["message"], (name, url)
    db.session.expire_all()
    assert db.session.query(ProcessInstance).count() == instances_before
    assert db.session.query(AuditEvent).count() == events_before  # not even a half-written event


HOSTILE_QUERY_VALUES = [
    "1000000000000000000",  # page=10^18
    "-1",
    "9999-12-31",  # a year-9999 date
    "0001-01-01",
    "9" * 5000,
    "/inbox\r\nSet-Cookie: evil=1",  # CR/LF in next
    "%ED%A0%80",  # a lone surrogate, percent-encoded
    "{}",
    "1e999",
    "",
]
QUERY_NAMES = (
    "page", "per_page", "limit", "before", "from", "to", "due", "day", "year", "next", "tab", "status",
    "process", "key", "q", "kind", "actor", "org", "instance", "decisions", "lang", "view",
)  # fmt: skip


def _web_pages(app, values):
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static")):
            continue
        pages.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), "1")), rule.rule))
    return sorted(set(pages))


@pytest.mark.postgres_too
def test_every_web_page_answers_hostile_query_values_below_500(app):
    from urllib.parse import quote

    from workflow_app.models import ProcessInstance, User

    _seed(app)
    inst = db.session.query(ProcessInstance).one()
    values = {
        "instance_id": inst.id,
        "task_id": 1,
        "attachment_id": 1,
        "meeting_id": 1,
        "protocol_id": 1,
        "code": "coordination_council",
        "kind": "kcp",
        "key": "2027",
    }
    pages = _web_pages(app, values)
    assert len(pages) >= 20
    failures = []
    for who in (None, "admin", "college_officer", "investor_1"):
        client = app.test_client()
        if who:
            login_session(client, db.session.query(User).filter_by(username=who).one())
        for page in pages:
            for value in HOSTILE_QUERY_VALUES:
                encoded = value if value.startswith("%") else quote(value, safe="")
                url = page + "?" + "&".join(f"{name}={encoded}" for name in QUERY_NAMES)
                r = client.get(url)
                if r.status_code >= 500:
                    failures.append(f"{who}: GET {url[:160]} -> {r.status_code}")
                location = r.headers.get("Location", "")
                assert "\r" not in location and "\n" not in location
            db.session.rollback()
    assert not failures, "\n".join(failures[:40])


def test_a_next_parameter_with_cr_lf_is_ignored(app, client):
    demo.load(SYSTEM)
    db.session.commit()
    page = client.get("/login?next=/inbox%0d%0aSet-Cookie:%20evil=1")
    assert page.status_code == 200
    import re as _re

    token = _re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post(
        "/login",
        data={"username": "admin", "password": "demo", "csrf_token": token, "next": "/inbox\r\nSet-Cookie: evil=1"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")
    assert "evil" not in str(r.headers)


def _encoded_model(encoding: str) -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://example.org">\n'
        '<bpmn:process id="encoded" name="Mod\u00e8le encod\u00e9" isExecutable="true">\n'
        '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )
    return text.encode({"UTF-16": "utf-16", "UTF-32": "utf-32", "ISO-8859-1": "latin-1"}[encoding])


@pytest.mark.parametrize("encoding", ["UTF-16", "UTF-32", "ISO-8859-1"])
def test_bpmn_in_another_encoding_with_its_declaration_deploys(app, client, encoding):
    token = _admin_session(app, client)
    r = client.post(
        "/admin/models",
        data={"csrf_token": token, "bpmn": (io.BytesIO(_encoded_model(encoding)), "encoded.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    model = db.session.query(ProcessModel).filter_by(process_id="encoded").one()
    assert model.bpmn_xml.startswith("<?xml") and "\x00" not in model.bpmn_xml
    assert 'name="Mod\u00e8le encod\u00e9"' in model.bpmn_xml
    # the stored text is a model the engine runs
    from workflow_app.services.cases import advance
    from workflow_app.services.uow import UnitOfWork

    with UnitOfWork(SYSTEM) as uow:
        inst = advance.start_instance(uow, SYSTEM, "encoded", {})
        uow.commit()
    assert inst.status == "completed"


def test_utf16_without_a_byte_order_mark_is_not_stored_as_utf8_garbage(app):
    content = _encoded_model("UTF-16")[2:]  # little-endian, no BOM: the declaration alone tells
    deployment.deploy_bytes(SYSTEM, content, "encoded.bpmn")
    model = db.session.query(ProcessModel).filter_by(process_id="encoded").one()
    assert "\x00" not in model.bpmn_xml


def test_an_expression_over_its_bounds_at_run_time_fails_that_step_clearly(app):
    """Sizes the diagram does not show (a count from a script) are bounded when the script runs: the start
    is refused with the reason, and nothing of the instance is written."""
    from workflow_app.models import ProcessInstance
    from workflow_app.services.cases import advance
    from workflow_app.services.errors import Conflict
    from workflow_app.services.uow import UnitOfWork

    body = _script("n = 700\ntotal = sum([1 for a in [0] * n for b in [0] * n])")
    deployment.deploy_bytes(SYSTEM, body.replace(b'id="evil"', b'id="steps"'), "steps.bpmn")
    big = _script("n = 20000\nx = [0] * n\nx = [x, x, x, x, x, x, x, x, x, x]\nx = [x, x, x, x, x, x, x, x, x, x]")
    deployment.deploy_bytes(SYSTEM, big.replace(b'id="evil"', b'id="size"'), "size.bpmn")
    fine = _script("n = 100\ntotal = sum([1 for a in [0] * n for b in [0] * n])")
    deployment.deploy_bytes(SYSTEM, fine.replace(b'id="evil"', b'id="fine"'), "fine.bpmn")
    db.session.commit()
    for process_id, reason in (("steps", "more than 250 000 steps"), ("size", "larger than 1 000 000")):
        with pytest.raises(Conflict) as refused, UnitOfWork(SYSTEM) as uow:
            advance.start_instance(uow, SYSTEM, process_id, {})
            uow.commit()
        assert reason in refused.value.message, refused.value.message
        db.session.rollback()
    assert db.session.query(ProcessInstance).count() == 0
    with UnitOfWork(SYSTEM) as uow:
        inst = advance.start_instance(uow, SYSTEM, "fine", {})
        uow.commit()
    assert inst.status == "completed" and advance.instance_data(inst)["total"] == 10_000


HOSTILE_START_DATA = {
    "a later step's field": {"draft_decision": "approve"},
    "a protocol reference": {"protocol_ref": "протокол № 1 / вопрос 1"},
    "another department's opinion": {"opinion_dtzn": "agree", "dtzn_decision": "agree"},
    "a negative number": {"year": -2027},
    "a huge number": {"year": 10**30},
    "an object for a number": {"year": {"$gt": 0}},
    "a foreign organisation": {"investor_org_code": "' OR 1=1 --"},
}


def test_hostile_start_data_to_every_deployed_process_is_a_4xx_and_writes_nothing(app):
    """Start data goes through the process's start form: every deployed process, as a role that may start
    it, refuses what its start form does not declare, with a message per field and nothing written."""
    demo.load(SYSTEM)
    deployment.deploy_path(SYSTEM, app.config["BPMN_DIR"])
    db.session.commit()
    client = app.test_client()
    starters = {"kcp_campaign": "dpo_officer", "kcp_request": "college_officer", "professions_cycle": "dtzn_officer"}
    starters |= {"professions_proposal": "sector_officer", "investor_case": "di_officer"}
    starters |= {"staffing_forecast": "dtzn_officer", "data_call": "dtzn_officer"}
    tokens = {role: issue_token(SYSTEM, role, "hostile") for role in set(starters.values())}
    events_before = db.session.query(AuditEvent).count()
    for process_id, role in starters.items():
        headers = {"Authorization": "Bearer " + tokens[role]}
        for name, data in HOSTILE_START_DATA.items():
            r = client.post(f"/api/v1/processes/{process_id}/instances", json={"data": data}, headers=headers)
            assert 400 <= r.status_code < 500, (process_id, name, r.status_code, r.get_data(as_text=True)[:300])
            assert r.get_json()["error"]["message"], (process_id, name)
    db.session.expire_all()
    assert db.session.query(ProcessInstance).count() == 0
    assert db.session.query(AuditEvent).count() == events_before  # not even a half-written event
