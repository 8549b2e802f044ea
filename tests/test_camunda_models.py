"""A model drawn in Camunda Modeler (Camunda 7 attributes, no lanes) deploys, starts, routes and shows its dates."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import example_people
from sqlalchemy import select

from workflow_app import workdays
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask
from workflow_app.services.cases import advance
from workflow_app.services.errors import Forbidden, NotFound
from workflow_app.services.people.actors import SCHEDULER, SYSTEM, actor_for
from workflow_app.services.process_models import deployment
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

DATA = Path(__file__).resolve().parent / "data" / "models"
MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(MONDAY)
    yield
    clock.set_clock(None)


@pytest.fixture
def people(app):
    people = example_people()
    [result] = deployment.deploy_path(SYSTEM, DATA / "camunda_modeler_approval.bpmn")
    assert result.created and result.warnings == []  # historyTimeToLive, written by Camunda Modeler, is accepted
    return people


def start(person, key):
    with UnitOfWork(actor_for(person)) as uow:
        inst = advance.start_instance(uow, actor_for(person), "camunda_approval", {"title": key}, business_key=key)
        uow.commit()
    return inst


def open_task(inst):
    [task] = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.status == "open")
    ).scalars()
    return task


def test_candidate_starters_groups_conditions_due_dates_and_a_plain_p7d_timer(app, people):
    with pytest.raises(Forbidden):
        start(people["head"], "C-0")  # neither a candidate starter group nor a candidate starter user
    start(people["dpo"], "C-dpo")  # camunda:candidateStarterUsers="dpo_officer"
    inst = start(people["officer1"], "C-1")  # camunda:candidateStarterGroups="college_officer"
    submit = open_task(inst)
    assert (submit.task_def, submit.candidate_group, submit.lane) == ("Task_submit", "college_officer", None)
    assert submit.form_key == "example_request" and submit.due_at == MONDAY + timedelta(days=3)  # dueDate="P3D"
    commands.complete(actor_for(people["officer1"]), submit.id, REQUEST)
    review = open_task(inst)
    assert (review.task_def, review.candidate_group) == ("Task_review", "dpo_officer")
    assert review.due_at == workdays.add_working_days(MONDAY, 2)  # dueDate="${working_days_from_now(2)}"
    assert review.follow_up_at == MONDAY + timedelta(days=1)  # followUpDate="P1D"
    with pytest.raises(NotFound):  # not the officer's group: the task is not even visible
        commands.complete(actor_for(people["officer1"]), review.id, {"decision": "approve"})
    commands.complete(actor_for(people["dpo"]), review.id, {"decision": "approve"})  # ${decision == "approve"}
    db.session.refresh(inst)
    assert inst.next_timer_at == MONDAY + timedelta(days=7)  # the plain ISO 8601 duration P7D
    assert (
        db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.status == "open")
        ).first()
        is None
    )
    clock.set_clock(MONDAY + timedelta(days=7, seconds=1))
    assert inst.id in advance.due_timer_instance_ids(clock.now())
    with UnitOfWork(SCHEDULER) as uow:
        advance.fire_timers(uow, inst)
        uow.commit()
    confirm = open_task(inst)
    assert confirm.task_def == "Task_confirm" and confirm.candidate_group is None
    assert confirm.assignee_id == people["head"].id  # camunda:candidateUsers="dpo_head", one user: assigned
    assert confirm.due_at == datetime(2027, 3, 1, 11, 0, tzinfo=UTC)  # dueDate="2027-03-01T18:00:00+07:00"
    commands.complete(actor_for(people["head"]), confirm.id, {"decision": "approve"})
    db.session.refresh(inst)
    assert inst.status == "completed"


def test_the_other_condition_routes_to_the_rejection(app, people):
    inst = start(people["officer2"], "C-2")
    commands.complete(actor_for(people["officer2"]), open_task(inst).id, REQUEST)
    commands.complete(actor_for(people["dpo"]), open_task(inst).id, {"decision": "reject", "comment": "Не обосновано"})
    db.session.refresh(inst)
    assert inst.status == "completed" and inst.next_timer_at is None  # ${decision != "approve"}: no wait, ended
