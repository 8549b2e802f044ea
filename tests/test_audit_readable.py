"""The audit history and the audit search show what happened for a person: the values of a submitted form with the
form's labels, its tables as tables, its options by their labels, dates ДД.ММ.ГГГГ, names instead of ids and codes
(a group's, an organisation's, a step's) — never raw JSON or a code (issue #20).
"""

import json
import re

import journeys as J
from test_chains import ROOT, api, instance  # noqa: F401  (fixtures)
from test_documents import frozen, login, page_text  # noqa: F401  (fixtures)

from workflow_app.roles import ROLES
from workflow_app.services import datacalls

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
RAW_JSON = re.compile(r"[{\[]\s*\"|\"\s*:\s*[\[{\"\d]|'\w+': ")


def option_codes() -> set[str]:
    """Every option code of every shipped form (the texts a person must never read), and every group id."""
    codes = set(ROLES)

    def walk(node):
        if isinstance(node, dict):
            for v in node.get("enum") or []:
                if isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]{2,}", v):
                    codes.add(v)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in [*(ROOT / "forms").glob("*.json"), *(ROOT / "forms" / "data_calls").glob("*.json")]:
        walk(json.loads(path.read_text(encoding="utf-8")))
    return codes


def assert_readable(text: str, codes: set[str]):
    assert RAW_JSON.search(text) is None, RAW_JSON.search(text).group(0)
    assert ISO_DATE.search(text) is None, ISO_DATE.search(text).group(0)
    words = set(re.findall(r"[a-z][a-z0-9_]+", text))
    assert sorted(words & codes) == []


def test_the_history_shows_tables_options_and_names_never_json_or_codes(api):
    codes = option_codes()
    kcp = J.kcp_registered(2027)
    prof = J.professions_to_working_group(2028)
    inv = J.investor_to_working_group()
    call = datacalls.open_call(J.who("dpo_officer"), "poo_graduates", year=2027, deadline=5)
    tpt = J.who("college_officer_1").org_id
    task_id = next(r.task_id for r in call.recipients if r.org_id == tpt)
    rows = [
        {"programme_code": "15.02.16", "programme_name": "Технология машиностроения", "graduates": 24, "employed": 20}
    ]
    datacalls.submit(J.who("college_officer_1"), task_id, {"rows": rows, "contact": "Белов К. И."})
    call_key = "Запрос-2027/poo_graduates"

    web = login(api.client, "auditor")
    pages = {}
    for key in (kcp, prof, inv, call_key):
        html = web.get(f"/instances/{instance(key).id}/history").get_data(as_text=True)
        assert '<pre class="mono">' not in html
        pages[key] = page_text(html)
        assert_readable(pages[key], codes)

    # a submitted table is a table with the form's column titles and the options' labels
    inv_html = web.get(f"/instances/{instance(inv).id}/history").get_data(as_text=True)
    assert re.search(r"<th>Профессия</th>.*<th>Дефицит</th>", inv_html, re.S)
    assert "Аппаратчик химических производств" in pages[inv]
    assert "строительство" in pages[inv]  # the questionnaire's stage «construction» by its label
    assert "01.09.2029" in pages[inv]  # the launch date as ДД.ММ.ГГГГ
    assert "очная" in pages[inv].lower()  # a measure's form of study «full_time»
    # the group a task went to and the organisation a data-call answer came from, by their names
    assert "Специалист Департамента профессионального образования" in pages[kcp]
    call_html = web.get(f"/instances/{call.instance_id}/history").get_data(as_text=True)
    assert re.search(r"<th>Выпускников</th>.*<td>24</td>", call_html, re.S)
    assert "Томский политехнический техникум" in pages[call_key]
    # the fixed documents by their titles, with their checksum
    assert "Сводная таблица изменений КЦП" in pages[kcp] and "Контрольная сумма SHA-256" in pages[kcp]
    # the steps a case passed by their names
    assert "Объявить приём заявок ПОО" in pages[kcp]

    # the audit search lists the same details, never the raw payload
    html = web.get("/audit/?limit=500").get_data(as_text=True)
    assert '<pre class="mono">' not in html
    assert_readable(page_text(html), codes)
