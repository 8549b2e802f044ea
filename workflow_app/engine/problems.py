"""Problems found in a BPMN file at deploy time, each one a modeller can act on.

A ``Problem`` names the rule it breaks, the element (id, name, line) and what to do. Its text comes from
``RULES``: an English message and hint with ``%(name)s`` parameters; the English templates are also the gettext
message ids of the ``models`` catalog, so the web UI shows them in Russian (``translated()``).
Nothing here prints a Python object: parameters are strings the checks build from the file's own text.
"""

import re
from dataclasses import dataclass, field

ERROR, WARNING = "error", "warning"

# rule -> (message, hint); both are gettext message ids (translations/ru/LC_MESSAGES/models.po)
RULES: dict[str, tuple[str, str]] = {
    "file-too-large": (
        "The file is larger than %(limit)s KiB.",
        "Remove embedded images or split the file into several models.",
    ),
    "doctype": (
        "DOCTYPE and entity declarations are not allowed in a BPMN file.",
        "Save the diagram again from a BPMN editor (it writes no DOCTYPE).",
    ),
    "xml-syntax": (
        "The file is not well-formed XML: %(detail)s.",
        "Open the file in a BPMN editor and save it again; look at the line shown.",
    ),
    "not-bpmn": (
        "The file is not a BPMN 2.0 model: its root element is <%(root)s>, not <definitions> of the BPMN 2.0 namespace.",
        "Export the diagram from the modelling tool as BPMN 2.0 XML.",
    ),
    "xsd": (
        "The BPMN 2.0 schema does not allow this here: %(detail)s",
        "Correct or remove the element at the line shown; a BPMN editor can show the diagram around it.",
    ),
    "no-executable-process": (
        "The file has no executable process.",
        "Mark the process as executable (Camunda Modeler: the process's 'Executable' checkbox; XML: isExecutable=\"true\").",
    ),
    "unsupported-element": (
        "The element type %(kind)s is not supported by the engine.",
        "Replace it with a supported element; docs/modelling.md lists them.",
    ),
    "flow-missing-ref": (
        "The sequence flow's %(end)s %(ref)s does not exist in the process.",
        "Connect the flow to an element again in the editor, or delete it.",
    ),
    "gateway-flow-condition": (
        "The flow leaves the exclusive gateway %(gateway)s without a condition and is not its default flow.",
        "Give the flow a condition, or mark it as the gateway's default flow.",
    ),
    "condition": (
        "The condition of the flow from %(source)s to %(target)s is not an allowed expression: %(detail)s.",
        "Use process variables, literals, comparisons, and/or/not, arithmetic and the functions listed in docs/modelling.md.",
    ),
    "expression": (
        "The %(where)s is not an allowed expression: %(detail)s.",
        "Use process variables, literals, comparisons, and/or/not, arithmetic and the functions listed in docs/modelling.md.",
    ),
    "juel-method": (
        "The expression %(expression)s calls a method (JUEL); the engine evaluates plain expressions only.",
        'Compare process variables directly, e.g. ${decision == "approve"}; put computations in a form or a service task.',
    ),
    "feel": (
        "The expression %(expression)s is a FEEL expression (Camunda 8).",
        "Write it without the leading =, in the expression language of docs/modelling.md (e.g. fraud == True).",
    ),
    "juel-operator": (
        "The expression %(expression)s uses the JUEL operator %(operator)s.",
        "Write %(replacement)s instead.",
    ),
    "timer-value": (
        "The timer's %(kind)s %(value)s is neither an ISO 8601 %(expected)s nor a valid expression (%(detail)s).",
        "Write an ISO 8601 value such as %(example)s, or an expression such as working_days_from_now(5).",
    ),
    "timer-result": (
        "The timer expression %(value)s gives %(result)s, which is not an ISO 8601 %(expected)s.",
        "Make the expression give a value such as %(example)s.",
    ),
    "timer-empty": (
        "The timer has no date, duration or cycle.",
        "Set the timer's type and value (e.g. duration P7D).",
    ),
    "timer-naive": (
        "The timer date %(value)s has no time zone; it would be read in the server's time zone.",
        "Add the offset, e.g. %(value)s+07:00 (Asia/Tomsk).",
    ),
    "no-group": (
        "The user task has no candidate group: it sits in no lane and has no candidateGroups.",
        "Put the task in a lane whose name is a group id, or set its candidateGroups (Camunda) to a group id.",
    ),
    "several-groups": (
        "The task names several candidate groups (%(groups)s); a task belongs to one group.",
        "Keep one group in candidateGroups; send the task to another group with a second task.",
    ),
    "unknown-group": (
        "The group %(group)s (%(source)s) is not known.",
        "Use a group id from docs/modelling.md (e.g. dpo_officer), or create the group before deploying.",
    ),
    "unknown-user": (
        "The user %(user)s (%(source)s) is not known.",
        "Use the login name of an existing user, or create the user before deploying.",
    ),
    "several-users": (
        "The task names several candidate users (%(users)s) and no candidate group.",
        "Give the task a candidate group, or name one candidate user (the task is then assigned to that user).",
    ),
    "whole-number": (
        "%(property)s must be a whole number of days, not %(value)s.",
        "Write a whole number such as 5.",
    ),
    "negative": (
        "%(property)s must not be negative (%(value)s).",
        "Write 0 or a positive number.",
    ),
    "out-of-range": (
        "%(property)s must be from %(least)s to %(greatest)s, not %(value)s.",
        "Write a number in that range: a larger one would cost time at every start of the process.",
    ),
    "org-scope": (
        "orgScope supports only 'initiator' and 'recipient', not %(value)s.",
        "Write orgScope = initiator (or recipient on a multi-instance task), or remove the property.",
    ),
    "org-scope-recipient": (
        "orgScope = recipient needs a multi-instance task whose input data item names each task's organisation.",
        "Give the task multiInstanceLoopCharacteristics with loopDataInputRef and inputDataItem, or use initiator.",
    ),
    "group-from": (
        "groupFrom must name a process variable, not %(value)s.",
        "Write the name of the variable that holds the candidate group, such as owner_group.",
    ),
    "collegial-body": (
        "collegialBody must be one of %(known)s, not %(value)s.",
        "Use one of the listed bodies.",
    ),
    "distinct-from": (
        "distinctFrom names %(other)s, which is not a user task of this process.",
        "List the ids of user tasks of this process, separated by commas.",
    ),
    "form-key": (
        "formKey %(value)s is not the name of a form in forms/.",
        "Write the form's file name without .json (e.g. example_review); embedded and Camunda forms are not supported.",
    ),
    "start-forms": (
        "The start events name two start forms, %(first)s and %(value)s.",
        "Give every start event of the process the same formKey (a process has one start form).",
    ),
    "form-missing": (
        "There is no form %(form)s in forms/.",
        "Add forms/%(form)s.json or correct the task's formKey.",
    ),
    "form": (
        "The form %(form)s cannot be used: %(detail)s.",
        "Add forms/%(form)s.json or correct the task's formKey.",
    ),
    "due-date": (
        "The %(property)s %(value)s is neither an ISO 8601 date or duration nor a valid expression (%(detail)s).",
        "Write e.g. P5D, 2027-03-01T18:00:00+07:00 or ${working_days_from_now(5)}.",
    ),
    "no-operation": (
        "The service task names no operation.",
        "Set the operation (spiffworkflow:serviceTaskOperator id=...) to one of: %(known)s.",
    ),
    "unknown-operation": (
        "The service operation %(operation)s is not registered.",
        "Use one of: %(known)s.",
    ),
    "camunda-unsupported": (
        "Camunda's %(construct)s is not supported.",
        "%(advice)s",
    ),
    "camunda-ignored": (
        "Camunda's %(construct)s has no effect in this engine.",
        "%(advice)s",
    ),
    "di-missing-ref": (
        "The diagram refers to %(ref)s, which is not in the model; it cannot be drawn.",
        "Delete the shape or edge in the editor and draw it again.",
    ),
    "di-not-drawn": (
        "The element is not drawn in any diagram.",
        "Open the file in a BPMN editor and place the element on the diagram.",
    ),
    "engine": (
        "The engine cannot use this model: %(detail)s",
        "Correct the element shown; docs/modelling.md lists what is supported.",
    ),
}


TRANSLATED_PARAMS = {"advice", "construct", "kind", "expected", "end", "where", "detail"}


@dataclass
class Problem:
    rule: str
    params: dict = field(default_factory=dict)
    element: str | None = None
    name: str | None = None
    line: int | None = None
    severity: str = ERROR
    file_name: str = ""

    @property
    def message(self) -> str:
        return _fill(RULES[self.rule][0], self.params)

    @property
    def hint(self) -> str:
        return _fill(RULES[self.rule][1], self.params)

    def translated(self, gettext) -> dict:
        """Message and hint through ``gettext`` (the web layer passes flask_babel's); word parameters (advice,
        construct, kind...) are catalog entries too, values from the file pass through unchanged."""
        params = {k: gettext(v) if isinstance(v, str) and k in TRANSLATED_PARAMS else v for k, v in self.params.items()}
        return {
            "message": _fill(gettext(RULES[self.rule][0]), params),
            "hint": _fill(gettext(RULES[self.rule][1]), params),
        }

    def where(self) -> str:
        parts = [self.file_name or "BPMN"]
        if self.line:
            parts[0] += f":{self.line}"
        if self.element:
            parts.append(f"element '{self.element}'" + (f" ({self.name})" if self.name else ""))
        return ", ".join(parts)

    def text(self) -> str:
        """One line for the CLI and logs: where, what, what to do, the rule."""
        level = "warning" if self.severity == WARNING else "error"
        return f"{self.where()}: {level}: {self.message} {self.hint} [{self.rule}]"

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "element": self.element,
            "name": self.name,
            "line": self.line,
            "file": self.file_name,
            "message": self.message,
            "hint": self.hint,
        }


def _fill(template: str, params: dict) -> str:
    try:
        return template % params if params else template
    except (KeyError, ValueError, TypeError):
        return template


_REPR = re.compile(r"<(?:Element )?\{[^}]*\}(\w+)[^>]* at 0x[0-9a-fA-F]+>")
_OBJECT = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


def plain(text: str, limit: int = 300) -> str:
    """A one-line text without Python object representations (a library's message, a value from the file)."""
    text = _REPR.sub(lambda m: m.group(1), str(text))
    text = _OBJECT.sub("an internal object", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def name_of(el) -> str | None:
    """An element's name with line breaks collapsed (a name drawn on two lines is still one name)."""
    name = el.get("name") if el is not None else None
    return " ".join(name.split()) if name and name.strip() else None


class Findings:
    """The errors and the warnings of a ``problems`` list: a parsed file's, a deploy check's."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]
