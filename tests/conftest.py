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
