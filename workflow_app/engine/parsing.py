"""Parse and completely validate a BPMN file at deploy time.

Validation covers: XML well-formedness (DOCTYPEs refused: no XXE, no entity bombs), the BPMN XSD, every
executable process parsed (SpiffWorkflow parses lazily, so unsupported or dangling elements surface only
here), every embedded expression checked against the safe script allow-list, and our extension
properties (formKey, dueWorkingDays, orgScope, distinctFrom, collegialBody). A failure is an
``InvalidModel`` naming the file, the element and the reason.
"""

import hashlib
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import scripting
from .errors import InvalidModel

MAX_BPMN_BYTES = 2 * 1024 * 1024
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
COLLEGIAL_BODIES = ("coordination_council", "expert_council", "working_group")
TASK_PROPERTIES = ("formKey", "dueWorkingDays", "orgScope", "distinctFrom", "collegialBody")

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

    def form_keys(self) -> set[str]:
        return {t["formKey"] for p in self.processes for t in p.meta["user_tasks"].values() if t.get("formKey")}


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_xml(content: bytes, file_name: str = ""):
    """Parse XML safely; refuses DOCTYPEs and oversized files."""
    if len(content) > MAX_BPMN_BYTES:
        raise InvalidModel(f"file is larger than {MAX_BPMN_BYTES // 1024} KiB", file_name=file_name)
    text = content
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark
        text = content.decode("utf-16", errors="replace").encode("utf-8")
    if b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper():
        raise InvalidModel("DOCTYPE and entity declarations are not allowed", file_name=file_name)
    try:
        root = etree.fromstring(content, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise InvalidModel(f"malformed XML: {exc.msg}", file_name=file_name, line=line) from None
    if root.getroottree().docinfo.doctype:
        raise InvalidModel("DOCTYPE declarations are not allowed", file_name=file_name)
    return root


def parse_bpmn(content: bytes, file_name: str) -> ParsedFile:
    root = read_xml(content, file_name)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, file_name)
        process_ids = [
            p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("isExecutable", "true").lower() != "false"
        ]
        if not process_ids:
            raise InvalidModel("the file has no executable process", file_name=file_name)
        parsed = ParsedFile(file_name=file_name, content_hash=content_hash(content), xml=content.decode("utf-8"))
        flows = _flow_map(root)
        for process_id in process_ids:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
            meta = _describe(spec, subprocess_specs, file_name, flows)
            parsed.processes.append(
                ParsedProcess(process_id, spec.description or process_id, spec, subprocess_specs, meta)
            )
    except ValidationException as exc:
        raise InvalidModel(
            _first_line(exc),
            file_name=file_name,
            element=getattr(exc, "id", None) or None,
            line=getattr(exc, "line_number", None) or None,
        ) from None
    except SpiffWorkflowException as exc:
        spec = getattr(exc, "task_spec", None)
        raise InvalidModel(_first_line(exc), file_name=file_name, element=getattr(spec, "bpmn_id", None)) from None
    return parsed


def _first_line(exc) -> str:
    text = str(exc.args[0] if exc.args else exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _flow_map(root) -> dict[str, str]:
    """'source->target' -> sequenceFlow id, so a path through the task tree can be drawn as flows."""
    return {f"{f.get('sourceRef')}->{f.get('targetRef')}": f.get("id") for f in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}


def _all_specs(spec, subprocess_specs):
    yield spec
    yield from subprocess_specs.values()


def _expressions(task_spec):
    """Yield (where, source, mode) for every expression a task spec would evaluate."""
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
                yield f"{type(sub).__name__}", expr, "eval"
    for name, param in (getattr(task_spec, "operation_params", None) or {}).items():
        if isinstance(param, dict) and param.get("value"):
            yield f"parameter {name}", str(param["value"]), "eval"


def _describe(spec, subprocess_specs, file_name, flows) -> dict:
    user_tasks, lanes, start_groups = {}, set(), set()
    for process_spec in _all_specs(spec, subprocess_specs):
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            for where, source, mode in _expressions(task_spec):
                try:
                    scripting.check(source, mode)
                except scripting.UnsafeScript as exc:
                    raise InvalidModel(f"[{where}] {exc}", file_name=file_name, element=bpmn_id) from None
            lane = getattr(task_spec, "lane", None)
            if lane:
                lanes.add(lane)
            if isinstance(task_spec, StartEvent) and process_spec is spec and lane:
                start_groups.add(lane)
            if getattr(task_spec, "manual", False):
                user_tasks[bpmn_id] = _user_task_meta(task_spec, file_name)
    for bpmn_id, meta in user_tasks.items():
        for other in meta.get("distinctFrom", []):
            if other not in user_tasks:
                raise InvalidModel(
                    f"distinctFrom names an unknown user task '{other}'", file_name=file_name, element=bpmn_id
                )
    return {
        "name": spec.description or spec.name,
        "lanes": sorted(lanes),
        "start_groups": sorted(start_groups),
        "user_tasks": user_tasks,
        "flows": flows,
        "documentation": getattr(spec, "documentation", None),
    }


def _user_task_meta(task_spec, file_name) -> dict:
    props = dict((task_spec.extensions or {}).get("properties", {}) or {})
    bpmn_id = task_spec.bpmn_id
    meta = {"name": task_spec.bpmn_name or bpmn_id, "lane": getattr(task_spec, "lane", None)}
    if not meta["lane"]:
        raise InvalidModel(
            "a user task must sit in a lane (the lane name is its candidate group)",
            file_name=file_name,
            element=bpmn_id,
        )
    if props.get("formKey"):
        meta["formKey"] = props["formKey"].strip()
    if props.get("dueWorkingDays") not in (None, ""):
        try:
            meta["dueWorkingDays"] = int(props["dueWorkingDays"])
        except ValueError:
            raise InvalidModel("dueWorkingDays must be a whole number", file_name=file_name, element=bpmn_id) from None
        if meta["dueWorkingDays"] < 0:
            raise InvalidModel("dueWorkingDays must not be negative", file_name=file_name, element=bpmn_id)
    if props.get("orgScope"):
        if props["orgScope"] != "initiator":
            raise InvalidModel("orgScope supports only 'initiator'", file_name=file_name, element=bpmn_id)
        meta["orgScope"] = "initiator"
    if props.get("distinctFrom"):
        meta["distinctFrom"] = [p.strip() for p in props["distinctFrom"].split(",") if p.strip()]
    if props.get("collegialBody"):
        if props["collegialBody"] not in COLLEGIAL_BODIES:
            raise InvalidModel(
                f"collegialBody must be one of {', '.join(COLLEGIAL_BODIES)}", file_name=file_name, element=bpmn_id
            )
        meta["collegialBody"] = props["collegialBody"]
    extra = {k: v for k, v in props.items() if k not in TASK_PROPERTIES}
    if extra:
        meta["properties"] = extra
    instructions = (task_spec.extensions or {}).get("instructionsForEndUser")
    if instructions:
        meta["instructions"] = instructions
    if getattr(task_spec, "documentation", None):
        meta["documentation"] = task_spec.documentation
    return meta
