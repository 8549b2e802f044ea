"""the monitoring dashboard at 100,000 cases: durations of completed steps and cases summarised per day and per
month (count, sum, histogram) as they complete, back-filled here from the rows; open tasks counted from two covering indexes; the
two period indexes the times were read through before are dropped

Revision ID: 0024_duration_summary
Revises: 0023_council_instructions
Create Date: 2026-12-07 04:10:00

"""

from bisect import bisect_right
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0024_duration_summary"
down_revision = "0023_council_instructions"
branch_labels = None
depends_on = None

# The buckets as services/durations.py defines them at this revision (a migration keeps its own copy).
BUCKET_COUNT = 128
EDGES = [round(60_000 * 2 ** (i / 6)) for i in range(BUCKET_COUNT - 1)]
TOMSK = ZoneInfo("Asia/Tomsk")
UTC = ZoneInfo("UTC")


def upgrade():
    stat = op.create_table(
        "duration_stat",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("span", sa.String(5), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("process_id", sa.String(128), primary_key=True),
        sa.Column("task_def", sa.String(128), primary_key=True),
        sa.Column("shard", sa.SmallInteger, primary_key=True, server_default="0"),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("total_ms", sa.BigInteger, nullable=False),
        *(sa.Column(f"b{i}", sa.Integer, nullable=False, server_default="0") for i in range(BUCKET_COUNT)),
    )
    op.create_index("ix_task_open_units", "human_task", ["status", "candidate_group", "org_scope_id", "due_at"])
    op.create_index("ix_task_open_chains", "human_task", ["status", "process_id", "due_at"])
    op.drop_index("ix_task_completed", table_name="human_task")
    op.drop_index("ix_instance_completed", table_name="process_instance")
    _backfill(op.get_bind(), stat)


def _aware(moment):
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite stores naive UTC


def _backfill(bind, stat):
    rows: dict[tuple, dict] = {}

    def add(key, name, started, ended):
        started, ended = _aware(started), _aware(ended)
        ms = max(0, round((ended - started).total_seconds() * 1000))
        day = ended.astimezone(TOMSK).date()
        for span, first in (("day", day), ("month", day.replace(day=1))):
            row = rows.setdefault((key[0], span, first, *key[1:]), {"name": "", "n": 0, "total_ms": 0})
            row["name"] = name or row["name"]
            row["n"] += 1
            row["total_ms"] += ms
            b = f"b{bisect_right(EDGES, ms)}"
            row[b] = row.get(b, 0) + 1

    task = sa.table(
        "human_task",
        sa.column("process_id"),
        sa.column("task_def"),
        sa.column("name"),
        sa.column("status"),
        sa.column("created_at", sa.DateTime),
        sa.column("completed_at", sa.DateTime),
        sa.column("id"),
    )
    tasks = (
        sa.select(task.c.process_id, task.c.task_def, task.c.name, task.c.created_at, task.c.completed_at)
        .where(task.c.status == "completed", task.c.completed_at.is_not(None))
        .order_by(task.c.completed_at, task.c.id)
    )
    for process_id, task_def, name, started, ended in bind.execute(tasks):
        add(("step", process_id, task_def), name, started, ended)
    instance = sa.table(
        "process_instance",
        sa.column("process_id"),
        sa.column("status"),
        sa.column("created_at", sa.DateTime),
        sa.column("completed_at", sa.DateTime),
    )
    cases = sa.select(instance.c.process_id, instance.c.created_at, instance.c.completed_at).where(
        instance.c.status == "completed", instance.c.completed_at.is_not(None)
    )
    for process_id, started, ended in bind.execute(cases):
        add(("case", process_id, ""), "", started, ended)
    values = [
        {
            "kind": kind,
            "span": span,
            "day": day,
            "process_id": process_id,
            "task_def": task_def,
            "shard": 0,
            **{f"b{i}": 0 for i in range(BUCKET_COUNT)},
            **row,
        }
        for (kind, span, day, process_id, task_def), row in sorted(rows.items())
    ]
    for start in range(0, len(values), 1000):
        bind.execute(sa.insert(stat), values[start : start + 1000])


def downgrade():
    op.create_index("ix_instance_completed", "process_instance", ["status", "completed_at"])
    op.create_index("ix_task_completed", "human_task", ["status", "completed_at"])
    op.drop_index("ix_task_open_chains", table_name="human_task")
    op.drop_index("ix_task_open_units", table_name="human_task")
    op.drop_table("duration_stat")
