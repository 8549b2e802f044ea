"""The deploy-time checks of one element's content: expressions and conditions (``${…}`` JUEL rewritten), a user
task's metadata (group, form, due days, Camunda attributes), and Camunda constructs we do not support."""

import re

from . import scripting
from .problems import WARNING, name_of
from .timing import iso_timer_value
from .vocabulary import (
    CAMUNDA_ELEMENTS,
    CAMUNDA_KNOWN_ELEMENTS,
    CAMUNDA_METADATA,
    CAMUNDA_NO_EFFECT,
    CAMUNDA_PROCESS_ATTRS,
    CAMUNDA_TASK_ATTRS,
    CAMUNDA_UNSUPPORTED,
    COLLEGIAL_BODIES,
    FLOW_NODES,
    FORM_KEY,
    NUMERIC_PROPERTIES,
    TASK_PROPERTIES,
    B,
    C,
    S,
    _documentation,
    _juel_inside,
    _local,
    _Problems,
    _properties,
    _split,
)

_JUEL_OPERATORS = {"&&": "and", "||": "or", "!=": None, " eq ": "==", " ne ": "!=", " lt ": "<", " gt ": ">"}
_JUEL_CALL = re.compile(r"[A-Za-z_][\w]*\s*\.\s*[A-Za-z_]\w*\s*\(")


def _check_expression(el, where: str | None, source: str, mode: str, out: _Problems) -> bool:
    """``where`` None: the condition of the sequence flow ``el``."""
    try:
        scripting.check(source, mode)
    except scripting.UnsafeScript as exc:
        if where is None:
            out.add(
                "condition", el, source=el.get("sourceRef") or "", target=el.get("targetRef") or "", detail=str(exc)
            )
        else:
            out.add("expression", el, where=where, detail=str(exc))
        return False
    return True


def _check_condition(el, expr_el, where: str | None, out: _Problems) -> None:
    text = expr_el.text or ""
    inside = _juel_inside(text)
    if inside is None and text.strip().startswith("="):
        out.add("feel", el, expression=text.strip())
        return
    if inside is None:
        _check_expression(el, where, text, "eval", out)
        return
    if _JUEL_CALL.search(inside):
        out.add("juel-method", el, expression=text.strip())
        return
    for op, replacement in (("&&", "and"), ("||", "or")):
        if op in inside:
            out.add("juel-operator", el, expression=text.strip(), operator=op, replacement=replacement)
            return
    if re.search(r"(^|[^=!<>])!(?!=)", inside):
        out.add("juel-operator", el, expression=text.strip(), operator="!", replacement="not")
        return
    if _check_expression(el, where, inside, "eval", out):
        expr_el.text = inside  # what SpiffWorkflow evaluates (the stored file keeps ${…})


def _check_expressions(process, out: _Problems) -> None:
    for flow in process.iter(B + "sequenceFlow"):
        cond = flow.find(B + "conditionExpression")
        if cond is not None:
            _check_condition(flow, cond, None, out)
    for el in process.iter(B + "scriptTask"):
        script = el.find(B + "script")
        if script is not None and (script.text or "").strip():
            _check_expression(el, "script", script.text, "exec", out)
    for tag, mode in (("preScript", "exec"), ("postScript", "exec")):
        for script in process.iter(S + tag):
            owner = script.getparent().getparent()
            if (script.text or "").strip():
                _check_expression(owner, tag, script.text, mode, out)
    for param in process.iter(S + "parameter"):
        owner = next((a for a in param.iterancestors() if _local(a) in FLOW_NODES), None)
        if (param.get("value") or "").strip():
            _check_expression(owner, f"parameter {param.get('id') or ''}".strip(), param.get("value"), "eval", out)
    for tag in ("loopCardinality", "completionCondition"):
        for expr in process.iter(B + tag):
            owner = next((a for a in expr.iterancestors() if _local(a) in FLOW_NODES), None)
            if (expr.text or "").strip():
                _check_condition(owner, expr, tag, out)
    for cond in process.iter(B + "conditionalEventDefinition"):
        expr = cond.find(B + "condition")
        owner = cond.getparent()
        if expr is not None and (expr.text or "").strip():
            _check_condition(owner, expr, "condition", out)


def due_value(value: str):
    """('duration'|'date'|'expression', text) for a Camunda dueDate/followUpDate; raises ValueError if invalid."""
    text = value.strip()
    inside = _juel_inside(text)
    source = inside if inside is not None else text
    if iso_timer_value("timeDuration", source) is not None:
        return "duration", source
    if iso_timer_value("timeDate", source) is not None:
        return "date", source
    if _JUEL_CALL.search(source):
        raise ValueError("a JUEL method call")
    try:
        scripting.check(source, "eval")
    except scripting.UnsafeScript as exc:
        raise ValueError(str(exc)) from None
    return "expression", source


def _user_task_meta(el, lanes: dict, out: _Problems) -> dict:
    bpmn_id = el.get("id")
    props = _properties(el)
    lane = lanes.get(bpmn_id)
    meta: dict = {"name": name_of(el) or bpmn_id, "lane": lane, "line": el.sourceline}
    groups = _split(el.get(C + "candidateGroups"))
    users = _split(el.get(C + "candidateUsers")) + _split(el.get(C + "assignee"))
    if len(groups) > 1:
        out.add("several-groups", el, groups=", ".join(groups))
    group = groups[0] if groups else lane
    if group:
        meta["group"] = group
    if users:
        meta["candidateUsers"] = users
    if group and users:
        out.add(
            "camunda-ignored",
            el,
            severity=WARNING,
            construct="candidateUsers beside a candidate group",
            advice="The task goes to the group; name one candidate user and no group to assign it to that user.",
        )
    if not group and not users:
        out.add("no-group", el)
    elif not group and len(users) > 1:
        out.add("several-users", el, users=", ".join(users))
    form_key = (el.get(C + "formKey") or props.get("formKey") or "").strip()
    if form_key:
        if FORM_KEY.match(form_key):
            meta["formKey"] = form_key
        else:
            out.add("form-key", el, value=form_key)
    for prop, (least, greatest) in NUMERIC_PROPERTIES.items():
        if props.get(prop) in (None, ""):
            continue
        value = props[prop].strip()
        if not re.fullmatch(r"-?\d{1,12}", value):
            out.add("whole-number", el, property=prop, value=value[:40])
        elif int(value) < 0:
            out.add("negative", el, property=prop, value=value)
        elif int(value) > greatest or int(value) < least:
            out.add("out-of-range", el, property=prop, value=value, least=str(least), greatest=str(greatest))
        else:
            meta[prop] = int(value)
    for attr, key in (("dueDate", "dueDate"), ("followUpDate", "followUpDate")):
        raw = el.get(C + attr)
        if raw is None or not raw.strip():
            continue
        try:
            meta[key] = list(due_value(raw))
        except ValueError as exc:
            out.add("due-date", el, property=attr, value=raw.strip(), detail=str(exc))
    if props.get("orgScope"):
        scope = props["orgScope"].strip()
        if scope not in ("initiator", "recipient"):
            out.add("org-scope", el, value=props["orgScope"])
        elif scope == "recipient" and el.find(f"{B}multiInstanceLoopCharacteristics/{B}inputDataItem") is None:
            out.add("org-scope-recipient", el)  # one task per item of a list, each for the item's organisation
        else:
            meta["orgScope"] = scope
    if props.get("groupFrom"):
        if not props["groupFrom"].strip().isidentifier():
            out.add("group-from", el, value=props["groupFrom"])
        else:
            meta["groupFrom"] = props["groupFrom"].strip()  # the process variable holding the candidate group
    if props.get("distinctFrom"):
        meta["distinctFrom"] = _split(props["distinctFrom"])
    if props.get("collegialBody"):
        if props["collegialBody"].strip() not in COLLEGIAL_BODIES:
            out.add("collegial-body", el, value=props["collegialBody"], known=", ".join(COLLEGIAL_BODIES))
        else:
            meta["collegialBody"] = props["collegialBody"].strip()
    extra = {k: v for k, v in props.items() if k not in TASK_PROPERTIES}
    if extra:
        meta["properties"] = extra
    instructions = el.find(f"{B}extensionElements/{S}instructionsForEndUser")
    if instructions is not None and (instructions.text or "").strip():
        meta["instructions"] = instructions.text.strip()
    if _documentation(el):
        meta["documentation"] = _documentation(el)
    return meta


def _check_camunda(process, out: _Problems) -> None:
    for el in process.iter():
        if not isinstance(el.tag, str):
            continue
        owner = el if _local(el) in FLOW_NODES | {"process", "sequenceFlow"} else None
        for attr, value in el.attrib.items():
            if not attr.startswith(C):
                continue
            name = attr[len(C) :]
            if (name in CAMUNDA_TASK_ATTRS and _local(el) in {"userTask", "manualTask"}) or (
                name in CAMUNDA_PROCESS_ATTRS | CAMUNDA_METADATA and _local(el) == "process"
            ):
                continue
            if name == "formKey" and _local(el) == "startEvent":
                continue  # the start form (parsing._start_form)
            if name in CAMUNDA_NO_EFFECT:
                out.add(
                    "camunda-ignored",
                    owner if owner is not None else el,
                    severity=WARNING,
                    construct=f"camunda:{name}",
                    advice=CAMUNDA_NO_EFFECT[name],
                )
            else:
                construct, advice = CAMUNDA_UNSUPPORTED.get(
                    name, (f"camunda:{name}", "Remove the attribute; docs/modelling.md lists what is supported.")
                )
                if name == "type" and value == "external":
                    construct = 'an external task (camunda:type="external")'
                target = (
                    owner if owner is not None else next((a for a in el.iterancestors() if _local(a) in FLOW_NODES), el)
                )
                out.add("camunda-unsupported", target, construct=construct, advice=advice)
        if el.tag.startswith(C):
            name = el.tag[len(C) :]
            if name in CAMUNDA_KNOWN_ELEMENTS:
                continue
            if any(a.tag.startswith(C) and a.tag[len(C) :] in CAMUNDA_ELEMENTS for a in el.iterancestors()):
                continue  # named with its enclosing construct
            construct, advice = CAMUNDA_ELEMENTS.get(
                name, (f"camunda:{name}", "Remove the element; docs/modelling.md lists what is supported.")
            )
            target = next((a for a in el.iterancestors() if _local(a) in FLOW_NODES | {"process", "sequenceFlow"}), el)
            out.add("camunda-unsupported", target, line=el.sourceline, construct=construct, advice=advice)


def _check_camunda_elsewhere(root, processes, out: _Problems) -> None:
    """Camunda attributes outside executable processes (collaboration, messages) are of no effect: warnings."""
    inside: set = set()
    for p in processes:
        inside.update(id(e) for e in p.iter())
    for el in root.iter():
        if not isinstance(el.tag, str) or id(el) in inside or el.tag.startswith(C):
            continue
        for attr in el.attrib:
            if attr.startswith(C) and attr[len(C) :] not in ("historyTimeToLive", "versionTag"):
                out.add(
                    "camunda-ignored",
                    el,
                    severity=WARNING,
                    construct=f"camunda:{attr[len(C) :]}",
                    advice="It is outside an executable process; the attribute can stay.",
                )
