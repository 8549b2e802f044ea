"""The HTML UI through the Flask test client, CSRF enabled: login, inbox tabs, task page, errors."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from factories import example_people
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, HumanTask

MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
PASSWORD = "pw-123456"
REQUEST = {"title": "Заявка на места", "amount": "25", "justification": "Нужно больше мест для набора"}


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


@pytest.fixture
def people(app):
    return example_people()


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username, password=PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token(page.get_data(as_text=True))})


def post(client, url, data=None, page="/inbox", **kw):
    """POST with the CSRF token taken from ``page`` (any page of the logged-in session)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(url, data={**(data or {}), "csrf_token": token(html)}, **kw)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def start_example(client, key="КЦП-2027/ТПТ", title="Заявка колледжа 1"):
    resp = post(client, "/start", {"process_id": "example_approval", "business_key": key, "title": title}, page="/start")
    assert resp.status_code == 302, text(resp)
    return resp.headers["Location"]


def task_id_of(location: str) -> int:
    return int(re.search(r"/tasks/(\d+)", location).group(1))


def test_login_logout_and_audit(client, people):
    assert client.get("/").status_code == 302
    resp = client.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = login(client, "college_officer_1")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    page = text(client.get("/inbox"))
    assert "Входящие" in page and "College Officer 1" in page and "Колледж 1" in page
    resp = post(client, "/logout")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/inbox").status_code == 302
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert "login" in kinds and "logout" in kinds


def test_wrong_password_is_refused_in_russian_and_audited(client, people):
    resp = login(client, "college_officer_1", "wrong")
    assert resp.status_code == 401
    assert "Неверное имя пользователя или пароль" in text(resp)
    assert client.get("/inbox").status_code == 302
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "login_failed")).all()
    assert [e.payload["username"] for e in failed] == ["college_officer_1"]
