"""A form's JSON Schema read as a form: error types, the extension keywords, properties, types, options."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
WIDGETS = frozenset({"textarea", "radio", "select", "date", "file", "hidden", "buttons"})
UI_KEYS = frozenset({"widget", "order", "placeholder", "readonly", "enumNames"})
COMPUTE_OPS = ("sub", "add", "sum")
FORM_KEY_RE = re.compile(r"[a-z0-9_]+")
PROPERTY_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
PROGRAMME_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$", re.ASCII)
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

_MISSING = object()


class FormError(Exception):
    """A form file is unknown, unreadable or not a valid form schema."""


@dataclass
class FieldError:
    path: str  # "lines/0/programme_code"; "" for the root
    code: str  # the JSON Schema keyword that failed: "required", "type", "format", ...
    message: str  # translated


# --- schema helpers ----------------------------------------------------------


def _types(prop: Any) -> list[str]:
    """Declared non-null types of a property schema (inferred when "type" is absent)."""
    if not isinstance(prop, dict):
        return []
    t = prop.get("type")
    if isinstance(t, str):
        types = [t]
    elif isinstance(t, list):
        types = [x for x in t if isinstance(x, str)]
    elif isinstance(prop.get("properties"), dict):
        types = ["object"]
    elif "items" in prop:
        types = ["array"]
    else:
        types = []
    return [x for x in types if x != "null"]


def _ui(prop: Any) -> dict:
    ui = prop.get("x-ui") if isinstance(prop, dict) else None
    return ui if isinstance(ui, dict) else {}


def _options(prop: Any) -> list[tuple[Any, str]]:
    """(value, label) pairs of an enum-like property, [] if it has none."""
    if not isinstance(prop, dict):
        return []
    enum = prop.get("enum")
    if isinstance(enum, list):
        names = _ui(prop).get("enumNames")
        if isinstance(names, list) and len(names) == len(enum):
            return [(v, str(n)) for v, n in zip(enum, names, strict=True)]
        return [(v, _option_str(v)) for v in enum]
    for key in ("oneOf", "anyOf"):
        alts = prop.get(key)
        if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
            return [(a["const"], str(a.get("title", _option_str(a["const"])))) for a in alts]
    return []


def _option_str(value: Any) -> str:
    """How an option value is written in HTML (must match _macros.html `optval`)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _properties(schema: Any) -> dict:
    props = schema.get("properties") if isinstance(schema, dict) else None
    return props if isinstance(props, dict) else {}


def _array_items(prop: Any) -> dict | None:
    if "array" not in _types(prop):
        return None
    items = prop.get("items")
    return items if isinstance(items, dict) else None


def _is_object_schema(prop: Any) -> bool:
    return isinstance(prop, dict) and "object" in _types(prop) and bool(_properties(prop))


def _schema_at(root: dict, parts: list) -> Any:
    """The property schema at a data path (walks properties/items only)."""
    s: Any = root
    for p in parts:
        if not isinstance(s, dict):
            return None
        s = s.get("items") if isinstance(p, int) else _properties(s).get(p)
    return s


def decision_options(schema: dict) -> list[tuple[str, str]]:
    """(value, label) of the ``decision`` field's options, [] if the form has no decision."""
    prop = _properties(schema).get("decision")
    return [(_option_str(v), label) for v, label in _options(prop)]
