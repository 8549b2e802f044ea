"""Assembly: one plane (or every plane of a process) as a standalone SVG, and the flow map of a file."""

from __future__ import annotations

from collections.abc import Iterable

from .di import (
    ACTIVITIES,
    BPMN,
    DATA_OBJECTS,
    EVENTS,
    GATEWAYS,
    SUBPROCESSES,
    SVG_NS,
    TASKS,
    DiagramError,
    _as_set,
    _collect,
    _display_name,
    _index,
    _name,
    _parse,
    _select_plane,
    _sub_planes,
)
from .edges import _draw_edge, _edge_classes
from .shapes import (
    _draw_activity,
    _draw_annotation,
    _draw_data_object,
    _draw_data_store,
    _draw_event,
    _draw_gateway,
    _draw_group,
    _draw_lane,
    _draw_other,
    _draw_pool,
    _is_expanded,
)
from .svg import ACTIVE, COMPLETED, LABEL_W, LINE_H, MARGIN, NORMAL, PAPER, _esc, _n, _open_group


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
