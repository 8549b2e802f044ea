"""The unit of work around every command: fresh reads, nothing stray committed, conflicts as 409, and a
commit that expires what the session holds in every context."""

from contextlib import contextmanager, nullcontext

import pytest
from factories import actor, example_people
from sqlalchemy import event, inspect, select, text, update

from workflow_app.extensions import db
from workflow_app.models import HumanTask, ProcessInstance, TaskComment, User
from workflow_app.services.cases import start
from workflow_app.services.errors import Conflict
from workflow_app.services.people.access import require_task_visible
from workflow_app.services.tasks import commands

REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


@pytest.fixture
def people(app, deployed):
    return example_people()


@contextmanager
def statements():
    seen = []

    def listen(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def _started(officer, key):
    """A new example instance at its submit step, then the session let go (the test reads afresh):
    (instance id, submit task id, the instance's lock_version)."""
    instance, [submit] = start.start_process(officer, "example_approval", {"title": "t"}, key)
    ids = instance.id, submit.id, instance.lock_version
    db.session.remove()
    return ids


def _other_connection_sets(task_id, **values):
    with db.engine.begin() as conn:  # another connection, as another worker would
        conn.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))


@pytest.mark.postgres_too
def test_a_command_reads_rows_changed_since_the_requests_first_read(app, people):
    officer = actor(people["officer1"])
    other_id = people["dpo2"].id  # also a college officer of college 1
    _instance, [submit] = start.start_process(officer, "example_approval", {"title": "t"}, "UOW-1")
    task_id = submit.id
    with app.test_request_context("/api/v1/tasks", method="POST"):
        db.session.remove()
        seen = require_task_visible(officer, task_id)  # the request reads first (like the API's auth)...
        assert seen.assignee_id is None
        _other_connection_sets(task_id, assignee_id=other_id)  # ...someone else claims it meanwhile...
        with pytest.raises(Conflict, match="assigned to someone else"):
            commands.complete(officer, task_id, REQUEST)  # ...and the command sees that, not its stale copy
    db.session.remove()
    assert db.session.get(HumanTask, task_id).status == "open"


@pytest.mark.postgres_too
def test_a_write_outside_a_command_is_never_committed_by_the_next_command(app, people):
    officer = actor(people["officer1"])
    instance, [submit] = start.start_process(officer, "example_approval", {"title": "t"}, "UOW-2")
    task_id, instance_id, author_id = submit.id, instance.id, people["officer1"].id
    with app.test_request_context("/api/v1/tasks", method="POST"):
        db.session.remove()
        db.session.execute(select(HumanTask.id)).all()  # a read transaction...
        db.session.execute(
            text("UPDATE human_task SET title = 'stray' WHERE id = :id"), {"id": task_id}
        )  # ...that wrote
        stray = TaskComment(task_id=task_id, instance_id=instance_id, author_id=author_id, body="stray")
        db.session.add(stray)
        db.session.flush()  # ...and flushed an object
        commands.complete(officer, task_id, REQUEST)
        assert not inspect(stray).persistent  # the session forgot it with its transaction
    db.session.remove()
    with db.engine.connect() as conn:
        row = conn.execute(select(HumanTask.title, HumanTask.status).where(HumanTask.id == task_id)).one()
        comments = conn.execute(select(TaskComment.id)).all()
    assert (row.title, row.status, comments) == ("t", "completed", [])


@pytest.mark.postgres_too
def test_a_commands_answer_is_what_it_wrote_and_everything_else_is_expired(app, people):
    """A completion answers with the task, its instance and the next tasks as the command wrote them: after the
    commit nothing is read back to build that answer, and it is what the database has. Everything else the
    session held is expired by the commit, in a request as elsewhere (the next read is fresh)."""
    officer = actor(people["officer1"])
    for key, in_request in (("UOW-3", True), ("UOW-4", False)):
        _instance, [submit] = start.start_process(officer, "example_approval", {"title": "t"}, key)
        submit_id = submit.id
        with app.test_request_context("/api/v1/tasks", method="POST") if in_request else nullcontext():
            db.session.remove()
            other = db.session.get(User, officer.user_id)  # read by the request, not part of the answer
            done, next_tasks = commands.complete(officer, submit_id, REQUEST)
            with statements() as seen:
                answer = (done.status, done.assignee_id, done.instance.status, done.instance.lock_version)
                initiator = done.instance.initiator_name
            assert seen == []  # nothing read back
            assert answer == ("completed", officer.user_id, "running", 3) and next_tasks == []  # the DPO's review
            assert initiator == "college_officer_1"
            assert inspect(other).expired  # expired as by any commit: the next read is fresh
        db.session.remove()
        with db.engine.connect() as conn:  # what the database has is what the answer said
            row = conn.execute(
                select(HumanTask.status, HumanTask.assignee_id, ProcessInstance.status, ProcessInstance.lock_version)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(HumanTask.id == submit_id)
            ).one()
        assert tuple(row) == answer


@pytest.mark.postgres_too
def test_an_instance_advanced_twice_in_one_command_keeps_one_row_per_task(app, people):
    """The second advance sees the rows the first one projected (still unflushed): no duplicate task row."""
    from workflow_app.services.cases import advance
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    instance_id, task_id, _version = _started(officer, "UOW-5")
    with UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        commands.complete_in(uow, officer, task, commands.validate_submission(task, REQUEST))
        advance.advance(uow, task.instance, officer, lambda loaded: loaded.fire_timers())  # nothing due
        uow.commit()
    rows = db.session.execute(
        select(HumanTask.task_def, HumanTask.status).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    ).all()
    assert [tuple(r) for r in rows] == [("submit_request", "completed"), ("review_request", "open")]


@pytest.mark.postgres_too
def test_a_completion_writes_its_rows_through_the_orm_flush(app, people):
    """The task, the next task row and the instance state are changes of ORM objects, written by the
    session's flush (so every Session event and the mapper's version check see them), with the instance's
    version moved on by the mapper."""
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    instance_id, task_id, version = _started(officer, "UOW-6")
    with UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        commands.complete_in(uow, officer, task, commands.validate_submission(task, REQUEST))
        session = db.session()
        [review] = uow.open_tasks[task.instance_id]
        assert review in session.new and task in session.dirty and task.instance in session.dirty
        with statements() as seen:
            uow.flush()
        writes = sorted(
            s.split()[0] + " " + s.split()[1 if s.startswith("UPDATE") else 2]
            for s in seen
            if s.startswith(("INSERT", "UPDATE"))
        )
        assert writes == ["INSERT human_task", "UPDATE human_task", "UPDATE process_instance"]
        assert inspect(review).persistent and review.id is not None
        assert task.instance.lock_version == version + 1
        review_id = review.id
        uow.commit()
    db.session.remove()
    rows = db.session.execute(
        select(HumanTask.id, HumanTask.task_def, HumanTask.status)
        .where(HumanTask.instance_id == instance_id)
        .order_by(HumanTask.id)
    ).all()
    assert [tuple(r) for r in rows] == [(task_id, "submit_request", "completed"), (review_id, "review_request", "open")]


@pytest.mark.postgres_too
def test_a_state_written_over_a_version_it_did_not_read_is_a_conflict_and_writes_nothing(app, people):
    from workflow_app.models import ProcessInstance
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    instance_id, task_id, version = _started(officer, "UOW-7")
    with pytest.raises(Conflict, match="changed by someone else"), UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        # the row moves on behind the loaded copy (as a concurrent command on PostgreSQL would)
        db.session.connection().execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance_id)
            .values(lock_version=ProcessInstance.lock_version + 1)
        )
        commands.complete_in(uow, officer, task, commands.validate_submission(task, REQUEST))
        uow.commit()
    db.session.remove()
    rows = db.session.execute(
        select(HumanTask.task_def, HumanTask.status).where(HumanTask.instance_id == instance_id)
    ).all()
    assert [tuple(r) for r in rows] == [("submit_request", "open")]
    assert db.session.get(ProcessInstance, instance_id).lock_version == version  # the rollback undid the bump too


@pytest.mark.postgres_too
def test_rows_a_command_inserted_are_forgotten_when_their_savepoint_or_transaction_rolls_back(app, people):
    """As for rows the ORM flushed: after a rollback the session holds no object for a row that is gone."""
    from workflow_app.models import ProcessInstance
    from workflow_app.services.cases import advance
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    db.session.remove()
    with UnitOfWork(officer) as uow:
        try:
            with db.session.begin_nested():
                undone = advance.start_instance(uow, officer, "example_approval", {"title": "undone"})
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        assert not inspect(undone).persistent and undone not in db.session
        with db.session.begin_nested():  # a released savepoint: its rows stay until the transaction ends
            kept = advance.start_instance(uow, officer, "example_approval", {"title": "kept"})
        assert inspect(kept).persistent
        kept_task = uow.open_tasks[kept.id][0]
    # leaving without commit rolls the whole command back
    assert not inspect(kept).persistent and not inspect(kept_task).persistent
    assert db.session.execute(select(ProcessInstance.id)).all() == []
    with UnitOfWork(officer) as uow:  # the ids are free again: a new row takes one without a clash
        again = advance.start_instance(uow, officer, "example_approval", {"title": "again"})
        uow.commit()
    assert again.id is not None


@pytest.mark.postgres_too
def test_a_completion_answer_after_its_commit_sends_nothing(app, client, people):
    """The answer names the initiator (another user than the caller) and is built from what the command wrote:
    after the commit no statement is sent (before: the answer's SELECT)."""
    from workflow_app.services.people import tokens
    from workflow_app.services.people.actors import SYSTEM

    _instance, [submit] = start.start_process(actor(people["officer1"]), "example_approval", {"title": "t"}, "UOW-8")
    commands.complete(actor(people["officer1"]), submit.id, REQUEST)
    review_id = db.session.execute(select(HumanTask.id).where(HumanTask.task_def == "review_request")).scalar_one()
    headers = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "dpo_officer")}
    db.session.remove()
    seen = []
    marks = {
        "before_cursor_execute": lambda *a: seen.append(a[2].split()[0]),
        "commit": lambda *a: seen.append("COMMIT"),
    }
    for name, fn in marks.items():
        event.listen(db.engine, name, fn)
    try:
        r = client.post(
            f"/api/v1/tasks/{review_id}/complete",
            headers=headers,
            json={"data": {"decision": "reject", "comment": "Не обосновано"}},
        )
    finally:
        for name, fn in marks.items():
            event.remove(db.engine, name, fn)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["instance"]["initiator"] == "college_officer_1"
    after = seen[len(seen) - seen[::-1].index("COMMIT") :]  # after the command's commit (the last one)
    assert after == [], seen


def test_a_command_that_cannot_get_the_sqlite_write_lock_is_a_409_busy(app, people, tmp_path):
    """Another writer holds the lock longer than the busy timeout: the command answers 'busy', not 500."""
    import sqlite3

    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    _instance_id, task_id, _version = _started(officer, "UOW-9")
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with app.test_request_context("/api/v1/tasks", method="POST"):
            db.session.execute(select(HumanTask.id)).all()  # the request's read transaction (as its auth)...
            db.session.connection().connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
            with pytest.raises(Conflict, match="busy"):
                commands.complete(officer, task_id, REQUEST)  # ...cannot become the write transaction
            db.session.remove()
        with pytest.raises(Conflict, match="busy"), UnitOfWork(officer):  # nor can a fresh one begin to write
            db.session.connection().connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        db.session.remove()
    assert db.session.get(HumanTask, task_id).status == "open"


def test_sqlite_checkpoints_the_wal_every_10000_pages(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    raw = db.session.connection().connection.dbapi_connection
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10000
    assert raw.execute("PRAGMA journal_size_limit").fetchone()[0] == 64 * 1024 * 1024
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _server_statements(cluster, pid, since):
    """What PostgreSQL logged (log_statement=all) for backend ``pid`` after byte ``since`` of its log."""
    import time

    time.sleep(0.2)  # the logger process writes asynchronously
    with open(cluster.dir / "log", "rb") as f:
        f.seek(since)
        lines = f.read().decode(errors="replace").splitlines()
    seen = []
    for line in lines:
        if f"[{pid}]" in line and "LOG:  " in line and ("statement: " in line or "execute " in line):
            seen.append(line.split(": ", 2)[-1].split()[0].rstrip(";").upper() or ";")
    return seen


@pytest.mark.postgres
def test_what_postgresql_receives_for_a_command_and_for_a_read(pg_cluster, database_url, people):
    """Every round trip counted on the server's side (one pooled connection, log_statement=all): a command is
    its token lookup, BEGIN, its statements and COMMIT; its answer is built from what it wrote (no read after
    the COMMIT); a GET is its SELECTs. No ping, no isolation-level query, no ROLLBACK (nor psycopg's DEALLOCATE
    ALL after it), no transaction around the reads of a request. Before December 2026: 17 statements for a
    completion (a ping and BEGIN ... ROLLBACK twice, SHOW), then 9 (the answer read back after the COMMIT).
    A statement run often on a connection runs prepared: PostgreSQL parses and plans it once."""
    from concurrent.futures import ThreadPoolExecutor

    from workflow_app import create_app
    from workflow_app.config import TestConfig, engine_options
    from workflow_app.services.people import tokens
    from workflow_app.services.people.actors import SYSTEM

    name = database_url.rsplit("/", 1)[1]
    pg_cluster.sql(f"ALTER DATABASE {name} SET log_statement = 'all'")
    officer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "college_officer_1")}
    dpo = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "dpo_officer")}
    db.session.remove()
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    options = {**engine_options(database_url), "pool_size": 1, "max_overflow": 0}
    server = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options})

    def on_a_server_thread(fn):  # no enclosing application context: each request has its own session
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(fn).result()

    def request(method, path, headers, **kw):
        with server.test_client() as c:
            return c.open(path, method=method, headers=headers, **kw)

    def pid():
        with server.app_context():
            return db.session.execute(text("SELECT pg_backend_pid()")).scalar()

    def sent(method, path, headers=officer, status=200, **kw):
        since = (pg_cluster.dir / "log").stat().st_size
        r = on_a_server_thread(lambda: request(method, path, headers, **kw))
        assert r.status_code == status, r.get_json()
        return r.get_json(), _server_statements(pg_cluster, backend, since)

    backend = on_a_server_thread(pid)  # the pool's one connection
    for headers in (officer, dpo):  # each token's use is recorded (once a minute)
        on_a_server_thread(lambda h=headers: request("GET", "/api/v1/me", h))
    start = "/api/v1/processes/example_approval/instances"
    sent("POST", start, json={"data": {"title": "t"}}, status=201)  # the first one parses the model (cached)
    started, command = sent("POST", start, json={"data": {"title": "t"}}, status=201)
    # token, BEGIN, the model, INSERT and UPDATE of the instance, INSERT of its task, the audit events, COMMIT
    assert command == ["SELECT", "BEGIN", "SELECT", "INSERT", "UPDATE", "INSERT", "INSERT", "COMMIT"], command
    instance_id, [submit] = started["id"], started["tasks"]

    done, command = sent("POST", f"/api/v1/tasks/{submit['id']}/complete", json={"data": REQUEST})
    # token, BEGIN, the task (with its instance), 2 UPDATEs, INSERT of the next task, the step's duration summary
    # (one upsert of the day's and the month's row: services/durations), the audit events, COMMIT
    assert command == ["SELECT", "BEGIN", "SELECT", "UPDATE", "UPDATE", "INSERT", "INSERT", "INSERT", "COMMIT"], command
    assert done["instance"]["lock_version"] == 3 and done["task"]["status"] == "completed"

    read = []
    for _ in range(6):  # the same read again and again on one connection
        _body, read = sent("GET", f"/api/v1/instances/{instance_id}")
    assert read == ["SELECT", "SELECT"], read  # token; the instance if visible, with its open tasks
    review_id = db.session.execute(
        select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
    ).scalar_one()
    claimed, command = sent("POST", f"/api/v1/tasks/{review_id}/claim", headers=dpo)
    # token, BEGIN, the task, the four-eyes rule's read, the UPDATE, the audit event, COMMIT
    assert command == ["SELECT", "BEGIN", "SELECT", "SELECT", "UPDATE", "INSERT", "COMMIT"], command
    assert claimed["assignee"] == "dpo_officer"

    _body, refused = sent("POST", f"/api/v1/tasks/{submit['id']}/complete", json={"data": REQUEST}, status=409)
    # a command refused after reading only ends with COMMIT: a ROLLBACK would make psycopg forget its prepared
    # statements (DEALLOCATE ALL) and prepare them again
    assert refused == ["SELECT", "BEGIN", "SELECT", "COMMIT"], refused

    with open(pg_cluster.dir / "log", "rb") as f:
        log = f.read().decode(errors="replace")
    prepared = [line for line in log.splitlines() if f"[{backend}]" in line and "LOG:  execute _pg3_" in line]
    assert any("SELECT api_token.id" in line for line in prepared)  # the token lookup, at its 5th use and after
    with server.app_context():
        db.engine.dispose()


@pytest.mark.postgres_too
def test_a_command_refused_after_writing_is_rolled_back_whatever_wrote(app, people):
    """Only a command that read and nothing else ends a refusal with COMMIT: a write through the session's
    connection (Core, not the ORM) or a textual statement before the refusal rolls it back."""
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    _instance, task_id, _version = _started(officer, "UOW-9")
    for write in (
        lambda: db.session.connection().execute(update(HumanTask).where(HumanTask.id == task_id).values(title="x")),
        lambda: db.session.execute(text("UPDATE human_task SET title = 'x' WHERE id = :id"), {"id": task_id}),
    ):
        with pytest.raises(Conflict), UnitOfWork(officer):
            write()
            raise Conflict("refused after writing")
        db.session.remove()
        assert db.session.get(HumanTask, task_id).title == "t"
        db.session.remove()


@pytest.mark.postgres
def test_a_request_outside_a_command_cannot_write(app, people):
    """Reads outside a unit of work run without a transaction on PostgreSQL: a write there would be committed
    on the spot, so it is refused, on every database."""
    from workflow_app.services.uow import WriteOutsideCommand, begin_request_reads

    _instance, [submit] = start.start_process(actor(people["officer1"]), "example_approval", {"title": "t"}, "RT-2")
    task_id = submit.id
    with app.test_request_context("/api/v1/tasks"):
        db.session.remove()
        begin_request_reads()
        task = db.session.get(HumanTask, task_id)
        task.title = "stray"
        with pytest.raises(WriteOutsideCommand):
            db.session.flush()
        db.session.rollback()
        begin_request_reads()
        with pytest.raises(WriteOutsideCommand):
            db.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(title="stray"))
    db.session.remove()
    assert db.session.get(HumanTask, task_id).title != "stray"
