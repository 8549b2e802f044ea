"""JSON Schema (Draft 2020-12) task forms: loading, computed fields, validation, HTML posts.

A form is a file ``forms/<form_key>.json`` holding a JSON Schema object::

    {
      "title": "Заявка на изменение КЦП",
      "description": "...",
      "type": "object",
      "properties": {
        "inn":   {"type": "string", "title": "ИНН", "format": "inn"},
        "lines": {"type": "array", "title": "Строки", "items": {
            "type": "object",
            "properties": {
              "programme_code": {"type": "string", "format": "programme-code"},
              "current_kcp":    {"type": "integer", "minimum": 0},
              "requested_kcp":  {"type": "integer", "minimum": 0},
              "delta":          {"type": "integer", "x-compute": {"sub": ["requested_kcp", "current_kcp"]}}
            }}},
        "total_delta": {"type": "integer", "x-compute": {"sum": ["lines", "delta"]}},
        "decision": {"type": "string", "enum": ["approve", "return"],
                     "x-ui": {"widget": "buttons", "enumNames": ["Согласовать", "Вернуть"]}}
      },
      "required": ["inn", "lines"]
    }

Extensions (ignored by JSON Schema itself):

``x-ui``
    per property: ``widget`` (one of :data:`WIDGETS`), ``order`` (int), ``placeholder`` (str),
    ``readonly`` (bool), ``enumNames`` (display labels for ``enum``; alternatively use
    ``oneOf: [{"const": ..., "title": ...}]``).
``x-compute``
    computed numeric field, filled server side before validation (so ``if``/``then`` can use it):
    ``{"sub": [a, b, ...]}`` = a - b - ...; ``{"add": [a, b, ...]}``; ``{"sum": [array, field]}`` =
    sum of ``field`` over the items of the sibling ``array`` (``{"sum": [array]}`` for an array of
    numbers).  Operands are sibling field names or number literals.  If an operand is missing or
    not a number the computed field is left out.
``x-messages``
    per property, overrides the error message per validator keyword, e.g.
    ``{"pattern": "Укажите код в виде 01.02.03"}`` (used verbatim: forms are authored in Russian).

Custom formats (asserted): ``inn``, ``ogrn``, ``programme-code``, ``date``, ``email``.

HTML naming (see :func:`parse_form_post` and ``web/templates/forms/_macros.html``): top level
``name``; nested object ``parent-child``; array of objects ``lines-0-programme_code``; array of
scalars: the same name repeated; file inputs ``file:<name>`` (not parsed here: the caller stores
the upload and puts its reference into the data).

Pure module: no database, no SpiffWorkflow.  Messages are translated with flask_babel's gettext
and degrade to the English msgids outside an application with Babel.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import flask_babel
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema import validators as _jsonschema_validators
from jsonschema.exceptions import SchemaError
from stdnum.exceptions import InvalidChecksum, InvalidFormat
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.ru import inn as _stdnum_inn
from stdnum.ru import ogrn as _stdnum_ogrn

__all__ = [
    "FORMAT_CHECKER",
    "WIDGETS",
    "FieldError",
    "FormError",
    "apply_computed",
    "check_form_schema",
    "decision_options",
    "errors_to_dict",
    "load_form",
    "parse_form_post",
    "validate",
]

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


def _(msgid: str, **variables: Any) -> str:
    """flask_babel.gettext that also works in an app context without Flask-Babel.

    Outside any app context flask_babel already falls back to the msgid; inside an app that did
    not init Babel it raises KeyError('babel') - fall back to the msgid there too.
    """
    try:
        return flask_babel.gettext(msgid, **variables)
    except (KeyError, RuntimeError):
        return msgid % variables if variables else msgid


class FormError(Exception):
    """A form file is unknown, unreadable or not a valid form schema."""


@dataclass
class FieldError:
    path: str  # "lines/0/programme_code"; "" for the root
    code: str  # the JSON Schema keyword that failed: "required", "type", "format", ...
    message: str  # translated


# --- formats -----------------------------------------------------------------


class _BadDate(ValueError):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # "form" | "value"


FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("inn", raises=StdnumValidationError)
def _check_inn(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    _stdnum_inn.validate(instance)
    return True


@FORMAT_CHECKER.checks("ogrn", raises=StdnumValidationError)
def _check_ogrn(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    _stdnum_ogrn.validate(instance)
    return True


@FORMAT_CHECKER.checks("programme-code")
def _check_programme_code(instance: object) -> bool:
    return not isinstance(instance, str) or bool(PROGRAMME_CODE_RE.match(instance))


@FORMAT_CHECKER.checks("date", raises=_BadDate)
def _check_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not ISO_DATE_RE.match(instance):
        raise _BadDate("form")
    try:
        date.fromisoformat(instance)
    except ValueError:
        raise _BadDate("value") from None
    return True


@FORMAT_CHECKER.checks("email")
def _check_email(instance: object) -> bool:
    return not isinstance(instance, str) or bool(EMAIL_RE.match(instance))


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
            return [(v, str(n)) for v, n in zip(enum, names)]
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
    if widget in ("select", "radio", "buttons") and not _options(prop) and _types(prop)[:1] != ["boolean"]:
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
    """Computed field names of one object level, dependencies first."""
    computed = {n: p["x-compute"] for n, p in props.items() if isinstance(p, dict) and "x-compute" in p}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(n: str, chain: tuple[str, ...]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            if strict:
                raise FormError(f"{where}{n}: x-compute cycle {' -> '.join(chain + (n,))}")
            return
        state[n] = 1
        for dep in _compute_deps(computed[n]):
            if dep in computed:
                visit(dep, chain + (n,))
        state[n] = 2
        order.append(n)

    for n in computed:
        visit(n, ())
    return order


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
            if not _is_number(value):
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


# --- validation ------------------------------------------------------------------


def _required(validator, required, instance, schema):
    # Same as jsonschema's, but the error path points at the missing field itself.
    if not validator.is_type(instance, "object"):
        return
    for prop in required:
        if prop not in instance:
            yield ValidationError(f"{prop!r} is a required property", path=[prop])


def _dependent_required(validator, dependent, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for prop, needed in dependent.items():
        if prop in instance:
            for each in needed:
                if each not in instance:
                    yield ValidationError(f"{each!r} is a dependency of {prop!r}", path=[each])


def _additional_names(instance: dict, schema: dict) -> list[str]:
    props = _properties(schema)
    patterns = schema.get("patternProperties") or {}
    return [k for k in instance if k not in props and not any(re.search(p, k) for p in patterns)]


def _additional_properties(validator, aP, instance, schema):
    # One error per unknown key, with the key as path.
    if not validator.is_type(instance, "object"):
        return
    extras = _additional_names(instance, schema)
    if validator.is_type(aP, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], aP, path=extra)
    elif aP is False:
        for extra in extras:
            yield ValidationError(f"Additional property {extra!r} is not allowed", path=[extra])


_FormValidator = _jsonschema_validators.extend(
    Draft202012Validator,
    validators={
        "required": _required,
        "dependentRequired": _dependent_required,
        "additionalProperties": _additional_properties,
    },
)


def validate(schema: dict, data: dict) -> tuple[dict, list[FieldError]]:
    """Compute, then validate ``data`` against ``schema``.

    Returns ``(clean_data, errors)``: clean_data has the computed fields filled in and, where the
    schema says ``additionalProperties: false``, unknown keys dropped (they are also reported as
    errors, one per key); errors lists every problem, sorted by path.  Never raises for any
    JSON-like ``data`` (a non-object gives ``{}`` and a root type error).
    """
    computed = apply_computed(schema, data)
    validator = _FormValidator(schema, format_checker=FORMAT_CHECKER)
    found: dict[tuple[str, str, str], FieldError] = {}
    for error in validator.iter_errors(computed):
        parts = list(error.absolute_path)
        path = "/".join(str(p) for p in parts)
        code = str(error.validator) if error.validator is not None else "false"
        if "propertyNames" in error.relative_schema_path:
            code = "propertyNames"  # the inner error is about the key, not the value
        message = _message(error, schema, parts, code)
        found.setdefault((path, code, message), FieldError(path, code, message))
    errors = sorted(found.values(), key=lambda e: (_path_key(e.path), e.code, e.message))
    clean = _drop_unknown(schema, computed) if isinstance(computed, dict) else {}
    return clean, errors


def errors_to_dict(errors: list[FieldError]) -> dict[str, str]:
    """path -> message for the form macro (several messages for one path joined with "; ")."""
    out: dict[str, str] = {}
    for e in errors:
        out[e.path] = f"{out[e.path]}; {e.message}" if e.path in out else e.message
    return out


def _path_key(path: str) -> tuple:
    if not path:
        return ()
    return tuple((0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p) for p in path.split("/"))


def _drop_unknown(schema: Any, value: Any) -> Any:
    if isinstance(value, dict) and isinstance(schema, dict):
        props = _properties(schema)
        if schema.get("additionalProperties") is False:
            for extra in _additional_names(value, schema):
                del value[extra]
        for name, sub in props.items():
            if name in value:
                value[name] = _drop_unknown(sub, value[name])
    elif isinstance(value, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        return [_drop_unknown(schema["items"], v) for v in value]
    return value


def _schema_at(root: dict, parts: list) -> Any:
    """The property schema at a data path (walks properties/items only)."""
    s: Any = root
    for p in parts:
        if not isinstance(s, dict):
            return None
        s = s.get("items") if isinstance(p, int) else _properties(s).get(p)
    return s


def _message(error: ValidationError, root: dict, parts: list, code: str) -> str:
    sources = [_schema_at(root, parts)]
    if code not in ("required", "dependentRequired", "additionalProperties"):
        sources.insert(0, error.schema)
    for source in sources:
        overrides = source.get("x-messages") if isinstance(source, dict) else None
        if isinstance(overrides, dict) and isinstance(overrides.get(code), str):
            return overrides[code]
    return _default_message(error, code)


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _type_message(expected: Any) -> str:
    if isinstance(expected, list):
        expected = [t for t in expected if t != "null"]
        expected = expected[0] if len(expected) == 1 else None
    if expected == "string":
        return _("Expected text")
    if expected == "integer":
        return _("Expected a whole number")
    if expected == "number":
        return _("Expected a number")
    if expected == "boolean":
        return _("Expected yes or no")
    if expected == "array":
        return _("Expected a list")
    if expected == "object":
        return _("Expected a group of fields")
    if expected == "null":
        return _("Expected an empty value")
    return _("Invalid value type")


def _format_message(fmt: Any, cause: BaseException | None) -> str:
    if fmt == "inn":
        if isinstance(cause, InvalidChecksum):
            return _("Invalid INN: checksum does not match")
        return _("INN must consist of 10 or 12 digits")
    if fmt == "ogrn":
        if isinstance(cause, InvalidChecksum):
            return _("Invalid OGRN: checksum does not match")
        if isinstance(cause, InvalidFormat):
            return _("OGRN must consist of 13 digits (15 for an individual entrepreneur)")
        return _("Invalid OGRN")
    if fmt == "programme-code":
        return _("Programme code must have the form NN.NN.NN")
    if fmt == "date":
        if isinstance(cause, _BadDate) and cause.kind == "value":
            return _("This date does not exist")
        return _("Date must have the form YYYY-MM-DD")
    if fmt == "email":
        return _("Invalid email address")
    return _("Invalid format")


def _default_message(error: ValidationError, code: str) -> str:
    value = error.validator_value
    instance = error.instance
    if code in ("required", "dependentRequired"):
        return _("This field is required")
    if code == "type":
        return _type_message(value)
    if code == "minimum":
        return _("Must be at least %(limit)s", limit=_num(value))
    if code == "maximum":
        return _("Must be at most %(limit)s", limit=_num(value))
    if code == "exclusiveMinimum":
        return _("Must be greater than %(limit)s", limit=_num(value))
    if code == "exclusiveMaximum":
        return _("Must be less than %(limit)s", limit=_num(value))
    if code == "multipleOf":
        return _("Must be a multiple of %(limit)s", limit=_num(value))
    if code == "minLength":
        if value == 1:
            return _("Must not be empty")
        return _(
            "Too short: at least %(limit)s characters (now %(actual)s)",
            limit=value,
            actual=len(instance) if isinstance(instance, str) else 0,
        )
    if code == "maxLength":
        return _(
            "Too long: at most %(limit)s characters (now %(actual)s)",
            limit=value,
            actual=len(instance) if isinstance(instance, str) else 0,
        )
    if code == "pattern":
        return _("Invalid format")
    if code == "format":
        return _format_message(value, error.cause)
    if code == "enum":
        return _("Choose one of the allowed values")
    if code == "const":
        if value is True:
            return _("This box must be checked")
        return _("Invalid value")
    if code in ("oneOf", "anyOf"):
        if _options(error.schema):
            return _("Choose one of the allowed values")
        if code == "oneOf" and not error.context:
            return _("The value matches more than one option")
        return _("The value does not match any allowed option")
    if code == "minItems":
        if value == 1:
            return _("Add at least one row")
        return _("At least %(limit)s items required", limit=value)
    if code == "maxItems":
        return _("At most %(limit)s items allowed", limit=value)
    if code == "uniqueItems":
        return _("Values must not repeat")
    if code in ("additionalProperties", "unevaluatedProperties"):
        return _("Unknown field")
    if code in ("unevaluatedItems", "items", "prefixItems"):
        return _("Extra items are not allowed")
    if code in ("contains", "minContains"):
        return _("The list lacks a required item")
    if code == "maxContains":
        return _("Too many matching items in the list")
    if code == "minProperties":
        return _("Too few fields are filled in")
    if code == "maxProperties":
        return _("Too many fields are filled in")
    if code == "propertyNames":
        return _("Invalid field name")
    if code in ("not", "false"):
        return _("This value is not allowed")
    return _("Invalid value")


def decision_options(schema: dict) -> list[tuple[str, str]]:
    """(value, label) of the ``decision`` field's options, [] if the form has no decision."""
    prop = _properties(schema).get("decision")
    return [(_option_str(v), label) for v, label in _options(prop)]


# --- HTML form posts --------------------------------------------------------------

_TRUE = frozenset({"on", "true", "1", "yes", "да"})
_FALSE = frozenset({"off", "false", "0", "no", "нет"})
_SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009']+")
_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_FLOAT_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_RU_DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_form_post(schema: dict, form) -> dict:
    """Turn an HTML form post (a werkzeug MultiDict) into typed JSON data for ``schema``.

    * ``title``; nested objects ``applicant-inn``; arrays of objects ``lines-0-programme_code``
      (any indexes, in numeric order; rows whose visible inputs are all empty are dropped, the
      rest are renumbered from 0); arrays of scalars from repeated keys.
    * Empty strings (after trimming; textareas are not trimmed) mean "missing".
    * integer/number are coerced ("1 000", "2,5" accepted); an unparsable value is kept as the raw
      string so that validation reports a type error.  Enum values are mapped back to their JSON
      type by their HTML spelling.
    * booleans: a checkbox posts "on" -> True and nothing -> False; radio/select booleans take
      true/false/да/нет and are missing when empty.
    * Computed (x-compute), readonly (x-ui.readonly) and file fields are never taken from the post:
      merge them in from the stored data / uploads.  Keys not in the schema (csrf_token...) are
      ignored.
    """
    result = _parse_object(schema, form, "", defaults=True)
    return result if result is not _MISSING else {}


def _skip_in_post(prop: dict) -> bool:
    ui = _ui(prop)
    return "x-compute" in prop or ui.get("readonly") is True or ui.get("widget") == "file"


def _is_checkbox(prop: dict) -> bool:
    return (
        _types(prop)[:1] == ["boolean"]
        and _ui(prop).get("widget") not in ("radio", "select", "hidden", "buttons")
        and not _options(prop)
    )


def _parse_object(schema: dict, form, prefix: str, defaults: bool, visible_only: bool = False):
    out: dict[str, Any] = {}
    for name, prop in _properties(schema).items():
        if not isinstance(prop, dict) or _skip_in_post(prop):
            continue
        if visible_only and _ui(prop).get("widget") == "hidden":
            continue
        value = _parse_value(prop, form, prefix + name, defaults)
        if value is not _MISSING:
            out[name] = value
    return out if out else _MISSING


def _parse_value(prop: dict, form, key: str, defaults: bool):
    types = _types(prop)
    items = _array_items(prop)
    if items is not None:
        if _properties(items):
            return _parse_rows(items, form, key)
        values = [_coerce(items, raw) for raw in form.getlist(key)]
        values = [v for v in values if v is not _MISSING]
        return values if values else _MISSING
    if "object" in types and _properties(prop):
        return _parse_object(prop, form, key + "-", defaults)
    if _is_checkbox(prop):
        raw = form.get(key)
        if raw is None or not str(raw).strip():
            return False if defaults else _MISSING
        low = str(raw).strip().lower()
        return True if low in _TRUE else False if low in _FALSE else str(raw)
    raw = form.get(key)
    return _MISSING if raw is None else _coerce(prop, raw)


def _parse_rows(items: dict, form, key: str):
    row_re = re.compile(re.escape(key) + r"-([0-9]+)-")
    indexes = {m.group(1) for k in form.keys() if (m := row_re.match(k))}
    rows = []
    for index in sorted(indexes, key=lambda s: (int(s), s)):
        prefix = f"{key}-{index}-"
        # a row counts only if a visible input has a real value (an unchecked checkbox or a
        # hidden row id is not one: clearing every cell of a row deletes it)
        if _parse_object(items, form, prefix, defaults=False, visible_only=True) is _MISSING:
            continue
        rows.append(_parse_object(items, form, prefix, defaults=True))
    return rows if rows else _MISSING


def _coerce(prop: Any, raw: Any):
    if not isinstance(raw, str):
        return _MISSING  # e.g. a FileStorage; files are handled by the caller
    widget = _ui(prop).get("widget")
    text = raw.replace("\r\n", "\n") if widget == "textarea" else raw.strip()
    if not text.strip():
        return _MISSING
    for value, _label in _options(prop):
        if _option_str(value) == text.strip():
            return value
    types = _types(prop)
    if "integer" in types or "number" in types:
        number = _parse_number(text, allow_float="number" in types)
        if number is not None:
            return number
        return text  # kept: validation reports "expected a number"
    if "boolean" in types:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return text
    if isinstance(prop, dict) and prop.get("format") == "date":
        m = _RU_DATE_RE.match(text)
        if m:
            day, month, year = m.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return text


def _parse_number(text: str, allow_float: bool) -> int | float | None:
    s = _SPACES_RE.sub("", text)
    if allow_float and "," in s and "." not in s and s.count(",") == 1:
        s = s.replace(",", ".")
    try:
        if _INT_RE.match(s):
            return int(s)
        if allow_float and _FLOAT_RE.match(s):
            value = float(s)
            return value if math.isfinite(value) else None
    except (ValueError, OverflowError):
        return None
    return None
