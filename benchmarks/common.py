"""Shared helpers for the benchmarks: a migrated throwaway SQLite app, timing, percentiles."""

import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_module(*names: str):
    """The first of these workflow_app modules that the code under test has. A paired run (``--compare-with``)
    imports an older commit's code, where a module may live at its former path (``services.audit`` before it
    became ``services.audit.trail``): name the current path first, then the former ones."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and (name == exc.name or name.startswith(exc.name + "."))):
                raise  # something else is missing: a real error
    raise ModuleNotFoundError(f"none of {names} in this checkout")


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def median(values):
    return statistics.median(values)


@contextmanager
def sqlite_app(extra=None):
    """An app on a fresh migrated SQLite file with the roles seeded and the example process deployed."""
    with tempfile.TemporaryDirectory() as tmp, app_on(f"sqlite:///{tmp}/bench.sqlite3", extra) as app:
        yield app


@contextmanager
def app_on(url, extra=None):
    """An app on a fresh migrated database at ``url`` with the roles seeded and the example process deployed."""
    sys.path.insert(0, str(ROOT / "tests"))
    from flask_migrate import upgrade

    from workflow_app import create_app
    from workflow_app.extensions import db
    from workflow_app.services.people.actors import SYSTEM, ensure_roles
    from workflow_app.services.process_models import deployment

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench-" + "b" * 40,
            **(extra or {}),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        ensure_roles(db.session)
        db.session.commit()
        deployment.deploy_path(SYSTEM, ROOT / "bpmn" / "examples" / "example_approval.bpmn")
        yield app
        db.session.remove()
        db.engine.dispose()


@contextmanager
def older_checkout(commit: str):
    """``commit``'s code in a temporary git worktree with a virtualenv of its own (its dependencies and their
    pins may differ from this checkout's), for a paired run (``--compare-with``); removed afterwards."""
    tree = Path(tempfile.mkdtemp(prefix="soglasie-old-")) / "tree"
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit], check=True)
        subprocess.run(["make", "-C", str(tree), "install"], check=True, capture_output=True)
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        shutil.rmtree(tree.parent, ignore_errors=True)


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples
