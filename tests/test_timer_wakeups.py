"""Timer wake-ups: the one path by which a command tells the scheduler loops that a timer was set."""

from datetime import UTC, datetime, timedelta

import pytest

from workflow_app.services import timer_wakeups
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.uow import UnitOfWork

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Loop:
    def __init__(self):
        self.woken = []

    def notify(self, at):
        self.woken.append(at)


@pytest.fixture
def loop():
    probe = Loop()
    timer_wakeups.subscribe(probe)
    yield probe
    timer_wakeups.unsubscribe(probe)


@pytest.mark.postgres_too
def test_a_command_wakes_the_loops_once_after_its_commit_with_its_earliest_timer(app, loop):
    with UnitOfWork(SYSTEM) as uow:
        timer_wakeups.timer_set(uow, AT + timedelta(minutes=5))
        timer_wakeups.timer_set(uow, AT)
        timer_wakeups.timer_set(uow, AT + timedelta(minutes=1))
        assert loop.woken == []  # nothing before the commit
        uow.commit()
    assert loop.woken == [AT]


@pytest.mark.postgres_too
def test_a_command_rolled_back_wakes_nobody(app, loop):
    with UnitOfWork(SYSTEM) as uow:
        timer_wakeups.timer_set(uow, AT)
    assert loop.woken == []


def test_the_services_reach_the_scheduler_only_through_the_wake_up_module():
    """cases.advance does not import the scheduler (the cycle is gone); the wake-up module is a leaf."""
    import ast
    from pathlib import Path

    services = Path(timer_wakeups.__file__).parent
    imported = {
        alias.name
        for node in ast.walk(ast.parse((services / "cases" / "advance.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert "scheduler" not in imported and "timer_wakeups" in imported
    leaf = ast.parse(Path(timer_wakeups.__file__).read_text(encoding="utf-8"))
    relative = [n.module for n in ast.walk(leaf) if isinstance(n, ast.ImportFrom) and n.level > 0]
    assert relative == ["engine"]  # the clock only: nothing of the services


@pytest.mark.postgres_too
def test_a_timer_beyond_the_loops_longest_sleep_wakes_nobody(app, loop):
    """The loops look at the database at least every MAX_SLEEP: a later timer needs no notice (and the command
    no round trip for it)."""
    from workflow_app.engine import clock

    with UnitOfWork(SYSTEM) as uow:
        timer_wakeups.timer_set(uow, clock.now() + timer_wakeups.MAX_SLEEP + timedelta(minutes=1))
        uow.commit()
    assert loop.woken == []
