"""Reading the roadmap (план мероприятий, распоряжение № 450-ра): the items in the act's order with filters, one
item with its evidence and history of changes, the sections of the shipped file, and who may change what.

Plain queries: nothing here writes. Neighbours: ``changes`` loads the shipped file and changes items and
their evidence (each change a ``roadmap_change`` row and an audit event).
"""

import json
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import (
    FixedDocument,
    Organisation,
    Protocol,
    RoadmapChange,
    RoadmapEvidence,
    RoadmapExecutor,
    RoadmapItem,
)
from ...numbers import whole_number
from ..errors import Invalid, NotFound
from ..people.actors import Actor

FILE_NAME = "roadmap.json"


STATUSES = ("planned", "in_progress", "done", "not_done", "cancelled")


OPEN_STATUSES = ("planned", "in_progress")


EVIDENCE_KINDS = ("case", "data_call", "protocol", "document", "link")


def _path() -> Path:
    return Path(current_app.config.get("ROADMAP_FILE") or Path(current_app.config["BPMN_DIR"]) / FILE_NAME)


def read_file(path: Path | None = None) -> dict:
    path = path or _path()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid("the roadmap file %(name)s cannot be read: %(error)s", name=path.name, error=str(exc)) from None


def sort_key(number: str) -> tuple:
    return tuple(n for p in number.split(".") if (n := whole_number(p)) is not None)


def may_edit(actor: Actor) -> bool:
    return actor.is_admin or actor.is_system


def may_follow_up(actor: Actor) -> bool:
    """Status and evidence: administrators and the Координатор (never auditors)."""
    return may_edit(actor) or "coordinator" in actor.groups


def overdue(item: RoadmapItem, today: date | None = None) -> bool:
    """Still open after its last dated deadline (a recurring item is never overdue as a whole)."""
    today = today or clock.today()
    return item.status in OPEN_STATUSES and not item.recurring and item.due_on is not None and item.due_on < today


def executor_view(e: RoadmapExecutor) -> dict:
    org = e.organisation
    return {
        "name": e.name,
        "organisation": {"id": org.id, "code": org.code, "name": org.name} if org is not None else None,
        "role": e.role,
        "body": e.body,
    }


def view(item: RoadmapItem, today: date | None = None) -> dict:
    return {
        "id": item.id,
        "number": item.number,
        "section": item.section,
        "title": item.title,
        "result": item.result,
        "deadline": item.deadline,
        "due_on": item.due_on,
        "recurring": bool(item.recurring),
        "documents": item.documents,
        "status": item.status,
        "status_note": item.status_note,
        "overdue": overdue(item, today),
        "executors": [executor_view(e) for e in item.executors],
        "updated_at": item.updated_at,
    }


def list_items(actor: Actor, status: str | None = None, q: str | None = None, org: str | None = None) -> list[dict]:
    """Every item in the act's order (any signed-in user: the roadmap is a published act); filters by status
    (``overdue`` too), a word of the title, an executor organisation's code."""
    if status not in (None, "", "overdue", *STATUSES):
        raise Invalid("unknown status", fields={"status": str(status)})
    stmt = select(RoadmapItem).order_by(RoadmapItem.position)
    if status in STATUSES:
        stmt = stmt.where(RoadmapItem.status == status)
    if org:
        stmt = stmt.where(
            RoadmapItem.id.in_(
                select(RoadmapExecutor.item_id)
                .join(Organisation, Organisation.id == RoadmapExecutor.organisation_id)
                .where(Organisation.code == org)
            )
        )
    today = clock.today()
    rows = [view(i, today) for i in db.session.execute(stmt).scalars()]
    if status == "overdue":
        rows = [r for r in rows if r["overdue"]]
    if q:
        needle = q.casefold().strip()
        rows = [r for r in rows if needle in r["title"].casefold() or needle == r["number"]]
    return rows


def sections() -> dict[str, str]:
    return {s["number"]: s["title"] for s in read_file().get("sections", [])}


def get_item(actor: Actor, number: str) -> RoadmapItem:
    item = db.session.execute(select(RoadmapItem).where(RoadmapItem.number == str(number))).scalar_one_or_none()
    if item is None:
        raise NotFound("roadmap item %(number)s not found", number=str(number)[:16])
    return item


def item_page(actor: Actor, number: str) -> dict:
    """One item with its evidence (each resolved to a title and a link) and its history of changes."""
    item = get_item(actor, number)
    changes = db.session.execute(
        select(RoadmapChange).where(RoadmapChange.item_id == item.id).order_by(RoadmapChange.changed_at.desc())
    ).scalars()
    return {
        **view(item),
        "evidence": [evidence_view(e) for e in item.evidence],
        "changes": [
            {
                "changed_at": c.changed_at,
                "source": c.source,
                "protocol_ref": c.protocol_ref,
                "protocol_id": c.protocol_id,
                "reason": c.reason,
                "fields": sorted(k for k in set(c.before) | set(c.after) if c.before.get(k) != c.after.get(k)),
                "before": c.before,
                "after": c.after,
            }
            for c in changes
        ],
        "may_edit": may_edit(actor),
        "may_follow_up": may_follow_up(actor),
    }


def evidence_view(e: RoadmapEvidence) -> dict:
    return {"id": e.id, "kind": e.kind, "ref_id": e.ref_id, "url": e.url, "title": e.title, "link": _link(e)}


def _link(e: RoadmapEvidence) -> str | None:
    if e.kind == "link":
        return e.url
    if e.kind == "case":
        return f"/instances/{e.ref_id}"
    if e.kind == "data_call":
        return f"/data-calls/{e.ref_id}"
    if e.kind == "protocol":
        protocol = db.session.get(Protocol, e.ref_id)
        return f"/council/meetings/{protocol.meeting_id}/protocol" if protocol is not None else None
    document = db.session.get(FixedDocument, e.ref_id)
    if document is not None and document.instance_id is not None:
        return f"/instances/{document.instance_id}/documents/{document.kind}.{document.fmt}"
    if document is not None and document.protocol_id is not None:
        protocol = db.session.get(Protocol, document.protocol_id)
        return f"/council/meetings/{protocol.meeting_id}/protocol.{document.fmt}" if protocol is not None else None
    return None
