"""Every message a person can see is translated: the catalogs are scanned for the strings templates and code use.

- every ``_('…')`` of a template and every gettext/lazy_gettext call of the code has a Russian translation;
- every error a service raises (Invalid, Conflict, NotFound, …) is a msgid of the catalogs (a %(name)s template
  with its values as keywords), never an f-string, which no catalog could translate;
- every kind of audit event the code records has a label on the audit pages.
"""

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po
from factories import user
from test_web import login, token

PACKAGE = Path(__file__).resolve().parent.parent / "workflow_app"
ERRORS = {"Invalid", "Conflict", "Forbidden", "NotFound", "TooLarge", "Unauthorized", "BadRequest", "ServiceError"}
GETTEXT = {"_", "_l", "gettext", "lazy_gettext"}
TEMPLATE_MSGID = re.compile(r"""(?<![A-Za-z0-9_])_\(\s*(['"])((?:\\.|(?!\1).)*)\1""")


def catalog() -> dict:
    out = {}
    for po in (PACKAGE / "translations" / "ru" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id:
                    out[m.id if isinstance(m.id, str) else m.id[0]] = m.string
    return out


def python_files():
    for path in PACKAGE.rglob("*.py"):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _name(func) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def test_every_message_of_templates_and_code_has_a_russian_translation():
    ru = catalog()
    missing = set()
    for path, tree in python_files():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in GETTEXT and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not ru.get(arg.value):
                    missing.add(f"{path.relative_to(PACKAGE)}: {arg.value}")
    for path in (PACKAGE / "web" / "templates").rglob("*.html"):
        for m in TEMPLATE_MSGID.finditer(path.read_text(encoding="utf-8")):
            if not ru.get(m.group(2)):
                missing.add(f"{path.relative_to(PACKAGE)}: {m.group(2)}")
    assert sorted(missing) == []


def test_every_error_a_service_raises_is_translated_and_none_is_an_f_string():
    ru = catalog()
    untranslated, unformatted = [], []
    for path, tree in python_files():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if _name(node.exc.func) not in ERRORS or not node.exc.args:
                continue
            arg = node.exc.args[0]
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if isinstance(arg, ast.JoinedStr):
                unformatted.append(where)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not ru.get(arg.value):
                untranslated.append(f"{where}: {arg.value}")
    assert unformatted == [], "use a %(name)s msgid with keyword values instead of an f-string"
    assert untranslated == []


def test_every_recorded_audit_kind_has_a_label():
    from workflow_app.web.audit import KIND_LABELS

    kinds = set()
    for _path, tree in python_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if _name(node.func) == "record" and node.args and isinstance(node.args[0], ast.Constant):
                kinds.add(node.args[0].value)
            for kw in node.keywords:
                if kw.arg == "audit_kind" and isinstance(kw.value, ast.Constant):
                    kinds.add(kw.value.value)
    assert kinds and sorted(k for k in kinds if isinstance(k, str) and k not in KIND_LABELS) == []


def test_a_second_start_of_a_yearly_cycle_is_refused_in_russian(app, client):
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    deployment.deploy_path(SYSTEM, PACKAGE.parent / "bpmn")

    user("dpo_x", ["dpo_officer"])
    login(client, "dpo_x")
    page = client.get("/start").get_data(as_text=True)
    form = {"process_id": "kcp_campaign", "year": "2027", "csrf_token": token(page)}
    assert client.post("/start", data=form).status_code == 302
    r = client.post("/start", data=form)
    text = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "уже запущен" in text and "has already been started" not in text


def test_the_english_catalog_names_every_process_task_form_field_and_option():
    """The «EN» switch covers the deployed content: every process and user task name of bpmn/ and every form,
    field and option title of forms/ has an English translation in translations/en/LC_MESSAGES/content.po."""
    import html
    import json

    with (PACKAGE / "translations" / "en" / "LC_MESSAGES" / "content.po").open("rb") as f:
        english = {m.id: m.string for m in read_po(f) if m.id}
    texts = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "title" and isinstance(value, str):
                    texts.add(value)
                elif key == "x-ui" and isinstance(value, dict):
                    texts.update(n for n in value.get("enumNames") or [] if isinstance(n, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    root = PACKAGE.parent
    for path in (root / "forms").glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    for path in (root / "bpmn").glob("*.bpmn"):
        for m in re.finditer(r'<bpmn:(?:process|userTask)\b[^>]*\bname="([^"]+)"', path.read_text(encoding="utf-8")):
            texts.add(html.unescape(m.group(1)))
    assert texts and sorted(t for t in texts if not english.get(t)) == []
