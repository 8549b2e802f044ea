"""Drawing the edges: sequence and message flows, associations, their arrows and labels."""

from __future__ import annotations

import itertools
import math

from .di import ACTIVITIES, BPMN, _local
from .svg import INK, LABEL_W, LINE_H, PAPER, TAKEN_STROKE, _label_in, _n, _pts, _text, _wrap


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
