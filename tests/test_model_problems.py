"""Deploy-time validation of BPMN models: every problem at once, plain answers a modeller can act on."""

import io
from pathlib import Path

import pytest
from factories import example_people
from test_web import login, text, token

from workflow_app.services.errors import Invalid
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "bpmn" / "examples" / "example_approval.bpmn").read_bytes()


def three_mistakes() -> bytes:
    """The example with an unknown lane group, a missing form and a gateway flow without a condition."""
    broken = EXAMPLE.replace(b'name="dpo_head"', b'name="dpo_chief"')
    broken = broken.replace(b'value="example_request"', b'value="no_such_form"')
    broken = broken.replace(b'<bpmn:conditionExpression>decision == "reject"</bpmn:conditionExpression>', b"")
    return broken


@pytest.fixture
def people(app):
    return example_people()


def test_three_independent_mistakes_are_three_named_problems_in_one_answer(app, people):
    with pytest.raises(Invalid) as refused:
        deployment.deploy_bytes(SYSTEM, three_mistakes(), "three.bpmn")
    problems = [p for p in refused.value.problems if p.severity == "error"]
    assert sorted(p.rule for p in problems) == ["form-missing", "gateway-flow-condition", "unknown-group"], [
        p.text() for p in problems
    ]
    by_rule = {p.rule: p for p in problems}
    assert by_rule["unknown-group"].element == "escalated_review" and "dpo_chief" in by_rule["unknown-group"].message
    assert by_rule["unknown-group"].name == "Рассмотреть просроченную заявку" and by_rule["unknown-group"].line
    assert by_rule["form-missing"].element == "submit_request" and "no_such_form" in by_rule["form-missing"].message
    assert by_rule["gateway-flow-condition"].element == "f_reject"
    assert (
        by_rule["gateway-flow-condition"].name == "отклонить"
        and "gw_review" in by_rule["gateway-flow-condition"].message
    )
    for p in problems:
        assert p.hint and p.line and "0x" not in p.text() and "<" not in p.message


def test_the_dry_run_lists_the_problems_and_deploys_nothing(app, people):
    report = deployment.check_bytes(SYSTEM, three_mistakes(), "three.bpmn")
    assert not report.ok and len(report.errors) == 3
    assert deployment.list_models() == []
    good = deployment.check_bytes(SYSTEM, EXAMPLE, "example_approval.bpmn")
    assert good.ok and good.processes == ["example_approval"] and deployment.list_models() == []


def test_cli_check_and_deploy_list_every_problem_and_a_missing_path_is_one_line(app, people, tmp_path):
    broken = tmp_path / "three.bpmn"
    broken.write_bytes(three_mistakes())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deploy", "--check", str(broken)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(lines) == 3 and all(line.startswith("three.bpmn:") for line in lines)
    assert "three.bpmn: 3 error(s)" in result.output and deployment.list_models() == []
    result = runner.invoke(args=["deploy", str(broken)])
    assert result.exit_code == 1 and result.output.count(": error: ") == 3 and "not deployed" in result.output
    result = runner.invoke(args=["deploy", str(tmp_path / "nowhere.bpmn")])
    assert result.exit_code == 2 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert "no such file or folder" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["deploy", "--check", str(ROOT / "bpmn" / "examples" / "example_approval.bpmn")])
    assert result.exit_code == 0 and "example_approval.bpmn: OK" in result.output


def test_the_deploy_api_answers_422_with_every_problem(app, client, people):
    headers = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "admin")}
    resp = client.post("/api/v1/models?check=true&file_name=three.bpmn", data=three_mistakes(), headers=headers)
    assert resp.status_code == 200 and resp.get_json()["ok"] is False and len(resp.get_json()["problems"]) >= 3
    resp = client.post(
        "/api/v1/models",
        data={"bpmn": (io.BytesIO(three_mistakes()), "three.bpmn")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    problems = resp.get_json()["error"]["problems"]
    assert {p["rule"] for p in problems if p["severity"] == "error"} == {
        "form-missing",
        "gateway-flow-condition",
        "unknown-group",
    }
    assert all(p["element"] and p["line"] and p["hint"] for p in problems)
    resp = client.post("/api/v1/models?file_name=example_approval.bpmn", data=EXAMPLE, headers=headers)
    assert resp.status_code == 201 and resp.get_json()[0]["process_id"] == "example_approval"
    officer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "dpo_officer")}
    assert client.post("/api/v1/models", data=EXAMPLE, headers=officer).status_code == 403


def test_the_admin_page_lists_every_problem_in_russian_and_checks_without_deploying(client, people):
    login(client, "admin")
    page = text(client.get("/admin/models"))
    resp = client.post(
        "/admin/models",
        data={"csrf_token": token(page), "bpmn": (io.BytesIO(three_mistakes()), "three.bpmn"), "action": "check"},
        content_type="multipart/form-data",
    )
    body = text(resp)
    assert resp.status_code == 422 and 'id="deploy-problems"' in body
    assert "Проверка нашла ошибок: 3" in body
    assert "Группа dpo_chief (lane) не существует." in body
    assert "Формы no_such_form нет в каталоге forms/." in body
    assert "Поток выходит из исключающего шлюза gw_review без условия" in body
    assert "Рассмотреть просроченную заявку" in body and "0x" not in body
    assert "example_approval" not in text(client.get("/admin/models")).split('id="models-table"')[-1]


def test_the_template_deploys_clean_and_every_rule_is_documented(app, people):
    from workflow_app.engine.problems import RULES

    report = deployment.check_bytes(SYSTEM, (ROOT / "docs" / "modelling" / "template.bpmn").read_bytes(), "t.bpmn")
    assert report.ok and report.problems == [], [p.text() for p in report.problems]
    guide = (ROOT / "docs" / "modelling.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"`{rule}`" not in guide] == []


def test_every_problem_reads_in_russian():
    from babel.messages.pofile import read_po

    from workflow_app.engine.problems import RULES

    with (ROOT / "workflow_app" / "translations" / "ru" / "LC_MESSAGES" / "models.po").open("rb") as f:
        catalog = read_po(f, locale="ru")
    missing = [t for pair in RULES.values() for t in pair if not (catalog.get(t) and catalog.get(t).string)]
    assert missing == []
