"""Validation of submitted data against a form: the custom formats, required/additional fields, messages per field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema import validators as _jsonschema_validators
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.ru import inn as _stdnum_inn
from stdnum.ru import ogrn as _stdnum_ogrn

from .compute import apply_computed
from .messages import _BadDate, _message, _path_key
from .schema import EMAIL_RE, ISO_DATE_RE, PROGRAMME_CODE_RE, FieldError, _properties

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
