"""Collegial bodies: pending items, meetings, agenda, attendance and quorum, decisions, protocols.

Roles on a body come from ``BodyMembership`` (valid on the day in question), not from the cc_*/ec_*/wg_*
groups: only the body's secretary builds agendas and records; its chair approves the agenda and signs
(the deputy chair when the chair is absent); members read. Signing a protocol is ONE unit of work: every
decided agenda task is completed with its decision and the protocol reference, the waiting instances
advance, audit events are written — or, if any one item cannot be closed, nothing is applied and the
Conflict names the blocking item (``fields={"item": id}``).
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app, has_app_context
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import forms as form_schemas
from ..engine import clock
from ..extensions import db
from ..models import (
    AgendaItem,
    Attendance,
    BodyMembership,
    CollegialBody,
    Decision,
    HumanTask,
    Instruction,
    Meeting,
    MeetingSubstitute,
    Protocol,
    TaskAttachment,
    User,
)
from ..models.council import BODY_ROLES, VOTING_ROLES, SignedRecordError
from . import instances, notifications, tasks
from .errors import Conflict, Forbidden, Invalid, NotFound
from .identity import Actor
from .uow import UnitOfWork

MEETING_FORMS = ("in_person", "absentee")
ACTIVE_ITEM = ("pending", "decided")
OPEN_MEETING = ("draft", "approved")
BODY_GROUP_PREFIX = {"coordination_council": "cc", "expert_council": "ec", "working_group": "wg"}


# --- time -----------------------------------------------------------------------------------------


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(clock.REGION_TZ) if dt is not None else None


def meeting_day(meeting: Meeting) -> date:
    return local(meeting.starts_at).date()


def parse_local_datetime(value, field="starts_at") -> datetime:
    """An ISO date-time; without an offset it is Asia/Tomsk local time. Returns aware UTC."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise Invalid("invalid date and time", fields={field: "expected YYYY-MM-DDTHH:MM (Asia/Tomsk)"}) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=clock.REGION_TZ)
    return dt.astimezone(UTC)


def _parse_date(value, field) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid("invalid date", fields={field: "expected YYYY-MM-DD"}) from None


# --- bodies and roles -----------------------------------------------------------------------------


def get_body(code: str) -> CollegialBody:
    body = db.session.execute(select(CollegialBody).where(CollegialBody.code == code)).scalar_one_or_none()
    if body is None:
        raise NotFound(f"collegial body '{code}' not found")
    return body


def memberships_on(body: CollegialBody, day: date) -> list[BodyMembership]:
    return list(
        db.session.execute(
            select(BodyMembership)
            .where(
                BodyMembership.body_id == body.id,
                BodyMembership.valid_from <= day,
                or_(BodyMembership.valid_to.is_(None), BodyMembership.valid_to >= day),
            )
            .order_by(BodyMembership.id)
        ).scalars()
    )


def _identity_ids(actor: Actor) -> set[int]:
    """The actor and everyone it deputises today (a deputy acts in the principal's seat)."""
    if actor.user_id is None:
        return set()
    return {actor.user_id, *(pid for pid, _org, _groups in actor.acting_for)}


def roles_of(actor: Actor, body: CollegialBody, day: date | None = None) -> set[str]:
    ids = _identity_ids(actor)
    if not ids:
        return set()
    day = day or clock.today()
    return {m.role for m in memberships_on(body, day) if m.user_id in ids}


def _require_reader(actor: Actor, body: CollegialBody, meeting: Meeting | None = None) -> set[str]:
    roles = roles_of(actor, body)
    if roles or actor.reads_everything or actor.is_system:
        return roles
    if meeting is not None and any(s.substitute_id == actor.user_id for s in meeting.substitutes):
        return {"substitute"}
    raise Forbidden("you are not a member of this body")


def _require_secretary(actor: Actor, body: CollegialBody):
    if "secretary" not in roles_of(actor, body):
        raise Forbidden("only the secretary of the body may do this")


def _voting_members(body: CollegialBody, day: date) -> dict[int, BodyMembership]:
    voting = {}
    for m in memberships_on(body, day):
        if m.role in VOTING_ROLES and m.user_id not in voting:
            voting[m.user_id] = m
    return voting


def list_bodies(actor: Actor) -> list[dict]:
    bodies = db.session.execute(select(CollegialBody).order_by(CollegialBody.id)).scalars().all()
    day = clock.today()
    result = []
    for body in bodies:
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


def _membership_view(m: BodyMembership) -> dict:
    return {
        "id": m.id,
        "user_id": m.user_id,
        "name": m.user.display_name,
        "role": m.role,
        "position": m.position,
        "valid_from": m.valid_from.isoformat(),
        "valid_to": m.valid_to.isoformat() if m.valid_to else None,
    }


def add_membership(
    actor: Actor, body_code: str, user_id: int, role: str, valid_from=None, valid_to=None, position: str | None = None
) -> BodyMembership:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators change the composition of a body")
    if role not in BODY_ROLES:
        raise Invalid("unknown role", fields={"role": f"one of {', '.join(BODY_ROLES)}"})
    with UnitOfWork(actor) as uow:
        body = get_body(body_code)
        if db.session.get(User, user_id) is None:
            raise Invalid("unknown user", fields={"user_id": "no such user"})
        start = _parse_date(valid_from, "valid_from") if valid_from else clock.today()
        end = _parse_date(valid_to, "valid_to") if valid_to else None
        if end is not None and end < start:
            raise Invalid("the seat ends before it starts", fields={"valid_to": "before valid_from"})
        m = BodyMembership(
            body_id=body.id, user_id=user_id, role=role, valid_from=start, valid_to=end, position=position
        )
        db.session.add(m)
        uow.flush()
        uow.record("council_membership_added", payload={"body": body.code, **_membership_view(m)})
        uow.commit()
    return m


def end_membership(actor: Actor, membership_id: int, valid_to=None) -> BodyMembership:
    """Close a seat (the history stays: old protocols still show who sat on the body then)."""
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators change the composition of a body")
    with UnitOfWork(actor) as uow:
        m = db.session.get(BodyMembership, membership_id)
        if m is None:
            raise NotFound("membership not found")
        end = _parse_date(valid_to, "valid_to") if valid_to else clock.today()
        if end < m.valid_from:
            raise Invalid("the seat ends before it starts", fields={"valid_to": "before valid_from"})
        m.valid_to = end
        uow.record("council_membership_ended", payload={"body": m.body.code, **_membership_view(m)})
        uow.commit()
    return m


def ensure_demo_memberships(session) -> int:
    """Seat every user holding a cc_*/ec_*/wg_* group on the matching body (idempotent; call, then commit).

    cc_chair -> chair, cc_secretary -> secretary, cc_member -> member (and likewise ec_*, wg_*).
    Returns the number of seats created.
    """
    from ..models import Membership

    created = 0
    start = date(clock.today().year, 1, 1)
    for body in session.execute(select(CollegialBody)).scalars():
        prefix = BODY_GROUP_PREFIX.get(body.code)
        if prefix is None:
            continue
        for suffix, role in (("chair", "chair"), ("secretary", "secretary"), ("member", "member")):
            user_ids = (
                session.execute(select(Membership.user_id).where(Membership.group_id == f"{prefix}_{suffix}"))
                .scalars()
                .all()
            )
            for uid in user_ids:
                exists = session.execute(
                    select(BodyMembership.id).where(
                        BodyMembership.body_id == body.id,
                        BodyMembership.user_id == uid,
                        BodyMembership.role == role,
                        BodyMembership.valid_to.is_(None),
                    )
                ).first()
                if exists is None:
                    session.add(BodyMembership(body_id=body.id, user_id=uid, role=role, valid_from=start))
                    created += 1
    session.flush()
    return created


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


def materials(task: HumanTask, draft_decision: str | None = None) -> dict:
    """What the body decides on: the instance's data, its attachments, a draft decision, the options."""
    instance = task.instance
    try:
        data = instances.instance_data(instance)
    except Exception:  # a broken state must not hide the item from the secretary
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


def add_item(actor: Actor, meeting_id: int, task_id, draft_decision: str | None = None) -> AgendaItem:
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise Invalid("task_id must be a number", fields={"task_id": "required"})
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "draft")
        item = _put_on_agenda(uow, meeting, task_id, draft_decision)
        uow.commit()
    return item


def _put_on_agenda(uow, meeting: Meeting, task_id: int, draft_decision: str | None) -> AgendaItem:
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
    title = task.title or task.instance.title
    item = AgendaItem(
        meeting=meeting,
        position=position,
        task_id=task.id,
        instance_id=task.instance_id,
        title=f"{title} — {task.name}"[:500] if title else task.name[:500],
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


def _notify_members(uow, meeting: Meeting) -> None:
    """In-app: approved agendas show on the members' "upcoming meetings" page. E-mail where SMTP is set."""
    if not has_app_context() or not current_app.config.get("SMTP_HOST"):
        return
    when = local(meeting.starts_at).strftime("%d.%m.%Y %H:%M")
    agenda = "\n".join(f"{i.position}. {i.title}" for i in meeting.items)
    messages = []
    for m in memberships_on(meeting.body, meeting_day(meeting)):
        if m.user.email and m.user.active:
            messages.append(
                (
                    m.user.email,
                    f"{meeting.body.short_name}: заседание {when}",
                    f"{m.user.display_name},\n\nзаседание «{meeting.body.name}» состоится {when} (Томск)"
                    f", место: {meeting.place or '—'}.\n\nПовестка:\n{agenda}\n",
                )
            )
    if messages:
        config = dict(current_app.config)
        uow.after_commit(lambda: notifications.send(config, messages))


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
    """At least half of the voting members (chair, deputy chair, members), substitutes counted."""
    voting = _voting_members(meeting.body, meeting_day(meeting))
    present = set()
    for a in meeting.attendance:
        if not a.present:
            continue
        counted_for = a.for_member_id or a.user_id
        if counted_for in voting:
            present.add(counted_for)
    total = len(voting)
    required = math.ceil(total / 2) if total else 1
    return Quorum(total, len(present), required, total > 0 and len(present) >= required)


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


# --- decisions ------------------------------------------------------------------------------------


def _int(value, field, errors):
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors[field] = "a whole number, 0 or more"
        return 0
    return value


def record_decision(
    actor: Actor,
    meeting_id: int,
    item_id: int,
    *,
    outcome,
    votes_for=0,
    votes_against=0,
    votes_abstained=0,
    chair_casting_vote=None,
    text="",
    fields=None,
    instructions=(),
) -> Decision:
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting, "approved")
        item = _item(meeting, item_id)
        if item.status not in ACTIVE_ITEM:
            raise Conflict("the item is already postponed or closed")
        q = quorum(meeting)
        if not q.reached:
            raise Conflict("no quorum: the body cannot decide", fields={"quorum": q.as_dict()})
        errors = {}
        v_for = _int(votes_for, "votes_for", errors)
        v_against = _int(votes_against, "votes_against", errors)
        v_abst = _int(votes_abstained, "votes_abstained", errors)
        if not errors and v_for + v_against + v_abst == 0:
            errors["votes_for"] = "record the votes"
        if not errors and v_for + v_against + v_abst > q.present:
            errors["votes_for"] = "more votes than members present"
        casting = chair_casting_vote or None
        if casting not in (None, "for", "against"):
            errors["chair_casting_vote"] = "for or against"
        if not errors:
            if v_for == v_against:
                if casting is None:
                    errors["chair_casting_vote"] = "a tie: the chair's vote decides"
                elif casting == "against":
                    errors["outcome"] = "not adopted (the chair voted against): record the decision the body adopted"
            else:
                if casting is not None:
                    errors["chair_casting_vote"] = "the chair's casting vote counts only on a tie"
                if v_for < v_against:
                    errors["outcome"] = "not adopted (more votes against): record the decision the body adopted"
        options = [o["value"] for o in decision_options(item.task)]
        if not isinstance(outcome, str) or not outcome.strip():
            errors["outcome"] = "required"
        elif options and outcome not in options:
            errors["outcome"] = f"one of: {', '.join(options)}"
        text = (text or "").strip()
        if fields is not None and not isinstance(fields, dict):
            errors["fields"] = "an object of form fields"
        parsed_instructions = _parse_instructions(instructions, errors)
        if errors:
            raise Invalid("the decision has errors", fields=errors)
        data = _completion_data(item.task, outcome, text, fields or {})
        if item.decision is None:
            item.decision = Decision()
        d = item.decision
        d.outcome, d.fields, d.text = outcome, {k: v for k, v in data.items() if k != "decision"}, text
        d.votes_for, d.votes_against, d.votes_abstained = v_for, v_against, v_abst
        d.chair_casting_vote = casting if v_for == v_against else None
        d.recorded_by_id, d.recorded_at = actor.user_id, clock.now()
        d.instructions.clear()
        for ins in parsed_instructions:
            d.instructions.append(Instruction(body_id=meeting.body_id, status="draft", **ins))
        item.status = "decided"
        _unsign_draft(uow, meeting)
        uow.flush()
        uow.record(
            "council_decision_recorded",
            instance=item.instance,
            task_id=item.task_id,
            payload={
                "meeting_id": meeting.id,
                "item_id": item.id,
                "question": item.position,
                "outcome": outcome,
                "votes": {"for": v_for, "against": v_against, "abstained": v_abst, "chair": d.chair_casting_vote},
                "text": text,
                "instructions": len(parsed_instructions),
            },
        )
        uow.commit()
    return d


def _form_properties(task: HumanTask) -> dict:
    schema = task.instance.model.forms.get(task.form_key) if task.form_key else None
    return (schema or {}).get("properties", {})


def _completion_data(task: HumanTask, outcome: str, text: str, fields: dict) -> dict:
    """The data the task will be completed with, validated against its form now (422 early, not at signing)."""
    data = {**fields, "decision": outcome}
    props = _form_properties(task)
    if text and "comment" in props and not data.get("comment"):
        data["comment"] = text
    return tasks.validate_submission(task, data)


def _parse_instructions(raw, errors) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        errors["instructions"] = "a list"
        return []
    result = []
    for n, ins in enumerate(raw):
        if not isinstance(ins, dict):
            errors[f"instructions.{n}"] = "an object"
            continue
        text = str(ins.get("text") or "").strip()
        executor = str(ins.get("executor") or "").strip()
        if not text:
            errors[f"instructions.{n}.text"] = "required"
        if not executor:
            errors[f"instructions.{n}.executor"] = "required"
        try:
            deadline = date.fromisoformat(str(ins.get("deadline") or ""))
        except ValueError:
            errors[f"instructions.{n}.deadline"] = "expected YYYY-MM-DD"
            continue
        executor_user_id = ins.get("executor_user_id")
        if executor_user_id is not None and (
            not isinstance(executor_user_id, int) or db.session.get(User, executor_user_id) is None
        ):
            errors[f"instructions.{n}.executor_user_id"] = "unknown user"
            executor_user_id = None
        result.append(
            {"text": text, "executor": executor[:300], "deadline": deadline, "executor_user_id": executor_user_id}
        )
    return result


def postpone_item(actor: Actor, meeting_id: int, item_id: int, to_meeting_id: int | None = None) -> AgendaItem:
    """Postpone an item: it leaves this agenda and goes onto ``to_meeting_id``'s draft agenda, or back to pending."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        _require_secretary(actor, meeting.body)
        _require_open(meeting)
        item = _item(meeting, item_id)
        if item.status not in ACTIVE_ITEM:
            raise Conflict("the item is already postponed or closed")
        if item.decision is not None:
            db.session.delete(item.decision)
        item.status = "postponed"
        target_item = None
        if to_meeting_id is not None:
            target = _meeting(to_meeting_id)
            if target.id == meeting.id or target.body_id != meeting.body_id:
                raise Invalid("postpone to a later meeting of the same body", fields={"to_meeting_id": "invalid"})
            _require_open(target, "draft")
            item.postponed_to_id = target.id
            uow.flush()
            target_item = _put_on_agenda(uow, target, item.task_id, item.draft_decision)
        _unsign_draft(uow, meeting)
        uow.record(
            "council_item_postponed",
            instance=item.instance,
            task_id=item.task_id,
            payload={
                "meeting_id": meeting.id,
                "item_id": item.id,
                "question": item.position,
                "to_meeting_id": to_meeting_id,
                "new_item_id": target_item.id if target_item else None,
            },
        )
        uow.commit()
    return target_item or item


# --- protocol -------------------------------------------------------------------------------------


def _unsign_draft(uow, meeting: Meeting) -> None:
    """A change after the secretary signed the draft withdraws that signature (it must be signed again)."""
    p = meeting.protocol
    if p is not None and p.status == "draft" and p.signed_by_secretary_id is not None:
        p.signed_by_secretary_id = None
        p.secretary_signed_at = None
        uow.record("council_protocol_unsigned", payload={"meeting_id": meeting.id, "protocol_id": p.id})


def _presiding_id(meeting: Meeting) -> int | None:
    """The chair if present; otherwise a present deputy chair."""
    present = {a.user_id for a in meeting.attendance if a.present and a.for_member_id is None}
    seats = memberships_on(meeting.body, meeting_day(meeting))
    for role in ("chair", "deputy_chair"):
        for m in seats:
            if m.role == role and m.user_id in present:
                return m.user_id
    return None


def _blocked(item: AgendaItem, reason: str, extra: dict | None = None) -> Conflict:
    """The Conflict that names the agenda item blocking a signature (the web page shows it in Russian)."""
    return Conflict(
        f"question {item.position}: {reason}",
        fields={**(extra or {}), "item": item.id, "question": item.position, "reason": reason},
    )


def _check_ready_to_sign(meeting: Meeting):
    if meeting.status != "approved":
        _require_open(meeting, "approved")
    q = quorum(meeting)
    if not q.reached:
        raise Conflict("no quorum: a protocol without a quorum decides nothing", fields={"quorum": q.as_dict()})
    undecided = [i for i in meeting.items if i.status == "pending"]
    if undecided:
        raise _blocked(undecided[0], "the question has no decision: decide or postpone it")
    decided = [i for i in meeting.items if i.status == "decided"]
    if not decided:
        raise Conflict("no decisions to sign")
    return decided


def sign(actor: Actor, meeting_id: int) -> Protocol:
    """The secretary signs the draft protocol; then the chair's signature closes it (see ``close``)."""
    with UnitOfWork(actor) as uow:
        meeting = _meeting(meeting_id)
        body = meeting.body
        roles = roles_of(actor, body)
        presiding = _presiding_id(meeting)
        db.session.refresh(meeting)  # current relationships (the session does not expire on commit)
        p = meeting.protocol
        if p is not None and p.status == "signed":
            raise Conflict("the protocol is already signed; corrections are a new protocol")
        if "secretary" in roles and (p is None or p.signed_by_secretary_id is None):
            _check_ready_to_sign(meeting)
            if p is None:
                p = Protocol(
                    body=body, meeting=meeting, year=meeting_day(meeting).year, status="draft", created_at=clock.now()
                )
                db.session.add(p)
            p.signed_by_secretary_id = actor.user_id
            p.secretary_signed_at = clock.now()
            uow.flush()
            uow.record(
                "council_protocol_signed_by_secretary",
                payload={"meeting_id": meeting.id, "protocol_id": p.id, "body": body.code},
            )
            uow.commit()
            return p
        if presiding is None or presiding not in _identity_ids(actor):
            if roles & {"chair", "deputy_chair"}:
                raise Forbidden(
                    "the protocol is signed by whoever presided: the chair, or the deputy chair "
                    "when the chair was absent"
                )
            raise Forbidden("only the chair of the body signs its protocols")
        if p is None or p.signed_by_secretary_id is None:
            raise Conflict("the secretary has not signed the draft protocol yet")
        _close(uow, actor, meeting, p)
        uow.flush()
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict(
                "another protocol of this body took the same number at the same moment; sign again"
            ) from None
    return p


def _close(uow, actor: Actor, meeting: Meeting, p: Protocol) -> None:
    decided = _check_ready_to_sign(meeting)
    # Check every item before changing anything: a stale case or a closed task blocks the whole protocol.
    for item in decided:
        task, instance = item.task, item.instance
        if task.status != "open":
            raise _blocked(item, "the task is no longer open (it was closed outside the meeting); postpone the item")
        if instance.status != "running":
            raise _blocked(item, "the case is no longer running; postpone the item")
        if instance.lock_version != item.seen_lock_version:
            raise _blocked(item, "the case has changed since it was put on the agenda; review it and confirm the item")
    day = meeting_day(meeting)
    number = (
        db.session.execute(
            select(func.max(Protocol.number)).where(Protocol.body_id == meeting.body_id, Protocol.year == p.year)
        ).scalar()
        or 0
    ) + 1
    composition = _composition(meeting)
    now = clock.now()
    # set together, with no query in between: the signed row must be written in one go
    p.number, p.composition, p.signed_by_chair_id, p.signed_at = number, composition, actor.user_id, now
    p.status = "signed"
    meeting.status = "closed"
    closed = []
    for n, item in enumerate(sorted(decided, key=lambda i: i.position), 1):
        d = item.decision
        d.number = n
        d.locked = True
        item.status = "closed"
        for ins in d.instructions:
            ins.status = "open"
        ref = {
            "body": meeting.body.code,
            "protocol_id": p.id,
            "number": number,
            "year": p.year,
            "date": day.isoformat(),
            "question": item.position,
            "decision": n,
            "ref": f"{number}/{item.position}/{n}",
        }
        data = {**tasks.validate_submission(item.task, {**d.fields, "decision": d.outcome}), "protocol": ref}
        if "protocol_ref" in _form_properties(item.task):  # chains that keep the reference as text
            data["protocol_ref"] = f"протокол № {number} от {day:%d.%m.%Y} / вопрос {item.position} / решение {n}"
        try:
            tasks.complete_in(
                uow,
                actor,
                item.task,
                data,
                extra_payload={
                    "protocol": ref,
                    "votes": {
                        "for": d.votes_for,
                        "against": d.votes_against,
                        "abstained": d.votes_abstained,
                        "chair": d.chair_casting_vote,
                    },
                    "decision_text": d.text,
                },
            )
        except (Conflict, Invalid) as exc:
            raise _blocked(item, exc.message, exc.fields) from None
        closed.append({"item_id": item.id, "task_id": item.task_id, "instance_id": item.instance_id, "ref": ref["ref"]})
    uow.record(
        "council_protocol_signed",
        payload={
            "protocol_id": p.id,
            "body": meeting.body.code,
            "number": number,
            "year": p.year,
            "date": day.isoformat(),
            "meeting_id": meeting.id,
            "secretary_id": p.signed_by_secretary_id,
            "closed": closed,
        },
    )


def _composition(meeting: Meeting) -> list[dict]:
    present = {a.user_id for a in meeting.attendance if a.present}
    subs = {s.member_id: s.substitute for s in meeting.substitutes}
    rows = []
    for m in memberships_on(meeting.body, meeting_day(meeting)):
        sub = subs.get(m.user_id)
        rows.append(
            {
                "user_id": m.user_id,
                "name": m.user.display_name,
                "role": m.role,
                "position": m.position,
                "present": m.user_id in present,
                "substitute": {"user_id": sub.id, "name": sub.display_name} if sub else None,
            }
        )
    return rows


def protocol_number(p: Protocol | None) -> str | None:
    return f"{p.number}" if p is not None and p.number is not None else None


def protocol_view(meeting: Meeting) -> dict:
    """The protocol (signed, or the draft preview) as plain data for the API, the printable page and /public/."""
    p = meeting.protocol
    signed = p is not None and p.status == "signed"
    composition = p.composition if signed else _composition(meeting)
    items = []
    for item in meeting.items:
        d = item.decision
        items.append(
            {
                "item_id": item.id,
                "question": item.position,
                "title": item.title,
                "status": item.status,
                "task_id": item.task_id,
                "instance_id": item.instance_id,
                "business_key": item.task.business_key,
                "postponed_to_id": item.postponed_to_id,
                "draft_decision": item.draft_decision,
                "decision": None
                if d is None
                else {
                    "number": d.number,
                    "outcome": d.outcome,
                    "outcome_label": dict((o["value"], o["label"]) for o in decision_options(item.task)).get(
                        d.outcome, d.outcome
                    ),
                    "text": d.text,
                    "fields": d.fields,
                    "votes": {
                        "for": d.votes_for,
                        "against": d.votes_against,
                        "abstained": d.votes_abstained,
                        "chair_casting_vote": d.chair_casting_vote,
                    },
                    "ref": f"{p.number}/{item.position}/{d.number}" if signed and d.number else None,
                    "instructions": [instruction_view(i) for i in d.instructions],
                },
                "task_status": item.task.status,
            }
        )
    return {
        "id": p.id if p else None,
        "status": p.status if p else "preview",
        "body": meeting.body.code,
        "body_name": meeting.body.name,
        "number": p.number if p else None,
        "year": (p.year if p else meeting_day(meeting).year),
        "date": meeting_day(meeting).isoformat(),
        "meeting_id": meeting.id,
        "starts_at": local(meeting.starts_at).isoformat(),
        "place": meeting.place,
        "form": meeting.form,
        "quorum": quorum(meeting).as_dict(),
        "signed_by_secretary": _user_ref(p.signed_by_secretary) if p else None,
        "secretary_signed_at": p.secretary_signed_at.isoformat() if p and p.secretary_signed_at else None,
        "signed_by_chair": _user_ref(p.signed_by_chair) if p else None,
        "signed_at": p.signed_at.isoformat() if p and p.signed_at else None,
        "composition": composition,
        "items": items,
        "closed_tasks": [
            {"task_id": i["task_id"], "instance_id": i["instance_id"], "ref": i["decision"]["ref"]}
            for i in items
            if signed and i["decision"] and i["status"] == "closed"
        ],
    }


def _user_ref(user) -> dict | None:
    return {"id": user.id, "name": user.display_name} if user is not None else None


def get_protocol(actor: Actor, protocol_id: int) -> Protocol:
    p = db.session.get(Protocol, protocol_id)
    if p is None:
        raise NotFound("protocol not found")
    _require_reader(actor, p.body, p.meeting)
    return p


def delete_protocol(actor: Actor, protocol_id: int) -> None:
    """Only an unsigned draft may be discarded (by the secretary); a signed protocol is permanent."""
    with UnitOfWork(actor) as uow:
        p = db.session.get(Protocol, protocol_id)
        if p is None:
            raise NotFound("protocol not found")
        _require_secretary(actor, p.body)
        if p.status == "signed":
            raise Conflict("a signed protocol can never be deleted; corrections are a new protocol")
        uow.record("council_protocol_discarded", payload={"protocol_id": p.id, "meeting_id": p.meeting_id})
        try:
            db.session.delete(p)
            uow.flush()
        except SignedRecordError as exc:
            raise Conflict(str(exc)) from None
        uow.commit()


# --- instructions ---------------------------------------------------------------------------------


def instruction_view(i: Instruction) -> dict:
    overdue = i.status == "open" and i.deadline < clock.today()
    return {
        "id": i.id,
        "text": i.text,
        "executor": i.executor,
        "executor_user_id": i.executor_user_id,
        "deadline": i.deadline.isoformat(),
        "status": i.status,
        "overdue": overdue,
        "done_at": i.done_at.isoformat() if i.done_at else None,
        "done_note": i.done_note,
    }


def list_instructions(actor: Actor, body_code: str, overdue_only: bool = False) -> list[dict]:
    body = get_body(body_code)
    _require_reader(actor, body)
    query = (
        select(Instruction, Decision, AgendaItem, Protocol)
        .join(Decision, Decision.id == Instruction.decision_id)
        .join(AgendaItem, AgendaItem.id == Decision.item_id)
        .join(Protocol, Protocol.meeting_id == AgendaItem.meeting_id)
        .where(Instruction.body_id == body.id, Instruction.status.in_(("open", "done")), Protocol.status == "signed")
        .order_by(Instruction.deadline, Instruction.id)
    )
    if overdue_only:
        query = query.where(Instruction.status == "open", Instruction.deadline < clock.today())
    return [
        {
            **instruction_view(i),
            "ref": f"{p.number}/{item.position}/{d.number}",
            "protocol_id": p.id,
            "protocol_year": p.year,
            "item_title": item.title,
        }
        for i, d, item, p in db.session.execute(query).all()
    ]


def complete_instruction(actor: Actor, instruction_id: int, note: str = "") -> Instruction:
    with UnitOfWork(actor) as uow:
        ins = db.session.get(Instruction, instruction_id)
        if ins is None:
            raise NotFound("instruction not found")
        body = db.session.get(CollegialBody, ins.body_id)
        _require_secretary(actor, body)
        if ins.status != "open":
            raise Conflict("the instruction is not open")
        ins.status = "done"
        ins.done_at = clock.now()
        ins.done_note = (note or "").strip() or None
        uow.record(
            "council_instruction_done", payload={"instruction_id": ins.id, "body": body.code, "note": ins.done_note}
        )
        uow.commit()
    return ins


# --- public ---------------------------------------------------------------------------------------


def public_protocols(body_code: str) -> tuple[CollegialBody, list[Protocol]]:
    body = get_body(body_code)
    if not body.protocols_public:
        raise NotFound("no public protocols")
    rows = (
        db.session.execute(
            select(Protocol)
            .where(Protocol.body_id == body.id, Protocol.status == "signed")
            .order_by(Protocol.year.desc(), Protocol.number.desc())
        )
        .scalars()
        .all()
    )
    return body, list(rows)


def public_protocol(protocol_id: int) -> Protocol:
    p = db.session.get(Protocol, protocol_id)
    if p is None or p.status != "signed" or not p.body.protocols_public:
        raise NotFound("protocol not found")
    return p


def public_view(p: Protocol) -> dict:
    """What may go public: numbers, dates, titles, decisions — no case data, no personal data beyond names."""
    full = protocol_view(p.meeting)
    return {k: full[k] for k in ("body", "body_name", "number", "year", "date", "form", "signed_at")} | {
        "items": [
            {
                "question": i["question"],
                "title": i["title"],
                "decision": None
                if not i["decision"]
                else {k: i["decision"][k] for k in ("number", "outcome_label", "text", "votes", "ref")},
            }
            for i in full["items"]
            if i["status"] == "closed"
        ]
    }


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
        items.append(
            {
                "item": item,
                "materials": materials(item.task, item.draft_decision) if item.task.status == "open" else None,
                "outcome_label": labels.get(item.decision.outcome, item.decision.outcome) if item.decision else None,
                "stale": item.task.status != "open" or item.instance.lock_version != item.seen_lock_version,
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
