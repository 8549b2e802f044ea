"""In the real browser, by keyboard: a start form with an organisation chosen from the registry, and a
staffing plan whose ПОО is a choice from the registry (issue 18 classes 3-4, issue 21)."""

import os
from datetime import UTC, datetime

import journeys as J
import pytest
from conftest import ROOT
from playwright.sync_api import expect
from test_browser import log_in, log_out

from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

pytestmark = pytest.mark.browser
SCREENS = ROOT / "docs" / "screens" if os.environ.get("SAVE_SCREENS") else ROOT / "instance" / "screenshots"


@pytest.fixture(scope="module")
def site(live_site):
    """A live server with the chains deployed and an investor's case at its staffing plan."""

    def prepare():
        deployment.deploy_path(SYSTEM, ROOT / "bpmn")
        return J.open_task(J.investor_to_plan(), "plan").id

    url, _app, plan = live_site(prepare, at=datetime(2027, 4, 5, 3, 0, tzinfo=UTC))
    return url, plan


def shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=False)


def test_the_department_starts_a_case_for_an_investor_chosen_from_the_registry_by_keyboard(site, page):
    base, _plan = site
    log_in(page, base, "di_officer")
    page.goto(base + "/start")  # the only process the department starts: its start form is shown at once
    expect(page.locator("#process-investor_case")).to_be_checked()
    choice = page.locator("select#f-investor_org_code")
    expect(choice).to_be_visible()
    expect(choice.locator("option")).to_contain_text(["", "АО «Томлесдрев-Инвест»"], ignore_case=False)
    choice.focus()
    page.keyboard.press("ArrowDown")  # the first investor of the registry
    assert choice.input_value() in ("SIBHIM", "TOMLES")
    shot(page, "start-form-investor")
    page.focus("#start-submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**/instances/**")
    expect(page.locator("body")).to_contain_text("ИП/")
    log_out(page)


def test_the_plans_college_is_a_choice_from_the_registry(site, page):
    base, plan = site
    log_in(page, base, "investor_1")
    page.goto(f"{base}/tasks/{plan}")
    college = page.locator("select[name='measures-0-college_code']")
    expect(college).to_be_visible()
    expect(college.locator("option[value='TPT']")).to_have_count(1)
    assert "Томский политехнический техникум" in college.inner_text()
    college.focus()
    page.keyboard.press("ArrowDown")
    assert college.input_value() != ""
    shot(page, "staffing-plan-college-choice")
    log_out(page)
