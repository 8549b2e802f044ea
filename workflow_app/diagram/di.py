"""Reading a BPMN file's diagram interchange (DI): the planes, each shape's bounds and each edge's waypoints,
the element kinds, names and the states overlaid on them."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SVG_NS = "http://www.w3.org/2000/svg"

T_PLANE = f"{{{BPMNDI}}}BPMNPlane"
T_SHAPE = f"{{{BPMNDI}}}BPMNShape"
T_EDGE = f"{{{BPMNDI}}}BPMNEdge"
T_LABEL = f"{{{BPMNDI}}}BPMNLabel"
T_BOUNDS = f"{{{DC}}}Bounds"
T_WAYPOINT = f"{{{DI}}}waypoint"
TASKS = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "businessRuleTask"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = TASKS | SUBPROCESSES | {"callActivity"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
DATA_OBJECTS = {"dataObjectReference", "dataObject", "dataInput", "dataOutput"}

_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


class DiagramError(ValueError):
    """The document cannot be drawn: not XML, refused (DOCTYPE) or without DI."""


def _parse(bpmn_xml: bytes | str) -> etree._Element:
    if isinstance(bpmn_xml, str):
        # lxml refuses str input carrying an encoding declaration
        data = _XML_DECL_RE.sub("", bpmn_xml.lstrip("\ufeff"), count=1).encode("utf-8")
    elif isinstance(bpmn_xml, (bytes, bytearray, memoryview)):
        data = bytes(bpmn_xml)
    else:
        raise DiagramError(f"BPMN XML must be bytes or str, not {type(bpmn_xml).__name__}")
    if not data.strip():
        raise DiagramError("the BPMN document is empty")
    if _DOCTYPE_RE.search(data):
        raise DiagramError("the BPMN document contains a DOCTYPE declaration; refused")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DiagramError(f"the BPMN document is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DiagramError("the BPMN document contains a DOCTYPE declaration; refused")
    return root


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _index(root) -> dict:
    """BPMN model elements (not DI) by id."""
    prefix = f"{{{BPMN}}}"
    by_id: dict = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(prefix):
            ident = el.get("id")
            if ident and ident not in by_id:
                by_id[ident] = el
    return by_id


def _select_plane(root, by_id: dict, process_id: str | None):
    planes = list(root.iter(T_PLANE))
    if not planes:
        raise DiagramError("the BPMN document has no diagram interchange (BPMNDiagram/BPMNPlane); nothing to draw")
    if process_id:
        for plane in planes:
            ref = plane.get("bpmnElement")
            if ref == process_id:
                return plane
            target = by_id.get(ref or "")
            if target is not None and _local(target) == "collaboration":
                for part in target.iter(f"{{{BPMN}}}participant"):
                    if part.get("processRef") == process_id:
                        return plane
    # Not the plane of a sub-process or called process a tool happened to write first: a collaboration, else a
    # process that no call activity calls, else the first plane.
    called = {el.get("calledElement") for el in root.iter(f"{{{BPMN}}}callActivity") if el.get("calledElement")}
    for wanted in ("collaboration", "process"):
        for plane in planes:
            ref = plane.get("bpmnElement") or ""
            target = by_id.get(ref)
            if target is not None and _local(target) == wanted and ref not in called:
                return plane
    return planes[0]


def _sub_planes(root, by_id: dict, main, process_id: str | None) -> list:
    """The planes of the sub-processes (and called processes) of the drawn process, in document order."""
    process = by_id.get(process_id or "")
    if process is None or _local(process) != "process":
        target = by_id.get(main.get("bpmnElement") or "")
        if target is not None and _local(target) == "process":
            process = target
        elif target is not None and _local(target) == "collaboration":
            refs = [p.get("processRef") for p in target.iter(f"{{{BPMN}}}participant") if p.get("processRef")]
            process = by_id.get(refs[0]) if refs else None
    if process is None:
        return []
    inside = {el.get("id") for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    called = {el.get("calledElement") for el in process.iter(f"{{{BPMN}}}callActivity") if el.get("calledElement")}
    result = []
    for plane in root.iter(T_PLANE):
        ref = plane.get("bpmnElement") or ""
        if plane is main or not ref:
            continue
        target = by_id.get(ref)
        if target is None:
            continue
        if (ref in inside and _local(target) in SUBPROCESSES | {"callActivity"}) or (
            ref in called and _local(target) == "process"
        ):
            result.append(plane)
    return result


def _bounds(node):
    b = node.find(T_BOUNDS)
    if b is None:
        return None
    try:
        vals = tuple(float(b.get(k, "")) for k in ("x", "y", "width", "height"))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in vals) or vals[2] < 0 or vals[3] < 0:
        return None
    return vals


def _label_bounds(node):
    label = node.find(T_LABEL)
    return _bounds(label) if label is not None else None


def _waypoints(node) -> list:
    pts = []
    for wp in node.findall(T_WAYPOINT):
        try:
            x, y = float(wp.get("x", "")), float(wp.get("y", ""))
        except ValueError:
            continue
        if math.isfinite(x) and math.isfinite(y):
            pts.append((x, y))
    return pts


def _collect(plane, by_id: dict):
    shapes, edges, seen = [], [], set()
    for node in plane.iter(T_SHAPE, T_EDGE):
        ref = node.get("bpmnElement") or ""
        el = by_id.get(ref)
        if el is None or ref in seen:
            continue
        rec = {"id": ref, "el": el, "kind": _local(el), "di": node, "label": _label_bounds(node)}
        if node.tag == T_SHAPE:
            rec["b"] = _bounds(node)
            if rec["b"] is None:
                continue
            shapes.append(rec)
        else:
            rec["pts"] = _waypoints(node)
            if len(rec["pts"]) < 2:
                continue
            edges.append(rec)
        seen.add(ref)
    return shapes, edges


def _name(el) -> str:
    return (el.get("name") or "").strip() if el is not None else ""


def _display_name(el, kind: str, by_id: dict) -> str:
    if kind == "textAnnotation":
        node = el.find(f"{{{BPMN}}}text")
        return (node.text or "").strip() if node is not None else ""
    if kind == "group":
        value = by_id.get(el.get("categoryValueRef") or "")
        return (value.get("value") or "").strip() if value is not None else _name(el)
    name = _name(el)
    if not name and kind in ("dataObjectReference", "dataStoreReference"):
        ref = el.get("dataObjectRef") or el.get("dataStoreRef") or ""
        name = _name(by_id.get(ref))
    state = el.find(f"{{{BPMN}}}dataState")
    if state is not None and state.get("name"):
        name = f"{name}\n[{state.get('name')}]".strip()
    return name


def _as_set(ids: Iterable[str]) -> set:
    if isinstance(ids, str):
        return {ids}
    return {str(i) for i in ids or ()}
