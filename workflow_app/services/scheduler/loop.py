"""The long-running loop (tick, then sleep until the next due moment) and its heartbeats."""

import logging
import os
import socket
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import psycopg
from sqlalchemy import func, select

from ...engine import clock
from ...extensions import db
from ...models import ProcessInstance, SchedulerNode
from .. import timer_wakeups
from ..audit import sequencer
from ..people.actors import SCHEDULER
from ..uow import UnitOfWork
from .cycles import _iso
from .tick import TickResult, _postgres, next_due, tick

log = logging.getLogger(__name__)

MAX_SLEEP = timer_wakeups.MAX_SLEEP  # commands notify only timers due within it
RETRY_FAILED = timedelta(seconds=60)


# --- heartbeats and health ----------------------------------------------------------------------------


def node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat(
    node: str, mode: str, result: TickResult | None = None, *, error: str | None = None, stopped: bool = False
) -> None:
    try:
        with UnitOfWork(SCHEDULER) as uow:
            row = db.session.get(SchedulerNode, node)
            now = clock.now()
            if row is None:
                row = SchedulerNode(id=node, mode=mode, started_at=now, timers_fired=0, cycles_started=0)
                db.session.add(row)
            row.mode = mode
            if result is not None:
                row.last_tick_at = result.now
                row.next_due_at = result.next_due
                row.timers_fired = (row.timers_fired or 0) + len(result.fired)
                row.cycles_started = (row.cycles_started or 0) + len(result.started)
                late = result.max_late_s
                if late is not None:
                    row.last_lateness_s = late
                    row.max_lateness_s = max(late, row.max_lateness_s or 0.0)
            if error is not None:
                row.last_error = error
            row.stopped_at = now if stopped else None
            uow.commit()
    except Exception:  # health bookkeeping must never stop the scheduler
        db.session.rollback()
        log.exception("scheduler heartbeat failed")


HEARTBEAT_EVERY = timedelta(seconds=5)


def finish_due(last_beat: datetime | None, now: datetime) -> bool:
    return last_beat is None or now - last_beat >= HEARTBEAT_EVERY


def _merge(results: list[TickResult]) -> TickResult:
    """Several ticks reported in one heartbeat write (a busy loop ticks many times a second)."""
    last = results[-1]
    merged = TickResult(now=last.now, next_due=last.next_due)
    for r in results:
        merged.started += r.started
        merged.fired += r.fired
        merged.failed += r.failed
    return merged


@dataclass(frozen=True)
class SchedulerHealth:
    """The freshest scheduler process, what is due next and how late the timers run (a read model)."""

    running: bool
    processes: int
    last_tick_at: str | None
    next_due_at: str | None
    last_lateness_s: float | None
    max_lateness_s: float | None
    overdue_timers: int
    last_error: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def health(now: datetime | None = None) -> SchedulerHealth:
    """For /healthz and the admin page: the freshest scheduler, what is due next, lateness."""
    now = now or clock.now()
    nodes = db.session.execute(select(SchedulerNode).order_by(SchedulerNode.last_tick_at.desc())).scalars().all()
    alive = [
        n
        for n in nodes
        if n.stopped_at is None
        and n.mode != "tick"
        and n.last_tick_at is not None
        and now - n.last_tick_at <= MAX_SLEEP * 2 + timedelta(seconds=30)
    ]
    last = alive[0] if alive else (nodes[0] if nodes else None)
    overdue = db.session.execute(
        select(func.count(ProcessInstance.id)).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at < now - timedelta(minutes=2)
        )
    ).scalar()
    upcoming = next_due(now)
    return SchedulerHealth(
        running=bool(alive),
        processes=len(alive),
        last_tick_at=_iso(last.last_tick_at) if last else None,
        next_due_at=_iso(upcoming),
        last_lateness_s=last.last_lateness_s if last else None,
        max_lateness_s=max((n.max_lateness_s or 0.0 for n in nodes), default=None) if nodes else None,
        overdue_timers=overdue or 0,
        last_error=last.last_error if last else None,
    )


class SchedulerLoop:
    """Tick, then sleep until the next due moment (at most 30 s), woken early by new earlier timers.

    ``run()`` blocks (``flask scheduler run``); ``start()`` runs it in a daemon thread (``flask run-all``
    and tests). Each loop needs the Flask app; it works in its own app context.
    """

    def __init__(self, app, mode: str = "run", max_sleep: timedelta = MAX_SLEEP):
        self.app = app
        self.mode = mode
        self.max_sleep = max_sleep
        self.node = node_id() + ("" if mode == "run" else f":{mode}")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._planned: datetime | None = None
        self._failed: dict[int, datetime] = {}  # instance id -> retry at
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self.ticks = 0
        self._pending: list[TickResult] = []
        self._last_beat: datetime | None = None

    # called from other threads (session hook, LISTEN thread, admin actions)
    def notify(self, at: datetime | None) -> None:
        planned = self._planned
        if at is None or planned is None or at < planned:
            self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def start(self) -> "SchedulerLoop":
        self._thread = threading.Thread(target=self.run, name=f"scheduler-{self.mode}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        timer_wakeups.subscribe(self)
        sealer = sequencer.Sequencer(self.app).start()  # seals the audit trail (services/audit/trail.py)
        try:
            with self.app.app_context():
                if _postgres():
                    dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
                    self._listener = threading.Thread(
                        target=self._listen, args=(dsn,), name="scheduler-listen", daemon=True
                    )
                    self._listener.start()
                log.info("scheduler %s started (%s)", self.node, db.engine.dialect.name)
                while not self._stop.is_set():
                    self._once()
                heartbeat(self.node, self.mode, _merge(self._pending) if self._pending else None, stopped=True)
                db.session.remove()
        finally:
            sealer.stop()
            timer_wakeups.unsubscribe(self)

    def _once(self) -> None:
        now = clock.now()
        self._failed = {i: t for i, t in self._failed.items() if t > now}
        self._planned = None  # from here on every notification wakes us
        self._wake.clear()
        try:
            result = tick(now, skip_ids=self._failed.keys())
            for instance_id in result.failed:
                self._failed[instance_id] = now + RETRY_FAILED
            self.ticks += 1
            self._pending.append(result)
            if result.started or result.failed or finish_due(self._last_beat, now):
                heartbeat(self.node, self.mode, _merge(self._pending), error=None)
                self._pending, self._last_beat = [], now
            upcoming = result.next_due
        except Exception as exc:  # a lost database connection, ...: report and retry shortly
            db.session.rollback()
            log.exception("scheduler tick failed")
            heartbeat(self.node, self.mode, error=f"{type(exc).__name__}: {exc}"[:500])
            upcoming = clock.now() + timedelta(seconds=5)
        finish = clock.now()
        wake_at = finish + self.max_sleep
        if upcoming is not None:
            wake_at = min(wake_at, upcoming)
        if self._failed:
            wake_at = min(wake_at, min(self._failed.values()))
        self._planned = wake_at
        # a timer is due once its deadline has passed: wake just after it
        delay = (wake_at - clock.now()).total_seconds() + 0.002
        if delay > 0:
            self._wake.wait(delay)

    def _listen(self, dsn: str) -> None:
        """PostgreSQL: LISTEN for timers set by other processes (web workers) and wake the loop."""
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {timer_wakeups.NOTIFY_CHANNEL}")
                    self._wake.set()  # anything set while we were not listening
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            try:
                                at = datetime.fromisoformat(note.payload)
                            except ValueError:
                                at = None
                            self.notify(at)
            except Exception:  # the 30 s cap still bounds the delay meanwhile
                log.exception("scheduler LISTEN failed; polling every %s until it reconnects", self.max_sleep)
                self._stop.wait(5.0)
