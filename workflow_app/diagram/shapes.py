"""Drawing the shapes: pools, lanes, groups, annotations, activities, events, gateways and data."""

from __future__ import annotations

from .di import BPMN, SUBPROCESSES, _local
from .svg import (
    _CROSS,
    _GEAR,
    _PENTAGON,
    _TICKS,
    LINE_H,
    PAPER,
    _centered_text,
    _external_label,
    _icon,
    _label_in,
    _n,
    _polygon_points,
    _pts,
    _text,
    _wrap,
)


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
