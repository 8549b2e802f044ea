"""The half-yearly monitoring of the roadmap (13.3, issue #23): the cycle ticked in June asks each executor of an
open item for its report (one data call, an answer task per executor pre-filled with its items), the Координатор
consolidates the answers and proposes corrections, the Координационный совет decides at a meeting, and the signed
protocol corrects the roadmap: the changed item carries the protocol's reference; the report downloads as XLSX."""

import io
from datetime import UTC, datetime

from conftest import ROOT
from factories import login_session
from openpyxl import load_workbook
from sqlalchemy import select

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import (
    AuditEvent,
    CycleDefinition,
    DataCall,
    HumanTask,
    Organisation,
    ProcessInstance,
    RoadmapChange,
    RoadmapExecutor,
    RoadmapItem,
    User,
)
from workflow_app.services import council, datacalls, demo, scheduler
from workflow_app.services.cases import advance
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.process_models import deployment
from workflow_app.services.roadmap import changes, queries
from workflow_app.services.tasks import commands

ROOT_BPMN = "bpmn"
JUNE = datetime(2027, 6, 1, 3, 0, tzinfo=UTC)  # Tuesday 1 June 2027, 10:00 in Tomsk


def who(username):
    return actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


def only_the_monitoring_cycle():
    """The demo organisations, the shipped models and the roadmap; every cycle paused but the monitoring."""
    demo.load(SYSTEM)
    deployment.deploy_path(SYSTEM, ROOT / ROOT_BPMN)
    changes.load(SYSTEM)
    for cycle in db.session.execute(select(CycleDefinition)).scalars():
        if cycle.id != "roadmap_monitoring":
            scheduler.set_paused(SYSTEM, cycle.id, True)


def open_task(instance_id, task_def):
    return db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()


def test_a_june_monitoring_cycle_runs_to_a_council_decision_that_corrects_an_item(app):
    clock.set_clock(JUNE)
    try:
        only_the_monitoring_cycle()
        # the tick of 1 June starts the cycle once
        result = scheduler.tick(JUNE)
        assert [(s["cycle"], s["cycle_key"]) for s in result.started] == [("roadmap_monitoring", "2027-6")]
        assert scheduler.tick(JUNE).started == []
        cycle = db.session.execute(
            select(ProcessInstance).where(ProcessInstance.process_id == "roadmap_monitoring")
        ).scalar_one()
        assert cycle.business_key == "Мониторинг-2027-6"

        # one data call: an answer task per executor organisation with someone to answer, pre-filled
        call = db.session.execute(select(DataCall).where(DataCall.template == "roadmap_report")).scalar_one()
        assert call.title == "Отчёт о выполнении дорожной карты за I полугодие 2027 г."
        assert call.owner_group == "coordinator"
        by_org = {r.organisation_name: r for r in _recipients(call)}
        assert {
            "Департамент профессионального образования Томской области",
            "Департамент труда и занятости населения Томской области",
            "Департамент инвестиций Томской области",
            "Департамент науки и высшего образования Администрации Томской области",
        } <= set(by_org)
        deppo = by_org["Департамент профессионального образования Томской области"]
        numbers = [row["number"] for row in deppo.draft["rows"]]
        assert "6.3" in numbers and "13.3" not in numbers  # 13.3 is the Координатор's and the Working Group's
        assert deppo.group == "dpo_officer"

        # each executor reports on its items (its officials only: another department cannot answer for it)
        answerers = {
            "Департамент профессионального образования Томской области": "dpo_officer",
            "Департамент труда и занятости населения Томской области": "dtzn_officer",
            "Департамент инвестиций Томской области": "di_officer",
            "Департамент науки и высшего образования Администрации Томской области": "sector_officer_3",
            "Томский техникум информационных технологий": "college_officer_2",
        }
        for name, rec in by_org.items():
            rows = [
                dict(row, status="in_progress", done=f"Исполнено в I полугодии ({row['number']})")
                for row in rec.draft["rows"]
            ]
            if name.startswith("Департамент профессионального"):
                rows = [dict(r, proposal="Перенести срок на апрель – май") if r["number"] == "6.3" else r for r in rows]
            username = answerers.get(name)
            if username is None:
                datacalls.excuse(who("coordinator"), call.id, rec.id, "нет ответственного за отчёт")
                continue
            datacalls.submit(who(username), rec.task_id, {"rows": rows})
        datacalls.complete(who("coordinator"), call.id)

        # the report: the answers per item and the items nobody reported on
        prepare = open_task(cycle.id, "prepare_report")
        rows = instances_data(cycle)["report_rows"]
        row = next(r for r in rows if r["number"] == "6.3")
        assert row["executor"] == "Департамент профессионального образования Томской области"
        assert row["status"] == "Выполняется" and row["proposal"] == "Перенести срок на апрель – май"
        assert next(r for r in rows if r["number"] == "13.3")["status"] == "отчёт не представлен"
        commands.complete(
            who("coordinator"),
            prepare.id,
            {
                "analysis": "Большинство мероприятий выполняется; срок пересмотра КЦП требует уточнения.",
                "corrections": [
                    {"number": "6.3", "deadline": "Ежегодно, апрель – май", "note": "по предложению ДепПО"}
                ],
            },
        )

        # the Координационный совет decides at its meeting; the signed protocol closes the task
        decision_task = open_task(cycle.id, "cc_decision")
        assert decision_task.collegial_body == "coordination_council"
        secretary, chair = who("cc_secretary"), who("cc_chair")
        meeting = council.create_meeting(secretary, "coordination_council", "2027-06-22T10:00", "зал заседаний")
        item = council.add_item(secretary, meeting.id, decision_task.id)
        council.approve_agenda(chair, meeting.id)
        members = db.session.execute(
            select(User.id).where(User.username.in_(["cc_chair", "cc_member", "cc_member_2", "cc_member_3"]))
        ).scalars()
        council.record_attendance(secretary, meeting.id, list(members))
        council.record_decision(secretary, meeting.id, item.id, outcome="approve", votes_for=4)
        clock.set_clock(datetime(2027, 6, 22, 9, 0, tzinfo=UTC))
        council.sign(secretary, meeting.id)
        protocol = council.sign(chair, meeting.id)

        # the roadmap is corrected with the protocol's reference
        item_63 = db.session.execute(select(RoadmapItem).where(RoadmapItem.number == "6.3")).scalar_one()
        db.session.refresh(item_63)
        assert item_63.deadline == "Ежегодно, апрель – май"
        change = db.session.execute(select(RoadmapChange).where(RoadmapChange.item_id == item_63.id)).scalar_one()
        assert change.source == "council" and change.protocol_id == protocol.id
        assert change.protocol_ref.startswith("протокол от 22.06.2027 № ") and change.reason == "по предложению ДепПО"
        assert change.before == {"deadline": "Ежегодно, май"} and change.after == {"deadline": "Ежегодно, апрель – май"}
        event = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "roadmap_item_changed")).scalar_one()
        assert event.payload["source"] == "council" and event.payload["protocol"] == change.protocol_ref
        db.session.refresh(cycle)
        assert cycle.status == "completed"
        evidence = {e["kind"] for e in queries.item_page(who("auditor"), "13.3")["evidence"]}
        assert evidence == {"protocol", "data_call", "case"}

        # the consolidated report as XLSX for the dashboard's readers, not for others
        client = app.test_client()
        login_session(client, db.session.execute(select(User).where(User.username == "coordinator")).scalar_one())
        r = client.get(f"/monitoring/cycles/{cycle.id}/report.xlsx")
        assert r.status_code == 200
        book = load_workbook(io.BytesIO(r.data))
        sheet = list(book.worksheets[0].values)
        assert sheet[0][:3] == ("№ пункта", "Мероприятие", "Исполнитель")
        assert any(line[0] == "6.3" and line[6] == "Перенести срок на апрель – май" for line in sheet[1:])
        assert list(book.worksheets[1].values)[1][:3] == ("6.3", None, "Ежегодно, апрель – май")
        outsider = app.test_client()
        login_session(outsider, db.session.execute(select(User).where(User.username == "dpo_officer")).scalar_one())
        assert outsider.get(f"/monitoring/cycles/{cycle.id}/report.xlsx").status_code == 403
    finally:
        clock.set_clock(None)


def instances_data(instance):

    db.session.refresh(instance)
    return advance.instance_data(instance)


def _recipients(call):

    names = {o.id: o.name for o in db.session.execute(select(Organisation)).scalars()}
    for rec in call.recipients:
        rec.organisation_name = names[rec.org_id]
    return call.recipients


def test_every_executor_is_asked_groups_through_each_of_their_organisations(app):
    """The act names groups as executors (ПОО, отраслевые департаменты, работодатели, ООВО…), officials and
    bodies: each of them is asked — every ПОО, every sector department and every employer of the registry gets
    the group's items in its own answer; ООВО's go to the department answering for them; the Координатор's to
    its organisation. An executor nobody in the system can answer for is named in the consolidated report."""
    clock.set_clock(JUNE)
    try:
        only_the_monitoring_cycle()
        scheduler.tick(JUNE)
        cycle = db.session.execute(
            select(ProcessInstance).where(ProcessInstance.process_id == "roadmap_monitoring")
        ).scalar_one()
        call = db.session.execute(select(DataCall).where(DataCall.template == "roadmap_report")).scalar_one()
        orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
        drafts = {rec.org_id: (rec.group, {r["number"] for r in rec.draft["rows"]}) for rec in call.recipients}
        open_numbers = {
            i.number
            for i in db.session.execute(select(RoadmapItem)).scalars()
            if i.status in ("planned", "in_progress")
        }

        def items_of(name_start):
            rows = db.session.execute(select(RoadmapItem.number, RoadmapExecutor.name).join(RoadmapExecutor.item)).all()
            return {n for n, name in rows if name.lower().startswith(name_start.lower()) and n in open_numbers}

        poo_items = items_of("ПОО")
        assert len(poo_items) > 10
        for code in ("TPT", "TTIT", "TMK", "TLTT"):  # every ПОО with an official to answer
            group, numbers = drafts[orgs[code].id]
            assert group == "college_officer" and poo_items <= numbers, code
        sector_items = items_of("отраслевые департаменты")
        for code in ("SECTOR", "DKULT"):  # every department with a sector officer
            assert drafts[orgs[code].id][0] == "sector_officer" and sector_items <= drafts[orgs[code].id][1], code
        employer_items = items_of("коммерческие организации") | items_of("работодатели")
        for code in ("SIBHIM", "TOMLES"):
            assert drafts[orgs[code].id][0] == "investor" and employer_items <= drafts[orgs[code].id][1], code
        assert items_of("ООВО") <= drafts[orgs["DNVO"].id][1]
        coordinator_items = {
            n
            for n, role in db.session.execute(
                select(RoadmapItem.number, RoadmapExecutor.role).join(RoadmapExecutor.item)
            ).all()
            if role == "coordinator" and n in open_numbers
        }
        coordinator_org = who("coordinator").org_id
        assert coordinator_items and coordinator_items <= drafts[coordinator_org][1]

        # executors nobody can answer for (the municipalities are not in the registry) are named in the report
        not_asked = instances_data(cycle)["reports_call"]["not_asked"]
        municipal = [r for r in not_asked if r["executor"].startswith("местные администрации")]
        assert municipal
        assert not any(r["executor"] in ("ПОО", "ООВО", "отраслевые департаменты") for r in not_asked)
        for rec in call.recipients:
            datacalls.excuse(who("coordinator"), call.id, rec.id, "проверка сводного отчёта")
        datacalls.complete(who("coordinator"), call.id)
        report = instances_data(cycle)["report_rows"]
        assert {(r["number"], r["status"]) for r in report if r["executor"].startswith("местные администрации")} == {
            (r["number"], "исполнитель не зарегистрирован в системе, отчёт не запрошен") for r in municipal
        }

        # the consolidated report through the API, for the dashboard's readers only
        client = app.test_client()

        def report(username, instance_id=cycle.id):
            token = tokens.issue_token(SYSTEM, username, "report")
            return client.get(
                f"/api/v1/monitoring/cycles/{instance_id}/report.xlsx", headers={"Authorization": "Bearer " + token}
            )

        r = report("auditor")
        assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment;")
        sheet = list(load_workbook(io.BytesIO(r.data)).worksheets[0].values)
        assert sheet[0][:3] == ("№ пункта", "Мероприятие", "Исполнитель")
        assert any((line[2] or "").startswith("местные администрации") for line in sheet[1:])
        assert report("coordinator").status_code == 200
        for outsider in ("dpo_officer", "college_officer_1", "investor_1"):
            assert report(outsider).status_code == 403, outsider
        assert report("coordinator", 999_999).status_code == 404
        assert report("coordinator", call.instance_id).status_code == 422  # the data call's case is no cycle
    finally:
        clock.set_clock(None)
