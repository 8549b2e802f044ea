"""How long completed steps and cases took, summarised per day and per month as they complete (the monitoring
dashboard)."""

from sqlalchemy import BigInteger, Column, Date, Integer, SmallInteger, String, Table

from ..extensions import db

BUCKET_COUNT = 128  # services/durations.py: bucket 0 is under a minute, then six buckets per doubling

duration_stat = Table(
    "duration_stat",
    db.metadata,
    Column("kind", String(8), primary_key=True),  # "step" (a user task) or "case" (a whole instance)
    Column("span", String(5), primary_key=True),  # "day", or "month" (the sum of the month's days)
    Column("day", Date, primary_key=True),  # the day of the completions in Tomsk; the first of the month for a month
    Column("process_id", String(128), primary_key=True),
    Column("task_def", String(128), primary_key=True),  # the user task's BPMN id; "" for a case
    # one of SHARDS rows per key that a command adds to (services/durations.py: no hot row); readers sum them
    Column("shard", SmallInteger, primary_key=True, default=0, server_default="0"),
    Column("name", String(300), nullable=False, default=""),  # the step's name as last completed
    Column("n", Integer, nullable=False, default=0),
    Column("total_ms", BigInteger, nullable=False, default=0),
    *(Column(f"b{i}", Integer, nullable=False, default=0, server_default="0") for i in range(BUCKET_COUNT)),
)
