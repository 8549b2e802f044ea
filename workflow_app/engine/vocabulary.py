"""What the deploy-time checks share: the namespaces, the element kinds SpiffWorkflow and we support, our
extension properties, Camunda 7's attributes and constructs, the problem collector and element readers."""

import re

from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .problems import ERROR, Problem, name_of, plain

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


def _documentation(el) -> str | None:
    doc = el.find(B + "documentation")
    return doc.text.strip() if doc is not None and doc.text and doc.text.strip() else None


def _has_camunda_implementation(el) -> bool:
    return any(el.get(C + a) for a in ("class", "delegateExpression", "expression", "type"))


def _juel_inside(text: str) -> str | None:
    """The inside of ``${…}`` (a whole-expression JUEL wrapper), else None."""
    stripped = text.strip()
    if stripped.startswith(("${", "#{")) and stripped.endswith("}"):
        return stripped[2:-1].strip()
    return None
