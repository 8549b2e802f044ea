"""The roadmap as records (issue #23): the shipped file holds every item of the act (распоряжение № 450-ра),
each with its executors from the organisations' registry; an administrator edits an item, the Координатор its
status and evidence; each change is recorded with before/after; reloading keeps what people changed."""

import re

import pytest
from factories import login_session

from workflow_app.extensions import db
from workflow_app.models import AuditEvent, Organisation, RoadmapChange, RoadmapItem, User
from workflow_app.services import demo
from workflow_app.services.people import tokens
from workflow_app.services.people.actors import SYSTEM, actor_for
from workflow_app.services.roadmap import changes

# the act's numbering: section -> number of items (1.1-1.8, 2.1-2.7, ..., 15.1-15.2): 83 items
SECTIONS = {1: 8, 2: 7, 3: 1, 4: 1, 5: 4, 6: 6, 7: 9, 8: 16, 9: 10, 10: 4, 11: 6, 12: 1, 13: 3, 14: 5, 15: 2}
EVERY_NUMBER = [f"{s}.{n}" for s, count in SECTIONS.items() for n in range(1, count + 1)]


@pytest.fixture
def loaded(app):
    demo.load(SYSTEM)
    changes.load(SYSTEM)
    db.session.commit()


def _token(username):
    return {"Authorization": "Bearer " + tokens.issue_token(SYSTEM, username, "roadmap")}


@pytest.mark.postgres_too
def test_the_seeds_roadmap_loads_every_item_with_its_executors(app, client):
    counts = changes.load(SYSTEM)  # before the demo data: it registers the executors it needs
    assert len(counts["created"]) == 83
    items = db.session.query(RoadmapItem).order_by(RoadmapItem.position).all()
    assert [i.number for i in items] == EVERY_NUMBER
    for item in items:
        assert item.title and item.result and item.deadline, item.number
        assert item.executors, f"{item.number} has no executor"
    by_number = {i.number: i for i in items}
    kcp = by_number["6.3"]
    assert kcp.title.startswith("Изменение (пересмотр) контрольных цифр приема")
    assert kcp.deadline == "Ежегодно, май" and kcp.recurring and kcp.due_on is None
    assert [e.organisation.code for e in kcp.executors if e.organisation] == ["RPO", "DEPPO"]
    assert kcp.executors[0].role == "deputy_governor"
    monitoring = by_number["13.3"]
    assert [(e.name, e.role, e.body) for e in monitoring.executors] == [
        ("Координатор", "coordinator", None),
        ("Рабочая группа", None, "working_group"),
    ]
    assert str(monitoring.due_on) == "2020-12-31"
    # the 17 departments and the other executors are organisations of the registry, named as the act names them
    codes = {e.organisation.code for i in items for e in i.executors if e.organisation}
    assert {"DEPPO", "DTZN", "DI", "DNVO", "DECON", "DOO", "KKNL", "RCRPK", "WSR_RKC", "TTIT"} <= codes
    registry = {o.code: o for o in db.session.query(Organisation)}
    assert registry["KKNL"].name == "Комитет по контролю, надзору и лицензированию Томской области"
    merged = by_number["1.2"]  # merged cells of the act: one deadline and executors for 1.1 and 1.2
    assert merged.deadline == by_number["1.1"].deadline == "Сентябрь 2019 г."
    assert len(by_number["1.1"].executors) == 4

    # the API lists them
    demo.load(SYSTEM)
    db.session.commit()
    r = client.get("/api/v1/roadmap/items", headers=_token("college_officer"))
    assert r.status_code == 200
    body = r.get_json()
    assert [i["number"] for i in body] == EVERY_NUMBER
    row = next(i for i in body if i["number"] == "6.3")
    assert row["deadline"] == "Ежегодно, май" and row["status"] == "planned"
    assert [e["name"] for e in row["executors"]][1].startswith("Департамент проектной деятельности")
    assert row["executors"][2]["organisation"]["code"] == "DEPPO"
    assert client.get("/api/v1/roadmap/items").status_code == 401


def test_loading_again_keeps_what_people_changed(app, loaded):
    admin = actor_for(db.session.query(User).filter_by(username="admin").one())
    changes.edit(admin, "6.3", {"deadline": "Ежегодно, апрель – май"}, reason="уточнён срок")
    event = db.session.query(AuditEvent).filter_by(kind="roadmap_item_changed").one()
    assert event.payload["before"] == {"deadline": "Ежегодно, май"}
    assert event.payload["after"] == {"deadline": "Ежегодно, апрель – май"}
    counts = changes.load(SYSTEM)
    assert counts["kept"] == ["6.3"] and counts["created"] == [] and counts["refreshed"] == []
    assert db.session.query(RoadmapItem).filter_by(number="6.3").one().deadline == "Ежегодно, апрель – май"
    change = db.session.query(RoadmapChange).one()
    assert change.source == "admin" and change.reason == "уточнён срок"


def test_who_may_change_what(app, client, loaded):
    # the Координатор: status and its note, not the text
    r = client.patch(
        "/api/v1/roadmap/items/13.3",
        json={"status": "in_progress", "status_note": "мониторинг за I полугодие"},
        headers=_token("coordinator"),
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "in_progress"
    assert r.get_json()["changes"][0]["fields"] == ["status", "status_note"]
    r = client.patch("/api/v1/roadmap/items/13.3", json={"title": "Другое"}, headers=_token("coordinator"))
    assert r.status_code == 403
    for who in ("auditor", "college_officer", "dpo_officer"):
        assert (
            client.patch("/api/v1/roadmap/items/13.3", json={"status": "done"}, headers=_token(who)).status_code == 403
        )
    # the administrator: everything; bad input is a 422 naming the field, nothing written
    admin = _token("admin")
    r = client.patch("/api/v1/roadmap/items/6.3", json={"status": "finished"}, headers=admin)
    assert r.status_code == 422 and "status" in r.get_json()["error"]["fields"]
    r = client.patch("/api/v1/roadmap/items/6.3", json={"executors": ["NOSUCH"]}, headers=admin)
    assert r.status_code == 422
    r = client.patch("/api/v1/roadmap/items/6.3", json={"due_on": "31.05.2027"}, headers=admin)
    assert r.status_code == 422
    assert client.patch("/api/v1/roadmap/items/99.9", json={"status": "done"}, headers=admin).status_code == 404
    r = client.patch(
        "/api/v1/roadmap/items/6.3",
        json={"executors": ["DEPPO", {"role": "coordinator", "name": "Координатор"}], "reason": "перераспределение"},
        headers=admin,
    )
    assert r.status_code == 200
    assert [e["name"] for e in r.get_json()["executors"]] == [
        "Департамент профессионального образования Томской области",
        "Координатор",
    ]
    assert db.session.query(RoadmapChange).count() == 2


def test_evidence_links_records_and_refuses_unknown_ones(app, client, loaded):
    coordinator = _token("coordinator")
    r = client.post(
        "/api/v1/roadmap/items/6.3/evidence",
        json={"kind": "link", "ref": "https://tomsk.gov.ru/kcp", "title": "КЦП на сайте"},
        headers=coordinator,
    )
    assert r.status_code == 201, r.get_json()
    evidence_id = r.get_json()["id"]
    r = client.post("/api/v1/roadmap/items/6.3/evidence", json={"kind": "case", "ref": 999999}, headers=coordinator)
    assert r.status_code == 422
    r = client.post(
        "/api/v1/roadmap/items/6.3/evidence", json={"kind": "link", "ref": "javascript:x"}, headers=coordinator
    )
    assert r.status_code == 422
    assert (
        client.post(
            "/api/v1/roadmap/items/6.3/evidence",
            json={"kind": "link", "ref": "https://x.ru"},
            headers=_token("auditor"),
        ).status_code
        == 403
    )
    detail = client.get("/api/v1/roadmap/items/6.3", headers=_token("auditor")).get_json()
    assert [e["title"] for e in detail["evidence"]] == ["КЦП на сайте"]
    r = client.delete(f"/api/v1/roadmap/items/6.3/evidence/{evidence_id}", headers=coordinator)
    assert r.status_code == 204
    kinds = [e.kind for e in db.session.query(AuditEvent).filter(AuditEvent.kind.like("roadmap_evidence%"))]
    assert kinds == ["roadmap_evidence_added", "roadmap_evidence_removed"]


def test_the_roadmap_pages(app, loaded):
    client = app.test_client()
    login_session(client, db.session.query(User).filter_by(username="college_officer").one())
    page = client.get("/roadmap").get_data(as_text=True)
    assert "Изменение (пересмотр) контрольных цифр приема" in page and "15.2" in page
    assert "Ежегодно, май" in page and "Департамент проектной деятельности" in page
    item = client.get("/roadmap/6.3")
    assert item.status_code == 200 and "edit-form" not in item.get_data(as_text=True)
    assert client.get("/roadmap/99.9").status_code == 404
    admin = app.test_client()
    login_session(admin, db.session.query(User).filter_by(username="admin").one())
    page = admin.get("/roadmap/6.3").get_data(as_text=True)
    assert "edit-form" in page and "RPO | Департамент проектной деятельности" in page
    csrf = _csrf(admin, "/roadmap/6.3")
    r = admin.post(
        "/roadmap/6.3",
        data={
            "csrf_token": csrf,
            "action": "edit",
            "title": "Изменение контрольных цифр приема",
            "result": "Изменены КЦП",
            "deadline": "Ежегодно, май",
            "due_on": "",
            "recurring": "1",
            "documents": "Распоряжение",
            "executors": "DEPPO | Департамент профессионального образования Томской области\nrole:coordinator | Координатор",
            "reason": "решение администратора",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    item = db.session.query(RoadmapItem).filter_by(number="6.3").one()
    db.session.refresh(item)
    assert item.title == "Изменение контрольных цифр приема"
    assert [e.role for e in item.executors] == [None, "coordinator"]
    r = admin.post("/roadmap/6.3", data={"csrf_token": csrf, "action": "status", "status": "nonsense"})
    assert r.status_code == 422 and "alert-error" in r.get_data(as_text=True)


def _csrf(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
