"""A real roadmap chain (b, the professions list) waits for the Working Group; a signed protocol closes it."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from test_chains import MONDAY, api, instance, proposal_items  # noqa: F401  (fixtures)

from workflow_app.engine import clock
from workflow_app.extensions import db
from workflow_app.models import HumanTask
from workflow_app.services import council

FROZEN_AT = MONDAY
pytestmark = pytest.mark.usefixtures("frozen")  # the clock stands still (conftest.frozen)


def test_the_working_group_decides_a_real_chain_at_a_meeting(api, client):
    key = "Перечень-2028"
    api.start("dtzn_officer", "professions_cycle", {"year": 2028})
    api.do("dtzn_officer", key, "announce", {"intake_deadline": "2027-11-01", "announcement": "Запрос предложений"})
    api.start("sector_officer", "professions_proposal", {"year": 2028})
    api.do(
        "sector_officer",
        f"{key}/ДПЭ",
        "draft_sector",
        {"year": 2028, "items": proposal_items(), "contact": "Соколов"},
    )
    api.do("dtzn_officer", f"{key}/ДПЭ", "review", {"decision": "accept"})
    api.do("dtzn_officer", key, "close_intake", {"decision": "close"})
    api.do("dtzn_officer", key, "consolidate", {"summary": "Проект перечня"})
    api.do("sector_officer", key, "agree", {"agreement": "agree"})
    api.do("coordinator", key, "coordinator_review", {"decision": "submit"})
    council.ensure_demo_memberships(db.session)  # the demo loader seats the wg_* users already: idempotent
    db.session.commit()

    sec, chair = api._h("wg_secretary"), api._h("wg_chair")
    pending = client.get("/api/v1/council/bodies/working_group/pending", headers=sec).get_json()
    [item] = [p for p in pending if p["business_key"] == key]
    assert item["task_def"] == "wg_decision"
    assert [o["value"] for o in item["materials"]["decision_options"]] == ["approve", "approve_changed", "return"]
    meeting = client.post(
        "/api/v1/council/meetings",
        headers=sec,
        json={"body": "working_group", "starts_at": "2027-04-08T10:00", "place": "ДТЗН, каб. 301"},
    ).get_json()
    mid = meeting["id"]
    r = client.post(f"/api/v1/council/meetings/{mid}/items", headers=sec, json={"task_id": item["task_id"]})
    assert r.status_code == 201, r.get_json()
    item_id = r.get_json()["items"][0]["id"]
    assert client.post(f"/api/v1/council/meetings/{mid}/approve-agenda", headers=chair).status_code == 200
    members = [
        m["user_id"]
        for m in client.get("/api/v1/council/bodies", headers=sec).get_json()[0]["members"]  # the body it sits on
        if m["role"] in ("chair", "member")
    ]
    r = client.post(f"/api/v1/council/meetings/{mid}/attendance", headers=sec, json={"present": members})
    assert r.get_json()["reached"] is True
    r = client.post(
        f"/api/v1/council/meetings/{mid}/items/{item_id}/decision",
        headers=sec,
        json={
            "outcome": "approve_changed",
            "votes_for": len(members),
            "text": "Утвердить перечень без позиции «Оператор станков с ЧПУ»",
            "fields": {"removed_items": ["Оператор станков с ЧПУ"], "effective_date": "2028-01-01"},
        },
    )
    assert r.status_code == 200, r.get_json()
    r = client.post(f"/api/v1/council/meetings/{mid}/sign", headers=sec)  # #19: the meeting is on 08.04
    assert r.status_code == 409 and "not been held yet" in r.get_json()["error"]["message"]
    clock.set_clock(datetime(2027, 4, 8, 6, 0, tzinfo=UTC))  # 13:00 in Tomsk on the day of the meeting
    r = client.post(f"/api/v1/council/meetings/{mid}/sign", headers=sec)
    assert r.status_code == 200 and r.get_json()["signed_by_secretary"], r.get_json()
    r = client.post(f"/api/v1/council/meetings/{mid}/sign", headers=chair)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["number"], r.get_json()["year"]) == (1, 2027)

    task = db.session.get(HumanTask, item["task_id"])
    assert task.status == "completed" and task.outcome == "approve_changed"
    assert task.submitted["protocol_ref"] == "протокол от 08.04.2027 № 1, вопрос 1"
    assert instance(key).status == "completed"  # the chain went on to publication and ended
    data = client.get("/public/professions/2028.json").get_json()
    assert data["effective_date"] == "2028-01-01"
    assert "Оператор станков с ЧПУ" not in {i["profession"] for i in data["items"]}
    assert "Сварщик" in {i["profession"] for i in data["items"]}  # carried over from last year's list
    assert (
        db.session.execute(
            select(HumanTask).where(HumanTask.collegial_body == "working_group", HumanTask.status == "open")
        ).first()
        is None
    )
