"""What a submission may write: the form's own fields; read-only and computed ones are the server's.

Whatever face a submission comes through (an HTML post, a JSON body), the fields it may set are the
properties of the task's form. A read-only field (``x-ui.readonly``) keeps the value the case already holds;
a computed field (``x-compute``) is recalculated by validation; a key the form does not have is an error
("Unknown field"), never a process variable slipped past the form.
"""

from __future__ import annotations

import copy
from typing import Any

from .messages import _
from .schema import FieldError, _array_items, _properties, _types, _ui


def server_owned(prop: Any) -> bool:
    """A computed or read-only property: its value never comes from the client."""
    return isinstance(prop, dict) and ("x-compute" in prop or _ui(prop).get("readonly") is True)


def has_read_only(schema: Any) -> bool:
    """Whether any property (nested ones included) is read-only and not computed."""
    for prop in _properties(schema).values():
        if not isinstance(prop, dict):
            continue
        if "x-compute" not in prop and _ui(prop).get("readonly") is True:
            return True
        items = _array_items(prop)
        if has_read_only(items if items is not None else prop):
            return True
    return False


def own_fields(schema: dict, submitted: dict, current: dict | None) -> tuple[dict, list[FieldError]]:
    """``submitted`` restricted to the form's writable fields, with every read-only field set from
    ``current`` (the task's data in the case) and computed fields left for validation to fill in.

    Returns ``(data, errors)``; ``errors`` names each submitted key the form does not have.
    """
    errors: list[FieldError] = []
    data = _own_object(schema, submitted if isinstance(submitted, dict) else {}, current or {}, "", errors)
    return data, errors


def _own_object(schema: Any, submitted: dict, current: Any, prefix: str, errors: list[FieldError]) -> dict:
    current = current if isinstance(current, dict) else {}
    props = _properties(schema)
    for name in submitted:
        if name not in props:
            errors.append(FieldError(prefix + str(name), "additionalProperties", _("Unknown field")))
    out: dict[str, Any] = {}
    for name, prop in props.items():
        if not isinstance(prop, dict) or "x-compute" in prop:
            continue
        if _ui(prop).get("readonly") is True:
            if name in current:
                out[name] = copy.deepcopy(current[name])
            continue
        if name not in submitted:
            continue
        value = submitted[name]
        items = _array_items(prop)
        if isinstance(value, list) and items is not None and _properties(items):
            rows = current.get(name) if isinstance(current.get(name), list) else []
            out[name] = [
                _own_object(items, row, rows[i] if i < len(rows) else None, f"{prefix}{name}/{i}/", errors)
                if isinstance(row, dict)
                else row
                for i, row in enumerate(value)
            ]
        elif isinstance(value, dict) and "object" in _types(prop) and _properties(prop):
            out[name] = _own_object(prop, value, current.get(name), f"{prefix}{name}/", errors)
        else:
            out[name] = value
    return out
