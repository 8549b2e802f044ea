"""``make faults``: the load of load_pg, with faults injected while it runs, then the same checks.

1. kill -9 a gunicorn worker (gunicorn starts a new one; its in-flight requests are lost to the client);
2. crash PostgreSQL (pg_ctl stop -m immediate) and start it again (crash recovery);
3. kill -9 a running scheduler process (``flask scheduler run``: its audit sequencer seals every half second,
   so it dies mid-sequencing or between batches) and start another;
4. kill -9 another worker;
5. after the load: instances waiting for review, a scheduler tick (``flask scheduler tick --now <+30 days>``,
   so every review timer is due) killed with SIGKILL mid-tick, then a normal tick to finish the work.

Clients retry connection errors and 503s (re-reading the state before repeating a command, so a lost answer
never becomes a double action). Afterwards: nothing confirmed is lost, every instance's open tasks match the
engine's READY user tasks (no half-advanced instance), no task completed twice, every audit event sealed
exactly once and the trail verifies.

    python -m benchmarks.faults_pg [--clients 50] [--seconds 30] [--hosts 2]
"""

import argparse
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from benchmarks.pg_harness import BIN, REQUEST, ROOT, Deployment, Http, Stats, Workload, check, print_report


def inject(dep, seconds, log):
    plan = [(0.2, "kill_worker"), (0.45, "restart_postgres"), (0.6, "kill_scheduler"), (0.7, "kill_worker")]
    start = time.time()
    for at, action in plan:
        time.sleep(max(0, start + at * seconds - time.time()))
        t = time.time()
        if action == "kill_worker":
            pid = dep.kill_worker()
            log.append({"at_s": round(t - start, 1), "fault": f"SIGKILL gunicorn worker {pid}"})
        elif action == "kill_scheduler":
            pid = dep.kill_scheduler(0)
            log.append({"at_s": round(t - start, 1), "fault": f"SIGKILL scheduler process {pid} (tick / sequencer)"})
        else:
            dep.restart_postgres(down_seconds=1.5)
            log.append(
                {
                    "at_s": round(t - start, 1),
                    "fault": "PostgreSQL crashed (immediate stop) and restarted",
                    "down_s": round(time.time() - t, 1),
                }
            )


def waiting_instances(dep, people, count):
    """Instances left at the review step (their boundary timer will be due at the scheduler's tick)."""
    http_ = Http(dep.port, Stats())
    officer = people["officers"][0]
    token = people["tokens"][officer]
    ids = []
    for i in range(count):
        status, inst = http_.call(
            "POST",
            "/processes/example_approval/instances",
            token,
            {"data": {"title": "timer"}, "business_key": f"TIMER-{i}"},
        )
        assert status == 201, (status, inst)
        status, _ = http_.call("POST", f"/tasks/{inst['tasks'][0]['id']}/complete", token, {"data": REQUEST})
        assert status == 200
        ids.append(inst["id"])
    return ids


def scheduler_kill(dep, log):
    """SIGKILL a scheduler tick while it fires timers, then let a fresh tick finish the work."""
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    proc = subprocess.Popen(
        [str(BIN / "flask"), "scheduler", "tick", "--now", future],
        cwd=ROOT,
        env=dep.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until the tick has fired at least one timer (an escalation task appeared), then kill it
    import psycopg

    deadline = time.time() + 60
    fired = 0
    with psycopg.connect(
        f"host=127.0.0.1 port={dep.cluster.port} user=postgres dbname=soglasie", autocommit=True
    ) as conn:
        while time.time() < deadline and proc.poll() is None:
            fired = conn.execute("SELECT count(*) FROM human_task WHERE task_def = 'escalated_review'").fetchone()[0]
            if fired:
                break
            time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        proc.kill()
    proc.wait()
    log.append(
        {
            "fault": "SIGKILL scheduler tick mid-run" if killed else "scheduler tick finished before the kill",
            "timers_fired_before_kill": fired,
        }
    )
    again = subprocess.run(
        [str(BIN / "flask"), "scheduler", "tick", "--now", future],
        cwd=ROOT,
        env=dep.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log.append({"recovery": "second scheduler tick", "rc": again.returncode, "output": again.stdout.strip()[-300:]})
    return again.returncode == 0


def check_timers(dep, ids):
    """Every timer instance has exactly one open task: the escalated review; the review was cancelled once."""
    from collections import Counter

    from sqlalchemy import select

    from workflow_app.extensions import db
    from workflow_app.models import HumanTask

    app = dep.app()
    problems = []
    with app.app_context():
        for inst_id in ids:
            rows = db.session.execute(select(HumanTask).where(HumanTask.instance_id == inst_id)).scalars().all()
            open_defs = Counter(t.task_def for t in rows if t.status == "open")
            if open_defs != Counter({"escalated_review": 1}):
                problems.append(f"timer instance {inst_id}: open {dict(open_defs)}")
        db.session.remove()
        db.engine.dispose()
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--timer-instances", type=int, default=30)
    parser.add_argument("--hosts", type=int, default=1)
    args = parser.parse_args(argv)
    dep = Deployment(workers=4, hosts=args.hosts, schedulers=2)
    faults = []
    try:
        people = dep.prepare()
        dep.start_web()
        dep.start_schedulers()
        workload = Workload(dep, people, clients=args.clients, seconds=args.seconds, run_id="FAULT")
        injector = threading.Thread(target=inject, args=(dep, args.seconds, faults), daemon=True)
        injector.start()
        summary = workload.run()
        injector.join()
        workers_after = len(dep.worker_pids())
        timer_ids = waiting_instances(dep, people, args.timer_instances)
        scheduler_ok = scheduler_kill(dep, faults)
        report = check(dep, workload)
        report["problems"] += check_timers(dep, timer_ids)
        report["scheduler_recovered"] = scheduler_ok
        report["workers_after"] = workers_after
    finally:
        dep.stop()
    server_errors = {k: n for k, n in summary["statuses"].items() if int(k.rsplit(" ", 1)[1]) >= 500}
    connection_errors = sum(n for k, n in summary["statuses"].items() if k.endswith(" 0"))
    completed = report.get("instances_by_status", {}).get("completed", 0)
    extra = {
        "faults": faults,
        "http_5xx": server_errors,
        "connection_errors_retried": connection_errors,
        "instances_completed": completed,
        "client_problems": workload.problems[:20],
        "gunicorn_log": str(dep.log_dir / "gunicorn.log"),
    }
    print_report("faults_pg", summary, report, extra)
    ok = (
        not report["problems"]
        and not workload.problems
        and report["chain_ok"]
        and scheduler_ok
        and report["lost_updates"] == 0
        and workers_after == 4 * args.hosts
        and report.get("sealed_within_s") is not None
    )
    print("FAULTS OK" if ok else "FAULTS FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
