"""Timers and due dates: ISO 8601 literals, the deploy-time check of a timer, and a task's Camunda
dueDate/followUpDate resolved when it becomes ready."""

import ast
import re
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from . import clock, scripting
from .problems import WARNING, plain
from .vocabulary import TIMER_KINDS, B, _juel_inside, _local, _Problems


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
