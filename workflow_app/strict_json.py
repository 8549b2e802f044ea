"""JSON bodies are checked before anything reads them: what Python's parser accepts but nothing after it can
store, hash or validate is a 400 naming the problem, never a 500 somewhere later.

Refused: malformed JSON or not UTF-8; nesting deeper than ``MAX_DEPTH`` (Python's parser recurses, and so
does everything that copies or validates the value); integers longer than ``MAX_INT_DIGITS`` digits (Python
refuses to convert more than 4,300 digits at all); NaN, Infinity and floats that overflow to infinity (not
JSON, and not comparable); lone UTF-16 surrogates (``"\\ud800"``: a string that cannot be written as UTF-8,
so no database, audit hash or page could hold it).
"""

import json
import math
import re

MAX_DEPTH = 64
MAX_INT_DIGITS = 30

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


class BadJson(ValueError):
    pass


def _depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
        else:
            depth -= 1
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadJson(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson("a number is out of range")
    return value


def _constant(name: str):
    raise BadJson(f"{name} is not a JSON value")


def _check_strings(value) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadJson("a text contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(data: bytes | str):
    """Parse a request body strictly (BadJson with a message for the client)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:  # counting is cheap
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except BadJson:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadJson(f"malformed JSON: {str(exc).splitlines()[0][:200]}") from None
    _check_strings(value)
    return value


def check_request(request) -> str | None:
    """The problem of a JSON request body, or None (no body, not JSON, or fine)."""
    if not request.is_json or (not request.content_length and not request.headers.get("Transfer-Encoding")):
        return None
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        loads(data)
    except BadJson as exc:
        return str(exc)
    return None
