"""Collegial bodies: pending items, meetings, quorum, votes, protocols that close decisions (issue 5).

Two small test chains under tests/data/council/ put tasks with ``collegialBody=coordination_council`` in the
secretary's lane: ``council_test_quota`` (approve / approve with changes / return / reject) and
``council_test_list`` (agree / disagree, with a parallel branch so the case can change while it waits).
"""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from factories import actor, org, user
from mail_texts import assert_mails_readable
from sqlalchemy import func, select

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import (
    ApiToken,
    AuditEvent,
    BodyMembership,
    CollegialBody,
    Decision,
    HumanTask,
    Notification,
    Organisation,
    ProcessInstance,
    Protocol,
)
from workflow_app.models.council import SignedRecordError
from workflow_app.services import council, scheduler
from workflow_app.services.audit import trail
from workflow_app.services.cases import advance, corrections
from workflow_app.services.documents import content
from workflow_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from workflow_app.services.people.actors import SYSTEM, new_token_value, token_digest
from workflow_app.services.process_models import deployment
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

DATA = Path(__file__).resolve().parent / "data" / "council"
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 1 Dec 2026, 10:00 in Tomsk
CC = "coordination_council"


FROZEN_AT = NOW
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


@pytest.fixture
def people(app):
    council_org = org("admin_to", "Администрация Томской области", kind="department")
    p = {
        "chair": user("cc_chair", ["cc_chair"], council_org),
        "secretary": user("cc_secretary", ["cc_secretary"], council_org),
        "m1": user("cc_member_1", ["cc_member"], council_org),
        "m2": user("cc_member_2", ["cc_member"], council_org),
        "m3": user("cc_member_3", ["cc_member"], council_org),
        "m4": user("cc_member_4", ["cc_member"], council_org),
        "deputy": user("cc_deputy_m1", ["sector_officer"], council_org),
        "sector": user("sector_1", ["sector_officer"], council_org),
        "outsider": user("dpo_1", ["dpo_officer"], council_org),
        "auditor": user("auditor_1", ["auditor"], council_org),
    }
    assert council.ensure_demo_memberships(db.session) == 6
    assert council.ensure_demo_memberships(db.session) == 0  # idempotent
    from workflow_app.models import Deputy

    for member in ("m1", "m2", "m3"):  # the substitute at meetings is the members' registered deputy
        db.session.add(
            Deputy(
                principal_id=p[member].id,
                deputy_id=p["deputy"].id,
                starts_on=date(2000, 1, 1),
                ends_on=date(2099, 1, 1),
            )
        )
    db.session.commit()
    return p


@pytest.fixture
def chains(app):
    for name in ("council_quota.bpmn", "council_list.bpmn"):
        deployment.deploy_bytes(SYSTEM, (DATA / name).read_bytes(), name, forms_dir=DATA / "forms")
    for name in ("council_question.bpmn", "council_instruction.bpmn"):  # the body's own questions, instructions
        deployment.deploy_bytes(SYSTEM, (ROOT / "bpmn" / name).read_bytes(), name, forms_dir=ROOT / "forms")


def start(process_id, key, **data):
    with UnitOfWork(SYSTEM) as uow:
        inst = advance.start_instance(uow, SYSTEM, process_id, {"title": key, **data}, business_key=key)
        uow.commit()
    return inst


def open_task(inst, task_def):
    return db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == inst.id, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()


def task_data(inst, task_def):
    """The process data as the next open task sees it."""
    return advance.load(inst).task_data(open_task(inst, task_def).engine_task_id)


def a(person):
    return actor(person)


def ready_meeting(people, task_ids, present=("chair", "m1", "m2", "m3"), when="2026-11-30T10:00"):
    sec = a(people["secretary"])
    meeting = council.create_meeting(sec, CC, when, "ул. Ленина, 6, зал заседаний", "in_person")
    items = [council.add_item(sec, meeting.id, tid) for tid in task_ids]
    council.approve_agenda(a(people["chair"]), meeting.id)
    council.record_attendance(sec, meeting.id, [people[k].id for k in present])
    return meeting, items


def decide(people, meeting, item, outcome, **kw):
    kw.setdefault("votes_for", 3)
    return council.record_decision(a(people["secretary"]), meeting.id, item.id, outcome=outcome, **kw)


def sign_both(people, meeting):
    council.sign(a(people["secretary"]), meeting.id)
    return council.sign(a(people["chair"]), meeting.id)


def events(kind):
    return db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == kind)).scalar_one()


# --- bodies, pending ------------------------------------------------------------------------------


def test_bodies_are_seeded_and_pending_lists_items_of_any_chain_with_materials(app, people, chains):
    codes = [b["code"] for b in council.list_bodies(a(people["auditor"]))]
    assert codes == ["coordination_council", "expert_council", "working_group"]
    assert [b["code"] for b in council.list_bodies(a(people["m1"]))] == ["coordination_council"]
    assert council.list_bodies(a(people["outsider"])) == []  # composition and workload only for its members
    q = start("council_test_quota", "КЦП-2027/ТПТ", draft_decision="Согласовать увеличение КЦП на 25 мест")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-2027")
    items = council.pending(a(people["secretary"]), CC)
    assert [i["business_key"] for i in items] == ["КЦП-2027/ТПТ", "ПЕРЕЧЕНЬ-2027"]
    first = items[0]
    assert first["materials"]["draft_decision"] == "Согласовать увеличение КЦП на 25 мест"
    assert first["materials"]["data"]["title"] == "КЦП-2027/ТПТ"
    assert [o["value"] for o in first["materials"]["decision_options"]] == [
        "approve",
        "approve_with_changes",
        "return",
        "reject",
    ]
    assert [o["value"] for o in items[1]["materials"]["decision_options"]] == ["agree", "disagree"]
    assert council.pending(a(people["auditor"]), "expert_council") == []
    with pytest.raises(Forbidden):
        council.pending(a(people["secretary"]), "expert_council")  # another body's secretary
    assert len(council.pending(a(people["m2"]), CC)) == 2  # members read
    with pytest.raises(Forbidden):
        council.pending(a(people["outsider"]), CC)
    # an item on an agenda leaves the pending list
    meeting = council.create_meeting(a(people["secretary"]), CC, "2026-12-10T10:00")
    council.add_item(a(people["secretary"]), meeting.id, open_task(q, "cc_decide").id)
    assert [i["task_id"] for i in council.pending(a(people["secretary"]), CC)] == [open_task(lst, "cc_review").id]
    with pytest.raises(Conflict):
        other = council.create_meeting(a(people["secretary"]), CC, "2026-12-20T10:00")
        council.add_item(a(people["secretary"]), other.id, open_task(q, "cc_decide").id)
    assert meeting.starts_at == datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 Tomsk = 03:00 UTC


# --- the whole meeting ----------------------------------------------------------------------------


@pytest.mark.postgres_too
def test_items_of_two_chains_decided_in_one_meeting_and_signing_advances_every_instance(app, people, chains):
    q = start("council_test_quota", "КЦП-2027/ТПТ")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-2027")
    q_task, l_task = open_task(q, "cc_decide"), open_task(lst, "cc_review")
    meeting, (i1, i2) = ready_meeting(people, [q_task.id, l_task.id])
    assert_mails_readable({"meeting"})  # each member's notice of the approved agenda
    with pytest.raises(Invalid) as info:  # the outcome must be one the waiting task's form allows
        decide(people, meeting, i1, "agree")
    assert "outcome" in info.value.fields
    with pytest.raises(Invalid) as info:  # the form's own rules: "approve with changes" needs a comment
        decide(people, meeting, i1, "approve_with_changes")
    assert "comment" in info.value.fields
    decide(
        people,
        meeting,
        i1,
        "approve_with_changes",
        votes_for=3,
        votes_against=1,
        text="Согласовать с уменьшением до 20 мест",
        instructions=[
            {
                "text": "Подготовить проект распоряжения",
                "executor": "ДепПО",
                "executor_user_id": people["outsider"].id,
                "deadline": "2026-12-20",
            }
        ],
    )
    decide(people, meeting, i2, "agree", votes_for=4, text="Согласовать перечень")
    with pytest.raises(Forbidden):
        council.sign(a(people["m1"]), meeting.id)
    with pytest.raises(Conflict, match="secretary has not signed"):
        council.sign(a(people["chair"]), meeting.id)
    before = events("task_completed")
    draft = council.sign(a(people["secretary"]), meeting.id)
    assert (draft.status, draft.number) == ("draft", None)
    protocol = council.sign(a(people["chair"]), meeting.id)
    assert (protocol.status, protocol.number, protocol.year) == ("signed", 1, 2026)
    assert events("task_completed") == before + 2 and events("council_protocol_signed") == 1

    db.session.refresh(q_task)
    db.session.refresh(l_task)
    assert q_task.status == l_task.status == "completed"
    assert q_task.completed_by_id == people["chair"].id
    assert q_task.outcome == "approve_with_changes" and l_task.outcome == "agree"
    assert q_task.submitted["protocol"]["ref"] == "1/1/1" and l_task.submitted["protocol"]["ref"] == "1/2/2"
    assert q_task.submitted["comment"] == "Согласовать с уменьшением до 20 мест"
    # the waiting processes advanced with the decision and the protocol reference in their data
    assert open_task(q, "publish").name == "Подготовить распоряжение"
    data = task_data(q, "publish")
    assert data["decision"] == "approve_with_changes" and data["protocol"]["number"] == 1
    assert data["protocol"]["date"] == "2026-11-30"
    assert open_task(lst, "sector_note")  # the parallel branch still waits; the council branch is done
    assert db.session.get(ProcessInstance, lst.id).status == "running"

    view = council.protocol_view(protocol.meeting)
    assert [i["decision"]["ref"] for i in view["items"]] == ["1/1/1", "1/2/2"]
    assert {t["task_id"] for t in view["closed_tasks"]} == {q_task.id, l_task.id}
    assert view["signed_by_chair"]["id"] == people["chair"].id
    assert view["signed_by_secretary"]["id"] == people["secretary"].id
    present = {row["name"] for row in view["composition"] if row["present"]}
    assert present == {people[k].display_name for k in ("chair", "m1", "m2", "m3")}
    assert council.pending(a(people["secretary"]), CC) == []
    [ins] = council.list_instructions(a(people["secretary"]), CC)
    assert (ins["status"], ins["ref"], ins["overdue"]) == ("open", "1/1/1", False)
    assert trail.verify(db.session).ok


# --- quorum ---------------------------------------------------------------------------------------


def test_no_quorum_no_decisions_and_substitutes_count(app, people, chains):
    q = start("council_test_quota", "КЦП-1")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id], present=("chair", "m1"))
    quorum = council.quorum(meeting)
    assert (quorum.members, quorum.present, quorum.required, quorum.reached) == (5, 2, 3, False)
    with pytest.raises(Conflict, match="no quorum") as info:
        decide(people, meeting, item, "approve", votes_for=2)
    assert info.value.fields["quorum"]["present"] == 2
    assert db.session.query(Decision).count() == 0
    with pytest.raises(Conflict, match="no quorum"):
        council.sign(a(people["secretary"]), meeting.id)
    # the secretary alone does not make a quorum (not a voting member) ...
    sec = a(people["secretary"])
    assert not council.record_attendance(
        sec, meeting.id, [people["chair"].id, people["m1"].id, people["secretary"].id]
    ).reached
    # ... but a substitute sitting for an absent member does
    with pytest.raises(Invalid):
        council.record_attendance(sec, meeting.id, [people["chair"].id, people["outsider"].id])
    q2 = council.record_attendance(
        sec,
        meeting.id,
        [people["chair"].id, people["m1"].id],
        substitutes=[{"member_id": people["m2"].id, "substitute_id": people["deputy"].id}],
    )
    assert (q2.present, q2.reached) == (3, True)
    decide(people, meeting, item, "approve", votes_for=3)
    with pytest.raises(Invalid, match="errors") as info:
        decide(people, meeting, item, "approve", votes_for=4)  # more votes than members present
    assert "votes_for" in info.value.fields
    # the substitute reads the meeting's materials
    assert council.get_meeting(a(people["deputy"]), meeting.id).id == meeting.id


# --- votes ----------------------------------------------------------------------------------------


def test_a_tie_is_decided_by_the_chairs_vote(app, people, chains):
    q = start("council_test_quota", "КЦП-2")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id], present=("chair", "m1", "m2", "m3"))
    with pytest.raises(Invalid) as info:
        decide(people, meeting, item, "approve", votes_for=2, votes_against=2)
    assert "chair_casting_vote" in info.value.fields
    with pytest.raises(Invalid) as info:
        decide(people, meeting, item, "approve", votes_for=2, votes_against=2, chair_casting_vote="against")
    assert "not adopted" in info.value.fields["outcome"]
    with pytest.raises(Invalid) as info:
        decide(people, meeting, item, "approve", votes_for=1, votes_against=3)
    assert "not adopted" in info.value.fields["outcome"]
    with pytest.raises(Invalid) as info:
        decide(people, meeting, item, "approve", votes_for=3, votes_against=1, chair_casting_vote="for")
    assert "chair_casting_vote" in info.value.fields
    d = decide(people, meeting, item, "approve", votes_for=2, votes_against=2, chair_casting_vote="for")
    assert (d.votes_for, d.votes_against, d.chair_casting_vote) == (2, 2, "for")
    protocol = sign_both(people, meeting)
    assert protocol.status == "signed"
    done = db.session.get(HumanTask, item.task_id)
    assert done.outcome == "approve"
    ev = db.session.execute(
        select(AuditEvent).where(AuditEvent.kind == "task_completed", AuditEvent.task_id == item.task_id)
    ).scalar_one()
    assert ev.payload["votes"] == {"for": 2, "against": 2, "abstained": 0, "chair": "for"}


# --- atomic signing -------------------------------------------------------------------------------


@pytest.mark.postgres_too
def test_one_stale_item_rolls_the_whole_signing_back(app, people, chains):
    q = start("council_test_quota", "КЦП-3")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-3")
    q_task, l_task = open_task(q, "cc_decide"), open_task(lst, "cc_review")
    meeting, (i1, i2) = ready_meeting(people, [q_task.id, l_task.id])
    decide(people, meeting, i1, "approve")
    decide(people, meeting, i2, "agree")
    council.sign(a(people["secretary"]), meeting.id)
    # the second case changes while it waits: its parallel branch is completed
    commands.complete(a(people["sector"]), open_task(lst, "sector_note").id, {})
    db.session.refresh(q)
    q_version, audit_count = q.lock_version, db.session.query(AuditEvent).count()
    with pytest.raises(Conflict) as info:
        council.sign(a(people["chair"]), meeting.id)
    assert info.value.fields["item"] == i2.id and "question 2" in info.value.message
    # nothing half-applied: the first case did not move, no number was taken, no event written
    db.session.expire_all()
    assert db.session.get(HumanTask, q_task.id).status == "open"
    assert db.session.get(ProcessInstance, q.id).lock_version == q_version
    p = db.session.execute(select(Protocol)).scalar_one()
    assert (p.status, p.number, p.signed_by_chair_id) == ("draft", None, None)
    assert db.session.get(Decision, i1.decision.id).number is None
    assert db.session.query(AuditEvent).count() == audit_count
    assert council.get_meeting(a(people["secretary"]), meeting.id).status == "approved"

    # the secretary reviews the changed case and confirms it; that withdraws the secretary's signature
    council.refresh_item(a(people["secretary"]), meeting.id, i2.id)
    with pytest.raises(Conflict, match="secretary has not signed"):
        council.sign(a(people["chair"]), meeting.id)
    protocol = sign_both(people, meeting)
    assert protocol.number == 1
    assert open_task(q, "publish") and open_task(lst, "publish_list")  # both advanced, the list past the join


def test_a_task_closed_outside_the_meeting_blocks_signing(app, people, chains):
    q = start("council_test_quota", "КЦП-4")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-4")
    meeting, (i1, i2) = ready_meeting(people, [open_task(q, "cc_decide").id, open_task(lst, "cc_review").id])
    decide(people, meeting, i1, "approve")
    decide(people, meeting, i2, "agree")
    council.sign(a(people["secretary"]), meeting.id)
    admin = a(user("admin_1", ["admin"]))
    corrections.terminate_instance(admin, q.id, "Дело прекращено по заявлению ПОО")  # closed outside
    with pytest.raises(Conflict) as info:
        council.sign(a(people["chair"]), meeting.id)
    assert info.value.fields["item"] == i1.id and "no longer open" in info.value.message
    db.session.expire_all()
    assert db.session.get(HumanTask, i2.task_id).status == "open"
    # the secretary takes the item off (postpones it), signs again, and the rest closes
    council.postpone_item(a(people["secretary"]), meeting.id, i1.id)
    protocol = sign_both(people, meeting)
    assert [i["status"] for i in council.protocol_view(protocol.meeting)["items"]] == ["postponed", "closed"]
    assert db.session.get(HumanTask, i2.task_id).status == "completed"


# --- permanence -----------------------------------------------------------------------------------


def test_a_signed_protocol_rejects_edits_and_deletion(app, people, chains):
    q = start("council_test_quota", "КЦП-5")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    decide(people, meeting, item, "reject", text="Отклонить: нет подтверждённой потребности работодателей")
    protocol = sign_both(people, meeting)
    sec = a(people["secretary"])
    with pytest.raises(Conflict, match="signed"):
        decide(people, meeting, item, "approve")
    with pytest.raises(Conflict, match="signed"):
        council.postpone_item(sec, meeting.id, item.id)
    with pytest.raises(Conflict, match="signed"):
        council.record_attendance(sec, meeting.id, [people["chair"].id])
    with pytest.raises(Conflict):
        council.delete_protocol(sec, protocol.id)
    with pytest.raises(Conflict, match="already signed"):
        council.sign(a(people["chair"]), meeting.id)
    # and below the services: the model refuses to change or delete a signed record
    d = db.session.get(Decision, item.decision.id)
    d.text = "подправим задним числом"
    with pytest.raises(SignedRecordError):
        db.session.flush()
    db.session.rollback()
    p = db.session.get(Protocol, protocol.id)
    p.number = 99
    with pytest.raises(SignedRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Protocol, protocol.id))
    with pytest.raises(SignedRecordError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Protocol, protocol.id).number == 1
    assert db.session.get(HumanTask, item.task_id).submitted["decision"] == "reject"
    assert db.session.get(ProcessInstance, q.id).status == "completed"


# --- postponement, numbering ----------------------------------------------------------------------


def test_postponement_to_a_later_meeting_and_numbering_per_body_and_year(app, people, chains):
    q = start("council_test_quota", "КЦП-6")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-6")
    meeting, (i1, i2) = ready_meeting(people, [open_task(q, "cc_decide").id, open_task(lst, "cc_review").id])
    later = council.create_meeting(
        a(people["secretary"]), CC, "2026-12-24T15:00", "https://vks.tomsk.example/cc", "absentee"
    )
    decide(people, meeting, i1, "approve")
    moved = council.postpone_item(a(people["secretary"]), meeting.id, i2.id, later.id)
    assert moved.meeting_id == later.id and moved.position == 1
    assert db.session.get(type(i2), i2.id).status == "postponed"
    first = sign_both(people, meeting)
    assert first.number == 1
    assert open_task(lst, "cc_review").id == i2.task_id  # still waiting, now for the later meeting
    council.approve_agenda(a(people["chair"]), later.id)
    council.record_attendance(a(people["secretary"]), later.id, [people[k].id for k in ("chair", "m2", "m4")])
    decide(people, later, moved, "disagree", votes_for=3, text="Не согласовывать до уточнения")
    with pytest.raises(Conflict, match="not been held yet"):  # #19: not before the meeting (24.12, Tomsk)
        council.sign(a(people["secretary"]), later.id)
    clock.set_clock(datetime(2026, 12, 24, 9, 30, tzinfo=UTC))  # 16:30 in Tomsk: the meeting was held
    second = sign_both(people, later)
    assert (second.number, second.year) == (2, 2026)
    assert db.session.get(HumanTask, i2.task_id).submitted["protocol"]["ref"] == "2/1/1"
    view = council.protocol_view(first.meeting)
    assert view["items"][1]["status"] == "postponed" and view["items"][1]["postponed_to_id"] == later.id


# --- membership history, instructions, permissions ------------------------------------------------


def test_membership_history_and_overdue_instructions(app, people, chains):
    q = start("council_test_quota", "КЦП-7")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    decide(
        people,
        meeting,
        item,
        "approve",
        instructions=[
            {"text": "Направить выписку в колледж", "executor_username": "dpo_1", "deadline": "2026-12-15"},
            {"text": "Подготовить распоряжение", "executor": "admin_to", "deadline": "2027-01-20"},
        ],
    )
    assert council.list_instructions(a(people["secretary"]), CC) == []  # tracked only once signed
    assert council.counts_by_status(CC)["total"] == 0
    protocol = sign_both(people, meeting)
    assert council.counts_by_status(CC) == {"open": 2, "reported": 0, "done": 0, "overdue": 0, "total": 2}
    assert council.counts_by_status() == council.counts_by_status(CC)  # all bodies
    rows = council.instruction_rows(CC)
    assert [r["protocol_ref"] for r in rows] == ["протокол от 30.11.2026 № 1, вопрос 1"] * 2
    # m4 leaves the body; a new member joins: the signed protocol still shows who sat then
    m4_seat = db.session.execute(select(BodyMembership).where(BodyMembership.user_id == people["m4"].id)).scalar_one()
    with pytest.raises(Forbidden):
        council.end_membership(a(people["secretary"]), m4_seat.id, "2026-12-31")
    council.end_membership(SYSTEM, m4_seat.id, "2026-12-31")
    council.add_membership(SYSTEM, CC, people["sector"].id, "member", "2027-01-01", position="Начальник отдела")
    names = {r["name"] for r in council.protocol_view(protocol.meeting)["composition"]}
    assert people["m4"].display_name in names and people["sector"].display_name not in names
    clock.set_clock(datetime(2027, 1, 12, 3, 0, tzinfo=UTC))
    body = db.session.execute(select(CollegialBody).where(CollegialBody.code == CC)).scalar_one()
    members = {m.user_id for m in council.memberships_on(body, date(2027, 1, 12))}
    assert people["sector"].id in members and people["m4"].id not in members
    with pytest.raises(Forbidden):
        council.pending(a(people["m4"]), CC)  # no longer on the body
    overdue = council.list_instructions(a(people["secretary"]), CC, overdue_only=True)
    assert [i["text"] for i in overdue] == ["Направить выписку в колледж"]
    assert council.counts_by_status(CC)["overdue"] == 1
    with pytest.raises(Forbidden):
        council.complete_instruction(a(people["m1"]), overdue[0]["id"])
    with pytest.raises(Conflict, match="through their task"):  # closed by accepting the executor's report
        council.complete_instruction(a(people["secretary"]), overdue[0]["id"], "Выписка направлена")


def test_only_the_secretary_builds_only_the_chair_approves_and_signs(app, people, chains):
    q = start("council_test_quota", "КЦП-8")
    task = open_task(q, "cc_decide")
    for who in ("m1", "chair", "outsider", "auditor"):
        with pytest.raises(Forbidden):
            council.create_meeting(a(people[who]), CC, "2026-12-10T10:00")
    meeting = council.create_meeting(a(people["secretary"]), CC, "2026-11-27T10:00")
    with pytest.raises(Forbidden):
        council.add_item(a(people["m1"]), meeting.id, task.id)
    item = council.add_item(a(people["secretary"]), meeting.id, task.id)
    with pytest.raises(Forbidden):
        council.approve_agenda(a(people["secretary"]), meeting.id)
    with pytest.raises(Conflict, match="not approved"):
        council.record_attendance(a(people["secretary"]), meeting.id, [people["chair"].id])
    council.approve_agenda(a(people["chair"]), meeting.id)
    with pytest.raises(Conflict, match="already approved"):
        council.add_item(a(people["secretary"]), meeting.id, task.id)
    with pytest.raises(Forbidden):
        council.record_attendance(a(people["chair"]), meeting.id, [people["chair"].id])
    council.record_attendance(a(people["secretary"]), meeting.id, [people[k].id for k in ("m1", "m2", "m3")])
    with pytest.raises(Forbidden):
        council.record_decision(a(people["m1"]), meeting.id, item.id, outcome="approve", votes_for=3)
    decide(people, meeting, item, "approve")
    council.sign(a(people["secretary"]), meeting.id)
    with pytest.raises(Forbidden, match="presided"):  # the chair was absent: nobody presided
        council.sign(a(people["chair"]), meeting.id)
    with pytest.raises(NotFound):
        council.get_meeting(a(people["outsider"]), 999)
    with pytest.raises(Forbidden):
        council.get_meeting(a(people["outsider"]), meeting.id)
    assert council.get_meeting(a(people["auditor"]), meeting.id).id == meeting.id  # auditors read


# --- REST -----------------------------------------------------------------------------------------


def token_for(person):
    value = new_token_value()
    db.session.add(
        ApiToken(
            user_id=person.id,
            token_hash=token_digest(value),
            name="test",
            expires_at=clock.now() + timedelta(days=365),  # the test's clock moves on by weeks
        )
    )
    db.session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.mark.postgres_too
def test_rest_flow_and_permissions(app, client, people, chains):
    sec, chair, member = token_for(people["secretary"]), token_for(people["chair"]), token_for(people["m1"])
    q = start("council_test_quota", "КЦП-9")
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-9")
    r = client.get("/api/v1/council/bodies", headers=member)
    assert r.status_code == 200 and r.json[0]["my_roles"] == ["member"] and r.json[0]["pending_count"] == 2
    r = client.get(f"/api/v1/council/bodies/{CC}/pending", headers=sec)
    assert r.status_code == 200 and len(r.json) == 2 and "materials" in r.json[0]
    assert client.get(f"/api/v1/council/bodies/{CC}/pending", headers=token_for(people["outsider"])).status_code == 403
    assert client.get("/api/v1/council/bodies/nope/pending", headers=sec).status_code == 404
    body = {"body": CC, "starts_at": "2026-11-30T10:00", "place": "зал 1", "form": "in_person"}
    r = client.post("/api/v1/council/meetings", json=body, headers=member)
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    r = client.post("/api/v1/council/meetings", json={**body, "starts_at": "завтра"}, headers=sec)
    assert r.status_code == 422
    r = client.post("/api/v1/council/meetings", json=body, headers=sec)
    assert r.status_code == 201 and r.json["starts_at"] == "2026-11-30T10:00:00+07:00"
    mid = r.json["id"]
    for t in (open_task(q, "cc_decide"), open_task(lst, "cc_review")):
        r = client.post(f"/api/v1/council/meetings/{mid}/items", json={"task_id": t.id}, headers=sec)
        assert r.status_code == 201
    assert client.post(f"/api/v1/council/meetings/{mid}/items", json={"task_id": "x"}, headers=sec).status_code == 422
    items = r.json["items"]
    assert client.post(f"/api/v1/council/meetings/{mid}/approve-agenda", headers=sec).status_code == 403
    assert client.post(f"/api/v1/council/meetings/{mid}/approve-agenda", headers=chair).status_code == 200
    r = client.post(
        f"/api/v1/council/meetings/{mid}/attendance",
        headers=sec,
        json={"present": [people["chair"].id, people["m1"].id]},
    )
    assert r.status_code == 200 and r.json["reached"] is False
    decision = {"outcome": "approve", "votes_for": 2}
    r = client.post(f"/api/v1/council/meetings/{mid}/items/{items[0]['id']}/decision", json=decision, headers=sec)
    assert r.status_code == 409 and "quorum" in r.json["error"]["message"]
    r = client.post(
        f"/api/v1/council/meetings/{mid}/attendance",
        headers=sec,
        json={"present": [people[k].id for k in ("chair", "m1", "m2")]},
    )
    assert r.json == {"members": 5, "present": 3, "required": 3, "reached": True}
    r = client.post(f"/api/v1/council/meetings/{mid}/items/{items[0]['id']}/decision", json=decision, headers=member)
    assert r.status_code == 403
    r = client.post(
        f"/api/v1/council/meetings/{mid}/items/{items[0]['id']}/decision",
        headers=sec,
        json={"outcome": "approve", "votes_for": 1, "votes_against": 1},
    )
    assert r.status_code == 422 and "chair_casting_vote" in r.json["error"]["fields"]
    r = client.post(
        f"/api/v1/council/meetings/{mid}/items/{items[0]['id']}/decision",
        headers=sec,
        json={
            "outcome": "approve",
            "votes_for": 1,
            "votes_against": 1,
            "chair_casting_vote": "for",
            "text": "Согласовать",
            "instructions": [{"text": "Подготовить распоряжение", "executor": "admin_to", "deadline": "2026-12-25"}],
        },
    )
    assert r.status_code == 200 and r.json["chair_casting_vote"] == "for"
    r = client.post(
        f"/api/v1/council/meetings/{mid}/items/{items[1]['id']}/decision",
        headers=sec,
        json={"outcome": "agree", "votes_for": 3},
    )
    assert r.status_code == 200
    assert client.post(f"/api/v1/council/meetings/{mid}/sign", headers=member).status_code == 403
    r = client.post(f"/api/v1/council/meetings/{mid}/sign", headers=sec)
    assert r.status_code == 200 and r.json["status"] == "draft" and r.json["number"] is None
    r = client.post(f"/api/v1/council/meetings/{mid}/sign", headers=chair)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["number"]) == ("signed", 1)
    assert sorted(t["ref"] for t in r.json["closed_tasks"]) == ["1/1/1", "1/2/2"]
    assert r.json["items"][0]["decision"]["votes"]["chair_casting_vote"] == "for"
    pid = r.json["id"]
    r = client.post(f"/api/v1/council/meetings/{mid}/items/{items[0]['id']}/decision", json=decision, headers=sec)
    assert r.status_code == 409
    assert client.delete(f"/api/v1/council/protocols/{pid}", headers=sec).status_code == 409
    assert client.get(f"/api/v1/council/protocols/{pid}", headers=member).json["number"] == 1
    r = client.get(f"/api/v1/council/bodies/{CC}/instructions", headers=sec)
    assert [i["ref"] for i in r.json] == ["1/1/1"]
    assert open_task(q, "publish")
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/council/meetings/{meeting_id}/sign" in spec["paths"]


def test_a_deputy_sits_in_the_secretarys_seat_and_a_cancelled_meeting_frees_its_items(app, people, chains):
    from workflow_app.models import Deputy

    q = start("council_test_quota", "КЦП-10")
    task = open_task(q, "cc_decide")
    db.session.add(
        Deputy(
            principal_id=people["secretary"].id,
            deputy_id=people["sector"].id,
            starts_on=date(2026, 11, 30),
            ends_on=date(2026, 12, 4),
        )
    )
    db.session.commit()
    deputy = a(people["sector"])
    meeting = council.create_meeting(deputy, CC, "2026-12-10T10:00")  # acting for the absent secretary
    council.add_item(deputy, meeting.id, task.id)
    assert council.pending(deputy, CC) == []
    with pytest.raises(Forbidden):
        council.cancel_meeting(a(people["m1"]), meeting.id)
    council.cancel_meeting(deputy, meeting.id)
    assert [t["task_id"] for t in council.pending(deputy, CC)] == [task.id]
    with pytest.raises(Conflict, match="cancelled"):
        council.approve_agenda(a(people["chair"]), meeting.id)
    clock.set_clock(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))  # the absence is over
    with pytest.raises(Forbidden):
        council.create_meeting(a(people["sector"]), CC, "2026-12-10T10:00")


# --- the scheduler reminds the secretary ------------------------------------------------------------


def half_year_notices():
    db.session.expire_all()
    return db.session.execute(select(Notification).where(Notification.kind == "council_half_year")).scalars().all()


def test_the_council_secretary_is_reminded_when_no_meeting_was_held_in_the_half_year(app, people, chains):
    """#19 (seed 3.1): the Координационный совет meets at least twice a year; from 1 May (1 November) a
    half-year without a meeting held or called brings its secretary a reminder, once, sent by the tick."""
    assert scheduler.tick(datetime(2027, 4, 29, 3, 0, tzinfo=UTC)).council["half_year_reminders"] == 0  # too early
    result = scheduler.tick(datetime(2027, 5, 4, 3, 0, tzinfo=UTC))
    assert result.council["half_year_reminders"] == 1
    [notice] = half_year_notices()
    assert notice.user_id == people["secretary"].id  # only the secretary, of the Coordination Council only
    assert "I полугодии 2027 г." in notice.subject and "до 30.06.2027" in notice.body
    assert scheduler.tick(datetime(2027, 5, 5, 3, 0, tzinfo=UTC)).council["half_year_reminders"] == 0  # once
    # the second half-year: a meeting is held in September, so November brings no reminder
    clock.set_clock(datetime(2027, 9, 10, 3, 0, tzinfo=UTC))
    q = start("council_test_quota", "КЦП-31")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id], when="2027-09-10T09:00")
    decide(people, meeting, item, "approve")
    sign_both(people, meeting)
    assert scheduler.tick(datetime(2027, 11, 2, 3, 0, tzinfo=UTC)).council["half_year_reminders"] == 0
    # the next year's first half-year without one: reminded again
    assert scheduler.tick(datetime(2028, 5, 2, 3, 0, tzinfo=UTC)).council["half_year_reminders"] == 1
    assert len(half_year_notices()) == 2


# --- the body's own questions; instructions as tracked tasks (#23) ------------------------------------------


def test_a_free_agenda_question_is_decided_by_votes_and_signed(app, client, people, chains):
    sec = a(people["secretary"])
    meeting = council.create_meeting(sec, CC, "2026-11-30T10:00", "ул. Ленина, 6")
    with pytest.raises(Invalid) as refused:
        council.add_question(sec, meeting.id, title="  ")
    assert "title" in refused.value.fields
    with pytest.raises(Forbidden):
        council.add_question(a(people["m1"]), meeting.id, title="О приоритетах")
    item = council.add_question(
        sec,
        meeting.id,
        title="О приоритетных направлениях подготовки кадров на 2027 год (п. 1.4)",
        rapporteur="Фёдорова Н. О., Координатор",
        materials="Аналитическая записка Координатора; прогноз потребности в кадрах",
        draft_decision="Одобрить приоритетные направления согласно приложению",
    )
    assert item.position == 1 and item.title.startswith("О приоритетных направлениях")
    pending_view = council.meeting_view(meeting)["items"][0]
    assert pending_view["title"] == item.title
    task = db.session.get(HumanTask, item.task_id)
    assert task.collegial_body == CC and task.process_id == "council_question"
    with pytest.raises(Forbidden, match="only through a signed protocol"):  # like every collegial task
        commands.complete(sec, task.id, {"decision": "adopt"})
    mats = council.materials(task, item.draft_decision)
    assert mats["data"]["rapporteur"] == "Фёдорова Н. О., Координатор"
    assert mats["draft_decision"] == "Одобрить приоритетные направления согласно приложению"
    assert [o["label"] for o in mats["decision_options"]][:2] == [
        "Принять решение по проекту",
        "Принять решение с изменениями",
    ]
    council.approve_agenda(a(people["chair"]), meeting.id)
    council.record_attendance(sec, meeting.id, [people[k].id for k in ("chair", "m1", "m2", "m3")])
    decide(people, meeting, item, "adopt", votes_for=3, votes_against=1, text="Одобрить приоритетные направления")
    protocol = sign_both(people, meeting)
    db.session.expire_all()
    task = db.session.get(HumanTask, item.task_id)
    assert task.status == "completed" and task.outcome == "adopt"
    assert task.submitted["protocol_ref"] == "протокол от 30.11.2026 № 1, вопрос 1"
    assert task.instance.status == "completed"
    view = council.protocol_view(protocol.meeting)
    assert view["items"][0]["decision"]["outcome_label"] == "Принять решение по проекту"
    assert view["items"][0]["decision"]["votes"]["for"] == 3
    # the REST face: the secretary adds a question of the body's own to a draft agenda
    meeting2 = council.create_meeting(sec, CC, "2026-12-20T10:00")
    r = client.post(
        f"/api/v1/council/meetings/{meeting2.id}/questions",
        json={"title": "О плане модернизации (п. 14.2)", "rapporteur": "ДепПО", "draft_decision": "Одобрить"},
        headers=token_for(people["secretary"]),
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["items"][0]["title"] == "О плане модернизации (п. 14.2)"
    r = client.post(
        f"/api/v1/council/meetings/{meeting2.id}/questions", json={"title": ""}, headers=token_for(people["secretary"])
    )
    assert r.status_code == 422 and "title" in r.get_json()["error"]["fields"]


def test_an_instruction_becomes_an_inbox_task_goes_overdue_is_flagged_reported_and_closed(app, client, people, chains):
    q = start("council_test_quota", "КЦП-23")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    with pytest.raises(Invalid) as refused:  # an executor nobody can find is refused when the vote is recorded
        decide(
            people,
            meeting,
            item,
            "approve",
            instructions=[{"text": "Сделать", "executor": "Кто-нибудь", "deadline": "2026-12-15"}],
        )
    assert "instructions.0.executor" in refused.value.fields
    decide(
        people,
        meeting,
        item,
        "approve",
        instructions=[
            {"text": "Подготовить проект распоряжения", "executor_username": "dpo_1", "deadline": "2026-12-15"},
            {"text": "Направить сведения в ПОО", "executor": "admin_to", "deadline": "2027-01-20"},
        ],
    )
    sign_both(people, meeting)
    person, department = council.instruction_rows(CC)
    assert (person["status"], person["executor"], person["overdue"]) == ("open", "Dpo 1", False)
    assert department["executor_org"] == "admin_to"
    # the signed protocol names them as the registry does (not a login or a code) with the deadline as ДД.ММ.ГГГГ
    admin_to = db.session.execute(select(Organisation).where(Organisation.code == "admin_to")).scalar_one()
    doc = content.protocol(council.protocol_view(meeting), "protocol")
    lines = [p for s in doc.sections for p in s.paragraphs if p.startswith("Поручение:")]
    assert lines == [
        "Поручение: Подготовить проект распоряжения Исполнитель: Dpo 1. Срок: 15.12.2026.",
        f"Поручение: Направить сведения в ПОО Исполнитель: {admin_to.name}. Срок: 20.01.2027.",
    ]
    # the person's inbox has the task, assigned to them, due on the deadline (18:00 in Tomsk)
    r = client.get("/api/v1/tasks", query_string={"view": "all"}, headers=token_for(people["outsider"]))
    [mine] = [t for t in r.get_json() if t["process_id"] == "council_instruction"]
    assert mine["assignee"] and mine["due_at"].startswith("2026-12-15T11:00")
    task = db.session.get(HumanTask, mine["id"])
    assert task.assignee_id == people["outsider"].id and task.instance.business_key.startswith(
        "Поручение-2026/КС-1.1.1"
    )
    # the department's task goes to its officers (sector officers of admin_to), not to the members
    r = client.get("/api/v1/tasks", query_string={"view": "all"}, headers=token_for(people["sector"]))
    assert [t["process_id"] for t in r.get_json()] == ["council_instruction"]
    # overdue: the scheduler flags it to the body's secretary once
    assert scheduler.tick(datetime(2026, 12, 15, 10, 0, tzinfo=UTC)).council["overdue_instructions"] == 0
    assert scheduler.tick(datetime(2026, 12, 16, 3, 0, tzinfo=UTC)).council["overdue_instructions"] == 1
    assert scheduler.tick(datetime(2026, 12, 16, 4, 0, tzinfo=UTC)).council["overdue_instructions"] == 0
    flagged = db.session.execute(select(Notification).where(Notification.kind == "instruction_overdue")).scalars().all()
    assert [n.user_id for n in flagged] == [people["secretary"].id] and "15.12.2026" in flagged[0].subject
    assert council.counts_by_status(CC, today=date(2026, 12, 16))["overdue"] == 1
    # the executor reports; the secretary returns the report once, then accepts it: the instruction is done
    with pytest.raises(Invalid):
        commands.complete(a(people["outsider"]), task.id, {"report": ""})
    commands.complete(a(people["outsider"]), task.id, {"report": "Проект распоряжения подготовлен"})
    db.session.expire_all()
    assert council.instruction_rows(CC)[0]["status"] == "reported"
    assert council.counts_by_status(CC) | {"total": 0} == {
        "open": 1,
        "reported": 1,
        "done": 0,
        "overdue": 0,
        "total": 0,
    }
    accept = open_task(task.instance, "accept")
    with pytest.raises(NotFound):  # not the executor's to accept: it is not even visible to them
        commands.complete(a(people["outsider"]), accept.id, {"decision": "accept"})
    commands.complete(a(people["secretary"]), accept.id, {"decision": "return", "comment": "Приложите проект"})
    again = open_task(task.instance, "report")
    assert again.assignee_id == people["outsider"].id and council.instruction_rows(CC)[0]["status"] == "open"
    commands.complete(a(people["outsider"]), again.id, {"report": "Проект распоряжения приложен"})
    commands.complete(a(people["secretary"]), open_task(task.instance, "accept").id, {"decision": "accept"})
    db.session.expire_all()
    done = council.instruction_rows(CC, status="done")
    assert [(r["text"], r["report"]) for r in done] == [
        ("Подготовить проект распоряжения", "Проект распоряжения приложен")
    ]
    assert task.instance.status == "completed"
    # the next meeting's agenda: «Об исполнении поручений» with the open ones and their status
    clock.set_clock(datetime(2027, 1, 25, 3, 0, tzinfo=UTC))
    sec = a(people["secretary"])
    nxt = council.create_meeting(sec, CC, "2027-01-25T09:00")
    review = council.add_instructions_review(sec, nxt.id)
    assert review.title.startswith("Об исполнении поручений")
    data = council.materials(db.session.get(HumanTask, review.task_id))["data"]
    assert [i["text"] for i in data["instructions"]] == ["Направить сведения в ПОО"]
    assert (
        "на исполнении, просрочено" in data["materials"] and "протокол от 30.11.2026 № 1, вопрос 1" in data["materials"]
    )


def test_whoever_presided_does_not_sign_as_the_secretarys_deputy(app, people, chains):
    """Four eyes through deputies: the chair who deputises the secretary presides the meeting and may not give
    the secretary's signature too (it left the protocol waiting for ever for the presiding chair's signature);
    the secretary signs, then the chair."""
    from workflow_app.models import Deputy

    db.session.add(
        Deputy(
            principal_id=people["secretary"].id,
            deputy_id=people["chair"].id,
            starts_on=date(2000, 1, 1),
            ends_on=date(2099, 1, 1),
        )
    )
    db.session.commit()
    q = start("council_test_quota", "КЦП-2027/ТПТ")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    decide(people, meeting, item, "approve")
    with pytest.raises(Forbidden, match="whoever presided does not sign as secretary"):
        council.sign(a(people["chair"]), meeting.id)
    db.session.expire_all()
    assert meeting.protocol is None or meeting.protocol.signed_by_secretary_id is None
    assert council.sign(a(people["secretary"]), meeting.id).status == "draft"
    assert council.sign(a(people["chair"]), meeting.id).status == "signed"


def test_members_are_told_of_an_approved_meeting_with_its_link_and_of_its_cancellation(app, people, chains):
    """Each member's notice of an approved agenda links to the meeting's page; cancelling an approved meeting
    tells them too (they kept the date otherwise); a draft nobody was told of is cancelled quietly."""

    q = start("council_test_quota", "КЦП-11")
    sec = a(people["secretary"])
    draft = council.create_meeting(sec, CC, "2026-12-10T10:00")
    council.cancel_meeting(sec, draft.id)
    meeting = council.create_meeting(sec, CC, "2026-12-11T10:00", "ул. Ленина, 6")
    council.add_item(sec, meeting.id, open_task(q, "cc_decide").id)
    council.approve_agenda(a(people["chair"]), meeting.id)
    council.cancel_meeting(sec, meeting.id)
    rows = db.session.execute(select(Notification).where(Notification.kind == "meeting")).scalars().all()
    told = [r for r in rows if r.user_id == people["m1"].id]
    assert [r.subject for r in told] == [
        "Координационный совет: заседание 11.12.2026 10:00",
        "Координационный совет: заседание 11.12.2026 10:00 отменено",
    ]
    assert {r.link for r in told} == {f"/council/meetings/{meeting.id}"}
    assert "КЦП-11" in told[1].body and "отменено" in told[1].body
    assert not any("10.12.2026" in r.subject for r in rows)  # the draft's cancellation told nobody
    assert_mails_readable({"meeting"})


def test_the_secretary_words_a_question_as_the_protocol_states_it(app, people, chains):
    """The agenda names a case's question as the secretary words it (by default the case's title and the task);
    the wording follows the question to a later meeting and into the protocol."""
    sec = a(people["secretary"])
    q = start("council_test_quota", "КЦП-12")
    first = council.create_meeting(sec, CC, "2026-12-10T10:00")
    wording = "О рекомендации изменения контрольных цифр приёма на 2027 год"
    item = council.add_item(sec, first.id, open_task(q, "cc_decide").id, None, f"  {wording} ")
    assert item.title == wording
    with pytest.raises(Invalid):
        council.add_item(sec, first.id, open_task(q, "cc_decide").id, None, "x" * 501)
    meeting = council.create_meeting(sec, CC, "2026-11-30T10:00", "ул. Ленина, 6")
    council.postpone_item(sec, first.id, item.id, meeting.id)
    db.session.expire_all()
    [moved] = meeting.items
    assert moved.title == wording
    lst = start("council_test_list", "ПЕРЕЧЕНЬ-12")
    default = council.add_item(sec, meeting.id, open_task(lst, "cc_review").id)
    assert default.title.startswith("ПЕРЕЧЕНЬ-12") and default.title.endswith("Координационным советом")
    council.approve_agenda(a(people["chair"]), meeting.id)
    council.record_attendance(sec, meeting.id, [people[k].id for k in ("chair", "m1", "m2", "m3")])
    decide(people, meeting, moved, "approve")
    decide(people, meeting, default, "agree")
    sign_both(people, meeting)
    assert wording in json.dumps(council.protocol_view(meeting), ensure_ascii=False)
