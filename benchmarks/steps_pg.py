"""Where the app's CPU goes, step by step: the load's own requests, in-process, on PostgreSQL.

``make load`` gives requests/s and the CPU per request of the whole deployment; this gives the app's thread CPU
for each step of the flow the load drives (the example approval: start, GET the instance, submit, the inbox by
case number, claim, a lost claim, a review that returns the request or rejects it), through the Flask test
client on a throwaway PostgreSQL with production commit settings. Every answer is checked (a refused step would
be timed as a cheap one). Printed: each step's median, and the mean per request as the flow mixes them (about
the load's mix: a third of the requests read an instance, a quarter complete a task).

``--compare-with REF`` runs REF's code (a temporary git worktree with its own virtualenv) alternately with this
checkout, each round in a fresh cluster, and prints REF / this checkout per step.

    python -m benchmarks.steps_pg [--cases 60] [--rounds 2] [--compare-with REF]
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import older_checkout

HARNESS_ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 10  # cases run before the timing starts (first statements prepared, caches filled)
STEPS = ("start", "instance", "submit", "inbox", "claim", "lost claim", "review: return", "review: reject")
COMMENT = "по итогам проверки"


class Flow:
    """The load's flow on one instance, each request timed in thread CPU and its status checked."""

    def __init__(self, client, people, request_data):
        self.client, self.people, self.request_data = client, people, request_data
        self.officer, self.dpo, self.other_dpo = people["officers"][0], people["dpo"][0], people["dpo"][1]
        self.cpu: dict[str, list[float]] = {step: [] for step in STEPS}

    def call(self, step, method, path, user, expected, body=None):
        headers = {"Authorization": "Bearer " + self.people["tokens"][user]}
        started = time.thread_time()
        answer = self.client.open("/api/v1" + path, method=method, headers=headers, json=body)
        self.cpu[step].append((time.thread_time() - started) * 1000)
        if answer.status_code != expected:
            raise RuntimeError(f"{step}: {method} {path} answered {answer.status_code}, not {expected}: {answer.text}")
        return answer.get_json()

    def case(self, key, returned_once):
        body = {"data": {"title": key}, "business_key": key, "title": key}
        instance_id = self.call("start", "POST", "/processes/example_approval/instances", self.officer, 201, body)["id"]
        for decision in ("return", "reject") if returned_once else ("reject",):
            instance = self.call("instance", "GET", f"/instances/{instance_id}", self.officer, 200)
            submit = next(t for t in instance["tasks"] if t["task_def"] == "submit_request")
            self.call(
                "submit", "POST", f"/tasks/{submit['id']}/complete", self.officer, 200, {"data": self.request_data}
            )
            tasks = self.call("inbox", "GET", f"/tasks?view=all&business_key={key}", self.dpo, 200)
            review = next(t for t in tasks if t["task_def"] == "review_request" and t["status"] == "open")
            self.call("claim", "POST", f"/tasks/{review['id']}/claim", self.dpo, 200)
            self.call("lost claim", "POST", f"/tasks/{review['id']}/claim", self.other_dpo, 409)
            answer = {"data": {"decision": decision, "comment": COMMENT}}
            self.call(f"review: {decision}", "POST", f"/tasks/{review['id']}/complete", self.dpo, 200, answer)
        final = self.call("instance", "GET", f"/instances/{instance_id}", self.officer, 200)
        if final["status"] != "completed":
            raise RuntimeError(f"case {key} is {final['status']} after the review")


def measure(cases: int) -> dict:
    """One round in this process (the code of ``SOGLASIE_ROOT``): thread CPU ms of every timed request, by step."""
    from benchmarks.pg_harness import REQUEST, Deployment

    dep = Deployment()
    try:
        people = dep.prepare()
        flow = Flow(dep.app().test_client(), people, REQUEST)
        for i in range(WARM_UP + cases):
            if i == WARM_UP:
                flow.cpu = {step: [] for step in STEPS}
            flow.case(f"S-{i}", returned_once=i % 2 == 1)
        return flow.cpu
    finally:
        dep.stop()


def _round(root: Path, cases: int) -> dict:
    bootstrap = (
        f"import json, sys; sys.path.insert(0, {str(HARNESS_ROOT)!r}); "
        f"from benchmarks import steps_pg; print(json.dumps(steps_pg.measure({cases})))"
    )
    env = dict(os.environ, SOGLASIE_ROOT=str(root))
    python = root / ".venv" / "bin" / "python"
    out = subprocess.run([str(python), "-c", bootstrap], cwd=HARNESS_ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"the round in {root} failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare-with", default=None)
    args = parser.parse_args(argv or [])
    with contextlib.ExitStack() as stack:
        roots = {"this checkout": HARNESS_ROOT}
        if args.compare_with:
            roots[args.compare_with] = stack.enter_context(older_checkout(args.compare_with))
        samples: dict[str, dict[str, list[float]]] = {label: {step: [] for step in STEPS} for label in roots}
        for r in range(args.rounds):
            for label, root in roots.items() if r % 2 == 0 else reversed(list(roots.items())):
                for step, values in _round(root, args.cases).items():
                    samples[label][step].extend(values)
                print(f"round {r + 1}: {label} done", flush=True)
    print("== app thread CPU per step, ms (median), PostgreSQL, in-process ==")
    labels = list(roots)
    print(
        f"{'step':<16}" + "".join(f"{label:>16}" for label in labels) + (f"{'ratio':>10}" if len(labels) == 2 else "")
    )
    rows = {step: {label: statistics.median(samples[label][step]) for label in labels} for step in STEPS}
    # the mean over every timed request: the flow's own mix of steps
    rows["per request"] = {label: statistics.mean(v for vs in samples[label].values() for v in vs) for label in labels}
    for step, row in rows.items():
        ratio = f"{row[labels[1]] / row[labels[0]]:>10.2f}" if len(labels) == 2 else ""
        print(f"{step:<16}" + "".join(f"{row[label]:>16.2f}" for label in labels) + ratio)
    return rows["per request"]


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
