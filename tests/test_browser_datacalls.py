"""A real browser (Chromium through Playwright): ДепПО opens a data call to the ПОО; a ПОО fills its table
(a draft first), submits; the official sees the consolidated table and downloads the XLSX, which openpyxl
opens with the figures. Screenshots of the answer and the call pages go to docs/screens/."""

import io

import pytest
from openpyxl import load_workbook
from test_browser import ROOT, live_server, log_in, log_out  # noqa: F401  (live_server: a fixture)

SCREENS = ROOT / "docs" / "screens"

pytestmark = pytest.mark.browser


def test_a_poo_fills_a_data_call_table_and_the_official_downloads_the_consolidation(live_server, page):
    from playwright.sync_api import expect

    base = live_server
    log_in(page, base, "dpo_officer")
    page.click("nav.site-nav >> text=Запросы сведений")
    page.select_option("#call-template", "poo_graduates")
    page.fill("#call-year", "2027")
    page.fill("#call-days", "10")
    page.click("#call-open")
    expect(page.locator("#call-title")).to_have_text("Трудоустройство выпускников ПОО 2027 года")
    expect(page.locator("#recipients-table")).to_contain_text("Томский политехнический техникум")
    call_url = page.url
    log_out(page)

    # the ПОО: the task in its inbox, the table on the call's page, a draft, then the submission
    log_in(page, base, "college_officer_1")
    page.click("#tab-group")
    row = page.locator("#inbox-table tbody tr", has_text="Представить сведения по запросу")
    row.locator("a", has_text="Представить сведения по запросу").click()
    page.click("#panel-data-call a")
    expect(page.locator("#answer-title")).to_have_text("Трудоустройство выпускников ПОО 2027 года")
    page.fill("#f-rows-0-programme_code", "15.02.16")
    page.fill("#f-rows-0-programme_name", "Технология машиностроения")
    page.fill("#f-rows-0-graduates", "25")
    page.click("#answer-draft")
    expect(page.locator("#answer-status")).to_have_text("ожидается")
    expect(page.locator("#f-rows-0-graduates")).to_have_value("25")  # the draft kept
    page.click("#answer-submit")  # "employed" missing: refused, marked
    expect(page.locator("#answer-alert")).to_be_visible()
    page.fill("#f-rows-0-employed", "20")
    page.fill("#f-rows-1-programme_code", "08.02.01")
    page.fill("#f-rows-1-programme_name", "Строительство и эксплуатация зданий")
    page.fill("#f-rows-1-graduates", "30")
    page.fill("#f-rows-1-employed", "18")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "data_call_answer.png"), full_page=True)
    page.click("#answer-submit")
    expect(page.locator("#answer-status")).to_have_text("представлены")
    log_out(page)

    # the official: who answered, the consolidated table, the XLSX
    log_in(page, base, "dpo_officer")
    page.goto(call_url)
    expect(page.locator("#consolidation-table")).to_contain_text("Технология машиностроения")
    expect(page.locator("#consolidation-total")).to_contain_text("55")
    expect(page.locator("#consolidation-total")).to_contain_text("38")
    page.screenshot(path=str(SCREENS / "data_call_consolidation.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download-xlsx")
    content = info.value.path().read_bytes()
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(content)).active.iter_rows()]
    assert rows[0][:5] == [
        "Организация",
        "Код профессии / специальности",
        "Наименование",
        "Выпускников",
        "Трудоустроено",
    ]
    assert ["Томский политехнический техникум", "15.02.16", "Технология машиностроения", 25, 20] in [
        r[:5] for r in rows
    ]
    assert rows[-1][0] == "Итого" and rows[-1][3:5] == [55, 38]
