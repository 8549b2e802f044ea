"""Error messages of a form, in Russian (translated with flask_babel; the English msgids outside an app)."""

from __future__ import annotations

from typing import Any

import flask_babel
from jsonschema import ValidationError
from stdnum.exceptions import InvalidChecksum, InvalidFormat

from ..numbers import whole_number
from .schema import FieldError, _options, _schema_at


def _(msgid: str, **variables: Any) -> str:
    """flask_babel.gettext that also works in an app context without Flask-Babel.

    Outside any app context flask_babel already falls back to the msgid; inside an app that did
    not init Babel it raises KeyError('babel') - fall back to the msgid there too.
    """
    try:
        return flask_babel.gettext(msgid, **variables)
    except (KeyError, RuntimeError):
        return msgid % variables if variables else msgid


# --- formats -----------------------------------------------------------------


class _BadDate(ValueError):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # "form" | "value"


def errors_to_dict(errors: list[FieldError]) -> dict[str, str]:
    """path -> message for the form macro (several messages for one path joined with "; ")."""
    out: dict[str, str] = {}
    for e in errors:
        out[e.path] = f"{out[e.path]}; {e.message}" if e.path in out else e.message
    return out


def _path_key(path: str) -> tuple:
    if not path:
        return ()
    return tuple((0, n, "") if (n := whole_number(p)) is not None else (1, 0, p) for p in path.split("/"))


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
