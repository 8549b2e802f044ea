"""Real-world BPMN files (the BPMN MIWG test suite: its Reference models and four tools' exports, see
tests/data/miwg/README.md) and hand-made variants: no traceback, no Python object, every refusal named."""

import re
from pathlib import Path

import pytest
from factories import example_people

from workflow_app.diagram import render_svg, render_svgs
from workflow_app.engine.parsing import check_bpmn
from workflow_app.services.audit import queries
from workflow_app.services.cases import advance
from workflow_app.services.errors import Invalid
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.process_models import deployment
from workflow_app.services.uow import UnitOfWork

HERE = Path(__file__).resolve().parent
MIWG = sorted((HERE / "data" / "miwg").glob("*.bpmn"))
EXAMPLE = (HERE.parent / "bpmn" / "examples" / "example_approval.bpmn").read_bytes()
CAMUNDA = (HERE / "data" / "models" / "camunda_modeler_approval.bpmn").read_bytes()
PYTHON_OBJECT = re.compile(r"0x[0-9a-f]{6,}| object at |<Element |Traceback")


@pytest.fixture
def people(app):
    return example_people()


def assert_plain(problems):
    for p in problems:
        text = p.text()
        assert not PYTHON_OBJECT.search(text), text
        assert p.element or p.line, text  # every problem says where
        assert p.hint and not p.message.rstrip(".").endswith(("of type", "with name")), text
        if p.name:
            assert p.name == " ".join(p.name.split()), text  # a name drawn on two lines is one name


def test_the_suite_is_here_with_its_licence():
    assert len(MIWG) >= 20 and (HERE / "data" / "miwg" / "LICENSE.txt").exists()
    assert "Creative Commons Attribution" in (HERE / "data" / "miwg" / "README.md").read_text()


@pytest.mark.parametrize("path", MIWG, ids=lambda p: p.name)
def test_a_real_world_file_is_deployed_or_refused_with_named_problems(app, people, path):
    try:
        results = deployment.deploy_bytes(SYSTEM, path.read_bytes(), path.name)
    except Invalid as exc:
        assert exc.problems and any(p.severity == "error" for p in exc.problems)
        assert_plain(exc.problems)
        assert not PYTHON_OBJECT.search(exc.message)
    else:
        assert results and all(r.process_id for r in results)
        assert_plain([w for r in results for w in r.warnings])
    svgs = render_svgs(path.read_bytes())
    assert svgs and svgs[0].startswith("<svg") and 'id="el-' in svgs[0]


def test_a_sub_process_plane_written_first_does_not_hide_the_process():
    """ADONIS writes the called process's diagram first: the collaboration is drawn, then the called process."""
    data = (HERE / "data" / "miwg" / "adonis_B.1.0-export.bpmn").read_bytes()
    main, *subs = render_svgs(data, process_id="process_e8698c25-8d32-4acd-ab2c-f9f29eab34a1")
    assert main.count('<g id="el-') > 50 and render_svg(data).count('<g id="el-') > 50
    assert len(subs) == 1 and 0 < subs[0].count('<g id="el-') < 10


def test_the_history_page_draws_every_sub_process_plane(app, people):
    """A collapsed sub-process drawn on its own diagram appears under the process's diagram."""
    data = (HERE / "data" / "models" / "collapsed_subprocess.bpmn").read_bytes()
    deployment.deploy_bytes(SYSTEM, data, "collapsed_subprocess.bpmn")
    with UnitOfWork(actor_for(people["officer1"])) as uow:
        inst = advance.start_instance(uow, actor_for(people["officer1"]), "collapsed", {}, business_key="S-1")
        uow.commit()
    html = queries.instance_diagram(actor_for(people["officer1"]), inst.id)
    assert html.count("<svg") == 2 and 'id="el-inner_task"' in html and 'id="el-outer_sub"' in html
    assert 'class="bpmn-task is-active"' in html or "is-active" in html.split("<svg")[2]


def variant(old: bytes, new: bytes, source: bytes = EXAMPLE) -> bytes:
    assert old in source
    return source.replace(old, new)


@pytest.mark.parametrize(
    "text, rule",
    [
        ("P7D", None),
        ("working_days_from_now(3)", "timer-result"),  # a date where a duration is expected
        ('"P" + "7D"', None),
        ("P7X", "timer-value"),
        ("1 + 1", "timer-result"),
        ('${"P" + "3D"}', None),
        ("reminder_after", None),  # a process variable: checked when the timer starts
    ],
)
def test_timers_are_literals_or_expressions_checked_at_deploy(text, rule):
    data = variant(
        b"<bpmn:timeDate>working_days_from_now(3)</bpmn:timeDate>",
        b"<bpmn:timeDuration>" + text.encode() + b"</bpmn:timeDuration>",
    )
    parsed = check_bpmn(data, "t.bpmn")
    rules = [p.rule for p in parsed.errors]
    assert rules == ([rule] if rule else []), [p.text() for p in parsed.problems]
    if rule:
        assert parsed.errors[0].element == "review_late" and parsed.errors[0].line


@pytest.mark.parametrize(
    "kind, value, ok",
    [
        ("timeCycle", "R6/P1D", True),
        ("timeDate", "2027-03-01T09:00:00+07:00", True),
        ("timeCycle", "R6/P1Q", False),
        ("timeDate", "1st of March", False),
    ],
)
def test_iso_dates_and_cycles(kind, value, ok):
    data = variant(
        b"<bpmn:timeDate>working_days_from_now(3)</bpmn:timeDate>", f"<bpmn:{kind}>{value}</bpmn:{kind}>".encode()
    )
    parsed = check_bpmn(data, "t.bpmn")
    assert bool(parsed.errors) is not ok, [p.text() for p in parsed.problems]


def test_a_naive_timer_date_is_a_warning():
    data = variant(
        b"<bpmn:timeDate>working_days_from_now(3)</bpmn:timeDate>",
        b"<bpmn:timeDate>2027-03-01T09:00:00</bpmn:timeDate>",
    )
    parsed = check_bpmn(data, "t.bpmn")
    assert not parsed.errors and [p.rule for p in parsed.warnings] == ["timer-naive"]


def test_every_unsupported_camunda_construct_is_named(app, people):
    data = variant(
        b'camunda:followUpDate="P1D">',
        b'camunda:followUpDate="P1D"><bpmn:extensionElements>'
        b'<camunda:taskListener class="org.example.Listener" event="create"/>'
        b'<camunda:executionListener expression="${bean.notify(execution)}" event="start"/>'
        b"</bpmn:extensionElements>",
        CAMUNDA,
    )
    data = variant(b'${decision != "approve"}', b'${execution.getVariable("decision") != "approve"}', data)
    data = variant(
        b'<bpmn:endEvent id="End_rejected" name="',
        b'<bpmn:serviceTask id="Ext" name="External" camunda:type="external" camunda:topic="mail"/>'
        b'<bpmn:serviceTask id="Conn" name="Connector"><bpmn:extensionElements><camunda:connector>'
        b"<camunda:connectorId>http-connector</camunda:connectorId></camunda:connector></bpmn:extensionElements>"
        b'</bpmn:serviceTask><bpmn:endEvent id="End_rejected" name="',
        data,
    )
    with pytest.raises(Invalid) as refused:
        deployment.deploy_bytes(SYSTEM, data, "camunda_broken.bpmn")
    errors = [p for p in refused.value.problems if p.severity == "error"]
    assert_plain(errors)
    named = {(p.element, p.params.get("construct", p.rule)) for p in errors}
    assert ("Task_review", "a task listener (camunda:taskListener)") in named
    assert ("Task_review", "an execution listener (camunda:executionListener)") in named
    assert ("Flow_reject", "juel-method") in named
    assert ("Ext", 'an external task (camunda:type="external")') in named
    assert ("Ext", "an external task topic (camunda:topic)") in named
    assert ("Conn", "a connector (camunda:connector)") in named


def test_juel_operators_get_their_replacement():
    data = variant(b'${decision != "approve"}', b'${decision != "approve" &amp;&amp; !urgent}', CAMUNDA)
    [problem] = check_bpmn(data, "c.bpmn").errors
    assert problem.rule == "juel-operator" and "and" in problem.hint and problem.element == "Flow_reject"


def test_missing_diagram_references_are_warnings_and_the_model_deploys(app, people):
    data = variant(
        b"</bpmndi:BPMNPlane>",
        b'<bpmndi:BPMNEdge id="ghost_di" bpmnElement="f_ghost"><di:waypoint x="1" y="1"/><di:waypoint x="2" y="2"/>'
        b"</bpmndi:BPMNEdge></bpmndi:BPMNPlane>",
    )
    data = variant(b'<bpmndi:BPMNShape id="wait_council_di"', b'<bpmndi:BPMNShape id="wait_council_gone"', data)
    data = variant(b'bpmnElement="wait_council">', b'bpmnElement="wait_council_gone">', data)
    [result] = deployment.deploy_bytes(SYSTEM, data, "example_approval.bpmn")
    rules = sorted((w.rule, w.element) for w in result.warnings)
    assert ("di-missing-ref", "ghost_di") in rules and ("di-not-drawn", "wait_council") in rules
    assert_plain(result.warnings)


def test_unknown_service_operation_is_refused_at_deploy(app, people):
    chain = (HERE.parent / "bpmn" / "kcp_campaign.bpmn").read_bytes()
    data = chain.replace(b'serviceTaskOperator id="publish_kcp"', b'serviceTaskOperator id="publish_kpc"')
    report = deployment.check_bytes(SYSTEM, data, "kcp_campaign.bpmn")
    [problem] = [p for p in report.errors if p.rule == "unknown-operation"]
    assert problem.element == "publish" and "publish_kpc" in problem.message and "publish_kcp" in problem.hint
