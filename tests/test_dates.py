"""Dates a person reads are ДД.ММ.ГГГГ in Asia/Tomsk everywhere: pages, the public table, the order (DOCX and
PDF), notices and e-mails, exports for people. The case runs in the evening (UTC), when Tomsk is already on the
next day: a UTC date would be a day off."""

import io
import re
from datetime import UTC, date, datetime

import journeys as J
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from test_chains import api, instance  # noqa: F401  (fixtures)
from test_documents import docx_text, login, page_text, pdf_text

from workflow_app import dates
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import Notification

EVENING = datetime(2027, 4, 5, 18, 30, tzinfo=UTC)  # Monday 18:30 UTC = Tuesday 06.04.2027 01:30 in Tomsk
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(EVENING)
    yield
    clock.set_clock(None)


def test_the_shared_formatter_shows_the_regions_day():
    assert dates.ru_date(EVENING) == "06.04.2027" and dates.ru_datetime(EVENING) == "06.04.2027 01:30"
    assert dates.ru_date("2027-04-05T18:30:00+00:00") == "06.04.2027" == dates.ru_date("2027-04-05T18:30:00Z")
    assert dates.ru_date(date(2027, 4, 5)) == dates.ru_date("2027-04-05") == "05.04.2027"  # a calendar date stays
    assert dates.ru_date(None) == "" and dates.ru_date("не дата") == "не дата"
    assert dates.ru_dates_in("срок 2027-06-01, отправлено 2027-04-05T18:30:00+00:00") == (
        "срок 01.06.2027, отправлено 06.04.2027 01:30"
    )


def test_pages_documents_notices_and_exports_show_tomsk_dates_never_iso(api, client):
    client.application.config["SMTP_HOST"] = "mail.invalid"  # e-mails of new tasks are written to the outbox
    key = J.kcp_registered()
    campaign, request = instance(key), instance(f"{key}/ТПТ")
    read = {}
    officer = login(client, "dpo_officer")
    read["case page"] = officer.get(f"/instances/{campaign.id}").get_data(as_text=True)
    read["history page"] = officer.get(f"/instances/{campaign.id}/history").get_data(as_text=True)
    read["cases list"] = officer.get("/instances").get_data(as_text=True)
    college = login(client, "college_officer_1")
    read["inbox"] = college.get("/").get_data(as_text=True)
    read["request page"] = college.get(f"/instances/{request.id}").get_data(as_text=True)
    read["notices"] = college.get("/notices").get_data(as_text=True)
    read["public table"] = client.get("/public/kcp/2027").get_data(as_text=True)
    read["public index"] = client.get("/public/").get_data(as_text=True)
    texts = {name: page_text(html) for name, html in read.items()}
    texts["public csv"] = client.get("/public/kcp/2027.csv").get_data(as_text=True)
    xlsx = load_workbook(io.BytesIO(client.get("/public/kcp/2027.xlsx").data))
    texts["public xlsx"] = " ".join(str(c.value) for ws in xlsx for row in ws.iter_rows() for c in row if c.value)
    texts["order docx"] = docx_text(officer.get(f"/instances/{campaign.id}/documents/order.docx").data)
    texts["order pdf"] = pdf_text(officer.get(f"/instances/{campaign.id}/documents/order.pdf").data)
    db.session.expire_all()
    mails = db.session.execute(select(Notification.subject, Notification.body)).all()
    assert any("Срок" in b for _s, b in mails)
    texts["notices and e-mails"] = " ".join(f"{s} {b}" for s, b in mails)
    for name, text in texts.items():
        assert not ISO.findall(text), (name, ISO.findall(text)[:5])
    # the evening's steps happened on 06.04.2027 in Tomsk (05.04 in UTC)
    for name in ("case page", "history page", "request page", "public table"):
        assert "06.04.2027" in texts[name], name
        assert "05.04.2027" not in texts[name], name
    assert "24.05.2027" in texts["order docx"] and "24.05.2027" in texts["order pdf"]  # the registration date
    assert "01.06.2027" in texts["request page"]  # the site update is due on 1 June
