"""The HTML UI through the Flask test client, CSRF enabled: login, inbox tabs, task page, errors."""

import re

import pytest
from sqlalchemy import select

from workflow_app.extensions import db
from workflow_app.models import AuditEvent, HumanTask

PASSWORD = "pw-123456"
REQUEST = {"title": "Заявка на места", "amount": "25", "justification": "Нужно больше мест для набора"}


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username, password=PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token(page.get_data(as_text=True))}
    )


def post(client, url, data=None, page="/inbox", **kw):
    """POST with the CSRF token taken from ``page`` (any page of the logged-in session)."""
    html = client.get(page).get_data(as_text=True)
    return client.post(url, data={**(data or {}), "csrf_token": token(html)}, **kw)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def start_example(client, key="КЦП-2027/ТПТ", title="Заявка колледжа 1"):
    resp = post(
        client, "/start", {"process_id": "example_approval", "business_key": key, "title": title}, page="/start"
    )
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


def test_russian_by_default_english_with_cookie(client, people):
    login(client, "college_officer_1")
    page = text(client.get("/inbox"))
    assert 'lang="ru"' in page and "Мои задачи" in page and "Задачи групп" in page and "Запустить процесс" in page
    resp = post(client, "/language", {"lang": "en", "next": "/inbox"})
    assert resp.status_code == 302 and "lang=en" in resp.headers["Set-Cookie"]
    page = text(client.get("/inbox"))
    assert 'lang="en"' in page and "My tasks" in page and "Мои задачи" not in page
    client.set_cookie("lang", "ru")
    assert "Мои задачи" in text(client.get("/inbox"))


def test_post_without_csrf_token_is_refused_with_a_russian_page(client, people, deployed):
    login(client, "college_officer_1")
    resp = client.post("/start", data={"process_id": "example_approval", "business_key": "X"})
    assert resp.status_code == 400
    body = text(resp)
    assert "Запрос не может быть обработан" in body and "CSRF" in body and "Traceback" not in body
    assert db.session.scalars(select(HumanTask)).all() == []


def test_journey_return_for_revision_and_the_timeline(client, people, deployed):
    login(client, "college_officer_1")
    location = start_example(client)
    tid = task_id_of(location)
    page = text(client.get(location))
    assert "Подать заявку" in page and "КЦП-2027/ТПТ" in page and 'name="lock_version"' in page
    resp = post(client, f"/tasks/{tid}/complete", {**REQUEST, "lock_version": "2"}, page=location)
    assert resp.status_code == 302, text(resp)
    post(client, "/logout")

    login(client, "dpo_officer")
    group = text(client.get("/inbox?tab=group"))
    assert "Рассмотреть заявку" in group and "Заявка колледжа 1" in group
    review = db.session.scalars(select(HumanTask).where(HumanTask.task_def == "review_request")).one()
    resp = post(client, f"/tasks/{review.id}/claim", {"next": f"/tasks/{review.id}"})
    assert resp.status_code == 302
    mine = text(client.get("/inbox?tab=mine"))
    assert "Рассмотреть заявку" in mine
    page = text(client.get(f"/tasks/{review.id}"))
    assert "Вернуть на доработку" in page and "Нужно больше мест для набора" in page  # the request as context
    lock = re.search(r'name="lock_version" value="(\d+)"', page).group(1)
    resp = post(
        client,
        f"/tasks/{review.id}/complete",
        {"decision": "return", "comment": "Приложите письма работодателей", "lock_version": lock},
        page=f"/tasks/{review.id}",
    )
    assert resp.status_code == 302, text(resp)
    post(client, "/logout")

    login(client, "college_officer_1")
    group = text(client.get("/inbox?tab=group"))
    assert "Подать заявку" in group
    again = db.session.scalars(
        select(HumanTask).where(HumanTask.task_def == "submit_request", HumanTask.status == "open")
    ).one()
    page = text(client.get(f"/tasks/{again.id}"))
    assert "Приложите письма работодателей" in page  # the reviewer's comment in the timeline
    assert "Вернуть на доработку" in page  # the decision label, not the raw value
    assert 'value="Заявка на места"' in page  # the previous submission prefilled


def test_invalid_form_is_rerendered_with_errors_and_values_422(client, people, deployed):
    login(client, "college_officer_1")
    location = start_example(client)
    tid = task_id_of(location)
    resp = post(
        client,
        f"/tasks/{tid}/complete",
        {"title": "Заявка X", "amount": "много", "justification": "", "lock_version": "2"},
        page=location,
    )
    assert resp.status_code == 422
    body = text(resp)
    assert "В форме есть ошибки" in body
    assert 'id="f-amount"' in body and 'value="много"' in body and 'value="Заявка X"' in body
    assert body.count('class="field-error"') >= 2
    assert db.session.scalars(select(HumanTask).where(HumanTask.id == tid)).one().status == "open"


def test_stale_page_gives_409_and_keeps_the_input(client, people, deployed):
    login(client, "college_officer_1")
    location = start_example(client)
    tid = task_id_of(location)
    resp = post(
        client, f"/tasks/{tid}/complete", {**REQUEST, "title": "Моя правка", "lock_version": "1"}, page=location
    )
    assert resp.status_code == 409
    body = text(resp)
    assert "дело изменил другой пользователь" in body and 'value="Моя правка"' in body
    assert db.session.get(HumanTask, tid).status == "open"


def test_forbidden_and_not_found_pages_are_russian(client, people, deployed):
    login(client, "college_officer_1")
    resp = client.get("/admin/models")
    assert resp.status_code == 403 and "Доступ запрещён" in text(resp) and "Traceback" not in text(resp)
    resp = client.get("/tasks/999999")
    assert resp.status_code == 404 and "Не найдено" in text(resp)
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "Не найдено" in text(resp)


def test_inbox_tabs_of_two_colleges(client, people, deployed):
    login(client, "college_officer_1")
    start_example(client, key="K-1", title="Дело колледжа один")
    post(client, "/logout")
    login(client, "college_officer_2")
    start_example(client, key="K-2", title="Дело колледжа два")
    t2 = db.session.scalars(select(HumanTask).where(HumanTask.business_key == "K-2")).one()
    post(client, f"/tasks/{t2.id}/claim", {"next": "/inbox"})
    mine = text(client.get("/inbox?tab=mine"))
    group = text(client.get("/inbox?tab=group"))
    assert "Дело колледжа два" in mine and "Дело колледжа один" not in mine
    assert (
        "Дело колледжа один" not in group and "Дело колледжа два" not in group
    )  # claimed: no longer in the group queue
    t1 = db.session.scalars(select(HumanTask).where(HumanTask.business_key == "K-1")).one()
    assert client.get(f"/tasks/{t1.id}").status_code == 404  # the other college's task does not exist for me
    assert 'id="tab-all"' not in mine  # «Все» is for auditors and admins
    post(client, "/logout")
    login(client, "college_officer_1")
    group = text(client.get("/inbox?tab=group"))
    assert "Дело колледжа один" in group and "Дело колледжа два" not in group
    post(client, "/logout")
    login(client, "auditor")
    everything = text(client.get("/inbox?tab=all"))
    assert "Дело колледжа один" in everything and "Дело колледжа два" in everything
    assert client.get("/inbox?tab=all").status_code == 200


def test_comment_attachment_and_oversized_upload(client, app, people, deployed):
    login(client, "college_officer_1")
    location = start_example(client)
    tid = task_id_of(location)
    resp = post(client, f"/tasks/{tid}/comments", {"body": "Черновик готов"}, page=location)
    assert resp.status_code == 302
    html = text(client.get(location))
    resp = client.post(
        f"/tasks/{tid}/attachments",
        data={"csrf_token": token(html), "file": (__import__("io").BytesIO(b"%PDF-1.4 demo"), "письмо.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, text(resp)
    page = text(client.get(location))
    assert "Черновик готов" in page and "письмо.pdf" in page
    att = re.search(r'href="(/tasks/\d+/attachments/\d+)"', page).group(1)
    assert client.get(att).data == b"%PDF-1.4 demo"
    app.config["ATTACHMENT_MAX_BYTES"] = 10
    resp = client.post(
        f"/tasks/{tid}/attachments",
        data={"csrf_token": token(page), "file": (__import__("io").BytesIO(b"x" * 100), "big.bin")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413 and "Файл слишком большой" in text(resp)


def test_admin_deploy_page_shows_the_broken_element(client, people, tmp_path):
    from pathlib import Path

    login(client, "admin")
    page = text(client.get("/admin/models"))
    assert "Развернуть модель процесса" in page
    source = (Path(__file__).resolve().parent.parent / "bpmn" / "examples" / "example_approval.bpmn").read_bytes()
    broken = source.replace(b'decision == "reject"', b'open("/etc/passwd")')
    resp = client.post(
        "/admin/models",
        data={"csrf_token": token(page), "bpmn": (__import__("io").BytesIO(broken), "broken.bpmn")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "Диаграмма не принята" in text(resp) and "gw_review" in text(resp)
    resp = client.post(
        "/admin/models",
        data={"csrf_token": token(page), "bpmn": (__import__("io").BytesIO(source), "example_approval.bpmn")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    assert "example_approval" in text(client.get("/admin/models"))


def test_navigation_follows_the_roles(client, people):
    from factories import user

    user("cc_secretary_x", ["cc_secretary"])
    cases = {
        "college_officer_1": (set(), {"/council/", "/audit/", "/admin/"}),
        "auditor": ({"/audit/"}, {"/council/", "/admin/"}),
        "admin": ({"/audit/", "/admin/", "/council/"}, set()),
        "cc_secretary_x": ({"/council/"}, {"/audit/", "/admin/"}),
    }
    for username, (shown, hidden) in cases.items():
        login(client, username)
        nav = re.search(r'<nav class="site-nav".*?</nav>', text(client.get("/inbox")), re.S).group(0)
        assert "/inbox" in nav and "/start" in nav and "/instances" in nav
        for href in shown:
            assert f'href="{href}' in nav, (username, href)
        for href in hidden:
            assert f'href="{href}' not in nav, (username, href)
        post(client, "/logout")


def test_start_refusal_is_shown_on_the_start_page(client, people, deployed):
    login(client, "dpo_head")  # not in the start lane of the example process
    page = text(client.get("/start"))
    assert "Нет процессов, которые вы можете запустить" in page
    resp = post(client, "/start", {"process_id": "example_approval"}, page="/start")
    assert resp.status_code == 403 and "Процесс не запущен" in text(resp)


def test_yearly_campaign_is_started_from_the_web_with_its_year(client, app):
    """A newcomer opens the КЦП campaign by hand: the start page passes the year to the chain's start rule."""
    from workflow_app.models import ProcessInstance
    from workflow_app.services import demo
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    demo.load(SYSTEM)
    deployment.deploy_path(SYSTEM, app.config["BPMN_DIR"])
    login(client, "dpo_officer", app.config["DEMO_PASSWORD"])
    page = text(client.get("/start"))
    assert 'href="/start?process=kcp_campaign"' in page or 'name="year"' in page  # a link to its start form
    page = text(client.get("/start?process=kcp_campaign"))
    assert 'name="year"' in page and "Год цикла" in page
    missing = post(client, "/start", {"process_id": "kcp_campaign"}, page="/start")
    assert missing.status_code == 422
    resp = post(client, "/start", {"process_id": "kcp_campaign", "year": "2027"}, page="/start")
    assert resp.status_code == 302, text(resp)
    campaign = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.process_id == "kcp_campaign")
    ).scalar_one()
    assert campaign.cycle_key == "2027" and campaign.business_key == "КЦП-2027"
    assert "Объявить приём заявок" in text(client.get(resp.headers["Location"]))
