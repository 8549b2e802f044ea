"""The shipped models stay clean under bpmn.io's linter (bpmnlint, recommended rules) and stay readable.

`make lint-models` runs bpmnlint itself where node is available; these tests re-check in Python the rules it
flagged in our models (a gateway that both forks and joins; a task or event entered by several flows without a
joining gateway) and a few neighbours of the recommended set, so any later model change must stay clean here too.
They also check the drawing: no sequence flow is drawn through a task that it neither leaves nor enters.
"""

from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree

from workflow_app.diagram import di
from workflow_app.engine.vocabulary import BPMN_NS, BPMNDI_NS

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
MODEL = f"{{{BPMN_NS}}}"
DI = f"{{{BPMNDI_NS}}}"
DC = f"{{{di.DC}}}"
DDI = f"{{{di.DI}}}"
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {
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
}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
MODELS = sorted(BPMN_DIR.glob("**/*.bpmn"))


def local(el) -> str:
    return etree.QName(el).localname


def flow_nodes(path):
    """(container, nodes by id, flows) for the process and every sub-process of a file."""
    root = etree.parse(str(path)).getroot()
    for container in root.iter(MODEL + "process", MODEL + "subProcess"):
        nodes = {
            el.get("id"): el
            for el in container
            if isinstance(el.tag, str) and local(el) in GATEWAYS | ACTIVITIES | EVENTS
        }
        flows = [el for el in container if isinstance(el.tag, str) and local(el) == "sequenceFlow"]
        yield container, nodes, flows


def lint(path) -> list[str]:
    problems = []
    for _container, nodes, flows in flow_nodes(path):
        incoming = {i: [f for f in flows if f.get("targetRef") == i] for i in nodes}
        outgoing = {i: [f for f in flows if f.get("sourceRef") == i] for i in nodes}
        for ident, el in nodes.items():
            kind, ins, outs = local(el), incoming[ident], outgoing[ident]
            if kind in GATEWAYS:
                if len(ins) > 1 and len(outs) > 1:
                    problems.append(f"{ident}: no-gateway-join-fork (the gateway both forks and joins)")
                if len(ins) == 1 and len(outs) == 1:
                    problems.append(f"{ident}: superfluous-gateway (one flow in, one flow out)")
            elif len(ins) > 1:
                problems.append(f"{ident}: fake-join (several incoming flows without a joining gateway)")
            if (
                kind in ACTIVITIES
                and len(outs) > 1
                and any(f.find(MODEL + "conditionExpression") is None for f in outs)
            ):
                problems.append(f"{ident}: no-implicit-split (several unconditional outgoing flows)")
            if kind not in {"startEvent", "boundaryEvent"} and not ins and kind != "subProcess":
                problems.append(f"{ident}: no-disconnected (nothing leads to it)")
            if kind not in {"endEvent"} and not outs:
                problems.append(f"{ident}: no-disconnected (nothing leaves it)")
    return problems


def _segments_cross_box(points, box) -> bool:
    x, y, w, h = box
    # strictly inside the box, with a margin: a flow may touch a border where it enters or leaves
    left, right, top, bottom = x + 2, x + w - 2, y + 2, y + h - 2
    for (x1, y1), (x2, y2) in pairwise(points):
        if x1 == x2 and left < x1 < right and min(y1, y2) < bottom and max(y1, y2) > top:
            return True
        if y1 == y2 and top < y1 < bottom and min(x1, x2) < right and max(x1, x2) > left:
            return True
    return False


def crossings(path) -> list[str]:
    root = etree.parse(str(path)).getroot()
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for plane in root.iter(DI + "BPMNPlane"):
        boxes = {}
        for shape in plane.iter(DI + "BPMNShape"):
            el = by_id.get(shape.get("bpmnElement"))
            if el is not None and local(el) in ACTIVITIES - {"subProcess"}:
                b = shape.find(DC + "Bounds")
                boxes[el.get("id")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        for edge in plane.iter(DI + "BPMNEdge"):
            flow = by_id.get(edge.get("bpmnElement"))
            if flow is None or local(flow) != "sequenceFlow":
                continue
            points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iter(DDI + "waypoint")]
            for ident, box in boxes.items():
                if ident in (flow.get("sourceRef"), flow.get("targetRef")):
                    continue
                if _segments_cross_box(points, box):
                    problems.append(f"{flow.get('id')} is drawn through {ident}")
    return problems


def test_the_shipped_models_are_found():
    assert {p.stem for p in MODELS} >= {"example_approval", "kcp_campaign", "investor_case"}


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_shipped_model_is_lint_clean(path):
    assert lint(path) == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_no_flow_is_drawn_through_a_task(path):
    assert crossings(path) == []


def test_the_rules_find_what_bpmnlint_found(tmp_path):
    """The rules are not vacuous: the pre-fix shapes of our models (a fork-and-join gateway, fake joins, a flow
    drawn straight through a task) are each reported."""
    bad = tmp_path / "bad.bpmn"
    bad.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="a"/>
    <bpmn:userTask id="b"/>
    <bpmn:exclusiveGateway id="g"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="g"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="g"/>
    <bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="a"><bpmn:conditionExpression>x</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f5" sourceRef="g" targetRef="e"><bpmn:conditionExpression>y</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f6" sourceRef="g" targetRef="b"><bpmn:conditionExpression>z</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dd"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
    <bpmndi:BPMNShape id="a_di" bpmnElement="a"><dc:Bounds x="100" y="100" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="b_di" bpmnElement="b"><dc:Bounds x="300" y="100" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f5_di" bpmnElement="f5"><di:waypoint x="50" y="140"/><di:waypoint x="500" y="140"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""
    )
    found = lint(bad)
    assert "g: no-gateway-join-fork (the gateway both forks and joins)" in found
    assert "a: fake-join (several incoming flows without a joining gateway)" in found
    assert "e: fake-join (several incoming flows without a joining gateway)" not in found
    assert crossings(bad) == ["f5 is drawn through a", "f5 is drawn through b"]
