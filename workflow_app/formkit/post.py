"""HTML form posts parsed back into data: the field names the template macros render
(``web/templates/forms/_macros.html``), Russian number and date spellings, check boxes, rows of arrays.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .schema import _MISSING, _array_items, _option_str, _options, _properties, _types, _ui

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
    indexes = {m.group(1) for k in form if (m := row_re.match(k))}
    rows = []
    # numeric order of the row numbers (digits only, by the regex) without int(): a client may send thousands
    for index in sorted(indexes, key=lambda s: (len(s.lstrip("0")), s.lstrip("0"), s)):
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
