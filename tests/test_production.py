"""The production profile: refusals at start-up, security headers, cookie flags, no stack traces, login limits,
the password policy for real (non-demo) users, structured logs with a request id."""

import json
import logging
import re

import pytest
from conftest import _make_app
from factories import org, user

from workflow_app import create_app
from workflow_app.config import DEFAULT_SECRET, database_url, engine_options
from workflow_app.extensions import db
from workflow_app.services import demo
from workflow_app.services.errors import Forbidden, Invalid
from workflow_app.services.people import administration, tokens
from workflow_app.services.people.actors import SYSTEM, password_problems


def test_production_refuses_the_default_secret_key(database_url):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEFAULT_SECRET, "SQLALCHEMY_DATABASE_URI": database_url})
    # the same with a real secret starts
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["LOG_JSON"] in (True, False)


def test_production_refuses_demo_data(database_url, monkeypatch):
    app = _make_app(database_url, {"ENV_NAME": "production", "SECRET_KEY": "s" * 40})
    with app.app_context():
        with pytest.raises(Forbidden, match="production"):
            demo.load(SYSTEM)
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 1 and "production" in result.output
        from workflow_app.models import User

        assert db.session.query(User).filter_by(is_demo=True).count() == 0
        db.session.remove()
        db.engine.dispose()
    # outside production the same command works (so the refusal above is the production switch)
    dev = _make_app(database_url, {"ENV_NAME": "development"})
    with dev.app_context():
        monkeypatch.delenv("SOGLASIE_ENV", raising=False)
        assert demo.load(SYSTEM).users_total > 0
        db.session.remove()
        db.engine.dispose()


def test_postgres_urls_use_psycopg3_and_a_pool_without_pings_with_prepared_statements(monkeypatch):
    assert database_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgresql://u@h:5433/db") == "postgresql+psycopg://u@h:5433/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    options = engine_options("postgresql+psycopg://u@h/db")
    assert options["pool_pre_ping"] is False and options["pool_size"] >= 1 and "pool_recycle" in options
    assert options["connect_args"] == {"prepare_threshold": 5}  # psycopg prepares a statement at its 5th use
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "none")  # behind a PgBouncer older than 1.21 (transaction mode)
    assert engine_options("postgresql+psycopg://u@h/db")["connect_args"] == {"prepare_threshold": None}
    assert engine_options("sqlite:///x.db") == {}  # a file never goes stale: no ping per checkout


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/api/v1/me", "/healthz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Request-ID"]
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    # no inline <script> in the login page (the CSP would block it anyway)
    html = client.get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def _login(client, username, password):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, "the login form carries a CSRF token"
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})


def test_session_cookie_flags(database_url):
    app = _make_app(database_url, {"SESSION_COOKIE_SECURE": True})
    with app.app_context():
        user("clerk_one", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-1")
        client = app.test_client()
        response = _login(client, "clerk_one", "correct-horse-1")
        assert response.status_code == 302
        cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie" and v.startswith("session=")]
        assert cookies, response.headers
        flags = cookies[-1].lower()
        assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags
        assert response.headers.get("Strict-Transport-Security")
        db.session.remove()
        db.engine.dispose()


def test_the_login_form_without_csrf_token_is_refused(app, client):
    user("clerk_two", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-2")
    response = client.post("/login", data={"username": "clerk_two", "password": "correct-horse-2"})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_a_500_shows_no_stack_trace(database_url):
    app = _make_app(database_url, {"TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    def boom():
        raise ZeroDivisionError("secret internals: /srv/soglasie/app.py line 42")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    with app.app_context():
        user("clerk_three", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-3")
        bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "clerk_three", "t")}
        client = app.test_client()
        for path in ("/boom", "/api/v1/boom"):
            response = client.get(path, headers=bearer)
            body = response.get_data(as_text=True)
            assert response.status_code == 500
            assert "Traceback" not in body and "ZeroDivisionError" not in body and "secret internals" not in body
            assert "app.py" not in body
        assert client.get("/api/v1/boom", headers=bearer).get_json()["error"]["code"] == "internal"
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres_too
def test_a_value_the_database_cannot_take_is_a_400_page_not_a_500(database_url):
    """A number beyond the column's range (SQLite: OverflowError) or a NUL character (PostgreSQL: DataError) that
    reaches a query is bad input: a Russian 400 page on a web route, a 400 body on the API, in production mode
    (where an error raised inside the error handler used to become a 500)."""
    from sqlalchemy import select

    from workflow_app.models import User

    app = _make_app(database_url, {"TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    def lookup():
        db.session.execute(select(User).where(User.username == "a\x00b")).all()  # PostgreSQL refuses NUL
        db.session.execute(select(User).where(User.id == 2**70)).all()  # SQLite's integers end at 2**63
        return "found"

    app.add_url_rule("/lookup", "lookup", lookup)
    app.add_url_rule("/api/v1/lookup", "api_lookup", lookup)
    with app.app_context():
        user("clerk_four", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-4")
        bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "clerk_four", "t")}
        client = app.test_client()
        page = client.get("/lookup", headers=bearer)
        assert page.status_code == 400 and "Запрос не может быть обработан" in page.get_data(as_text=True)
        answer = client.get("/api/v1/lookup", headers=bearer)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_request"
        assert client.get("/public/kcp/%00").status_code in (400, 404)  # a real page, anonymous
        assert client.get("/healthz").status_code == 200  # the session was rolled back: the next request works
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "password, ok",
    [
        ("short1", False),
        ("1234567890123", False),
        ("alice.smith", False),
        ("ALICE.SMITH", False),
        ("correct-horse", True),
        ("1234567890a", True),
    ],
)
def test_password_policy(password, ok):
    assert (password_problems("alice.smith", password) == []) is ok


def test_password_policy_applies_to_created_users_and_the_cli(app):
    org("DEPPO", kind="department")
    with pytest.raises(Invalid) as err:
        administration.add_user(SYSTEM, "petrov", "0123456789", groups=["dpo_officer"], organisation_code="DEPPO")
    assert "digits" in err.value.fields["password"]
    with pytest.raises(Invalid):
        administration.add_user(SYSTEM, "petrov.ivan", "petrov.ivan", groups=["dpo_officer"])
    with pytest.raises(Invalid):
        administration.add_user(SYSTEM, "petrov", "short", groups=["dpo_officer"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "petrov", "--password", "123456789012", "--group", "dpo_officer"])
    assert result.exit_code == 1 and "password" in result.output
    result = runner.invoke(
        args=["users", "create", "petrov", "--password", "Tomsk-2027-secure", "--group", "dpo_officer"]
    )
    assert result.exit_code == 0, result.output
    assert administration.add_user(SYSTEM, "sidorov", "another good one", groups=["auditor"]).id


def test_json_log_lines_carry_the_request_id(app, client):
    from workflow_app.logging_setup import JsonFormatter

    lines = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(JsonFormatter().format(record))

    app.config["LOG_JSON"] = True
    handler = Capture()
    access = logging.getLogger("soglasie.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.disabled = False  # alembic's fileConfig (migrations in the session fixture) disables loggers
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "req-abc-123"})
    finally:
        access.removeHandler(handler)
    assert response.headers["X-Request-ID"] == "req-abc-123"
    entry = json.loads(lines[-1])
    assert entry["request_id"] == "req-abc-123" and entry["status"] == 200 and entry["path"] == "/healthz"
    assert "duration_ms" in entry


def test_a_lost_database_is_503_with_retry_after(monkeypatch):
    from pgcluster import _free_port
    from sqlalchemy import text

    url = f"postgresql://soglasie@127.0.0.1:{_free_port()}/nothing"  # nobody listens there
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "s" * 40,
            "TESTING": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}},
        }
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")

    def touch():
        db.session.execute(text("SELECT 1"))
        return "ok"

    app.add_url_rule("/db-touch", "db_touch", touch)
    with app.app_context():
        client = app.test_client()
        r = client.get("/api/v1/me", headers={"Authorization": "Bearer sgl_whatever"})
        assert r.status_code == 503 and r.headers["Retry-After"] and r.get_json()["error"]["code"] == "unavailable"
        r = client.get("/db-touch")
        assert r.status_code == 503 and "Traceback" not in r.get_data(as_text=True)
        assert "недоступ" in r.get_data(as_text=True)  # Russian by default
        assert client.get("/healthz").get_json()["status"] == "degraded"


def test_out_of_range_ids_are_404_not_500(app, client):
    user("clerk_four", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-4")
    bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "clerk_four", "t")}
    for path in ("/api/v1/tasks/3124202534551954242142208", "/api/v1/instances/99999999999999999999"):
        assert client.get(path, headers=bearer).status_code == 404
    r = client.post("/api/v1/tasks/3124202534551954242142208/follow-up", json={"follow_up_at": None}, headers=bearer)
    assert r.status_code == 404


def test_operator_creates_organisations_and_users_without_demo_data(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["orgs", "create", "DEPPO", "Департамент профессионального образования"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["orgs", "create", "DEPPO", "again"]).exit_code == 1
    assert (
        "inn"
        in runner.invoke(
            args=["orgs", "create", "INV1", "ООО Ромашка", "--kind", "investor", "--inn", "7017123450"]
        ).output
    )
    assert (
        runner.invoke(
            args=["orgs", "create", "INV1", "ООО Ромашка", "--kind", "investor", "--inn", "7017123451"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=[
            "users",
            "create",
            "ivanova",
            "--password",
            "Tomsk-2027-secure",
            "--group",
            "dpo_officer",
            "--org",
            "DEPPO",
        ]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["orgs", "list"]).output
    assert "DEPPO" in listing and "INV1" in listing
    from workflow_app.models import AuditEvent

    assert db.session.query(AuditEvent).filter_by(kind="organisation_created").count() == 2


def test_the_served_app_is_frozen_for_the_garbage_collector(tmp_path):
    """gunicorn's app (wsgi.py) and `flask run-all` call ready_to_serve: what lives for the whole process is
    out of the collector's reach; a plain create_app (tests, CLI) leaves the collector as it is."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3", "PYTHONPATH": str(root)}
    probe = "import gc, wsgi; print(gc.get_freeze_count())"
    frozen = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert frozen.returncode == 0, frozen.stderr
    assert int(frozen.stdout.split()[-1]) > 10_000
    plain = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc; from workflow_app import create_app; create_app(); print(gc.get_freeze_count())",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.split()[-1] == "0"


@pytest.mark.postgres
def test_a_connection_lost_after_the_answer_was_built_does_not_turn_it_into_a_500(app, database_url):
    """The database restarts between the view's last query and the end of the request: the session's final
    rollback fails on the dead connection. The answer stands; the pool drops the connection; the next request
    works. (A fault run once saw a 500 here, from Flask-SQLAlchemy's teardown.)"""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    def answer_then_lose_the_connection():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return "answered"

    app.add_url_rule("/answer-then-lose", "answer_then_lose", answer_then_lose_the_connection)

    def request(path):  # on a thread without the test's app context: the request ends its own, as a server's does
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: app.test_client().get(path)).result()

    r = request("/answer-then-lose")
    assert (r.status_code, r.get_data(as_text=True)) == (200, "answered")
    assert request("/healthz").get_json()["status"] == "ok"


@pytest.mark.postgres
def test_connections_the_server_dropped_cost_one_503_then_the_pool_is_fresh(app, database_url):
    """No pre-ping (a round trip per request): when PostgreSQL drops every connection (a restart), the first
    request on a dead one is answered 503 with Retry-After, SQLAlchemy discards the whole pool, and the
    following requests work: never a 500."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    server = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "s" * 40, "TESTING": False, "LOG_JSON": False}
    )
    assert server.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False

    def request(path):  # on threads without the test's app context, two at a time: two pooled connections
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda _: server.test_client().get(path), range(2)))

    assert {r.status_code for r in request("/healthz")} == {200}
    with server.app_context():
        dropped = db.session.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
        db.session.remove()
    assert dropped >= 1
    statuses = [r.status_code for _ in range(3) for r in request("/api/v1/processes")]
    assert set(statuses) <= {401, 503} and 500 not in statuses, statuses  # 401: no token, the database answered
    assert statuses[-2:] == [401, 401], statuses
    with server.app_context():
        db.engine.dispose()
