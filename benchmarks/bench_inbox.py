"""Inbox and API benchmarks (SQLite).

1. HTTP complete-task round trip (POST /api/v1/tasks/<id>/complete through the Flask test client), p50/p95.
2. Fully completed instances per second of the example approval (start, submit, find the review in the
   reviewer's inbox, review=reject), one sequential API client, after a warm-up.
3. Inbox first page (view=group, 25 rows) p50/p95 with 1,000 / 10,000 / 100,000 open tasks, through the
   service and through GET /api/v1/tasks; a quarter of the tasks are in the measured user's group and
   organisation, the rest spread over other groups, colleges and assignees. Setup bulk-inserts rows.

Targets: complete p50 <= 5 ms; >= 60 instances/s; first page <= 10 ms at 100k with p95(100k)/p95(1k) <= 1.5.
"""
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from benchmarks.common import ms, percentile, sqlite_app, timed

REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}
SIZES = (1_000, 10_000, 100_000)


def _people():
    from factories import example_people

    return example_people()


def _tokens(names):
    from workflow_app.services import accounts
    from workflow_app.services.identity import SYSTEM

    return {n: {"Authorization": "Bearer " + accounts.issue_token(SYSTEM, n)} for n in names}


def _as_a_server_would(fn, *args):
    """Run the HTTP loop on a thread with no application context: every request then pushes its own
    context and gets its own database session, as under gunicorn (the setup's context would otherwise be
    shared by all requests, and so would one long-lived session)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def bench_complete(app, n=60):
    h = _tokens(["college_officer_1", "dpo_officer"])
    return _as_a_server_would(_complete_loop, app, h, n)


def _complete_loop(app, h, n):
    client = app.test_client()
    task_ids = []
    for i in range(n):
        r = client.post("/api/v1/processes/example_approval/instances", headers=h["college_officer_1"],
                        json={"data": {"title": "t"}, "business_key": f"C-{i}"})
        task_ids.append(r.get_json()["tasks"][0]["id"])
    samples = []
    for tid in task_ids:
        t0 = time.perf_counter()
        r = client.post(f"/api/v1/tasks/{tid}/complete", headers=h["college_officer_1"], json={"data": REQUEST})
        samples.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.get_json()
    samples = samples[5:]  # warm-up
    print(f"complete-task HTTP round trip (submit, n={len(samples)}): p50 {ms(percentile(samples, 50))}  "
          f"p95 {ms(percentile(samples, 95))}  target p50 <= 5 ms")
    return percentile(samples, 50)


def bench_throughput(app, seconds=5.0, warm_up=20):
    h = _tokens(["college_officer_1", "dpo_officer"])
    return _as_a_server_would(_throughput_loop, app, h, seconds, warm_up)


def _one_instance(client, h, key) -> bool:
    """Start, submit, find the review in the reviewer's inbox, reject: one fully completed instance."""
    r = client.post("/api/v1/processes/example_approval/instances", headers=h["college_officer_1"],
                    json={"data": {"title": "t"}, "business_key": key})
    submit = r.get_json()["tasks"][0]["id"]
    client.post(f"/api/v1/tasks/{submit}/complete", headers=h["college_officer_1"], json={"data": REQUEST})
    review = client.get(f"/api/v1/tasks?view=group&per_page=1&business_key={key}",
                        headers=h["dpo_officer"]).get_json()[0]["id"]
    r = client.post(f"/api/v1/tasks/{review}/complete", headers=h["dpo_officer"],
                    json={"data": {"decision": "reject", "comment": "Не обосновано"}})
    return r.get_json()["instance"]["status"] == "completed"


def _throughput_loop(app, h, seconds, warm_up):
    client = app.test_client()
    for i in range(warm_up):  # first calls fill the statement and parsed-model caches: steady state is measured
        assert _one_instance(client, h, f"W-{i}")
    done, i = 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        i += 1
        done += _one_instance(client, h, f"T-{i}")
    elapsed = time.perf_counter() - started
    rate = done / elapsed
    print(f"completed instances per second (start + submit + inbox lookup + review, one sequential client, "
          f"after {warm_up} warm-up instances): {rate:.1f}/s ({done} in {elapsed:.1f} s)  target >= 60/s")
    return rate


def _fill(total_open, people, instance_id, already):
    """Bulk-insert open HumanTask rows up to ``total_open``; 1/4 in college_officer @ college1."""
    from sqlalchemy import insert

    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.models import HumanTask

    org1 = people["officer1"].organisation_id
    org2 = people["officer2"].organisation_id
    assignees = [people["dpo"].id, people["head"].id, None, None]
    groups = ["dpo_officer", "dtzn_officer", "sector_officer", "legal_officer"]
    base = clock.now() - timedelta(days=30)
    rows = []
    for k in range(already, total_open):
        kind = k % 4
        if kind == 0:
            group, scope, assignee = "college_officer", org1, None
        elif kind == 1:
            group, scope, assignee = "college_officer", org2, None
        else:
            group, scope, assignee = groups[k % len(groups)], None, assignees[k % len(assignees)]
        rows.append({
            "instance_id": instance_id, "engine_task_id": str(uuid.UUID(int=k + 1)), "task_def": "submit_request",
            "name": "Подать заявку", "process_id": "example_approval", "business_key": f"B-{k}", "title": "t",
            "lane": group, "candidate_group": group, "org_scope_id": scope, "assignee_id": assignee,
            "form_key": "example_request", "distinct_from": [], "status": "open",
            "created_at": base + timedelta(seconds=k), "due_at": base + timedelta(days=7, seconds=k),
        })
        if len(rows) == 10_000:
            db.session.execute(insert(HumanTask), rows)
            rows = []
    if rows:
        db.session.execute(insert(HumanTask), rows)
    db.session.commit()


def bench_inbox(app, repeat=200):
    from workflow_app.extensions import db
    from workflow_app.services import inbox, processes
    from workflow_app.services.identity import actor_for

    people = _people()
    instance, _ = processes.start_process(actor_for(people["officer1"]), "example_approval", {"title": "x"}, "BENCH")
    client = app.test_client()
    h = _tokens(["college_officer_1"])["college_officer_1"]
    results = {}
    filled = 0
    for size in SIZES:
        _fill(size, people, instance.id, filled)
        filled = size
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        who = actor_for(people["officer1"])
        for _ in range(10):
            inbox.list_tasks(who, "group", per_page=25)
        svc = timed(lambda: inbox.list_tasks(who, "group", per_page=25), repeat)
        http = timed(lambda: client.get("/api/v1/tasks?view=group&per_page=25", headers=h), repeat)
        page = inbox.list_tasks(who, "group", per_page=25)
        assert len(page.items) == 25
        results[size] = (svc, http)
        print(f"inbox first page, {size:>7,} open tasks ({size // 4:,} in the user's group): "
              f"service p50 {ms(percentile(svc, 50))} p95 {ms(percentile(svc, 95))} | "
              f"HTTP p50 {ms(percentile(http, 50))} p95 {ms(percentile(http, 95))} | total header "
              f"{page.total}{'' if page.total_exact else '+'}", flush=True)
    small, large = results[SIZES[0]], results[SIZES[-1]]
    print(f"ratio p95({SIZES[-1]:,})/p95({SIZES[0]:,}): service {percentile(large[0], 95) / percentile(small[0], 95):.2f}  "
          f"HTTP {percentile(large[1], 95) / percentile(small[1], 95):.2f}  target <= 1.5; "
          f"target first page <= 10 ms at {SIZES[-1]:,}")
    return results


def main():
    from workflow_app.services import notifications  # noqa: F401  (no SMTP in the benchmark)

    with sqlite_app() as app:
        _people()
        bench_complete(app)
        bench_throughput(app)
    with sqlite_app() as app:
        bench_inbox(app)


if __name__ == "__main__":
    sys.exit(main())
