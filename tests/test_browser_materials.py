"""A real browser (Debian's Chromium) on the deciding steps of each chain: the materials are on the page, the
totals change while typing, no raw code is shown. Screenshots at 1366x768 go to docs/screens/ (committed) with
SAVE_SCREENS=1, else to instance/screenshots/.
"""

import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import journeys as J
import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import ROOT
from test_browser import log_in, log_out

pytestmark = pytest.mark.browser

SCREENS = ROOT / "docs" / "screens" if os.environ.get("SAVE_SCREENS") else ROOT / "instance" / "screenshots"
RAW_CODES = re.compile(
    r"\b(agree_with_remarks|agree|recommend|full_time|ppssz|ppkrs|employer_demand|act_type|construction|"
    r"approve_changed|retraining|investment_case|kcp_campaign)\b|\d+ ×|\{\""
)


@pytest.fixture(scope="module")
def site(live_site):
    """A live server with three chains at their deciding steps (and an order registered)."""
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    def prepare():
        deployment.deploy_path(SYSTEM, ROOT / "bpmn")
        keys = {
            "kcp_cc": J.kcp_to_coordination_council(2027),
            "kcp_sign": J.kcp_to_signing(2028),
            "kcp_done": J.kcp_registered(2029),
            "professions": J.professions_to_working_group(2028),
            "investor": J.investor_to_working_group(),
            "investor_plan": J.investor_to_plan(),
        }
        open_campaign = J.start("dpo_officer", "kcp_campaign", {"year": 2030})
        J.do("dpo_officer", open_campaign, "announce", {"intake_deadline": "2030-04-26", "announcement": "Приём"})
        ids = {
            "kcp_cc": J.open_task("КЦП-2027", "cc_decision").id,
            "kcp_sign": J.open_task("КЦП-2028", "sign_order").id,
            "professions": J.open_task(keys["professions"], "wg_decision").id,
            "investor": J.open_task(keys["investor"], "wg_decision").id,
            "kcp_done_instance": J.instance("КЦП-2029").id,
            "investor_plan": J.open_task(keys["investor_plan"], "plan").id,
        }
        for kind, key in DOCUMENTS.items():
            ids[f"pdf_{kind}"] = document_pdf(J.instance(keys.get(key, key)), kind)
        return ids

    url, _app, ids = live_site(prepare, at=datetime(2027, 4, 5, 3, 0, tzinfo=UTC))
    return url, ids


# the documents whose first page is shown in docs/screens/: kind -> the case (business key, or a key of `keys`)
DOCUMENTS = {
    "order": "КЦП-2029",
    "kcp_table": "КЦП-2029",
    "professions_list": "professions",
    "staffing_plan": "investor",
}


def document_pdf(instance, kind) -> bytes:
    """The PDF a person downloads (the fixed file of a registered order, else rendered from the case)."""
    from workflow_app.services import documents

    body, _mime, _name = documents.instance_file(J.who("auditor"), instance.id, kind, "pdf")
    return body


def rasterize_first_page(pdf: bytes, name: str, longest: int = 1366) -> tuple[int, int]:
    """The PDF's first page as a PNG (its longer side ``longest`` px), as a PDF viewer shows it."""
    page = pdfium.PdfDocument(pdf)[0]
    width, height = page.get_size()
    image = page.render(scale=longest / max(width, height)).to_pil()
    SCREENS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENS / f"{name}.png", optimize=True)
    return image.size


def shot(page, name, full_page=False):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=full_page)


def visible_text(page) -> str:
    return page.inner_text("main") if page.locator("main").count() else page.inner_text("body")


def assert_no_raw_codes(page):
    found = RAW_CODES.search(visible_text(page))
    assert found is None, f"raw code on the page: {found.group(0)!r}"


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_coordination_council_sees_the_consolidated_table(site, page):
    base, ids = site
    log_in(page, base, "cc_secretary")
    page.goto(f"{base}/tasks/{ids['kcp_cc']}")
    table = page.locator("#material-kcp-consolidated table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 3
    assert "Томский политехнический техникум" in table.inner_text()
    assert "140" in table.locator("tfoot").inner_text() and "40" in table.locator("tfoot").inner_text()
    assert page.locator("#material-opinions").is_visible()
    assert_no_raw_codes(page)
    assert fits_width(page)
    shot(page, "kcp-coordination-council-task")
    # the table downloads as XLSX
    with page.expect_download() as dl:
        page.click("#material-kcp-consolidated .material-xlsx")
    assert dl.value.suggested_filename.endswith("kcp-consolidated.xlsx")
    # on a phone the page does not scroll sideways; the rows become cards
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert fits_width(page)
    shot(page, "kcp-coordination-council-task-phone")


def test_the_signing_step_shows_the_order_above_the_buttons(site, page):
    base, ids = site
    log_in(page, base, "deputy_governor")
    page.goto(f"{base}/tasks/{ids['kcp_sign']}")
    preview = page.locator("#document-preview")
    assert preview.is_visible()
    assert "РАСПОРЯЖЕНИЕ" in preview.inner_text() and "15.02.16" in preview.inner_text()
    # the document comes before the buttons
    doc_y = preview.bounding_box()["y"]
    button_y = page.locator("#task-form button[name=decision]").first.bounding_box()["y"]
    assert doc_y < button_y
    assert_no_raw_codes(page)
    shot(page, "kcp-sign-order-task")
    with page.expect_download() as dl:
        page.click("#doc-order a[data-format=pdf]")
    assert dl.value.suggested_filename.endswith(".pdf")


def test_the_working_group_sees_the_list_items_and_the_staffing_plan(site, page):
    base, ids = site
    log_in(page, base, "wg_secretary")
    page.goto(f"{base}/tasks/{ids['professions']}")
    items = page.locator("#material-professions-draft table")
    assert "Оператор станков с ЧПУ" in items.inner_text() and "Наборщик" in items.inner_text()
    assert_no_raw_codes(page)
    assert fits_width(page)
    shot(page, "professions-working-group-task")
    page.goto(f"{base}/tasks/{ids['investor']}")
    assert "Аппаратчик химических производств" in page.locator("#material-form-lines").inner_text()
    assert page.locator("#material-form-measures").is_visible()
    assert_no_raw_codes(page)
    assert fits_width(page)
    shot(page, "investor-working-group-task")


def test_totals_update_while_typing(site, page):
    base, _ids = site
    # a ПОО's request: Δ per line and «Итого изменение»
    log_in(page, base, "college_officer_1")
    page.goto(f"{base}/start?process=kcp_request")
    page.check("#process-kcp_request")
    page.fill("#f-year", "2030")  # the start form of the request
    page.click("#start-submit")
    page.wait_for_url("**/tasks/**")
    page.fill("#f-lines-0-current_kcp", "25")
    page.fill("#f-lines-0-requested_kcp", "40")
    assert page.locator("#f-lines-0-delta").inner_text() == "15"
    assert page.locator("#f-total_delta").inner_text() == "15"
    page.fill("#f-lines-0-requested_kcp", "20")
    assert page.locator("#f-lines-0-delta").inner_text() == "-5"
    assert page.locator("#f-total_delta").inner_text() == "-5"
    assert fits_width(page)
    shot(page, "kcp-request-form")
    log_out(page)


def test_the_staffing_plan_and_the_questionnaire_totals_update_while_typing(site, page):
    base, ids = site
    # the investor's staffing plan: «Дефицит» per line = need − graduates − retraining − labour market
    log_in(page, base, "investor_1")
    page.goto(f"{base}/tasks/{ids['investor_plan']}")
    page.fill("#f-lines-0-profession", "Аппаратчик химических производств")
    page.fill("#f-lines-0-year", "2029")
    page.fill("#f-lines-0-need", "60")
    page.fill("#f-lines-0-from_colleges", "20")
    page.fill("#f-lines-0-from_retraining", "25")
    page.fill("#f-lines-0-from_labour_market", "5")
    assert page.locator("#f-lines-0-gap").inner_text() == "10"
    page.fill("#f-lines-0-need", "75")
    assert page.locator("#f-lines-0-gap").inner_text() == "25"  # before any submit
    assert_no_raw_codes(page)
    assert fits_width(page)
    shot(page, "investor-staffing-plan-form")
    # the questionnaire: «Всего рабочих мест» over the years
    page.goto(f"{base}/start?process=investor_case")
    page.check("#process-investor_case")
    page.click("#start-submit")
    page.wait_for_url("**/tasks/**")
    page.fill("#f-jobs-0-year", "2028")
    page.fill("#f-jobs-0-jobs", "120")
    assert page.locator("#f-total_jobs").inner_text() == "120"
    page.fill("#f-jobs-0-jobs", "95")
    assert page.locator("#f-total_jobs").inner_text() == "95"
    log_out(page)


def test_document_first_pages(site, page):
    """The first pages of the documents as downloaded (PDF, rasterized by PDFium) go to docs/screens/; the
    download links of the case page serve those same PDFs."""
    base, ids = site
    expected = {
        "order": ("РАСПОРЯЖЕНИЕ", "321-ра"),
        "kcp_table": ("СВОДНАЯ ТАБЛИЦА", "Итого"),
        "professions_list": ("ПЕРЕЧЕНЬ", "Оператор станков с ЧПУ"),
        "staffing_plan": ("КАДРОВЫЙ ПЛАН", "Аппаратчик химических производств"),
    }
    for kind, words in expected.items():
        body = ids[f"pdf_{kind}"]
        assert body.startswith(b"%PDF")
        text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).split())
        assert all(w in text for w in words), (kind, text[:300])
        width, height = rasterize_first_page(body, f"document-{kind}-first-page")
        assert max(width, height) == 1366 and min(width, height) > 700
    # the case page offers the fixed order for download, and it is the same file
    log_in(page, base, "dpo_officer")
    page.goto(f"{base}/instances/{ids['kcp_done_instance']}")
    with page.expect_download() as dl:
        page.click("#doc-order a[data-format=pdf]")
    assert Path(dl.value.path()).read_bytes() == ids["pdf_order"]


def test_the_history_diagram_is_full_width_and_zooms(site, page):
    base, ids = site
    log_in(page, base, "dpo_officer")
    page.goto(f"{base}/instances/{ids['kcp_done_instance']}/history")
    box = page.locator("#diagram")
    tools = page.locator("[data-diagram-tools='diagram']")
    assert tools.is_visible()
    assert box.bounding_box()["width"] > 1100  # the page's width, not a thumbnail beside the timeline
    assert "dpo_officer" not in box.inner_text() and "Специалист Департамента" in box.inner_text()
    page.locator(".diagram-card").scroll_into_view_if_needed()
    shot(page, "history-diagram")  # at a readable scale; «По ширине» gives the overview
    svg = page.locator("#diagram svg")
    before = svg.bounding_box()["width"]
    page.click("[data-zoom='in']")
    after = svg.bounding_box()["width"]
    assert after > before * 1.2
    page.click("[data-zoom='reset']")
    assert page.locator("[data-zoom-level]").inner_text() == "100%"
    page.click("[data-zoom='fit']")
    assert svg.bounding_box()["width"] <= box.bounding_box()["width"]
    assert fits_width(page)
