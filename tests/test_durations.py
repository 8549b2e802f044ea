"""The monitoring dashboard's times come from a per-day summary kept as tasks and cases complete
(services/durations). They must give exactly what a straightforward computation over the task and case rows
gives: the count and the average to the millisecond, the 90th percentile (nearest rank) as the middle of the
bucket that holds the exact value, within ±6 % of it — on SQLite and on PostgreSQL, for completions through the
engine, for a table rebuilt from the rows and for the migration that back-fills an existing database."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import ROOT
from factories import actor, example_people
from flask_migrate import downgrade, upgrade
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask, ProcessInstance, ProcessModel, duration_stat
from workflow_app.services import durations
from workflow_app.services.cases import advance, start
from workflow_app.services.monitoring import dashboard
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

START = datetime(2027, 1, 11, 2, 0, tzinfo=UTC)
REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}


def _ms(started, ended) -> int:
    return max(0, round((ended - started).total_seconds() * 1000))


def _tomsk_day(moment) -> date:
    return moment.astimezone(clock.REGION_TZ).date()


def _reference(kind: str, first: date, last: date) -> dict:
    """(process, step) -> (count, average ms, exact 90th percentile ms by nearest rank), straight from the rows."""
    if kind == durations.STEP:
        rows = db.session.execute(
            select(HumanTask.process_id, HumanTask.task_def, HumanTask.created_at, HumanTask.completed_at).where(
                HumanTask.status == "completed"
            )
        ).all()
    else:
        rows = db.session.execute(
            select(
                ProcessInstance.process_id, literal(""), ProcessInstance.created_at, ProcessInstance.completed_at
            ).where(ProcessInstance.status == "completed")
        ).all()
    groups = defaultdict(list)
    for process_id, task_def, started, ended in rows:
        if first <= _tomsk_day(ended) <= last:
            groups[(process_id, task_def)].append(_ms(started, ended))
    out = {}
    for key, values in groups.items():
        values.sort()
        rank = -(-9 * len(values) // 10)  # ceil(0.9 n)
        out[key] = (len(values), sum(values) / len(values), values[rank - 1])
    return out


def _agrees(kind: str, first: date, last: date) -> int:
    expected = _reference(kind, first, last)
    got = {(pid, tdef): (n, avg, p90) for pid, tdef, _name, n, avg, p90 in durations.summarise(kind, first, last)}
    assert set(got) == set(expected), (kind, first, last)
    for key, (n, avg, exact) in expected.items():
        g_n, g_avg, g_p90 = got[key]
        assert (g_n, g_avg) == (n, avg), key
        assert g_p90 == durations.middle_ms(durations.bucket(exact)), key
        if durations.FIRST_EDGE_MS <= exact < durations.EDGES[-1]:
            assert abs(g_p90 - exact) <= durations.RESOLUTION * exact + 1  # edges are whole milliseconds, key
    return len(expected)


def _table() -> list[tuple]:
    """The table with its shards summed (a command adds to a random one of them)."""
    t = duration_stat.c
    key = [t.kind, t.span, t.day, t.process_id, t.task_def]
    sums = [func.sum(c) for c in duration_stat.columns if c.name == "n" or c.name == "total_ms" or c.name[1:].isdigit()]
    query = select(*key, func.max(t.name), *sums).group_by(*key)
    return sorted(tuple(r) for r in db.session.execute(query).all())


def test_concurrent_completions_spread_over_the_shards_and_read_as_one(app):
    """A command adds to one random shard of its rows, so completions of one step on one day do not all wait for
    the same row; the readers' figures are the same as with one row."""
    when = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    for i in range(40):
        with UnitOfWork(SYSTEM) as uow:
            task = HumanTask(
                process_id="p", task_def="t", name="Шаг", created_at=when - timedelta(hours=i + 1), completed_at=when
            )
            durations.task_completed(uow, task)
            uow.commit()
    shards = db.session.execute(select(func.count(func.distinct(duration_stat.c.shard)))).scalar_one()
    assert shards > 4  # 40 commands over 16 shards
    [(process_id, task_def, name, n, avg, _)] = durations.summarise(durations.STEP, date(2026, 3, 2), date(2026, 3, 2))
    assert (process_id, task_def, name, n) == ("p", "t", "Шаг", 40)
    assert avg == sum((i + 1) * 3_600_000 for i in range(40)) / 40


def _periods(rnd, around: date, n: int = 12) -> list[tuple[date, date]]:
    y = around.year
    out = [
        (around - timedelta(days=400), around + timedelta(days=400)),
        (date(y, 1, 1), date(y, 1, 31)),  # one whole month
        (date(y, 1, 1), date(y, 3, 31)),  # whole months only
        (date(y - 1, 12, 15), date(y, 2, 28)),  # days, two whole months
        (date(y, 1, 2), date(y, 2, 27)),  # no whole month
        (date(y, 1, 20), date(y, 1, 25)),
    ]
    for _ in range(n):
        a = around + timedelta(days=rnd.randint(-40, 40))
        out.append((a, a + timedelta(days=rnd.randint(0, 30))))
    return out


@pytest.mark.postgres_too
def test_completions_through_the_engine_keep_the_summary_exact(app, deployed):
    """Cases of the example chain walked with the clock moved by random amounts (minutes to weeks, across Tomsk
    midnights), some returned for rework: the summary written by the completions is the table rebuilt from the
    rows, and the dashboard's times equal the straightforward computation for every period."""
    people = example_people()
    officer, dpo = actor(people["officer1"]), actor(people["dpo"])
    rnd = random.Random(23)
    now = START
    try:
        for n in range(14):
            clock.set_clock(now)
            instance, [task] = start.start_process(officer, "example_approval", {"title": f"t{n}"}, f"DUR-{n}")
            instance_id = instance.id
            for _step in range(6):
                now += timedelta(hours=rnd.choice((0.02, 0.5, 3, 11, 30, 90, 400)) * rnd.uniform(0.5, 1.5))
                clock.set_clock(now)
                if task.task_def == "submit_request":
                    commands.complete(officer, task.id, REQUEST)
                else:
                    decision = rnd.choice(("return", "reject", "approve"))
                    comment = {"comment": "Уточните обоснование"} if decision != "approve" else {}
                    commands.complete(dpo, task.id, {"decision": decision, **comment})
                    if decision == "approve":  # the council's decision arrives later: the case ends then
                        now += timedelta(hours=rnd.uniform(1, 200))
                        clock.set_clock(now)
                        with UnitOfWork(SYSTEM) as uow:
                            message = {"approved": rnd.random() < 0.5}
                            advance.deliver_message(uow, SYSTEM, instance_id, "council_decision", message)
                            uow.commit()
                nxt = db.session.execute(
                    select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                ).scalar()
                if nxt is None:
                    break
                task = nxt
            now -= timedelta(hours=rnd.uniform(0, 300))  # the next case starts earlier: periods overlap
    finally:
        clock.set_clock(None)
    completed_cases = db.session.execute(select(ProcessInstance.id).where(ProcessInstance.status == "completed")).all()
    assert len(completed_cases) >= 5
    live = _table()
    completed = db.session.query(HumanTask).filter_by(status="completed").count()
    for span in ("day", "month"):  # every completed task counted once in its day's row and once in its month's
        assert sum(r[6] for r in live if r[0] == "step" and r[1] == span) == completed
    for first, last in _periods(rnd, START.date()):
        _agrees(durations.STEP, first, last)
        _agrees(durations.CASE, first, last)
    durations.rebuild()
    assert _table() == live  # what the completions wrote is what the rows say
    db.session.rollback()

    report = dashboard.step_times(SYSTEM, "2026-12-01", "2027-04-30")["rows"]
    expected = _reference(durations.STEP, date(2026, 12, 1), date(2027, 4, 30))
    by_label = {r["label"]: r for r in report}
    review = expected[("example_approval", "review_request")]
    assert by_label["Рассмотреть заявку"]["count"] == review[0]
    assert by_label["Рассмотреть заявку"]["avg_hours"] == round(review[1] / 3_600_000, 1)


def _random_rows(rnd, model_id: int, cases: int = 60) -> None:
    """Cases and task rows inserted around the services: durations from zero to five years, some exactly on a
    bucket's edge, completions on both sides of Tomsk midnights; open and cancelled tasks that never count."""
    edges = durations.EDGES
    base = datetime(2027, 2, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Tomsk
    for c in range(cases):
        created = base + timedelta(days=rnd.randint(-30, 30), seconds=rnd.choice((0, 1, 2, 3600)))
        completed = rnd.random() < 0.6
        inst = ProcessInstance(
            model_id=model_id,
            process_id=rnd.choice(("example_approval", "chain_b")),
            business_key=f"R-{c}",
            title="r",
            status="completed" if completed else rnd.choice(("running", "terminated")),
            state="{}",
            created_at=created,
            updated_at=created,
            completed_at=created + timedelta(hours=rnd.expovariate(1 / 200)) if completed else None,
        )
        db.session.add(inst)
        db.session.flush()
        for k in range(rnd.randint(1, 40)):
            kind = rnd.random()
            if kind < 0.1:
                took = timedelta(milliseconds=edges[rnd.randrange(len(edges))] + rnd.choice((-1, 0, 1)))
            elif kind < 0.15:
                took = timedelta(days=rnd.choice((0, 1500, 1800)), seconds=rnd.choice((0, 30)))
            else:
                took = timedelta(hours=rnd.lognormvariate(2, 2))
            status = rnd.choice(("completed",) * 6 + ("open", "cancelled"))
            db.session.add(
                HumanTask(
                    instance_id=inst.id,
                    engine_task_id=f"r-{c}-{k}",
                    task_def=rnd.choice(("a", "b", "c")),
                    name="Шаг",
                    process_id=inst.process_id,
                    status=status,
                    created_at=created,
                    completed_at=created + took if status != "open" else None,
                )
            )
    db.session.commit()


@pytest.mark.postgres_too
def test_the_summary_of_random_rows_equals_the_straightforward_computation(app, deployed):
    rnd = random.Random(2027)
    model_id = db.session.execute(select(ProcessModel.id)).scalars().first()
    _random_rows(rnd, model_id)
    durations.rebuild()
    db.session.commit()
    groups = 0
    for first, last in _periods(rnd, date(2027, 2, 1), n=25):
        groups += _agrees(durations.STEP, first, last) + _agrees(durations.CASE, first, last)
    assert groups > 50


@pytest.mark.postgres_too
def test_the_migration_back_fills_what_the_rows_say(app, deployed):
    """A database with completed tasks and cases before the summary existed: the migration fills it with
    exactly what a rebuild from the rows gives (its own copy of the buckets agrees with the service's)."""
    rnd = random.Random(5)
    model_id = db.session.execute(select(ProcessModel.id)).scalars().first()
    db.session.commit()
    _random_rows(rnd, model_id, cases=30)  # inserted around the services: no summary rows
    db.session.remove()
    migrations = str(ROOT / "migrations")
    downgrade(directory=migrations, revision="0023_council_instructions")  # the summary table goes
    upgrade(directory=migrations, revision="heads")
    back_filled = _table()
    assert len(back_filled) > 20
    durations.rebuild()
    assert _table() == back_filled
    db.session.rollback()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200 * 365 * 86_400_000), min_size=1, max_size=60))
def test_the_histogram_finds_the_bucket_of_the_exact_percentile(values):
    counts = [0] * durations.BUCKET_COUNT
    for v in values:
        counts[durations.bucket(v)] += 1
    exact = sorted(values)[-(-9 * len(values) // 10) - 1]
    index = durations.percentile_bucket(counts, len(values))
    assert index == durations.bucket(exact)
    middle = durations.middle_ms(index)
    if durations.FIRST_EDGE_MS <= exact < durations.EDGES[-1]:
        assert abs(middle - exact) <= durations.RESOLUTION * exact + 1  # edges are whole milliseconds
