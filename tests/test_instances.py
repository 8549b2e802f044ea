"""The service layer over a real database: deploy, start, complete, timers, messages, concurrency."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from factories import actor, example_people
from sqlalchemy import func, select

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, HumanTask, ProcessInstance, ProcessModel
from workflow_app.services.audit import trail
from workflow_app.services.cases import advance, case_numbers
from workflow_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from workflow_app.services.people.actors import SCHEDULER, SYSTEM
from workflow_app.services.process_models import catalogue, deployment
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "bpmn" / "examples" / "example_approval.bpmn"
REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def start(person, key="BK-1"):
    with UnitOfWork(actor(person)) as uow:
        inst = advance.start_instance(uow, actor(person), "example_approval", {"title": "t"}, business_key=key)
        uow.commit()
    return inst


def open_task(instance, task_def):
    return db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()


@pytest.mark.postgres_too
def test_deploy_versions_by_content_and_keeps_running_instances_on_theirs(app, people, tmp_path):
    [first] = deployment.deploy_path(SYSTEM, EXAMPLE)
    assert (first.version, first.created) == (1, True)
    [again] = deployment.deploy_path(SYSTEM, EXAMPLE)
    assert (again.version, again.created) == (1, False)
    inst = start(people["officer1"])
    changed = tmp_path / "example_approval.bpmn"
    changed.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("Подать заявку", "Подать заявку (v2)"), encoding="utf-8"
    )
    [second] = deployment.deploy_path(SYSTEM, changed)
    assert (second.version, second.created) == (2, True)
    assert inst.model.version == 1
    task = open_task(inst, "submit_request")
    commands.complete(actor(people["officer1"]), task.id, REQUEST)
    assert open_task(inst, "review_request").instance.model.version == 1
    assert start(people["officer2"], "BK-2").model.version == 2
    assert [e.payload["version"] for e in db.session.query(AuditEvent).filter_by(kind="model_deployed")] == [1, 2]


def test_broken_diagram_is_refused_with_element_and_nothing_deployed(app, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('decision == "reject"', 'open("/etc/passwd")'), encoding="utf-8"
    )
    with pytest.raises(Invalid) as info:
        deployment.deploy_path(SYSTEM, broken)
    assert info.value.fields["element"] == "f_reject"  # the flow whose condition is refused
    assert "broken.bpmn" in info.value.message
    unknown_lane = tmp_path / "lane.bpmn"
    unknown_lane.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('name="dpo_head"', 'name="no_such_group"'), encoding="utf-8"
    )
    with pytest.raises(Invalid, match="no_such_group"):
        deployment.deploy_path(SYSTEM, unknown_lane)
    assert db.session.query(ProcessModel).count() == 0


def test_cli_deploy_reports_and_exits_nonzero_on_a_broken_file(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deploy", str(EXAMPLE)])
    assert result.exit_code == 0 and "example_approval v1 deployed" in result.output
    result = runner.invoke(args=["deploy", str(EXAMPLE)])
    assert "unchanged" in result.output
    broken = tmp_path / "x.bpmn"
    broken.write_text("<bpmn:definitions", encoding="utf-8")
    result = runner.invoke(args=["deploy", str(broken)])
    assert result.exit_code == 1 and "not well-formed XML" in result.output
    assert "example_approval\tv1" in runner.invoke(args=["models"]).output


@pytest.mark.postgres_too
def test_full_run_through_the_service_layer(app, deployed, people):
    officer, dpo = people["officer1"], people["dpo"]
    inst = start(officer)
    submit = open_task(inst, "submit_request")
    assert submit.org_scope_id == officer.organisation_id and submit.form_key == "example_request"
    assert submit.due_at == datetime(2026, 3, 10, 11, 0, tzinfo=UTC)  # 5 working days; 9 March is a day off
    with pytest.raises(Invalid) as info:
        commands.complete(actor(officer), submit.id, {"title": "x", "amount": -1})
    assert set(info.value.fields) >= {"title", "amount", "justification"}
    with pytest.raises(NotFound):
        commands.complete(actor(people["officer2"]), submit.id, REQUEST)  # another college never sees it
    commands.complete(actor(officer), submit.id, REQUEST)
    review = open_task(inst, "review_request")
    with pytest.raises(NotFound):
        commands.complete(actor(officer), review.id, {"decision": "approve"})
    commands.complete(actor(dpo), review.id, {"decision": "return", "comment": "Уточните обоснование"})
    resubmit = open_task(inst, "submit_request")
    assert resubmit.id != submit.id
    commands.complete(actor(officer), resubmit.id, {**REQUEST, "amount": 30})
    commands.complete(actor(dpo), open_task(inst, "review_request").id, {"decision": "approve"})
    db.session.refresh(inst)
    assert inst.waiting_messages == ["council_decision"]
    with pytest.raises(Forbidden), UnitOfWork(actor(dpo)) as uow:
        advance.deliver_message(uow, actor(dpo), inst.id, "council_decision", {"approved": True})
    with pytest.raises(Conflict) as refused, UnitOfWork(SYSTEM) as uow:  # a 409 naming the message, not a 500
        advance.deliver_message(uow, SYSTEM, inst.id, "no_such_message", {})
    assert "no_such_message" in refused.value.message
    with UnitOfWork(SYSTEM) as uow:
        advance.deliver_message(uow, SYSTEM, inst.id, "council_decision", {"approved": True})
        uow.commit()
    db.session.refresh(inst)
    assert inst.status == "completed" and inst.completed_at is not None
    assert db.session.query(HumanTask).filter_by(instance_id=inst.id, status="open").count() == 0
    kinds = [e.kind for e in db.session.query(AuditEvent).filter_by(instance_id=inst.id).order_by(AuditEvent.seq)]
    assert kinds.count("task_completed") == 4 and kinds.count("task_ready") == 4
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed" and "message_delivered" in kinds
    completed = db.session.query(AuditEvent).filter_by(instance_id=inst.id, kind="task_completed").all()
    assert completed[1].payload["data"]["decision"] == "return" and completed[1].actor_name == "dpo_officer"
    assert trail.verify(db.session).ok


def test_four_eyes_refuses_the_preparer(app, deployed, people):
    both = people["dpo2"]  # a college officer who is also a department officer
    inst = start(both)
    commands.complete(actor(both), open_task(inst, "submit_request").id, REQUEST)
    review = open_task(inst, "review_request")
    with pytest.raises(Forbidden, match="four-eyes"):
        commands.complete(actor(both), review.id, {"decision": "approve"})
    commands.complete(actor(people["dpo"]), review.id, {"decision": "approve"})


def test_state_survives_a_new_app_instance(app, deployed, people, database_url):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    inst_id = inst.id
    from conftest import _make_app

    other = _make_app(database_url)
    with other.app_context():
        from workflow_app.models import User

        catalogue.ENGINE._models.clear()  # as if a fresh process: no cached specs
        dpo = db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one()
        review = db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == inst_id, HumanTask.status == "open")
        ).scalar_one()
        commands.complete(actor(dpo), review.id, {"decision": "reject", "comment": "Не обосновано"})
        assert db.session.get(ProcessInstance, inst_id).status == "completed"
        db.session.remove()


@pytest.mark.postgres_too
def test_timer_escalation_with_the_injected_clock(app, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    db.session.refresh(inst)
    assert inst.next_timer_at == datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    clock.set_clock(datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    assert advance.due_timer_instance_ids(clock.now()) == []
    clock.set_clock(datetime(2026, 3, 5, 11, 0, 1, tzinfo=UTC))
    assert advance.due_timer_instance_ids(clock.now()) == [inst.id]
    with UnitOfWork(SCHEDULER) as uow:
        advance.fire_timers(uow, inst)
        uow.commit()
    assert (
        db.session.query(HumanTask).filter_by(instance_id=inst.id, task_def="review_request").one().status
        == "cancelled"
    )
    escalated = open_task(inst, "escalated_review")
    assert escalated.candidate_group == "dpo_head"
    event = db.session.query(AuditEvent).filter_by(instance_id=inst.id, kind="escalation").one()
    assert event.actor_name == "scheduler" and event.payload["element"] == "review_late"
    db.session.refresh(inst)
    assert inst.next_timer_at is None
    commands.complete(actor(people["head"]), escalated.id, {"decision": "approve"})


def test_engine_error_leaves_the_stored_state_untouched(app, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    commands.complete(actor(people["dpo"]), open_task(inst, "review_request").id, {"decision": "approve"})
    db.session.refresh(inst)
    before = (inst.state, inst.lock_version, db.session.query(func.count(AuditEvent.seq)).scalar())
    with pytest.raises(Conflict, match="could not continue"), UnitOfWork(SYSTEM) as uow:
        advance.deliver_message(uow, SYSTEM, inst.id, "council_decision", {"unexpected": 1})
        uow.commit()
    db.session.expire_all()
    inst = db.session.get(ProcessInstance, inst.id)
    after = (inst.state, inst.lock_version, db.session.query(func.count(AuditEvent.seq)).scalar())
    assert after == before and inst.status == "running"


@pytest.mark.postgres_too
def test_two_concurrent_completions_exactly_one_wins(app, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    review_id = open_task(inst, "review_request").id
    dpo_id, head_id = people["dpo"].id, people["dpo2"].id
    db.session.commit()
    results, barrier = [], threading.Barrier(2)

    def worker(user_id, decision):
        with app.app_context():
            from workflow_app.models import User

            who = actor(db.session.get(User, user_id))
            barrier.wait()
            try:
                commands.complete(who, review_id, {"decision": decision, "comment": "параллельно"})
                results.append("ok")
            except Conflict:
                results.append("conflict")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(dpo_id, "reject")),
        threading.Thread(target=worker, args=(head_id, "return")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    db.session.expire_all()
    completed = db.session.query(AuditEvent).filter_by(instance_id=inst.id, kind="task_completed").count()
    assert completed == 2  # the submit and exactly one review
    assert trail.verify(db.session).ok


def test_healthz_reports_version_database_and_models(client, deployed):
    assert client.get("/healthz").get_json() == {"status": "ok"}  # anonymous: up or down only
    from workflow_app.services.people import tokens

    example_people()
    token = tokens.issue_token(SYSTEM, "auditor", "health")
    body = client.get("/healthz", headers={"Authorization": "Bearer " + token}).get_json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert {"process_id": "example_approval", "version": 1} in body["models"]


@pytest.mark.postgres
def test_a_case_starts_only_under_a_running_parent_and_holds_it_against_its_termination(app, deployed):
    with UnitOfWork(SYSTEM) as uow:
        parent = advance.start_instance(uow, SYSTEM, "example_approval", {"title": "Родительское"})
        uow.commit()
    parent_id = parent.id
    terminating = psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(False), autocommit=True)
    terminating.execute("SET lock_timeout = '300ms'")
    terminate = "UPDATE process_instance SET status = 'terminated' WHERE id = %s"
    with UnitOfWork(SYSTEM) as uow:
        advance.start_instance(uow, SYSTEM, "example_approval", {"title": "Дочернее"}, parent=parent)
        # until this start commits, a termination of the parent waits (and then finds the child among its own)
        with pytest.raises(psycopg.errors.LockNotAvailable):
            terminating.execute(terminate, (parent_id,))
        uow.commit()
    terminating.execute(terminate, (parent_id,))  # the parent terminated, committed
    terminating.close()
    db.session.expire_all()
    with pytest.raises(Conflict, match="parent case"), UnitOfWork(SYSTEM) as uow:
        advance.start_instance(
            uow, SYSTEM, "example_approval", {"title": "Опоздавшее"}, parent=db.session.get(ProcessInstance, parent_id)
        )
    children = select(func.count()).select_from(ProcessInstance).where(ProcessInstance.parent_id == parent_id)
    assert db.session.execute(children).scalar_one() == 1


@pytest.mark.postgres_too
def test_a_case_number_that_folding_lengthens_is_stored_and_found(app, deployed):
    key = "Х" * 199 + "№"  # 200 characters; folded, «№» reads «no»: 201
    with UnitOfWork(SYSTEM) as uow:
        advance.start_instance(uow, SYSTEM, "example_approval", {"title": "Длинный номер"}, business_key=key)
        uow.commit()
    assert case_numbers.matching_keys("x" * 199 + "№") == [key]  # Latin «x» typed for Cyrillic «Х»
