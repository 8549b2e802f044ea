"""The chains' rules in a real browser (Chromium through Playwright): ДепПО closes the КЦП intake on its task
page and the ПОО that had not sent its request reads the notice; the public pages show the whole КЦП table
(every ПОО, changed lines marked) and the whole professions list carried over from last year's.

Set-up steps that are not under test run through the services, as the API tests drive them.
"""

import journeys as J
import pytest
from conftest import ROOT
from sqlalchemy import select
from test_browser import SHOTS, log_in, log_out

from workflow_app.services.cases import start

pytestmark = pytest.mark.browser


def _do(username, business_key, task_def, data):
    from workflow_app.extensions import db
    from workflow_app.models import HumanTask, User
    from workflow_app.services.people.actors import actor_for
    from workflow_app.services.tasks import commands

    who = actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())
    task = db.session.execute(
        select(HumanTask).where(
            HumanTask.business_key == business_key, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()
    commands.complete(who, task.id, data)
    return task.id


def _start(username, process_id, data):
    from workflow_app.extensions import db
    from workflow_app.models import User
    from workflow_app.services.people.actors import actor_for

    who = actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())
    instance, _open = start.start_process(who, process_id, data)
    return instance.business_key


def _line(code, name, base, current, requested):
    return {
        "level": "ppssz",
        "programme_code": code,
        "programme_name": name,
        "form_of_study": "full_time",
        "base": base,
        "current_kcp": current,
        "requested_kcp": requested,
        "employer_confirmations": 2,
        "justification": "Потребность работодателей подтверждена письмами",
    }


def _request(lines):
    return {
        "year": 2027,
        "change_type": "increase",
        "reason": "employer_demand",
        "contact": "8-3822-000000",
        "lines": lines,
    }


@pytest.fixture(scope="module")
def chains_server(live_site):
    """The chains deployed, a КЦП campaign announced, one college's request signed and another's filled in."""
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    def prepare():
        deployment.deploy_path(SYSTEM, ROOT / "bpmn")
        _start("dpo_officer", "kcp_campaign", {"year": 2027})
        _do("dpo_officer", "КЦП-2027", "announce", {"intake_deadline": "2027-04-19", "announcement": "Приём заявок"})
        _start("college_officer_1", "kcp_request", {"year": 2027})
        _do(
            "college_officer_1",
            "КЦП-2027/ТПТ",
            "fill_request",
            _request([_line("15.02.16", "Технология машиностроения", "9", 25, 40)]),
        )
        _do("college_director_1", "КЦП-2027/ТПТ", "sign_request", {"decision": "sign"})
        _start("college_officer_2", "kcp_request", {"year": 2027})
        _do(
            "college_officer_2",
            "КЦП-2027/ТТИТ",
            "fill_request",
            _request([_line("09.02.07", "Информационные системы и программирование", "9", 50, 75)]),
        )

    url, app, _ = live_site(prepare)
    return url, app


def test_intake_window_whole_kcp_table_and_carried_over_list(chains_server, page):
    from playwright.sync_api import expect

    from workflow_app.extensions import db
    from workflow_app.models import HumanTask

    base, app = chains_server
    with app.app_context():
        close = db.session.execute(
            select(HumanTask.id).where(HumanTask.task_def == "close_intake", HumanTask.status == "open")
        ).scalar_one()
        db.session.remove()

    # ДепПО closes the intake on the task page
    log_in(page, base, "dpo_officer")
    page.goto(f"{base}/tasks/{close}")
    expect(page.locator("#task-title")).to_have_text("Закрыть приём заявок или продлить срок (ДепПО)")
    page.click("button[name=decision][value=close]")
    page.wait_for_url("**/inbox**")
    log_out(page)

    # the ПОО whose director had not signed reads the notice; its request is closed
    log_in(page, base, "college_officer_2")
    page.goto(f"{base}/notices")
    expect(page.locator("#notices-table")).to_contain_text("Заявка закрыта")
    expect(page.locator("#notices-table")).to_contain_text("КЦП-2027/ТТИТ")
    expect(page.locator("#notices-table")).to_contain_text("закрыта без рассмотрения")
    page.screenshot(path=str(SHOTS / "kcp_intake_closed_notice.png"), full_page=True)
    log_out(page)

    with app.app_context():
        _do("dpo_officer", "КЦП-2027/ТПТ", "formal_check", {"decision": "accept"})
        _do("dpo_officer", "КЦП-2027/ТПТ", "assess", {"opinion": "support"})
        _do("dpo_officer", "КЦП-2027", "consolidate", {"funding_grows": False, "summary": "Свод"})
        _do("sector_officer", "КЦП-2027", "opinion_sector", {"sector_decision": "agree"})
        _do("dtzn_officer", "КЦП-2027", "opinion_dtzn", {"dtzn_decision": "agree"})
        _do("project_office", "КЦП-2027", "opinion_rpo", {"rpo_decision": "agree"})
        J.decide(
            "КЦП-2027",
            "ec_decision",
            {"decision": "recommend"},
        )
        J.decide(
            "КЦП-2027",
            "cc_decision",
            {"decision": "agree"},
        )
        title = "О внесении изменений в распоряжение Администрации Томской области от 25.05.2026 № 327-ра"
        _do(
            "dpo_officer",
            "КЦП-2027",
            "draft_order",
            {"act_type": "распоряжение Администрации Томской области", "act_title": title, "draft_text": "Проект"},
        )
        _do("dpo_head", "КЦП-2027", "visa_head", {"decision": "approve"})
        _do("legal_officer", "КЦП-2027", "visa_legal", {"decision": "approve"})
        _do("deputy_governor", "КЦП-2027", "sign_order", {"decision": "sign"})
        _do("records_office", "КЦП-2027", "register_order", {"order_number": "321-ра", "order_date": "2027-05-24"})
        # the 2027 list starts from the list in force (demo: this year's)
        _start("dtzn_officer", "professions_cycle", {"year": 2027})
        _do("dtzn_officer", "Перечень-2027", "announce", {"intake_deadline": "2026-12-20", "announcement": "Запрос"})
        _start("sector_officer", "professions_proposal", {"year": 2027})
        item = {
            "action": "exclude",
            "profession": "Наборщик",
            "programme_type": "training",
            "sector": "Полиграфия",
            "justification": "Нет вакансий",
        }
        _do(
            "sector_officer",
            "Перечень-2027/ДПЭ",
            "draft_sector",
            {"year": 2027, "items": [item], "contact": "Соколов"},
        )
        _do("dtzn_officer", "Перечень-2027/ДПЭ", "review", {"decision": "accept"})
        _do("dtzn_officer", "Перечень-2027", "close_intake", {"decision": "close"})
        _do("dtzn_officer", "Перечень-2027", "consolidate", {"summary": "Проект"})
        _do("sector_officer", "Перечень-2027", "agree", {"agreement": "agree"})
        _do("coordinator", "Перечень-2027", "coordinator_review", {"decision": "submit"})
        J.decide(
            "Перечень-2027",
            "wg_decision",
            {"decision": "approve", "effective_date": "2027-01-01"},
        )
        db.session.remove()

    # the public КЦП table: every ПОО's lines, the changed one marked, the act it amends
    page.goto(f"{base}/public/kcp/2027")
    table = page.locator("table.table")
    expect(table).to_contain_text("Томский политехнический техникум")
    expect(table).to_contain_text("Томский техникум информационных технологий")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody tr.changed")).to_have_count(1)
    expect(table.locator("tbody tr.changed")).to_contain_text("15.02.16")
    expect(page.locator("body")).to_contain_text("на базе среднего общего образования")
    expect(page.locator("body")).to_contain_text("№ 321-ра")
    page.screenshot(path=str(SHOTS / "public_kcp_table.png"), full_page=True)

    # the public list: last year's items carried over, the exclusion shown apart
    page.goto(f"{base}/public/professions/2027")
    expect(page.locator("#professions-list")).to_contain_text("Сварщик")
    expect(page.locator("#professions-list")).to_contain_text("Повар")
    expect(page.locator("#professions-list")).not_to_contain_text("Наборщик")
    expect(page.locator("#professions-excluded")).to_contain_text("Наборщик")
    expect(page.locator("body")).to_contain_text("Дата начала применения: 01.01.2027")
    page.screenshot(path=str(SHOTS / "public_professions_list.png"), full_page=True)
