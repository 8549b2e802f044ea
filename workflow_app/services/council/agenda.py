"""A body's pending items and their materials, meetings, the agenda, attendance and quorum.

Kept whole: the commands on a meeting (call, agenda, free questions, attendance, quorum, cancel) share its state
checks (``_meeting``, ``_require_open``, ``_require_secretary``); the pending list and its materials are the part
to move out next.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from ... import formkit as form_schemas
from ...engine import clock
from ...extensions import db
from ...i18n import localize_schema
from ...models import (
    AgendaItem,
    Attendance,
    CollegialBody,
    Deputy,
    HumanTask,
    Meeting,
    MeetingSubstitute,
    TaskAttachment,
    User,
)
from .. import notifications
from ..cases import advance, operations
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..tasks import attachments
from ..uow import UnitOfWork
from .instructions import BODY_ABBREVIATION, instruction_rows
from .seats import (
    ACTIVE_ITEM,
    MEETING_FORMS,
    OPEN_MEETING,
    _require_reader,
    _require_secretary,
    _voting_members,
    get_body,
    local,
    meeting_day,
    memberships_on,
    parse_local_datetime,
    roles_of,
)

# --- pending items and materials ------------------------------------------------------------------


def _active_task_ids():
    return (
        select(AgendaItem.task_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.status.in_(ACTIVE_ITEM), Meeting.status.in_(OPEN_MEETING))
    )


def _pending_query(body: CollegialBody):
    return (
        select(HumanTask)
        .where(
            HumanTask.collegial_body == body.code, HumanTask.status == "open", HumanTask.id.not_in(_active_task_ids())
        )
        .order_by(HumanTask.created_at, HumanTask.id)
    )


def materials(task: HumanTask, draft_decision: str | None = None, data: dict | None = None) -> dict:
    """What the body decides on: the instance's data (``data``, when the caller has read it), its attachments, a
    draft decision, the options."""
    instance = task.instance
    if data is None:
        try:
            data = advance.instance_data(instance)
        except Exception:  # noqa: BLE001  (a broken state must not hide the item from the secretary)
            data = {}
    attachments = (
        db.session.execute(
            select(TaskAttachment).where(TaskAttachment.instance_id == instance.id).order_by(TaskAttachment.id)
        )
        .scalars()
        .all()
    )
    return {
        "data": data,
        "attachments": [
            {"id": a.id, "file_name": a.file_name, "size": a.size, "content_type": a.content_type} for a in attachments
        ],
        "draft_decision": draft_decision or (data.get("draft_decision") if isinstance(data, dict) else None),
        "decision_options": decision_options(task),
    }


# The meeting's decision form has the outcome and the decision's text (the task's "comment"); the protocol's
# reference is written when the protocol is signed.
_ON_THE_MEETING_FORM = frozenset({"decision", "comment", "protocol_ref"})


def decision_fields(task: HumanTask) -> dict | None:
    """The rest of the task's form, which the secretary fills in with the decision (the figures a body changed,
    the date a list takes effect...), as a form of its own; None when the form has nothing more. The whole
    form still validates the decision (``decisions.record_decision``)."""
    schema = task.instance.model.forms.get(task.form_key) if task.form_key else None
    props = {
        k: v
        for k, v in ((schema or {}).get("properties") or {}).items()
        if k not in _ON_THE_MEETING_FORM and not form_schemas.server_owned(v)  # read-only, computed: the server's
    }
    if not props:
        return None
    return localize_schema({"type": "object", "properties": props})


def decision_options(task: HumanTask) -> list[dict]:
    schema = task.instance.model.forms.get(task.form_key) if task.form_key else None
    if not schema:
        return []
    return [{"value": v, "label": label} for v, label in form_schemas.decision_options(schema)]


def task_view(task: HumanTask, with_materials=True, draft_decision=None) -> dict:
    view = {
        "task_id": task.id,
        "name": task.name,
        "task_def": task.task_def,
        "form_key": task.form_key,
        "instance_id": task.instance_id,
        "process_id": task.process_id,
        "business_key": task.business_key,
        "title": task.title,
        "status": task.status,
        "lock_version": task.instance.lock_version,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }
    if with_materials:
        view["materials"] = materials(task, draft_decision)
    return view


def pending(actor: Actor, body_code: str, with_materials=True) -> list[dict]:
    body = get_body(body_code)
    _require_reader(actor, body)
    rows = db.session.execute(_pending_query(body)).scalars().all()
    return [task_view(t, with_materials) for t in rows]


# --- meetings and agenda --------------------------------------------------------------------------


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting not found")
    return meeting


def get_meeting(actor: Actor, meeting_id: int) -> Meeting:
    meeting = _meeting(meeting_id)
    _require_reader(actor, meeting.body, meeting)
    return meeting


def list_meetings(actor: Actor, body_code: str | None = None, upcoming: bool = False) -> list[Meeting]:
    query = select(Meeting).order_by(Meeting.starts_at.desc())
    if body_code:
        body = get_body(body_code)
        _require_reader(actor, body)
        query = query.where(Meeting.body_id == body.id)
    elif not actor.reads_everything:
        mine = [b.id for b in db.session.execute(select(CollegialBody)).scalars() if roles_of(actor, b)]
        subs = select(MeetingSubstitute.meeting_id).where(MeetingSubstitute.substitute_id == actor.user_id)
        query = query.where(or_(Meeting.body_id.in_(mine), Meeting.id.in_(subs)))
    if upcoming:
        query = query.where(Meeting.status.in_(OPEN_MEETING), Meeting.starts_at >= _start_of_today())
    return list(db.session.execute(query).scalars())


def _start_of_today() -> datetime:
    return datetime.combine(clock.today(), datetime.min.time(), tzinfo=clock.REGION_TZ).astimezone(UTC)


def _require_open(meeting: Meeting, *statuses):
    if meeting.status == "closed":
        raise Conflict("the protocol of this meeting is signed; it cannot be changed (corrections are a new protocol)")
    if meeting.status == "cancelled":
        raise Conflict("the meeting is cancelled")
    if statuses and meeting.status not in statuses:
        raise Conflict(
            {
                "draft": "the agenda is already approved by the chair",
                "approved": "the chair has not approved the agenda yet",
            }.get(statuses[0], "wrong state")
        )


def create_meeting(actor: Actor, body_code: str, starts_at, place: str = "", form: str = "in_person") -> Meeting:
    if form not in MEETING_FORMS:
        raise Invalid("unknown form of meeting", fields={"form": "in_person or absentee"})
    when = parse_local_datetime(starts_at)
    with UnitOfWork(actor) as uow:
        body = get_body(body_code)
        _require_secretary(actor, body)
        meeting = Meeting(
            body=body,
            starts_at=when,
            place=(place or "").strip()[:500],
            form=form,
            status="draft",
            created_by_id=actor.user_id,
            created_at=clock.now(),
        )
        db.session.add(meeting)
        uow.flush()
        uow.record(
            "council_meeting_created",
            payload={
                "meeting_id": meeting.id,
                "body": body.code,
                "starts_at": when.isoformat(),
                "place": meeting.place,
                "form": form,
            },
        )
        uow.commit()
    return meeting


def add_item(
    actor: Actor, meeting_id: int, task_id, draft_decision: str | None = None, title: str | None = None
) -> AgendaItem:
    """Put a pending task on a draft agenda; ``title``: the question as the protocol words it (by default the
    case's title and the task's name)."""
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise Invalid("task_id must be a number", fields={"task_id": "required"})
    wording = _text(title, "title", 500)
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "draft")
        item = _put_on_agenda(uow, meeting, task_id, draft_decision, wording or None)
        uow.commit()
    return item


def _put_on_agenda(
    uow, meeting: Meeting, task_id: int, draft_decision: str | None, title: str | None = None
) -> AgendaItem:
    task = db.session.get(HumanTask, task_id)
    if task is None or task.collegial_body != meeting.body.code:
        raise NotFound("no such item is waiting for this body")
    if task.status != "open":
        raise Conflict("the task is no longer open")
    on_agenda = db.session.execute(
        select(AgendaItem.meeting_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.task_id == task.id, AgendaItem.status.in_(ACTIVE_ITEM), Meeting.status.in_(OPEN_MEETING))
    ).scalar_one_or_none()
    if on_agenda is not None:
        raise Conflict("the item is already on the agenda of a meeting", fields={"meeting_id": on_agenda})
    position = (
        db.session.execute(
            select(func.max(AgendaItem.position)).where(
                AgendaItem.meeting_id == meeting.id, AgendaItem.status != "removed"
            )
        ).scalar()
        or 0
    ) + 1
    case_title = task.title or task.instance.title
    item = AgendaItem(
        meeting=meeting,
        position=position,
        task_id=task.id,
        instance_id=task.instance_id,
        title=title or (f"{case_title} — {task.name}"[:500] if case_title else task.name[:500]),
        draft_decision=(draft_decision or None),
        seen_lock_version=task.instance.lock_version,
        status="pending",
        added_at=clock.now(),
    )
    db.session.add(item)
    uow.flush()
    uow.record(
        "council_item_added",
        instance=task.instance,
        task_id=task.id,
        payload={
            "meeting_id": meeting.id,
            "item_id": item.id,
            "question": position,
            "body": meeting.body.code,
            "lock_version": item.seen_lock_version,
        },
    )
    return item


QUESTION_PROCESS = "council_question"
INSTRUCTIONS_REVIEW = "Об исполнении поручений"
STATUS_TEXT = {"open": "на исполнении", "reported": "отчёт представлен", "done": "исполнено"}


def _text(value, field: str, limit: int, required: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise Invalid("the question has errors", fields={field: "text"})
    if required and not text:
        raise Invalid("the question has errors", fields={field: "required"})
    if len(text) > limit:
        raise Invalid("the question has errors", fields={field: f"at most {limit} characters"})
    return text


def _refuse_direct_start(uow, actor, req):
    raise BadRequest("a question of a body is put on a meeting's agenda by its secretary («Советы и заседания»)")


operations.START_HOOKS[QUESTION_PROCESS] = _refuse_direct_start


def add_question(
    actor: Actor, meeting_id: int, *, title, rapporteur=None, materials=None, draft_decision=None, files=()
) -> AgendaItem:
    """A question of the body's own that is no case's task (priorities, a review of acts, a plan): the
    secretary puts it on a draft agenda with its rapporteur, materials (a text, and ``files``: (name, type,
    bytes) stored on the question's task as a case's attachments are) and draft decision; the body decides it by
    votes and the signed protocol closes it like any other item (process ``council_question``)."""
    fields = {
        "title": _text(title, "title", 500, required=True),
        "rapporteur": _text(rapporteur, "rapporteur", 300),
        "materials": _text(materials, "materials", 20000),
        "draft_decision": _text(draft_decision, "draft_decision", 20000),
    }
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "draft")
        item = _add_question_in(uow, actor, meeting, fields)
        for name, content_type, content in files:
            attachments.store_in(uow, actor, item.task, name, content_type, content)
        uow.commit()
    return item


def add_instructions_review(actor: Actor, meeting_id: int) -> AgendaItem:
    """The question «Об исполнении поручений»: the body's instructions not yet done, with their status."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "draft")
        rows = [r for r in instruction_rows(meeting.body.code) if r["status"] != "done"]
        lines = [
            f"{n}. {r['text']} — {r['executor']}, срок {clock.parse_day(r['deadline']):%d.%m.%Y} "
            f"({r['protocol_ref']}): {STATUS_TEXT.get(r['status'], r['status'])}"
            + (", просрочено" if r["overdue"] else "")
            for n, r in enumerate(rows, 1)
        ]
        fields = {
            "title": INSTRUCTIONS_REVIEW,
            "rapporteur": "Секретарь",
            "materials": "\n".join(lines) or "Неисполненных поручений нет.",
            "draft_decision": "Информацию об исполнении поручений принять к сведению.",
            "instructions": [
                {k: r[k] for k in ("id", "text", "executor", "deadline", "status", "overdue", "protocol_ref")}
                for r in rows
            ],
        }
        item = _add_question_in(uow, actor, meeting, fields)
        uow.commit()
    return item


def _add_question_in(uow, actor: Actor, meeting: Meeting, fields: dict) -> AgendaItem:
    body = meeting.body
    count = sum(1 for i in meeting.items if i.status != "removed") + 1
    key = f"Вопрос-{meeting_day(meeting).year}/{BODY_ABBREVIATION.get(body.code, body.code)}-{meeting.id}.{count}"
    instance = advance.start_instance(
        uow,
        actor,
        QUESTION_PROCESS,
        {**fields, "body": body.code},
        business_key=key,
        title=fields["title"],
        check_permission=False,
        run_hooks=False,
    )
    uow.flush()
    [task] = [t for t in uow.open_tasks.get(instance.id, []) if t.collegial_body == body.code]
    item = _put_on_agenda(uow, meeting, task.id, fields["draft_decision"] or None)
    item.title = fields["title"][:500]  # the question as the agenda names it
    return item


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound("agenda item not found")
    return item


def remove_item(actor: Actor, meeting_id: int, item_id: int) -> Meeting:
    """Take an item off a draft agenda (it goes back to the pending list); the rest are renumbered."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "draft")
        item = _item(meeting, item_id)
        uow.record(
            "council_item_removed",
            instance=item.instance,
            task_id=item.task_id,
            payload={"meeting_id": meeting.id, "item_id": item.id},
        )
        db.session.delete(item)
        uow.flush()
        for n, other in enumerate(sorted((i for i in meeting.items if i.id != item_id), key=lambda i: i.position), 1):
            other.position = n
        uow.commit()
    return meeting


def refresh_item(actor: Actor, meeting_id: int, item_id: int) -> AgendaItem:
    """The secretary has reviewed a case that changed since it was put on the agenda: accept its new version."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting)
        item = _item(meeting, item_id)
        if item.task.status != "open":
            raise Conflict("the task is no longer open; postpone or remove the item", fields={"item": item.id})
        old, item.seen_lock_version = item.seen_lock_version, item.instance.lock_version
        _unsign_draft(uow, meeting)
        uow.record(
            "council_item_refreshed",
            instance=item.instance,
            task_id=item.task_id,
            payload={"item_id": item.id, "from": old, "to": item.seen_lock_version},
        )
        uow.commit()
    return item


def cancel_meeting(actor: Actor, meeting_id: int) -> Meeting:
    """Cancel a meeting whose protocol is not signed; its questions return to the pending list."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting)
        if meeting.protocol is not None:
            _unsign_draft(uow, meeting)
        if meeting.status == "approved":  # the members were told of it
            _notify_members(uow, meeting, cancelled=True)
        meeting.status = "cancelled"
        uow.record(
            "council_meeting_cancelled",
            payload={"meeting_id": meeting.id, "body": meeting.body.code, "items": [i.task_id for i in meeting.items]},
        )
        uow.commit()
    return meeting


def approve_agenda(actor: Actor, meeting_id: int) -> Meeting:
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        roles = roles_of(actor, meeting.body)
        if not roles & {"chair", "deputy_chair"}:
            raise Forbidden("only the chair (or the deputy chair) approves the agenda")
        _require_open(meeting, "draft")
        if not [i for i in meeting.items if i.status in ACTIVE_ITEM]:
            raise Conflict("the agenda is empty")
        meeting.status = "approved"
        meeting.agenda_approved_by_id = actor.user_id
        meeting.agenda_approved_at = clock.now()
        uow.record(
            "council_agenda_approved",
            payload={
                "meeting_id": meeting.id,
                "body": meeting.body.code,
                "items": [
                    {"question": i.position, "task_id": i.task_id, "instance_id": i.instance_id} for i in meeting.items
                ],
            },
        )
        _notify_members(uow, meeting)
        uow.commit()
    return meeting


def _notify_members(uow, meeting: Meeting, cancelled: bool = False) -> None:
    """Approved agendas show on the members' "upcoming meetings" page; each member also gets a notice (in-app and
    e-mail, through the outbox) with a link to the meeting's page, and another if the meeting is cancelled."""
    when = local(meeting.starts_at).strftime("%d.%m.%Y %H:%M")
    # a cancelled meeting's questions still to decide go to another meeting; an approved agenda lists every one
    agenda = "\n".join(f"{i.position}. {i.title}" for i in meeting.items if not cancelled or i.status in ACTIVE_ITEM)
    if cancelled:
        subject = f"{meeting.body.short_name}: заседание {when} отменено"
        text = f"Заседание {when} (время томское) отменено. Коллегиальный орган: «{meeting.body.name}».\n\n" + (
            f"Вопросы его повестки будут рассмотрены на другом заседании:\n{agenda}\n" if agenda else ""
        )
    else:
        subject = f"{meeting.body.short_name}: заседание {when}"
        text = (
            f"{when} (время томское) состоится заседание. Коллегиальный орган: «{meeting.body.name}». "
            f"Место: {meeting.place or '—'}.\n\nПовестка:\n{agenda}\n\n"
            "Материалы по каждому вопросу — на странице заседания.\n"
        )
    for m in memberships_on(meeting.body, meeting_day(meeting)):
        if m.user.active:
            notifications.queue(
                uow,
                [m.user],
                "meeting",
                subject,
                f"{m.user.display_name},\n\n{text}",
                link=f"/council/meetings/{meeting.id}",
            )


# --- attendance and quorum ------------------------------------------------------------------------


@dataclass
class Quorum:
    members: int
    present: int
    required: int
    reached: bool

    def as_dict(self):
        return {"members": self.members, "present": self.present, "required": self.required, "reached": self.reached}


def quorum(meeting: Meeting) -> Quorum:
    """At least the body's quorum share (half by default) of the voting members (chair, deputy chair,
    members), substitutes counted."""
    voting = _voting_members(meeting.body, meeting_day(meeting))
    present = set()
    for a in meeting.attendance:
        if not a.present:
            continue
        counted_for = a.for_member_id or a.user_id
        if counted_for in voting:
            present.add(counted_for)
    total = len(voting)
    required = max(1, math.ceil(round(total * meeting.body.quorum_share, 9))) if total else 1
    return Quorum(total, len(present), required, total > 0 and len(present) >= required)


def _registered_deputy(member_id: int, substitute_id: int, day) -> bool:
    """The body's rule for a substitute: the member's deputy registered for that day (not just any user)."""
    return (
        db.session.execute(
            select(Deputy.id).where(
                Deputy.principal_id == member_id,
                Deputy.deputy_id == substitute_id,
                Deputy.starts_on <= day,
                Deputy.ends_on >= day,
            )
        ).first()
        is not None
    )


def record_attendance(actor: Actor, meeting_id: int, present, substitutes=()) -> Quorum:
    """Replace the attendance: ``present`` user ids (members), ``substitutes`` [{member_id, substitute_id}]."""
    if not isinstance(present, (list, tuple)) or not all(isinstance(p, int) for p in present):
        raise Invalid("present must be a list of user ids", fields={"present": "list of user ids"})
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "approved")
        seats = {m.user_id: m for m in memberships_on(meeting.body, meeting_day(meeting))}
        voting = _voting_members(meeting.body, meeting_day(meeting))
        errors = {}
        for uid in present:
            if uid not in seats:
                errors[f"present.{uid}"] = "not on the body on the day of the meeting"
        subs = []
        for n, s in enumerate(substitutes or ()):
            member_id = s.get("member_id") if isinstance(s, dict) else None
            substitute_id = s.get("substitute_id") if isinstance(s, dict) else None
            if substitute_id is None and isinstance(s, dict) and s.get("substitute_username"):
                substitute_id = db.session.execute(
                    select(User.id).where(User.username == str(s["substitute_username"]).strip())
                ).scalar_one_or_none()
            if member_id not in voting:
                errors[f"substitutes.{n}.member_id"] = "not a voting member of the body"
            elif member_id in present:
                errors[f"substitutes.{n}.member_id"] = "the member is present in person"
            if not isinstance(substitute_id, int) or db.session.get(User, substitute_id) is None:
                errors[f"substitutes.{n}.substitute_id"] = "unknown user"
            elif member_id in voting and not _registered_deputy(member_id, substitute_id, meeting_day(meeting)):
                errors[f"substitutes.{n}.substitute_id"] = (
                    "not the member's registered deputy on the day of the meeting"
                )
            subs.append((member_id, substitute_id))
        if len({m for m, _ in subs}) != len(subs):
            errors["substitutes"] = "one substitute per member"
        if errors:
            raise Invalid("the attendance has errors", fields=errors)
        meeting.attendance.clear()
        meeting.substitutes.clear()
        uow.flush()
        for uid in dict.fromkeys(present):
            meeting.attendance.append(Attendance(user_id=uid, present=True))
        for member_id, substitute_id in subs:
            meeting.substitutes.append(MeetingSubstitute(member_id=member_id, substitute_id=substitute_id))
            if substitute_id not in present:
                meeting.attendance.append(Attendance(user_id=substitute_id, present=True, for_member_id=member_id))
        meeting.attendance_recorded = True
        uow.flush()
        q = quorum(meeting)
        _unsign_draft(uow, meeting)
        uow.record(
            "council_attendance_recorded",
            payload={
                "meeting_id": meeting.id,
                "present": list(dict.fromkeys(present)),
                "substitutes": [{"member_id": m, "substitute_id": s} for m, s in subs],
                "quorum": q.as_dict(),
            },
        )
        uow.commit()
    return q


# --- protocol -------------------------------------------------------------------------------------


def _unsign_draft(uow, meeting: Meeting) -> None:
    """A change after the secretary signed the draft withdraws that signature (it must be signed again)."""
    p = meeting.protocol
    if p is not None and p.status == "draft" and p.signed_by_secretary_id is not None:
        p.signed_by_secretary_id = None
        p.secretary_signed_at = None
        uow.record("council_protocol_unsigned", payload={"meeting_id": meeting.id, "protocol_id": p.id})
