"""A real browser (Chromium through Playwright), issue #23: the secretary of the Координационный совет puts a
question of the body's own on a meeting's agenda with a file of materials; the chair approves the agenda; a
member downloads the file; the secretary records attendance and the decision with an instruction (поручение) to
the ДепПО's official; both sign the protocol. The executor finds the instruction in the inbox and reports; the
secretary accepts the report; the body's instructions page shows it executed. Screenshots at 1366×768 go to
docs/screens/."""

from datetime import timedelta

import pytest
from test_browser import ROOT, live_server, log_in, log_out  # noqa: F401  (live_server: a fixture)

SCREENS = ROOT / "docs" / "screens"
BODY = "coordination_council"
QUESTION = "О приоритетных направлениях подготовки кадров на 2027 год (п. 1.4)"
INSTRUCTION = "Подготовить перечень приоритетных профессий с обоснованием"
PLAN = b"%PDF-1.4 priorities of 2027"

pytestmark = pytest.mark.browser


def test_a_free_question_is_decided_and_signed_and_its_instruction_is_executed(live_server, page):
    from playwright.sync_api import expect

    from workflow_app.engine import clock

    base = live_server
    today = clock.today()
    SCREENS.mkdir(parents=True, exist_ok=True)

    # the secretary: a meeting held yesterday, a question of the body's own with a file of materials
    log_in(page, base, "cc_secretary")
    page.goto(f"{base}/council/bodies/{BODY}")
    page.fill("#m-start", f"{today - timedelta(days=1)}T10:00")
    page.fill("#m-place", "пл. Ленина, 6, зал заседаний")
    page.click("#new-meeting button[type=submit]")
    page.wait_for_url("**/council/meetings/*")
    meeting_url = page.url.split("#")[0]
    page.fill("#q-title", QUESTION)
    page.fill("#q-rapporteur", "Координатор внедрения Стандарта")
    page.fill("#q-materials", "Предложения отраслевых департаментов и работодателей")
    page.set_input_files(
        "#q-files", files=[{"name": "приоритеты-2027.pdf", "mimeType": "application/pdf", "buffer": PLAN}]
    )
    page.fill("#q-draft", "Утвердить приоритетные направления подготовки кадров на 2027 год")
    page.click("#add-question")
    item = page.locator("li[id^='item-']", has_text=QUESTION)
    expect(item).to_contain_text("приоритеты-2027.pdf")
    expect(item).to_contain_text("Утвердить приоритетные направления")
    item_id = (item.get_attribute("id") or "").removeprefix("item-")
    log_out(page)

    log_in(page, base, "cc_chair")
    page.goto(meeting_url)
    page.click("#approve-agenda")
    expect(page.locator("#meeting-status")).to_contain_text("Повестка утверждена")
    log_out(page)

    # a member sees the question's materials and downloads its file
    log_in(page, base, "cc_member_2")
    page.goto(meeting_url)
    link = page.locator(f"#item-{item_id}-material-attachments a", has_text="приоритеты-2027.pdf")
    with page.expect_download() as info:
        link.click()
    assert info.value.path().read_bytes() == PLAN
    page.locator(f"#item-{item_id}").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "council-meeting-member.png"))
    log_out(page)

    # the secretary records attendance and the decision with an instruction, and signs
    log_in(page, base, "cc_secretary")
    page.goto(meeting_url)
    for box in page.locator("input[name=present]").all():
        box.check()
    page.click("form[action$='/attendance'] button[type=submit]")
    item = page.locator(f"#item-{item_id}")
    item.locator("input[name=outcome][value=adopt]").check()
    item.locator(f"#vf-{item_id}").fill("4")
    item.locator("input[name='ins-0-text']").fill(INSTRUCTION)
    item.locator("input[name='ins-0-executor']").fill("dpo_officer")
    item.locator("input[name='ins-0-deadline']").fill(str(today + timedelta(days=10)))
    item.locator("form.decision-form button[type=submit]").click()
    expect(page.locator(f"#item-{item_id}")).to_contain_text("Принять решение по проекту")
    page.click("#sign")
    log_out(page)

    log_in(page, base, "cc_chair")
    page.goto(meeting_url)
    page.click("#sign")
    page.wait_for_url("**/protocol")  # the signed protocol: the question, its decision and the instruction
    expect(page.locator(".alert-success")).to_contain_text("подписан")
    expect(page.locator("main")).to_contain_text(QUESTION)
    expect(page.locator("main")).to_contain_text(INSTRUCTION)
    page.screenshot(path=str(SCREENS / "council-free-question.png"))
    page.goto(meeting_url)
    expect(page.locator("#meeting-status")).to_contain_text("Протокол подписан")
    log_out(page)

    # the executor: the instruction is a task in the inbox; the report goes to the secretary
    log_in(page, base, "dpo_officer")
    page.goto(base + "/inbox")
    row = page.locator("#inbox-table tbody tr", has_text="Исполнить поручение и представить отчёт")
    expect(row).to_have_count(1)
    row.locator("a", has_text="Исполнить поручение").click()
    page.wait_for_url("**/tasks/*")
    expect(page.locator("main")).to_contain_text(INSTRUCTION)
    page.fill("#f-report", "Перечень подготовлен и направлен в Координационный совет")
    page.screenshot(path=str(SCREENS / "instruction-task.png"))
    page.click("#task-submit")
    page.wait_for_url("**/inbox**")
    log_out(page)

    # the secretary accepts the report; the body's instructions page shows it executed
    log_in(page, base, "cc_secretary")
    page.goto(base + "/inbox")
    page.click("#tab-group")
    row = page.locator("#inbox-table tbody tr", has_text="Рассмотреть отчёт об исполнении поручения")
    row.locator("a", has_text="Рассмотреть отчёт").click()
    page.wait_for_url("**/tasks/*")
    expect(page.locator("main")).to_contain_text("Перечень подготовлен и направлен в Координационный совет")
    page.click("button[name=decision][value=accept]")
    page.wait_for_url("**/inbox**")
    page.goto(f"{base}/council/bodies/{BODY}/instructions")
    line = page.locator("tr", has_text=INSTRUCTION)
    expect(line).to_contain_text("Исполнено")
    expect(line).to_contain_text("вопрос 1")
    page.screenshot(path=str(SCREENS / "council-instructions.png"))
    log_out(page)
