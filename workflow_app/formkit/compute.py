"""Computed fields (``x-compute``): filled server side before validation, dependencies first."""

from __future__ import annotations

import copy
import math
from graphlib import CycleError, TopologicalSorter
from typing import Any

from .schema import FormError, _array_items, _is_number, _properties, _types


def _compute_deps(spec: Any) -> list[str]:
    if not isinstance(spec, dict) or len(spec) != 1:
        return []
    op, operands = next(iter(spec.items()))
    if not isinstance(operands, list):
        return []
    if op == "sum":
        return [operands[0]] if operands and isinstance(operands[0], str) else []
    return [o for o in operands if isinstance(o, str)]


def _compute_order(props: dict, strict: bool = False, where: str = "") -> list[str]:
    """Computed field names of one object level, dependencies first. A cycle is a FormError when ``strict``
    (checking a form file); otherwise (a schema never checked) the fields keep their declared order."""
    computed = {n: p["x-compute"] for n, p in props.items() if isinstance(p, dict) and "x-compute" in p}
    graph = {n: [d for d in _compute_deps(spec) if d in computed] for n, spec in computed.items()}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        if strict:
            cycle = exc.args[1]
            raise FormError(f"{where}{cycle[0]}: x-compute cycle {' -> '.join(reversed(cycle))}") from None
        return list(computed)


# --- computed fields -----------------------------------------------------------


def apply_computed(schema: dict, data: dict) -> dict:
    """A deep copy of ``data`` with every x-compute field (re)calculated, arrays of objects included.

    Client-supplied values of computed fields are always replaced (or removed when an operand is
    missing or not a number).  Non-dict data is returned as a copy, untouched.
    """
    out = copy.deepcopy(data)
    if isinstance(out, dict):
        _compute_object(schema, out)
    return out


def _compute_object(schema: dict, obj: dict) -> None:
    props = _properties(schema)
    for name, prop in props.items():
        value = obj.get(name)
        items = _array_items(prop)
        if isinstance(value, list) and items is not None and _properties(items):
            for item in value:
                if isinstance(item, dict):
                    _compute_object(items, item)
        elif isinstance(value, dict) and _properties(prop):
            _compute_object(prop, value)
    for name in _compute_order(props):
        result = _evaluate(props[name]["x-compute"], obj)
        if result is None:
            obj.pop(name, None)
        else:
            if isinstance(result, float) and result.is_integer() and "integer" in _types(props[name]):
                result = int(result)
            obj[name] = result


def _evaluate(spec: Any, obj: dict) -> int | float | None:
    if not isinstance(spec, dict) or len(spec) != 1:
        return None
    op, operands = next(iter(spec.items()))
    if not isinstance(operands, list) or not operands:
        return None
    values: list[int | float] = []
    if op in ("add", "sub"):
        for operand in operands:
            value = operand if _is_number(operand) else obj.get(operand) if isinstance(operand, str) else None
            if not isinstance(value, int | float) or not _is_number(value):
                return None
            values.append(value)
    elif op == "sum":
        array = obj.get(operands[0]) if isinstance(operands[0], str) else None
        if not isinstance(array, list):
            return None
        field = operands[1] if len(operands) > 1 else None
        for item in array:
            if field is not None:
                item = item.get(field) if isinstance(item, dict) else None
            if not _is_number(item):
                return None
            values.append(item)
    else:
        return None
    try:
        result = values[0] - sum(values[1:]) if op == "sub" else sum(values)
    except (OverflowError, ArithmeticError):
        return None
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return result
