"""Seats on a collegial body: bodies, memberships valid on a day, a person's roles (and the time helpers of the meeting day)."""

from datetime import UTC, date, datetime

from sqlalchemy import or_, select

from ...engine import clock
from ...extensions import db
from ...models import BodyMembership, CollegialBody, Meeting, Membership, User
from ...models.council import BODY_ROLES, VOTING_ROLES
from ..errors import Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..uow import UnitOfWork

MEETING_FORMS = ("in_person", "absentee")
ACTIVE_ITEM = ("pending", "decided")
OPEN_MEETING = ("draft", "approved")
BODY_GROUP_PREFIX = {"coordination_council": "cc", "expert_council": "ec", "working_group": "wg"}


# --- time -----------------------------------------------------------------------------------------


def local(dt: datetime) -> datetime:
    """A meeting's time (never empty) in Asia/Tomsk."""
    return dt.astimezone(clock.REGION_TZ)


def meeting_day(meeting: Meeting) -> date:
    return local(meeting.starts_at).date()


def parse_local_datetime(value, field="starts_at") -> datetime:
    """An ISO date-time; without an offset it is Asia/Tomsk local time. Returns aware UTC."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = clock.check_day(datetime.fromisoformat(str(value).strip()))
        except ValueError:
            raise Invalid("invalid date and time", fields={field: "expected YYYY-MM-DDTHH:MM (Asia/Tomsk)"}) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=clock.REGION_TZ)
    return dt.astimezone(UTC)


def _parse_date(value, field) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return clock.parse_day(value)
    except ValueError:
        raise Invalid("invalid date", fields={field: "expected YYYY-MM-DD"}) from None


# --- bodies and roles -----------------------------------------------------------------------------


def get_body(code: str) -> CollegialBody:
    body = db.session.execute(select(CollegialBody).where(CollegialBody.code == code)).scalar_one_or_none()
    if body is None:
        raise NotFound("collegial body '%(code)s' not found", code=code)
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
