"""The audit trail on PostgreSQL under concurrency: commands in several processes append without a common
lock, the sequencer seals in a consistent order, and a sequencer killed mid-batch loses and duplicates
nothing."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow_app.extensions import db
from workflow_app.models import AuditEvent, AuditHead, AuditSeal
from workflow_app.services.audit import sequencer, trail
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = """
import sys
from workflow_app import create_app
from workflow_app.extensions import db
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.uow import UnitOfWork
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "t" * 40})
with app.app_context():
    for i in range(int(sys.argv[3])):
        with UnitOfWork(SYSTEM) as uow:
            for j in range(1 + i % 4):
                uow.record("test_event", payload={"process": sys.argv[2], "i": i, "j": j})
            if i % 7 == 3:
                continue  # rolled back: appends nothing
            uow.commit()
"""

SEALER = """
import sys, time
from workflow_app import create_app
from workflow_app.services.audit import sequencer
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "t" * 40})
with app.app_context():
    deadline = time.time() + float(sys.argv[2])
    while time.time() < deadline:
        sequencer.seal_pending(batch=int(sys.argv[3]))
        time.sleep(0.01)
"""

CRASHING_SEALER = """
import os, sys
from sqlalchemy import event
from sqlalchemy.orm import Session
from workflow_app import create_app
from workflow_app.services.audit import sequencer
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "t" * 40})
with app.app_context():
    event.listen(Session, "before_commit", lambda session: os._exit(9))  # dies with the batch written, not committed
    sequencer.seal_pending()
"""


def _python(code, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _sealed_once():
    seals = db.session.execute(select(func.count(), func.count(func.distinct(AuditSeal.event_seq)))).one()
    events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return tuple(seals), events


@pytest.mark.postgres
def test_concurrent_commands_of_several_processes_make_a_trail_that_verifies(app, database_url):
    workers = [_python(COMMANDS, database_url, f"p{n}", 60) for n in range(3)]
    sealers = [_python(SEALER, database_url, 12, batch) for batch in (7, 50)]  # two sequencers take turns
    for p in workers + sealers:
        _out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
    db.session.rollback()
    sequencer.seal_pending()  # what the sequencers had not seen yet
    (seals, distinct), events = _sealed_once()
    # 60 commands per process, 1-4 events each, those with i % 7 == 3 rolled back
    per_process = sum(1 + i % 4 for i in range(60) if i % 7 != 3)
    assert events == seals == distinct == 3 * per_process
    result = trail.verify(db.session)
    assert result.ok, result
    assert (result.events, result.head_seq, result.unsealed) == (events, events, 0)
    positions = db.session.execute(select(AuditSeal.pos).order_by(AuditSeal.pos)).scalars().all()
    assert positions == list(range(1, events + 1))


@pytest.mark.postgres
def test_a_sequencer_killed_mid_batch_loses_and_duplicates_nothing(app, database_url):
    for i in range(5):
        with UnitOfWork(SYSTEM) as uow:
            for j in range(10):
                uow.record("test_event", payload={"i": i, "j": j})
            uow.commit()
    sequencer.seal_pending(batch=20)
    head_before = trail.head(db.session)
    assert head_before["seq"] == 50
    with UnitOfWork(SYSTEM) as uow:
        for j in range(30):
            uow.record("test_event", payload={"after": j})
        uow.commit()
    crashed = _python(CRASHING_SEALER, database_url)
    _out, err = crashed.communicate(timeout=120)
    assert crashed.returncode == 9, err[-3000:]
    db.session.rollback()
    assert trail.head(db.session)["hash"] == head_before["hash"]  # the killed batch left nothing
    assert _sealed_once() == ((50, 50), 80)
    result = trail.verify(db.session)
    assert (result.ok, result.head_seq, result.unsealed) == (True, 50, 30)
    assert sequencer.seal_pending() == 30
    assert sequencer.seal_pending() == 0  # nothing sealed twice
    assert _sealed_once() == ((80, 80), 80)
    head = db.session.get(AuditHead, 1)
    assert head.seq == 80
    assert trail.verify(db.session, anchor=(head_before["seq"], head_before["hash"])).ok


@pytest.mark.postgres
def test_the_sequencer_seals_nothing_of_a_transaction_still_running(app, database_url):
    """A command's events become sealable only when every earlier transaction has finished: an open
    transaction holds back the horizon, so nothing committed after it can be chained ahead of it."""
    from workflow_app import create_app

    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t" * 40})
    with other.app_context():
        slow = UnitOfWork(SYSTEM).__enter__()
        slow.record("test_event", payload={"slow": True})
        trail.append(db.session, slow._resolve_events())  # written, not committed
        slow.events.clear()
        with app.app_context():
            with UnitOfWork(SYSTEM) as uow:
                uow.record("test_event", payload={"fast": True})
                uow.commit()
            assert sequencer.seal_pending() == 0  # the fast one waits behind the slow one
        db.session.commit()
        slow.__exit__(None, None, None)
    db.session.rollback()
    assert sequencer.seal_pending() == 2
    chain = db.session.execute(
        select(AuditEvent.payload).join(AuditSeal, AuditSeal.event_seq == AuditEvent.seq).order_by(AuditSeal.pos)
    ).scalars()
    assert list(chain) == [{"slow": True}, {"fast": True}]
    assert trail.verify(db.session).ok
