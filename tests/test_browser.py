"""A real browser (Debian's Chromium through Playwright) walks one request from a college to the
department and back: start, invalid submission, complete, claim, return for revision.

The app runs on a free localhost port in a background thread against a migrated SQLite copy with the
demo data loaded and the example process deployed. Without /usr/bin/chromium the test skips locally
and fails on CI (CI=true).
"""

import os
from pathlib import Path

import pytest
from conftest import ROOT

from workflow_app.services.cases import start

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "instance" / "screenshots"))  # git-ignored

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(live_site):
    """The app served live with the chains and the example process deployed, a КЦП campaign open and the roadmap
    loaded (as make run does)."""
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment
    from workflow_app.services.roadmap import changes

    def prepare():
        deployment.deploy_path(SYSTEM, ROOT / "bpmn")
        deployment.deploy_path(SYSTEM, ROOT / "bpmn" / "examples")  # the example the first walk starts
        _open_kcp_campaign(2027)
        changes.load(SYSTEM)  # as make run does

    url, _app, _ = live_site(prepare)
    return url


def _open_kcp_campaign(year):
    """ДепПО opens the КЦП campaign (start + announce) through the services, so colleges may file requests."""
    from sqlalchemy import select

    from workflow_app.extensions import db
    from workflow_app.models import HumanTask, User
    from workflow_app.services.people.actors import actor_for
    from workflow_app.services.tasks import commands

    dpo = actor_for(db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one())
    campaign, _open = start.start_process(dpo, "kcp_campaign", {"year": year})
    announce = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == campaign.id, HumanTask.task_def == "announce")
    ).scalar_one()
    commands.complete(dpo, announce.id, {"intake_deadline": f"{year}-04-26", "announcement": "Приём заявок открыт"})


def log_in(page, base, username, password="demo"):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/inbox**")


def log_out(page):
    page.click(".user-menu form[action='/logout'] button")
    page.wait_for_url("**/login**")


def test_college_to_department_and_back(live_server, page):
    from playwright.sync_api import expect

    base = live_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, "college_officer_1")
    expect(page.locator(".site-nav")).to_contain_text("Входящие")
    page.click(".site-nav >> text=Запустить процесс")
    page.check("#process-example_approval")
    page.fill("#business_key", "КЦП-2027/ТПТ")
    page.fill("#title", "Увеличение КЦП: Технология машиностроения")
    page.click("#start-submit")
    page.wait_for_url("**/tasks/*")
    expect(page.locator("#task-title")).to_have_text("Подать заявку")

    # an invalid submission: the errors are shown in Russian next to the fields, the input is kept
    page.fill("#f-title", "Увеличение КЦП 15.02.16")
    page.fill("#f-amount", "много")
    page.fill("#f-justification", "мало")
    page.click("#task-submit")
    expect(page.locator("#form-errors")).to_contain_text("В форме есть ошибки")
    expect(page.locator("#f-amount-field .field-error, .field.has-error .field-error").first).to_be_visible()
    expect(page.locator("#f-title")).to_have_value("Увеличение КЦП 15.02.16")

    page.fill("#f-amount", "25")
    page.fill("#f-justification", "Письма трёх работодателей о потребности в кадрах прилагаются")
    page.screenshot(path=str(SHOTS / "task.png"), full_page=True)
    page.click("#task-submit")
    page.wait_for_url("**/inbox**")
    expect(page.locator(".alert-success")).to_contain_text("выполнена")
    log_out(page)

    log_in(page, base, "dpo_officer")
    page.click("#tab-group")
    row = page.locator("#inbox-table tbody tr", has_text="Увеличение КЦП: Технология машиностроения")
    expect(row).to_contain_text("Рассмотреть заявку")
    page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)
    row.locator("button", has_text="Взять").click()
    page.wait_for_url("**/tasks/*")
    expect(page.locator("#task-assignee")).not_to_contain_text("не взята")
    expect(page.locator("#case-context")).to_contain_text("Письма трёх работодателей")
    page.fill("#f-comment", "Приложите подписанные письма работодателей")
    page.click("button[name=decision][value=return]")
    page.wait_for_url("**/inbox**")
    log_out(page)

    log_in(page, base, "college_officer_1")
    page.click("#tab-group")
    row = page.locator("#inbox-table tbody tr", has_text="Увеличение КЦП: Технология машиностроения")
    expect(row).to_contain_text("Подать заявку")
    row.locator("a", has_text="Подать заявку").click()
    expect(page.locator("#history")).to_contain_text("Вернуть на доработку")
    expect(page.locator("#history")).to_contain_text("Приложите подписанные письма работодателей")
    expect(page.locator("#f-amount")).to_have_value("25")


def test_kcp_request_with_a_table_row_reaches_the_department(live_server, page):
    """One КЦП request from a ПОО (header + its lines of the table in force, one changed) to ДепПО's formal check."""
    from playwright.sync_api import expect

    base = live_server
    log_in(page, base, "college_officer_2")
    page.goto(base + "/start?process=kcp_request")
    page.check("#process-kcp_request")
    page.click("#start-submit")
    page.wait_for_url("**/tasks/*")
    expect(page.locator("#task-title")).to_have_text("Заполнить заявку на изменение КЦП (ПОО)")
    page.select_option("#f-change_type", "increase")
    page.select_option("#f-reason", "employer_demand")
    page.fill("#f-contact", "Петрова А. В., 8-3822-000000")
    page.fill("#f-evidence", "Письма работодателей № 1–3")
    table = page.locator("table[data-array=lines]")
    # the ПОО's lines of the КЦП table in force, current figures from the act
    expect(table.locator("input[name$='-programme_code'][value='09.02.07']")).to_have_count(2)
    row = table.locator("tbody tr", has=page.locator("input[name$='-programme_code']")).nth(0)
    expect(row.locator("input[name$='-programme_code']")).to_have_value("09.02.07")
    expect(row.locator("input[name$='-current_kcp']")).to_have_value("50")
    row.locator("input[name$='-requested_kcp']").fill("75")
    row.locator("input[name$='-employer_confirmations']").fill("3")
    row.locator("textarea[name$='-justification']").fill("Потребность IT-компаний региона подтверждена письмами")
    page.screenshot(path=str(SHOTS / "kcp_request.png"), full_page=True)
    page.click("#task-submit") if page.locator("#task-submit").count() else page.click("button[name=decision]")
    page.wait_for_url("**/inbox**")
    expect(page.locator(".alert-success")).to_be_visible()
    log_out(page)

    log_in(page, base, "college_director_2")
    page.click("#tab-group")
    row = page.locator("#inbox-table tbody tr", has_text="Подписать и направить заявку")
    row.locator("a", has_text="Подписать и направить заявку").click()
    expect(page.locator("#material-form-lines")).to_contain_text("09.02.07")  # the request's lines, read-only
    page.screenshot(path=str(SHOTS / "kcp_sign.png"), full_page=True)
    page.click("button[name=decision][value=sign]")
    page.wait_for_url("**/inbox**")
    log_out(page)

    log_in(page, base, "dpo_officer")
    page.click("#tab-group")
    expect(page.locator("#inbox-table")).to_contain_text("Формальная проверка заявки")
    expect(page.locator("#inbox-table")).to_contain_text("КЦП-2027/ТТИТ")
