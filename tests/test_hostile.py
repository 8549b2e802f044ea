"""Hostile input: schemathesis against /api/v1/openapi.json (in-process, WSGI) as an authenticated user —
zero 5xx, zero response-schema violations; BPMN uploads with script attacks, entity bombs, XXE and huge
files are refused through the service, the admin upload page and the request size limit."""

import io
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as st_checks

from workflow_app.extensions import db
from workflow_app.models import ProcessModel
from workflow_app.services import accounts, demo, deployment
from workflow_app.services.errors import Forbidden, Invalid
from workflow_app.services.identity import SYSTEM

EXAMPLES = int(os.environ.get("SOGLASIE_HOSTILE_EXAMPLES", "6"))
CHECKS = [st_checks.not_a_server_error, st_checks.response_schema_conformance, st_checks.content_type_conformance]


def _seed(app):
    demo.load(SYSTEM)
    deployment.deploy_path(SYSTEM, os.path.join(app.config["BPMN_DIR"], "examples", "example_approval.bpmn"))
    officer = accounts.issue_token(SYSTEM, "college_officer", "hostile")
    client = app.test_client()
    r = client.post(
        "/api/v1/processes/example_approval/instances",
        json={"data": {"title": "Атака"}},
        headers={"Authorization": "Bearer " + officer},
    )
    assert r.status_code == 201
    db.session.commit()
    return {"admin": accounts.issue_token(SYSTEM, "admin", "hostile"), "college_officer": officer}


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
                case.call_and_validate(headers=headers, checks=CHECKS)

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
    db.session.rollback()
    assert db.session.query(ProcessModel).filter_by(process_id="evil").count() == 0


def test_only_administrators_deploy(app):
    demo.load(SYSTEM)
    from workflow_app.models import User
    from workflow_app.services.identity import actor_for

    officer = actor_for(db.session.query(User).filter_by(username="dpo_officer").one())
    with pytest.raises(Forbidden):
        deployment.deploy_bytes(officer, HOSTILE_FILES["import os"], "x.bpmn")


def _admin_session(app, client):
    demo.load(SYSTEM)
    db.session.commit()
    from workflow_app.models import User

    admin = db.session.query(User).filter_by(username="admin").one()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
        session["_fresh"] = True
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
    bearer = {"Authorization": "Bearer " + accounts.issue_token(SYSTEM, "college_officer", "t")}
    r = client.post(
        "/api/v1/tasks/1/attachments",
        headers=bearer,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"x" * (512 * 1024)), "big.pdf")},
    )
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
