"""Issue #18, one test (or a few) per class of way around the rules: each fails on the code before the fix."""

import io
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from test_council import chains, people  # noqa: F401  (fixtures of the council tests)

from workflow_app import create_app
from workflow_app.config import DEFAULT_SECRET

FROZEN_AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # the council tests' day (tests using ``frozen``)

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

    from workflow_app.services.people import tokens
    from workflow_app.services.people.actors import SYSTEM

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
    bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, "college_officer_1", "t")}
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

    from workflow_app.services.people import tokens
    from workflow_app.services.people.actors import SYSTEM

    example_people()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    for who, full in (("college_officer_1", False), ("auditor", True), ("admin", True)):
        bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, who, "t")}
        body = client.get("/healthz", headers=bearer).get_json()
        assert ("models" in body and "scheduler" in body) is full, (who, body)
        assert body["status"] == "ok"


# --- 9. logins do not tell which user names exist; hashes at OWASP's parameters, upgraded at login ----------


def test_default_password_hashing_is_owasps_argon2id():
    from workflow_app.config import Config

    assert Config.PASSWORD_HASH == {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}


def test_an_old_hash_is_upgraded_at_login_to_todays_parameters(app, client):
    from factories import org, user
    from werkzeug.security import generate_password_hash

    from workflow_app.config import Config
    from workflow_app.extensions import db
    from workflow_app.models import User

    app.config["PASSWORD_HASH"] = Config.PASSWORD_HASH
    for name in ("web_user", "api_user"):
        u = user(name, ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-9")
        u.password_hash = generate_password_hash("correct-horse-9", method="pbkdf2:sha256:260000")
    db.session.commit()
    r = client.post("/api/v1/auth/token", json={"username": "api_user", "password": "correct-horse-9"})
    assert r.status_code in (200, 201), r.get_json()
    from test_web import login

    assert login(client, "web_user", "correct-horse-9").status_code == 302
    db.session.expire_all()
    for name in ("web_user", "api_user"):
        stored = db.session.query(User).filter_by(username=name).one().password_hash
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored
    # and the upgraded hash still lets them in
    r = client.post("/api/v1/auth/token", json={"username": "api_user", "password": "correct-horse-9"})
    assert r.status_code in (200, 201)


def test_unknown_user_and_wrong_password_cost_the_same_work(app, client, monkeypatch):
    """One verification of one hash at today's parameters either way, and no hash computed per attempt
    (the old code hashed a decoy AND checked it for an unknown name: twice the time of a wrong password)."""
    from argon2 import PasswordHasher
    from factories import org, user

    from workflow_app.services.people import actors

    user("known_user", ["dpo_officer"], org("DEPPO", kind="department"), password="correct-horse-9")
    work = []
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def counted_verify(self, hashed, password):
        work.append(("verify", self.memory_cost, self.time_cost))
        return real_verify(self, hashed, password)

    def counted_hash(self, password, **kw):
        work.append(("hash", self.memory_cost, self.time_cost))
        return real_hash(self, password, **kw)

    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    monkeypatch.setattr(actors, "check_password_hash", lambda *a: work.append(("legacy",)) or False)
    actors.authenticate("warm_up_the_decoy", "x")
    seen = {}
    for name in ("known_user", "nobody_by_this_name", "known_user", "another_stranger"):
        work.clear()
        r = client.post("/api/v1/auth/token", json={"username": name, "password": "wrong-password-1"})
        assert r.status_code == 401
        seen[name] = list(work)
    assert seen["known_user"] == seen["nobody_by_this_name"] == seen["another_stranger"]
    assert [w[0] for w in seen["known_user"]] == ["verify"]


def test_demo_users_have_distinct_salts(app):
    from workflow_app.extensions import db
    from workflow_app.models import User
    from workflow_app.services import demo
    from workflow_app.services.people.actors import SYSTEM

    demo.load(SYSTEM)
    hashes = [u.password_hash for u in db.session.query(User).filter_by(is_demo=True)]
    assert len(hashes) > 30 and len(set(hashes)) == len(hashes)
    assert all(h.startswith("$argon2id$") for h in hashes)
    demo.load(SYSTEM)  # idempotent: a hash that still matches is kept
    assert sorted(u.password_hash for u in db.session.query(User).filter_by(is_demo=True)) == sorted(hashes)


# --- 5. no spreadsheet formula in anything the product writes ----------------------------------------------

HOSTILE_CELLS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "  =1+1"]


def test_public_csv_neutralises_formulas(client):
    import csv

    from workflow_app.services import publication
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.uow import UnitOfWork

    rows = [
        {"college": text, "programme_name": text, "current_kcp": 10, "approved_kcp": 5, "delta": -5}
        for text in HOSTILE_CELLS
    ]
    with UnitOfWork(SYSTEM) as uow:
        publication.publish(uow, "kcp", "2031", "КЦП на 2031 год", {"rows": rows})
        uow.commit()
    r = client.get("/public/kcp/2031.csv")
    assert r.status_code == 200
    table = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig")), delimiter=";"))
    header = table[0]
    for line, text in zip(table[1:], HOSTILE_CELLS, strict=True):
        assert line[header.index("ПОО")] == "'" + text
        assert line[header.index("Профессия / специальность")] == "'" + text
        assert line[header.index("Изменение")] == "-5"  # a number stays a number


def test_audit_exports_neutralise_formulas_in_csv_and_xlsx(app):
    import csv

    from openpyxl import load_workbook

    from workflow_app.services.audit import queries
    from workflow_app.services.people.actors import SYSTEM, Actor
    from workflow_app.services.uow import UnitOfWork

    with UnitOfWork(SYSTEM) as uow:
        for text in HOSTILE_CELLS:  # names as they would come from an identity provider or an import
            uow.record("published", payload={}, actor=Actor(None, text))
        uow.commit()
    reader = Actor(None, "auditor", groups=frozenset({"auditor"}))
    content, _mime, _name = queries.export(reader, {"kind": "published"}, "csv")
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [row["actor_name"] for row in table] == ["'" + t for t in HOSTILE_CELLS]
    content, _mime, _name = queries.export(reader, {"kind": "published"}, "xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    lines = list(ws.iter_rows())
    column = [c.value for c in lines[0]].index("actor_name")
    for line, text in zip(lines[1:], HOSTILE_CELLS, strict=True):
        assert line[column].data_type == "s" and line[column].value == "'" + text


def test_every_csv_and_xlsx_goes_through_the_one_writer():
    """No module but services/spreadsheets.py writes CSV or XLSX itself."""
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "workflow_app"
    writers = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.name != "spreadsheets.py"
        and re.search(r"^\s*(import csv|from csv |from openpyxl|import openpyxl)", p.read_text(), re.M)
        and re.search(r"csv\.writer|DictWriter|Workbook\(", p.read_text())
    ]
    assert writers == []


def test_colleges_and_investors_do_not_see_the_bodies_members_or_workload(client):
    from workflow_app.extensions import db
    from workflow_app.services import demo
    from workflow_app.services.people import tokens
    from workflow_app.services.people.actors import SYSTEM

    demo.load(SYSTEM)
    db.session.commit()

    def bodies(who):
        bearer = {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, who, "t")}
        r = client.get("/api/v1/council/bodies", headers=bearer)
        assert r.status_code == 200
        return r.get_json()

    for outsider in ("investor_1", "college_officer_1", "college_director_1", "dpo_officer"):
        assert bodies(outsider) == [], outsider
    mine = bodies("cc_member")
    assert [b["code"] for b in mine] == ["coordination_council"] and mine[0]["members"]
    assert [b["code"] for b in bodies("auditor")] == ["coordination_council", "expert_council", "working_group"]


# --- 1. one person never gives two signatures of one act; a substitute is a registered deputy -------------


def test_the_secretary_deputising_for_the_chair_does_not_sign_the_protocol_twice(app, people, chains, frozen):
    from datetime import date

    from test_council import CC, a, decide, open_task, ready_meeting, start

    from workflow_app.extensions import db
    from workflow_app.models import Deputy, Protocol
    from workflow_app.services import council
    from workflow_app.services.errors import Forbidden

    db.session.add(
        Deputy(
            principal_id=people["chair"].id,
            deputy_id=people["secretary"].id,
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 12, 31),
        )
    )
    db.session.commit()
    q = start("council_test_quota", "КЦП-18")
    meeting, [item] = ready_meeting(people, [open_task(q, "cc_decide").id])
    decide(people, meeting, item, "approve")
    secretary = a(people["secretary"])  # acts in the chair's seat today as well
    council.sign(secretary, meeting.id)
    with pytest.raises(Forbidden, match="two different people"):
        council.sign(secretary, meeting.id)
    assert db.session.query(Protocol).one().status == "draft"
    signed = council.sign(a(people["chair"]), meeting.id)  # the chair in person closes it
    assert signed.status == "signed" and signed.signed_by_chair_id != signed.signed_by_secretary_id
    assert CC


def test_a_substitute_must_be_the_members_registered_deputy(app, people, chains, frozen):
    from test_council import a, open_task, ready_meeting, start

    from workflow_app.services import council
    from workflow_app.services.errors import Invalid

    q = start("council_test_quota", "КЦП-19")
    meeting, _items = ready_meeting(people, [open_task(q, "cc_decide").id], present=("chair", "m1"))
    sec = a(people["secretary"])
    with pytest.raises(Invalid) as refused:  # any user is not a substitute
        council.record_attendance(
            sec,
            meeting.id,
            [people["chair"].id, people["m1"].id],
            substitutes=[{"member_id": people["m4"].id, "substitute_id": people["outsider"].id}],
        )
    assert "registered deputy" in str(refused.value.fields)
    quorum = council.record_attendance(  # the member's registered deputy is
        sec,
        meeting.id,
        [people["chair"].id, people["m1"].id],
        substitutes=[{"member_id": people["m2"].id, "substitute_id": people["deputy"].id}],
    )
    assert quorum.reached


# --- 2. nothing public identifies an investor ------------------------------------------------------------


def test_investment_aggregates_only_when_enough_projects_contribute(client):
    import json

    from workflow_app.services import publication
    from workflow_app.services.cases.operations import OperationContext
    from workflow_app.services.chains.investment import publish_investment
    from workflow_app.services.people.actors import SYSTEM
    from workflow_app.services.uow import UnitOfWork

    def case(jobs, needs):
        with UnitOfWork(SYSTEM) as uow:
            publish_investment(OperationContext(uow, None, SYSTEM), {}, {"jobs": [{"jobs": jobs}], "needs": needs})
            uow.commit()
        year = max(p.key for p in publication.current() if p.kind == "investment")
        return year, client.get(f"/public/investment/{year}.json").get_json()

    secret = "Оператор установки «Сибхим-Про» (наш техпроцесс №7)"
    year, out = case(120, [{"profession": secret, "category": "worker", "number": 60}])
    assert (out["projects"], out["jobs"], out["categories"]) == (1, None, [])  # one project: its count only
    year, out = case(80, [{"profession": "Инженер", "category": "higher", "number": 5}])
    assert (out["projects"], out["jobs"], out["categories"]) == (2, None, [])
    year, out = case(40, [{"profession": "Слесарь", "category": "worker", "number": 7}])
    assert out["projects"] == 3 and out["jobs"] == 240
    # rows of at least three projects only: «рабочие» has two contributors, «специалисты с высшим» one
    assert out["categories"] == []
    year, out = case(10, [{"profession": "Сварщик", "category": "worker", "number": 3}])
    assert out["categories"] == [{"category": "рабочие", "number": 70}]
    everything = (
        json.dumps(out, ensure_ascii=False)
        + client.get(f"/public/investment/{year}").get_data(as_text=True)
        + client.get(f"/public/investment/{year}.csv").get_data(as_text=True)
    )
    for text in (secret, "Инженер", "Слесарь", "Сварщик", "contributions"):
        assert text not in everything  # free text is never published, nor what is kept for the next case
