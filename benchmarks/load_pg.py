"""``make load``: gunicorn with 4 workers on PostgreSQL, 50 concurrent clients, then a full consistency check.

Each client starts instances of the example process as a college officer, submits them, and races the other
clients for the review tasks as a ДепПО officer (claim -> complete: "reject", or "return" -> resubmit ->
"reject"). Afterwards: every instance has exactly the expected tasks and audit events, no task was completed
twice, the audit chain verifies, and the only non-2xx answers were the expected 409s (lost claim races).
Prints a JSON report (throughput, p50/p95/p99 latency). Exit code 1 on any problem.

PostgreSQL runs as in production as far as commits go (``synchronous_commit=on``: what a client was told is
committed survives a crash of the server process; ``PG_ASYNC_COMMIT=1`` turns that off, for comparison).

    python -m benchmarks.load_pg [--clients 50] [--seconds 40]
"""

import argparse
import sys
import time

from benchmarks.pg_harness import Deployment, Workload, check, print_report


def unexpected_statuses(summary):
    """Non-2xx answers other than 409 (the expected losers of a race)."""
    bad = {}
    for key, n in summary["statuses"].items():
        status = int(key.rsplit(" ", 1)[1])
        if not (200 <= status < 300 or status == 409):
            bad[key] = n
    return bad


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    dep = Deployment(workers=args.workers)
    try:
        t0 = time.time()
        people = dep.prepare()
        dep.start_web()
        setup = round(time.time() - t0, 1)
        workload = Workload(dep, people, clients=args.clients, seconds=args.seconds, run_id="LOAD")
        summary = workload.run()
        report = check(dep, workload)
    finally:
        dep.stop()
    bad = unexpected_statuses(summary)
    conflicts = sum(n for k, n in summary["statuses"].items() if k.endswith(" 409"))
    server_errors = sum(n for k, n in summary["statuses"].items() if int(k.rsplit(" ", 1)[1]) >= 500)
    completed = report.get("instances_by_status", {}).get("completed", 0)
    extra = {
        "setup_s": setup,
        "clients": args.clients,
        "workers": args.workers,
        "instances_completed": completed,
        "instances_per_s": round(completed / summary["wall_s"], 2),
        "expected_409": conflicts,
        "http_5xx": server_errors,
        "unexpected_statuses": bad,
        "client_problems": workload.problems[:20],
    }
    print_report("load_pg", summary, report, extra)
    ok = not bad and not report["problems"] and not workload.problems and report["chain_ok"]
    print("LOAD OK" if ok else "LOAD FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
