"""Inbox services: views and filters, the new-task counter, e-mail to candidates (aiosmtpd), CLI users and demo."""

import socket
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from factories import actor, example_people, org, user
from mail_texts import assert_mails_readable
from sqlalchemy import select
from stdnum.ru import inn

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, Notification, Organisation, User
from workflow_app.roles import ROLES
from workflow_app.services import notifications
from workflow_app.services.cases.start import start_process
from workflow_app.services.errors import Forbidden, Invalid, NotFound
from workflow_app.services.tasks import commands, inbox

REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


@pytest.fixture
def people(app, deployed):
    return example_people()


def start(person, key):
    instance, open_tasks = start_process(actor(person), "example_approval", {"title": key}, key)
    return instance, open_tasks[0]


def ids(page):
    return [t.id for t in page.items]


@pytest.mark.postgres_too
def test_views_filters_and_paging(app, people):
    o1, o2, dpo = people["officer1"], people["officer2"], people["dpo"]
    _, t1 = start(o1, "A-1")
    clock.advance(minutes=1)
    _, t2 = start(o1, "A-2")
    clock.advance(minutes=1)
    _, t3 = start(o2, "B-1")
    a1 = actor(o1)
    assert ids(inbox.list_tasks(a1, "group")) == [t1.id, t2.id]
    assert ids(inbox.list_tasks(actor(o2), "group")) == [t3.id]
    assert ids(inbox.list_tasks(a1, "mine")) == []
    commands.claim(a1, t2.id)
    assert ids(inbox.list_tasks(a1, "mine")) == [t2.id]
    assert ids(inbox.list_tasks(a1, "group")) == [t1.id]
    assert ids(inbox.list_tasks(a1, "all")) == [t1.id, t2.id]
    # a colleague of the same college sees the claimed task in "all" but not in "group"
    both = actor(people["dpo2"])
    assert ids(inbox.list_tasks(both, "group")) == [t1.id]
    assert ids(inbox.list_tasks(both, "all")) == [t1.id, t2.id]
    assert ids(inbox.list_tasks(actor(people["auditor"]), "all")) == [t1.id, t2.id, t3.id]
    assert ids(inbox.list_tasks(actor(dpo), "all")) == []
    f = inbox.TaskFilters(business_key="A-1")
    assert ids(inbox.list_tasks(a1, "all", f)) == [t1.id]
    assert ids(inbox.list_tasks(a1, "all", inbox.TaskFilters(process_id="nope"))) == []
    page = inbox.list_tasks(a1, "all", per_page=1)
    assert ids(page) == [t1.id] and page.has_more and (page.total, page.total_exact) == (2, True)
    page = inbox.list_tasks(a1, "all", page=2, per_page=1)
    assert ids(page) == [t2.id] and not page.has_more and page.total == 2
    with pytest.raises(Invalid):
        inbox.list_tasks(a1, "everything")
    with pytest.raises(Invalid):
        inbox.list_tasks(a1, "mine", per_page=0)
    # overdue: after the 5 working days
    clock.set_clock(datetime(2026, 3, 11, 3, 0, tzinfo=UTC))
    assert ids(inbox.list_tasks(a1, "overdue")) == [t1.id, t2.id]
    assert inbox.is_overdue(db.session.get(HumanTask, t1.id))


def _sqlite_plans(actor_, view, filters):
    """SQLite's plan of each branch of an inbox view, values bound in."""
    from sqlalchemy.dialects import sqlite

    shape, params = inbox._plan(actor_, view, filters)
    for b in inbox._branches(shape):
        sql = (
            b.order_by(HumanTask.created_at)
            .limit(26)
            .params(**params)
            .compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        )
        yield " ".join(str(r[-1]) for r in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")))


def test_inbox_query_uses_the_indexes(app, people):
    """The branches of an inbox query are index scans, never a full scan of human_task (SQLite plan)."""
    a1 = actor(people["officer1"])
    for view in ("mine", "group", "all"):
        for plan in _sqlite_plans(a1, view, inbox.TaskFilters()):
            assert "INDEX" in plan and "SCAN human_task" not in plan and "TEMP B-TREE" not in plan, (view, plan)
    # filtered by a business key, a group branch reads that case's rows, not the group's whole range
    for plan in _sqlite_plans(a1, "group", inbox.TaskFilters(business_key="A-1")):
        assert "INDEX ix_task_business_key (business_key=?" in plan and "TEMP B-TREE" not in plan, plan


def test_a_commands_reads_of_its_instances_tasks_are_instance_led(app, people):
    """Every read a command makes of one instance's tasks (the task with its instance's open tasks, the
    four-eyes check over its completed ones) seeks that instance in an index, however many cases there are:
    never a walk of every open or completed task (SQLite's plans of the statements a journey really ran)."""
    from sqlalchemy import event

    ran = []

    def capture(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().startswith("SELECT") and "human_task" in statement and "instance_id = " in statement:
            ran.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        _, submit = start(people["officer1"], "A-1")
        commands.complete(actor(people["officer1"]), submit.id, REQUEST)
        review = inbox.list_tasks(actor(people["dpo"]), "group", inbox.TaskFilters(business_key="A-1")).items[0]
        commands.complete(actor(people["dpo"]), review.id, {"decision": "reject", "comment": "Не обосновано"})
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert any("human_task.task_def IN" in statement for statement, _ in ran)  # the four-eyes check ran
    raw = db.session.connection().connection.dbapi_connection
    for statement, parameters in ran:
        plan = " | ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
        assert "ix_task_instance (instance_id=? AND status=?)" in plan, (statement, plan)
        assert "(status=?)" not in plan and "SCAN human_task" not in plan, (statement, plan)


def test_new_task_counter(app, people):
    o1 = people["officer1"]
    assert inbox.new_task_count(actor(o1)) == 0
    start(o1, "A-1")
    start(o1, "A-2")
    assert inbox.new_task_count(actor(o1)) == 2
    assert inbox.new_task_count(actor(people["officer2"])) == 0
    clock.advance(minutes=1)
    inbox.mark_inbox_seen(actor(o1))
    assert inbox.new_task_count(actor(o1)) == 0
    clock.advance(minutes=1)
    start(o1, "A-3")
    assert inbox.new_task_count(actor(o1)) == 1


def test_assign_is_for_heads_and_admins_only(app, people):
    director = user("college_director_1", ["college_director"], org("college1"))
    _, t = start(people["officer1"], "A-1")
    with pytest.raises(Forbidden):
        commands.assign(actor(people["officer1"]), t.id, "dpo_officer_2")
    with pytest.raises(NotFound):
        commands.assign(actor(people["dpo"]), t.id, "college_officer_1")
    assert commands.assign(actor(director), t.id, "dpo_officer_2").assignee_id == people["dpo2"].id
    assert commands.assign(actor(people["admin"]), t.id, "college_officer_1").assignee_id == people["officer1"].id
    assert [u.username for u in inbox.candidates(actor(director), t.id)] == sorted(
        ["college_officer_1", "dpo_officer_2"],
        key=lambda n: db.session.execute(select(User.display_name).where(User.username == n)).scalar_one(),
    )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A local SMTP server's handler (aiosmtpd) that keeps (recipients, text) of every message; with ``release``
    it holds each message until the event is set."""

    def __init__(self, release=None):
        self.messages = []
        self.release = release

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        while self.release is not None and not self.release.is_set():
            await asyncio.sleep(0.01)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@contextmanager
def smtp_server(app, sink):
    from aiosmtpd.controller import Controller

    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        yield
    finally:
        if sink.release is not None:
            sink.release.set()
        controller.stop()
        app.config.update(SMTP_HOST="")


def test_email_to_candidates_goes_through_the_outbox(app, people):
    for u, mail in (
        (people["officer1"], "o1@college1.test"),
        (people["officer2"], "o2@college2.test"),
        (people["dpo2"], "dpo2@college1.test"),
    ):
        u.email = mail
    db.session.commit()
    sink = SmtpSink()
    with smtp_server(app, sink):
        instance, _ = start(people["officer1"], "A-1")  # the command talks to no SMTP server
        assert instance.id is not None and sink.messages == []
        rows = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert sorted(r.email for r in rows) == ["dpo2@college1.test", "o1@college1.test"]  # not the other college
        assert {r.status for r in rows} == {"pending"} and {r.instance_id for r in rows} == {instance.id}
        assert notifications.send_due() == {"sent": 2, "retry": 0, "failed": 0}  # what the scheduler does
        recipients = sorted(r for rcpts, _ in sink.messages for r in rcpts)
        assert recipients == ["dpo2@college1.test", "o1@college1.test"]
        assert "Подать заявку" in sink.messages[0][1] or "=?utf-8?" in sink.messages[0][1].lower()
        assert_mails_readable({"task_ready"})
        db.session.expire_all()
        assert {(r.status, r.attempts) for r in db.session.execute(select(Notification)).scalars()} == {("sent", 1)}
        assert notifications.send_due() == {"sent": 0, "retry": 0, "failed": 0}  # sent once only
    # an unreachable SMTP server breaks neither the command nor the message: it is retried later
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())
    try:
        instance, _ = start(people["officer1"], "A-2")
        assert notifications.send_due() == {"sent": 0, "retry": 2, "failed": 0}
        db.session.expire_all()
        pending = db.session.execute(select(Notification).where(Notification.instance_id == instance.id)).scalars()
        pending = list(pending)
        assert {(r.status, r.attempts) for r in pending} == {("pending", 1)}
        assert all(r.last_error and r.next_attempt_at > clock.now() for r in pending)
        assert notifications.send_due() == {"sent": 0, "retry": 0, "failed": 0}  # not before its retry time
        sink = SmtpSink()
        with smtp_server(app, sink):
            later = clock.now() + notifications.RETRY_AFTER[0] + timedelta(seconds=1)
            assert notifications.send_due(later) == {"sent": 2, "retry": 0, "failed": 0}
        assert sorted(r for rcpts, _ in sink.messages for r in rcpts) == ["dpo2@college1.test", "o1@college1.test"]
    finally:
        app.config.update(SMTP_HOST="")


def test_a_sender_that_dies_mid_way_leaves_the_mail_to_the_next_tick(app, people):
    people["officer1"].email = "o1@college1.test"
    db.session.commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())
    try:
        start(people["officer1"], "A-1")
    finally:
        app.config.update(SMTP_HOST="")
    claimed = notifications._claim(clock.now(), 10)  # leased, then the process died before sending
    assert [r.email for r in claimed] == ["o1@college1.test"]
    assert notifications._claim(clock.now(), 10) == []  # leased: no second sender takes it meanwhile
    sink = SmtpSink()
    with smtp_server(app, sink):
        assert notifications.send_due(clock.now() + notifications.LEASE + timedelta(seconds=1))["sent"] == 1
    assert [rcpts for rcpts, _ in sink.messages] == [["o1@college1.test"]]
    row = db.session.execute(select(Notification)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 2)


def test_cli_users_and_tokens(app, client):
    runner = app.test_cli_runner()
    org("DEPPO", "ДепПО", kind="department")
    db.session.commit()
    r = runner.invoke(
        args=[
            "users",
            "create",
            "ivanova",
            "--password",
            "Tomsk-Secret-2026!",
            "--name",
            "Иванова М. С.",
            "--group",
            "dpo_officer",
            "--org",
            "DEPPO",
        ]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "ivanova", "--password", "Tomsk-Secret-2026!"])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(args=["users", "create", "x", "--password", "Tomsk-Secret-2026!", "--group", "no_such_role"])
    assert r.exit_code == 1 and "no_such_role" in r.output
    r = runner.invoke(args=["users", "token", "ivanova"])
    assert r.exit_code == 0
    token = r.output.strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == "ivanova" and me["groups"] == ["dpo_officer"] and me["organisation"]["code"] == "DEPPO"
    assert runner.invoke(args=["users", "token", "nobody"]).exit_code == 1


def test_demo_load_is_idempotent_and_covers_every_role(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    users1 = {u.username: (u.id, sorted(u.group_ids), u.organisation.code) for u in db.session.query(User)}
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "users created: 0" in second.output
    db.session.expire_all()
    users2 = {u.username: (u.id, sorted(u.group_ids), u.organisation.code) for u in db.session.query(User)}
    assert users1 == users2
    for role in ROLES:
        assert role in users2 and role in users2[role][1]
    for name in (
        "college_officer_1",
        "college_director_1",
        "college_officer_2",
        "college_director_2",
        "investor_1",
        "investor_2",
    ):
        assert name in users2
    assert users2["college_officer_1"][2] != users2["college_officer_2"][2]
    assert users2["college_officer_1"][2] == users2["college_director_1"][2]
    investors = db.session.execute(select(Organisation).where(Organisation.kind == "investor")).scalars().all()
    assert len(investors) == 2 and all(inn.is_valid(o.inn) for o in investors)
    colleges = {o.code: (o.name, o.founder.code) for o in db.session.query(Organisation).filter_by(kind="college")}
    assert colleges == {  # ПОО of the education, culture and forestry departments, each with its founder
        "TPT": ("Томский политехнический техникум", "DEPPO"),
        "TTIT": ("Томский техникум информационных технологий", "DEPPO"),
        "TMK": ("Томский музыкальный колледж имени Э.В. Денисова", "DKULT"),
        "TLTT": ("Томский лесотехнический техникум", "DLES"),
    }
    r = client.post("/api/v1/auth/token", json={"username": "cc_secretary", "password": "demo"})
    assert r.status_code == 201
    app.config["ENV_NAME"] = "production"
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1 and "production" in refused.output


def test_inbox_statements_are_built_once_per_shape_and_values_stay_per_actor(app, people):
    """Two officers of different colleges have the same query shape: one statement serves both, bound to each
    one's own groups and organisation (no statement is rebuilt per request, no value leaks between actors)."""
    _, t1 = start(people["officer1"], "S-1")
    _, t2 = start(people["officer2"], "S-2")
    a1, a2 = actor(people["officer1"]), actor(people["officer2"])
    assert inbox._plan(a1, "group", inbox.TaskFilters())[0] == inbox._plan(a2, "group", inbox.TaskFilters())[0]
    inbox._page_statement.cache_clear()
    assert ids(inbox.list_tasks(a1, "group")) == [t1.id]
    assert ids(inbox.list_tasks(a2, "group")) == [t2.id]
    assert ids(inbox.list_tasks(a1, "group", inbox.TaskFilters(business_key="S-2"))) == []
    info = inbox._page_statement.cache_info()
    assert (info.misses, info.hits) == (2, 1)  # "group", then "group" again, then "group" with a filter


def test_a_deputy_acting_today_is_mailed_about_the_principals_new_tasks(app, people):
    """A candidate's deputy for today gets the e-mail too (and is told whom it stands in for); a deputy whose
    period is over does not."""
    from datetime import date

    from workflow_app.models import Deputy
    from workflow_app.services.people import deputies
    from workflow_app.services.people.actors import SYSTEM

    head = people["head"]  # not a college officer: only a deputy would hear of a college's task
    gone = people["dpo"]
    head.email, gone.email = "head@dpo.test", "dpo@dpo.test"
    db.session.commit()
    today = clock.today()
    deputies.add(SYSTEM, "college_officer_1", "dpo_head", today, today)
    # a past absence (the services refuse to register one that is over): the row as it stays in the history
    db.session.add(
        Deputy(
            principal_id=people["officer1"].id, deputy_id=gone.id, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31)
        )
    )
    db.session.commit()
    sink = SmtpSink()
    with smtp_server(app, sink):
        start(people["officer2"], "D-0")  # college 2's task: college 1's officer is no candidate, nor its deputy
        start(people["officer1"], "D-1")
        notifications.send_due()
    assert [rcpts for rcpts, _ in sink.messages] == [["head@dpo.test"]]
    assert "D-1" in sink.messages[0][1] or "=?utf-8?" in sink.messages[0][1].lower()
