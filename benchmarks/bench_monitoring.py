"""The monitoring dashboard's queries at 100,000 cases, on SQLite and on PostgreSQL (issue #23).

Each database (a SQLite file as shipped; a throwaway PostgreSQL cluster) gets the shipped models, the demo
organisations, the roadmap and ``BENCH_MONITORING_CASES`` cases (default 100,000) inserted in bulk — not through
the engine: a case of one of the shipped chains, its steps taken from the deployed model (the user tasks of
its BPMN) with completed steps spread over the last year and, for a running case, one open step (a tenth of
them overdue), scoped to a ПОО or an investor where the step is. The times' summary (services/durations, which
the completions keep current) is then rebuilt from those rows, as the migration back-fills an existing database.
Then every dashboard query runs ``repeat`` times and the median and the worst are printed per query and database.

For comparison, the same run also times the queries the dashboard used before the summary existed ("before: …",
kept here only for that): window functions over every task or case completed in the period, through the
``(status, completed_at)`` indexes they had.
"""

import os
import random
import sys
import time
from datetime import timedelta

from sqlalchemy import insert, select

from benchmarks.common import ROOT, app_on, median, ms, sqlite_app

sys.path.insert(0, str(ROOT / "tests"))

BATCH = 5000


def seed(app, cases: int, seed_value: int = 23) -> dict:
    """Bulk-insert ``cases`` cases with their task rows; returns the numbers inserted."""
    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.models import HumanTask, Organisation, ProcessInstance, ProcessModel
    from workflow_app.services import demo, durations
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment
    from workflow_app.services.roadmap import changes

    rnd = random.Random(seed_value)
    with app.app_context():
        deployment.deploy_path(SYSTEM, ROOT / "bpmn")
        demo.load(SYSTEM)
        changes.load(SYSTEM)
        models = [
            m
            for m in db.session.execute(select(ProcessModel)).scalars()
            if (m.meta or {}).get("user_tasks") and m.process_id != "example_approval"
        ]
        orgs = {o.kind: [] for o in db.session.execute(select(Organisation)).scalars()}
        for o in db.session.execute(select(Organisation)).scalars():
            orgs[o.kind].append(o.id)
        now = clock.now()
        next_instance = (
            db.session.execute(select(ProcessInstance.id).order_by(ProcessInstance.id.desc())).scalar() or 0
        ) + 1
        instances, tasks = [], []
        totals = {"cases": 0, "tasks": 0, "open": 0}

        def flush():
            if instances:
                db.session.execute(insert(ProcessInstance), instances)
            if tasks:
                db.session.execute(insert(HumanTask), tasks)
            db.session.commit()
            instances.clear()
            tasks.clear()

        for n in range(cases):
            model = models[n % len(models)]
            steps = list(model.meta["user_tasks"].items())
            iid = next_instance + n
            started = now - timedelta(days=rnd.uniform(1, 365))
            running = rnd.random() < 0.7
            scope = None
            if any(s.get("orgScope") for _k, s in steps):
                kind = "investor" if "investor" in model.process_id else "college"
                scope = rnd.choice(orgs.get(kind) or [None])
            taken = rnd.randint(1, max(1, len(steps) - 1))
            at = started
            for k, (task_def, spec) in enumerate(steps[:taken]):
                took = timedelta(hours=rnd.expovariate(1 / 30))
                done = k < taken - 1 or not running
                if done and at + took > now:
                    done = False
                tasks.append(
                    {
                        "instance_id": iid,
                        "engine_task_id": f"b{iid}-{k}",
                        "task_def": task_def,
                        "name": spec.get("name") or task_def,
                        "process_id": model.process_id,
                        "business_key": f"БЕНЧ-{iid}",
                        "title": model.name,
                        "lane": spec.get("lane"),
                        "candidate_group": spec.get("group"),
                        "org_scope_id": scope if spec.get("orgScope") else None,
                        "form_key": spec.get("formKey"),
                        "collegial_body": spec.get("collegialBody"),
                        "distinct_from": [],
                        "status": "completed" if done else "open",
                        "due_at": at + timedelta(days=rnd.choice((-3, 5, 10, 12, 15, 20, 25, 30, 40, 60))),
                        "created_at": at,
                        "completed_at": at + took if done else None,
                    }
                )
                totals["tasks"] += 1
                if not done:
                    totals["open"] += 1
                    break
                at += took
            instances.append(
                {
                    "id": iid,
                    "model_id": model.id,
                    "process_id": model.process_id,
                    "business_key": f"БЕНЧ-{iid}",
                    "title": model.name,
                    "status": "running" if running else "completed",
                    "state": "{}",
                    "state_size": 2,
                    "lock_version": 1,
                    "waiting_messages": [],
                    "summary": {},
                    "created_at": started,
                    "updated_at": at,
                    "completed_at": None if running else at,
                }
            )
            totals["cases"] += 1
            if len(tasks) >= BATCH:
                flush()
        flush()
        t0 = time.perf_counter()
        totals["summary_rows"] = durations.rebuild()
        db.session.commit()
        totals["summary_s"] = time.perf_counter() - t0
        db.session.execute(db.text("CREATE INDEX bench_before_task ON human_task (status, completed_at)"))
        db.session.execute(db.text("CREATE INDEX bench_before_instance ON process_instance (status, completed_at)"))
        db.session.execute(db.text("ANALYZE"))  # the planner's statistics, as a maintained database has them
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # and the visibility map autovacuum keeps after bulk inserts
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(db.text("VACUUM (ANALYZE) human_task"))
                conn.execute(db.text("VACUUM (ANALYZE) process_instance"))
                conn.execute(db.text("VACUUM (ANALYZE) duration_stat"))
    return totals


QUERIES = [
    ("open tasks by department", lambda d, a: d.open_tasks_by_department(a)),
    ("open tasks by chain", lambda d, a: d.open_tasks_by_chain(a)),
    ("time per step (180 days)", lambda d, a: d.step_times(a)),
    ("time per step (365 days)", lambda d, a: d.step_times(a, (a_today() - timedelta(days=364)).isoformat())),
    ("time per chain (180 days)", lambda d, a: d.chain_times(a)),
    ("roadmap items by status", lambda d, a: d.roadmap_by_status(a)),
    ("instructions by status", lambda d, a: d.instructions_by_status(a)),
    ("whole dashboard", lambda d, a: d.dashboard(a)),
    ("XLSX export", lambda d, a: d.xlsx(a)),
    ("before: time per step (180 days)", lambda d, a: before_times(a_today() - timedelta(days=179), tasks=True)),
    ("before: time per step (365 days)", lambda d, a: before_times(a_today() - timedelta(days=364), tasks=True)),
    ("before: time per chain (180 days)", lambda d, a: before_times(a_today() - timedelta(days=179), tasks=False)),
]


def before_times(first, tasks: bool):
    """The times as the dashboard computed them before the summary (main at c4dbdac): count, average and the
    nearest-rank 90th percentile by window functions over every row completed in the period."""
    from datetime import datetime
    from datetime import time as day_start

    from sqlalchemy import case, func, literal

    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.models import HumanTask, ProcessInstance

    lo = datetime.combine(first, day_start(0), tzinfo=clock.REGION_TZ)
    hi = datetime.combine(clock.today() + timedelta(days=1), day_start(0), tzinfo=clock.REGION_TZ)
    table = HumanTask if tasks else ProcessInstance
    if db.session.get_bind().dialect.name == "sqlite":
        seconds = (func.julianday(table.completed_at) - func.julianday(table.created_at)) * 86400.0
    else:
        seconds = func.extract("epoch", table.completed_at - table.created_at)
    keys = [table.process_id.label("process_id")] + ([HumanTask.task_def.label("task_def")] if tasks else [])
    durations = (
        select(*keys, seconds.label("s"))
        .where(table.status == "completed", table.completed_at >= lo, table.completed_at < hi)
        .subquery()
    )
    parts = [durations.c[k.key] for k in keys]
    ranked = select(
        *parts,
        durations.c.s,
        func.row_number().over(partition_by=parts, order_by=durations.c.s).label("rn"),
        func.count().over(partition_by=parts).label("n"),
    ).subquery()
    rparts = [ranked.c[k.key] for k in keys]
    return db.session.execute(
        select(
            *rparts,
            func.count(),
            func.avg(ranked.c.s),
            func.min(case((ranked.c.rn >= ranked.c.n * literal(0.9), ranked.c.s))),
        ).group_by(*rparts)
    ).all()


def a_today():
    from workflow_app.engine import clock

    return clock.today()


def measure(app, repeat: int) -> dict:
    from workflow_app.extensions import db
    from workflow_app.services.monitoring import dashboard
    from workflow_app.services.people.actors import SYSTEM

    out = {}
    with app.test_request_context():  # the XLSX's headers are in the UI language of a request
        for name, query in QUERIES:
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                query(dashboard, SYSTEM)
                samples.append(time.perf_counter() - t0)
                db.session.rollback()
            out[name] = samples
    return out


def main(cases=None, repeat=5):
    from pgcluster import Cluster, find_bin

    cases = cases or int(os.environ.get("BENCH_MONITORING_CASES", "100000"))
    results = {}
    with sqlite_app() as lite:
        t0 = time.perf_counter()
        totals = seed(lite, cases)
        print(
            f"sqlite: seeded {totals['cases']} cases, {totals['tasks']} task rows ({totals['open']} open) "
            f"in {time.perf_counter() - t0:.0f} s; the times' summary rebuilt ({totals['summary_rows']} rows) in "
            f"{totals['summary_s']:.1f} s",
            flush=True,
        )
        results["sqlite"] = measure(lite, repeat)
        _print("sqlite", results["sqlite"], cases, repeat)
    if find_bin() is None:
        print("postgresql: server binaries not found, skipped")
    else:
        cluster = Cluster().start()
        try:
            cluster.sql("CREATE DATABASE bench_monitoring")
            with app_on(cluster.url("bench_monitoring")) as pg:
                t0 = time.perf_counter()
                totals = seed(pg, cases)
                print(
                    f"postgresql: seeded {totals['cases']} cases, {totals['tasks']} task rows in "
                    f"{time.perf_counter() - t0:.0f} s; the times' summary rebuilt ({totals['summary_rows']} rows) "
                    f"in {totals['summary_s']:.1f} s",
                    flush=True,
                )
                results["postgresql"] = measure(pg, repeat)
                _print("postgresql", results["postgresql"], cases, repeat)
        finally:
            cluster.stop()
    if len(results) > 1:
        print(f"\nmonitoring dashboard at {cases} cases: median / worst of {repeat} runs")
        print(f"{'query':36}" + "".join(f"{db_name:>26}" for db_name in results))
        for name, _query in QUERIES:
            cells = "".join(
                f"{ms(median(results[db_name][name])) + ' / ' + ms(max(results[db_name][name])):>26}"
                for db_name in results
            )
            print(f"{name:36}{cells}")


def _print(db_name: str, samples: dict, cases: int, repeat: int) -> None:
    """One database's figures as soon as they are measured (a long run stopped later keeps them)."""
    print(f"\n{db_name}: monitoring dashboard at {cases} cases, median / worst of {repeat} runs", flush=True)
    for name, _query in QUERIES:
        print(f"  {name:36}{ms(median(samples[name])):>12} / {ms(max(samples[name]))}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
