"""Protocols: signing (one unit of work closing every decided item), deleting a draft, the public record."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...engine import clock
from ...extensions import db
from ...models import AgendaItem, CollegialBody, Meeting, Protocol
from ...models.council import SignedRecordError
from .. import documents
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..tasks import commands
from ..uow import UnitOfWork
from .agenda import _meeting, _require_open, decision_options, quorum
from .decisions import _form_properties
from .instructions import instruction_view, start_tracking
from .seats import (
    _identity_ids,
    _require_reader,
    _require_secretary,
    get_body,
    local,
    meeting_day,
    memberships_on,
    roles_of,
)


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


def _check_held(meeting: Meeting) -> None:
    """A protocol records a meeting that took place: nobody signs it before the meeting's time (Asia/Tomsk)."""
    if meeting.starts_at > clock.now():
        when = local(meeting.starts_at)
        raise Conflict(
            "the meeting has not been held yet (it is set for %(when)s): its protocol is signed after it",
            fields={"starts_at": when.isoformat()},
            when=f"{when:%d.%m.%Y %H:%M}",
        )


def _check_ready_to_sign(meeting: Meeting):
    if meeting.status != "approved":
        _require_open(meeting, "approved")
    _check_held(meeting)
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
        p = meeting.protocol
        if p is not None and p.status == "signed":
            raise Conflict("the protocol is already signed; corrections are a new protocol")
        if "secretary" in roles and (p is None or p.signed_by_secretary_id is None):
            if presiding is not None and actor.user_id == presiding:
                # the secretary's deputy who presided: the two signatures would be one person's, and the
                # protocol would wait for ever for a presiding chair's signature nobody else may give
                raise Forbidden(
                    "the two signatures of a protocol are given by two different people: "
                    "whoever presided does not sign as secretary, not even as the secretary's deputy"
                )
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
        if actor.user_id == p.signed_by_secretary_id:
            raise Forbidden(
                "the two signatures of a protocol are given by two different people: "
                "whoever signed as secretary does not sign as the presiding chair, whatever seats they hold"
            )
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
        data = {**commands.validate_submission(item.task, {**d.fields, "decision": d.outcome}), "protocol": ref}
        if "protocol_ref" in _form_properties(item.task):  # chains that keep the reference as text
            data["protocol_ref"] = f"протокол от {day:%d.%m.%Y} № {number}, вопрос {item.position}"  # as acts cite it
        try:
            commands.complete_in(
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
        for k, ins in enumerate(d.instructions, 1):  # each instruction becomes its executor's task
            ins.status = "open"
            start_tracking(uow, actor, ins, p, item, k)
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
    uow.flush()
    documents.fix_protocol(uow, meeting, protocol_view(meeting))  # the signed protocol's bytes, hashed


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
    composition = p.composition if p is not None and signed else _composition(meeting)
    items: list[dict] = []
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
                    "outcome_label": {o["value"]: o["label"] for o in decision_options(item.task)}.get(
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
                    "ref": f"{p.number}/{item.position}/{d.number}" if p is not None and signed and d.number else None,
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
    """What may go public: numbers, dates, the kind of each question and its decision — never a case's title
    (it names the project, the company or the ПОО), never free text (the decision's wording), no case data."""
    full = protocol_view(p.meeting)
    kinds = {item.id: (item.instance.model.name if item.instance is not None else "") for item in p.meeting.items}
    return {k: full[k] for k in ("body", "body_name", "number", "year", "date", "form", "signed_at")} | {
        "items": [
            {
                "question": i["question"],
                "title": kinds.get(i["item_id"]) or "",
                "decision": None
                if not i["decision"]
                else {k: i["decision"][k] for k in ("number", "outcome_label", "votes", "ref")} | {"text": ""},
            }
            for i in full["items"]
            if i["status"] == "closed"
        ]
    }
