"""Issue #18, one test (or a few) per class of way around the rules: each fails on the code before the fix."""

import io
import re

import pytest
from flask import Flask

from workflow_app import create_app
from workflow_app.config import DEFAULT_SECRET

# --- 8. the server never runs on a secret anyone can read -------------------------------------------------


@pytest.mark.parametrize("mode", ["development", "production"])
def test_the_published_secret_is_refused_in_every_mode(database_url, mode):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": mode, "SECRET_KEY": DEFAULT_SECRET, "SQLALCHEMY_DATABASE_URI": database_url})


def test_without_a_secret_development_makes_a_random_one_and_keeps_it(database_url, tmp_path):
    config = {"ENV_NAME": "development", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": database_url}
    first = create_app({**config, "SECRET_KEY_FILE": str(tmp_path / "a" / "secret_key")})
    again = create_app({**config, "SECRET_KEY_FILE": str(tmp_path / "a" / "secret_key")})
    other = create_app({**config, "SECRET_KEY_FILE": str(tmp_path / "b" / "secret_key")})
    key = first.config["SECRET_KEY"]
    assert len(key) >= 32 and key != DEFAULT_SECRET
    assert again.config["SECRET_KEY"] == key  # sessions survive a restart
    assert other.config["SECRET_KEY"] != key  # every installation its own
    assert (tmp_path / "a" / "secret_key").stat().st_mode & 0o077 == 0
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**config, "ENV_NAME": "production"})


def test_a_session_forged_with_the_published_secret_is_not_accepted(database_url, tmp_path):
    from flask.sessions import SecureCookieSessionInterface

    app = create_app(
        {"SECRET_KEY": None, "SECRET_KEY_FILE": str(tmp_path / "k"), "SQLALCHEMY_DATABASE_URI": database_url}
    )
    forger = Flask("forger")
    forger.secret_key = DEFAULT_SECRET
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"_user_id": "1", "_fresh": True})
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    with pytest.raises(Exception, match="Signature"):
        serializer.loads(cookie)


# --- 10. every attachment is served as a download, on the web pages as in the API --------------------------


@pytest.mark.parametrize(
    "name,content_type,content",
    [
        ("page.html", "text/html", b"<script>alert(document.cookie)</script>"),
        ("picture.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ],
)
def test_attachments_are_never_served_in_the_uploaders_type(client, deployed, name, content_type, content):
    from factories import example_people
    from test_web import login, start_example, task_id_of, text, token

    from workflow_app.services import accounts
    from workflow_app.services.identity import SYSTEM

    example_people()
    login(client, "college_officer_1")
    location = start_example(client)
    tid = task_id_of(location)
    r = client.post(
        f"/tasks/{tid}/attachments",
        data={"csrf_token": token(text(client.get(location))), "file": (io.BytesIO(content), name, content_type)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302, text(r)
    href = re.search(r'href="(/tasks/\d+/attachments/\d+)"', text(client.get(location))).group(1)
    bearer = {"Authorization": "Bearer " + accounts.issue_token(SYSTEM, "college_officer_1", "t")}
    for url, headers in ((href, {}), ("/api/v1" + href, bearer)):
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.data == content
        assert r.mimetype == "application/octet-stream", (url, r.mimetype)
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r.headers["Content-Security-Policy"]


# --- 11. who sees what: health for anonymous callers is up/down only ----------------------------------------


def test_healthz_tells_only_administrators_and_auditors_what_runs(client, deployed):
    from factories import example_people

    from workflow_app.services import accounts
    from workflow_app.services.identity import SYSTEM

    example_people()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    for who, full in (("college_officer_1", False), ("auditor", True), ("admin", True)):
        bearer = {"Authorization": "Bearer " + accounts.issue_token(SYSTEM, who, "t")}
        body = client.get("/healthz", headers=bearer).get_json()
        assert ("models" in body and "scheduler" in body) is full, (who, body)
        assert body["status"] == "ok"
