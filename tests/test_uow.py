"""The unit of work around every command: fresh reads, nothing stray committed, and what a request's
command wrote stays loaded for its answer (no read-back), while elsewhere a commit expires as usual."""

from contextlib import contextmanager
from datetime import UTC

import pytest
from factories import actor, example_people
from sqlalchemy import event, inspect, select, text, update

from workflow_app.extensions import db
from workflow_app.models import HumanTask, TaskComment
from workflow_app.services import processes, tasks
from workflow_app.services.access import require_task_visible
from workflow_app.services.errors import Conflict

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
    instance, [submit] = processes.start_process(officer, "example_approval", {"title": "t"}, key)
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
    _instance, [submit] = processes.start_process(officer, "example_approval", {"title": "t"}, "UOW-1")
    task_id = submit.id
    with app.test_request_context("/api/v1/tasks", method="POST"):
        db.session.remove()
        seen = require_task_visible(officer, task_id)  # the request reads first (like the API's auth)...
        assert seen.assignee_id is None
        _other_connection_sets(task_id, assignee_id=other_id)  # ...someone else claims it meanwhile...
        with pytest.raises(Conflict, match="assigned to someone else"):
            tasks.complete(officer, task_id, REQUEST)  # ...and the command sees that, not its stale copy
    db.session.remove()
    assert db.session.get(HumanTask, task_id).status == "open"


@pytest.mark.postgres_too
def test_a_write_outside_a_command_is_never_committed_by_the_next_command(app, people):
    officer = actor(people["officer1"])
    instance, [submit] = processes.start_process(officer, "example_approval", {"title": "t"}, "UOW-2")
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
        tasks.complete(officer, task_id, REQUEST)
        assert not inspect(stray).persistent  # the session forgot it with its transaction
    db.session.remove()
    with db.engine.connect() as conn:
        row = conn.execute(select(HumanTask.title, HumanTask.status).where(HumanTask.id == task_id)).one()
        comments = conn.execute(select(TaskComment.id)).all()
    assert (row.title, row.status, comments) == ("t", "completed", [])


@pytest.mark.postgres_too
def test_in_a_request_the_command_result_stays_loaded_and_elsewhere_a_commit_expires(app, people):
    officer = actor(people["officer1"])
    _instance, [submit] = processes.start_process(officer, "example_approval", {"title": "t"}, "UOW-3")
    task_id = submit.id
    with app.test_request_context("/api/v1/tasks", method="POST"):
        db.session.remove()
        done, next_tasks = tasks.complete(officer, task_id, REQUEST)
        with statements() as seen:
            answer = (
                done.status,
                done.assignee_id,
                done.instance.status,
                done.instance.lock_version,
                [(t.task_def, t.status) for t in next_tasks],
            )
        assert seen == []  # the answer is built from what the command wrote, not read back
        assert answer[0] == "completed" and answer[2] == "running" and answer[4] == []  # the review is the DPO's
    db.session.remove()

    _instance, [second] = processes.start_process(officer, "example_approval", {"title": "t"}, "UOW-4")
    done, _next = tasks.complete(officer, second.id, REQUEST)  # no request: e.g. the scheduler loop or the CLI
    assert inspect(done).expired  # the next read goes to the database
    with statements() as seen:
        assert done.status == "completed"
    assert seen


@pytest.mark.postgres_too
def test_an_instance_advanced_twice_in_one_command_keeps_one_row_per_task(app, people):
    """The second advance sees the rows the first one projected (still unflushed): no duplicate task row."""
    from workflow_app.services import instances
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    instance_id, task_id, _version = _started(officer, "UOW-5")
    with UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        tasks.complete_in(uow, officer, task, tasks.validate_submission(task, REQUEST))
        instances.advance(uow, task.instance, officer, lambda loaded: loaded.fire_timers())  # nothing due
        uow.commit()
    rows = db.session.execute(
        select(HumanTask.task_def, HumanTask.status).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
    ).all()
    assert [tuple(r) for r in rows] == [("submit_request", "completed"), ("review_request", "open")]


@pytest.mark.postgres_too
def test_a_completion_writes_its_rows_itself_and_leaves_them_loaded_and_clean(app, people):
    """The task, the next task row and the instance state are written by the unit of work's own statements:
    nothing is left for the ORM's flush, and the new row is a persistent object with every column set."""
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    instance_id, task_id, version = _started(officer, "UOW-6")
    with UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        with statements() as seen:
            tasks.complete_in(uow, officer, task, tasks.validate_submission(task, REQUEST))
        writes = [
            s.split()[0] + " " + s.split()[1 if s.startswith("UPDATE") else 2]
            for s in seen
            if s.startswith(("INSERT", "UPDATE"))
        ]
        assert writes == ["UPDATE human_task", "INSERT human_task", "UPDATE process_instance"]
        session = db.session()
        assert not (session.new or session.dirty)  # the flush at commit has nothing to do
        [review] = uow.open_tasks[task.instance_id]
        assert inspect(review).persistent and review.id is not None
        with statements() as seen:
            loaded = (
                review.task_def,
                review.status,
                review.follow_up_at,
                review.assignee_id,
                review.title,
                task.status,
                task.assignee_id,
                task.instance.lock_version,
            )
        assert seen == []  # nothing expired, nothing read back
        assert loaded == ("review_request", "open", None, None, "t", "completed", officer.user_id, version + 1)
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
        tasks.complete_in(uow, officer, task, tasks.validate_submission(task, REQUEST))
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
    from workflow_app.services import instances
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    db.session.remove()
    with UnitOfWork(officer) as uow:
        try:
            with db.session.begin_nested():
                undone = instances.start_instance(uow, officer, "example_approval", {"title": "undone"})
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        assert not inspect(undone).persistent and undone not in db.session
        with db.session.begin_nested():  # a released savepoint: its rows stay until the transaction ends
            kept = instances.start_instance(uow, officer, "example_approval", {"title": "kept"})
        assert inspect(kept).persistent
        kept_task = uow.open_tasks[kept.id][0]
    # leaving without commit rolls the whole command back
    assert not inspect(kept).persistent and not inspect(kept_task).persistent
    assert db.session.execute(select(ProcessInstance.id)).all() == []
    with UnitOfWork(officer) as uow:  # the ids are free again: a new row takes one without a clash
        again = instances.start_instance(uow, officer, "example_approval", {"title": "again"})
        uow.commit()
    assert again.id is not None


@pytest.mark.postgres_too
def test_a_completion_answer_needs_no_query_after_its_commit(app, client, people):
    """The answer names the initiator (another user than the caller): the name came with the task's read."""
    from workflow_app.services import accounts
    from workflow_app.services.identity import SYSTEM

    _instance, [submit] = processes.start_process(
        actor(people["officer1"]), "example_approval", {"title": "t"}, "UOW-8"
    )
    tasks.complete(actor(people["officer1"]), submit.id, REQUEST)
    review_id = db.session.execute(select(HumanTask.id).where(HumanTask.task_def == "review_request")).scalar_one()
    headers = {"Authorization": "Bearer " + accounts.issue_token(SYSTEM, "dpo_officer")}
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
    assert seen[-1] == "COMMIT", seen  # nothing is read to build the answer


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
                tasks.complete(officer, task_id, REQUEST)  # ...cannot become the write transaction
            db.session.remove()
        with pytest.raises(Conflict, match="busy"), UnitOfWork(officer):  # nor can a fresh one begin to write
            db.session.connection().connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        db.session.remove()
    assert db.session.get(HumanTask, task_id).status == "open"


@pytest.mark.postgres_too
def test_several_rows_inserted_at_once_get_their_own_ids_and_defaults(app, people):
    """uow.insert with several rows: each object gets the id of its own row (not another's), and the
    columns it did not set hold their defaults, on the object as in the database."""
    from workflow_app.services.uow import UnitOfWork

    officer = actor(people["officer1"])
    author_id = people["officer1"].id
    instance_id, task_id, _version = _started(officer, "UOW-10")
    with UnitOfWork(officer) as uow:
        comments = [
            TaskComment(task_id=task_id, instance_id=instance_id, author_id=author_id, body=f"note {i}")
            for i in range(5)
        ]
        uow.insert(comments)
        assert all(inspect(c).persistent for c in comments) and not db.session().new
        loaded = {c.id: (c.body, c.created_at) for c in comments}
        uow.commit()
    db.session.remove()
    stored = {r.id: (r.body, r.created_at) for r in db.session.execute(select(TaskComment)).scalars()}
    assert stored == loaded and len(stored) == 5 and all(created is not None for _body, created in stored.values())


def test_sqlite_checkpoints_the_wal_every_10000_pages(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    raw = db.session.connection().connection.dbapi_connection
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10000
    assert raw.execute("PRAGMA journal_size_limit").fetchone()[0] == 64 * 1024 * 1024
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_prebuilt_statements_go_to_the_driver_and_write_what_sqlalchemy_writes(app):
    """statements.run hands a prebuilt statement to SQLite's driver, with SQLAlchemy's own conversions of
    the values; whenever that could change what anyone observes, it is SQLAlchemy's execute after all."""
    import sqlite3
    from datetime import datetime

    from sqlalchemy import bindparam, insert
    from sqlalchemy.exc import IntegrityError

    from workflow_app.models import AuditEvent
    from workflow_app.services import statements as direct

    events = AuditEvent.__table__
    row = {
        "seq": 10**9,
        "occurred_at": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
        "actor_id": 7,
        "actor_name": "кто-то",
        "actor_org_id": None,
        "kind": "probe",
        "instance_id": None,
        "process_id": None,
        "business_key": "К-1",
        "task_id": None,
        "payload": {"строки": [1, 2.5, None, True], "ключ": "значение"},
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }
    conn = db.session.connection()
    assert isinstance(direct.run(conn, insert(events), row), sqlite3.Cursor)  # straight to the driver
    conn.execute(insert(events), {**row, "seq": 10**9 + 1})  # the same row through SQLAlchemy
    stored = conn.connection.dbapi_connection.execute(
        "SELECT occurred_at, actor_name, business_key, payload FROM audit_event WHERE seq >= ? ORDER BY seq", (10**9,)
    ).fetchall()
    assert len(stored) == 2 and stored[0] == stored[1]

    # a value SQLAlchemy converts on the way out (a UTC datetime): its execute, and the converted value
    when = select(events.c.occurred_at).where(events.c.seq == bindparam("seq"))
    assert direct.run(conn, when, {"seq": 10**9}).fetchone()[0] == row["occurred_at"]
    # whoever listens for statements sees them
    with statements() as seen:
        direct.run(conn, select(events.c.kind).where(events.c.seq == bindparam("seq")), {"seq": 10**9})
    assert len(seen) == 1 and seen[0].startswith("SELECT audit_event.kind")
    # the driver's errors are SQLAlchemy's exceptions, as the callers expect
    with pytest.raises(IntegrityError):
        direct.run(conn, insert(events), row)
    db.session.rollback()
