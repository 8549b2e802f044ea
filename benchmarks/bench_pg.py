"""PostgreSQL against the embedded database, in the same run, one client, the same code and settings.

A throwaway PostgreSQL cluster with production commit settings (``fsync=on``, ``synchronous_commit=on``,
``full_page_writes=on``) and a SQLite file (WAL, ``synchronous=NORMAL``, as shipped) each get a migrated
database with the example process. Then, in alternating rounds so that the machine's drift falls on both
alike:

1. complete-task HTTP round trip (POST /api/v1/tasks/<id>/complete through the Flask test client), p50;
2. fully completed instances per second (start, submit, inbox lookup, review), one sequential client.

Printed: each database's median of rounds and the ratio PostgreSQL / SQLite (target for the complete-task
p50: <= 1.5), and each round's own ratio (its two sides measured a minute apart). ``BENCH_PG_ROUNDS`` sets the number of rounds (default 4).
"""

import os
import sys

from benchmarks.bench_inbox import _as_a_server_would, _complete_samples, _throughput_loop, _tokens
from benchmarks.common import ROOT, app_on, median, ms, percentile, sqlite_app

sys.path.insert(0, str(ROOT / "tests"))


def _prepare(app):
    from factories import example_people

    with app.app_context():
        example_people()
        return _tokens(["college_officer_1", "dpo_officer"])


def main(rounds=None, per_round=60, seconds=3.0):
    from pgcluster import Cluster

    from workflow_app import ready_to_serve
    from workflow_app.services import notifications  # noqa: F401  (no SMTP in the benchmark)

    rounds = rounds or int(os.environ.get("BENCH_PG_ROUNDS", "4"))
    cluster = Cluster().start(durable_commits=True, fsync=True)
    try:
        cluster.sql("CREATE DATABASE bench")
        with sqlite_app() as lite, app_on(cluster.url("bench")) as pg:
            apps = {"sqlite": lite, "postgresql": pg}
            tokens = {}
            for name, app in apps.items():
                tokens[name] = _prepare(app)
                ready_to_serve(app)
            p50 = {name: [] for name in apps}
            rate = {name: [] for name in apps}
            for r in range(rounds):
                order = list(apps) if r % 2 == 0 else list(reversed(apps))
                for name in order:
                    app, h = apps[name], tokens[name]
                    samples = _as_a_server_would(
                        _complete_samples, app, h["college_officer_1"], per_round + 5, f"{name}-C{r}"
                    )[5:]
                    p50[name].append(percentile(samples, 50))
                    done, elapsed = _as_a_server_would(_throughput_loop, app, h, seconds, 10 if r == 0 else 0, f"R{r}")
                    rate[name].append(done / elapsed)
                    print(
                        f"round {r + 1} {name:>10}: complete-task p50 {ms(p50[name][-1])}, "
                        f"{rate[name][-1]:.1f} completed instances/s",
                        flush=True,
                    )
        lite_p50, pg_p50 = median(p50["sqlite"]), median(p50["postgresql"])
        lite_rate, pg_rate = median(rate["sqlite"]), median(rate["postgresql"])
        print("== PostgreSQL (fsync, synchronous_commit on) vs SQLite, one client, alternating rounds ==")
        print(f"complete-task HTTP p50: SQLite {ms(lite_p50)}, PostgreSQL {ms(pg_p50)}")
        print(f"  ratio PostgreSQL / SQLite: {pg_p50 / lite_p50:.2f}  (target <= 1.5)")
        rounds_ratios = [pg / lite for pg, lite in zip(p50["postgresql"], p50["sqlite"], strict=True)]
        print(
            f"  each round's ratio: {', '.join(f'{r:.2f}' for r in rounds_ratios)}; "
            f"median {median(rounds_ratios):.2f} (the machine's drift between rounds cancels out within a round)"
        )
        print(f"completed instances/s: SQLite {lite_rate:.1f}/s, PostgreSQL {pg_rate:.1f}/s")
        print(f"  ratio SQLite / PostgreSQL (time per instance, PostgreSQL / SQLite): {lite_rate / pg_rate:.2f}")
        return pg_p50 / lite_p50
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
