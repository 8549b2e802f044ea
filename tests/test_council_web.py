"""The council pages: the secretary builds and records through HTML forms, the chair approves and signs,
members read, the protocol prints, public protocols show without login (issue 5)."""

import hashlib
import re
from datetime import UTC, date, datetime

import pytest
from factories import actor, user
from flask import g
from sqlalchemy import select
from test_council import (  # noqa: F401  (fixtures)
    CC,
    DATA,
    NOW,
    chains,
    decide,
    open_task,
    people,
    ready_meeting,
    sign_both,
    start,
    token_for,
)

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import CollegialBody, Deputy, HumanTask, Meeting, Protocol, TaskAttachment
from workflow_app.services.errors import Forbidden
from workflow_app.services.tasks import commands

FROZEN_AT = NOW
ROOT_DIR = DATA.parent.parent.parent
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)

PASSWORD = "pw-123456"


def fresh_g():
    """The app fixture keeps one app context open across requests, and Flask-WTF caches the CSRF token on
    ``g``: drop it so that each browser gets the token of its own session."""
    g.pop("csrf_token", None)


def token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def logged_in(app, username):
    """A browser of its own for each person."""
    client = app.test_client()
    fresh_g()
    page = client.get("/login").get_data(as_text=True)
    resp = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(page)})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    return client


def post(client, url, data=None, page="/council/"):
    fresh_g()
    html = client.get(page).get_data(as_text=True)
    return client.post(url, data={**(data or {}), "csrf_token": token(html)})


def test_secretary_chair_and_member_pages_in_russian(app, people, chains):
    q = start("council_test_quota", "КЦП-2027/ТПТ", draft_decision="Согласовать увеличение на 25 мест")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-2027")
    client = logged_in(app, "cc_secretary")
    html = client.get("/council/").get_data(as_text=True)
    assert "Координационный совет" in html and "Коллегиальные органы" in html
    html = client.get(f"/council/bodies/{CC}").get_data(as_text=True)
    assert "КЦП-2027/ТПТ" in html and "ПЕРЕЧЕНЬ-2027" in html and "Согласовать увеличение на 25 мест" in html
    resp = post(
        client,
        f"/council/bodies/{CC}/meetings",
        {"starts_at": "2026-12-10T10:00", "place": "ул. Ленина, 6", "form": "in_person"},
    )
    assert resp.status_code == 302
    meeting = db.session.execute(select(Meeting)).scalar_one()
    murl = f"/council/meetings/{meeting.id}"
    for task in (open_task(q, "cc_decide"), open_task(lst, "cc_review")):
        assert post(client, f"{murl}/items", {"task_id": str(task.id)}, page=murl).status_code == 302
    html = client.get(murl).get_data(as_text=True)
    assert "Вопрос 1" in html and "Вопрос 2" in html and "10.12.2026 10:00" in html

    client = logged_in(app, "cc_chair")
    assert post(client, f"{murl}/approve", page=murl).status_code == 302
    client = logged_in(app, "cc_member_1")
    html = client.get("/council/").get_data(as_text=True)
    assert murl in html  # the member sees the upcoming meeting with its agenda and materials
    assert client.get(f"{murl}").status_code == 200
    resp = post(client, f"{murl}/attendance", {"present": [str(people["m1"].id)]}, page=murl)
    assert resp.status_code == 403 and "Доступ" in resp.get_data(as_text=True)

    client = logged_in(app, "cc_secretary")
    present = [str(people[k].id) for k in ("chair", "m1", "m2")]
    post(client, f"{murl}/attendance", {"present": present, f"substitute-{people['m3'].id}": "cc_deputy_m1"}, page=murl)
    html = client.get(murl).get_data(as_text=True)
    assert "присутствуют 4 из 5" in html
    items = sorted(meeting.items, key=lambda i: i.position)
    resp = post(
        client,
        f"{murl}/items/{items[0].id}/decision",
        {"outcome": "approve", "votes_for": "2", "votes_against": "2", "text": "Согласовать"},
        page=murl,
    )
    html = client.get(murl).get_data(as_text=True)
    assert "решающий голос председателя" in html.lower() or "голос председателя" in html  # the tie error
    post(
        client,
        f"{murl}/items/{items[0].id}/decision",
        {
            "outcome": "approve",
            "votes_for": "2",
            "votes_against": "2",
            "chair_casting_vote": "for",
            "text": "Согласовать",
            "ins-0-text": "Подготовить распоряжение",
            "ins-0-executor": "admin_to",
            "ins-0-deadline": "2026-12-20",
        },
        page=murl,
    )
    post(client, f"{murl}/items/{items[1].id}/decision", {"outcome": "agree", "votes_for": "4"}, page=murl)
    resp = post(client, f"{murl}/sign", page=murl)  # #19: not before the meeting has been held (10.12, Tomsk)
    html = client.get(murl).get_data(as_text=True)
    assert "Заседание ещё не состоялось (оно назначено на 10.12.2026 10:00)" in html, html[:3000]
    clock.set_clock(datetime(2026, 12, 10, 6, 0, tzinfo=UTC))  # 13:00 in Tomsk, after the meeting
    client = logged_in(app, "cc_secretary")  # nine days later: a new session
    assert post(client, f"{murl}/sign", page=murl).status_code == 302
    html = client.get(f"{murl}/protocol").get_data(as_text=True)
    assert "ПРОЕКТ ПРОТОКОЛА" in html

    client = logged_in(app, "cc_chair")
    resp = post(client, f"{murl}/sign", page=murl)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/protocol")
    html = client.get(f"{murl}/protocol").get_data(as_text=True)
    assert "ПРОТОКОЛ № 1" in html and "Решение № 1/1/1" in html and "Решение № 1/2/2" in html
    assert "Подготовить распоряжение" in html and "Cc Deputy M1" in html
    assert db.session.get(HumanTask, items[0].task_id).status == "completed"

    # public: the Coordination Council publishes its protocols (seeded setting); no login needed
    client = app.test_client()  # anonymous
    protocol = db.session.execute(select(Protocol)).scalar_one()
    html = client.get(f"/public/council/{CC}/protocols").get_data(as_text=True)
    assert f"/public/council/protocols/{protocol.id}" in html
    html = client.get(f"/public/council/protocols/{protocol.id}").get_data(as_text=True)
    assert "ПРОТОКОЛ № 1" in html and "Подготовить распоряжение" not in html  # no instructions, no case data
    assert "КЦП-2027/ТПТ" not in html and "ПЕРЕЧЕНЬ-2027" not in html  # no case title (#18.2): the kind only
    assert client.get("/public/council/expert_council/protocols").status_code == 404
    body = db.session.execute(select(CollegialBody).where(CollegialBody.code == CC)).scalar_one()
    body.settings = {"protocols_public": False}
    db.session.commit()
    assert client.get(f"/public/council/protocols/{protocol.id}").status_code == 404
    assert client.get("/council/").status_code in (302, 401)


def test_secretary_of_one_body_cannot_read_another(app, people, chains):
    client = logged_in(app, "cc_secretary")
    assert client.get("/council/bodies/expert_council").status_code == 403
    assert client.get("/council/bodies/nope").status_code == 404


def test_one_persons_form_never_decides_a_collegial_task_web_api_deputy_or_groups(app, people, chains):
    """#18.1: a collegialBody task is decided only through a signed protocol — the secretary's form, the API,
    a deputy of the secretary and a person holding the secretary's and the chair's groups are all refused."""
    q = start("council_test_quota", "КЦП-18")
    task = open_task(q, "cc_decide")
    both = user("cc_both", ["cc_secretary", "cc_chair"])
    db.session.add(
        Deputy(
            principal_id=people["secretary"].id,
            deputy_id=people["sector"].id,
            starts_on=date(2000, 1, 1),
            ends_on=date(2099, 1, 1),
        )
    )
    db.session.commit()
    for person in (people["secretary"], people["sector"], both):
        with pytest.raises(Forbidden, match="only through a signed protocol"):
            commands.complete(actor(person), task.id, {"decision": "approve"})
    r = app.test_client().post(
        f"/api/v1/tasks/{task.id}/complete",
        json={"data": {"decision": "approve"}},
        headers=token_for(people["secretary"]),
    )
    assert r.status_code == 403 and "signed protocol" in r.get_json()["error"]["message"]
    client = logged_in(app, "cc_secretary")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="collegial-notice"' in page and 'id="task-submit"' not in page  # no form to decide with
    resp = post(client, f"/tasks/{task.id}/complete", {"decision": "approve"}, page=f"/tasks/{task.id}")
    assert resp.status_code == 403
    assert "решается только на его заседании и оформляется подписанным протоколом" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).status == "open" and q.status == "running"


def test_a_free_question_and_an_instruction_through_the_pages(app, people, chains):
    """#23 on the pages: the secretary puts a question of the body's own on the agenda, the body decides it with
    an instruction to a person; after signing the instruction is the executor's inbox task; the executor
    reports, the secretary accepts; the instructions page shows the protocol's reference and the status."""
    client = logged_in(app, "cc_secretary")
    post(client, f"/council/bodies/{CC}/meetings", {"starts_at": "2026-11-30T10:00", "place": "ул. Ленина, 6"})
    meeting = db.session.execute(select(Meeting)).scalar_one()
    murl = f"/council/meetings/{meeting.id}"
    html = client.get(murl).get_data(as_text=True)
    assert "Вопрос, не связанный с делом" in html and 'id="add-instructions-review"' in html
    resp = post(
        client,
        f"{murl}/questions",
        {
            "title": "О рассмотрении нормативных актов (п. 1.5)",
            "rapporteur": "Фёдорова Н. О.",
            "materials": "Перечень актов",
            "draft_decision": "Одобрить перечень актов для доработки",
        },
        page=murl,
    )
    assert resp.status_code == 302
    html = client.get(murl).get_data(as_text=True)
    assert "О рассмотрении нормативных актов (п. 1.5)" in html and "Одобрить перечень актов для доработки" in html
    post(logged_in(app, "cc_chair"), f"{murl}/approve", page=murl)
    present = [str(people[k].id) for k in ("chair", "m1", "m2", "m3")]
    post(client, f"{murl}/attendance", {"present": present}, page=murl)
    [item] = meeting.items
    post(
        client,
        f"{murl}/items/{item.id}/decision",
        {
            "outcome": "adopt",
            "votes_for": "4",
            "text": "Одобрить",
            "ins-0-text": "Подготовить заключение по актам",
            "ins-0-executor": "dpo_1",
            "ins-0-deadline": "2026-12-20",
        },
        page=murl,
    )
    post(client, f"{murl}/sign", page=murl)
    assert post(logged_in(app, "cc_chair"), f"{murl}/sign", page=murl).status_code == 302
    db.session.expire_all()
    assert db.session.get(HumanTask, item.task_id).status == "completed"
    html = client.get(f"/council/bodies/{CC}/instructions").get_data(as_text=True)
    assert "протокол от 30.11.2026 № 1, вопрос 1" in html and "На исполнении" in html
    executor = logged_in(app, "dpo_1")
    inbox = executor.get("/inbox").get_data(as_text=True)
    assert "Исполнить поручение и представить отчёт" in inbox
    task = db.session.execute(
        select(HumanTask).where(HumanTask.process_id == "council_instruction", HumanTask.status == "open")
    ).scalar_one()
    page = executor.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Подготовить заключение по актам" in page and "20.12.2026" in page
    resp = post(
        executor,
        f"/tasks/{task.id}/complete",
        {"report": "Заключение подготовлено и направлено"},
        page=f"/tasks/{task.id}",
    )
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:2000]
    accept = db.session.execute(
        select(HumanTask).where(HumanTask.task_def == "accept", HumanTask.status == "open")
    ).scalar_one()
    page = client.get(f"/tasks/{accept.id}").get_data(as_text=True)  # the report, shown read-only
    assert "Заключение подготовлено и направлено" in page and 'name="report"' not in page and 'name="text"' not in page
    resp = post(client, f"/tasks/{accept.id}/complete", {"decision": "accept"}, page=f"/tasks/{accept.id}")
    assert resp.status_code in (302, 303)
    html = client.get(f"/council/bodies/{CC}/instructions").get_data(as_text=True)
    assert "Исполнено" in html and "Заключение подготовлено и направлено" in html


def test_a_free_questions_files_are_stored_with_it_and_the_members_download_them(app, people, chains):
    """#23: the secretary attaches files to a question of the body's own (as a case's attachments are); the
    members see them on the meeting's page and download them; someone outside the body does not; a file too
    large refuses the question whole."""
    import io

    client = logged_in(app, "cc_secretary")
    post(client, f"/council/bodies/{CC}/meetings", {"starts_at": "2026-11-30T10:00", "place": "ул. Ленина, 6"})
    meeting = db.session.execute(select(Meeting)).scalar_one()
    murl = f"/council/meetings/{meeting.id}"

    def ask(title, files):
        fresh_g()
        html = client.get(murl).get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in html and 'name="files"' in html
        return client.post(
            f"{murl}/questions",
            data={
                "title": title,
                "rapporteur": "Фёдорова Н. О.",
                "materials": "Перечень актов",
                "draft_decision": "Одобрить",
                "files": [(io.BytesIO(content), name) for name, content in files],
                "csrf_token": token(html),
            },
            content_type="multipart/form-data",
        )

    plan = b"%PDF-1.4 plan of acts"
    resp = ask("О рассмотрении нормативных актов (п. 1.5)", [("перечень.pdf", plan), ("справка.docx", b"PK docx")])
    assert resp.status_code == 302
    too_big = b"x" * (app.config.get("ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024) + 1)
    assert ask("Вопрос с огромным файлом", [("огромный.pdf", too_big)]).status_code in (400, 413, 422)
    db.session.expire_all()
    [item] = meeting.items  # the refused question left nothing behind
    assert not any(i.title == "Вопрос с огромным файлом" for i in meeting.items)

    member = logged_in(app, "cc_member_1")
    html = member.get(murl).get_data(as_text=True)
    assert "Докладчик:</strong> Фёдорова Н. О." in html and "Перечень актов" in html  # what the members read
    links = re.findall(rf'href="({murl}/items/{item.id}/attachments/(\d+))">([^<]+)</a>', html)
    assert [name for _url, _id, name in links] == ["перечень.pdf", "справка.docx"]
    r = member.get(links[0][0])
    assert r.status_code == 200 and r.data == plan and r.headers["Content-Disposition"].startswith("attachment;")
    outsider = logged_in(app, "dpo_1")
    assert outsider.get(links[0][0]).status_code in (403, 404)
    assert member.get(f"{murl}/items/{item.id}/attachments/999999").status_code == 404


def attach(instance, name, content, by):
    """A PDF file on a case, as a step's upload leaves it."""
    att = TaskAttachment(
        instance_id=instance.id,
        uploaded_by_id=by.id,
        file_name=name,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    db.session.add(att)
    db.session.commit()
    return att


def test_members_read_what_they_decide_on_the_meeting_page_also_after_the_protocol(app, people, chains):
    """Deciders see what they decide: a member, who is no party to the case, reads the question's labelled tables
    and files on the meeting's page and downloads them through the meeting (the case's own routes stay closed to
    them); after the protocol is signed the closed question keeps them; someone outside the body gets nothing."""
    line = {
        "college": "ТПТ",
        "programme_code": "15.01.05",
        "programme_name": "Сварщик (ручной и частично механизированной сварки)",
        "current_kcp": 25,
        "requested_kcp": 50,
        "proposed_kcp": 40,
    }
    q = start(
        "council_test_quota",
        "КЦП-2027/ТПТ",
        year=2027,
        kcp_requests={"requests": [{"business_key": "КЦП-2027/ТПТ-1", "college": "ТПТ"}], "lines": [line]},
    )
    letter = b"%PDF-1.4 employer's letter"
    att = attach(q, "письмо работодателя.pdf", letter, people["sector"])
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    murl = f"/council/meetings/{meeting.id}"
    xlsx = f"{murl}/items/{item.id}/materials/kcp-consolidated.xlsx"
    file_url = f"{murl}/items/{item.id}/attachments/{att.id}"

    def member_reads(member):
        html = member.get(murl).get_data(as_text=True)
        assert "Сварщик (ручной и частично механизированной сварки)" in html
        assert (
            "Профессиональная образовательная организация (ПОО)" in html and "Предложение ДепПО" in html
        )  # labels, not codes
        assert "proposed_kcp" not in html
        assert xlsx in html and file_url in html and "письмо работодателя.pdf" in html
        assert re.search(r'data-label="Размер, КБ">\s*0,1\s*<', html)  # 26 bytes: not «0»
        book = member.get(xlsx)
        assert book.status_code == 200 and book.data[:2] == b"PK"
        assert member.get(file_url).data == letter
        return html

    member = logged_in(app, "cc_member_1")
    html = member_reads(member)
    assert f"/tasks/{item.task_id}" not in html  # the task page is the secretary's
    assert member.get(f"/instances/{q.id}/materials/kcp-consolidated.xlsx").status_code == 404  # no party to it
    assert member.get(f"{murl}/items/{item.id}/materials/no-such-table.xlsx").status_code == 404
    assert member.get(f"{murl}/items/999999/materials/kcp-consolidated.xlsx").status_code == 404
    outsider = logged_in(app, "dpo_1")
    assert outsider.get(xlsx).status_code in (403, 404) and outsider.get(file_url).status_code in (403, 404)
    secretary = logged_in(app, "cc_secretary")
    assert f"/tasks/{item.task_id}#materials" in secretary.get(murl).get_data(as_text=True)

    decide(people, meeting, item, "approve")
    sign_both(people, meeting)  # the clock stands at 01.12.2026 10:00 in Tomsk, the day after the meeting
    assert db.session.get(HumanTask, item.task_id).status == "completed"
    member = logged_in(app, "cc_member_1")
    html = member.get(f"{murl}/protocol").get_data(as_text=True)
    assert html.count("01.12.2026") >= 2 and "2026-12-01" not in html  # both signatures' dates, ДД.ММ.ГГГГ

    # what it was decided on stays with the question, and only that: the case moves on after the protocol
    clock.set_clock(datetime(2026, 12, 20, 3, 0, tzinfo=UTC))
    later = attach(q, "отчёт о мониторинге.pdf", b"%PDF-late", people["sector"])
    html = logged_in(app, "cc_member_1").get(murl).get_data(as_text=True)
    assert file_url in html and "письмо работодателя.pdf" in html and member.get(file_url).data == letter
    assert "отчёт о мониторинге.pdf" not in html
    assert member.get(f"{murl}/items/{item.id}/attachments/{later.id}").status_code == 404
    assert "Сварщик (ручной" not in html and member.get(xlsx).status_code == 404  # the case's data moved on


def test_the_pending_list_dates_read_as_officials_write_them(app, people, chains):
    start("council_test_quota", "КЦП-2027/ТПТ")
    html = logged_in(app, "cc_secretary").get(f"/council/bodies/{CC}").get_data(as_text=True)
    assert "КЦП-2027/ТПТ" in html and "01.12.2026" in html and "2026-12-01" not in html


def test_the_secretary_fills_in_the_rest_of_the_decision_form_on_the_meeting_page(app, people, chains):
    """A decision whose form asks for more than the outcome and the text (here the date a list takes effect,
    required when it is approved) is recorded from the meeting's page: the form's other fields are on it, in
    Russian; without the date the decision is refused and names the field; the protocol's reference is not asked
    for (the signature writes it); the signed protocol completes the task with the date."""
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    name = "council_dated.bpmn"
    deployment.deploy_bytes(SYSTEM, (DATA / name).read_bytes(), name, forms_dir=DATA / "forms")
    case = start("council_test_dated", "ПЕРЕЧЕНЬ-2028")
    meeting, [item] = ready_meeting(people, [open_task(case, "cc_dated").id])
    murl = f"/council/meetings/{meeting.id}"
    secretary = logged_in(app, "cc_secretary")
    html = secretary.get(murl).get_data(as_text=True)
    assert "Дата начала применения" in html and 'name="effective_date"' in html
    assert 'name="protocol_ref"' not in html and 'name="comment"' not in html
    assert 'name="year"' not in html  # a read-only field is the case's, not the decision's
    decision = {"outcome": "approve", "votes_for": "3", "text": "Утвердить перечень"}
    post(secretary, f"{murl}/items/{item.id}/decision", decision, page=murl)
    db.session.expire_all()
    assert item.decision is None  # refused: the date is required when the list is approved
    assert "Дата начала применения: Обязательное поле" in secretary.get(murl).get_data(as_text=True)
    post(secretary, f"{murl}/items/{item.id}/decision", {**decision, "effective_date": "2027-01-01"}, page=murl)
    db.session.expire_all()
    assert item.decision.outcome == "approve" and item.decision.fields["effective_date"] == "2027-01-01"
    html = secretary.get(murl).get_data(as_text=True)
    assert 'value="2027-01-01"' in html  # the recorded date is shown in the form to correct it
    sign_both(people, meeting)
    task = db.session.get(HumanTask, item.task_id)
    assert task.status == "completed" and task.submitted["effective_date"] == "2027-01-01"


def test_the_evidence_of_requests_started_under_a_case_reaches_the_council_and_only_their_parties(app, people, chains):
    """A ПОО's letter attached to its request (a case started under the campaign) is among the campaign's
    materials on the meeting's page, downloaded through the meeting; on the campaign's own page it is listed only
    for whoever takes part in that request."""
    from workflow_app.services.cases import advance
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment
    from workflow_app.services.uow import UnitOfWork

    deployment.deploy_path(SYSTEM, ROOT_DIR / "bpmn" / "examples" / "example_approval.bpmn")
    campaign = start("council_test_quota", "КЦП-2027")
    with UnitOfWork(SYSTEM) as uow:
        request = advance.start_instance(
            uow, SYSTEM, "example_approval", {"title": "Заявка ТПТ"}, business_key="КЦП-2027/ТПТ", parent=campaign
        )
        uow.commit()
    letter = b"%PDF-1.4 the employer's letter"
    att = attach(request, "письмо работодателя.pdf", letter, people["sector"])
    meeting, [item] = ready_meeting(people, [open_task(campaign, "cc_decide").id])
    murl = f"/council/meetings/{meeting.id}"
    member = logged_in(app, "cc_member_1")
    html = member.get(murl).get_data(as_text=True)
    file_url = f"{murl}/items/{item.id}/attachments/{att.id}"
    assert "письмо работодателя.pdf" in html and file_url in html and "КЦП-2027/ТПТ" in html
    assert member.get(file_url).data == letter
    assert member.get(f"/instances/{request.id}/attachments/{att.id}").status_code == 404  # no party to it

    secretary = logged_in(app, "cc_secretary")  # sees the campaign (its task), not the college's request
    page = secretary.get(f"/tasks/{item.task_id}").get_data(as_text=True)
    assert "Заявка ТПТ" not in page and "письмо работодателя.pdf" not in page
    assert "письмо работодателя.pdf" in secretary.get(murl).get_data(as_text=True)  # the meeting's materials
    auditor = logged_in(app, "auditor_1")  # reads every case: the campaign task's materials list the file
    page = auditor.get(f"/tasks/{item.task_id}").get_data(as_text=True)
    assert f"/instances/{request.id}/attachments/{att.id}" in page and "КЦП-2027/ТПТ" in page
    unrelated = start("council_test_list", "ПЕРЕЧЕНЬ-2027")
    other = attach(unrelated, "чужое.pdf", b"other", people["sector"])
    assert member.get(f"{murl}/items/{item.id}/attachments/{other.id}").status_code == 404  # not this question's


def test_the_api_gives_a_member_the_materials_of_a_question_and_their_files(app, people, chains):
    """The REST API answers what the meeting's page shows: a question's tables with labels, its files (also a
    request's under the case) and each table as XLSX, through the meeting, for its members only."""
    line = {"college": "ТПТ", "programme_code": "15.01.05", "programme_name": "Сварщик", "current_kcp": 25}
    q = start("council_test_quota", "КЦП-2027", year=2027, kcp_requests={"requests": [], "lines": [line]})
    letter = b"%PDF-1.4 letter"
    att = attach(q, "письмо.pdf", letter, people["sector"])
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    base = f"/api/v1/council/meetings/{meeting.id}/items/{item.id}"
    client = app.test_client()
    member = token_for(people["m1"])
    blocks = client.get(f"{base}/materials", headers=member).get_json()
    table = next(b for b in blocks if b["key"] == "kcp-consolidated")
    assert "Профессиональная образовательная организация (ПОО)" in [c["label"] for c in table["columns"]]
    assert table["rows"][0]["cells"][0] == "ТПТ" and "Сварщик" in table["rows"][0]["cells"]
    files = next(b for b in blocks if b["key"] == "attachments")
    link = files["rows"][0]["links"][0]
    assert link == f"{base}/attachments/{att.id}" and client.get(link, headers=member).data == letter
    book = client.get(table["xlsx"], headers=member)
    assert book.status_code == 200 and book.data[:2] == b"PK"
    outsider = token_for(people["outsider"])
    for url in (f"{base}/materials", table["xlsx"], link):
        assert client.get(url, headers=outsider).status_code in (403, 404)
    assert client.get(f"{base}/materials/no-such.xlsx", headers=member).status_code == 404
