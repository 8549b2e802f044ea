"""Parse and completely validate a BPMN file at deploy time, collecting every problem at once.

``check_bpmn`` reads the file safely (no DOCTYPE: no XXE, no entity bombs; at most 2 MiB), checks it against the
BPMN XSD (every schema error, with its line), then checks each executable process at the XML level so that one
answer lists all problems: unsupported elements, dangling flows, exclusive-gateway flows without a condition,
every embedded expression against the safe script allow-list, timers (an ISO 8601 date, duration or cycle is a
literal, anything else an expression; both checked), our extension properties and Camunda Modeler's attributes
(``candidateGroups``, ``candidateUsers``, ``formKey``, ``dueDate``/``followUpDate``,
``candidateStarterGroups``/``candidateStarterUsers``, ``${…}`` conditions; every unsupported Camunda construct
is named), and the diagram's references (warnings). Only then is each process handed to SpiffWorkflow, whose own
refusal, if any, becomes one more problem (SpiffWorkflow parses lazily and stops at the first error).
Literal timers and ``${…}`` conditions are rewritten in the parsed tree (never in the stored file) into the
expressions SpiffWorkflow evaluates. ``parse_bpmn`` raises ``InvalidModel`` with all problems when any is an error.
"""

import ast
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import clock, scripting
from .errors import InvalidModel
from .problems import ERROR, WARNING, Problem, name_of, plain

MAX_BPMN_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"  # Camunda 7 reads its predecessor's namespace too
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"  # Camunda 8
B, S, C = f"{{{BPMN_NS}}}", f"{{{SPIFF_NS}}}", f"{{{CAMUNDA_NS}}}"
COLLEGIAL_BODIES = ("coordination_council", "expert_council", "working_group")
TASK_PROPERTIES = ("formKey", "dueWorkingDays", "orgScope", "distinctFrom", "collegialBody", "groupFrom")
# every numeric extension property and its range (checked at deploy: a huge value costs CPU at every start)
NUMERIC_PROPERTIES = {"dueWorkingDays": (0, 730)}
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{1,100}$")

FLOW_NODES = {
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
    "adHocSubProcess",
    "transaction",
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
SUPPORTED = {
    t.split("}", 1)[1] for t in (set(SpiffBpmnParser.PARSER_CLASSES) | set(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES))
} - {"businessRuleTask"}  # decision tables (DMN) are not deployed with a model
TIMER_KINDS = {
    "timeDate": ("date", "2027-03-01T09:00:00+07:00"),
    "timeDuration": ("duration", "P7D"),
    "timeCycle": ("cycle", "R6/P1D"),
}

# Camunda 7 attributes: what each one means here (docs/modelling.md has the table)
CAMUNDA_TASK_ATTRS = {"candidateGroups", "candidateUsers", "formKey", "dueDate", "followUpDate", "assignee"}
CAMUNDA_PROCESS_ATTRS = {"candidateStarterGroups", "candidateStarterUsers"}
CAMUNDA_METADATA = {"historyTimeToLive", "versionTag"}  # Camunda Modeler writes them by default: accepted quietly
CAMUNDA_NO_EFFECT = {
    "historyTimeToLive": "History is kept by the audit log; the attribute can stay.",
    "versionTag": "Versions are numbered at deploy; the attribute can stay.",
    "isStartableInTasklist": "Who may start is set by candidateStarterGroups or the start event's lane.",
    "priority": "Tasks are ordered by due date; the attribute can stay.",
    "asyncBefore": "Each command runs in one transaction; the attribute can stay.",
    "asyncAfter": "Each command runs in one transaction; the attribute can stay.",
    "exclusive": "Each command runs in one transaction; the attribute can stay.",
    "jobPriority": "The attribute can stay.",
    "taskPriority": "The attribute can stay.",
    "formHandlerClass": "Forms are JSON files in forms/; remove the attribute.",
}
CAMUNDA_UNSUPPORTED = {
    "class": ("a Java delegate class (camunda:class)", "Call a registered service operation instead."),
    "delegateExpression": (
        "a delegate expression (camunda:delegateExpression)",
        "Call a registered service operation instead.",
    ),
    "expression": ("an expression implementation (camunda:expression)", "Call a registered service operation instead."),
    "type": ("an external task or connector type (camunda:type)", "Call a registered service operation instead."),
    "topic": ("an external task topic (camunda:topic)", "Call a registered service operation instead."),
    "resultVariable": ("camunda:resultVariable", "Name the result in the service operation instead."),
    "formRef": ("a Camunda Form reference (camunda:formRef)", "Use formKey with a form of forms/."),
    "formRefBinding": ("a Camunda Form reference (camunda:formRefBinding)", "Use formKey with a form of forms/."),
    "formRefVersion": ("a Camunda Form reference (camunda:formRefVersion)", "Use formKey with a form of forms/."),
    "calledElementBinding": ("camunda:calledElementBinding", "Call activities call a process of the same file."),
    "calledElementVersion": ("camunda:calledElementVersion", "Call activities call a process of the same file."),
    "calledElementVersionTag": ("camunda:calledElementVersionTag", "Call activities call a process of the same file."),
    "calledElementTenantId": ("camunda:calledElementTenantId", "Call activities call a process of the same file."),
    "caseRef": ("a CMMN case reference (camunda:caseRef)", "Use a call activity to a process of the same file."),
    "decisionRef": ("a DMN decision reference (camunda:decisionRef)", "Use an exclusive gateway with conditions."),
    "initiator": ("camunda:initiator", "The initiator is recorded with every case; remove the attribute."),
    "errorCodeVariable": ("camunda:errorCodeVariable", "Remove the attribute."),
    "errorMessageVariable": ("camunda:errorMessageVariable", "Remove the attribute."),
    "escalationCodeVariable": ("camunda:escalationCodeVariable", "Remove the attribute."),
    "variableName": ("camunda:variableName", "Remove the attribute."),
    "variableEvents": ("camunda:variableEvents", "Remove the attribute."),
    "collection": ("a multi-instance collection (camunda:collection)", "Use loopCardinality instead."),
    "elementVariable": ("a multi-instance element variable (camunda:elementVariable)", "Use loopCardinality."),
    "resource": ("an external script resource (camunda:resource)", "Write the script inline."),
    "async": ("camunda:async", "Remove the attribute."),
}
CAMUNDA_ELEMENTS = {
    "executionListener": ("an execution listener (camunda:executionListener)", "Use a service task in the flow."),
    "taskListener": ("a task listener (camunda:taskListener)", "Use a service task after the user task."),
    "connector": ("a connector (camunda:connector)", "Call a registered service operation instead."),
    "inputOutput": ("input/output mappings (camunda:inputOutput)", "Map the data in a form or a script task."),
    "in": ("call activity variable mappings (camunda:in)", "The called process sees all variables."),
    "out": ("call activity variable mappings (camunda:out)", "The called process returns all variables."),
    "formData": ("generated task forms (camunda:formData)", "Describe the form as JSON in forms/ and set formKey."),
    "field": ("delegate field injection (camunda:field)", "Pass parameters to a service operation instead."),
    "failedJobRetryTimeCycle": ("job retries (camunda:failedJobRetryTimeCycle)", "Remove the element."),
    "script": ("a listener or connector script (camunda:script)", "Use a script task."),
}
CAMUNDA_KNOWN_ELEMENTS = {"properties", "property"}  # camunda:properties are read like spiffworkflow:properties

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    meta: dict


@dataclass
class ParsedFile:
    file_name: str
    content_hash: str
    xml: str
    processes: list[ParsedProcess] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    metas: dict = field(default_factory=dict)  # process id -> meta, also when the file has errors

    def form_keys(self) -> set[str]:
        return {key for p in self.processes for key in process_form_keys(p.meta)}

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]


def process_form_keys(meta: dict) -> set[str]:
    """The forms a process uses: its user tasks' and its start form (``meta["start_form"]``)."""
    keys = {t["formKey"] for t in meta["user_tasks"].values() if t.get("formKey")}
    if meta.get("start_form"):
        keys.add(meta["start_form"]["formKey"])
    return keys


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class _Problems:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.items: list[Problem] = []

    def add(self, rule, el=None, *, severity=ERROR, element=None, line=None, name=None, **params):
        if el is not None:
            element = element or el.get("id")
            name = name or name_of(el)
            line = line or el.sourceline
        params = {k: plain(v) if isinstance(v, str) else v for k, v in params.items()}
        self.items.append(Problem(rule, params, element, name, line, severity, self.file_name))

    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.items)

    def elements(self) -> set:
        return {p.element for p in self.items if p.element}


def read_xml(content: bytes, file_name: str = ""):
    """Parse XML safely; refuses DOCTYPEs and oversized files (InvalidModel with the one problem)."""
    out = _Problems(file_name)
    root = _read(content, out)
    if root is None:
        raise InvalidModel(problems=out.items, file_name=file_name)
    return root


def _read(content: bytes, out: _Problems):
    if len(content) > MAX_BPMN_BYTES:
        out.add("file-too-large", limit=str(MAX_BPMN_BYTES // 1024))
        return None
    text = _scannable(content).upper()
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        out.add("doctype")
        return None
    try:
        root = etree.fromstring(content, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        out.add("xml-syntax", line=exc.lineno or None, detail=exc.msg or "unreadable")
        return None
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        out.add("doctype")
        return None
    return root


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _scannable(content: bytes) -> str:
    """The file as text for the DOCTYPE scan, whatever its encoding (UTF-8/16/32, Latin-1, ...)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content.decode(encoding, errors="replace")
    return content.decode("latin-1")  # every ASCII-compatible encoding keeps "<!DOCTYPE" as it is


def utf8_xml(content: bytes, root) -> str:
    """The stored text of a model: the file itself when it is UTF-8, else the parsed document in UTF-8
    (UTF-16/32 or Latin-1 files with their XML declaration are as valid as UTF-8 ones)."""
    declared = (root.getroottree().docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if declared in ("UTF-8", "UTF8") and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True).decode("utf-8")


def parse_bpmn(content: bytes, file_name: str) -> ParsedFile:
    """Check the file (``check_bpmn``); raise InvalidModel with every problem when any is an error."""
    parsed = check_bpmn(content, file_name)
    if parsed.errors:
        raise InvalidModel(problems=parsed.problems, file_name=file_name)
    return parsed


def check_bpmn(content: bytes, file_name: str) -> ParsedFile:
    """Every problem of the file (errors and warnings) and, when there is no error, its parsed processes."""
    out = _Problems(file_name)
    parsed = ParsedFile(file_name=file_name, content_hash=content_hash(content), xml="", problems=out.items)
    root = _read(content, out)
    if root is None:
        return parsed
    parsed.xml = utf8_xml(content, root)
    if root.tag != B + "definitions":
        out.add(
            "not-bpmn", line=root.sourceline, root=etree.QName(root).localname if isinstance(root.tag, str) else "?"
        )
        return parsed
    _activiti_as_camunda(root)
    schema_ok = _check_schema(root, out)
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    processes = [p for p in root.iter(B + "process") if p.get("isExecutable", "true").strip().lower() != "false"]
    if not processes:
        out.add("no-executable-process", line=root.sourceline)
        return parsed
    for store in root.iter(B + "dataStore"):
        out.add("unsupported-element", store, kind="dataStore")
    for el in root.iter(f"{{{ZEEBE_NS}}}*"):
        owner = next((a for a in el.iterancestors() if _local(a) in FLOW_NODES | {"process"}), el)
        out.add(
            "camunda-unsupported",
            owner,
            line=el.sourceline,
            construct=f"zeebe:{_local(el)} (Camunda 8)",
            advice="Model for Camunda 7 (Camunda Modeler: Camunda Platform 7) and use the attributes in docs/modelling.md.",
        )
    metas = {p.get("id"): _check_process(p, by_id, out) for p in processes}
    parsed.metas = metas
    _check_camunda_elsewhere(root, processes, out)
    _check_diagram(root, by_id, processes, out)
    if not schema_ok:
        return parsed
    _spiff_parse(root, processes, metas, parsed, out)
    if out.has_errors():
        parsed.processes = []
    return parsed


def _activiti_as_camunda(root) -> None:
    """activiti:* attributes and elements are read as camunda:* (as Camunda 7 does)."""
    prefix = f"{{{ACTIVITI_NS}}}"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.startswith(prefix):
            el.tag = C + el.tag[len(prefix) :]
        for attr in [a for a in el.attrib if a.startswith(prefix)]:
            el.set(C + attr[len(prefix) :], el.attrib.pop(attr))


# --- schema -----------------------------------------------------------------------------------------------


_NS_NAMES = {BPMN_NS: "bpmn:", BPMNDI_NS: "bpmndi:", SPIFF_NS: "spiffworkflow:", CAMUNDA_NS: "camunda:"}


def _short(text: str) -> str:
    return re.sub(r"\{([^}]*)\}", lambda m: _NS_NAMES.get(m.group(1), ""), text)


def _check_schema(root, out: _Problems) -> bool:
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return True
    for error in schema.error_log:
        out.add("xsd", line=error.line or None, detail=_short(error.message))
    return False


# --- one process ---------------------------------------------------------------------------------------------


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _lanes(process) -> dict[str, str]:
    """flow node id -> the name of the innermost lane that lists it."""
    lanes = {}
    for lane in process.iter(B + "lane"):
        for ref in lane.findall(B + "flowNodeRef"):
            if ref.text and (lane.get("name") or "").strip():
                lanes[ref.text.strip()] = lane.get("name").strip()
    return lanes


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _properties(el) -> dict:
    """spiffworkflow:properties and camunda:properties of an element, by name."""
    props: dict = {}
    ext = el.find(B + "extensionElements")
    if ext is None:
        return props
    for ns in (S, C):
        for prop in ext.iter(ns + "property"):
            if prop.get("name"):
                props[prop.get("name")] = prop.get("value") or ""
    return props


def _check_process(process, by_id: dict, out: _Problems) -> dict:
    lanes = _lanes(process)
    nodes = {el.get("id"): el for el in process.iter() if _local(el) in FLOW_NODES and el.get("id")}
    flows = list(process.iter(B + "sequenceFlow"))
    for el in nodes.values():
        kind = _local(el)
        if kind not in SUPPORTED:
            out.add("unsupported-element", el, kind=kind)
    for flow in flows:
        for end in ("sourceRef", "targetRef"):
            ref = (flow.get(end) or "").strip()
            if ref not in nodes:
                out.add("flow-missing-ref", flow, end="source" if end == "sourceRef" else "target", ref=ref or "—")
    for el in process.iter(B + "exclusiveGateway", B + "inclusiveGateway"):
        outgoing = [f for f in flows if f.get("sourceRef") == el.get("id")]
        if len(outgoing) > 1 and _local(el) == "exclusiveGateway":
            for flow in outgoing:
                if flow.find(B + "conditionExpression") is None and flow.get("id") != el.get("default"):
                    out.add("gateway-flow-condition", flow, gateway=el.get("id"))
    _check_expressions(process, out)
    for timer in process.iter(B + "timerEventDefinition"):
        _check_timer(timer, out)
    user_tasks = {}
    for el in process.iter(B + "userTask", B + "manualTask"):
        user_tasks[el.get("id")] = _user_task_meta(el, lanes, out)
    for bpmn_id, meta in user_tasks.items():
        for other in meta.get("distinctFrom", []):
            if other not in user_tasks:
                out.add("distinct-from", by_id.get(bpmn_id), other=other)
    operations = {}
    for el in process.iter(B + "serviceTask", B + "sendTask"):
        operator = el.find(f"{B}extensionElements/{S}serviceTaskOperator")
        name = (operator.get("id") or "").strip() if operator is not None else ""
        if name or (_local(el) == "serviceTask" and not _has_camunda_implementation(el)):
            operations[el.get("id")] = {"operation": name or None, "name": name_of(el), "line": el.sourceline}
    _check_camunda(process, out)
    start_form = _start_form(process, out)
    starts = [s for s in process.findall(B + "startEvent") if s.get("id") in lanes]
    start_groups = {lanes[s.get("id")] for s in starts}
    starter_groups = _split(process.get(C + "candidateStarterGroups"))
    start_refs = [
        {
            "group": lanes[s.get("id")],
            "element": s.get("id"),
            "name": name_of(s),
            "line": s.sourceline,
            "source": "lane",
        }
        for s in starts
    ] + [
        {
            "group": g,
            "element": process.get("id"),
            "name": name_of(process),
            "line": process.sourceline,
            "source": "candidateStarterGroups",
        }
        for g in starter_groups
    ]
    return {
        "id": process.get("id"),
        "line": process.sourceline,
        "name": name_of(process) or process.get("id"),
        "lanes": sorted(set(lanes.values())),
        "start_groups": sorted(start_groups | set(starter_groups)),
        "start_users": _split(process.get(C + "candidateStarterUsers")),
        "start_refs": start_refs,
        "start_form": start_form,
        "user_tasks": user_tasks,
        "operations": operations,
        "flows": {f"{f.get('sourceRef')}->{f.get('targetRef')}": f.get("id") for f in flows},
        "documentation": _documentation(process),
    }


def _start_form(process, out: _Problems) -> dict | None:
    """The start form of a process: ``formKey`` (camunda attribute or property) on its start event, a file of
    forms/ like a task's. What a client may send when it starts an instance; no start form: nothing."""
    found = None
    for el in process.findall(B + "startEvent"):
        key = (el.get(C + "formKey") or _properties(el).get("formKey") or "").strip()
        if not key:
            continue
        if not FORM_KEY.match(key):
            out.add("form-key", el, value=key)
        elif found is not None and found["formKey"] != key:
            out.add("start-forms", el, first=found["formKey"], value=key)
        elif found is None:
            found = {
                "formKey": key,
                "element": el.get("id"),
                "name": name_of(el) or el.get("id"),
                "line": el.sourceline,
            }
    return found


def _documentation(el) -> str | None:
    doc = el.find(B + "documentation")
    return doc.text.strip() if doc is not None and doc.text and doc.text.strip() else None


def _has_camunda_implementation(el) -> bool:
    return any(el.get(C + a) for a in ("class", "delegateExpression", "expression", "type"))


# --- expressions -------------------------------------------------------------------------------------------

_JUEL_OPERATORS = {"&&": "and", "||": "or", "!=": None, " eq ": "==", " ne ": "!=", " lt ": "<", " gt ": ">"}
_JUEL_CALL = re.compile(r"[A-Za-z_][\w]*\s*\.\s*[A-Za-z_]\w*\s*\(")


def _juel_inside(text: str) -> str | None:
    """The inside of ``${…}`` (a whole-expression JUEL wrapper), else None."""
    stripped = text.strip()
    if stripped.startswith(("${", "#{")) and stripped.endswith("}"):
        return stripped[2:-1].strip()
    return None


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


# --- timers ------------------------------------------------------------------------------------------------


def iso_timer_value(kind: str, value: str):
    """The parsed value when ``value`` is an ISO 8601 literal of the timer kind, else None."""
    value = value.strip()
    try:
        if kind == "timeDuration":
            if not value.upper().startswith("P"):
                return None
            return TimerEventDefinition.parse_iso_duration(value)
        if kind == "timeDate":
            if value.upper().startswith(("P", "R")):
                return None
            return TimerEventDefinition.parse_time_or_duration(value)
        if kind == "timeCycle":
            if not value.upper().startswith("R"):
                return None
            return TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # noqa: BLE001 - SpiffWorkflow's ISO parsers raise bare Exception / ValueError / AttributeError
        return None
    return None


_ISO_LOOKING = re.compile(r"^\s*(R\d*/|P\d|PT\d|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def _naive_date(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.strip()).tzinfo is None
    except ValueError:
        return False


def _check_timer(timer, out: _Problems) -> None:
    owner = timer.getparent()
    expressions = [timer.find(B + k) for k in TIMER_KINDS]
    expressions = [e for e in expressions if e is not None]
    if not expressions or not any((e.text or "").strip() for e in expressions):
        out.add("timer-empty", owner)
        return
    for expr in expressions:
        kind = _local(expr)
        expected, example = TIMER_KINDS[kind]
        text = (expr.text or "").strip()
        inside = _juel_inside(text)
        source = inside if inside is not None else text
        if iso_timer_value(kind, source) is not None:
            if kind == "timeDate" and _naive_date(source):
                out.add("timer-naive", owner, severity=WARNING, value=source)
            expr.text = repr(source)  # a literal for SpiffWorkflow, which evaluates the text as an expression
            continue
        if _ISO_LOOKING.match(source):
            detail = "it looks like an ISO 8601 value but is not one"
            out.add("timer-value", owner, kind=expected, value=text, expected=expected, example=example, detail=detail)
            continue
        try:
            tree = scripting.check(source, "eval")
        except scripting.UnsafeScript as exc:
            out.add(
                "timer-value", owner, kind=expected, value=text, expected=expected, example=example, detail=str(exc)
            )
            continue
        if inside is not None:
            expr.text = source
        result = _evaluate_without_data(source, tree)
        if result is _UNKNOWN:
            continue
        if not isinstance(result, str) or iso_timer_value(kind, result) is None:
            out.add(
                "timer-result", owner, value=text, result=plain(repr(result), 80), expected=expected, example=example
            )


_UNKNOWN = object()


def _evaluate_without_data(source: str, tree):
    """The value of an expression that reads no process variable (evaluated with the safe functions), else _UNKNOWN."""
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(scripting.SAFE_FUNCTIONS)
    if names:
        return _UNKNOWN
    try:
        return scripting.SafeExpressionEnvironment().evaluate(source, {})
    except Exception:  # noqa: BLE001 - any failure of a data-free expression is reported by the timer check that follows
        return None


# --- user tasks ------------------------------------------------------------------------------------------------


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


# --- Camunda constructs ------------------------------------------------------------------------------------------


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
                continue  # the start form (_start_form)
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


# --- diagram -------------------------------------------------------------------------------------------------------


def _check_diagram(root, by_id: dict, processes, out: _Problems) -> None:
    drawn = set()
    for node in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge", f"{{{BPMNDI_NS}}}BPMNPlane"):
        ref = (node.get("bpmnElement") or "").strip()
        if ref and ref in by_id:
            drawn.add(ref)
        elif ref:
            out.add("di-missing-ref", node, severity=WARNING, ref=ref)
    if not drawn:
        return  # a file without any diagram: nothing to draw, the history shows the steps as a list
    for process in processes:
        for el in process.iter():
            if _local(el) in FLOW_NODES and el.get("id") and el.get("id") not in drawn:
                out.add("di-not-drawn", el, severity=WARNING)


# --- SpiffWorkflow ---------------------------------------------------------------------------------------------


def _spiff_parse(root, processes, metas: dict, parsed: ParsedFile, out: _Problems) -> None:
    parser = SpiffBpmnParser(validator=None)  # the schema was checked above, every error collected
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    try:
        parser.add_bpmn_xml(root, parsed.file_name)
    except Exception as exc:  # noqa: BLE001 - a library's refusal of a file we checked: one more named problem, never a trace
        _library_problem(exc, by_id, out, out.elements())
        return
    reported = out.elements()
    for process in processes:
        process_id = process.get("id")
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except Exception as exc:  # noqa: BLE001 - as above
            _library_problem(exc, by_id, out, reported)
            continue
        if not out.has_errors():  # a safety net behind the XML-level checks, not a second report of their finds
            _check_spec_expressions(spec, subprocess_specs, by_id, out, reported)
        meta = metas[process_id]
        meta["name"] = spec.description or meta["name"]
        parsed.processes.append(ParsedProcess(process_id, meta["name"], spec, subprocess_specs, meta))


def _element_of(exc) -> str | None:
    ident = getattr(exc, "id", None)
    spec = getattr(exc, "task_spec", None)
    return ident or getattr(spec, "bpmn_id", None)


def _library_problem(exc, by_id: dict, out: _Problems, reported: set | frozenset = frozenset()) -> None:
    """SpiffWorkflow's refusal as a problem, unless it is about an element already named (or, without an
    element, when problems were already found: then it is most likely their consequence)."""
    ident = _element_of(exc)
    if (ident and ident in reported) or (not ident and out.has_errors()):
        return
    el = by_id.get(ident) if ident else None
    text = str(exc.args[0] if getattr(exc, "args", None) else exc)
    if text.endswith("of type"):  # SpiffWorkflow's sentence stops before the type
        text += f" {_local(el) if el is not None else 'this element'}"
    line = getattr(exc, "line_number", None) or (el.sourceline if el is not None else None)
    out.add("engine", el, element=ident, line=line or None, detail=text or type(exc).__name__)


def _spec_expressions(task_spec):
    """(where, source, mode) for every expression a parsed task spec would evaluate (a safety net)."""
    if getattr(task_spec, "script", None):
        yield "script", task_spec.script, "exec"
    for attr in ("prescript", "postscript"):
        if getattr(task_spec, attr, None):
            yield attr, getattr(task_spec, attr), "exec"
    for condition, target in getattr(task_spec, "cond_task_specs", []) or []:
        if isinstance(condition, _BpmnCondition):
            yield f"condition to {target}", condition.args[0], "eval"
    for attr in ("condition", "cardinality"):
        value = getattr(task_spec, attr, None)
        if isinstance(value, str) and value:
            yield attr, value, "eval"
    definition = getattr(task_spec, "event_definition", None)
    if definition is not None:
        for sub in getattr(definition, "event_definitions", None) or [definition]:
            expr = getattr(sub, "expression", None)
            if isinstance(expr, str) and expr:
                yield "timer or event expression", expr, "eval"
    for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
        if isinstance(param, dict) and param.get("value"):
            yield f"parameter {name}", str(param["value"]), "eval"


def _check_spec_expressions(spec, subprocess_specs, by_id: dict, out: _Problems, reported: set) -> None:
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id is None or bpmn_id in reported:
                continue
            for where, source, mode in _spec_expressions(task_spec):
                try:
                    scripting.check(source, mode)
                except scripting.UnsafeScript as exc:
                    out.add("expression", by_id.get(bpmn_id), element=bpmn_id, where=where, detail=str(exc))


def resolve_due(spec, data: dict, start: datetime) -> datetime | None:
    """The date of a task's Camunda dueDate/followUpDate (``[kind, text]`` from the meta) for a task made ready at
    ``start``: a duration counts from ``start``, a date is taken as it is (naive: in the region), an expression
    is evaluated in the safe environment over the task data and may give either. None when it gives nothing."""
    if not spec:
        return None
    kind, text = spec
    if kind == "expression":
        try:
            text = scripting.SafeExpressionEnvironment().evaluate(text, dict(data))
        except Exception:  # noqa: BLE001 - a value the data cannot give leaves the task without a date
            return None
        if isinstance(text, datetime):
            return text
        text = str(text)
        kind = "duration" if text.strip().upper().startswith("P") else "date"
    try:
        if kind == "duration":
            parsed = TimerEventDefinition.parse_iso_duration(text.strip())
            return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)
        value = datetime.fromisoformat(text.strip())
    except Exception:  # noqa: BLE001 - as above (checked at deploy; an expression's value may still be odd)
        return None
    return value if value.tzinfo else value.replace(tzinfo=clock.REGION_TZ)
