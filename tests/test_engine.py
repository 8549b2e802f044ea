"""The engine layer on its own: deploy-time validation, the safe script environment, running instances."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflow_app.engine import Engine, EngineError, InvalidModel, clock, parse_bpmn
from workflow_app.engine.scripting import SafeExpressionEnvironment, UnsafeScript, check

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "bpmn" / "examples" / "example_approval.bpmn").read_text(encoding="utf-8")


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def variant(old: str, new: str, source: str = EXAMPLE) -> bytes:
    assert old in source, old
    return source.replace(old, new, 1).encode("utf-8")


# --- validation ---------------------------------------------------------------------------------------


def test_example_parses_with_metadata():
    parsed = parse_bpmn(EXAMPLE.encode(), "example_approval.bpmn")
    meta = parsed.processes[0].meta
    assert parsed.processes[0].process_id == "example_approval"
    assert meta["start_groups"] == ["college_officer"]
    assert meta["user_tasks"]["review_request"]["distinctFrom"] == ["submit_request"]
    assert meta["user_tasks"]["submit_request"]["orgScope"] == "initiator"
    assert meta["flows"]["gw_review->join_submit"] == "f_return"
    assert parsed.form_keys() == {"example_request", "example_review", "example_start"}  # the start form too
    assert meta["start_form"]["formKey"] == "example_start"


@pytest.mark.parametrize(
    "content, element, fragment",
    [
        (variant("</bpmn:process>", "</bpmn:proces>"), None, "not well-formed XML"),
        (
            variant('<bpmn:exclusiveGateway id="gw_council"', '<bpmn:complexGateway id="gw_council"').replace(
                b'</bpmn:exclusiveGateway>\n    <bpmn:endEvent id="end_approved"',
                b'</bpmn:complexGateway>\n    <bpmn:endEvent id="end_approved"',
            ),
            "gw_council",
            "",
        ),
        (variant('targetRef="gw_council"/>', 'targetRef="does_not_exist"/>'), None, ""),
        (variant('decision == "return"', '__import__("os").system("touch /tmp/pwned")'), "f_return", "gw_review"),
        (variant('decision == "approve"', "().__class__.__base__.__subclasses__()"), "f_accept", "not allowed"),
        (variant("working_days_from_now(3)", 'open("/etc/passwd").read()'), "review_late", "not allowed"),
        (
            variant(
                '<bpmn:userTask id="submit_request" name="Подать заявку">',
                '<bpmn:userTask id="submit_request" name="Подать заявку"><bpmn:bogusElement/>',
            ),
            None,
            "bogusElement",
        ),
        (
            variant(
                '<spiffworkflow:property name="orgScope" value="initiator"/>',
                '<spiffworkflow:property name="orgScope" value="everyone"/>',
            ),
            "submit_request",
            "orgScope",
        ),
        (variant('value="submit_request"/>', 'value="no_such_task"/>'), "review_request", "distinctFrom"),
        (
            variant(
                '<spiffworkflow:property name="dueWorkingDays" value="3"/>',
                '<spiffworkflow:property name="dueWorkingDays" value="soon"/>',
            ),
            "review_request",
            "dueWorkingDays",
        ),
    ],
)
def test_broken_diagrams_are_refused_with_file_element_and_reason(content, element, fragment):
    with pytest.raises(InvalidModel) as info:
        parse_bpmn(content, "broken.bpmn")
    err = info.value
    assert err.file_name == "broken.bpmn"
    assert str(err).startswith("broken.bpmn")
    if element:
        assert err.element == element, str(err)
    assert fragment in str(err)


def test_doctype_and_entities_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><x>&lol2;</x>'
    with pytest.raises(InvalidModel, match="DOCTYPE"):
        parse_bpmn(bomb, "bomb.bpmn")
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(InvalidModel):
        parse_bpmn(xxe, "xxe.bpmn")


def test_oversized_file_is_refused():
    with pytest.raises(InvalidModel, match="larger than"):
        parse_bpmn(b"<x>" + b" " * (3 * 1024 * 1024) + b"</x>", "huge.bpmn")


# --- the safe script environment -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('id')",
        "().__class__.__base__.__subclasses__()",
        "x.__class__",
        "open('/etc/passwd')",
        "eval('1')",
        "getattr(x, 'y')",
        "[c for c in ().__class__.__mro__]",
        "(lambda: 1)()",
        "globals()",
        "_secret",
        "x.upper()",
    ],
)
def test_unsafe_expressions_are_rejected(source):
    with pytest.raises(UnsafeScript):
        check(source, "eval")


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "def f(): pass",
        "for i in x: pass",
        "while True: pass",
        "with x: pass",
        "class A: pass",
        "try:\n  pass\nexcept: pass",
    ],
)
def test_unsafe_statements_are_rejected(source):
    with pytest.raises(UnsafeScript):
        check(source, "exec")


def test_safe_environment_evaluates_and_executes():
    env = SafeExpressionEnvironment()
    assert env.evaluate('decision == "approve" and amount > 3', {"decision": "approve", "amount": 5}) is True
    assert env.evaluate("sum(l['n'] for l in lines)", {"lines": [{"n": 2}, {"n": 3}]}) == 5
    assert env.evaluate('f"{a}-{b}"', {"a": 1, "b": "x"}) == "1-x"
    ctx = {"round_no": 1}
    env.execute("round_no = round_no + 1\nlabel = 'r' + str(round_no)", ctx)
    assert ctx == {"round_no": 2, "label": "r2"}
    with pytest.raises(UnsafeScript):
        env.evaluate("'a' * 10000000", {})
    with pytest.raises(Exception):
        env.evaluate("len", {}) and env.evaluate("len.__self__", {})


def test_builtins_are_not_reachable_at_runtime():
    env = SafeExpressionEnvironment()
    with pytest.raises(NameError):
        env.evaluate("print", {})


# --- running ----------------------------------------------------------------------------------------------


@pytest.fixture
def engine():
    return Engine()


@pytest.fixture
def model(engine):
    return engine.compiled("example", EXAMPLE, "example_approval")


def names(loaded):
    return sorted(t.bpmn_id for t in loaded.ready_user_tasks())


def test_full_run_with_return_loop_message_and_transitions(engine, model):
    inst, transitions = engine.start(model, {"title": "t"})
    assert [(t.bpmn_id, t.new) for t in transitions] == [
        ("start", "COMPLETED"),
        ("join_submit", "COMPLETED"),
        ("submit_request", "READY"),
    ]
    state = inst.dump()
    assert '"spec"' not in state[:200] and "bpmn_xml" not in state
    inst = engine.load(model, state)
    [submit] = inst.ready_user_tasks()
    inst.complete(submit.engine_task_id, {"amount": 5})
    [review] = inst.ready_user_tasks()
    assert review.bpmn_id == "review_request"
    transitions = inst.complete(review.engine_task_id, {"decision": "return"})
    assert ("gw_review", "COMPLETED") in [(t.bpmn_id, t.new) for t in transitions]
    assert names(inst) == ["submit_request"]
    inst = engine.load(model, inst.dump())
    inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"amount": 6})
    inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"decision": "approve"})
    assert inst.waiting_messages() == ["council_decision"]
    assert inst.next_timer_at() is None
    inst = engine.load(model, inst.dump())
    transitions = inst.deliver("council_decision", {"approved": True})
    assert inst.is_completed
    assert ("end_approved", "COMPLETED") in [(t.bpmn_id, t.new) for t in transitions]
    assert inst.data["council"] == {"approved": True} and inst.data["amount"] == 6
    path = inst.path()
    assert "f_return" in path["flows"] and "f_council_yes" in path["flows"]


def test_timer_fires_on_the_injected_clock_after_working_days(engine, model):
    inst, _ = engine.start(model, {})
    inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"amount": 1})
    due = inst.next_timer_at()
    # 3 working days from Monday 2 March 2026 (10:00 Tomsk): Thursday 5 March, 18:00 Tomsk = 11:00 UTC
    assert due == datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    inst = engine.load(model, inst.dump())
    clock.set_clock(datetime(2026, 3, 5, 10, 59, tzinfo=UTC))
    assert inst.fire_timers() == [] and names(inst) == ["review_request"]
    clock.set_clock(datetime(2026, 3, 5, 11, 1, tzinfo=UTC))
    transitions = inst.fire_timers()
    assert names(inst) == ["escalated_review"]
    fired = [t for t in transitions if t.bpmn_id == "review_late"]
    assert fired and fired[0].event_type == "timer" and fired[0].interrupting is True
    assert ("review_request", "CANCELLED") in [(t.bpmn_id, t.new) for t in transitions]


def test_message_to_an_instance_not_waiting_is_refused(engine, model):
    inst, _ = engine.start(model, {})
    with pytest.raises(EngineError):
        inst.deliver("council_decision", {"approved": True})


def test_engine_error_is_raised_and_the_state_can_be_discarded(engine, model):
    inst, _ = engine.start(model, {})
    inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"amount": 1})
    saved = inst.dump()
    [review] = inst.ready_user_tasks()
    with pytest.raises(EngineError) as info:
        inst.complete(review.engine_task_id, {"decision": "maybe"})  # no branch matches
    assert info.value.element == "gw_review"
    again = engine.load(model, saved)
    assert names(again) == ["review_request"]
    again.complete(review.engine_task_id, {"decision": "reject"})
    assert again.is_completed


def test_deserialized_workflow_never_uses_the_default_script_engine(engine, model, tmp_path):
    evil = EXAMPLE.replace('decision == "return"', 'decision == "return"')
    inst, _ = engine.start(model, {})
    loaded = engine.load(model, inst.dump())
    from workflow_app.engine.scripting import SafeScriptEngine

    assert isinstance(loaded.wf.script_engine, SafeScriptEngine)
    assert evil  # the data cannot smuggle code either: a condition sees data, never evaluates it
    loaded.complete(loaded.ready_user_tasks()[0].engine_task_id, {"decision": "__import__('os')"})


def test_stored_state_is_smaller_than_spiffs_own_serialization(engine, model):
    from workflow_app.engine.runtime import _serializer

    inst, _ = engine.start(model, {})
    ours = inst.dump()
    theirs = _serializer().serialize_json(inst.wf)  # SpiffWorkflow's own format, spec included
    assert len(ours) < len(theirs) / 2
    assert json.loads(ours)["serializer_version"]


def test_stored_state_is_spiffs_own_format_without_the_spec(engine, model):
    """Our faster task converter and spec-less dump write exactly what SpiffWorkflow's stock serializer writes
    (minus the spec), and the stock deserializer reads our state back once the spec is added."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    from workflow_app.engine.runtime import _Workflow

    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    stock.registry.typenames[_Workflow] = stock.registry.typenames[BpmnWorkflow]
    inst, _ = engine.start(model, {"title": "t", "since": datetime(2026, 1, 1, tzinfo=UTC)})
    [submit] = inst.ready_user_tasks()
    inst.complete(submit.engine_task_id, {"amount": 5, "lines": [{"code": "09.02.07", "places": 25}]})
    [review] = inst.ready_user_tasks()
    inst.complete(review.engine_task_id, {"decision": "return"})
    ours = json.loads(inst.dump())
    theirs = json.loads(stock.serialize_json(inst.wf))
    spec, subprocess_specs = theirs.pop("spec"), theirs.pop("subprocess_specs")
    assert ours == theirs
    back = stock.deserialize_json(json.dumps({**ours, "spec": spec, "subprocess_specs": subprocess_specs}))
    assert {str(k): (t.state, t.data) for k, t in back.tasks.items()} == {
        str(k): (t.state, t.data) for k, t in inst.wf.tasks.items()
    }
    ours_back = engine.load(model, inst.dump()).wf
    assert {str(k): (t.state, t.data) for k, t in ours_back.tasks.items()} == {
        str(k): (t.state, t.data) for k, t in back.tasks.items()
    }


def test_thousand_rework_rounds_still_complete(engine, model):
    inst, _ = engine.start(model, {})
    for round_no in range(1000):
        [submit] = inst.ready_user_tasks()
        assert submit.bpmn_id == "submit_request", round_no
        inst.complete(submit.engine_task_id, {"amount": round_no})
        [review] = inst.ready_user_tasks()
        inst.complete(review.engine_task_id, {"decision": "return" if round_no < 999 else "reject"})
    assert inst.is_completed, "the instance stalled behind the task-iterator depth limit"
    assert inst.data["amount"] == 999
    reloaded = engine.load(model, inst.dump())
    assert reloaded.is_completed


def test_spiffs_per_state_change_logging_stays_quiet(engine, model, caplog):
    """SpiffWorkflow logs every state change at INFO (and walks the task tree for it); with the application
    logging at INFO (the JSON production logs) none of that reaches the handlers."""
    import logging

    caplog.set_level(logging.INFO)
    inst, _ = engine.start(model, {"title": "t"})
    inst.complete(inst.ready_user_tasks()[0].engine_task_id, {"amount": 5})
    assert [r for r in caplog.records if r.name.startswith("spiff")] == []
    assert logging.getLogger("spiff.workflow").level >= logging.INFO  # no task-tree walk per workflow created
