"""Audit appends alone on PostgreSQL: commits per second from 1 connection and from 8, the product's append path
(a UnitOfWork recording 5 events and committing; no engine), on a throwaway cluster with production commit
settings (fsync, synchronous_commit on).

With a lock-free append the rate grows with connections (commits overlap and share WAL flushes); with one
head row locked by every commit it stays flat. ``--compare-with REF`` runs REF's code (a temporary git
worktree) in the same cluster, alternately, for a before/after figure.

    python -m benchmarks.bench_audit_append [--seconds 5] [--compare-with REF]
"""

import argparse
import contextlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from benchmarks.common import older_checkout

HARNESS_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HARNESS_ROOT / "tests"))

WORKLOAD = """
import sys, threading, time
root, url, connections, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, root)
from workflow_app import create_app
try:
    from workflow_app.services.people.actors import SYSTEM
except ModuleNotFoundError:  # an older commit, before services/people/: services/identity.py
    from workflow_app.services.identity import SYSTEM
from workflow_app.services.uow import UnitOfWork
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "a" * 40})
counts = [0] * connections
start = threading.Barrier(connections + 1)
stop_at = []

def worker(n):
    with app.app_context():
        start.wait()
        while time.perf_counter() < stop_at[0]:
            with UnitOfWork(SYSTEM) as uow:
                for i in range(5):
                    uow.record("bench_append", payload={"worker": n, "i": i})
                uow.commit()
            counts[n] += 1

threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
for t in threads:
    t.start()
stop_at.append(time.perf_counter() + seconds)
start.wait()
for t in threads:
    t.join()
print(sum(counts) / seconds)
"""


def _rate(root: Path, url: str, connections: int, seconds: float) -> float:
    env = dict(os.environ, DB_POOL_SIZE="10", DB_MAX_OVERFLOW="2")
    out = subprocess.run(
        [
            str(root / ".venv" / "bin" / "python"),
            "-c",
            textwrap.dedent(WORKLOAD),
            str(root),
            url,
            str(connections),
            str(seconds),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def _database(cluster, root: Path, name: str) -> str:
    cluster.sql(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py")
    subprocess.run(
        [str(root / ".venv" / "bin" / "flask"), "db", "upgrade", "heads"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return url


def main(argv=None):
    from pgcluster import Cluster

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare-with", default=None)
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        roots = {"this checkout": HARNESS_ROOT}
        if args.compare_with:
            roots[args.compare_with] = stack.enter_context(older_checkout(args.compare_with))
        cluster = Cluster().start(durable_commits=True, fsync=True)
        stack.callback(cluster.stop)
        urls = {label: _database(cluster, root, f"append_{i}") for i, (label, root) in enumerate(roots.items())}
        rates = {(label, n): [] for label in roots for n in (1, 8)}
        for r in range(args.rounds):
            for label, root in roots.items() if r % 2 == 0 else reversed(list(roots.items())):
                for n in (1, 8):
                    rates[(label, n)].append(_rate(root, urls[label], n, args.seconds))
                    print(f"round {r + 1} {label}: {n} connection(s) {rates[(label, n)][-1]:.1f} commits/s", flush=True)
        print("== audit appends alone (5 events a commit), PostgreSQL fsync + synchronous_commit on ==")
        for label in roots:
            one, eight = max(rates[(label, 1)]), max(rates[(label, 8)])
            print(f"{label}: 1 connection {one:.1f}/s, 8 connections {eight:.1f}/s, ratio 8/1 {eight / one:.2f}")


if __name__ == "__main__":
    main()
