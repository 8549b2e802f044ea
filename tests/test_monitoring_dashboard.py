"""The monitoring dashboard (issue #23): open and overdue tasks by department and by chain, the average and the
90th percentile per step and per chain over a period, roadmap items and instructions by status; Russian labels
(never codes), investors never named; SVG charts with the numbers beside them; XLSX; who may see it."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from factories import login_session
from openpyxl import load_workbook

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, Organisation, ProcessInstance, ProcessModel, User
from workflow_app.services import demo, durations
from workflow_app.services.monitoring import dashboard
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.roadmap import changes

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def seeded(app, deployed):
    """Cases of the example chain: open tasks of the department (two overdue), of a ПОО and of an investor; steps
    completed in the period after 1, 2 and 10 hours; two cases completed after 2 and 4 days."""
    clock.set_clock(NOW)
    demo.load(SYSTEM)
    changes.load(SYSTEM)
    model = db.session.query(ProcessModel).filter_by(process_id="example_approval").one()
    orgs = {o.code: o for o in db.session.query(Organisation)}

    def case(n, status="running", created=NOW - timedelta(days=5), completed=None):
        inst = ProcessInstance(
            model_id=model.id,
            process_id="example_approval",
            business_key=f"ПРИМЕР-{n}",
            title=f"Пример {n}",
            status=status,
            state="{}",
            created_at=created,
            updated_at=created,
            completed_at=completed,
        )
        db.session.add(inst)
        db.session.flush()
        return inst

    def task(inst, n, group, org=None, due=None, created=NOW - timedelta(days=1), done_after=None):
        db.session.add(
            HumanTask(
                instance_id=inst.id,
                engine_task_id=f"e-{inst.id}-{n}",
                task_def="review" if done_after else "submit_request",
                name="Рассмотреть заявку" if done_after else "Подать заявку",
                process_id="example_approval",
                business_key=inst.business_key,
                candidate_group=group,
                org_scope_id=org.id if org else None,
                status="completed" if done_after else "open",
                due_at=due,
                created_at=created,
                completed_at=created + done_after if done_after else None,
            )
        )

    a = case(1)
    task(a, 1, "dpo_officer", due=NOW - timedelta(days=1))
    task(a, 2, "dpo_officer", due=NOW - timedelta(hours=1))
    task(a, 3, "dpo_officer", due=NOW + timedelta(days=3))
    task(a, 4, "college_officer", org=orgs["TPT"], due=NOW + timedelta(days=3))
    task(a, 5, "investor", org=orgs["SIBHIM"])
    for n, hours in enumerate((1, 2, 10)):
        task(a, 10 + n, "dpo_officer", created=NOW - timedelta(days=3), done_after=timedelta(hours=hours))
    task(a, 20, "dpo_officer", created=NOW - timedelta(days=400), done_after=timedelta(hours=500))  # before
    case(2, "completed", created=NOW - timedelta(days=10), completed=NOW - timedelta(days=8))
    case(3, "completed", created=NOW - timedelta(days=10), completed=NOW - timedelta(days=6))
    durations.rebuild()  # rows inserted around the services: their times summarised as the completions would
    db.session.commit()
    yield
    clock.set_clock(None)


def _actor(username):
    return actor_for(db.session.query(User).filter_by(username=username).one())


def test_the_dashboards_numbers(app, seeded):
    me = _actor("coordinator")
    deps = {r["label"]: r for r in dashboard.open_tasks_by_department(me)}
    assert deps["Департамент профессионального образования Томской области"] == {
        "label": "Департамент профессионального образования Томской области",
        "open": 3,
        "overdue": 2,
    }
    assert deps["Томский политехнический техникум"]["open"] == 1
    assert deps["Инвесторы"]["open"] == 1  # never the company's name
    assert not any("Сибирский" in label for label in deps)
    chains = dashboard.open_tasks_by_chain(me)
    assert chains == [{"label": "Пример: заявка и согласование", "open": 5, "overdue": 2}]

    steps = dashboard.step_times(me, "2027-01-01", "2027-03-01")["rows"]
    assert steps == [
        {
            "chain": "Пример: заявка и согласование",
            "label": "Рассмотреть заявку",
            "count": 3,
            "avg_hours": 4.3,
            "p90_hours": 10.1,  # 10 hours, within ±6 % (the middle of its bucket, 9.58–10.75 hours)
        }
    ]
    whole = dashboard.step_times(me, "2025-01-01", "2027-03-01")["rows"][0]
    assert whole["count"] == 4 and whole["p90_hours"] == 515.5  # 500 hours: the bucket of 486.5–546.1 hours
    chain = dashboard.chain_times(me, "2027-02-01", "2027-03-01")["rows"]
    assert chain == [{"label": "Пример: заявка и согласование", "count": 2, "avg_days": 3.0, "p90_days": 3.8}]

    statuses = {r["status"]: r["count"] for r in dashboard.roadmap_by_status(me)}
    assert sum(statuses.values()) == 83
    assert statuses["overdue"] > 0 and statuses["planned"] > 0  # the recurring items stay planned
    instructions = {r["status"]: r["count"] for r in dashboard.instructions_by_status(me)}
    assert set(instructions) == {"open", "overdue", "reported", "done"}


def test_who_sees_the_dashboard_and_bad_periods(app, client, seeded):
    for who in ("coordinator", "auditor", "dpo_head", "deputy_governor", "admin"):
        token = tokens.issue_token(SYSTEM, who, "dash")
        r = client.get("/api/v1/monitoring/tasks/by-department", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 200, who
    for who in ("college_officer", "investor", "dpo_officer", "cc_member"):
        token = tokens.issue_token(SYSTEM, who, "dash")
        r = client.get("/api/v1/monitoring", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 403, who
    token = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "auditor", "dash")}
    assert client.get("/api/v1/monitoring/times/steps?start=2027-13-01", headers=token).status_code == 422
    assert client.get("/api/v1/monitoring?start=2027-03-01&end=2027-01-01", headers=token).status_code == 422
    assert client.get("/api/v1/monitoring?start=2020-01-01&end=2027-01-01", headers=token).status_code == 422
    body = client.get("/api/v1/monitoring?start=2027-01-01&end=2027-03-01", headers=token).get_json()
    assert body["step_times"][0]["p90_hours"] == 10.1 and body["start"] == "2027-01-01"


def test_the_dashboard_page_and_its_export(app, seeded):
    client = app.test_client()
    login_session(client, db.session.query(User).filter_by(username="coordinator").one())
    page = client.get("/monitoring?start=2027-01-01&end=2027-03-01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") >= 6 and "<script" not in html.split("<main", 1)[-1]
    assert "Департамент профессионального образования Томской области" in html
    assert "Пример: заявка и согласование" in html and "Рассмотреть заявку" in html
    assert "dpo_officer" not in html and "example_approval" not in html and "Сибирский" not in html
    r = client.get("/monitoring/export.xlsx?start=2027-01-01&end=2027-03-01")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.data))
    assert len(book.sheetnames) == 6
    steps = list(book.worksheets[2].values)
    assert steps[1] == ("Пример: заявка и согласование", "Рассмотреть заявку", 3, 4.3, 10.1)
    assert client.get("/monitoring?start=bad").status_code == 422
    outsider = app.test_client()
    login_session(outsider, db.session.query(User).filter_by(username="college_officer").one())
    assert outsider.get("/monitoring").status_code == 403
    assert outsider.get("/monitoring/export.xlsx").status_code == 403
