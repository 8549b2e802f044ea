"""``make load``: gunicorn with 4 workers (1 thread each, as documented) on PostgreSQL, 50 concurrent clients,
then a full consistency check.

Each client starts instances of the example process as a college officer, submits them, and races the other
clients for the review tasks as a ДепПО officer (claim -> complete: "reject", or "return" -> resubmit ->
"reject"). Afterwards: every instance has exactly the expected tasks and audit events, no task was completed
twice, the audit chain verifies, and the only non-2xx answers were the expected 409s (lost claim races).
Prints a JSON report (throughput, p50/p95/p99 latency). Exit code 1 on any problem.

PostgreSQL runs as in production as far as commits go (``synchronous_commit=on``: what a client was told is
committed survives a crash of the server process; ``PG_ASYNC_COMMIT=1`` turns that off, for comparison).

Several hosts: ``--hosts 2`` starts two independent gunicorn masters on their own ports (each with its
workers and connection pools, as two machines behind a load balancer would be) and ``--schedulers`` scheduler
processes (``flask scheduler run``: timers, e-mail outbox, audit sequencer) on the same database; the clients
are spread over the hosts. The checks are the same; with schedulers running, the trail must also be fully
sealed within a few seconds of the load's end.

Requests/s counts the answers that arrive in the measured window (``--seconds``, default 40) after a warm-up
(``--warmup``, default 10 s: each worker's first requests parse the model and fill SQLAlchemy's statement
cache); the clients' drain after the window (finishing the instances in flight) is checked but not counted.

Each request comes on a connection of its own (``--keep-alive``: one per client), as through the nginx of
docs/operations.md, which opens one upstream connection per request: the requests spread over the workers
as they accept them. The report also gives the CPU the measured window cost per request — app (gunicorn
masters and workers, recycled ones included), PostgreSQL (postmaster and backends) and the clients — the
machine's idle share in it and the workers recycled in it (``max_requests``). CPU per request is the steadier
figure when the machine's speed drifts or something else runs beside the load.

Paired against another commit: ``--compare-with REF`` checks REF out into a temporary git worktree and runs
the same load on it and on this checkout, alternately (``--pairs`` times each, default 3, same PostgreSQL
settings), and prints the requests/s of both, the ratio of the medians, the ratio within each pair and the
app's CPU per request of both.

    python -m benchmarks.load_pg [--clients 50] [--seconds 40] [--warmup 10] [--hosts 2 --schedulers 2] [--keep-alive]
                                 [--compare-with REF [--pairs 3]]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import older_checkout
from benchmarks.pg_harness import HARNESS_ROOT, Deployment, Workload, check, print_report


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
    parser.add_argument("--seconds", type=float, default=40, help="the measured window")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before it, not counted")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (WEB_THREADS)")
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--schedulers", type=int, default=0)
    parser.add_argument(
        "--keep-alive", action="store_true", help="one connection per client (default: one per request, as nginx)"
    )
    parser.add_argument("--compare-with", default=None, help="a git commit to run paired against this checkout")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.compare_with:
        return compare(args, argv or sys.argv[1:])
    dep = Deployment(workers=args.workers, threads=args.threads, hosts=args.hosts, schedulers=args.schedulers)
    try:
        t0 = time.time()
        people = dep.prepare()
        dep.start_web()
        dep.start_schedulers()
        setup = round(time.time() - t0, 1)
        workload = Workload(
            dep,
            people,
            clients=args.clients,
            seconds=args.seconds,
            run_id="LOAD",
            warmup=args.warmup,
            keep_alive=args.keep_alive,
        )
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
        "hosts": args.hosts,
        "schedulers": args.schedulers,
        "instances_completed": completed,
        "instances_per_s": round(completed / summary["wall_s"], 2),
        "expected_409": conflicts,
        "http_5xx": server_errors,
        "unexpected_statuses": bad,
        "client_problems": workload.problems[:20],
    }
    print_report("load_pg", summary, report, extra)
    ok = not bad and not report["problems"] and not workload.problems and report["chain_ok"]
    if args.schedulers and report.get("sealed_within_s") is None:  # the sequencers must keep up
        ok = False
    print("LOAD OK" if ok else "LOAD FAILED", file=sys.stderr)
    return 0 if ok else 1


def compare(args, argv):
    """Run this checkout and ``args.compare_with`` (a temporary git worktree) alternately, same settings."""
    passthrough = []
    skip = False
    for item in argv:  # the load's own options, without the comparison's
        if skip:
            skip = False
            continue
        if item in ("--compare-with", "--pairs"):
            skip = True
            continue
        if item.startswith(("--compare-with=", "--pairs=")):
            continue
        passthrough.append(item)
    rates: dict[str, list[float]] = {"this checkout": [], args.compare_with: []}
    app_cpu: dict[str, list[float]] = {"this checkout": [], args.compare_with: []}  # ms per request
    with older_checkout(args.compare_with) as old:
        for i in range(args.pairs):
            order = [("this checkout", HARNESS_ROOT), (args.compare_with, old)]
            for label, root in order if i % 2 == 0 else reversed(order):
                report = _run_load(root, passthrough)
                rates[label].append(report["throughput_rps"])
                cpu = report.get("cpu_ms_per_request", {})
                app_cpu[label].append(cpu.get("app", 0.0))
                print(
                    f"pair {i + 1}, {label}: {report['throughput_rps']} req/s, "
                    f"CPU per request: app {cpu.get('app')} ms, PostgreSQL {cpu.get('postgres')} ms, "
                    f"clients {cpu.get('client')} ms; machine idle {report.get('machine_idle_pct')} %; "
                    f"{report.get('instances_completed')} instances, 5xx {report.get('http_5xx')}, "
                    f"problems {len(report['check']['problems'])}",
                    flush=True,
                )
    new, before = statistics.median(rates["this checkout"]), statistics.median(rates[args.compare_with])
    pairs = [a / b for a, b in zip(rates["this checkout"], rates[args.compare_with], strict=True)]
    print(f"requests/s, median of {args.pairs}: this checkout {new:.1f}, {args.compare_with} {before:.1f}")
    print(f"ratio this checkout / {args.compare_with}: {new / before:.2f}")
    print(f"ratio within each pair: {', '.join(f'{r:.2f}' for r in pairs)}; median {statistics.median(pairs):.2f}")
    cpu_new, cpu_old = statistics.median(app_cpu["this checkout"]), statistics.median(app_cpu[args.compare_with])
    if cpu_new and cpu_old:
        print(
            f"app CPU per request, median: this checkout {cpu_new:.2f} ms, {args.compare_with} {cpu_old:.2f} ms "
            f"(ratio {cpu_old / cpu_new:.2f})"
        )
    return 0


def _run_load(root: Path, argv) -> dict:
    """One load in a process of its own whose code is ``root``'s (the harness stays this checkout's)."""
    bootstrap = (
        f"import sys; sys.path.insert(0, {str(HARNESS_ROOT)!r}); "
        f"from benchmarks import load_pg; sys.exit(load_pg.main({list(argv)!r}))"
    )
    env = dict(os.environ, SOGLASIE_ROOT=str(root))
    python = root / ".venv" / "bin" / "python"  # that checkout's own dependencies, in the harness process too
    out = subprocess.run([str(python), "-c", bootstrap], cwd=HARNESS_ROOT, env=env, capture_output=True, text=True)
    start = out.stdout.find("{")
    if start < 0:
        raise RuntimeError(f"the load in {root} printed no report: {out.stderr[-2000:]}")
    return json.loads(out.stdout[start:])


if __name__ == "__main__":
    sys.exit(main())
