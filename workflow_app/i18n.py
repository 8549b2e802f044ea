"""Translations: one gettext catalog (domain) per area under translations/<lang>/LC_MESSAGES/*.po.

Message ids are English; Russian is the default UI language. Catalogs are compiled to .mo at start-up
when the .po is newer, so a checkout needs no separate compile step; every domain is merged by Flask-Babel.
"""

import os
from pathlib import Path

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs() -> list[str]:
    domains = set()
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        domains.add(po.stem)
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name, domain=po.stem)
            tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")  # processes starting together each write their own
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)
    return sorted(domains) or ["messages"]


def configure(app) -> None:
    domains = compile_catalogs()
    app.config["BABEL_DOMAIN"] = ";".join(domains)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(TRANSLATIONS)] * len(domains))


def content_text(text):
    """A text of the deployed content (a process, task, field or option name, written in Russian in the BPMN and
    form files) in the UI language: the catalogs of translations/<lang>/LC_MESSAGES/content.po map the Russian
    text to its translation; Russian stays as written, and so does any text no catalog knows."""
    if not isinstance(text, str) or not text:
        return text
    try:
        return flask_babel.gettext(text)
    except (KeyError, RuntimeError):  # outside a request or without Babel: as written
        return text


_SCHEMA_TEXT_KEYS = ("title", "description")


def localize_schema(schema):
    """A form schema with its titles, descriptions and option labels in the UI language (a copy; Russian: as is)."""
    try:
        if str(flask_babel.get_locale() or "ru") == "ru":
            return schema
    except (KeyError, RuntimeError):
        return schema
    return _localized(schema)


def _localized(node):
    if isinstance(node, list):
        return [_localized(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _SCHEMA_TEXT_KEYS and isinstance(value, str):
            out[key] = content_text(value)
        elif key == "x-ui" and isinstance(value, dict):
            ui = dict(value)
            if isinstance(ui.get("enumNames"), list):
                ui["enumNames"] = [content_text(n) for n in ui["enumNames"]]
            out[key] = ui
        elif key == "x-messages":
            out[key] = value
        else:
            out[key] = _localized(value)
    return out
