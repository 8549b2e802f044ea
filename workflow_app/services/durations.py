"""How long completed steps and cases took, kept summarised as they complete (the monitoring dashboard, #23).

Every completion adds to two rows of ``duration_stat`` for its step (or case): the day's (in Tomsk) and the
month's. Each row holds how many completed, the sum of their durations in milliseconds and a histogram of the
durations over fixed buckets. A period's times then sum the months that lie wholly inside it and the days at its
two ends (a few dozen rows per step) instead of reading every completed task: the count and the average are
exact, the 90th percentile (nearest rank) is the middle of the bucket that holds it — within ``RESOLUTION``
(±6 %) of the exact value.

The rows are written inside the command that completes the task or the case (``task_completed``,
``case_completed``): the deltas are collected on the unit of work and written just before it commits, in one
upsert with its rows in key order (so two commands never wait for each other's rows in opposite orders); a
rolled-back command writes none. Each command adds to one of ``SHARDS`` rows per key, picked at random: with a
single row per step and day, every completion of that step in the whole deployment would wait for the previous
one's commit (a hot row, a global serial point under load); the readers sum the shards. ``rebuild`` recomputes the whole table from the task and case rows (for data
written around the services, as the benchmark's bulk insert does).
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from math import sqrt
from random import randrange

from sqlalchemy import TextClause, bindparam, delete, func, insert, select, text, union_all

from ..engine import clock
from ..extensions import db
from ..models import BUCKET_COUNT, HumanTask, ProcessInstance, duration_stat
from .uow import UnitOfWork

PER_DOUBLING = 6
FIRST_EDGE_MS = 60_000
# bucket 0: under a minute; bucket i (1..BUCKET_COUNT-2): [EDGES[i-1], EDGES[i]); the last: four years and more
EDGES = [round(FIRST_EDGE_MS * 2 ** (i / PER_DOUBLING)) for i in range(BUCKET_COUNT - 1)]
RESOLUTION = 2 ** (1 / (2 * PER_DOUBLING)) - 1  # the middle of a bucket is within ±6 % of any value in it
STEP, CASE = "step", "case"
DAY, MONTH = "day", "month"
_PENDING = "durations"
SHARDS = 16


def bucket(ms: int) -> int:
    return bisect_right(EDGES, ms)


def middle_ms(index: int) -> float:
    """The value a bucket stands for: the geometric middle of its edges (half a minute for the first)."""
    if index == 0:
        return FIRST_EDGE_MS / 2
    if index >= len(EDGES):
        return float(EDGES[-1])
    return sqrt(EDGES[index - 1] * EDGES[index])


def duration_ms(started: datetime, ended: datetime) -> int:
    return max(0, round((ended - started).total_seconds() * 1000))


def day_of(moment: datetime) -> date:
    return moment.astimezone(clock.REGION_TZ).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass
class _Delta:
    name: str = ""
    n: int = 0
    total_ms: int = 0
    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, ms: int, sign: int) -> None:
        self.name = name or self.name
        self.n += sign
        self.total_ms += sign * ms
        self.buckets[bucket(ms)] += sign


def _pending(uow: UnitOfWork) -> dict:
    pending = uow.info.get(_PENDING)
    if pending is None:
        pending = uow.info[_PENDING] = {}
        uow.before_commit(lambda: _write(uow.info.pop(_PENDING, {})))
    return pending


def _add(rows: dict, kind, process_id, task_def, name, started: datetime, ended: datetime, sign: int = 1) -> None:
    """Add one duration to the day's and the month's rows of ``rows`` (key -> _Delta)."""
    day, ms = day_of(ended), duration_ms(started, ended)
    rows.setdefault((kind, DAY, day, process_id, task_def), _Delta()).add(name, ms, sign)
    rows.setdefault((kind, MONTH, month_of(day), process_id, task_def), _Delta()).add(name, ms, sign)


def task_completed(uow: UnitOfWork, task: HumanTask) -> None:
    """``task`` has just been completed (its ``completed_at`` set) in this command."""
    assert task.completed_at is not None
    _add(_pending(uow), STEP, task.process_id, task.task_def, task.name, task.created_at, task.completed_at)


def case_completed(uow: UnitOfWork, instance: ProcessInstance, *, undo: bool = False) -> None:
    """``instance`` has just completed in this command (``undo``: the command takes that completion back)."""
    assert instance.completed_at is not None
    sign = -1 if undo else 1
    _add(_pending(uow), CASE, instance.process_id, "", "", instance.created_at, instance.completed_at, sign)


def _values(key: tuple, delta: _Delta, columns, shard: int = 0) -> dict:
    kind, span, day, process_id, task_def = key
    return {
        "kind": kind,
        "span": span,
        "day": day,
        "process_id": process_id,
        "task_def": task_def,
        "shard": shard,
        "name": delta.name,
        "n": delta.n,
        "total_ms": delta.total_ms,
        **{f"b{i}": delta.buckets.get(i, 0) for i in columns},
    }


def _write(pending: dict) -> None:
    """Upsert every row the command adds to, in key order (so two commands never wait for each other's rows in
    opposite orders). Rows in a run with the same histogram buckets (a step's day and month) go in one statement
    naming only those buckets: a completion sends one INSERT of two rows with a dozen values, not 138 columns."""
    rows = [(k, d) for k, d in sorted(pending.items()) if d.n or d.total_ms or any(d.buckets.values())]
    shard = randrange(SHARDS)
    for touched, grouped in groupby(rows, key=lambda row: _touched(row[1])):
        run = list(grouped)
        params = {}
        for n, (key, delta) in enumerate(run):
            params.update({f"{name}_{n}": value for name, value in _values(key, delta, touched, shard).items()})
        db.session.execute(_upsert(touched, len(run)), params)


def _touched(delta: _Delta) -> tuple[int, ...]:
    return tuple(sorted(i for i, count in delta.buckets.items() if count))


@lru_cache(maxsize=256)
def _upsert(buckets: tuple[int, ...], rows: int) -> TextClause:
    """The upsert of ``rows`` rows adding to the histogram ``buckets``, as SQL text (the same words on PostgreSQL
    and SQLite; built once per shape). SQLAlchemy caches a text statement's compiled form; its
    ``insert().on_conflict_do_update()`` construct has no cache key, so that form was compiled afresh for every
    completion (~2 ms of CPU over 138 columns); and sending all 138 columns twice cost psycopg as much again.
    Binds are typed from the table's columns."""
    table, keys = duration_stat.name, [c.name for c in duration_stat.primary_key]
    added = ["n", "total_ms", *(f"b{i}" for i in buckets)]
    names = [*keys, "name", *added]
    values = ", ".join("(" + ", ".join(f":{name}_{n}" for name in names) + ")" for n in range(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        f"name = CASE WHEN excluded.name = '' THEN {table}.name ELSE excluded.name END, "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in added)
    )
    types = {c.name: c.type for c in duration_stat.c}
    return text(sql).bindparams(*(bindparam(f"{name}_{n}", type_=types[name]) for n in range(rows) for name in names))


# --- reading -----------------------------------------------------------------------------------------------


def summarise(kind: str, first: date, last: date) -> list[tuple]:
    """(process id, task def, name, count, average ms, 90th percentile ms) per step or case completed between
    ``first`` and ``last`` (days in Tomsk, both inclusive): the months wholly inside the period, the days outside
    them."""
    t = duration_stat.c
    months_from = month_of(first) if first.day == 1 else _next_month(first)
    months_to = _next_month(last) if _next_month(last) - timedelta(days=1) == last else month_of(last)
    months_to = max(months_to, months_from)  # [months_from, months_to): the whole months
    columns = [t.process_id, t.task_def, t.name, t.n, t.total_ms, *(t[f"b{i}"] for i in range(BUCKET_COUNT))]
    parts = union_all(  # three index ranges (an OR of them would read the whole kind)
        select(*columns).where(t.kind == kind, t.span == MONTH, t.day >= months_from, t.day < months_to),
        select(*columns).where(
            t.kind == kind, t.span == DAY, t.day >= first, t.day < min(months_from, last + timedelta(days=1))
        ),
        select(*columns).where(t.kind == kind, t.span == DAY, t.day >= max(months_to, first), t.day <= last),
    ).subquery()
    p = parts.c
    rows = db.session.execute(
        select(
            p.process_id,
            p.task_def,
            func.max(p.name),
            func.sum(p.n),
            func.sum(p.total_ms),
            *(func.sum(p[f"b{i}"]) for i in range(BUCKET_COUNT)),
        ).group_by(p.process_id, p.task_def)
    ).all()
    out = []
    for process_id, task_def, name, n, total, *counts in rows:
        if not n:
            continue
        p90 = middle_ms(percentile_bucket(counts, n))
        out.append((process_id, task_def, name, int(n), int(total) / int(n), p90))
    return out


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def percentile_bucket(counts, n: int) -> int:
    """The bucket of the 90th percentile by nearest rank: the ceil(0.9 n)-th smallest value."""
    rank = (9 * int(n) + 9) // 10
    seen = 0
    for index, count in enumerate(counts):
        seen += int(count or 0)
        if seen >= rank:
            return index
    return len(counts) - 1


# --- rebuilding from the rows ------------------------------------------------------------------------------


def rebuild() -> int:
    """Recompute the whole table from the completed tasks and cases (in the caller's transaction); returns the
    number of rows written."""
    db.session.execute(delete(duration_stat))
    rows: dict[tuple, _Delta] = {}
    tasks = select(
        HumanTask.process_id, HumanTask.task_def, HumanTask.name, HumanTask.created_at, HumanTask.completed_at
    ).where(HumanTask.status == "completed", HumanTask.completed_at.is_not(None))
    tasks = tasks.order_by(HumanTask.completed_at, HumanTask.id)  # a step's name: as it was last completed
    for process_id, task_def, name, started, ended in db.session.execute(tasks.execution_options(yield_per=10_000)):
        if ended is not None:  # (the query's own condition: for the type checker)
            _add(rows, STEP, process_id, task_def, name, started, ended)
    cases = select(ProcessInstance.process_id, ProcessInstance.created_at, ProcessInstance.completed_at).where(
        ProcessInstance.status == "completed", ProcessInstance.completed_at.is_not(None)
    )
    for process_id, started, ended in db.session.execute(cases.execution_options(yield_per=10_000)):
        if ended is not None:
            _add(rows, CASE, process_id, "", "", started, ended)
    values = [_values(key, delta, range(BUCKET_COUNT)) for key, delta in sorted(rows.items())]
    for start in range(0, len(values), 1000):
        db.session.execute(insert(duration_stat), values[start : start + 1000])
    return len(values)
