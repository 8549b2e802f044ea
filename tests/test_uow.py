"""The unit of work around every command: fresh reads, nothing stray committed, and what a request's
command wrote stays loaded for its answer (no read-back), while elsewhere a commit expires as usual."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event, inspect, select, text, update

from factories import actor, example_people
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
        db.session.execute(text("UPDATE human_task SET title = 'stray' WHERE id = :id"), {"id": task_id})  # ...that wrote
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
            answer = (done.status, done.assignee_id, done.instance.status, done.instance.lock_version,
                      [(t.task_def, t.status) for t in next_tasks])
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
    instance, [submit] = processes.start_process(officer, "example_approval", {"title": "t"}, "UOW-5")
    task_id, instance_id = submit.id, instance.id
    db.session.remove()
    with UnitOfWork(officer) as uow:
        task = require_task_visible(officer, task_id)
        tasks.complete_in(uow, officer, task, tasks.validate_submission(task, REQUEST))
        instances.advance(uow, task.instance, officer, lambda loaded: loaded.fire_timers())  # nothing due
        uow.commit()
    rows = db.session.execute(select(HumanTask.task_def, HumanTask.status).where(HumanTask.instance_id == instance_id)
                              .order_by(HumanTask.id)).all()
    assert [tuple(r) for r in rows] == [("submit_request", "completed"), ("review_request", "open")]
