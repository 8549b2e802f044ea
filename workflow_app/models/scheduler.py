"""The scheduler's records: yearly cycle definitions (data, not code) and one heartbeat row per scheduler."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class CycleDefinition(db.Model):
    """A recurring start of a process, e.g. the КЦП campaign every 1 April 09:00 (Asia/Tomsk).

    ``cron`` is a 5-field crontab expression evaluated in ``timezone`` by APScheduler's CronTrigger.
    ``key_template`` / ``business_key_template`` / ``title_template`` / ``start_data`` use the names
    {year}, {next_year}, {month}, {day}, {date} of the due moment in that zone. ``last_due_at`` is the
    cursor: the latest cron moment already dealt with; a due moment before ``active_from`` never fires.
    """

    __tablename__ = "scheduler_cycle"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the cycle's code, e.g. "kcp_campaign"
    name: Mapped[str] = mapped_column(String(300))
    process_id: Mapped[str] = mapped_column(String(128))
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tomsk")
    key_template: Mapped[str] = mapped_column(String(100), default="{year}")
    business_key_template: Mapped[str] = mapped_column(String(200), default="{year}")
    title_template: Mapped[str] = mapped_column(String(300), default="")
    start_data: Mapped[dict] = mapped_column(JSON, default=dict)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_cycle_key: Mapped[str | None] = mapped_column(String(100))
    last_instance_id: Mapped[int | None] = mapped_column(Integer)
    last_lateness_s: Mapped[float | None] = mapped_column(Float)
    last_warning: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerNode(db.Model):
    """Health of one scheduler process (``host:pid``): last tick, what is due next, how late it fired."""

    __tablename__ = "scheduler_node"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="run")  # run | run-all | tick
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_tick_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_lateness_s: Mapped[float | None] = mapped_column(Float)  # worst lateness of the last tick that fired
    max_lateness_s: Mapped[float | None] = mapped_column(Float)
    timers_fired: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cycles_started: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
