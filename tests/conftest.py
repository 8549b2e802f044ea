"""Fixtures: an app on a fresh, migrated database per test — SQLite always, PostgreSQL where marked.

SQLite: the schema is migrated once into a template file that each test copies. PostgreSQL: a throwaway
cluster is started once per session (tests/pgcluster.py), the schema migrated into a template database,
and each test gets ``CREATE DATABASE ... TEMPLATE``. Where the server binaries are missing the PostgreSQL
variants skip — except in CI (``CI=true``), where that is a failure.
"""

import contextlib
import itertools
import os
import shutil
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


from pgcluster import Cluster, find_bin  # noqa: E402

MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 10:00 in Tomsk, a working Monday

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_too: run this test on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL only")
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = []
        if not metafunc.definition.get_closest_marker("postgres"):
            backends.append("sqlite")
        if metafunc.definition.get_closest_marker("postgres_too") or metafunc.definition.get_closest_marker("postgres"):
            backends.append("postgres")
        metafunc.parametrize("backend", backends, indirect=True)


def _make_app(url, extra=None):
    from workflow_app import create_app
    from workflow_app.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update({"SQLALCHEMY_DATABASE_URI": url, "BPMN_DIR": str(ROOT / "bpmn"), "FORMS_DIR": str(ROOT / "forms")})
    config.update(extra or {})
    return create_app(config)


def _migrate(url):
    from flask_migrate import upgrade

    app = _make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        from workflow_app.extensions import db
        from workflow_app.services.people.actors import ensure_roles

        ensure_roles(db.session)
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_cluster():
    if find_bin() is None:
        if IN_CI:
            pytest.fail("CI=true but the PostgreSQL server binaries are missing")
        pytest.skip("PostgreSQL server binaries not installed")
    cluster = Cluster().start()
    cluster.sql("CREATE DATABASE soglasie_template")
    _migrate(cluster.url("soglasie_template"))
    yield cluster
    cluster.stop()


@pytest.fixture
def backend(request):
    return request.param


@pytest.fixture
def database_url(request, tmp_path, backend):
    if backend == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"t_{os.getpid()}_{next(_counter)}"
        cluster.sql(f"CREATE DATABASE {name} TEMPLATE soglasie_template")
        yield cluster.url(name)
        with contextlib.suppress(Exception):  # the cluster may be gone at the end of the session
            cluster.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    from workflow_app.services.process_models.catalogue import ENGINE

    # Parsed models are cached by model id; every test has a fresh database, where id 1 may be another process.
    ENGINE._models.clear()
    app = _make_app(database_url)
    with app.app_context():
        yield app
        from workflow_app.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def deployed(app):
    """The example process (bpmn/examples/example_approval.bpmn) deployed."""
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.process_models import deployment

    return deployment.deploy_path(SYSTEM, ROOT / "bpmn" / "examples" / "example_approval.bpmn")


@pytest.fixture
def frozen(request):
    """The clock stands still at the test module's ``FROZEN_AT`` (``MONDAY`` by default) for one test.

    A module opts in with ``pytestmark = pytest.mark.usefixtures("frozen")``."""
    from workflow_app.engine import clock

    clock.set_clock(getattr(request.module, "FROZEN_AT", MONDAY))
    yield
    clock.set_clock(None)


@pytest.fixture
def people(app):
    """The example organisations and people (tests/factories.py); modules that need more override it."""
    from factories import example_people

    return example_people()


# --- browser tests: Chromium through Playwright, against the app served live -----------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live_site(sqlite_template, tmp_path_factory):
    """Serve the app live for a module's browser tests: ``live_site(prepare, at=None)`` copies the migrated
    template database, loads the demo data (every password ``demo``) and runs ``prepare()`` in an app context —
    with the clock standing at ``at`` when given — then serves the app on a free localhost port in a thread until
    the module's tests are done. Returns ``(url, app, what prepare returned)``."""
    from werkzeug.serving import make_server

    from workflow_app.engine import clock
    from workflow_app.extensions import db
    from workflow_app.services import demo
    from workflow_app.services.people.actors import SYSTEM

    running = []

    def serve(prepare=None, at=None):
        path = tmp_path_factory.mktemp("live") / "live.sqlite3"
        shutil.copy(sqlite_template, path)
        app = _make_app(f"sqlite:///{path}", {"DEMO_PASSWORD": "demo"})
        if at is not None:
            clock.set_clock(at)
        try:
            with app.app_context():
                demo.load(SYSTEM, password="demo")
                prepared = prepare() if prepare is not None else None
                db.session.remove()
        finally:
            if at is not None:
                clock.set_clock(None)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread, app))
        return f"http://127.0.0.1:{server.server_port}", app, prepared

    yield serve
    for server, thread, app in running:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium; without it a browser test skips locally and fails on CI (``CI=true``)."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page at 1366x768 in Russian."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
