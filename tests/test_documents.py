"""Officials see what they decide and get the documents they sign.

The case materials on the deciding tasks (labelled, with totals and changes), a task's own fields, and the
documents: the order and the consolidated table (DOCX read back with python-docx, PDF with pypdf) fixed at
registration with their SHA-256 in the audit chain, the protocol fixed when the chair signs, the documents API,
XLSX of every material table.
"""

import hashlib
import io
import json
import re
from datetime import UTC, datetime

import docx
import journeys as J
import pypdf
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from test_chains import ROOT, api, instance  # noqa: F401  (fixtures)
from test_web import token

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, FixedDocument, HumanTask
from workflow_app.services import council
from workflow_app.services.audit import trail

PASSWORD = "demo-pw-1"
MONDAY = datetime(2027, 4, 5, 3, 0, tzinfo=UTC)  # 10:00 in Tomsk, a working Monday


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


RAW_CODES = ("agree_with_remarks", "full_time", "ppssz", "employer_demand", "act_type", "construction", "2 ×", '{"')


def option_label(form_key, array, field, value):
    """The label a form gives an option (the chains' texts may change; the tests read them from the form)."""
    schema = json.loads((ROOT / "forms" / f"{form_key}.json").read_text(encoding="utf-8"))
    prop = schema["properties"][array]["items"]["properties"][field]
    return dict(zip(prop["enum"], prop["x-ui"]["enumNames"], strict=True))[value]


def login(client, username):
    """A browser session of ``username`` (a fresh cookie jar: one person per client)."""
    client = client.application.test_client()
    page = client.get("/login")
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token(page.get_data(as_text=True))}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return client


def open_task_id(key, task_def):
    return J.open_task(key, task_def).id


def page_text(html):
    """The text a person reads: tags, attributes, scripts and styles removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def docx_text(body: bytes) -> str:
    d = docx.Document(io.BytesIO(body))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return " ".join(" ".join(parts).split())


def pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())  # lines wrap in a PDF


def test_the_councils_task_shows_the_consolidated_table_and_a_visa_starts_empty(api, client):
    key = J.kcp_to_coordination_council(2027)
    web = login(client, "cc_secretary")
    html = web.get(f"/tasks/{open_task_id(key, 'cc_decision')}").get_data(as_text=True)
    text = page_text(html)
    assert 'id="material-kcp-consolidated"' in html
    for expected in ("Сводная таблица изменений КЦП на 2027 год", "Томский политехнический техникум", "15.02.16"):
        assert expected in text
    assert option_label("kcp_request", "lines", "base", "11") in text
    assert "уменьшение" in text and "увеличение" in text
    # totals: in force 25+25+50=100, new 50+15+75=140, change +40; the opinions so far with their labels
    assert re.search(r"Итого\s+100\s+140\s+140\s+140\s+40", " ".join(text.split()))
    assert "Согласовано с замечаниями" in text and "Учесть прогноз" in text
    for code in RAW_CODES:
        assert code not in text, code

    # the XLSX of the table has the same rows and totals
    r = web.get(f"/instances/{instance(key).id}/materials/kcp-consolidated.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0].startswith("Профессиональная образовательная организация")
    assert [r[2] for r in rows[1:4]] == ["15.02.16", "09.02.07", "09.02.07"]
    assert rows[4][-2:] == (140, 40) or rows[4][-3:-1] == (140, 40)

    # the council's comment does not pre-fill the head's visa: a task's fields are its own
    J.decide(key, "cc_decision", {"decision": "agree", "comment": "Согласовать."})
    J.do("dpo_officer", key, "draft_order", {"act_type": "распоряжение", "act_title": "О КЦП", "draft_text": "Текст"})
    web = login(client, "dpo_head")
    html = web.get(f"/tasks/{open_task_id(key, 'visa_head')}").get_data(as_text=True)
    comment = re.search(r'<textarea[^>]*name="comment"[^>]*>(.*?)</textarea>', html, flags=re.S)
    assert comment is not None and comment.group(1).strip() == ""
    assert 'id="document-preview"' in html  # the act being signed is on the signing step


def test_an_assessment_starts_from_the_requests_lines(api, client):
    _key, r1, _r2 = J.kcp_to_intake(2027)
    J.do("dpo_officer", r1, "formal_check", {"decision": "accept"})
    web = login(client, "dpo_officer")
    html = web.get(f"/tasks/{open_task_id(r1, 'assess')}").get_data(as_text=True)
    # the request's lines are shown as material and pre-fill the per-line opinion table
    assert 'id="material-form-lines"' in html
    assert re.search(r'value="15.02.16" id="f-line_opinions-0-programme_code"', html)
    assert re.search(r'value="50" id="f-line_opinions-0-proposed_kcp"', html)


def test_the_working_groups_task_shows_the_list_items_and_the_staffing_plan(api, client):
    key = J.professions_to_working_group(2028)
    web = login(client, "wg_secretary")
    text = page_text(web.get(f"/tasks/{open_task_id(key, 'wg_decision')}").get_data(as_text=True))
    assert "Проект Актуального перечня профессий на 2028 год" in text
    assert "Оператор станков с ЧПУ" in text and "Наборщик" in text
    for code in (*RAW_CODES, "retraining", "exclude"):
        assert code not in text, code

    case = J.investor_to_working_group()
    text = page_text(web.get(f"/tasks/{open_task_id(case, 'wg_decision')}").get_data(as_text=True))
    assert "Аппаратчик химических производств" in text and "Увеличить приём на 25 мест" in text
    assert "Согласны с планом." in text  # the investor's answer among the opinions so far
    for code in RAW_CODES:
        assert code not in text, code


def test_the_registered_order_is_fixed_with_its_hash_in_the_audit_chain(api, client):
    key = J.kcp_to_signing(2027)
    inst_id = instance(key).id
    web = login(client, "dpo_officer")
    listing = web.get(f"/api/v1/instances/{inst_id}/documents", headers={"Accept": "application/json"})
    assert listing.status_code == 200, listing.get_data(as_text=True)
    kinds = {d["kind"]: d for d in listing.get_json()}
    assert set(kinds) == {"order", "kcp_table"} and kinds["order"]["draft"] is True
    draft = web.get(kinds["order"]["files"][1]["url"])
    assert draft.status_code == 200 and "ПРОЕКТ" in pdf_text(draft.data)

    J.do("deputy_governor", key, "sign_order", {"decision": "sign"})
    J.do("records_office", key, "register_order", {"order_number": "321-ра", "order_date": "2027-05-24"})
    fixed = {
        (f.kind, f.fmt): f
        for f in db.session.execute(select(FixedDocument).where(FixedDocument.instance_id == inst_id)).scalars()
    }
    assert set(fixed) == {("order", "docx"), ("order", "pdf"), ("kcp_table", "docx"), ("kcp_table", "pdf")}
    events = [  # the councils' protocols on the way were fixed too: they belong to no case
        e
        for e in db.session.execute(select(AuditEvent).where(AuditEvent.kind == "document_fixed")).scalars()
        if e.payload["kind"] != "protocol"
    ]
    hashes = {(e.payload["kind"], e.payload["format"]): e.payload["sha256"] for e in events}
    assert all(e.instance_id == inst_id for e in events)

    listing = {d["kind"]: d for d in web.get(f"/api/v1/instances/{inst_id}/documents").get_json()}
    for kind in ("order", "kcp_table"):
        for f in listing[kind]["files"]:
            body = web.get(f["url"]).data
            assert f["fixed"] is True
            assert hashlib.sha256(body).hexdigest() == hashes[(kind, f["format"])] == f["sha256"]
            again = web.get(f"/instances/{inst_id}/documents/{kind}.{f['format']}").data
            assert again == body  # the same bytes, not a new rendering

    order_docx = docx_text(fixed[("order", "docx")].content)
    order_pdf = pdf_text(fixed[("order", "pdf")].content)
    for text in (order_docx, order_pdf):
        assert "АДМИНИСТРАЦИЯ ТОМСКОЙ ОБЛАСТИ" in text and "РАСПОРЯЖЕНИЕ" in text
        assert "321-ра" in text and "24.05.2027" in text
        assert "15.02.16" in text and "09.02.07" in text  # the appendix rows
        assert option_label("kcp_request", "lines", "base", "11") in text
        assert "Морозов Александр Михайлович" in text  # who signed
        assert "Заместитель Губернатора Томской области" in text  # the signatory's position
        assert "Петров Андрей Викторович" in text  # a visa
    table_docx = docx_text(fixed[("kcp_table", "docx")].content)
    assert "Томский техникум информационных технологий" in table_docx and "Итого" in table_docx
    for text in (table_docx, pdf_text(fixed[("kcp_table", "pdf")].content)):
        assert "СВОДНАЯ ТАБЛИЦА" in text and key in text and "05.04.2027" in text  # number and date
        assert "15.02.16" in text and "09.02.07" in text  # the rows
        # signed by the ДепПО officer who consolidated it, with the position
        assert "Специалист Департамента профессионального образования" in text and "Иванова Мария Сергеевна" in text
    assert trail.verify(db.session).ok

    # the public page of the published table links the fixed files
    html = client.get("/public/kcp/2027").get_data(as_text=True)
    assert "/public/kcp/2027/documents/order.pdf" in html
    assert client.get("/public/kcp/2027/documents/order.pdf").data == fixed[("order", "pdf")].content


def test_a_signed_protocol_is_fixed_with_attendance_votes_and_decisions(api, client):
    key = J.professions_to_working_group(2028)
    council.ensure_demo_memberships(db.session)
    db.session.commit()
    sec, chair = api._h("wg_secretary"), api._h("wg_chair")
    task_id = open_task_id(key, "wg_decision")
    meeting = client.post(
        "/api/v1/council/meetings",
        headers=sec,
        json={"body": "working_group", "starts_at": "2027-04-08T10:00", "place": "ДТЗН, каб. 301"},
    ).get_json()
    mid = meeting["id"]
    item_id = client.post(f"/api/v1/council/meetings/{mid}/items", headers=sec, json={"task_id": task_id}).get_json()[
        "items"
    ][0]["id"]
    assert client.post(f"/api/v1/council/meetings/{mid}/approve-agenda", headers=chair).status_code == 200
    bodies = client.get("/api/v1/council/bodies", headers=sec).get_json()
    wg = next(b for b in bodies if b["code"] == "working_group")
    members = [m["user_id"] for m in wg["members"] if m["role"] in ("chair", "member")]
    client.post(f"/api/v1/council/meetings/{mid}/attendance", headers=sec, json={"present": members})
    r = client.post(
        f"/api/v1/council/meetings/{mid}/items/{item_id}/decision",
        headers=sec,
        json={
            "outcome": "approve",
            "votes_for": len(members),
            "text": "Утвердить перечень",
            "fields": {"effective_date": "2028-01-01"},
        },
    )
    assert r.status_code == 200, r.get_json()
    web = login(client, "wg_secretary")
    draft = web.get(f"/council/meetings/{mid}/protocol.pdf")
    assert draft.status_code == 200 and "ПРОЕКТ" in pdf_text(draft.data)
    clock.set_clock(datetime(2027, 4, 8, 6, 0, tzinfo=UTC))  # the meeting (08.04, 10:00 in Tomsk) was held
    assert client.post(f"/api/v1/council/meetings/{mid}/sign", headers=sec).status_code == 200
    assert client.post(f"/api/v1/council/meetings/{mid}/sign", headers=chair).status_code == 200

    rows = db.session.execute(select(FixedDocument).where(FixedDocument.protocol_id.is_not(None))).scalars().all()
    assert {r.fmt for r in rows} == {"docx", "pdf"}
    events = {
        e.payload["format"]: e.payload["sha256"]
        for e in db.session.execute(select(AuditEvent).where(AuditEvent.kind == "document_fixed")).scalars()
    }
    for fmt in ("docx", "pdf"):
        body = web.get(f"/council/meetings/{mid}/protocol.{fmt}").data
        assert hashlib.sha256(body).hexdigest() == events[fmt]
    text = docx_text(next(r.content for r in rows if r.fmt == "docx"))
    for t in (text, pdf_text(next(r.content for r in rows if r.fmt == "pdf"))):
        assert "ПРОТОКОЛ" in t and "№ 1" in t and "08.04.2027" in t
        assert "Присутствовали" in t and "Кворум имеется" in t
        assert "Решение № 1: Утвердить" in t and f"«за» — {len(members)}" in t
        assert "Председательствующий" in t and "Секретарь" in t
    assert trail.verify(db.session).ok
    assert db.session.get(HumanTask, task_id).status == "completed"
    html = web.get(f"/council/meetings/{mid}").get_data(as_text=True)
    assert f"/council/meetings/{mid}/protocol.pdf" in html


def test_the_english_switch_names_processes_tasks_fields_and_options_in_english(api, client):
    key = J.kcp_to_coordination_council(2027)
    web = login(client, "cc_secretary")
    web.set_cookie("lang", "en")
    html = web.get(f"/tasks/{open_task_id(key, 'cc_decision')}").get_data(as_text=True)
    text = " ".join(page_text(html).split())
    for english in (
        "Coordination Council decision on the quota change",  # the form's title
        "This question is decided by the collegial body at its meeting",  # no decision buttons: a protocol decides
        "Admission quotas: yearly quota change campaign",  # the process
        "Agreed with remarks",  # an option label in the opinions so far
        "full-time",  # an option label in the consolidated table
    ):
        assert english in text, english
    for russian in ("Решение Координационного совета по изменению КЦП", "решает коллегиальный орган", "очная"):
        assert russian not in text, russian
    web.set_cookie("lang", "ru")
    text = page_text(web.get(f"/tasks/{open_task_id(key, 'cc_decision')}").get_data(as_text=True))
    assert "решает коллегиальный орган на своём заседании" in text and "is decided by the collegial body" not in text


def test_a_poo_takes_its_request_lines_to_excel_and_back_with_errors_by_row_and_column(api, client):
    J.start("dpo_officer", "kcp_campaign", {"year": 2027})
    J.do("dpo_officer", "КЦП-2027", "announce", {"intake_deadline": "2027-04-26", "announcement": "Приём заявок"})
    key = J.start("college_officer_1", "kcp_request", {"year": 2027})
    task_id = open_task_id(key, "fill_request")
    web = login(client, "college_officer_1")
    html = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f"/tasks/{task_id}/tables/lines.xlsx" in html
    r = web.get(f"/tasks/{task_id}/tables/lines.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert "Запрашиваемые КЦП" in header and "Форма обучения" in header
    col = {title: i for i, title in enumerate(header)}
    level = option_label("kcp_request", "lines", "level", "ppssz")
    form_of_study = option_label("kcp_request", "lines", "form_of_study", "full_time")
    base = option_label("kcp_request", "lines", "base", "9")

    items = json.loads((ROOT / "forms" / "kcp_request.json").read_text(encoding="utf-8"))["properties"]["lines"]
    title = {name: prop["title"] for name, prop in items["items"]["properties"].items()}

    def line(code, requested):
        row = [None] * len(header)
        values = {
            "level": level,
            "programme_code": code,
            "programme_name": "Технология машиностроения",
            "form_of_study": form_of_study,
            "base": base,
            "current_kcp": 25,
            "requested_kcp": requested,
            "employer_confirmations": 3,
            "justification": "Потребность работодателей подтверждена письмами",
        }
        for name, value in values.items():
            row[col[title[name]]] = value
        return row

    # the download holds the form's current rows (the ПОО's lines in force), option labels, not codes
    codes = {ws.cell(r, col[title["programme_code"]] + 1).value for r in range(2, ws.max_row + 1)}
    assert codes == {"15.02.16", "15.01.05"}
    assert ws.cell(2, col[title["form_of_study"]] + 1).value == form_of_study
    ws.delete_rows(2, ws.max_row)
    ws.append(line("15.02.16", 40))
    ws.append(line("15.02", "много"))  # a bad code and a bad number, on the sheet's row 3
    out = io.BytesIO()
    wb.save(out)
    csrf = token(html)
    r = web.post(
        f"/tasks/{task_id}/tables/lines",
        data={"csrf_token": csrf, "file": (io.BytesIO(out.getvalue()), "lines.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    text = " ".join(page_text(r.get_data(as_text=True)).split())
    assert f"Строка 3, столбец «{title['programme_code']}»" in text
    assert f"Строка 3, столбец «{title['requested_kcp']}»" in text
    assert "Строка 2" not in text

    ws.delete_rows(3)
    out = io.BytesIO()
    wb.save(out)
    r = web.post(
        f"/tasks/{task_id}/tables/lines",
        data={"csrf_token": csrf, "file": (io.BytesIO(out.getvalue()), "lines.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(r'value="15.02.16" id="f-lines-0-programme_code"', html)
    assert re.search(r'value="40" id="f-lines-0-requested_kcp"', html)
    assert "Строка 2" not in page_text(html)


def _documents_of(web, inst_id) -> dict:
    listing = web.get(f"/api/v1/instances/{inst_id}/documents", headers={"Accept": "application/json"})
    assert listing.status_code == 200, listing.get_data(as_text=True)
    return {d["kind"]: d for d in listing.get_json()}


def _files(web, entry) -> dict:
    out = {}
    for f in entry["files"]:
        r = web.get(f["url"])
        assert r.status_code == 200 and r.data, f["url"]
        out[f["format"]] = r.data
    return out


def test_the_list_of_professions_and_the_staffing_plan_as_docx_and_pdf_on_every_page(api, client):
    """The list (fixed when the Working Group's decision is published) and the investor's staffing plan: number,
    date, rows and signatory in the DOCX (python-docx) and the PDF (pypdf); links on the task, the case, the
    public page (the list only: a staffing plan is an investor's) and in the documents API."""
    key = J.professions_to_working_group(2028)
    inst_id = instance(key).id
    web = login(client, "wg_secretary")
    task_html = web.get(f"/tasks/{open_task_id(key, 'wg_decision')}").get_data(as_text=True)
    assert f"/instances/{inst_id}/documents/professions_list.pdf" in task_html
    assert f"/instances/{inst_id}/documents/professions_list.docx" in task_html
    case_html = login(client, "dtzn_officer").get(f"/instances/{inst_id}").get_data(as_text=True)
    assert f"/instances/{inst_id}/documents/professions_list.pdf" in case_html
    entry = _documents_of(web, inst_id)["professions_list"]
    assert entry["draft"] is False and entry["number"] == key and entry["date"] == "05.04.2027"
    files = _files(web, entry)
    consolidated_by = "Смирнова Ольга Петровна"  # the ДТЗН officer of the demo data who consolidated it
    for text in (docx_text(files["docx"]), pdf_text(files["pdf"])):
        assert "ПЕРЕЧЕНЬ" in text and key in text and "05.04.2027" in text
        assert "Оператор станков с ЧПУ" in text and "Наборщик" in text  # the rows
        assert "Специалист Департамента труда и занятости населения" in text and consolidated_by in text

    # published after the Working Group's decision: fixed (hash in the audit chain), linked from the public page
    J.decide(key, "wg_decision", {"decision": "approve", "effective_date": "2028-01-01"})
    fixed = {
        (f.kind, f.fmt): f
        for f in db.session.execute(select(FixedDocument).where(FixedDocument.instance_id == inst_id)).scalars()
    }
    assert set(fixed) == {("professions_list", "docx"), ("professions_list", "pdf")}
    hashes = {
        e.payload["format"]: e.payload["sha256"]
        for e in db.session.execute(select(AuditEvent).where(AuditEvent.kind == "document_fixed")).scalars()
        if e.instance_id == inst_id
    }
    public = client.get("/public/professions/2028").get_data(as_text=True)
    for fmt in ("pdf", "docx"):
        assert f"/public/professions/2028/documents/professions_list.{fmt}" in public
        body = client.get(f"/public/professions/2028/documents/professions_list.{fmt}").data
        assert hashlib.sha256(body).hexdigest() == hashes[fmt] == fixed[("professions_list", fmt)].sha256
    assert "Оператор станков с ЧПУ" in pdf_text(
        client.get("/public/professions/2028/documents/professions_list.pdf").data
    )

    # the staffing plan of an investment project: on the Working Group's task and the case, never public
    case = J.investor_to_working_group()
    case_id = instance(case).id
    task_html = web.get(f"/tasks/{open_task_id(case, 'wg_decision')}").get_data(as_text=True)
    assert f"/instances/{case_id}/documents/staffing_plan.pdf" in task_html
    entry = _documents_of(web, case_id)["staffing_plan"]
    files = _files(web, entry)
    for text in (docx_text(files["docx"]), pdf_text(files["pdf"])):
        assert "КАДРОВЫЙ ПЛАН" in text and case in text and "05.04.2027" in text
        assert "Аппаратчик химических производств" in text and "Увеличить приём на 25 мест" in text
        assert "Представитель инвестора" in text
        assert "Дефицит" in text and "2 029" not in text  # a year is not a grouped number
    assert client.get(f"/instances/{case_id}/documents/staffing_plan.pdf").status_code in (302, 401)  # not public
