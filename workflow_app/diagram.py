"""Server-side rendering of BPMN 2.0 diagrams (BPMN DI) to standalone SVG.

The renderer reads the diagram interchange part of a BPMN file
(``BPMNDiagram/BPMNPlane/BPMNShape/BPMNEdge`` with ``dc:Bounds`` and
``di:waypoint``) and draws it with plain SVG primitives.  The progress of a
process instance can be overlaid: flow nodes that are done, flow nodes that
are current, and sequence flows that were taken.

Every drawn element is an SVG ``<g id="el-<bpmn id>" class="...">`` with a
``<title>`` (its name, or its id when unnamed), so pages and tests can find
elements and browsers show a tooltip.  Styling is done with presentation
attributes only, so the SVG looks the same inline and inside ``<img>``.

Public API: :func:`render_svg`, :func:`flow_map` and :class:`DiagramError`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable

from lxml import etree

__all__ = ["DiagramError", "flow_map", "render_svg", "render_svgs"]

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

FONT = "sans-serif"
FONT_SIZE = 12
LINE_H = 14.0
CHAR_W = 6.6  # average advance of a 12px sans-serif glyph (Latin and Cyrillic)
MARGIN = 20
LABEL_W = 100  # wrap width of labels placed outside their shape

INK = "#22242a"
PAPER = "#ffffff"
NORMAL = (PAPER, INK, 0.0)
COMPLETED = ("#e3f4e6", "#2e7d32", 0.0)
ACTIVE = ("#fff1dc", "#e8710a", 2.0)
TAKEN_STROKE = "#2e7d32"

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


# --------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# small SVG helpers
# --------------------------------------------------------------------------


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _n(v: float) -> str:
    r = round(v, 2)
    if r == int(r):
        return str(int(r))
    return f"{r:.2f}".rstrip("0").rstrip(".")


def _pts(points) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _wrap(text: str, width: float, max_lines: int | None = None) -> list:
    """Greedy word wrap by approximate glyph width; long words are cut."""
    max_chars = max(1, int(width // CHAR_W))
    lines: list = []
    for para in text.replace("\r\n", "\n").split("\n"):
        cur = ""
        for word in para.split():
            while len(word) > max_chars:
                if cur:
                    lines.append(cur)
                    cur = ""
                lines.append(word[:max_chars])
                word = word[max_chars:]
            cand = f"{cur} {word}" if cur else word
            if len(cand) <= max_chars:
                cur = cand
            else:
                lines.append(cur)
                cur = word
        if cur:
            lines.append(cur)
    if max_lines is not None and len(lines) > max_lines:
        if max_lines < 1:
            return []
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, max_chars - 1)].rstrip() + "\u2026"
    return lines


def _text(lines: list, x: float, top: float, anchor: str = "middle", transform: str = "") -> str:
    if not lines:
        return ""
    tr = f' transform="{transform}"' if transform else ""
    out = [
        f'<text x="{_n(x)}" y="{_n(top + LINE_H * 0.76)}" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}" fill="{INK}" text-anchor="{anchor}"{tr}>'
    ]
    for i, line in enumerate(lines):
        out.append(f'<tspan x="{_n(x)}" y="{_n(top + i * LINE_H + LINE_H * 0.76)}">{_esc(line)}</tspan>')
    out.append("</text>")
    return "".join(out)


def _centered_text(
    text: str, cx: float, cy: float, width: float, max_lines: int | None = None, transform: str = ""
) -> str:
    lines = _wrap(text, width, max_lines)
    return _text(lines, cx, cy - len(lines) * LINE_H / 2, transform=transform)


def _label_in(text: str, box) -> str:
    """A label inside BPMNLabel bounds: centred, top-aligned when too tall."""
    x, y, w, h = box
    # the bounds were sized with the modeller's font metrics: allow some slack
    # and never cut a word that the modeller kept on one line
    longest = max((len(word) for word in text.split()), default=1)
    lines = _wrap(text, max(w * 1.1, longest * CHAR_W + 1, 30))
    top = y + max(0.0, (h - len(lines) * LINE_H) / 2)
    return _text(lines, x + w / 2, top)


def _external_label(rec: dict, name: str) -> str:
    if not name:
        return ""
    if rec["label"] is not None:
        return _label_in(name, rec["label"])
    x, y, w, h = rec["b"]
    return _text(_wrap(name, LABEL_W), x + w / 2, y + h + 4)


def _icon(x: float, y: float, body: str) -> str:
    return f'<g transform="translate({_n(x)} {_n(y)})">{body}</g>'


def _open_group(bid: str, classes: list, kind: str, title: str) -> str:
    return (
        f'<g id="el-{_esc(bid)}" class="{_esc(" ".join(classes))}" '
        f'data-bpmn-type="{_esc(kind)}"><title>{_esc(title or bid)}</title>'
    )


def _polygon_points(cx: float, cy: float, r: float, n: int, start_deg: float = -90.0):
    return [
        (
            cx + r * math.cos(math.radians(start_deg + 360.0 * k / n)),
            cy + r * math.sin(math.radians(start_deg + 360.0 * k / n)),
        )
        for k in range(n)
    ]


def _gear_path() -> str:
    pts, n = [], 8
    step = 2 * math.pi / n
    for i in range(n):
        a = i * step
        for r, da in ((5.2, -0.5), (7.6, -0.22), (7.6, 0.22), (5.2, 0.5)):
            pts.append((8 + r * math.cos(a + da * step), 8 + r * math.sin(a + da * step)))
    return "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in pts) + " Z"


def _clock_ticks() -> str:
    segs = []
    for k in range(12):
        a = math.radians(30 * k)
        segs.append(f"M{_n(8 * math.cos(a))},{_n(8 * math.sin(a))} L{_n(10.5 * math.cos(a))},{_n(10.5 * math.sin(a))}")
    return " ".join(segs)


_GEAR = _gear_path()
_TICKS = _clock_ticks()
_PENTAGON = _pts(_polygon_points(0, 0, 9, 5))
_CROSS = "M-3,-10 L3,-10 L3,-3 L10,-3 L10,3 L3,3 L3,10 L-3,10 L-3,3 L-10,3 L-10,-3 L-3,-3 Z"


# --------------------------------------------------------------------------
# names and states
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# pools, lanes, groups, annotations
# --------------------------------------------------------------------------


def _is_horizontal(rec: dict) -> bool:
    flag = rec["di"].get("isHorizontal")
    if flag is not None:
        return flag.strip().lower() != "false"
    return rec["b"][2] >= rec["b"][3]


def _band_label(name: str, rec: dict) -> str:
    x, y, w, h = rec["b"]
    if _is_horizontal(rec):
        cx, cy = x + 15, y + h / 2
        return _centered_text(name, cx, cy, h - 10, 2, transform=f"rotate(-90 {_n(cx)} {_n(cy)})")
    return _centered_text(name, x + w / 2, y + 15, w - 10, 2)


def _draw_pool(rec: dict, name: str, paint) -> str:
    fill, stroke, boost = paint
    x, y, w, h = rec["b"]
    out = [
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(1.5 + boost)}"/>'
    ]
    if not rec["el"].get("processRef"):  # black-box pool
        out.append(_centered_text(name, x + w / 2, y + h / 2, w - 20, 3))
        return "".join(out)
    if _is_horizontal(rec):
        out.append(f'<path d="M{_n(x + 30)},{_n(y)} V{_n(y + h)}" stroke="{stroke}" stroke-width="1.5"/>')
    else:
        out.append(f'<path d="M{_n(x)},{_n(y + 30)} H{_n(x + w)}" stroke="{stroke}" stroke-width="1.5"/>')
    out.append(_band_label(name, rec))
    return "".join(out)


def _draw_lane(rec: dict, name: str, paint) -> str:
    _, stroke, boost = paint
    x, y, w, h = rec["b"]
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="none" '
        f'stroke="{stroke}" stroke-width="{_n(1 + boost)}"/>' + _band_label(name, rec)
    )


def _draw_group(rec: dict, name: str, paint) -> str:
    _, stroke, boost = paint
    x, y, w, h = rec["b"]
    out = [
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="10" fill="none" '
        f'stroke="{stroke}" stroke-width="{_n(1.5 + boost)}" stroke-dasharray="10,4,2,4"/>'
    ]
    if name:
        if rec["label"] is not None:
            out.append(_label_in(name, rec["label"]))
        else:
            out.append(_text(_wrap(name, max(w - 20, 40), 2), x + w / 2, y + 5))
    return "".join(out)


def _draw_annotation(rec: dict, name: str, paint) -> str:
    _, stroke, boost = paint
    x, y, w, h = rec["b"]
    lines = _wrap(name, max(w - 10, 30))
    top = y + max(3.0, (h - len(lines) * LINE_H) / 2)
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{PAPER}" '
        f'fill-opacity="0"/>'
        f'<path d="M{_n(x + 15)},{_n(y)} H{_n(x)} V{_n(y + h)} H{_n(x + 15)}" fill="none" '
        f'stroke="{stroke}" stroke-width="{_n(1.5 + boost)}"/>' + _text(lines, x + 6, top, anchor="start")
    )


# --------------------------------------------------------------------------
# activities
# --------------------------------------------------------------------------


def _task_icon(kind: str, fill: str, stroke: str) -> str:
    s = f'stroke="{stroke}" stroke-width="1.2"'
    if kind == "userTask":
        return (
            f'<circle cx="9" cy="5" r="3.6" fill="{fill}" {s}/>'
            f'<path d="M2,17 C2,11.5 5,10 9,10 C13,10 16,11.5 16,17 Z" fill="{fill}" {s}/>'
        )
    if kind == "manualTask":
        return (
            f'<path d="M1,8 C2,5 4,4.5 6,4.5 H15 a1.5,1.5 0 0 1 0,3 H9.5 H17 a1.5,1.5 0 0 1 0,3 '
            f'H9.5 H16 a1.5,1.5 0 0 1 0,3 H9.5 H14 a1.5,1.5 0 0 1 0,3 H5 C2.5,16.5 1,15 1,12.5 Z" '
            f'fill="{fill}" {s}/>'
        )
    if kind == "serviceTask":
        return f'<path d="{_GEAR}" fill="{fill}" {s}/><circle cx="8" cy="8" r="2.3" fill="{fill}" {s}/>'
    if kind == "scriptTask":
        return (
            f'<path d="M4,1 H15 C12,5 12,8 14,10 C16,13 15,15 13,17 H2 C4,14 5,12 3,9 '
            f'C1,6 2,3 4,1 Z" fill="{fill}" {s}/>'
            f'<path d="M5,5 H12 M5.5,9 H12.5 M5,13 H12" fill="none" {s}/>'
        )
    if kind in ("sendTask", "receiveTask"):
        body, flap = (stroke, fill) if kind == "sendTask" else (fill, stroke)
        return (
            f'<rect x="1" y="3" width="16" height="11" fill="{body}" {s}/>'
            f'<path d="M1,3 L9,9 L17,3" fill="none" stroke="{flap}" stroke-width="1.2"/>'
        )
    if kind == "businessRuleTask":
        return (
            f'<rect x="1" y="2" width="16" height="13" fill="{fill}" {s}/>'
            f'<rect x="1" y="2" width="16" height="4" fill="{stroke}" {s}/>'
            f'<path d="M1,10.5 H17 M6,6 V15" fill="none" {s}/>'
        )
    return ""


def _bottom_markers(rec: dict, expanded: bool, fill: str, stroke: str) -> list:
    el, kind = rec["el"], rec["kind"]
    s = f'fill="none" stroke="{stroke}" stroke-width="1.5"'
    marks = []
    loop = el.find(f"{{{BPMN}}}standardLoopCharacteristics")
    multi = el.find(f"{{{BPMN}}}multiInstanceLoopCharacteristics")
    if loop is not None:
        marks.append(
            f'<path d="M4.5,12.5 A5.5,5.5 0 1 1 9.5,12.5" {s}/><path d="M9.5,12.5 L13,12.5 M9.5,12.5 L10,9" {s}/>'
        )
    elif multi is not None:
        d = "M1,3 H13 M1,7 H13 M1,11 H13" if multi.get("isSequential") == "true" else "M3,1 V13 M7,1 V13 M11,1 V13"
        marks.append(f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="2"/>')
    if el.get("isForCompensation") == "true":
        marks.append(f'<path d="M7,2 L1,7 L7,12 Z M13,2 L7,7 L13,12 Z" {s}/>')
    if kind in SUBPROCESSES and not expanded:
        marks.append(
            f'<rect x="0" y="0" width="14" height="14" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"/><path d="M3,7 H11 M7,3 V11" {s}/>'
        )
    if kind == "adHocSubProcess":
        marks.append(f'<path d="M1,8 C3,3 6,4 7,7 C8,10 11,11 13,6" {s}/>')
    return marks


def _is_expanded(rec: dict, drawn: set) -> bool:
    if rec["kind"] not in SUBPROCESSES:
        return False
    flag = rec["di"].get("isExpanded")
    if flag is not None:
        return flag.strip().lower() == "true"
    if any(isinstance(c.tag, str) and c.get("id") in drawn for c in rec["el"]):
        return True
    return rec["b"][2] > 200 and rec["b"][3] > 120


def _task_label(name: str, box, pad_top: float, pad_bottom: float) -> str:
    """Name centred in the box, kept clear of the kind icon and bottom markers."""
    x, y, w, h = box
    usable = max(1, int((h - pad_top - pad_bottom) // LINE_H))
    lines = _wrap(name, max(w - 12, 20), usable)
    block = len(lines) * LINE_H
    top = min(y + h / 2 - block / 2, y + h - pad_bottom - block)
    return _text(lines, x + w / 2, max(top, y + pad_top))


def _draw_activity(rec: dict, name: str, paint) -> str:
    fill, stroke, boost = paint
    kind, el = rec["kind"], rec["el"]
    x, y, w, h = rec["b"]
    expanded = rec["expanded"]
    width = (5.0 if kind == "callActivity" else 2.0) + boost
    dash = ' stroke-dasharray="4,3"' if el.get("triggeredByEvent") == "true" else ""
    out = [
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="10" ry="10" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(width)}"{dash}/>'
    ]
    if kind == "transaction":
        out.append(
            f'<rect x="{_n(x + 4)}" y="{_n(y + 4)}" width="{_n(max(w - 8, 0))}" '
            f'height="{_n(max(h - 8, 0))}" rx="7" ry="7" fill="none" stroke="{stroke}" '
            f'stroke-width="1.2"/>'
        )
    icon = _task_icon(kind, fill, stroke)
    if icon:
        out.append(_icon(x + 6, y + 6, icon))
    if expanded:
        out.append(_text(_wrap(name, max(w - 20, 30), 2), x + 10, y + 6, anchor="start"))
    marks = _bottom_markers(rec, expanded, fill, stroke)
    if not expanded:
        out.append(_task_label(name, rec["b"], 21 if icon else 5, 19 if marks else 5))
    total = len(marks) * 14 + (len(marks) - 1) * 4
    for i, mark in enumerate(marks):
        out.append(_icon(x + w / 2 - total / 2 + i * 18, y + h - 18, mark))
    return "".join(out)


# --------------------------------------------------------------------------
# events and gateways
# --------------------------------------------------------------------------


def _event_definitions(el, by_id: dict) -> list:
    kinds = [_local(c) for c in el if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
    for ref in el.findall(f"{{{BPMN}}}eventDefinitionRef"):
        target = by_id.get((ref.text or "").strip())
        if target is not None:
            kinds.append(_local(target))
    return kinds


def _event_marker(defs: list, parallel: bool, throw: bool, fill: str, stroke: str) -> str:
    """Marker drawn around the origin for an event of radius 18."""
    mfill = stroke if throw else fill
    s = f'stroke="{stroke}" stroke-width="1.3" stroke-linejoin="round"'
    if len(defs) > 1:
        if parallel:
            return f'<path d="{_CROSS}" fill="{fill}" {s}/>'
        return f'<polygon points="{_PENTAGON}" fill="{mfill}" {s}/>'
    kind = defs[0].replace("EventDefinition", "")
    shapes = {
        "signal": "M0,-10 L9,6 L-9,6 Z",
        "error": "M-9,9 L-4,-8 L2,2 L9,-9 L4,8 L-2,-2 Z",
        "escalation": "M0,-10 L7,9 L0,2 L-7,9 Z",
        "link": "M-9,-3.5 H2 V-8 L10,0 L2,8 V3.5 H-9 Z",
        "compensate": "M-1,-6.5 L-10,0 L-1,6.5 Z M9,-6.5 L0,0 L9,6.5 Z",
        "cancel": "M-7,-5 L-5,-7 L0,-2 L5,-7 L7,-5 L2,0 L7,5 L5,7 L0,2 L-5,7 L-7,5 L-2,0 Z",
    }
    if kind in shapes:
        return f'<path d="{shapes[kind]}" fill="{mfill}" {s}/>'
    if kind == "message":
        flap = fill if throw else stroke
        return (
            f'<rect x="-8.5" y="-6" width="17" height="12" fill="{mfill}" {s}/>'
            f'<path d="M-8.5,-6 L0,1 L8.5,-6" fill="none" stroke="{flap}" stroke-width="1.3"/>'
        )
    if kind == "timer":
        return (
            f'<circle r="11" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            f'<path d="{_TICKS} M0,0 L0,-7.5 M0,0 L5,2.5" fill="none" {s}/>'
        )
    if kind == "conditional":
        return (
            f'<rect x="-6.5" y="-8.5" width="13" height="17" fill="{fill}" {s}/>'
            f'<path d="M-4,-5 H4 M-4,-1.7 H4 M-4,1.7 H4 M-4,5 H4" fill="none" {s}/>'
        )
    if kind == "terminate":
        return f'<circle r="11" fill="{stroke}" stroke="{stroke}"/>'
    return ""


def _draw_event(rec: dict, name: str, paint, by_id: dict) -> str:
    fill, stroke, boost = paint
    el, kind = rec["el"], rec["kind"]
    x, y, w, h = rec["b"]
    cx, cy, r = x + w / 2, y + h / 2, min(w, h) / 2
    dashed = (kind == "boundaryEvent" and el.get("cancelActivity") == "false") or (
        kind == "startEvent" and el.get("isInterrupting") == "false"
    )
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    width = {"startEvent": 2.0, "endEvent": 4.0}.get(kind, 1.5) + boost
    out = [
        f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{_n(width)}"{dash}/>'
    ]
    if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        out.append(
            f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(max(r - 3.5, 1))}" fill="none" '
            f'stroke="{stroke}" stroke-width="{_n(1.5 + boost / 2)}"{dash}/>'
        )
    defs = _event_definitions(el, by_id)
    if defs:
        throw = kind in ("endEvent", "intermediateThrowEvent")
        marker = _event_marker(defs, el.get("parallelMultiple") == "true", throw, fill, stroke)
        if marker:
            out.append(f'<g transform="translate({_n(cx)} {_n(cy)}) scale({_n(r / 18)})">{marker}</g>')
    out.append(_external_label(rec, name))
    return "".join(out)


def _gateway_marker(rec: dict, fill: str, stroke: str) -> str:
    kind, el = rec["kind"], rec["el"]
    thick = f'fill="none" stroke="{stroke}" stroke-width="4" stroke-linecap="round"'
    if kind == "exclusiveGateway":
        if (rec["di"].get("isMarkerVisible") or "").lower() == "false":
            return ""
        return f'<path d="M-8,-8 L8,8 M8,-8 L-8,8" {thick}/>'
    if kind == "parallelGateway":
        return f'<path d="M0,-11 V11 M-11,0 H11" {thick}/>'
    if kind == "inclusiveGateway":
        return f'<circle r="10" fill="none" stroke="{stroke}" stroke-width="3"/>'
    if kind == "complexGateway":
        return (
            f'<path d="M0,-11 V11 M-11,0 H11 M-7.5,-7.5 L7.5,7.5 M7.5,-7.5 L-7.5,7.5" '
            f'fill="none" stroke="{stroke}" stroke-width="3" stroke-linecap="round"/>'
        )
    if kind == "eventBasedGateway":
        thin = f'fill="none" stroke="{stroke}" stroke-width="1.2"'
        out = f'<circle r="13" {thin}/>'
        if el.get("instantiate") != "true":
            out += f'<circle r="10.5" {thin}/>'
        if el.get("eventGatewayType") == "Parallel":
            return out + f'<path d="{_CROSS}" transform="scale(0.7)" {thin}/>'
        return out + f'<polygon points="{_pts(_polygon_points(0, 0, 6.5, 5))}" {thin}/>'
    return ""


def _draw_gateway(rec: dict, name: str, paint) -> str:
    fill, stroke, boost = paint
    x, y, w, h = rec["b"]
    cx, cy = x + w / 2, y + h / 2
    out = [
        f'<polygon points="{_pts([(cx, y), (x + w, cy), (cx, y + h), (x, cy)])}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(2 + boost)}" stroke-linejoin="round"/>'
    ]
    marker = _gateway_marker(rec, fill, stroke)
    if marker:
        out.append(f'<g transform="translate({_n(cx)} {_n(cy)}) scale({_n(min(w, h) / 50)})">{marker}</g>')
    out.append(_external_label(rec, name))
    return "".join(out)


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def _draw_data_object(rec: dict, name: str, paint, by_id: dict) -> str:
    fill, stroke, boost = paint
    x, y, w, h = rec["b"]
    f = min(12.0, w / 3, h / 3)
    s = f'stroke="{stroke}" stroke-width="{_n(1.5 + boost)}" stroke-linejoin="round"'
    out = [
        f'<path d="M{_n(x)},{_n(y)} H{_n(x + w - f)} L{_n(x + w)},{_n(y + f)} V{_n(y + h)} '
        f'H{_n(x)} Z" fill="{fill}" {s}/>',
        f'<path d="M{_n(x + w - f)},{_n(y)} V{_n(y + f)} H{_n(x + w)}" fill="none" {s}/>',
    ]
    kind, el = rec["kind"], rec["el"]
    if kind in ("dataInput", "dataOutput"):
        arrow = "M2,4 H8 V1 L13,6 L8,11 V8 H2 Z"
        body = f'<path d="{arrow}" fill="{stroke if kind == "dataOutput" else fill}" stroke="{stroke}"/>'
        out.append(_icon(x + 3, y + 3, body))
    target = by_id.get(el.get("dataObjectRef") or "") if kind == "dataObjectReference" else el
    if target is not None and target.get("isCollection") == "true":
        out.append(
            _icon(
                x + w / 2 - 6, y + h - 14, f'<path d="M2,0 V10 M6,0 V10 M10,0 V10" stroke="{stroke}" stroke-width="2"/>'
            )
        )
    out.append(_external_label(rec, name))
    return "".join(out)


def _draw_data_store(rec: dict, name: str, paint) -> str:
    fill, stroke, boost = paint
    x, y, w, h = rec["b"]
    rx, ry = w / 2, min(8.0, h / 6)
    s = f'stroke="{stroke}" stroke-width="{_n(1.5 + boost)}"'
    arc = f"A{_n(rx)},{_n(ry)} 0 0 0 {_n(x + w)},"
    out = [
        f'<path d="M{_n(x)},{_n(y + ry)} A{_n(rx)},{_n(ry)} 0 0 1 {_n(x + w)},{_n(y + ry)} '
        f'V{_n(y + h - ry)} A{_n(rx)},{_n(ry)} 0 0 1 {_n(x)},{_n(y + h - ry)} Z" fill="{fill}" {s}/>',
        f'<path d="M{_n(x)},{_n(y + ry)} {arc}{_n(y + ry)} M{_n(x)},{_n(y + ry + 5)} '
        f'{arc}{_n(y + ry + 5)} M{_n(x)},{_n(y + ry + 10)} {arc}{_n(y + ry + 10)}" '
        f'fill="none" {s}/>',
        _external_label(rec, name),
    ]
    return "".join(out)


def _draw_other(rec: dict, name: str, paint) -> str:
    fill, stroke, boost = paint
    x, y, w, h = rec["b"]
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="4" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{_n(1 + boost)}" stroke-dasharray="3,3"/>'
        + _centered_text(name, x + w / 2, y + h / 2, max(w - 10, 20), 3)
    )


# --------------------------------------------------------------------------
# edges
# --------------------------------------------------------------------------


def _unit(a, b):
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy)
    return (dx / d, dy / d) if d > 1e-9 else None


def _end_direction(pts: list):
    """Unit vector of the last non-degenerate segment, pointing at the end."""
    tip = pts[-1]
    for p in reversed(pts[:-1]):
        u = _unit(p, tip)
        if u:
            return u
    return None


def _arrow_points(tip, u, length: float = 11.0, half: float = 4.5):
    bx, by = tip[0] - u[0] * length, tip[1] - u[1] * length
    return [tip, (bx - u[1] * half, by + u[0] * half), (bx + u[1] * half, by - u[0] * half)]


def _midpoint(pts: list):
    segs = [(a, b, math.hypot(b[0] - a[0], b[1] - a[1])) for a, b in itertools.pairwise(pts)]
    half = sum(s[2] for s in segs) / 2
    for a, b, length in segs:
        if length >= half and length > 0:
            t = half / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), abs(b[1] - a[1]) > abs(b[0] - a[0])
        half -= length
    return pts[0], False


def _edge_label(rec: dict, name: str) -> str:
    if not name:
        return ""
    if rec["label"] is not None:
        return _label_in(name, rec["label"])
    (mx, my), vertical = _midpoint(rec["pts"])
    lines = _wrap(name, LABEL_W)
    if vertical:
        return _text(lines, mx + 6, my - len(lines) * LINE_H / 2, anchor="start")
    return _text(lines, mx, my - len(lines) * LINE_H - 3)


def _flow_decorations(rec: dict, stroke: str, by_id: dict) -> str:
    """Default-flow slash or conditional-flow diamond at the start of a sequence flow."""
    el, pts = rec["el"], rec["pts"]
    source = by_id.get(el.get("sourceRef") or "")
    u = next((v for v in (_unit(pts[0], p) for p in pts[1:]) if v), None)
    if source is None or u is None:
        return ""
    p0 = pts[0]
    if source.get("default") == rec["id"]:
        qx, qy = p0[0] + u[0] * 12, p0[1] + u[1] * 12
        vx, vy = (u[0] + u[1]) * 0.707, (u[1] - u[0]) * 0.707
        return (
            f'<path d="M{_n(qx - vx * 6)},{_n(qy - vy * 6)} L{_n(qx + vx * 6)},{_n(qy + vy * 6)}" '
            f'stroke="{stroke}" stroke-width="1.5"/>'
        )
    has_condition = el.find(f"{{{BPMN}}}conditionExpression") is not None
    if has_condition and _local(source) in ACTIVITIES:
        nx, ny = -u[1], u[0]
        diamond = [
            p0,
            (p0[0] + u[0] * 8 + nx * 5, p0[1] + u[1] * 8 + ny * 5),
            (p0[0] + u[0] * 16, p0[1] + u[1] * 16),
            (p0[0] + u[0] * 8 - nx * 5, p0[1] + u[1] * 8 - ny * 5),
        ]
        return f'<polygon points="{_pts(diamond)}" fill="{PAPER}" stroke="{stroke}" stroke-width="1.2"/>'
    return ""


def _draw_edge(rec: dict, name: str, taken: bool, by_id: dict) -> str:
    kind, el, pts = rec["kind"], rec["el"], list(rec["pts"])
    stroke = TAKEN_STROKE if taken else INK
    width = 3.0 if taken else 1.5
    u = _end_direction(pts)
    out = [f'<polyline points="{_pts(pts)}" fill="none" stroke="{PAPER}" stroke-opacity="0" stroke-width="10"/>']
    line = f'fill="none" stroke="{stroke}" stroke-width="{_n(width)}" stroke-linejoin="round"'
    if kind == "sequenceFlow":
        shown = [*pts[:-1], (pts[-1][0] - u[0] * 8, pts[-1][1] - u[1] * 8)] if u else pts
        out.append(f'<polyline points="{_pts(shown)}" {line}/>')
        if u:
            out.append(
                f'<polygon points="{_pts(_arrow_points(pts[-1], u))}" fill="{stroke}" '
                f'stroke="{stroke}" stroke-width="1" stroke-linejoin="round"/>'
            )
        out.append(_flow_decorations(rec, stroke, by_id))
    elif kind == "messageFlow":
        out.append(f'<polyline points="{_pts(pts)}" {line} stroke-dasharray="8,5"/>')
        out.append(
            f'<circle cx="{_n(pts[0][0])}" cy="{_n(pts[0][1])}" r="4.5" fill="{PAPER}" '
            f'stroke="{stroke}" stroke-width="1.5"/>'
        )
        if u:
            out.append(
                f'<polygon points="{_pts(_arrow_points(pts[-1], u))}" fill="{PAPER}" '
                f'stroke="{stroke}" stroke-width="1.5" stroke-linejoin="round"/>'
            )
    else:
        out.append(f'<polyline points="{_pts(pts)}" {line} stroke-dasharray="2,4" stroke-linecap="round"/>')
        direction = el.get("associationDirection", "One" if "Association" in kind else "None")
        ends = []
        if direction in ("One", "Both") and u:
            ends.append((pts[-1], u))
        start_u = _end_direction(pts[::-1])
        if direction == "Both" and start_u:
            ends.append((pts[0], start_u))
        for tip, v in ends:
            a = _arrow_points(tip, v, 10, 5)
            out.append(
                f'<polyline points="{_pts([a[1], a[0], a[2]])}" fill="none" stroke="{stroke}" stroke-width="1.5"/>'
            )
    out.append(_edge_label(rec, name))
    return "".join(out)


def _edge_classes(kind: str) -> list:
    return {
        "sequenceFlow": ["bpmn-flow", "bpmn-sequence-flow"],
        "messageFlow": ["bpmn-flow", "bpmn-message-flow"],
        "association": ["bpmn-association"],
        "dataInputAssociation": ["bpmn-association", "bpmn-data-association"],
        "dataOutputAssociation": ["bpmn-association", "bpmn-data-association"],
    }.get(kind, ["bpmn-connection"])


# --------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------


def _shape_classes(rec: dict) -> list:
    kind = rec["kind"]
    if kind in TASKS:
        return ["bpmn-task"]
    if kind in SUBPROCESSES:
        return ["bpmn-task", "bpmn-subprocess"]
    if kind == "callActivity":
        return ["bpmn-task", "bpmn-call-activity"]
    if kind in EVENTS:
        return ["bpmn-event"]
    if kind in GATEWAYS:
        return ["bpmn-gateway"]
    if kind in DATA_OBJECTS or kind == "dataStoreReference":
        return ["bpmn-data"]
    return {
        "participant": ["bpmn-pool"],
        "lane": ["bpmn-lane"],
        "textAnnotation": ["bpmn-annotation"],
        "group": ["bpmn-group"],
    }.get(kind, ["bpmn-other"])


def _draw_shape_body(rec: dict, name: str, paint, by_id: dict) -> str:
    kind = rec["kind"]
    if kind in ACTIVITIES:
        return _draw_activity(rec, name, paint)
    if kind in EVENTS:
        return _draw_event(rec, name, paint, by_id)
    if kind in GATEWAYS:
        return _draw_gateway(rec, name, paint)
    if kind in DATA_OBJECTS:
        return _draw_data_object(rec, name, paint, by_id)
    simple = {
        "participant": _draw_pool,
        "lane": _draw_lane,
        "group": _draw_group,
        "textAnnotation": _draw_annotation,
        "dataStoreReference": _draw_data_store,
    }
    return simple.get(kind, _draw_other)(rec, name, paint)


def _draw_shape(rec: dict, by_id: dict, completed: set, active: set) -> str:
    bid = rec["id"]
    classes = _shape_classes(rec)
    paint = NORMAL
    if bid in completed:
        classes.append("is-completed")
        paint = COMPLETED
    if bid in active:
        classes.append("is-active")
        paint = ACTIVE
    name = _display_name(rec["el"], rec["kind"], by_id)
    return _open_group(bid, classes, rec["kind"], name) + _draw_shape_body(rec, name, paint, by_id) + "</g>"


def _layer(rec: dict):
    kind = rec["kind"]
    if kind == "participant":
        return (0, 0.0)
    if kind == "lane":
        return (1, 0.0)
    if rec["expanded"]:
        return (2, -rec["b"][2] * rec["b"][3])
    if kind in ACTIVITIES:
        return (4, 0.0)
    if kind == "boundaryEvent":
        return (6, 0.0)
    if kind == "group":
        return (7, 0.0)
    return (5, 0.0)


def _extent(shapes: list, edges: list):
    xs, ys = [], []
    for rec in shapes:
        x, y, w, h = rec["b"]
        xs += [x, x + w]
        ys += [y, y + h]
        if (
            rec["kind"] in EVENTS | GATEWAYS | DATA_OBJECTS | {"dataStoreReference"}
            and rec["label"] is None
            and _name(rec["el"])
        ):
            xs += [x + w / 2 - LABEL_W / 2, x + w / 2 + LABEL_W / 2]
            ys.append(y + h + 4 + 2 * LINE_H)
    for rec in edges:
        xs += [p[0] for p in rec["pts"]]
        ys += [p[1] for p in rec["pts"]]
    for rec in shapes + edges:
        if rec["label"] is not None:
            x, y, w, h = rec["label"]
            xs += [x, x + w]
            ys += [y, y + h]
    return min(xs) - MARGIN, min(ys) - MARGIN, max(xs) + MARGIN, max(ys) + MARGIN


def _doc_title(plane, by_id: dict, lang_title: str | None) -> str:
    if lang_title:
        return lang_title
    target = by_id.get(plane.get("bpmnElement") or "")
    if target is not None:
        if _name(target):
            return _name(target)
        names = [_name(by_id.get(p.get("processRef") or "")) or _name(p) for p in target.iter(f"{{{BPMN}}}participant")]
        names = [n for n in names if n]
        if names:
            return " / ".join(names)
        return target.get("id") or "BPMN"
    return "BPMN"


def render_svg(
    bpmn_xml: bytes | str,
    *,
    completed: Iterable[str] = (),
    active: Iterable[str] = (),
    taken_flows: Iterable[str] = (),
    process_id: str | None = None,
    lang_title: str | None = None,
    label=None,
) -> str:
    """Render the BPMN DI of ``bpmn_xml`` to a standalone SVG document string.

    ``completed`` and ``active`` are ids of flow nodes to style as done and as
    current (``is-completed`` / ``is-active``; active wins visually when an id is
    in both), ``taken_flows`` are ids of sequence flows to highlight
    (``is-taken``).  ``process_id`` picks the BPMNPlane of that process, or of
    the collaboration that has a participant for it; without it (or when no
    plane matches) the first plane is drawn.  ``lang_title`` is the document
    title (already translated by the caller); it defaults to the name of the
    drawn process or collaboration.

    ``label`` (optional) maps every element name to the text drawn: a lane's group id to the group's name,
    a task's name to the UI language.

    Raises :class:`DiagramError` for malformed XML, a DOCTYPE, or missing DI.
    """
    root = _parse(bpmn_xml)
    by_id = _relabel(_index(root), label)
    plane = _select_plane(root, by_id, process_id)
    return _render_plane(plane, by_id, completed, active, taken_flows, lang_title)


def _relabel(by_id: dict, label) -> dict:
    """Every element's name through ``label`` (the parsed tree is the caller's own copy)."""
    if label is not None:
        for el in by_id.values():
            if el.get("name"):
                el.set("name", label(el.get("name")))
    return by_id


def render_svgs(
    bpmn_xml: bytes | str,
    *,
    completed: Iterable[str] = (),
    active: Iterable[str] = (),
    taken_flows: Iterable[str] = (),
    process_id: str | None = None,
    lang_title: str | None = None,
    label=None,
) -> list[str]:
    """The process's own plane (as :func:`render_svg`) followed by the plane of each of its sub-processes (a
    collapsed sub-process drawn on a diagram of its own) and called processes, each a standalone SVG. A plane
    with nothing to draw is left out; the first one must be drawable (DiagramError otherwise). ``label`` as in
    :func:`render_svg`."""
    root = _parse(bpmn_xml)
    by_id = _relabel(_index(root), label)
    plane = _select_plane(root, by_id, process_id)
    svgs = [_render_plane(plane, by_id, completed, active, taken_flows, lang_title)]
    for sub in _sub_planes(root, by_id, plane, process_id):
        try:
            svgs.append(_render_plane(sub, by_id, completed, active, taken_flows, None))
        except DiagramError:
            continue
    return svgs


def _render_plane(plane, by_id: dict, completed, active, taken_flows, lang_title) -> str:
    shapes, edges = _collect(plane, by_id)
    if not shapes and not edges:
        raise DiagramError("the BPMN diagram has no shapes or edges with bounds; nothing to draw")
    done, current, taken = _as_set(completed), _as_set(active), _as_set(taken_flows)
    drawn = {rec["id"] for rec in shapes}
    for rec in shapes:
        rec["expanded"] = _is_expanded(rec, drawn)

    ordered = sorted(shapes, key=_layer)
    below = [s for s in ordered if _layer(s)[0] < 3]
    above = [s for s in ordered if _layer(s)[0] > 3]
    x0, y0, x1, y1 = _extent(shapes, edges)
    width, height = x1 - x0, y1 - y0
    title = _doc_title(plane, by_id, lang_title)

    out = [
        f'<svg xmlns="{SVG_NS}" version="1.1" class="bpmn-diagram" '
        f'viewBox="{_n(x0)} {_n(y0)} {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-label="{_esc(title)}">',
        f"<title>{_esc(title)}</title>",
        "<style>g.bpmn-task,g.bpmn-event,g.bpmn-gateway,g.bpmn-flow{cursor:default}</style>",
        f'<rect class="bpmn-background" x="{_n(x0)}" y="{_n(y0)}" width="{_n(width)}" '
        f'height="{_n(height)}" fill="{PAPER}"/>',
    ]
    out += [_draw_shape(rec, by_id, done, current) for rec in below]
    for rec in edges:
        is_taken = rec["id"] in taken
        classes = _edge_classes(rec["kind"]) + (["is-taken"] if is_taken else [])
        name = _name(rec["el"])
        out.append(_open_group(rec["id"], classes, rec["kind"], name) + _draw_edge(rec, name, is_taken, by_id) + "</g>")
    out += [_draw_shape(rec, by_id, done, current) for rec in above]
    out.append("</svg>")
    return "\n".join(out)


def flow_map(bpmn_xml: bytes | str) -> dict[tuple[str, str], str]:
    """Map ``(sourceRef, targetRef)`` to the sequenceFlow id, for every sequence
    flow in the document (all processes).  When two flows join the same pair of
    nodes the first one in document order wins.  Raises :class:`DiagramError`
    for malformed XML or a DOCTYPE; DI is not needed."""
    root = _parse(bpmn_xml)
    result: dict[tuple[str, str], str] = {}
    for flow in root.iter(f"{{{BPMN}}}sequenceFlow"):
        source, target, ident = flow.get("sourceRef"), flow.get("targetRef"), flow.get("id")
        if source and target and ident:
            result.setdefault((source, target), ident)
    return result


def element_names(bpmn_xml: bytes | str) -> dict[str, str]:
    """The names of the BPMN elements by id (elements without a name are left out): the audit history names
    the steps a case passed, never their ids."""
    by_id = _index(_parse(bpmn_xml))
    return {ident: name for ident, el in by_id.items() if (name := _name(el))}
