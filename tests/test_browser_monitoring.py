"""A real browser (Chromium through Playwright): the Координатор and an auditor open the monitoring dashboard and
see its charts (server-rendered SVG, no scripts) with the numbers beside them; the XLSX export downloads; the
roadmap page lists the items. Screenshots at 1366×768 go to docs/screens/."""

import io

import pytest
from openpyxl import load_workbook
from test_browser import ROOT, live_server, log_in, log_out  # noqa: F401  (live_server: a fixture)

SCREENS = ROOT / "docs" / "screens"

pytestmark = pytest.mark.browser


def test_the_coordinator_and_an_auditor_see_the_dashboards_charts(live_server, page):
    from playwright.sync_api import expect

    base = live_server
    log_in(page, base, "coordinator")
    page.click("nav.site-nav >> text=Мониторинг")
    expect(page.locator("h1.page-title")).to_have_text("Мониторинг")
    charts = page.locator("figure.dashboard-chart svg")
    expect(charts).to_have_count(6)
    for n in range(6):
        expect(charts.nth(n)).to_be_visible()
        box = charts.nth(n).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 40
    # the open tasks of the КЦП campaign, by department and by chain, named in Russian
    expect(page.locator("#by-chain table")).to_contain_text("КЦП")
    expect(page.locator("#by-department svg rect.bar").first).to_be_visible()
    expect(page.locator("#roadmap-status table")).to_contain_text("просрочено")
    expect(page.locator("#instructions-status table")).to_contain_text("на исполнении")
    assert "dpo_officer" not in page.content() and "kcp_campaign" not in page.content()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.locator("#period-form").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.querySelector('#by-department').offsetTop - 20)")
    page.screenshot(path=str(SCREENS / "monitoring-dashboard.png"))
    with page.expect_download() as info:
        page.click("#export-xlsx")
    book = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    assert book.sheetnames[0] == "Задачи по подразделениям"
    assert next(iter(book.worksheets[0].values)) == ("Подразделение", "Открытые задачи", "Просроченные задачи")
    page.click("nav.site-nav >> text=Дорожная карта")
    expect(page.locator("#roadmap-table")).to_contain_text("Анализ эффективности системы кадрового обеспечения")
    page.screenshot(path=str(SCREENS / "roadmap.png"))
    log_out(page)

    log_in(page, base, "auditor")
    page.goto(base + "/monitoring")
    expect(page.locator("figure.dashboard-chart svg")).to_have_count(6)
    expect(page.locator("#roadmap-status svg rect.bar:not([width='0.0'])").first).to_be_visible()
    log_out(page)

    log_in(page, base, "college_officer_1")  # not for a ПОО: no link, and the page is refused
    expect(page.locator("nav.site-nav")).not_to_contain_text("Мониторинг")
    response = page.goto(base + "/monitoring")
    assert response is not None and response.status == 403
