"""The audit log: chain verification and tampering, history with the path taken, search, exports, access,
administrator corrections — on a real database, through the real services and HTTP endpoints."""

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import MONDAY
from factories import actor, example_people, login_session, org, user
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from workflow_app.diagram import render_svg
from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import AuditEvent, AuditSeal, HumanTask, ProcessInstance
from workflow_app.services.audit import queries, sequencer, trail
from workflow_app.services.cases import advance, corrections
from workflow_app.services.errors import Forbidden, Invalid, NotFound
from workflow_app.services.people.actors import SYSTEM
from workflow_app.services.process_models import deployment
from workflow_app.services.tasks import commands
from workflow_app.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "audit"
REQUEST = {"title": "Заявка", "amount": 25, "justification": "Нужно больше мест для набора"}
SVG = "{http://www.w3.org/2000/svg}"


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


@pytest.fixture
def people(app):
    p = example_people()
    p["finance"] = user("finance_officer_1", ["finance_officer"], org("depfin", "Депфин", kind="department"))
    p["outsider"] = user("outsider", ["college_officer"], org("college3", "Колледж 3"))
    return p


def login(client, u):
    login_session(client, u)


def start(person, process="example_approval", key="BK-1", data=None):
    with UnitOfWork(actor(person)) as uow:
        inst = advance.start_instance(uow, actor(person), process, data or {"title": "t"}, business_key=key)
        uow.commit()
    return inst


def open_task(instance, task_def):
    return db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.task_def == task_def, HumanTask.status == "open"
        )
    ).scalar_one()


def classes(svg: str) -> dict:
    root = etree.fromstring(svg.encode("utf-8"))
    return {
        g.get("id")[3:]: set(g.get("class", "").split())
        for g in root.iter(f"{SVG}g")
        if g.get("id", "").startswith("el-")
    }


def is_pg():
    return db.engine.dialect.name == "postgresql"


def tamper(sql: str, params=None):
    """Change audit rows directly, as someone with database access would (on PostgreSQL the
    append-only triggers are switched off first, which only a table owner/superuser can do)."""
    tables = ("audit_event", "audit_seal")
    if is_pg():
        for table in tables:
            db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    db.session.execute(text(sql), params or {})
    if is_pg():
        for table in tables:
            db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    db.session.commit()


def many_events(n, per_command=500, seal=True):
    for first in range(0, n, per_command):
        with UnitOfWork(SYSTEM) as uow:
            for i in range(first, min(n, first + per_command)):
                uow.record("test_event", payload={"i": i, "text": "проверка", "nested": {"b": [1, 2], "a": None}})
            uow.commit()
    if seal:
        sequencer.seal_pending()


# --- the chain --------------------------------------------------------------------------------------


@pytest.mark.postgres_too
def test_chain_of_thousands_of_events_verifies(app, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    many_events(3000)
    started = time.perf_counter()
    result = trail.verify(db.session)
    elapsed = time.perf_counter() - started
    total = db.session.query(AuditEvent).count()
    assert total > 3000
    assert result.ok, result
    assert (result.events, result.head_seq, result.unsealed) == (total, total, 0)
    assert elapsed < 5
    head = trail.head(db.session)
    assert trail.verify(db.session, anchor=(head["seq"], head["hash"])).ok


@pytest.mark.postgres_too
def test_events_not_sealed_yet_are_counted_and_checked_and_sealing_them_moves_the_head(app):
    many_events(10)
    many_events(5, seal=False)
    result = trail.verify(db.session)
    assert (result.ok, result.events, result.head_seq, result.unsealed) == (True, 15, 10, 5)
    assert result.as_dict()["sealed"]["events"] == 10 and result.as_dict()["sealed"]["at"]
    last = max(db.session.execute(select(AuditEvent.seq)).scalars())
    tamper("UPDATE audit_event SET payload = :p WHERE seq = :k", {"p": json.dumps({"i": 999}), "k": last})
    result = trail.verify(db.session)
    assert (result.ok, result.first_bad) == (False, last) and "before it was sealed" in result.reason
    tamper("DELETE FROM audit_event WHERE seq = :k", {"k": last})
    assert sequencer.seal_pending() == 4
    result = trail.verify(db.session)
    assert (result.ok, result.head_seq, result.unsealed) == (True, 14, 0)


def _sealed_rows():
    """(pos, seal row, event row) in chain order."""
    events = {r.seq: r for r in db.session.execute(select(AuditEvent)).scalars()}
    seals = db.session.execute(select(AuditSeal).order_by(AuditSeal.pos)).scalars().all()
    return [(s.pos, s, events.get(s.event_seq)) for s in seals]


@pytest.mark.postgres_too
@pytest.mark.parametrize(
    "attack", ["edit", "delete", "reorder", "forge", "delete_seal", "rewrite_tail", "truncate_tail", "insert_behind"]
)
def test_tampering_is_found_at_the_right_event(app, attack):
    many_events(30, per_command=20)
    many_events(30, per_command=20)
    kept = trail.head(db.session)  # exported and kept elsewhere
    chain = _sealed_rows()
    assert [pos for pos, _s, _e in chain] == list(range(1, 61))
    _pos, seal_k, ev_k = chain[24]
    k = ev_k.seq
    if attack == "edit":
        tamper("UPDATE audit_event SET payload = :p WHERE seq = :k", {"p": json.dumps({"i": 999}), "k": k})
        expected, reason = k, "edited"
    elif attack == "delete":
        tamper("DELETE FROM audit_event WHERE seq = :k", {"k": k})
        expected, reason = k, "missing"
    elif attack == "reorder":  # two events swap what they say (and their own hashes)
        a, b = ev_k, chain[25][2]
        for target, src in ((a.seq, b), (b.seq, a)):
            tamper(
                "UPDATE audit_event SET payload = :p, hash = :h WHERE seq = :s",
                {"p": json.dumps(src.payload), "h": src.hash, "s": target},
            )
        expected, reason = k, "reordered"
    elif attack == "forge":  # edit and recompute the event's own hash: the seal still has the original
        ev = {c: getattr(ev_k, c) for c in ("actor_id", "actor_name", "kind", "instance_id", "task_id")}
        ev.update(occurred_at=trail._iso(ev_k.occurred_at), payload={"i": 999})
        tamper(
            "UPDATE audit_event SET payload = :p, hash = :h WHERE seq = :k",
            {"p": json.dumps({"i": 999}), "h": trail.event_hash(ev), "k": k},
        )
        expected, reason = k, "forged"
    elif attack == "delete_seal":  # the event and its seal removed: the positions have a gap
        tamper("DELETE FROM audit_seal WHERE pos = 25")
        tamper("DELETE FROM audit_event WHERE seq = :k", {"k": k})
        expected, reason = chain[25][2].seq, "seal 25 is missing"
    elif attack == "rewrite_tail":  # an edit with every later seal and the head recomputed: only the kept head tells
        ev = {c: getattr(ev_k, c) for c in ("actor_id", "actor_name", "kind", "instance_id", "task_id")}
        ev.update(occurred_at=trail._iso(ev_k.occurred_at), payload={"i": 999})
        digest = trail.event_hash(ev)
        tamper(
            "UPDATE audit_event SET payload = :p, hash = :h WHERE seq = :k",
            {"p": json.dumps({"i": 999}), "h": digest, "k": k},
        )
        prev = seal_k.prev_hash
        for pos, seal, event in chain[24:]:
            event_digest = digest if event.seq == k else seal.event_hash
            own = trail.seal_hash(prev, pos, event.seq, event_digest)
            tamper(
                "UPDATE audit_seal SET event_hash = :e, prev_hash = :p, hash = :h WHERE pos = :pos",
                {"e": event_digest, "p": prev, "h": own, "pos": pos},
            )
            prev = own
        tamper("UPDATE audit_head SET hash = :h", {"h": prev})
        assert trail.verify(db.session).ok  # consistent in itself...
        result = trail.verify(db.session, anchor=(kept["seq"], kept["hash"]))  # ...but not with the kept head
        assert (result.ok, result.first_bad) == (False, chain[-1][2].seq)
        assert "kept outside" in result.reason
        return
    elif attack == "truncate_tail":  # the last events and their seals removed
        tamper("DELETE FROM audit_seal WHERE pos > 55")
        tamper("DELETE FROM audit_event WHERE seq > :s", {"s": chain[54][2].seq})
        expected, reason = chain[54][2].seq, "head"
    else:  # an event slipped in below the sequencer's cursor: it will never be sealed
        tamper(
            "INSERT INTO audit_event (seq, xid, occurred_at, actor_name, kind, payload, hash) "
            "VALUES (-5, 0, :t, 'system', 'test_event', '{}', :h)",
            {"t": ev_k.occurred_at, "h": "0" * 64},
        )
        expected, reason = -5, "behind the sequencer"
    result = trail.verify(db.session)
    assert not result.ok
    assert result.first_bad == expected, result
    assert reason in result.reason


@pytest.mark.postgres
def test_postgres_trigger_refuses_update_delete_truncate(app):
    many_events(3, per_command=3)
    for statement in (
        "UPDATE audit_event SET kind = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 2",
        "TRUNCATE audit_event",
        "UPDATE audit_seal SET hash = 'x' WHERE pos = 1",
        "DELETE FROM audit_seal WHERE pos = 2",
        "TRUNCATE audit_seal",
    ):
        with pytest.raises(DBAPIError, match=r"append-only|audit"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.query(AuditEvent).count() == 3
    assert trail.verify(db.session).ok


def test_verify_and_head_endpoints_for_auditors_only(client, people):
    many_events(10, per_command=10)
    login(client, people["officer1"])
    assert client.get("/api/v1/audit/verify").status_code == 403
    assert client.get("/api/v1/audit/head").status_code == 403
    login(client, people["auditor"])
    body = client.get("/api/v1/audit/verify").get_json()
    assert body["ok"] is True and body["events"] == 10 and body["first_bad"] is None
    assert body["sealed"]["events"] == 10 and body["unsealed"] == 0
    head = client.get("/api/v1/audit/head").get_json()
    assert head["seq"] == 10 and len(head["hash"]) == 64
    fourth = db.session.execute(select(AuditSeal.event_seq).where(AuditSeal.pos == 4)).scalar_one()
    tamper("DELETE FROM audit_event WHERE seq = :s", {"s": fourth})
    body = client.get("/api/v1/audit/verify").get_json()
    assert (body["ok"], body["first_bad"]) == (False, fourth)
    page = client.get("/audit/verify")
    assert page.status_code == 200 and 'id="verify-result"' in page.get_data(as_text=True)


# --- history and diagrams ---------------------------------------------------------------------------


@pytest.mark.postgres_too
def test_history_of_a_looped_instance_highlights_the_route(client, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    commands.complete(
        actor(people["dpo"]),
        open_task(inst, "review_request").id,
        {"decision": "return", "comment": "Уточните обоснование"},
    )
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, {**REQUEST, "amount": 30})
    commands.complete(actor(people["dpo"]), open_task(inst, "review_request").id, {"decision": "approve"})
    login(client, people["officer1"])
    r = client.get(f"/api/v1/instances/{inst.id}/diagram.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    c = classes(r.get_data(as_text=True))
    for done in ("start", "submit_request", "review_request", "gw_review"):
        assert "is-completed" in c[done], done
    assert "is-active" in c["wait_council"]
    for flow in ("f_start", "f_submitted", "f_reviewed", "f_return", "f_accept"):
        assert "is-taken" in c[flow], flow
    for flow in ("f_reject", "f_late", "f_council_yes"):
        assert "is-taken" not in c[flow], flow
    assert not c["end_rejected"] & {"is-completed", "is-active"}

    h = client.get(f"/api/v1/instances/{inst.id}/history").get_json()
    completed = [e for e in h["events"] if e["kind"] == "task_completed"]
    assert [(e["actor_name"], e["decision"]) for e in completed] == [
        ("college_officer_1", None),
        ("dpo_officer", "return"),
        ("college_officer_1", None),
        ("dpo_officer", "approve"),
    ]
    assert completed[2]["data"]["amount"] == 30 and completed[2]["data_labels"]["amount"] == "Количество мест"
    assert [e["seq"] for e in h["events"]] == sorted(e["seq"] for e in h["events"])
    assert h["path"]["active"] == ["wait_council"]

    page = client.get(f"/instances/{inst.id}/history")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="el-wait_council"' in html and "Уточните обоснование" in html and "Количество мест" in html
    assert "История дела" in html and "выполнил(а) задачу" in html  # Russian by default


@pytest.mark.postgres_too
def test_history_of_parallel_branches(client, app, people):
    deployment.deploy_path(SYSTEM, DATA / "parallel_review.bpmn", forms_dir=DATA / "forms")
    inst = start(people["officer1"], "parallel_review", key="PAR-1")
    login(client, people["auditor"])
    c = classes(client.get(f"/api/v1/instances/{inst.id}/diagram.svg").get_data(as_text=True))
    assert "is-active" in c["review_dpo"] and "is-active" in c["review_finance"]
    assert {"f_start", "f_to_dpo", "f_to_finance"} <= {k for k, v in c.items() if "is-taken" in v}

    commands.complete(actor(people["dpo"]), open_task(inst, "review_dpo").id, {"decision": "approve"})
    c = classes(client.get(f"/api/v1/instances/{inst.id}/diagram.svg").get_data(as_text=True))
    assert "is-completed" in c["review_dpo"] and "is-active" in c["review_finance"]
    assert "is-taken" in c["f_dpo_done"] and "is-taken" not in c["f_finance_done"]
    assert "is-completed" not in c["end"]

    commands.complete(actor(people["finance"]), open_task(inst, "review_finance").id, {"decision": "reject"})
    c = classes(client.get(f"/api/v1/instances/{inst.id}/diagram.svg").get_data(as_text=True))
    for el in ("review_dpo", "review_finance", "join", "end"):
        assert "is-completed" in c[el] and "is-active" not in c[el], el
    for flow in ("f_dpo_done", "f_finance_done", "f_end"):
        assert "is-taken" in c[flow], flow
    h = client.get(f"/api/v1/instances/{inst.id}/history").get_json()
    assert h["instance"]["status"] == "completed" and h["path"]["active"] == []
    assert {e["decision"] for e in h["events"] if e["kind"] == "task_completed"} == {"approve", "reject"}


FLOW_NODES = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
}


@pytest.mark.parametrize(
    "path", [*sorted((ROOT / "bpmn").glob("*.bpmn")), DATA / "parallel_review.bpmn"], ids=lambda p: p.name
)
def test_every_diagram_renders_every_flow_node(path):
    source = path.read_bytes()
    nodes = {
        el.get("id")
        for el in etree.fromstring(source).iter()
        if isinstance(el.tag, str) and etree.QName(el).localname in FLOW_NODES
    }
    assert nodes
    svg = etree.fromstring(render_svg(source).encode("utf-8"))
    drawn = {g.get("id")[3:] for g in svg.iter(f"{SVG}g") if g.get("id", "").startswith("el-")}
    assert nodes <= drawn, nodes - drawn


# --- access -----------------------------------------------------------------------------------------


def test_non_participant_gets_404_and_auditor_sees_everything(client, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    login(client, people["outsider"])  # a college officer of another college
    for url in (
        f"/api/v1/instances/{inst.id}/history",
        f"/api/v1/instances/{inst.id}/diagram.svg",
        f"/instances/{inst.id}/history",
        "/api/v1/instances/999999/history",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/audit/events").status_code == 403
    assert client.get("/api/v1/audit/events.csv").status_code == 403
    assert client.get("/audit/").status_code == 403
    with pytest.raises(NotFound):
        queries.instance_history(actor(people["outsider"]), inst.id)
    with pytest.raises(Forbidden):
        queries.search(actor(people["dpo"]), {})

    login(client, people["dpo"])  # the department reviewer takes part: the review task is in its group
    assert client.get(f"/api/v1/instances/{inst.id}/history").status_code == 200
    login(client, people["auditor"])
    assert client.get(f"/api/v1/instances/{inst.id}/history").status_code == 200
    assert client.get(f"/instances/{inst.id}/history").status_code == 200
    events = client.get("/api/v1/audit/events?limit=500").get_json()["events"]
    assert {e["instance_id"] for e in events if e["instance_id"]} == {inst.id}
    assert client.get("/api/v1/instances/abc/history").status_code == 404


# --- search and export ------------------------------------------------------------------------------


def _two_cases(people):
    a = start(people["officer1"], key="КЦП-2027/ТПТ")
    commands.complete(
        actor(people["officer1"]), open_task(a, "submit_request").id, {**REQUEST, "title": "=HYPERLINK(1)"}
    )
    clock.set_clock(datetime(2026, 3, 4, 3, 0, tzinfo=UTC))
    b = start(people["officer2"], key="КЦП-2027/ТМК")
    commands.complete(actor(people["officer2"]), open_task(b, "submit_request").id, REQUEST)
    commands.complete(
        actor(people["dpo"]), open_task(a, "review_request").id, {"decision": "reject", "comment": "Нет мест"}
    )
    return a, b


def _walk_pages(auditor, limit):
    """The seqs of every event, page by page with the search's cursor."""
    walked, before = [], None
    while True:
        page = queries.search(auditor, {}, limit=limit, before=before)
        walked += [e["seq"] for e in page["events"]]
        before = page["next_before"]
        if before is None:
            return walked


@pytest.mark.postgres_too
def test_search_filters_and_pages(app, deployed, people):
    a, b = _two_cases(people)
    auditor = actor(people["auditor"])

    def seqs(params, **kw):
        return [e["seq"] for e in queries.search(auditor, params, **kw)["events"]]

    everything = seqs({}, limit=500)
    assert everything == sorted(everything, reverse=True)
    by_key = queries.search(auditor, {"business_key": "КЦП-2027/ТПТ"})["events"]
    assert by_key and {e["instance_id"] for e in by_key} == {a.id}
    assert {e["instance_id"] for e in queries.search(auditor, {"instance": str(b.id)})["events"]} == {b.id}
    decisions = queries.search(auditor, {"actor": "dpo_officer", "decisions": "1"})["events"]
    assert [(e["kind"], e["payload"]["decision"]) for e in decisions] == [("task_completed", "reject")]
    by_org = queries.search(auditor, {"org": "college2"})["events"]
    assert by_org and {e["actor_name"] for e in by_org} == {"college_officer_2"}
    assert {e["kind"] for e in queries.search(auditor, {"kind": ["instance_started", "task_completed"]})["events"]} == {
        "instance_started",
        "task_completed",
    }
    # the period is in Asia/Tomsk days: 2 March only holds case A's start and submission
    march2 = queries.search(auditor, {"from": "2026-03-02", "to": "2026-03-02"}, limit=500)["events"]
    assert march2 and {e["instance_id"] for e in march2 if e["instance_id"]} == {a.id}
    assert all(e["occurred_at"].startswith("2026-03-02") for e in march2)
    assert seqs({"process": "example_approval"}, limit=500) == [
        s for s in everything if db.session.get(AuditEvent, s).process_id
    ]
    # pages: walking with the cursor yields every event once
    assert _walk_pages(auditor, limit=7) == everything
    with pytest.raises(Invalid) as info:
        queries.search(auditor, {"from": "yesterday", "instance": "x", "org": "nowhere"}, limit=0)
    assert set(info.value.fields) >= {"from", "instance", "org"}


@pytest.mark.postgres_too
def test_search_lists_by_time_and_the_cursor_walks_ties_and_a_clock_set_back(app, deployed, people):
    """Newest first by time, same moment in chain order; a clock set back (events later in the chain, earlier
    in time) is listed by its time, and a small page size still walks every event exactly once."""
    auditor = actor(people["auditor"])
    start(people["officer1"], key="A")  # several events at MONDAY (frozen clock: ties)
    clock.set_clock(MONDAY.replace(hour=2))  # the clock set back by an hour
    start(people["officer1"], key="B")
    clock.set_clock(MONDAY)
    rows = db.session.execute(select(AuditEvent.occurred_at, AuditEvent.seq)).all()
    expected = [seq for _at, seq in sorted(rows, reverse=True)]
    assert expected != sorted(expected, reverse=True)  # B's events come after A's in the chain, before in time
    assert [e["seq"] for e in queries.search(auditor, {}, limit=500)["events"]] == expected
    assert _walk_pages(auditor, limit=2) == expected
    early = queries.search(auditor, {"from": "2026-03-02T08:30:00", "to": "2026-03-02T09:30:00"})["events"]
    assert early and {e["business_key"] for e in early if e["business_key"]} == {"B"}  # 02:00Z is 09:00 in Tomsk
    assert queries.search(auditor, {}, before=10**9)["events"] == []  # no such event: nothing after it


def test_search_pages_are_index_walks_without_a_sort(app):
    """Each filter's page walks one index backwards and stops at the page size, with or without a period:
    no temporary sort of everything that matches (SQLite's plan)."""
    cases = [
        {},
        {"from": "2026-03-01", "to": "2026-03-31"},
        {"process": "p", "from": "2026-03-01"},
        {"actor": "42"},
        {"org": "7", "to": "2026-03-02"},
        {"kind": "task_completed"},
    ]
    for params in cases:
        for before in (None, 1000):
            stmt = queries.search_statement(queries.parse_filters(params), 101, before)
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = " | ".join(r[3] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "TEMP B-TREE" not in plan and "INDEX" in plan, (params, before, plan)


def test_exports_open_and_match_the_search(client, deployed, people):
    a, _b = _two_cases(people)
    sequencer.seal_pending()
    login(client, people["auditor"])
    query = "business_key=КЦП-2027/ТПТ&kind=task_completed&kind=instance_started"
    found = client.get(f"/api/v1/audit/events?{query}").get_json()["events"]
    expected = sorted(e["seq"] for e in found)
    assert len(expected) == 3

    r = client.get(f"/api/v1/audit/events.csv?{query}")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert [int(row["seq"]) for row in rows] == expected
    assert {row["business_key"] for row in rows} == {"КЦП-2027/ТПТ"}
    submitted = next(
        row for row in rows if row["kind"] == "task_completed" and row["actor_name"] == "college_officer_1"
    )
    assert json.loads(submitted["payload"])["data"]["title"] == "=HYPERLINK(1)"  # JSON text, not a formula
    assert [row["hash"] for row in rows] == [db.session.get(AuditEvent, s).hash for s in expected]

    r = client.get(f"/api/v1/audit/events.xlsx?{query}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.get_data()), read_only=True).active
    table = list(ws.iter_rows(values_only=True))
    header = table[0]
    assert header[0] == "seq"
    assert [row[0] for row in table[1:]] == expected
    kinds = [row[header.index("kind")] for row in table[1:]]
    assert kinds.count("task_completed") == 2

    r = client.get(f"/api/v1/audit/events.json?{query}")
    body = json.loads(r.get_data())
    assert [e["seq"] for e in body["events"]] == expected and body["count"] == 3
    assert body["chain_head"]["seq"] == db.session.query(AuditEvent).count()

    assert client.get("/api/v1/audit/events.pdf").status_code == 422
    assert client.get("/api/v1/audit/events?from=2026-13-01").status_code == 422

    page = client.get("/audit/?business_key=КЦП-2027/ТПТ")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="audit-results"' in html and "events.xlsx?" in html
    assert client.get("/audit/?from=nonsense").status_code == 200  # the form shows the error

    # decisions read as the form's labels, never as codes (the search page and a case's history)
    decided = client.get("/audit/?decisions=1").get_data(as_text=True)
    assert "Отклонить" in decided and ">reject<" not in decided
    history = client.get(f"/instances/{a.id}/history").get_data(as_text=True)
    assert "Отклонить" in history and ">reject<" not in history


# --- administrator corrections ----------------------------------------------------------------------


@pytest.mark.postgres_too
def test_admin_corrections_need_an_admin_and_a_reason(app, deployed, people):
    inst = start(people["officer1"])
    commands.complete(actor(people["officer1"]), open_task(inst, "submit_request").id, REQUEST)
    review = open_task(inst, "review_request")
    admin = actor(people["admin"])
    for call in (
        lambda: corrections.terminate_instance(actor(people["dpo"]), inst.id, "x"),
        lambda: corrections.reassign_task(actor(people["auditor"]), review.id, "dpo_officer_2", "x"),
        lambda: corrections.cancel_task(actor(people["dpo"]), review.id, "x"),
    ):
        with pytest.raises(Forbidden):
            call()

    with pytest.raises(Invalid) as info:
        corrections.reassign_task(admin, review.id, "dpo_officer_2", "   ")
    assert "reason" in info.value.fields
    with pytest.raises(Invalid) as info:
        corrections.reassign_task(admin, review.id, "college_officer_2", "отпуск")  # not a dpo officer
    assert "assignee" in info.value.fields

    corrections.reassign_task(admin, review.id, "dpo_officer_2", "Сотрудник в отпуске")
    db.session.refresh(review)
    assert review.assignee_id == people["dpo2"].id
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "admin_correction")).scalar_one()
    assert ev.payload["reason"] == "Сотрудник в отпуске" and ev.payload["to_username"] == "dpo_officer_2"
    assert ev.actor_name == "admin" and ev.task_id == review.id

    corrections.cancel_task(admin, review.id, "Заявка подана по ошибке")
    db.session.expire_all()
    inst = db.session.get(ProcessInstance, inst.id)
    assert db.session.get(HumanTask, review.id).status == "cancelled"
    assert inst.status == "terminated"  # nothing was left to do
    kinds = [
        e.kind
        for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.instance_id == inst.id).order_by(AuditEvent.seq)
        ).scalars()
    ]
    assert kinds.index("admin_correction") < kinds.index("task_cancelled") < kinds.index("instance_terminated"), kinds
    assert trail.verify(db.session).ok


def test_terminate_endpoint_and_history_page(client, deployed, people):
    inst = start(people["officer1"])
    login(client, people["admin"])
    html = client.get(f"/instances/{inst.id}/history").get_data(as_text=True)
    assert 'id="corrections"' in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(f"/api/v1/admin/instances/{inst.id}/terminate", json={"reason": ""}, headers={"X-CSRFToken": token})
    assert r.status_code == 422
    r = client.post(f"/api/v1/admin/instances/{inst.id}/terminate", json={}, headers={"X-CSRFToken": token})
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/admin/instances/{inst.id}/terminate",
        json={"reason": "Дубликат заявки"},
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "terminated"
    assert (
        client.post(
            f"/api/v1/admin/instances/{inst.id}/terminate", json={"reason": "again"}, headers={"X-CSRFToken": token}
        ).status_code
        == 409
    )
    ev = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "instance_terminated")).scalar_one()
    assert ev.payload["reason"] == "Дубликат заявки" and ev.payload["cancelled_tasks"]
    assert db.session.execute(select(HumanTask.status).where(HumanTask.instance_id == inst.id)).scalars().all() == [
        "cancelled"
    ]
    html = client.get(f"/instances/{inst.id}/history").get_data(as_text=True)
    assert "Дубликат заявки" in html and 'id="corrections"' not in html
    c = classes(client.get(f"/api/v1/instances/{inst.id}/diagram.svg").get_data(as_text=True))
    assert not any("is-active" in v for v in c.values())
    # the web form posts with the CSRF token and a reason
    inst2 = start(people["officer1"], key="BK-2")
    r = client.post(f"/admin/instances/{inst2.id}/terminate", data={"csrf_token": token, "reason": ""})
    assert r.status_code == 302 and db.session.get(ProcessInstance, inst2.id).status == "running"
    r = client.post(f"/admin/instances/{inst2.id}/terminate", data={"csrf_token": token, "reason": "Ошибка"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProcessInstance, inst2.id).status == "terminated"
