"""Timer lateness: 1,000 timers due across one minute, fired by a real `flask scheduler run` process.

Each instance of tests/data/scheduler/timer_at.bpmn waits on a timer whose timeDate is the per-instance
variable ``fire_at``; the due moments are spread evenly over 60 s. The instances are created first (on a
fresh SQLite file, the embedded default), then the scheduler starts as its own process and the benchmark
waits until every instance has completed. Lateness = the fire time recorded in the ``timer_fired`` audit
event (its ``occurred_at``, the commit) minus the due time (``due_at`` in the same event). Target: p99 < 1 s.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.common import ROOT, percentile, sqlite_app

TIMERS = int(os.environ.get("BENCH_TIMERS", "1000"))
SPREAD_S = float(os.environ.get("BENCH_TIMER_SPREAD_S", "60"))
FIXTURE = ROOT / "tests" / "data" / "scheduler" / "timer_at.bpmn"


def _start(fire_ats):
    """Start one instance per due moment, 50 to a transaction (the set-up, not what is measured)."""
    from workflow_app.services.cases import advance
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.uow import UnitOfWork

    ids = []
    for i in range(0, len(fire_ats), 50):
        with UnitOfWork(SYSTEM) as uow:
            started = [
                advance.start_instance(uow, SYSTEM, "sched_timer_at", {"fire_at": at.isoformat()})
                for at in fire_ats[i : i + 50]
            ]
            uow.commit()
        ids += [inst.id for inst in started]
    return ids


def main():
    from datetime import datetime

    from sqlalchemy import func, select

    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.models import AuditEvent, ProcessInstance
    from workflow_app.services import scheduler
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    with sqlite_app() as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        deployment.deploy_path(SYSTEM, FIXTURE)
        for cycle in scheduler.list_cycles(SYSTEM):
            scheduler.set_paused(SYSTEM, cycle.id, True)
        # calibrate: how fast can instances be created here (these wait a day and stay out of the way)
        later = clock.now() + timedelta(days=1)
        _start([later] * 5)  # warm-up: parse and cache the model, first connections
        t0 = time.perf_counter()
        _start([later] * 50)
        per_instance = (time.perf_counter() - t0) / 50
        lead = per_instance * TIMERS * 1.25 + 6.0  # creation + the scheduler's start-up, with a margin
        first_due = clock.now() + timedelta(seconds=lead)
        step = SPREAD_S / TIMERS
        created0 = time.perf_counter()
        ids = _start([first_due + timedelta(seconds=i * step) for i in range(TIMERS)])
        created_s = time.perf_counter() - created0
        db.session.remove()
        env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py", PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "flask"), "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        startup_at = clock.now()
        deadline = time.monotonic() + lead + SPREAD_S + 30
        remaining = TIMERS
        try:
            while time.monotonic() < deadline:
                time.sleep(1.0)
                db.session.rollback()
                remaining = db.session.execute(
                    select(func.count(ProcessInstance.id)).where(
                        ProcessInstance.id.in_(ids), ProcessInstance.status == "running"
                    )
                ).scalar()
                if remaining == 0:
                    break
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _out, err = proc.communicate()
        events = db.session.execute(
            select(AuditEvent.occurred_at, AuditEvent.payload).where(
                AuditEvent.kind == "timer_fired", AuditEvent.instance_id.in_(ids)
            )
        ).all()
        late = [(occurred - datetime.fromisoformat(payload["due_at"])).total_seconds() for occurred, payload in events]
        early = sum(1 for x in late if x < 0)
        print(
            f"bench_timers: {TIMERS} timers due across {SPREAD_S:.0f} s, fired by `flask scheduler run` "
            f"({db.engine.dialect.name})"
        )
        print(
            f"  created in {created_s:.1f} s ({per_instance * 1000:.1f} ms each); scheduler started "
            f"{(first_due - startup_at).total_seconds():.1f} s before the first due moment"
        )
        print(f"  fired {len(late)} / {TIMERS} (still waiting: {remaining}; fired early: {early})")
        if late:
            print(
                f"  lateness p50 {percentile(late, 50) * 1000:.0f} ms, p99 {percentile(late, 99) * 1000:.0f} ms, "
                f"max {max(late) * 1000:.0f} ms  (target p99 < 1000 ms: "
                f"{'met' if percentile(late, 99) < 1.0 and len(late) == TIMERS else 'NOT met'})"
            )
        if proc.returncode not in (0, -signal.SIGTERM):
            print(f"  scheduler exited {proc.returncode}: {err[-2000:]}")
        return {
            "fired": len(late),
            "p50": percentile(late, 50),
            "p99": percentile(late, 99),
            "max": max(late) if late else None,
        }


if __name__ == "__main__":
    main()
