"""Tests for the BPMN DI -> SVG renderer (workflow_app.diagram)."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest
from lxml import etree

from workflow_app.diagram import DiagramError, flow_map, render_svg
from workflow_app.engine.vocabulary import BPMN_NS, BPMNDI_NS

DATA = Path(__file__).parent / "data" / "diagrams"
SVG = "http://www.w3.org/2000/svg"

FLOW_NODE_KINDS = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
}

# fixture file, process ids drawn by its first plane
FIXTURES = [
    ("approval_collaboration.bpmn", ["Process_Approval"]),
    ("kitchen_sink.bpmn", ["Process_Kitchen"]),
    ("vertical_two_diagrams.bpmn", ["Process_V"]),
]


def _load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _parse_svg(svg: str):
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{{{SVG}}}svg"
    return root


def _groups(root) -> dict:
    return {g.get("id")[3:]: g for g in root.iter(f"{{{SVG}}}g") if (g.get("id") or "").startswith("el-")}


def _classes(group) -> set:
    return set(group.get("class", "").split())


def _with_class(root, cls: str) -> set:
    return {bid for bid, g in _groups(root).items() if cls in _classes(g)}


def _model_ids(name: str, process_ids: list) -> tuple[set, set]:
    """Flow node ids (including sub-process children) and sequence flow ids of the processes."""
    doc = etree.fromstring(_load(name))
    nodes, flows = set(), set()
    for proc in doc.iter(f"{{{BPMN_NS}}}process"):
        if proc.get("id") not in process_ids:
            continue
        for el in proc.iter():
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            if local in FLOW_NODE_KINDS:
                nodes.add(el.get("id"))
            elif local == "sequenceFlow":
                flows.add(el.get("id"))
    return nodes, flows


def _expected_class(el) -> str:
    local = etree.QName(el).localname
    if local.endswith("Gateway"):
        return "bpmn-gateway"
    if local.endswith("Event"):
        return "bpmn-event"
    return "bpmn-task"


# --------------------------------------------------------------------------
# structure of the output
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name,processes", FIXTURES)
def test_output_is_svg_with_viewbox(name, processes):
    svg = render_svg(_load(name))
    root = _parse_svg(svg)
    _x, _y, w, h = (float(v) for v in root.get("viewBox").split())
    assert w > 0 and h > 0
    assert float(root.get("width")) == pytest.approx(w)
    assert root.find(f"{{{SVG}}}title") is not None
    assert "<!DOCTYPE" not in svg


@pytest.mark.parametrize("name,processes", FIXTURES)
def test_every_flow_node_and_sequence_flow_is_drawn(name, processes):
    root = _parse_svg(render_svg(_load(name)))
    groups = _groups(root)
    nodes, flows = _model_ids(name, processes)
    assert nodes and flows
    assert nodes <= set(groups), sorted(nodes - set(groups))
    assert flows <= set(groups), sorted(flows - set(groups))
    doc = etree.fromstring(_load(name))
    for el in doc.iter(f"{{{BPMN_NS}}}*"):
        bid = el.get("id")
        if bid in nodes:
            assert _expected_class(el) in _classes(groups[bid]), bid
            assert groups[bid].find(f"{{{SVG}}}title") is not None
        elif bid in flows:
            assert {"bpmn-flow", "bpmn-sequence-flow"} <= _classes(groups[bid])


def test_pools_lanes_and_connections_get_classes():
    root = _parse_svg(render_svg(_load("approval_collaboration.bpmn")))
    groups = _groups(root)
    assert _with_class(root, "bpmn-pool") == {"Participant_Org", "Participant_Contractor"}
    assert _with_class(root, "bpmn-lane") == {"Lane_Initiator", "Lane_Manager"}
    assert _with_class(root, "bpmn-message-flow") == {"MessageFlow_Request", "MessageFlow_Answer"}
    assert _with_class(root, "bpmn-association") == {"Association_SLA", "DataOutput_Request"}
    assert "bpmn-data" in _classes(groups["DataObjectRef_Request"])
    assert "bpmn-annotation" in _classes(groups["Annotation_SLA"])
    # every rendered group is one of the BPMN elements of the file
    assert not {bid for bid in groups if not bid[0].isalpha()}


def test_nested_lanes_and_vertical_pool():
    root = _parse_svg(render_svg(_load("vertical_two_diagrams.bpmn")))
    assert _with_class(root, "bpmn-lane") == {"Lane_HR", "Lane_Spec", "Lane_Head", "Lane_Acc"}
    pool = _groups(root)["Participant_V"]
    texts = list(pool.iter(f"{{{SVG}}}text"))
    assert texts and not any("rotate" in (t.get("transform") or "") for t in texts)
    horizontal = _groups(_parse_svg(render_svg(_load("approval_collaboration.bpmn"))))
    rotated = list(horizontal["Lane_Manager"].iter(f"{{{SVG}}}text"))
    assert rotated and "rotate(-90" in rotated[0].get("transform")


def test_titles_carry_names_and_russian_text_is_escaped():
    svg = render_svg(_load("approval_collaboration.bpmn"))
    name = "Заполнить заявку & приложить <скан> «паспорта»"
    assert "Заполнить заявку &amp; приложить &lt;скан&gt; «паспорта»" in svg
    assert "<скан>" not in svg
    groups = _groups(_parse_svg(svg))
    assert groups["Task_Fill"].find(f"{{{SVG}}}title").text == name
    assert groups["Task_Approve"].find(f"{{{SVG}}}title").text == "Согласовать заявку"
    assert groups["Annotation_SLA"].find(f"{{{SVG}}}title").text == "Срок согласования — 3 рабочих дня"
    visible = "".join(groups["Lane_Manager"].itertext())
    assert "Руководитель" in visible
    # unnamed elements say what they are, never their id (a modeller's code)
    kitchen = _groups(_parse_svg(render_svg(_load("kitchen_sink.bpmn"))))
    assert kitchen["Gateway_Split"].find(f"{{{SVG}}}title").text == "Параллельное выполнение"
    for bid, group in kitchen.items():
        assert group.find(f"{{{SVG}}}title").text != bid


def test_lang_title_and_default_document_title():
    root = _parse_svg(render_svg(_load("approval_collaboration.bpmn"), lang_title="Схема процесса"))
    assert root.find(f"{{{SVG}}}title").text == "Схема процесса"
    root = _parse_svg(render_svg(_load("kitchen_sink.bpmn")))
    assert root.find(f"{{{SVG}}}title").text == "Kitchen sink"


def test_str_input_with_encoding_declaration():
    text = _load("approval_collaboration.bpmn").decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert render_svg(text) == render_svg(text.encode("utf-8"))


# --------------------------------------------------------------------------
# highlighting
# --------------------------------------------------------------------------


def test_highlight_loop_back():
    completed = ["StartEvent_Created", "Task_Fill", "Task_Approve", "Gateway_Approved"]
    active = ["Task_Fill"]  # sent back for rework: done once, current again
    taken = ["Flow_Start", "Flow_ToApprove", "Flow_ToGateway", "Flow_No"]
    root = _parse_svg(
        render_svg(_load("approval_collaboration.bpmn"), completed=completed, active=active, taken_flows=taken)
    )
    assert _with_class(root, "is-completed") == set(completed)
    assert _with_class(root, "is-active") == set(active)
    assert _with_class(root, "is-taken") == set(taken)
    groups = _groups(root)
    fill_task = groups["Task_Fill"].find(f"{{{SVG}}}rect")
    plain_task = groups["SendTask_Notify"].find(f"{{{SVG}}}rect")
    done_task = groups["Task_Approve"].find(f"{{{SVG}}}rect")
    # inline presentation attributes, so the look survives <img> embedding
    assert fill_task.get("stroke") not in (plain_task.get("stroke"), done_task.get("stroke"))
    assert float(fill_task.get("stroke-width")) > float(plain_task.get("stroke-width"))
    assert done_task.get("fill") != plain_task.get("fill")
    taken_line = groups["Flow_No"].findall(f"{{{SVG}}}polyline")[-1]
    plain_line = groups["Flow_Yes"].findall(f"{{{SVG}}}polyline")[-1]
    assert taken_line.get("stroke") != plain_line.get("stroke")


def test_highlight_parallel_tokens():
    completed = ["StartEvent_Timer", "Gateway_Split", "ScriptTask_Calc", "StartEvent_Sub"]
    active = ["ManualTask_Check", "UserTask_Sign"]
    taken = ["Flow_1", "Flow_2", "Flow_3", "Flow_6", "Flow_Sub1"]
    root = _parse_svg(
        render_svg(_load("kitchen_sink.bpmn"), completed=completed, active=iter(active), taken_flows=tuple(taken))
    )
    assert _with_class(root, "is-completed") == set(completed)
    assert _with_class(root, "is-active") == set(active)
    assert _with_class(root, "is-taken") == set(taken)


def test_no_highlight_by_default_and_unknown_ids_ignored():
    root = _parse_svg(render_svg(_load("kitchen_sink.bpmn"), completed=["Nope"], active="Task_X"))
    for cls in ("is-completed", "is-active", "is-taken"):
        assert _with_class(root, cls) == set()


# --------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------


def test_kitchen_sink_details():
    root = _parse_svg(render_svg(_load("kitchen_sink.bpmn")))
    groups = _groups(root)
    assert {"bpmn-task", "bpmn-subprocess"} <= _classes(groups["SubProcess_Sign"])
    assert {"bpmn-task", "bpmn-call-activity"} <= _classes(groups["CallActivity_Archive"])
    assert groups["CallActivity_Archive"].find(f"{{{SVG}}}rect").get("stroke-width") == "5"
    assert groups["Transaction_Pay"].get("data-bpmn-type") == "transaction"
    assert len(groups["Transaction_Pay"].findall(f"{{{SVG}}}rect")) == 2  # double border
    assert "bpmn-data" in _classes(groups["DataStore_Archive"])
    assert "bpmn-group" in _classes(groups["Group_Decision"])
    assert "Решение / Decision" in "".join(groups["Group_Decision"].itertext())
    # event sub-process: dotted border; non-interrupting start: dashed circle
    assert groups["EventSub_Cancel"].find(f"{{{SVG}}}rect").get("stroke-dasharray")
    assert groups["StartEvent_Msg"].find(f"{{{SVG}}}circle").get("stroke-dasharray")
    # interrupting boundary timer: solid
    assert not groups["BoundaryEvent_Deadline"].find(f"{{{SVG}}}circle").get("stroke-dasharray")
    # data state is part of the label
    assert "[signed]" in "".join(groups["DataObjectRef_Docs"].itertext())


def test_expanded_and_collapsed_subprocesses():
    svg = render_svg(_load("kitchen_sink.bpmn"))
    groups = _groups(_parse_svg(svg))

    def has_plus_marker(g):
        return any(p.get("d") == "M3,7 H11 M7,3 V11" for p in g.iter(f"{{{SVG}}}path"))

    assert has_plus_marker(groups["SubProcess_Collapsed"])
    assert has_plus_marker(groups["AdHoc_Review"])
    assert not has_plus_marker(groups["SubProcess_Sign"])
    assert not has_plus_marker(groups["EventSub_Cancel"])
    # children of the expanded sub-process are drawn after (above) it
    order = [g.get("id") for g in _parse_svg(svg).iter(f"{{{SVG}}}g") if g.get("id")]
    assert order.index("el-SubProcess_Sign") < order.index("el-UserTask_Sign")
    assert order.index("el-SubProcess_Sign") < order.index("el-BoundaryEvent_Deadline")


def test_non_interrupting_boundary_event_is_dashed_double_circle():
    groups = _groups(_parse_svg(render_svg(_load("approval_collaboration.bpmn"))))
    circles = groups["Boundary_Remind"].findall(f"{{{SVG}}}circle")
    assert len(circles) == 2
    assert all(c.get("stroke-dasharray") for c in circles)
    # it is drawn on top of the task it is attached to
    order = list(groups)
    assert order.index("Task_Approve") < order.index("Boundary_Remind")


def test_sequence_flow_arrow_ends_at_last_waypoint():
    groups = _groups(_parse_svg(render_svg(_load("approval_collaboration.bpmn"))))
    arrow = groups["Flow_ToApprove"].find(f"{{{SVG}}}polygon")
    tip = arrow.get("points").split()[0]
    assert tip == "520,360"
    line = groups["Flow_ToApprove"].findall(f"{{{SVG}}}polyline")[0]
    assert line.get("points") == "420,160 520,160 520,360"


def test_viewbox_covers_the_drawn_plane_only():
    data = _load("vertical_two_diagrams.bpmn")
    x, y, w, h = (float(v) for v in _parse_svg(render_svg(data)).get("viewBox").split())
    assert x <= 100 and y <= 100 and x + w >= 600 and y + h >= 550
    assert x + w < 1000  # the second diagram (at 2000,2000) is not included
    x, y, w, h = (float(v) for v in _parse_svg(render_svg(data, process_id="Process_Other")).get("viewBox").split())
    assert 1900 < x <= 2000 and x + w >= 2278 and y <= 1978 and y + h >= 2058


def test_process_id_selects_the_plane():
    data = _load("vertical_two_diagrams.bpmn")
    default = _groups(_parse_svg(render_svg(data)))
    assert "Participant_V" in default and "Task_Prepare" in default and "Task_O" not in default
    other = _groups(_parse_svg(render_svg(data, process_id="Process_Other")))
    assert {"StartEvent_O", "Task_O", "EndEvent_O", "Flow_O1", "Flow_O2"} == set(other)
    via_collaboration = _groups(_parse_svg(render_svg(data, process_id="Process_V")))
    assert set(via_collaboration) == set(default)
    unknown = _groups(_parse_svg(render_svg(data, process_id="Process_Missing")))
    assert set(unknown) == set(default)


# --------------------------------------------------------------------------
# every element kind, on a generated minimal diagram
# --------------------------------------------------------------------------

DEFINITIONS = [
    "message",
    "timer",
    "signal",
    "error",
    "escalation",
    "conditional",
    "terminate",
    "link",
    "compensate",
    "cancel",
]
KIND_CASES = (
    [(k, "", "bpmn-task") for k in sorted(FLOW_NODE_KINDS) if "Gateway" not in k and "Event" not in k]
    + [(k, "", "bpmn-gateway") for k in sorted(FLOW_NODE_KINDS) if "Gateway" in k]
    + [
        (k, "", "bpmn-event")
        for k in ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
    ]
    + [("intermediateCatchEvent", d, "bpmn-event") for d in DEFINITIONS]
    + [("endEvent", d, "bpmn-event") for d in DEFINITIONS]
    + [("intermediateCatchEvent", "message+timer", "bpmn-event")]
    + [
        ("dataObjectReference", "", "bpmn-data"),
        ("dataStoreReference", "", "bpmn-data"),
        ("textAnnotation", "", "bpmn-annotation"),
        ("group", "", "bpmn-group"),
    ]
)


def _single_element_bpmn(kind: str, definition: str) -> str:
    defs = "".join(f'<bpmn:{d}EventDefinition id="Def_{d}"/>' for d in definition.split("+") if d)
    body = "<bpmn:text>Заметка</bpmn:text>" if kind == "textAnnotation" else defs
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:bpmndi="{BPMNDI_NS}"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="D" targetNamespace="x">
  <bpmn:process id="P">
    <bpmn:{kind} id="El_1" name="Элемент &quot;один&quot;">{body}</bpmn:{kind}>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Pl" bpmnElement="P">
    <bpmndi:BPMNShape id="El_1_di" bpmnElement="El_1"><dc:Bounds x="10" y="20" width="100" height="80"/>
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


@pytest.mark.parametrize("kind,definition,css", KIND_CASES, ids=[f"{k}-{d}" if d else k for k, d, _ in KIND_CASES])
def test_every_kind_renders(kind, definition, css):
    svg = render_svg(_single_element_bpmn(kind, definition), completed=["El_1"])
    group = _groups(_parse_svg(svg))["El_1"]
    assert {css, "is-completed"} <= _classes(group)
    assert group.get("data-bpmn-type") == kind
    assert len(group) > 1  # title plus at least one drawn primitive
    assert "&quot;один&quot;" in svg or "Заметка" in svg


def test_exclusive_marker_can_be_hidden():
    xml = _single_element_bpmn("exclusiveGateway", "")
    shown = _groups(_parse_svg(render_svg(xml)))["El_1"]
    hidden_xml = xml.replace('bpmnElement="El_1"', 'bpmnElement="El_1" isMarkerVisible="false"')
    hidden = _groups(_parse_svg(render_svg(hidden_xml)))["El_1"]
    assert len(hidden.findall(f"{{{SVG}}}g")) == 0 < len(shown.findall(f"{{{SVG}}}g"))


def test_hundred_elements_render_fast():
    shapes, edges, nodes, flows = [], [], [], []
    for i in range(100):
        nodes.append(f'<bpmn:userTask id="T{i}" name="Задача номер {i}"/>')
        shapes.append(
            f'<bpmndi:BPMNShape id="T{i}_di" bpmnElement="T{i}">'
            f'<dc:Bounds x="{(i % 10) * 150}" y="{(i // 10) * 120}" width="100" height="80"/>'
            f"</bpmndi:BPMNShape>"
        )
        if i:
            flows.append(f'<bpmn:sequenceFlow id="F{i}" sourceRef="T{i - 1}" targetRef="T{i}"/>')
            edges.append(
                f'<bpmndi:BPMNEdge id="F{i}_di" bpmnElement="F{i}">'
                f'<di:waypoint x="{((i - 1) % 10) * 150 + 100}" y="{((i - 1) // 10) * 120 + 40}"/>'
                f'<di:waypoint x="{(i % 10) * 150}" y="{(i // 10) * 120 + 40}"/></bpmndi:BPMNEdge>'
            )
    xml = (
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="D" targetNamespace="x">'
        f'<bpmn:process id="P">{"".join(nodes + flows)}</bpmn:process>'
        f'<bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Pl" bpmnElement="P">'
        f"{''.join(shapes + edges)}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
    )
    render_svg(xml)  # warm up
    start = time.perf_counter()
    svg = render_svg(xml, completed=[f"T{i}" for i in range(50)], active=["T50"])
    elapsed = time.perf_counter() - start
    assert len(_groups(_parse_svg(svg))) == 199
    assert elapsed < 0.25, elapsed  # typically a few milliseconds


# --------------------------------------------------------------------------
# refused and broken input
# --------------------------------------------------------------------------


def test_doctype_with_entities_is_refused():
    data = _load("doctype_entities.bpmn")
    with pytest.raises(DiagramError, match="DOCTYPE"):
        render_svg(data)
    with pytest.raises(DiagramError, match="DOCTYPE"):
        render_svg(data.decode("utf-8"))
    with pytest.raises(DiagramError, match="DOCTYPE"):
        flow_map(data)


def test_doctype_is_refused_in_utf16_too():
    data = _load("doctype_entities.bpmn").decode("utf-8")
    data = data.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert b"<!DOCTYPE" not in data
    with pytest.raises(DiagramError):
        render_svg(data)


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"   ",
        b"not xml at all",
        b"<definitions><process>",
        "<bpmn:definitions xmlns:bpmn='x'><a></b></bpmn:definitions>",
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_xml_raises_diagram_error(junk):
    with pytest.raises(DiagramError):
        render_svg(junk)


def test_wrong_type_raises_diagram_error():
    with pytest.raises(DiagramError):
        render_svg(None)  # type: ignore[arg-type]


def test_missing_di_raises_diagram_error():
    data = _load("no_di.bpmn")
    with pytest.raises(DiagramError, match="diagram interchange"):
        render_svg(data)
    empty_plane = data.replace(
        b"</bpmn:definitions>",
        b'<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="Dia">'
        b'<bpmndi:BPMNPlane id="Pl" bpmnElement="Process_NoDi"/></bpmndi:BPMNDiagram></bpmn:definitions>',
    )
    with pytest.raises(DiagramError, match="no shapes"):
        render_svg(empty_plane)


def test_diagram_error_is_a_value_error():
    assert issubclass(DiagramError, ValueError)


# --------------------------------------------------------------------------
# flow_map
# --------------------------------------------------------------------------


def test_flow_map_approval():
    assert flow_map(_load("approval_collaboration.bpmn")) == {
        ("StartEvent_Created", "Task_Fill"): "Flow_Start",
        ("Task_Fill", "Task_Approve"): "Flow_ToApprove",
        ("Task_Approve", "Gateway_Approved"): "Flow_ToGateway",
        ("Gateway_Approved", "SendTask_Notify"): "Flow_Yes",
        ("Gateway_Approved", "Task_Fill"): "Flow_No",
        ("Boundary_Remind", "ServiceTask_Remind"): "Flow_Remind",
        ("ServiceTask_Remind", "EndEvent_Reminded"): "Flow_Reminded",
        ("SendTask_Notify", "CatchEvent_Answer"): "Flow_ToWait",
        ("CatchEvent_Answer", "EndEvent_Done"): "Flow_ToEnd",
    }


def test_flow_map_covers_all_processes_and_subprocesses():
    mapping = flow_map(_load("vertical_two_diagrams.bpmn").decode("utf-8"))
    assert mapping[("Task_Sign", "Task_Pay")] == "Flow_V3"
    assert mapping[("StartEvent_O", "Task_O")] == "Flow_O1"
    assert len(mapping) == 6
    kitchen = flow_map(_load("kitchen_sink.bpmn"))
    assert kitchen[("StartEvent_Sub", "UserTask_Sign")] == "Flow_Sub1"
    assert kitchen[("Task_Handle", "ThrowEvent_Link")] == "Flow_Ev2"
    _, flows = _model_ids("kitchen_sink.bpmn", ["Process_Kitchen"])
    assert set(kitchen.values()) == flows
    # DI is not needed for the map
    assert flow_map(_load("no_di.bpmn")) == {("StartEvent_N", "Task_N"): "Flow_N1", ("Task_N", "EndEvent_N"): "Flow_N2"}


def test_flow_map_and_highlight_round_trip():
    """The map turns a token path (node ids) into the flow ids to highlight."""
    data = _load("approval_collaboration.bpmn")
    path = ["StartEvent_Created", "Task_Fill", "Task_Approve", "Gateway_Approved", "Task_Fill"]
    mapping = flow_map(data)
    taken = [mapping[pair] for pair in itertools.pairwise(path)]
    root = _parse_svg(render_svg(data, completed=path[:-1], active=path[-1:], taken_flows=taken))
    assert _with_class(root, "is-taken") == {"Flow_Start", "Flow_ToApprove", "Flow_ToGateway", "Flow_No"}
    assert re.fullmatch(r"[\d.\- ]+", root.get("viewBox"))
