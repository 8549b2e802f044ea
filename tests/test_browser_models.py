"""A real browser uploads a broken model on the admin page and sees every problem listed in Russian."""

import pytest
from conftest import ROOT
from test_browser import SHOTS, live_server, log_in  # noqa: F401  (live_server: a fixture)
from test_model_problems import three_mistakes

pytestmark = pytest.mark.browser


def test_admin_checks_and_deploy_list_every_problem_in_russian(live_server, page, tmp_path):
    from playwright.sync_api import expect

    broken = tmp_path / "three_mistakes.bpmn"
    broken.write_bytes(three_mistakes())
    log_in(page, live_server, "admin")
    page.goto(live_server + "/admin/models")
    page.set_input_files("#bpmn", str(broken))
    page.click("button[name=action][value=check]")
    report = page.locator("#deploy-report")
    expect(report).to_contain_text("Проверка нашла ошибок: 3")
    rows = page.locator("#deploy-problems tbody tr.problem-error")
    expect(rows).to_have_count(3)
    table = page.locator("#deploy-problems")
    expect(table).to_contain_text("Группа dpo_chief (lane) не существует.")
    expect(table).to_contain_text("Формы no_such_form нет в каталоге forms/.")
    expect(table).to_contain_text("Поток выходит из исключающего шлюза gw_review без условия")
    expect(table).to_contain_text("Рассмотреть просроченную заявку")  # the element's name, not only its id
    expect(table).to_contain_text("Задайте потоку условие")  # what to do, in Russian
    for header in ("Уровень", "Элемент", "Строка", "Проблема", "Что сделать", "Правило"):
        expect(table.locator("thead")).to_contain_text(header)
    SHOTS.mkdir(parents=True, exist_ok=True)  # docs/screens/admin_deploy_check.png is this shot
    page.screenshot(path=str(SHOTS / "admin_deploy_check.png"), full_page=True)

    page.set_input_files("#bpmn", str(broken))  # deploying the same file is refused with the same list
    page.click("button[name=action][value=deploy]")
    expect(page.locator("#deploy-report")).to_contain_text("Диаграмма не принята")
    expect(page.locator("#deploy-problems tbody tr.problem-error")).to_have_count(3)
    expect(page.locator("#models-table")).not_to_contain_text("three_mistakes.bpmn")

    good = ROOT / "bpmn" / "examples" / "example_approval.bpmn"
    page.set_input_files("#bpmn", str(good))
    page.click("button[name=action][value=check]")
    expect(page.locator("#deploy-report")).to_contain_text("Ошибок нет: диаграмму можно развернуть.")
