"""The production set-up, for real, on a throwaway PostgreSQL: used by ``load_pg.py`` and ``faults_pg.py``.

What it does is what docs/operations.md tells an operator to do: create a database, ``flask db upgrade
heads``, ``flask deploy``, create users (password policy applies), start gunicorn with gunicorn.conf.py and
4 workers with ``SOGLASIE_ENV=production`` — on one "host" or several (``hosts``: independent gunicorn masters
on their own ports, each with its own pool; clients are spread over them), with ``schedulers`` scheduler
processes (``flask scheduler run``: timers, the outbox and the audit sequencer).

``SOGLASIE_ROOT`` runs another checkout of the code (e.g. an older commit in a temporary git worktree)
through the same harness, for paired comparisons. Then 50 client threads drive instances of the example process
over HTTP (personal API tokens) while racing each other for the same review tasks; afterwards the
database is checked directly: tasks, audit events, the hash chain, the engine state of every instance.
"""

import http.client
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

HARNESS_ROOT = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("SOGLASIE_ROOT") or HARNESS_ROOT).resolve()  # the code under test
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from benchmarks.common import code_module, percentile  # noqa: E402

BIN = ROOT / ".venv" / "bin"
COLLEGES = 5
DPO_OFFICERS = 10
PASSWORD = "load-test-password-1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REQUEST = {"title": "Заявка нагрузочного теста", "amount": 25, "justification": "Нужно больше мест для набора"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """A PostgreSQL cluster + a migrated database + gunicorn (+ optionally the scheduler), as documented."""

    def __init__(
        self, workers=4, threads=1, log_dir: Path | None = None, hosts=1, schedulers=0, cluster=None, db="soglasie"
    ):
        from pgcluster import Cluster

        # as in production, an acknowledged commit survives a crash (PG_ASYNC_COMMIT=1: the faster, unsafe setting)
        self.own_cluster = cluster is None
        self.cluster = cluster or Cluster().start(durable_commits=os.environ.get("PG_ASYNC_COMMIT") != "1")
        self.cluster.sql(f"CREATE DATABASE {db}")
        self.db = db
        self.url = self.cluster.url(db)
        self.ports = [free_port() for _ in range(hosts)]
        self.port = self.ports[0]
        self.hosts, self.schedulers = hosts, schedulers
        self.masters: list = []
        self.scheduler_procs: list = []
        self.workers, self.threads = workers, threads
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="soglasie-bench-"))  # kept: gunicorn.log
        self.gunicorn = None
        self.env = dict(
            os.environ,
            DATABASE_URL=self.url,
            SOGLASIE_ENV="production",
            SECRET_KEY="load-" + "x" * 40,
            FLASK_APP="wsgi.py",
            WEB_WORKERS=str(workers),
            WEB_THREADS=str(threads),
            BIND=f"127.0.0.1:{self.port}",
            SOGLASIE_ROOT=str(ROOT),
            LOG_JSON="1",
            LOG_LEVEL="WARNING",
            SCHEDULER_ENABLED="0",
            DB_POOL_SIZE="4",
            DB_MAX_OVERFLOW="4",
            PYTHONUNBUFFERED="1",
        )

    # --- set-up, exactly the operator's commands -------------------------------------------------------
    def flask(self, *args, check=True, **kw):
        return subprocess.run(
            [str(BIN / "flask"), *args], cwd=ROOT, env=self.env, check=check, capture_output=True, text=True, **kw
        )

    def prepare(self):
        self.flask("db", "upgrade", "heads")
        self.flask("deploy", str(ROOT / "bpmn" / "examples" / "example_approval.bpmn"))
        return self.create_people()

    def app(self):
        from workflow_app import create_app

        return create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.url,
                "SECRET_KEY": "harness-" + "y" * 40,
                "ENV_NAME": "production",
                "LOG_JSON": False,
            }
        )

    def create_people(self):
        """Colleges with one officer each, ДепПО with 10 officers; a personal API token for everyone."""
        from workflow_app.extensions import db
        from workflow_app.models import Organisation

        # users and tokens: people/administration and people/tokens here, services/accounts in an older commit
        administration = code_module("workflow_app.services.people.administration", "workflow_app.services.accounts")
        tokens = code_module("workflow_app.services.people.tokens", "workflow_app.services.accounts")
        actors = code_module("workflow_app.services.people.actors", "workflow_app.services.identity")
        SYSTEM, ensure_roles = actors.SYSTEM, actors.ensure_roles

        app = self.app()
        people = {"officers": [], "dpo": [], "tokens": {}}
        with app.app_context():
            ensure_roles(db.session)
            db.session.add(Organisation(code="DEPPO", name="ДепПО", kind="department"))
            for i in range(COLLEGES):
                db.session.add(Organisation(code=f"COL{i}", name=f"Колледж {i}", kind="college"))
            db.session.commit()
            for i in range(COLLEGES):
                administration.add_user(
                    SYSTEM, f"officer{i}", PASSWORD, groups=["college_officer"], organisation_code=f"COL{i}"
                )
                people["officers"].append(f"officer{i}")
            for i in range(DPO_OFFICERS):
                administration.add_user(SYSTEM, f"dpo{i}", PASSWORD, groups=["dpo_officer"], organisation_code="DEPPO")
                people["dpo"].append(f"dpo{i}")
            for name in people["officers"] + people["dpo"]:
                people["tokens"][name] = tokens.issue_token(SYSTEM, name, "load")
            db.session.remove()
            db.engine.dispose()
        return people

    def start_web(self):
        self.web_log = open(self.log_dir / "gunicorn.log", "a")  # noqa: SIM115 (open for the processes' lifetime)
        for port in self.ports:  # one gunicorn master per "host", each with its own workers and pools
            self.masters.append(
                subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                    cwd=ROOT,
                    env=dict(self.env, BIND=f"127.0.0.1:{port}"),
                    stdout=self.web_log,
                    stderr=subprocess.STDOUT,
                )
            )
        self.gunicorn = self.masters[0]
        deadline = time.time() + 90
        while time.time() < deadline:
            up = 0
            for master, port in zip(self.masters, self.ports, strict=True):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200 and len(self.worker_pids(master)) == self.workers:
                        up += 1
                except OSError:
                    pass
            if up == len(self.ports):
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up; see " + str(self.log_dir / "gunicorn.log"))

    def start_schedulers(self):
        self.scheduler_log = open(self.log_dir / "scheduler.log", "a")  # noqa: SIM115
        for _ in range(self.schedulers):
            self.scheduler_procs.append(
                subprocess.Popen(
                    [str(BIN / "flask"), "scheduler", "run"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self.scheduler_log,
                    stderr=subprocess.STDOUT,
                )
            )

    def kill_scheduler(self, index=0) -> int:
        """SIGKILL a scheduler process (whatever it is doing: a tick, a sealing batch) and start another."""
        proc = self.scheduler_procs[index]
        proc.kill()
        proc.wait()
        self.scheduler_procs[index] = subprocess.Popen(
            [str(BIN / "flask"), "scheduler", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=self.scheduler_log,
            stderr=subprocess.STDOUT,
        )
        return proc.pid

    def worker_pids(self, master=None) -> list[int]:
        masters = [master] if master is not None else self.masters
        parents = {m.pid for m in masters if m is not None}
        return [pid for pid, (ppid, _cpu) in processes().items() if ppid in parents]

    def postmaster_pid(self) -> int:
        return int((self.cluster.data / "postmaster.pid").read_text().split()[0])

    def cpu_seconds(self) -> dict:
        """CPU seconds used so far by the app (every gunicorn master and its workers), PostgreSQL (the
        postmaster and its backends) and this process (the clients)."""
        roots = {"app": [m.pid for m in self.masters], "postgres": [self.postmaster_pid()]}
        # A process reaped while /proc is read would count twice (its own line and its parent's reaped-children
        # time) or not at all: read until two readings in a row show the same processes, and use the second.
        table = processes()
        for _ in range(10):
            again = processes()
            if all(tree_pids(again, r) == tree_pids(table, r) for r in roots.values()):
                break
            table = again
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = {name: sum(again[pid][1] for pid in tree_pids(again, r)) for name, r in roots.items()}
        return {**cpu, "client": usage.ru_utime + usage.ru_stime}

    def kill_worker(self) -> int:
        pid = random.choice(self.worker_pids())
        os.kill(pid, signal.SIGKILL)
        return pid

    def restart_postgres(self, down_seconds=1.0):
        """Crash PostgreSQL (immediate stop, like a power cut of the server process) and start it again."""
        c = self.cluster
        c._run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop", check=False)
        time.sleep(down_seconds)
        c._run("pg_ctl", "-D", c.data, "-o", c.options(), "-l", c.dir / "log", "-w", "start")

    def stop_processes(self):
        for proc in self.scheduler_procs + self.masters:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.scheduler_procs + self.masters:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop(self):
        self.stop_processes()
        if self.own_cluster:
            self.cluster.stop()


def processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and of its children it has reaped), from /proc."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        # after the command: state, ppid, ... utime stime cutime cstime are fields 14-17 of proc(5)
        table[int(stat.parent.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]) / CLOCK_TICKS)
    return table


def tree_pids(table: dict[int, tuple[int, float]], roots: list[int]) -> set[int]:
    """The processes ``roots`` and all their descendants. Summing their CPU (``processes``) gives the tree's:
    the live ones' own time, and the exited ones' through their parents' reaped-children counters (a gunicorn
    worker recycled by ``max_requests``, a PostgreSQL backend whose connection closed), each second once."""
    children = defaultdict(list)
    for pid, (ppid, _cpu) in table.items():
        children[ppid].append(pid)
    found, todo = set(), [pid for pid in roots if pid in table]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children[pid])
    return found


def machine_cpu_ticks() -> tuple[int, int]:
    """(idle, total) ticks of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:9]]  # guest time is already in user and nice
    return values[3] + values[4], sum(values)  # idle + iowait


class Http:
    """The client side of one client thread; records latency and status of every request.

    By default each request comes on a connection of its own, closed after the answer: what the documented
    nginx in front of gunicorn does (``proxy_pass`` speaks HTTP/1.0 to its upstream, one connection per
    request), so gunicorn hands every request to whichever worker accepts first. ``keep_alive=True``: one
    connection per client thread for its whole life, as a client talking to gunicorn directly would (the
    connections then stay with the workers that accepted them, and the load among workers is whatever that
    first spread was: in one run 2 workers at 77 % CPU, 2 at 6 %)."""

    RETRYABLE = (0, 502, 503, 504)

    def __init__(self, port, stats, keep_alive=False):
        self.port, self.stats, self.conn = port, stats, None  # the "host" this client talks to
        self.keep_alive = keep_alive

    def call(self, method, path, token, body=None, label=None):
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, "/api/v1" + path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
            data = (
                json.loads(raw)
                if raw and response.getheader("Content-Type", "").startswith("application/json")
                else None
            )
            if not self.keep_alive:
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            status, data = 0, None  # connection refused/reset: the worker died or is restarting
        self.stats.record(label or method, status, time.perf_counter() - started)
        return status, data

    def get(self, path, token, label, deadline):
        """GETs are safe to repeat: retry connection errors and 503 until the deadline."""
        while True:
            status, data = self.call("GET", path, token, label=label)
            if status not in self.RETRYABLE or time.time() > deadline:
                return status, data
            time.sleep(0.2)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.status = Counter()
        self.finished: list[float] = []  # when each request's answer arrived (time.time())

    def record(self, label, status, seconds):
        with self.lock:
            self.latency[label].append(seconds)
            self.status[(label, status)] += 1
            self.finished.append(time.time())

    def all_latencies(self):
        return [v for values in self.latency.values() for v in values if True]

    def summary(self, wall, window=None):
        """``window`` (from, to): the throughput counts only the answers that arrived in it (after the warm-up,
        before the clients stop starting new instances); without one, every request over the whole wall time."""
        values = self.all_latencies()
        ok = sum(n for (_, s), n in self.status.items() if 200 <= s < 300)
        if window is None:
            rate = len(values) / wall
        else:
            rate = sum(1 for t in self.finished if window[0] <= t < window[1]) / (window[1] - window[0])
        return {
            "requests": len(values),
            "ok_2xx": ok,
            "wall_s": round(wall, 1),
            "throughput_rps": round(rate, 1),
            "measured_s": round(window[1] - window[0], 1) if window else round(wall, 1),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1),
            "statuses": {f"{label} {status}": n for (label, status), n in sorted(self.status.items())},
            "by_label_p95_ms": {k: round(percentile(v, 95) * 1000, 1) for k, v in sorted(self.latency.items())},
        }


class Workload:
    """50 clients; each drives its own instances to the end while helping (racing) on others' reviews.

    Variant "A": submit -> review "reject". Variant "B": submit -> review "return" -> resubmit -> "reject".
    Whoever wins a review claim completes it with the decision its owner asked for (kept in ``pool``).
    """

    def __init__(self, dep: Deployment, people, clients=50, seconds=40, run_id="L", warmup=0.0, keep_alive=False):
        self.dep, self.people, self.clients, self.seconds, self.run_id = dep, people, clients, seconds, run_id
        self.keep_alive = keep_alive
        self.warmup = warmup  # seconds of load before the measured window (workers' first requests, caches)
        self.stats = Stats()
        self.pool = {}  # review task id -> decision
        self.pool_lock = threading.Lock()
        self.instances = {}  # instance id -> variant
        self.confirmed = set()  # task ids whose completion a client saw answered 200
        self.problems = []
        self.lock = threading.Lock()

    def token(self, name):
        return self.people["tokens"][name]

    def run(self):
        self.started = time.time()
        self.measure_from = self.started + self.warmup
        self.stop_at = self.measure_from + self.seconds
        self.hard_deadline = self.stop_at + 90  # time to finish the instances in flight
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.clients)]
        meter = threading.Thread(target=self.meter, daemon=True)
        meter.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1, self.hard_deadline - time.time() + 10))
        meter.join(timeout=5)
        self.wall = time.time() - self.started
        window = (self.measure_from, self.stop_at) if self.warmup else None  # the drain after stop_at: not counted
        summary = self.stats.summary(self.wall, window)
        if window and self.cpu:
            requests = sum(1 for t in self.stats.finished if window[0] <= t < window[1])
            summary["cpu_ms_per_request"] = {k: round(v * 1000 / max(requests, 1), 2) for k, v in self.cpu.items()}
            summary["machine_idle_pct"] = self.idle_pct
            summary["worker_restarts_in_window"] = self.restarts
        return summary

    def meter(self):
        """What the measured window cost in CPU (app, PostgreSQL, clients), how idle the machine was, and how
        many gunicorn workers were recycled (``max_requests``) within it."""
        self.cpu, self.idle_pct, self.restarts = {}, None, None
        if not self.warmup:
            return
        time.sleep(max(0.0, self.measure_from - time.time()))
        before, idle_before, workers = self.dep.cpu_seconds(), machine_cpu_ticks(), set(self.dep.worker_pids())
        time.sleep(max(0.0, self.stop_at - time.time()))
        after, idle_after = self.dep.cpu_seconds(), machine_cpu_ticks()
        self.cpu = {k: after[k] - before[k] for k in before}
        idle, total = (a - b for a, b in zip(idle_after, idle_before, strict=True))
        self.idle_pct = round(100 * idle / max(total, 1), 1)
        self.restarts = len(set(self.dep.worker_pids()) - workers)

    def client(self, n):
        http_ = Http(self.dep.ports[n % len(self.dep.ports)], self.stats, self.keep_alive)  # spread over the hosts
        officer = self.people["officers"][n % COLLEGES]
        dpo = self.people["dpo"][n % DPO_OFFICERS]
        k = 0
        while time.time() < self.stop_at:
            variant = "AB"[k % 2] if n % 2 else "BA"[k % 2]
            key = f"{self.run_id}-{n}-{k}-{variant}"
            try:
                self.drive(http_, officer, dpo, key, variant)
            except Exception as exc:  # report, keep the other clients going
                with self.lock:
                    self.problems.append(f"client {n} {key}: {type(exc).__name__}: {exc}")
                return
            k += 1

    def start(self, http_, officer, key):
        while time.time() < self.hard_deadline:
            status, data = http_.call(
                "POST",
                "/processes/example_approval/instances",
                self.token(officer),
                {"data": {"title": key}, "business_key": key, "title": key},
                label="start",
            )
            if status == 201:
                return data["id"]
            if status not in Http.RETRYABLE:
                raise RuntimeError(f"start answered {status}: {data}")
            # the answer was lost: did the start commit? (never start the same business key twice)
            status, found = http_.get(f"/instances?business_key={key}", self.token(officer), "list", self.hard_deadline)
            if status == 200 and found:
                return found[0]["id"]
            time.sleep(0.2)
        raise RuntimeError("could not start before the deadline")

    def drive(self, http_, officer, dpo, key, variant):
        inst_id = self.start(http_, officer, key)
        with self.lock:
            self.instances[inst_id] = variant
        submits, stuck = set(), Counter()
        while time.time() < self.hard_deadline:
            status, inst = http_.get(f"/instances/{inst_id}", self.token(officer), "instance", self.hard_deadline)
            if status != 200:
                raise RuntimeError(f"instance {inst_id}: {status} {inst}")
            if inst["status"] == "completed":
                return
            submit = [t for t in inst["tasks"] if t["task_def"] == "submit_request"]
            if submit:
                submits.add(submit[0]["id"])
                self.complete(http_, submit[0]["id"], officer, REQUEST)
                continue
            status, tasks = http_.get(
                f"/tasks?view=all&business_key={key}", self.token(dpo), "inbox", self.hard_deadline
            )
            review = [t for t in (tasks or []) if t["task_def"] == "review_request" and t["status"] == "open"]
            if not review:
                time.sleep(0.02)
                continue
            task = review[0]
            decision = "reject" if variant == "A" or len(submits) > 1 else "return"
            with self.pool_lock:
                self.pool[task["id"]] = decision
            if task["assignee"] is None:
                self.review(http_, task["id"], decision, dpo)
            else:
                stuck[task["id"]] += 1
                if stuck[task["id"]] >= 5:  # the claimer's client lost its answer: act as the claimer
                    self.complete(
                        http_, task["id"], task["assignee"], {"decision": decision, "comment": "по итогам проверки"}
                    )
                else:
                    time.sleep(0.05)
            self.help_others(http_, dpo)
        raise RuntimeError(f"instance {inst_id} not finished before the deadline")

    def review(self, http_, task_id, decision, dpo):
        status, _ = http_.call("POST", f"/tasks/{task_id}/claim", self.token(dpo), label="claim")
        if status == 200:
            self.complete(http_, task_id, dpo, {"decision": decision, "comment": "по итогам проверки"})

    def complete(self, http_, task_id, user, data):
        status, body = http_.call(
            "POST", f"/tasks/{task_id}/complete", self.token(user), {"data": data}, label="complete"
        )
        if status == 200:
            with self.lock:
                self.confirmed.add(task_id)
            with self.pool_lock:
                self.pool.pop(task_id, None)
        elif status not in (409, *Http.RETRYABLE):
            with self.lock:
                self.problems.append(f"complete {task_id} as {user}: {status} {body}")

    def help_others(self, http_, dpo):
        with self.pool_lock:
            candidates = list(self.pool.items())
        if candidates:
            task_id, decision = random.choice(candidates)
            self.review(http_, task_id, decision, dpo)


EXPECTED = {
    "A": ["submit_request", "review_request"],
    "B": ["submit_request", "review_request", "submit_request", "review_request"],
}


def check(dep: Deployment, workload: Workload | None = None) -> dict:
    """Look at the database directly: tasks, audit events, engine state, the chain."""
    from sqlalchemy import func, select

    from workflow_app.extensions import db
    from workflow_app.models import AuditEvent, HumanTask, ProcessInstance

    advance = code_module("workflow_app.services.cases.advance", "workflow_app.services.instances")
    trail = code_module("workflow_app.services.audit.trail", "workflow_app.services.audit")
    app = dep.app()
    report = {"problems": []}
    problems = report["problems"]
    with app.app_context():
        rows = db.session.execute(select(ProcessInstance)).scalars().all()
        tasks_by_instance = defaultdict(list)
        for t in db.session.execute(select(HumanTask).order_by(HumanTask.id)).scalars():
            tasks_by_instance[t.instance_id].append(t)
        events = defaultdict(Counter)
        completed_events = Counter()
        claimed_events = Counter()
        for kind, inst_id, task_id in db.session.execute(
            select(AuditEvent.kind, AuditEvent.instance_id, AuditEvent.task_id)
        ):
            events[inst_id][kind] += 1
            if kind == "task_completed":
                completed_events[task_id] += 1
            if kind == "task_claimed":
                claimed_events[task_id] += 1
        report["instances"] = len(rows)
        report["instances_by_status"] = dict(Counter(r.status for r in rows))
        twice = [t for t, n in completed_events.items() if n > 1]
        if twice:
            problems.append(f"tasks completed more than once: {twice[:10]}")
        claimed_twice = [t for t, n in claimed_events.items() if n > 1]
        report["tasks_claimed_twice"] = len(claimed_twice)
        by_key = {r.business_key: r for r in rows}
        report["lost_updates"] = 0
        if workload is not None:
            expected = workload.instances
            report["driven_instances"] = len(expected)
            for inst_id, variant in expected.items():
                inst = db.session.get(ProcessInstance, inst_id)
                if inst is None:
                    problems.append(f"instance {inst_id} lost")
                    report["lost_updates"] += 1
                    continue
                tasks = tasks_by_instance[inst_id]
                defs = [t.task_def for t in tasks]
                if (
                    inst.status != "completed"
                    or defs != EXPECTED[variant]
                    or any(t.status != "completed" for t in tasks)
                ):
                    problems.append(f"instance {inst_id} ({variant}) {inst.status}: {defs} {[t.status for t in tasks]}")
                ev = events[inst_id]
                if (
                    ev["instance_started"] != 1
                    or ev["task_completed"] != len(EXPECTED[variant])
                    or ev["instance_completed"] != 1
                ):
                    problems.append(f"instance {inst_id} audit events {dict(ev)}")
                for t in tasks:
                    if t.status == "completed" and completed_events[t.id] != 1:
                        problems.append(f"task {t.id}: {completed_events[t.id]} task_completed events")
                    if t.task_def == "review_request" and claimed_events[t.id] != 1:
                        problems.append(f"review task {t.id}: {claimed_events[t.id]} successful claims")
            all_tasks = {t.id: t for ts in tasks_by_instance.values() for t in ts}
            for task_id in workload.confirmed:  # every completion a client saw confirmed is in the database
                t = all_tasks.get(task_id)
                if t is None or t.status != "completed":
                    problems.append(f"confirmed completion of task {task_id} lost")
                    report["lost_updates"] += 1
            report["confirmed_completions"] = len(workload.confirmed)
        # every running instance loads, and its open tasks are exactly the engine's READY user tasks
        mismatched = 0
        for inst in rows:
            if inst.status != "running":
                continue
            loaded = advance.load(inst)
            ready = sorted(v.engine_task_id for v in loaded.ready_user_tasks())
            open_rows = sorted(t.engine_task_id for t in tasks_by_instance[inst.id] if t.status == "open")
            if ready != open_rows:
                mismatched += 1
                problems.append(f"instance {inst.id}: engine READY {ready} vs open rows {open_rows}")
        report["half_advanced_instances"] = mismatched
        report["sealed_within_s"] = _wait_sealed(dep)
        result = trail.verify(db.session)
        report["audit_events"] = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        report["chain_ok"] = bool(result.ok)
        if not result.ok:
            problems.append(f"audit chain broken: {result}")
        report["by_key_count"] = len(by_key)
        db.session.remove()
        db.engine.dispose()
    return report


def _wait_sealed(dep: Deployment, limit=30.0):
    """Seconds until every committed audit event is sealed: by the running schedulers' sequencers, or here
    when none runs (None for code without a sequencer)."""
    from workflow_app.extensions import db

    trail = code_module("workflow_app.services.audit.trail", "workflow_app.services.audit")
    try:
        sequencer = code_module("workflow_app.services.audit.sequencer", "workflow_app.services.audit_sequencer")
    except ModuleNotFoundError:  # an older checkout (paired runs): one chain, appended in the command
        return None
    started = time.time()
    while time.time() - started < limit:
        db.session.rollback()
        if not dep.scheduler_procs:
            sequencer.seal_pending()
        if trail.verify(db.session).unsealed == 0:
            return round(time.time() - started, 2)
        time.sleep(0.2)
    return None


def print_report(title, summary, report, extra=None):
    out = {"benchmark": title, **summary, **(extra or {}), "check": report}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out
