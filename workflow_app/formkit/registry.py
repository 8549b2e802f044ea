"""Fields that reference an organisation: ``"x-organisation": "<kind>"`` on a string property.

The value is the code of an organisation of that kind in the registry (``services/people/organisations.py``). The form
file names only the kind; :func:`with_options` turns every such field into a choice (``enum`` of the codes,
``x-ui.enumNames`` of the names, a ``select`` widget) from what the caller supplies, so that the same JSON
Schema validation refuses a code that is not in the registry at entry, the HTML page renders a select and the
API publishes the choices. Pure: the caller (a service) reads the registry.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .schema import _array_items, _properties

ORGANISATION_KEY = "x-organisation"
# the kinds of the organisations' registry (services/people/organisations.py uses this tuple)
ORGANISATION_KINDS = ("department", "college", "investor", "employment_centre", "council", "other")
NOT_IN_REGISTRY = "Выберите организацию из реестра организаций"


def references_organisations(schema: Any) -> bool:
    """Whether any property (nested ones included) references an organisation."""
    for prop in _properties(schema).values():
        if not isinstance(prop, dict):
            continue
        if ORGANISATION_KEY in prop:
            return True
        items = _array_items(prop)
        if references_organisations(items if items is not None else prop):
            return True
    return False


def with_options(schema: dict, options_of: Callable[[str], list[tuple[str, str]]]) -> dict:
    """A copy of ``schema`` whose organisation references are choices of ``options_of(kind)`` ((code, name)
    pairs); ``schema`` itself when it references none."""
    if not references_organisations(schema):
        return schema
    out = copy.deepcopy(schema)
    cache: dict[str, list[tuple[str, str]]] = {}
    _fill(out, lambda kind: cache.setdefault(kind, options_of(kind)))
    return out


def _fill(schema: Any, options_of: Callable[[str], list[tuple[str, str]]]) -> None:
    for prop in _properties(schema).values():
        if not isinstance(prop, dict):
            continue
        if ORGANISATION_KEY in prop:
            options = options_of(prop[ORGANISATION_KEY])
            prop["enum"] = [code for code, _name in options]
            ui = prop.setdefault("x-ui", {})
            ui["enumNames"] = [name for _code, name in options]
            ui.setdefault("widget", "select")
            prop.setdefault("x-messages", {}).setdefault("enum", NOT_IN_REGISTRY)
            continue
        items = _array_items(prop)
        _fill(items if items is not None else prop, options_of)
