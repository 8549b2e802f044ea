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

The checks of one element's content live in ``element_rules`` (expressions, user tasks, Camunda constructs)
and ``timing`` (timers and due dates); the vocabulary they share (namespaces, element kinds, the problem
collector) in ``vocabulary``.
"""

import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import scripting
from .element_rules import _check_camunda, _check_camunda_elsewhere, _check_expressions, _user_task_meta
from .errors import InvalidModel
from .problems import WARNING, Findings, Problem, name_of
from .timing import _check_timer
from .vocabulary import (
    ACTIVITI_NS,
    BPMN_NS,
    BPMNDI_NS,
    CAMUNDA_NS,
    FLOW_NODES,
    FORM_KEY,
    MAX_BPMN_BYTES,
    SPIFF_NS,
    SUPPORTED,
    ZEEBE_NS,
    B,
    C,
    S,
    _documentation,
    _has_camunda_implementation,
    _lanes,
    _local,
    _Problems,
    _properties,
    _split,
)

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
class ParsedFile(Findings):
    file_name: str
    content_hash: str
    xml: str
    processes: list[ParsedProcess] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    metas: dict = field(default_factory=dict)  # process id -> meta, also when the file has errors

    def form_keys(self) -> set[str]:
        return {key for p in self.processes for key in process_form_keys(p.meta)}


def process_form_keys(meta: dict) -> set[str]:
    """The forms a process uses: its user tasks' and its start form (``meta["start_form"]``)."""
    keys = {t["formKey"] for t in meta["user_tasks"].values() if t.get("formKey")}
    if meta.get("start_form"):
        keys.add(meta["start_form"]["formKey"])
    return keys


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


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
