"""Values as a person reads them: option labels from the form, dates ДД.ММ.ГГГГ, «Да»/«Нет», numbers.

Pure helpers over JSON Schema form properties (no database): the materials, the documents and the
XLSX exports all show a value through :func:`display`, so no code (``agree``, ``construction``) reaches
a page, a file or an e-mail where the form gives it a label.
"""

from datetime import date, datetime

import flask_babel

from ...dates import ru_date, ru_datetime
from ...i18n import content_text


def _(msgid: str, **variables) -> str:
    try:
        return flask_babel.gettext(msgid, **variables)
    except (KeyError, RuntimeError):
        return msgid % variables if variables else msgid


def options(prop) -> dict:
    """value (as text) -> label of an enum-like property (enum + x-ui.enumNames, or oneOf/anyOf const/title)."""
    if not isinstance(prop, dict):
        return {}
    enum = prop.get("enum")
    if isinstance(enum, list):
        names = (prop.get("x-ui") or {}).get("enumNames")
        if isinstance(names, list) and len(names) == len(enum):
            return {str(v): content_text(str(n)) for v, n in zip(enum, names, strict=True)}
        return {}
    for key in ("oneOf", "anyOf"):
        alts = prop.get(key)
        if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
            return {str(a["const"]): content_text(str(a.get("title", a["const"]))) for a in alts}
    items = prop.get("items")
    if prop.get("type") == "array" and isinstance(items, dict):
        return options(items)
    return {}


def date_text(value) -> str:
    """ДД.ММ.ГГГГ for an ISO date (or datetime: in the region's time zone, with the time)."""
    if isinstance(value, datetime):
        return ru_datetime(value)
    if isinstance(value, date) or (isinstance(value, str) and len(value) == 10):
        return ru_date(value)
    return str(value)


def number_text(value) -> str:
    """1 234 / 2,5 (Russian digit grouping with a narrow no-break space, decimal comma)."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if isinstance(value, float):
        if value.is_integer():
            return number_text(int(value))
        return f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", "\u202f").replace(".", ",")
    return str(value)


def display(prop, value) -> str:
    """A stored value as text for a person, by the property that describes it ("" for nothing)."""
    if value is None or value == "" or value == []:
        return ""
    opts = options(prop)
    if isinstance(value, list):
        inner = prop.get("items") if isinstance(prop, dict) and isinstance(prop.get("items"), dict) else {}
        return ", ".join(display(inner, v) for v in value if not isinstance(v, dict))
    if opts and str(value) in opts:
        return opts[str(value)]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int) and is_year(prop, value):
        return str(value)  # 2029, not «2 029»
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("file_name") or value.get("filename") or "")
    if isinstance(prop, dict) and prop.get("format") == "date":
        return date_text(value)
    return str(value)


def is_year(prop, value) -> bool:
    """A year field (titled «Год…», «…год»): its value is written without digit grouping."""
    title = str(prop.get("title") or "").lower() if isinstance(prop, dict) else ""
    return (title.startswith("год") or " год" in title) and 1900 <= value <= 2200


def ordered_properties(schema) -> list[tuple[str, dict]]:
    """(name, property) of an object schema in display order: x-ui.order, then declaration order."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return []
    keyed = []
    for i, (name, prop) in enumerate(props.items()):
        if not isinstance(prop, dict):
            continue
        order = (prop.get("x-ui") or {}).get("order")
        keyed.append((order if isinstance(order, int) and not isinstance(order, bool) else 1_000_000, i, name, prop))
    return [(name, prop) for _o, _i, name, prop in sorted(keyed, key=lambda k: (k[0], k[1]))]


def is_hidden(prop) -> bool:
    return isinstance(prop, dict) and (prop.get("x-ui") or {}).get("widget") in ("hidden", "file")


def is_table(prop) -> bool:
    """An array of objects (a table of rows)."""
    return (
        isinstance(prop, dict)
        and prop.get("type") == "array"
        and isinstance(prop.get("items"), dict)
        and isinstance(prop["items"].get("properties"), dict)
    )
