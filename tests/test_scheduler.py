"""The scheduler: yearly cycles and timers, exactly once and on time (services/scheduler, flask scheduler ...)."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import actor, example_people, login_session
from sqlalchemy import func, select

from workflow_app import workdays
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, CycleDefinition, HumanTask, ProcessInstance, SchedulerNode
from workflow_app.services import scheduler
from workflow_app.services.audit import trail
from workflow_app.services.cases import advance
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import catalogue, deployment
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "scheduler"
TOMSK = clock.REGION_TZ
FLASK = str(Path(sys.executable).parent / "flask")


def tomsk(*args) -> datetime:
    return datetime(*args, tzinfo=TOMSK).astimezone(UTC)


@pytest.fixture(autouse=True)
def fresh_engine_cache():
    # the engine caches parsed models by model id; every test has a fresh database where ids restart
    catalogue.ENGINE._models.clear()


FROZEN_AT = tomsk(2027, 1, 1, 0, 0)
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def deploy(name):
    return deployment.deploy_path(SYSTEM, DATA / name)


SHIPPED = (
    "kcp_campaign",
    "professions_cycle",
    "staffing_forecast",
    "poo_graduates",
    "poo_rating",
    "poo_governance",
    "roadmap_monitoring",
)


def pause_defaults():
    for code in SHIPPED:
        scheduler.set_paused(SYSTEM, code, True)


def define(code, cron, key, process_id="sched_yearly", active_from=None, **kw):
    return scheduler.save_cycle(
        SYSTEM,
        code,
        name=f"Тестовый цикл {code}",
        process_id=process_id,
        cron=cron,
        key_template=key,
        business_key_template=kw.pop("business_key", f"{code.upper()}-{key}"),
        start_data={"year": "{year}"},
        active_from=active_from or tomsk(2026, 12, 1),
        **kw,
    )


def tick(now):
    clock.set_clock(now)
    return scheduler.tick(now)


def cycle_instances(process_id="sched_yearly"):
    return (
        db.session.execute(
            select(ProcessInstance).where(ProcessInstance.process_id == process_id).order_by(ProcessInstance.id)
        )
        .scalars()
        .all()
    )


def events(kind):
    return (
        db.session.execute(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq)).scalars().all()
    )


def flask_env(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=database_url, FLASK_APP="wsgi.py", PYTHONUNBUFFERED="1")
    return env


# --- definitions ----------------------------------------------------------------------------------------


def test_shipped_cycles_are_data_in_tomsk_time(app):
    cycles = {c.id: c for c in scheduler.list_cycles(SYSTEM)}
    assert set(cycles) == set(SHIPPED)
    kcp = cycles["kcp_campaign"]
    assert (kcp.process_id, kcp.cron, kcp.timezone, kcp.business_key_template) == (
        "kcp_campaign",
        "0 9 1 4 *",
        "Asia/Tomsk",
        "КЦП-{year}",
    )
    view = scheduler.cycle_view(kcp, tomsk(2027, 3, 1))
    assert view["next_due_at"] == tomsk(2027, 4, 1, 9, 0).isoformat()  # 02:00 UTC: 09:00 in Tomsk
    assert view["next_cycle_key"] == "2027"
    prof = scheduler.cycle_view(cycles["professions_cycle"], tomsk(2027, 3, 1))
    assert (prof["next_due_at"], prof["next_cycle_key"]) == (tomsk(2027, 10, 1, 9, 0).isoformat(), "2028")
    # the ПОО's yearly data calls: each row names its data-call template (data, not code)
    rating = cycles["poo_rating"]  # the rating's process opens its data call (13.2)
    assert (rating.process_id, rating.cron, rating.business_key_template) == (
        "poo_rating",
        "0 9 1 8 *",
        "Рейтинг-ПОО-{year}",
    )
    graduates = cycles["poo_graduates"]
    assert (graduates.process_id, graduates.start_data) == (
        "data_call",
        {"template": "poo_graduates", "year": "{year}"},
    )
    assert cycles["poo_graduates"].cron == "0 9 15 9 *"  # graduates' employment: in the autumn
    monitoring = cycles["roadmap_monitoring"]  # the roadmap's monitoring (13.3): June and December
    assert (monitoring.process_id, monitoring.cron, monitoring.key_template) == (
        "roadmap_monitoring",
        "0 9 1 6,12 *",
        "{year}-{month}",
    )


def test_bad_definitions_are_refused(app):
    from workflow_app.services.errors import Forbidden, Invalid

    with pytest.raises(Invalid) as info:
        define("bad", "0 9 31 2 * *", "{year}")
    assert "cron" in info.value.fields
    with pytest.raises(Invalid):
        define("bad", "0 9 1 4 *", "{year.__class__}")
    with pytest.raises(Invalid):
        define("bad", "0 9 1 4 *", "{year}", timezone_name="Mars/Olympus")
    people = example_people()
    with pytest.raises(Forbidden):
        scheduler.set_paused(actor(people["dpo"]), "kcp_campaign", True)


# --- exactly once over a year --------------------------------------------------------------------------


def test_a_year_of_cycles_starts_each_exactly_once(app):
    deploy("yearly_cycle.bpmn")
    pause_defaults()
    year = tomsk(2027, 1, 1)
    define(
        "kcp", "0 9 1 4 *", "{year}", business_key="КЦП-{year}", title_template="Кампания КЦП {year}", active_from=year
    )
    define("prof", "0 9 1 10 *", "P{next_year}", active_from=year)
    define("forecast", "30 9 1 5 *", "F{year}", active_from=year)
    define("monthly", "0 8 15 * *", "{year}-{month:02d}", active_from=year)
    started_at = {}
    moment = tomsk(2027, 1, 1, 0, 0)
    # every day at 09:00 sharp through 2027, and at the other due instants themselves (08:00 on the 15th,
    # 09:30 on 1 May) and a minute before them
    while moment.astimezone(TOMSK).year == 2027:
        day = moment.astimezone(TOMSK)
        times = sorted(
            [(9, 0)] + ([(7, 59), (8, 0)] if day.day == 15 else []) + ([(9, 29), (9, 30)] if day.day == 1 else [])
        )
        for hh, mm in times:
            now = tomsk(day.year, day.month, day.day, hh, mm)
            for s in tick(now).started:
                started_at[(s["cycle"], s["cycle_key"])] = (now, s["late_s"])
        moment += timedelta(days=1)
    expected = {
        ("kcp", "2027"): tomsk(2027, 4, 1, 9, 0),
        ("prof", "P2028"): tomsk(2027, 10, 1, 9, 0),
        ("forecast", "F2027"): tomsk(2027, 5, 1, 9, 30),
    }
    expected.update({("monthly", f"2027-{m:02d}"): tomsk(2027, m, 15, 8, 0) for m in range(1, 13)})
    assert {k: v[0] for k, v in started_at.items()} == expected
    assert all(late == 0 for _now, late in started_at.values())
    rows = cycle_instances()
    assert len(rows) == len(expected) == 15
    kcp = next(r for r in rows if r.business_key == "КЦП-2027")
    assert (kcp.cycle_key, kcp.title, kcp.initiator_id) == ("2027", "Кампания КЦП 2027", None)
    assert advance.instance_data(kcp)["year"] == 2027
    started = events("cycle_started")
    assert len(started) == 15 and {e.actor_name for e in started} == {"scheduler"}
    assert trail.verify(db.session).ok
    # a restart (a new process has no memory) and ticks at the same instants change nothing
    for now in expected.values():
        assert tick(now).started == []
    assert len(cycle_instances()) == 15


@pytest.mark.postgres_too
def test_downtime_across_due_dates_fires_once_on_return_with_lateness(app):
    deploy("yearly_cycle.bpmn")
    pause_defaults()
    define("kcp", "0 9 1 4 *", "{year}", active_from=tomsk(2025, 1, 1))
    assert tick(tomsk(2025, 3, 31, 12, 0)).started == []
    # down from April 2025 until 20 April 2027 09:00: two campaigns were due, the latest (2027) starts, once
    result = tick(tomsk(2027, 4, 20, 10, 0))
    assert [(s["cycle_key"], s["late_s"]) for s in result.started] == [("2027", 19 * 86400 + 3600)]
    assert tick(tomsk(2027, 4, 20, 10, 1)).started == []
    [event] = events("cycle_started")
    assert event.payload["late_s"] == 19 * 86400 + 3600
    assert event.payload["caught_up"] is True and event.payload["due_at"] == tomsk(2027, 4, 1, 9).isoformat()
    cycle = db.session.get(CycleDefinition, "kcp")
    assert (cycle.last_cycle_key, cycle.last_lateness_s) == ("2027", 19 * 86400 + 3600)
    assert [r.cycle_key for r in cycle_instances()] == ["2027"]


@pytest.mark.postgres_too
def test_escalation_fires_after_three_working_days_across_the_may_holidays(app, deployed):
    pause_defaults()
    people = example_people()
    thursday = tomsk(2026, 4, 30, 10, 0)  # 1-3 May and 9-11 May 2026 are days off
    clock.set_clock(thursday)
    with UnitOfWork(actor(people["officer1"])) as uow:
        inst = advance.start_instance(
            uow, actor(people["officer1"]), "example_approval", {"title": "t"}, business_key="BK-1"
        )
        uow.commit()
    submit = db.session.execute(select(HumanTask).where(HumanTask.instance_id == inst.id)).scalar_one()
    commands.complete(
        actor(people["officer1"]),
        submit.id,
        {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"},
    )
    due = workdays.add_working_days(thursday, 3)
    assert due == tomsk(2026, 5, 6, 18, 0)  # Mon 4, Tue 5, Wed 6 May: end of the third working day
    assert db.session.get(ProcessInstance, inst.id).next_timer_at == due
    assert scheduler.next_due(thursday) == due
    assert tick(due - timedelta(seconds=1)).fired == []
    assert tick(due).fired == []  # a deadline fires once it has passed
    [fired] = tick(due + timedelta(milliseconds=300)).fired
    assert fired["instance_id"] == inst.id and fired["late_s"] == pytest.approx(0.3, abs=0.01)
    [event] = events("escalation")
    assert event.actor_name == "scheduler" and event.payload["element"] == "review_late"
    assert event.payload["due_at"] == due.astimezone(UTC).isoformat()
    escalated = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.status == "open")
    ).scalar_one()
    assert (escalated.task_def, escalated.candidate_group) == ("escalated_review", "dpo_head")
    assert tick(due + timedelta(days=3)).fired == []  # nothing fires twice
    assert len(events("escalation")) == 1


@pytest.mark.postgres_too
def test_timer_due_while_down_fires_once_with_its_lateness(app, deployed):
    pause_defaults()
    people = example_people()
    clock.set_clock(tomsk(2026, 3, 2, 10, 0))
    with UnitOfWork(actor(people["officer1"])) as uow:
        inst = advance.start_instance(uow, actor(people["officer1"]), "example_approval", {"title": "t"})
        uow.commit()
    submit = db.session.execute(select(HumanTask).where(HumanTask.instance_id == inst.id)).scalar_one()
    commands.complete(
        actor(people["officer1"]),
        submit.id,
        {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"},
    )
    due = db.session.get(ProcessInstance, inst.id).next_timer_at
    back = due + timedelta(days=10, minutes=5)
    [fired] = tick(back).fired
    assert fired["late_s"] == 10 * 86400 + 300
    assert tick(back + timedelta(seconds=1)).fired == []
    [event] = events("escalation")
    assert event.payload["late_s"] == 10 * 86400 + 300


def test_cycle_of_an_undeployed_process_waits_with_a_warning_then_starts_late(app, tmp_path):
    for code in SHIPPED:
        if code != "staffing_forecast":
            scheduler.set_paused(SYSTEM, code, True)
    forecast = db.session.get(CycleDefinition, "staffing_forecast")
    forecast.active_from = tomsk(2027, 1, 1)
    db.session.commit()
    result = tick(tomsk(2027, 5, 1, 9, 5))
    assert result.started == [] and "not deployed" in result.warnings[0]["message"]
    tick(tomsk(2027, 5, 1, 9, 6))
    assert len(events("cycle_skipped")) == 1  # said once, not every tick
    assert "not deployed" in db.session.get(CycleDefinition, "staffing_forecast").last_warning
    copy = tmp_path / "staffing_forecast.bpmn"
    copy.write_text(
        (DATA / "yearly_cycle.bpmn").read_text(encoding="utf-8").replace("sched_yearly", "staffing_forecast"),
        encoding="utf-8",
    )
    deployment.deploy_path(SYSTEM, copy)
    [started] = tick(tomsk(2027, 5, 2, 9, 0)).started
    assert (started["cycle_key"], started["late_s"]) == ("2027", 86400)
    assert cycle_instances("staffing_forecast")[0].business_key == "Прогноз-2027"
    assert db.session.get(CycleDefinition, "staffing_forecast").last_warning is None


# --- pause / resume through the API and the admin page --------------------------------------------------


def test_pause_and_resume_via_the_api(app, client):
    from workflow_app.services.people import tokens

    deploy("yearly_cycle.bpmn")
    pause_defaults()
    people = example_people()
    define("kcp", "0 9 1 4 *", "{year}")
    app.config["TOKEN_TTL_DAYS"] = 3650  # the clock jumps more than a year ahead below
    admin = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, people["admin"].username)}
    officer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, people["dpo"].username)}
    listed = client.get("/api/v1/scheduler/cycles", headers=admin)
    assert listed.status_code == 200
    kcp = next(c for c in listed.get_json() if c["id"] == "kcp")
    assert (kcp["cron"], kcp["timezone"], kcp["paused"], kcp["deployed"]) == ("0 9 1 4 *", "Asia/Tomsk", False, True)
    assert client.get("/api/v1/scheduler/cycles", headers=officer).status_code == 403
    assert client.post("/api/v1/scheduler/cycles/kcp/pause", headers=officer).status_code == 403
    assert client.post("/api/v1/scheduler/cycles/nope/pause", headers=admin).status_code == 404
    paused = client.post("/api/v1/scheduler/cycles/kcp/pause", headers=admin)
    assert paused.status_code == 200 and paused.get_json()["paused"] is True
    assert tick(tomsk(2027, 4, 1, 9, 0)).started == []
    assert tick(tomsk(2027, 4, 3, 9, 0)).started == []
    assert cycle_instances() == []
    resumed = client.post("/api/v1/scheduler/cycles/kcp/resume", headers=admin)
    assert resumed.status_code == 200 and resumed.get_json()["paused"] is False
    [started] = tick(tomsk(2027, 4, 3, 9, 0)).started  # the moment missed while paused starts once, late
    assert (started["cycle_key"], started["late_s"]) == ("2027", 2 * 86400)
    assert [
        e.kind
        for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.kind.in_(["cycle_paused", "cycle_resumed"])).order_by(AuditEvent.seq)
        ).scalars()
        if e.payload["cycle"] == "kcp"
    ] == ["cycle_paused", "cycle_resumed"]
    status = client.get("/api/v1/scheduler/status", headers=admin)
    assert status.status_code == 200 and "next_due_at" in status.get_json()


def test_admin_page_and_healthz_show_the_scheduler(app, client):
    import re

    people = example_people()
    scheduler.heartbeat("host:1", "run", scheduler.TickResult(now=clock.now(), next_due=tomsk(2027, 4, 1, 9, 0)))
    assert "scheduler" not in client.get("/healthz").get_json()  # not for anonymous callers
    login_session(client, people["admin"])
    health = client.get("/healthz").get_json()["scheduler"]
    assert health["running"] is True and health["next_due_at"] is not None
    page = client.get("/admin/scheduler")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Планировщик" in html and "Кампания КЦП" in html and "0 9 1 4 *" in html
    assert "01.04.2027 09:00" in html  # next start, in Tomsk time
    assert "host:1" in html and "работает" in html  # the scheduler process and its state
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post("/admin/scheduler/kcp_campaign/pause", data={"csrf_token": csrf})
    assert resp.status_code == 302
    assert db.session.get(CycleDefinition, "kcp_campaign").paused is True
    assert "Возобновить" in client.get("/admin/scheduler").get_data(as_text=True)
    login_session(client, people["dpo"])
    assert client.get("/admin/scheduler").status_code == 403


# --- across processes (real subprocesses) ---------------------------------------------------------------


@pytest.mark.postgres
def test_two_tick_processes_racing_on_postgres_start_one_instance_and_fire_each_timer_once(
    app, backend, database_url, deployed
):
    deploy("yearly_cycle.bpmn")
    pause_defaults()
    for code, cron in (("kcp", "0 9 1 4 *"), ("prof", "0 9 1 10 *"), ("forecast", "0 9 1 3 *")):
        define(code, cron, code + "-{year}", active_from=tomsk(2026, 1, 1))
    people = example_people()
    clock.set_clock(tomsk(2026, 3, 2, 10, 0))
    ids = []
    for n in range(16):
        with UnitOfWork(actor(people["officer1"])) as uow:
            inst = advance.start_instance(uow, actor(people["officer1"]), "example_approval", {"title": f"t{n}"})
            uow.commit()
        submit = db.session.execute(select(HumanTask).where(HumanTask.instance_id == inst.id)).scalar_one()
        commands.complete(
            actor(people["officer1"]),
            submit.id,
            {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"},
        )
        ids.append(inst.id)
    db.session.remove()
    now = "2026-10-05T12:00:00+07:00"  # after every cycle moment and every review deadline
    procs = [
        subprocess.Popen(
            [FLASK, "scheduler", "tick", "--now", now],
            cwd=ROOT,
            env=flask_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    results = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sorted(s["cycle"] for r in results for s in r["started"]) == ["forecast", "kcp", "prof"]
    assert sum(r["fired"] for r in results) == 16
    assert len(cycle_instances()) == 3
    assert db.session.execute(select(func.count()).where(AuditEvent.kind == "escalation")).scalar() == 16
    assert (
        db.session.execute(
            select(func.count(func.distinct(AuditEvent.instance_id))).where(AuditEvent.kind == "escalation")
        ).scalar()
        == 16
    )
    assert trail.verify(db.session).ok
    # and again, as after a restart: nothing more
    again = subprocess.run(
        [FLASK, "scheduler", "tick", "--now", now],
        cwd=ROOT,
        env=flask_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    last = json.loads(again.stdout.strip().splitlines()[-1])
    assert (last["started"], last["fired"]) == ([], 0)


# --- on time, in real time ------------------------------------------------------------------------------


def _wait_completed(instance_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        status = db.session.execute(select(ProcessInstance.status).where(ProcessInstance.id == instance_id)).scalar()
        if status == "completed":  # a column read: always the row as committed now
            return True
        time.sleep(0.05)
    return False


def _timer_lateness(instance_id):
    db.session.rollback()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "timer_fired")
    ).scalar_one()
    due = datetime.fromisoformat(event.payload["due_at"])
    return (event.occurred_at - due).total_seconds(), event


def test_in_process_loop_is_woken_by_a_new_timer_and_fires_it_on_time(app):
    clock.set_clock(None)
    deploy("short_timer.bpmn")
    pause_defaults()
    loop = scheduler.SchedulerLoop(app, mode="test").start()  # sleeps up to 30 s unless woken
    try:
        time.sleep(0.3)
        with UnitOfWork(SYSTEM) as uow:
            inst = advance.start_instance(uow, SYSTEM, "sched_short_timer", {})
            uow.commit()
        assert inst.next_timer_at is not None
        assert _wait_completed(inst.id, 10), "the PT2S timer did not fire within 10 s"
    finally:
        loop.stop()
    late, event = _timer_lateness(inst.id)
    assert 0 < late < 1.5, late
    assert event.actor_name == "scheduler"
    assert 0 < event.payload["late_s"] < 1.5


def test_flask_scheduler_run_fires_a_timer_on_time_and_stops_cleanly(app, database_url):
    clock.set_clock(None)
    deploy("timer_at.bpmn")
    pause_defaults()
    fire_at = clock.now() + timedelta(seconds=10)  # the process starts in 2-3 s; it finds the timer in the database
    with UnitOfWork(SYSTEM) as uow:
        inst = advance.start_instance(uow, SYSTEM, "sched_timer_at", {"fire_at": fire_at.isoformat()})
        uow.commit()
    assert inst.next_timer_at == fire_at
    db.session.remove()
    proc = subprocess.Popen(
        [FLASK, "scheduler", "run"],
        cwd=ROOT,
        env=flask_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_completed(inst.id, 25), "the timer did not fire"
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    late, _event = _timer_lateness(inst.id)
    assert 0 < late < 1.5, late
    node = db.session.execute(select(SchedulerNode).where(SchedulerNode.mode == "run")).scalar_one()
    assert node.stopped_at is not None and node.timers_fired == 1


@pytest.mark.postgres
def test_a_timer_created_by_another_process_wakes_the_scheduler_through_notify(app, backend, database_url):
    clock.set_clock(None)
    deploy("short_timer.bpmn")
    pause_defaults()
    db.session.remove()
    proc = subprocess.Popen(
        [FLASK, "scheduler", "run"],
        cwd=ROOT,
        env=flask_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until it has ticked once and sleeps (up to 30 s)
            db.session.rollback()
            if db.session.execute(select(SchedulerNode).where(SchedulerNode.mode == "run")).first():
                break
            time.sleep(0.1)
        time.sleep(0.5)
        with UnitOfWork(SYSTEM) as uow:  # this process plays the web worker
            inst = advance.start_instance(uow, SYSTEM, "sched_short_timer", {})
            uow.commit()
        woken = _wait_completed(inst.id, 10)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert woken, f"the scheduler process was not woken: {err[-3000:]}"
    late, _event = _timer_lateness(inst.id)
    assert 0 < late < 1.5, late


def test_run_all_serves_the_web_app_and_runs_the_scheduler_in_one_process(app, database_url):
    import socket
    import urllib.request

    clock.set_clock(None)
    deploy("timer_at.bpmn")
    pause_defaults()
    fire_at = clock.now() + timedelta(seconds=10)
    with UnitOfWork(SYSTEM) as uow:
        inst = advance.start_instance(uow, SYSTEM, "sched_timer_at", {"fire_at": fire_at.isoformat()})
        uow.commit()
    inst_id = inst.id
    from workflow_app.services.people import tokens

    example_people()
    bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "admin", "health")}
    db.session.commit()
    db.session.remove()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [FLASK, "run-all", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=flask_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                probe = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers=bearer)
                with urllib.request.urlopen(probe, timeout=2) as resp:
                    health = json.loads(resp.read())
                if health["scheduler"]["running"]:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert health is not None and health["scheduler"]["running"] is True, health
        assert health["scheduler"]["next_due_at"] == fire_at.isoformat()
        fired = _wait_completed(inst_id, 25)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert fired, err[-3000:]
    late, _event = _timer_lateness(inst_id)
    assert 0 < late < 1.5, late
    node = db.session.execute(select(SchedulerNode).where(SchedulerNode.mode == "run-all")).scalar_one()
    assert node.stopped_at is not None


@pytest.mark.postgres
def test_two_scheduler_processes_on_postgres_split_the_timers_and_fire_each_once(app, backend, database_url):
    clock.set_clock(None)
    deploy("timer_at.bpmn")
    pause_defaults()
    first = clock.now() + timedelta(seconds=10)
    with UnitOfWork(SYSTEM) as uow:
        ids = [
            advance.start_instance(
                uow, SYSTEM, "sched_timer_at", {"fire_at": (first + timedelta(milliseconds=50 * n)).isoformat()}
            ).id
            for n in range(40)
        ]
        uow.commit()
    db.session.remove()
    procs = [
        subprocess.Popen(
            [FLASK, "scheduler", "run"],
            cwd=ROOT,
            env=flask_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            db.session.rollback()
            if not db.session.execute(
                select(ProcessInstance.id).where(ProcessInstance.id.in_(ids), ProcessInstance.status == "running")
            ).first():
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        errors = [p.communicate(timeout=30)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    fired = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "timer_fired")).scalars().all()
    assert sorted(e.instance_id for e in fired) == sorted(ids)  # each exactly once
    assert all(e.actor_name == "scheduler" for e in fired)
    nodes = db.session.execute(select(SchedulerNode).where(SchedulerNode.mode == "run")).scalars().all()
    assert len(nodes) == 2 and sum(n.timers_fired for n in nodes) == 40
    assert trail.verify(db.session).ok
    late = sorted((e.occurred_at - datetime.fromisoformat(e.payload["due_at"])).total_seconds() for e in fired)
    assert late[0] > 0 and late[-1] < 1.5, late


def test_a_cycle_that_cannot_start_stops_neither_the_others_nor_the_timers(app, deployed):
    deploy("yearly_cycle.bpmn")
    deploy("broken_start.bpmn")
    pause_defaults()
    people = example_people()
    define("broken", "0 9 1 4 *", "{year}", process_id="sched_broken")
    define("good", "0 9 1 4 *", "{year}")
    clock.set_clock(tomsk(2027, 3, 29, 10, 0))
    with UnitOfWork(actor(people["officer1"])) as uow:
        inst = advance.start_instance(uow, actor(people["officer1"]), "example_approval", {"title": "t"})
        uow.commit()
    submit = db.session.execute(select(HumanTask).where(HumanTask.instance_id == inst.id)).scalar_one()
    commands.complete(
        actor(people["officer1"]),
        submit.id,
        {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"},
    )
    now = tomsk(2027, 4, 5, 9, 0)  # the review deadline and both cycle moments have passed
    result = tick(now)
    assert [s["cycle"] for s in result.started] == ["good"]
    assert [f["instance_id"] for f in result.fired] == [inst.id]
    assert [w["cycle"] for w in result.warnings] == ["broken"]
    assert "could not start" in db.session.get(CycleDefinition, "broken").last_warning
    assert cycle_instances("sched_broken") == []
    assert scheduler.next_due(now) > now  # the failing cycle does not keep the loop spinning
    tick(now + timedelta(minutes=1))
    assert len(events("cycle_skipped")) == 1
    assert trail.verify(db.session).ok
