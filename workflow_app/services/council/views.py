"""Read models of the council pages: one call per page."""

from datetime import datetime

from sqlalchemy import func, select

from ...engine import clock
from ...extensions import db
from ...models import AgendaItem, CollegialBody, Meeting, ProcessInstance, TaskAttachment
from .. import materials as case_materials
from ..errors import NotFound
from ..people.actors import Actor
from .agenda import (
    QUESTION_PROCESS,
    _pending_query,
    decision_fields,
    decision_options,
    get_meeting,
    list_meetings,
    materials,
    pending,
    quorum,
)
from .instructions import list_instructions
from .protocols import _presiding_id, protocol_view
from .seats import (
    _membership_view,
    _require_reader,
    _voting_members,
    get_body,
    local,
    meeting_day,
    memberships_on,
    roles_of,
)


def list_bodies(actor: Actor) -> list[dict]:
    """The bodies the actor sits on (also as a deputy), with their members and pending items; every body for
    administrators and auditors. Nobody else learns a body's composition or workload (colleges and
    investors see only their own world)."""
    bodies = db.session.execute(select(CollegialBody).order_by(CollegialBody.id)).scalars().all()
    day = clock.today()
    result = []
    for body in bodies:
        if not (actor.reads_everything or actor.is_system or roles_of(actor, body, day)):
            continue
        members = memberships_on(body, day)
        result.append(
            {
                "code": body.code,
                "name": body.name,
                "short_name": body.short_name,
                "protocols_public": body.protocols_public,
                "my_roles": sorted(m.role for m in members if m.user_id == actor.user_id),
                "members": [_membership_view(m) for m in members],
                "pending_count": db.session.execute(
                    _pending_query(body).order_by(None).with_only_columns(func.count())
                ).scalar_one(),
            }
        )
    return result


def meeting_view(meeting: Meeting) -> dict:
    return {
        "id": meeting.id,
        "body": meeting.body.code,
        "starts_at": local(meeting.starts_at).isoformat(),
        "place": meeting.place,
        "form": meeting.form,
        "status": meeting.status,
        "agenda_approved_at": meeting.agenda_approved_at.isoformat() if meeting.agenda_approved_at else None,
        "quorum": quorum(meeting).as_dict(),
        "items": [
            {
                "id": i.id,
                "question": i.position,
                "task_id": i.task_id,
                "instance_id": i.instance_id,
                "title": i.title,
                "status": i.status,
                "postponed_to_id": i.postponed_to_id,
                "seen_lock_version": i.seen_lock_version,
            }
            for i in meeting.items
        ],
        "attendance": [
            {"user_id": a.user_id, "name": a.user.display_name, "present": a.present, "for_member_id": a.for_member_id}
            for a in meeting.attendance
        ],
        "protocol_id": meeting.protocol.id if meeting.protocol else None,
    }


# --- read models of the HTML pages (one call per page) --------------------------------------------


def overview(actor: Actor) -> dict:
    bodies = list_bodies(actor)
    upcoming = [
        m
        for m in list_meetings(actor, upcoming=True)
        if m.status == "approved"
        or "secretary" in roles_of(actor, m.body)
        or roles_of(actor, m.body) & {"chair", "deputy_chair"}
    ]
    return {
        "bodies": [b for b in bodies if b["my_roles"]] if not actor.reads_everything else bodies,
        "upcoming": sorted(upcoming, key=lambda m: m.starts_at),
    }


def body_page(actor: Actor, body_code: str) -> dict:
    body = get_body(body_code)
    roles = _require_reader(actor, body)
    return {
        "body": body,
        "roles": roles,
        "pending": pending(actor, body_code),
        "meetings": list_meetings(actor, body_code),
        "members": memberships_on(body, clock.today()),
        "overdue": len(list_instructions(actor, body_code, overdue_only=True)),
    }


def meeting_page(actor: Actor, meeting_id: int) -> dict:
    meeting = get_meeting(actor, meeting_id)
    body = meeting.body
    roles = roles_of(actor, body)
    items = []
    for item in meeting.items:
        labels = {o["value"]: o["label"] for o in decision_options(item.task)}
        is_open = item.task.status == "open"
        # the case's data, read once for the question's materials, tables and text (a closed one shows files only)
        data = case_materials.case_data(item.instance) if is_open or _is_own_question(item) else {}
        items.append(
            {
                "item": item,
                "materials": materials(item.task, item.draft_decision, data) if is_open else None,
                "blocks": _item_blocks(actor, meeting, item, data),
                "question": _own_question(item, data),
                "decision_form": decision_fields(item.task) if is_open else None,
                "outcome_label": labels.get(item.decision.outcome, item.decision.outcome) if item.decision else None,
                "stale": not is_open or item.instance.lock_version != item.seen_lock_version,
            }
        )
    later = [m for m in list_meetings(actor, body.code) if m.id != meeting.id and m.status == "draft"]
    return {
        "meeting": meeting,
        "body": body,
        "roles": roles,
        "items": items,
        "is_secretary": "secretary" in roles,
        "is_chair": bool(roles & {"chair", "deputy_chair"}),
        "pending": pending(actor, body.code, with_materials=False)
        if "secretary" in roles and meeting.status == "draft"
        else [],
        "later_meetings": later,
        "seats": memberships_on(body, meeting_day(meeting)),
        "voting_ids": set(_voting_members(body, meeting_day(meeting))),
        "present_ids": {a.user_id for a in meeting.attendance if a.present and a.for_member_id is None},
        "substitutes": {s.member_id: s.substitute for s in meeting.substitutes},
        "quorum": quorum(meeting),
        "protocol": meeting.protocol,
        "presiding_id": _presiding_id(meeting),
    }


def protocol_page(actor: Actor, meeting_id: int) -> dict:
    return protocol_view(get_meeting(actor, meeting_id))


def instructions_page(actor: Actor, body_code: str, overdue_only: bool = False) -> dict:
    body = get_body(body_code)
    roles = _require_reader(actor, body)
    return {
        "body": body,
        "roles": roles,
        "rows": list_instructions(actor, body_code, overdue_only),
        "overdue_only": overdue_only,
    }


def _item_blocks(
    actor: Actor, meeting: Meeting, item: AgendaItem, data: dict | None = None, files_at: str | None = None
) -> list[case_materials.Block]:
    """What the body decides on in a question, as the case's page shows it (labelled tables, the opinions so
    far, the files, those of the requests started under the case too), for whoever may read the meeting: its
    members are not parties to the case, so its files and tables are served through the meeting. Once the
    protocol is signed, what it was decided on: the files from before the signature (the case's data moves on
    after it, so its tables are no longer shown here). ``data``: the case's data when the caller has read it;
    ``files_at``: where the face serves the question's files (the web page's route by default)."""
    instance = item.task.instance
    until = _decided_at(meeting, item)
    prefix = files_at or f"/council/meetings/{meeting.id}/items/{item.id}/attachments"

    def href(att: TaskAttachment) -> str:
        return f"{prefix}/{att.id}"

    if until is not None:
        case = case_materials.Case(
            actor, instance, {}, item.task, attachment_href=href, all_children=True, files_until=until
        )
        return case_materials.builtin.attachments(case)
    data = case_materials.case_data(instance) if data is None else data
    case = case_materials.Case(actor, instance, data, item.task, attachment_href=href, all_children=True)
    return case_materials.blocks_for(case)


def _decided_at(meeting: Meeting, item: AgendaItem) -> datetime | None:
    """When the signed protocol closed the question (None while it is open)."""
    protocol = meeting.protocol
    if item.status == "closed" and protocol is not None and protocol.signed_at is not None:
        return protocol.signed_at
    return None


def _is_own_question(item: AgendaItem) -> bool:
    return item.task.process_id == QUESTION_PROCESS


def _own_question(item: AgendaItem, data: dict) -> dict | None:
    """A question of the body's own (no case's task): its rapporteur and the materials' text (for «Об исполнении
    поручений», the instructions not yet done with their status), which its members read before voting."""
    if not _is_own_question(item):
        return None
    return {"rapporteur": data.get("rapporteur") or "", "materials": data.get("materials") or ""}


def _meeting_item(actor: Actor, meeting_id: int, item_id: int) -> tuple[Meeting, AgendaItem]:
    meeting = get_meeting(actor, meeting_id)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if item is None:
        raise NotFound("agenda item not found")
    return meeting, item


def decision_form(actor: Actor, meeting_id: int, item_id: int) -> dict | None:
    """The part of a question's task form that is filled in with its decision (see ``agenda.decision_fields``)."""
    _meeting, item = _meeting_item(actor, meeting_id, item_id)
    return decision_fields(item.task)


def item_materials(actor: Actor, meeting_id: int, item_id: int, files_at: str) -> list[case_materials.Block]:
    """The materials of a question on a meeting's agenda, for whoever may read the meeting (the API's view of
    what the meeting's page shows); its files are linked under ``files_at``."""
    meeting, item = _meeting_item(actor, meeting_id, item_id)
    return _item_blocks(actor, meeting, item, files_at=files_at)


def item_material_xlsx(actor: Actor, meeting_id: int, item_id: int, key: str) -> tuple[bytes, str, str]:
    """One table of a question's materials as XLSX, for whoever may read the meeting (as its files)."""
    meeting, item = _meeting_item(actor, meeting_id, item_id)
    return case_materials.xlsx_of(_item_blocks(actor, meeting, item), item.task.instance, key)


def item_attachment(actor: Actor, meeting_id: int, item_id: int, attachment_id: int) -> TaskAttachment:
    """A file among the materials of a question on a meeting's agenda (a case's attachment, a request's started
    under it, or one the secretary added to a question of the body's own), for whoever may read the meeting: its
    members, their substitutes, the secretary, the chair, auditors. NotFound for a file of another question."""
    meeting, item = _meeting_item(actor, meeting_id, item_id)
    att = db.session.get(TaskAttachment, attachment_id)
    owner = db.session.get(ProcessInstance, att.instance_id) if att is not None else None
    case_id, until = item.task.instance_id, _decided_at(meeting, item)
    if att is None or owner is None or not (owner.id == case_id or owner.parent_id == case_id):
        raise NotFound("attachment not found")  # a file of the question's case or of a case started under it
    if until is not None and (att.created_at > until or owner.created_at > until):
        raise NotFound("attachment not found")  # added after the protocol: not what the body decided on
    return att
