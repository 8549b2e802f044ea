"""Changing the roadmap (план мероприятий, «дорожная карта», распоряжение № 450-ра): loading the shipped file,
editing items, their evidence.

The items come from a data file shipped with the product (``bpmn/roadmap.json``: every section and item of the
act, its executors by organisation code, role or body) and are loaded by ``flask roadmap load`` (``make db``):
missing executor organisations are registered, new items created, items nobody changed since the last load
refreshed from the file, changed ones kept. An administrator edits an item (every field), the Координатор its
status and evidence (the cases, data calls, protocols, documents and links that fulfil it); a council decision
corrects it with the protocol's reference (``change_in``). Each change is a ``roadmap_change`` row and an audit
event with before/after.

Neighbours: ``queries`` reads (lists, one item's page, who may change what); this module only writes.
"""

import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import (
    DataCall,
    FixedDocument,
    Organisation,
    ProcessInstance,
    Protocol,
    RoadmapChange,
    RoadmapEvidence,
    RoadmapExecutor,
    RoadmapItem,
)
from ...numbers import whole_number
from ..errors import Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..uow import UnitOfWork
from .queries import EVIDENCE_KINDS, STATUSES, get_item, may_edit, may_follow_up, read_file

ROLES = ("coordinator", "deputy_governor")
BODIES = ("coordination_council", "working_group", "expert_council")
TEXT_FIELDS = {"title": 4000, "result": 8000, "deadline": 300, "documents": 4000, "status_note": 4000}
EDITABLE = (*TEXT_FIELDS, "due_on", "recurring", "status", "executors")
COORDINATOR_FIELDS = ("status", "status_note")
NUMBER_RE = re.compile(r"^\d{1,2}\.\d{1,2}$")


def _require(ok: bool) -> None:
    if not ok:
        raise Forbidden("only administrators and the Coordinator change the roadmap")


# --- before/after ---------------------------------------------------------------------------------------


def _snapshot(item: RoadmapItem) -> dict:
    return {
        "title": item.title,
        "result": item.result,
        "deadline": item.deadline,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "recurring": bool(item.recurring),
        "documents": item.documents,
        "status": item.status,
        "status_note": item.status_note,
        "executors": [_executor_data(e) for e in item.executors],
    }


def _executor_data(e: RoadmapExecutor) -> dict:
    data: dict = {"name": e.name}
    if e.organisation is not None:
        data["org"] = e.organisation.code
    if e.role:
        data["role"] = e.role
    if e.body:
        data["body"] = e.body
    return data


# --- the file ------------------------------------------------------------------------------------------


def load(actor: Actor, path: Path | None = None) -> dict:
    """Load the shipped roadmap (idempotent): register missing executor organisations, create new items and
    refresh the items nobody has changed since; an item an administrator or a council changed is kept."""
    doc = read_file(path)
    counts: dict[str, list[str]] = {"organisations": [], "created": [], "refreshed": [], "kept": []}
    with UnitOfWork(actor) as uow:
        orgs = {o.code: o for o in db.session.execute(select(Organisation)).scalars()}
        for entry in doc.get("organisations", []):
            if entry["code"] not in orgs:
                org = Organisation(code=entry["code"], name=entry["name"], kind=entry["kind"], active=True)
                db.session.add(org)
                orgs[entry["code"]] = org
                counts["organisations"].append(entry["code"])
        uow.flush()
        existing = {i.number: i for i in db.session.execute(select(RoadmapItem)).scalars()}
        for position, data in enumerate(doc.get("items", [])):
            fields = _file_fields(data, orgs)
            item = existing.get(data["number"])
            if item is None:
                item = RoadmapItem(number=data["number"], section=data["number"].split(".")[0], position=position)
                db.session.add(item)
                _apply(item, fields, orgs)
                item.status, item.status_note, item.from_file = "planned", "", True
                counts["created"].append(data["number"])
            elif item.from_file:
                before = _snapshot(item)
                _apply(item, fields, orgs)
                item.position = position
                uow.flush()
                after = _snapshot(item)
                if before != after:
                    db.session.add(
                        RoadmapChange(
                            item_id=item.id,
                            changed_at=clock.now(),
                            source="load",
                            before=before,
                            after=after,
                            protocol_ref="",
                            reason="",
                        )
                    )
                    counts["refreshed"].append(data["number"])
            else:
                counts["kept"].append(data["number"])
        uow.flush()
        uow.record(
            "roadmap_loaded",
            actor=actor,
            payload={
                "organisations_registered": counts["organisations"],
                "created": len(counts["created"]),
                "refreshed": counts["refreshed"],
                "kept": counts["kept"],
            },
        )
        uow.commit()
    return counts


def _file_fields(data: dict, orgs: dict) -> dict:
    return {
        "title": data["title"],
        "result": data.get("result", ""),
        "deadline": data.get("deadline", ""),
        "due_on": date.fromisoformat(data["due_on"]) if data.get("due_on") else None,
        "recurring": bool(data.get("recurring")),
        "documents": data.get("documents", ""),
        "executors": data.get("executors", []),
    }


def _apply(item: RoadmapItem, fields: dict, orgs: dict) -> None:
    for key, value in fields.items():
        if key == "executors":
            _set_executors(item, value, orgs)
        else:
            setattr(item, key, value)


def _set_executors(item: RoadmapItem, executors: list[dict], orgs: dict) -> None:
    wanted = [(e["name"], orgs[e["org"]].id if e.get("org") else None, e.get("role"), e.get("body")) for e in executors]
    have = [(e.name, e.organisation_id, e.role, e.body) for e in item.executors]
    if wanted == have:
        return
    item.executors.clear()
    db.session.flush()
    for position, (name, org_id, role, body) in enumerate(wanted):
        item.executors.append(
            RoadmapExecutor(position=position, name=name, organisation_id=org_id, role=role, body=body)
        )


# --- changes ---------------------------------------------------------------------------------------------


def _clean(data: dict, fields_allowed) -> tuple[dict, dict]:
    if not isinstance(data, dict):
        raise Invalid("the changes are an object of fields")
    unknown = [k for k in data if k not in EDITABLE]
    errors: dict = dict.fromkeys(unknown, "not a field of a roadmap item")
    refused = [k for k in data if k in EDITABLE and k not in fields_allowed]
    if refused:
        raise Forbidden("only administrators change the text, deadline and executors of a roadmap item")
    out: dict = {}
    orgs: dict = {}
    for key, limit in TEXT_FIELDS.items():
        if key in data:
            value = data[key]
            if not isinstance(value, str) or len(value) > limit or (key == "title" and not value.strip()):
                errors[key] = f"text of 1 to {limit} characters" if key == "title" else f"text of at most {limit}"
            else:
                out[key] = " ".join(value.split()) if key != "status_note" else value.strip()
    if "status" in data:
        if data["status"] not in STATUSES:
            errors["status"] = "one of " + ", ".join(STATUSES)
        else:
            out["status"] = data["status"]
    if "recurring" in data:
        if not isinstance(data["recurring"], bool):
            errors["recurring"] = "true or false"
        else:
            out["recurring"] = data["recurring"]
    if "due_on" in data:
        value = data["due_on"]
        if value in (None, ""):
            out["due_on"] = None
        else:
            try:
                out["due_on"] = date.fromisoformat(str(value))
            except ValueError:
                errors["due_on"] = "a date YYYY-MM-DD"
    if "executors" in data:
        out["executors"], orgs = _clean_executors(data["executors"], errors)
    if errors:
        raise Invalid("the roadmap item has errors", fields=errors)
    return out, orgs


def _clean_executors(value, errors: dict) -> tuple[list[dict], dict]:
    if not isinstance(value, list) or not value or len(value) > 40:
        errors["executors"] = "a list of 1 to 40 executors"
        return [], {}
    out, orgs = [], {}
    for n, e in enumerate(value):
        e = {"org": e} if isinstance(e, str) else e
        if not isinstance(e, dict):
            errors[f"executors.{n}"] = "an organisation code or {name, org, role, body}"
            continue
        code, role, body = e.get("org") or None, e.get("role") or None, e.get("body") or None
        org = None
        if code is not None:
            org = db.session.execute(select(Organisation).where(Organisation.code == str(code))).scalar_one_or_none()
            if org is None:
                errors[f"executors.{n}"] = "unknown organisation"
                continue
            orgs[org.code] = org
        if role is not None and role not in ROLES:
            errors[f"executors.{n}"] = "role: one of " + ", ".join(ROLES)
            continue
        if body is not None and body not in BODIES:
            errors[f"executors.{n}"] = "body: one of " + ", ".join(BODIES)
            continue
        name = e.get("name") or (org.name if org is not None else "")
        if not isinstance(name, str) or not name.strip() or len(name) > 500:
            errors[f"executors.{n}"] = "the executor's name (1 to 500 characters) or an organisation"
            continue
        out.append({"name": " ".join(name.split()), "org": org.code if org else None, "role": role, "body": body})
    return out, orgs


def edit(actor: Actor, number: str, data: dict, reason: str = "") -> RoadmapItem:
    """An administrator changes any field; the Координатор the status and its note."""
    with UnitOfWork(actor) as uow:
        _require(may_follow_up(actor))
        item = get_item(actor, number)
        allowed = EDITABLE if may_edit(actor) else COORDINATOR_FIELDS
        change_in(uow, actor, item, data, allowed=allowed, source="admin", reason=reason)
        uow.commit()
    return item


def change_in(
    uow,
    actor: Actor,
    item: RoadmapItem,
    data: dict,
    *,
    allowed=EDITABLE,
    source: str = "admin",
    protocol: Protocol | None = None,
    protocol_ref: str = "",
    reason: str = "",
) -> RoadmapChange | None:
    """Apply a change inside ``uow``: the ``roadmap_change`` row and the audit event (before/after); None when
    nothing changes."""
    clean, orgs = _clean(data, allowed)
    before = _snapshot(item)
    for key, value in clean.items():
        if key == "executors":
            _set_executors(item, value, orgs)
        else:
            setattr(item, key, value)
    uow.flush()
    db.session.refresh(item)
    after = _snapshot(item)
    if after == before:
        return None
    item.from_file = False
    item.updated_at = clock.now()
    item.updated_by_id = actor.user_id
    change = RoadmapChange(
        item_id=item.id,
        changed_at=item.updated_at,
        changed_by_id=actor.user_id,
        source=source,
        protocol_id=protocol.id if protocol is not None else None,
        protocol_ref=protocol_ref,
        before={k: v for k, v in before.items() if v != after[k]},
        after={k: v for k, v in after.items() if v != before[k]},
        reason=reason or "",
    )
    db.session.add(change)
    uow.record(
        "roadmap_item_changed",
        actor=actor,
        payload={
            "number": item.number,
            "source": source,
            "protocol": protocol_ref or None,
            "before": change.before,
            "after": change.after,
            "reason": reason or None,
        },
    )
    return change


# --- evidence ----------------------------------------------------------------------------------------------


def add_evidence(actor: Actor, number: str, kind: str, ref=None, title: str = "") -> RoadmapEvidence:
    with UnitOfWork(actor) as uow:
        _require(may_follow_up(actor))
        item = get_item(actor, number)
        evidence = add_evidence_in(uow, actor, item, kind, ref, title)
        uow.commit()
    return evidence


def add_evidence_in(uow, actor: Actor, item: RoadmapItem, kind: str, ref=None, title: str = "") -> RoadmapEvidence:
    if kind not in EVIDENCE_KINDS:
        raise Invalid("unknown kind of evidence", fields={"kind": "one of " + ", ".join(EVIDENCE_KINDS)})
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise Invalid("the title is at most 500 characters", fields={"title": "too long"})
    evidence = RoadmapEvidence(item_id=item.id, kind=kind, added_by_id=actor.user_id, added_at=clock.now())
    if kind == "link":
        if not isinstance(ref, str) or not re.match(r"^https?://\S{3,990}$", ref):
            raise Invalid("a link starts with http:// or https://", fields={"ref": "a URL"})
        evidence.url, evidence.title = ref, (title or ref).strip()
    else:
        ref_id = whole_number(ref)
        model = {"case": ProcessInstance, "data_call": DataCall, "protocol": Protocol, "document": FixedDocument}[kind]
        target = db.session.get(model, ref_id) if ref_id is not None else None
        if target is None:
            raise Invalid("the referenced record does not exist", fields={"ref": str(ref)[:40]})
        evidence.ref_id = ref_id
        evidence.title = (title or _default_title(kind, target)).strip()[:500]
    db.session.add(evidence)
    uow.flush()
    uow.record(
        "roadmap_evidence_added",
        actor=actor,
        payload={"number": item.number, "kind": kind, "ref": evidence.ref_id or evidence.url, "title": evidence.title},
    )
    return evidence


def _default_title(kind: str, target) -> str:
    if kind == "case":
        return f"{target.business_key or ''} {target.title}".strip()
    if kind == "data_call":
        return target.title
    if kind == "protocol":
        return f"Протокол № {target.number or '—'} ({target.year})"
    return getattr(target, "file_name", "") or f"Документ {target.id}"


def remove_evidence(actor: Actor, number: str, evidence_id: int) -> None:
    with UnitOfWork(actor) as uow:
        _require(may_follow_up(actor))
        item = get_item(actor, number)
        evidence = next((e for e in item.evidence if e.id == evidence_id), None)
        if evidence is None:
            raise NotFound("evidence not found")
        payload = {"number": item.number, "kind": evidence.kind, "ref": evidence.ref_id or evidence.url}
        item.evidence.remove(evidence)
        uow.record("roadmap_evidence_removed", actor=actor, payload=payload)
        uow.commit()
