"""Loading a form file (``forms/<form_key>.json``) and checking that it is a form schema this app can show."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .compute import _compute_order
from .registry import ORGANISATION_KEY, ORGANISATION_KINDS
from .schema import (
    COMPUTE_OPS,
    DRAFT_2020_12,
    FORM_KEY_RE,
    PROPERTY_NAME_RE,
    UI_KEYS,
    WIDGETS,
    FormError,
    _array_items,
    _is_number,
    _is_object_schema,
    _options,
    _properties,
    _types,
)

# --- loading and checking ------------------------------------------------------


def load_form(forms_dir: str | Path, form_key: str) -> dict:
    """Read ``<forms_dir>/<form_key>.json`` and check it; raises FormError."""
    if not isinstance(form_key, str) or not FORM_KEY_RE.fullmatch(form_key):
        raise FormError(f"invalid form key {form_key!r}: only [a-z0-9_] allowed")
    path = Path(forms_dir) / f"{form_key}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormError(f"unknown form {form_key!r}: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(f"cannot read form {form_key!r} ({path}): {exc}") from exc
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"form {form_key!r} ({path}) is not valid JSON: {exc}") from exc
    try:
        check_form_schema(schema)
    except FormError as exc:
        raise FormError(f"form {form_key!r} ({path}): {exc}") from exc
    return schema


def check_form_schema(schema: dict) -> None:
    """Check that ``schema`` is a valid Draft 2020-12 schema and a usable form; raises FormError."""
    if not isinstance(schema, dict):
        raise FormError("a form schema must be a JSON object")
    declared = schema.get("$schema")
    if declared is not None and (not isinstance(declared, str) or declared.rstrip("#") != DRAFT_2020_12):
        raise FormError(f'"$schema" must be {DRAFT_2020_12!r} (or absent), not {declared!r}')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise FormError(f"invalid JSON Schema at {where}: {exc.message}") from exc
    if schema.get("type") != "object":
        raise FormError('a form schema must have "type": "object"')
    title = schema.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FormError('a form schema needs a non-empty "title"')
    if not _properties(schema):
        raise FormError('a form schema needs a non-empty "properties" object')
    _check_object(schema, "")
    if "decision" in schema["properties"] and not _options(schema["properties"]["decision"]):
        raise FormError('"decision" needs options: "enum" (with x-ui.enumNames) or "oneOf" of const/title')


def _check_object(obj: dict, where: str) -> None:
    props = _properties(obj)
    for name, prop in props.items():
        here = f"{where}{name}"
        if not PROPERTY_NAME_RE.fullmatch(name):
            raise FormError(f"{here}: property names must match [A-Za-z][A-Za-z0-9_]* (used in HTML names)")
        if not isinstance(prop, dict):
            raise FormError(f"{here}: a form property must be a schema object, not {prop!r}")
        _check_organisation(prop, here)
        _check_ui(prop, here)
        messages = prop.get("x-messages")
        if messages is not None and not (
            isinstance(messages, dict) and all(isinstance(v, str) for v in messages.values())
        ):
            raise FormError(f'{here}: "x-messages" must map validator keywords to strings')
        if "x-compute" in prop:
            _check_compute(prop, props, name, here)
        items = _array_items(prop)
        if items is not None and _is_object_schema(items):
            _check_object(items, f"{here}/items/")
        elif _is_object_schema(prop):
            _check_object(prop, f"{here}/")
    _compute_order(props, strict=True, where=where)


def _check_organisation(prop: dict, here: str) -> None:
    if ORGANISATION_KEY not in prop:
        return
    if prop[ORGANISATION_KEY] not in ORGANISATION_KINDS:
        raise FormError(f'{here}: "{ORGANISATION_KEY}" must be one of {list(ORGANISATION_KINDS)}')
    if _types(prop) != ["string"] or "enum" in prop or "oneOf" in prop:
        raise FormError(f'{here}: an organisation reference is a string (the code) with no "enum" or "oneOf"')


def _check_ui(prop: dict, here: str) -> None:
    if "x-ui" not in prop:
        return
    ui = prop["x-ui"]
    if not isinstance(ui, dict):
        raise FormError(f'{here}: "x-ui" must be an object')
    unknown = set(ui) - UI_KEYS
    if unknown:
        raise FormError(f"{here}: unknown x-ui keys {sorted(unknown)}; allowed: {sorted(UI_KEYS)}")
    widget = ui.get("widget")
    if widget is not None and widget not in WIDGETS:
        raise FormError(f"{here}: unknown widget {widget!r}; allowed: {sorted(WIDGETS)}")
    if "order" in ui and (isinstance(ui["order"], bool) or not isinstance(ui["order"], int)):
        raise FormError(f'{here}: x-ui "order" must be an integer')
    if "placeholder" in ui and not isinstance(ui["placeholder"], str):
        raise FormError(f'{here}: x-ui "placeholder" must be a string')
    if "readonly" in ui and not isinstance(ui["readonly"], bool):
        raise FormError(f'{here}: x-ui "readonly" must be true or false')
    if "enumNames" in ui:
        names, enum = ui["enumNames"], prop.get("enum")
        if not isinstance(enum, list):
            raise FormError(f'{here}: x-ui "enumNames" needs an "enum"')
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and len(names) == len(enum)):
            raise FormError(f'{here}: x-ui "enumNames" must be {len(enum)} strings, one per enum value')
    if (
        widget in ("select", "radio", "buttons")
        and not _options(prop)
        and _types(prop)[:1] != ["boolean"]
        and ORGANISATION_KEY not in prop
    ):
        raise FormError(f'{here}: widget {widget!r} needs "enum" or "oneOf" of const/title')
    if widget in ("textarea", "date", "file") and _types(prop) and "string" not in _types(prop):
        raise FormError(f'{here}: widget {widget!r} needs "type": "string"')


def _check_compute(prop: dict, siblings: dict, name: str, here: str) -> None:
    spec = prop["x-compute"]
    if not (isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in COMPUTE_OPS):
        raise FormError(
            f'{here}: "x-compute" must be one of {{"sub": [...]}}, {{"add": [...]}}, {{"sum": [array, field]}}'
        )
    if _types(prop) and not set(_types(prop)) & {"integer", "number"}:
        raise FormError(f'{here}: a computed field must have type "integer" or "number"')
    op, operands = next(iter(spec.items()))
    if not isinstance(operands, list) or not operands:
        raise FormError(f'{here}: x-compute "{op}" needs a non-empty list of operands')
    if op in ("sub", "add"):
        for operand in operands:
            if _is_number(operand):
                continue
            if not isinstance(operand, str) or operand not in siblings or operand == name:
                raise FormError(f"{here}: x-compute operand {operand!r} is not a sibling field or a number")
        return
    # sum
    if len(operands) not in (1, 2) or not all(isinstance(o, str) for o in operands):
        raise FormError(f'{here}: x-compute "sum" takes [array_field] or [array_field, item_field]')
    items = _array_items(siblings.get(operands[0]))
    if items is None:
        raise FormError(f"{here}: x-compute sum: {operands[0]!r} is not a sibling array field")
    if len(operands) == 2 and operands[1] not in _properties(items):
        raise FormError(f"{here}: x-compute sum: items of {operands[0]!r} have no field {operands[1]!r}")
