"""Collegial bodies' composition and settings, administered: seats with a role (chair, deputy chair,
secretary, member) and dates, so that a protocol always shows who sat then; the quorum share and whether
protocols are public.

Seats are history: a seat is ended (``valid_to``), never deleted once it has begun. Refused: a person seated
twice on one body for overlapping dates, a second chair or secretary for overlapping dates, a seat that ends
before it starts. Only administrators (and the CLI) change bodies; each change is an audit event.

Neighbours: ``seats`` reads who sits on a body on a given day (for agendas, votes and protocols); this module
administers the seats.
"""

from datetime import date

from sqlalchemy import or_, select

from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import BodyMembership, CollegialBody, User
from ...models.council import BODY_ROLES, DEFAULT_QUORUM_SHARE
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..people.actors import Actor
from ..uow import UnitOfWork

SINGLE_ROLES = ("chair", "secretary")  # one person at a time holds these
FAR_FUTURE = date(9999, 12, 31)


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators change the composition and settings of a body")


def _date(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "expected YYYY-MM-DD"
        return None


def _body(code) -> CollegialBody:
    body = (
        db.session.execute(select(CollegialBody).where(CollegialBody.code == code)).scalar_one_or_none()
        if isinstance(code, str)
        else None
    )
    if body is None:
        raise NotFound("collegial body '%(code)s' not found", code=code)
    return body


def seat_view(m: BodyMembership, today: date | None = None) -> dict:
    today = today or clock.today()
    state = (
        "past" if m.valid_to is not None and m.valid_to < today else "upcoming" if m.valid_from > today else "current"
    )
    return {
        "id": m.id,
        "user": {"id": m.user.id, "username": m.user.username, "name": m.user.display_name},
        "role": m.role,
        "position": m.position,
        "valid_from": m.valid_from,
        "valid_to": m.valid_to,
        "state": state,
    }


def body_view(body: CollegialBody, include_past: bool = True) -> dict:
    today = clock.today()
    q = select(BodyMembership).where(BodyMembership.body_id == body.id)
    if not include_past:
        q = q.where(or_(BodyMembership.valid_to.is_(None), BodyMembership.valid_to >= today))
    seats = db.session.execute(q.order_by(BodyMembership.valid_from.desc(), BodyMembership.id)).scalars()
    return {
        "code": body.code,
        "name": body.name,
        "short_name": body.short_name,
        "quorum_share": body.quorum_share,
        "protocols_public": body.protocols_public,
        "seats": [seat_view(m, today) for m in seats],
    }


def list_bodies(actor: Actor) -> list[dict]:
    _require_admin(actor)
    bodies = db.session.execute(select(CollegialBody).order_by(CollegialBody.id)).scalars()
    return [body_view(b, include_past=False) for b in bodies]


def get_body(actor: Actor, code: str) -> dict:
    _require_admin(actor)
    return body_view(_body(code))


def user_choices() -> list[tuple[int, str]]:
    """(id, name and login) of the active users, for seating someone."""
    rows = db.session.execute(
        select(User.id, User.display_name, User.username).where(User.active.is_(True)).order_by(User.display_name)
    ).all()
    return [(uid, f"{name} ({login})") for uid, name, login in rows]


def _overlaps(body_id: int, start: date, end: date | None, *, user_id=None, role=None, exclude=None):
    q = select(BodyMembership).where(
        BodyMembership.body_id == body_id,
        BodyMembership.valid_from <= (end or FAR_FUTURE),
        or_(BodyMembership.valid_to.is_(None), BodyMembership.valid_to >= start),
    )
    if user_id is not None:
        q = q.where(BodyMembership.user_id == user_id)
    if role is not None:
        q = q.where(BodyMembership.role == role)
    if exclude is not None:
        q = q.where(BodyMembership.id != exclude)
    return db.session.execute(q.order_by(BodyMembership.valid_from)).scalars().first()


def _period(m: BodyMembership) -> str:
    return f"{ru_date(m.valid_from)}–{ru_date(m.valid_to)}"  # as a person reads it, in the region's days


def add_seat(
    actor: Actor, body_code: str, user_id, role: str, valid_from=None, valid_to=None, position: str | None = None
) -> BodyMembership:
    """Seat a user on a body from ``valid_from`` (today by default) to ``valid_to`` (None: open-ended)."""
    _require_admin(actor)
    errors: dict = {}
    if role not in BODY_ROLES:
        errors["role"] = "one of " + ", ".join(BODY_ROLES)
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        errors["user_id"] = "a user id"
    start = _date(valid_from, "valid_from", errors) or clock.today()
    end = _date(valid_to, "valid_to", errors)
    if end is not None and end < start:
        errors["valid_to"] = "on or after valid_from"
    if position is not None and (not isinstance(position, str) or len(position) > 300):
        errors["position"] = "at most 300 characters"
    if errors:
        raise Invalid("the seat cannot be added", fields=errors)
    with UnitOfWork(actor) as uow:
        body = _body(body_code)
        user = db.session.get(User, user_id)
        if user is None:
            raise Invalid("unknown user", fields={"user_id": "no such user"})
        if not user.active:
            raise Invalid("the user is deactivated", fields={"user_id": "deactivated"})
        clash = _overlaps(body.id, start, end, user_id=user.id)
        if clash is not None:
            raise Conflict(
                "the person already has a seat on this body for overlapping dates",
                fields={"valid_from": _period(clash), "seat": clash.id},
            )
        if role in SINGLE_ROLES:
            holder = _overlaps(body.id, start, end, role=role)
            if holder is not None:
                raise Conflict(
                    "the body already has a chair for overlapping dates"
                    if role == "chair"
                    else "the body already has a secretary for overlapping dates",
                    fields={"role": holder.user.display_name, "seat": holder.id},
                )
        m = BodyMembership(
            body_id=body.id,
            user_id=user.id,
            role=role,
            valid_from=start,
            valid_to=end,
            position=(position or "").strip() or None,
        )
        db.session.add(m)
        uow.flush()
        uow.record(
            "council_membership_added",
            payload={"body": body.code, "seat_id": m.id, "user": user.username, "after": _seat_record(m)},
        )
        uow.commit()
    return m


def _seat_record(m: BodyMembership) -> dict:
    return {
        "role": m.role,
        "position": m.position,
        "valid_from": m.valid_from.isoformat(),
        "valid_to": m.valid_to.isoformat() if m.valid_to else None,
    }


def end_seat(actor: Actor, seat_id: int, valid_to=None, body_code: str | None = None) -> BodyMembership | None:
    """End a seat on ``valid_to`` (today by default). A seat that has not begun by then is removed (None);
    the history of a seat that has begun stays (old protocols show who sat then)."""
    _require_admin(actor)
    errors: dict = {}
    end = _date(valid_to, "valid_to", errors) or clock.today()
    if errors:
        raise Invalid("the seat cannot be ended", fields=errors)
    with UnitOfWork(actor) as uow:
        m = db.session.get(BodyMembership, seat_id)
        if m is None or (body_code is not None and m.body.code != body_code):
            raise NotFound("seat not found")
        before = _seat_record(m)
        payload = {"body": m.body.code, "seat_id": m.id, "user": m.user.username, "before": before}
        if end < m.valid_from:
            if m.valid_from <= clock.today():
                raise Invalid("the seat ends before it starts", fields={"valid_to": "on or after valid_from"})
            db.session.delete(m)
            uow.record("council_membership_removed", payload=payload)
            uow.commit()
            return None
        if m.valid_to is not None and m.valid_to <= end:
            raise Conflict("the seat has already ended", fields={"valid_to": m.valid_to.isoformat()})
        m.valid_to = end
        uow.record("council_membership_ended", payload={**payload, "after": _seat_record(m)})
        uow.commit()
    return m


def update_settings(
    actor: Actor, body_code: str, quorum_share=None, protocols_public=None, name=None, short_name=None
) -> CollegialBody:
    """The body's settings: ``quorum_share`` (a share of the voting members, over 0 and at most 1),
    ``protocols_public`` (its signed protocols are published), and its ``name`` and ``short_name`` as its act
    gives them (an act renames a body; protocols signed before keep their fixed files)."""
    _require_admin(actor)
    errors: dict = {}
    for key, value, limit, problem in (
        ("name", name, 300, "a text of 1 to 300 characters"),
        ("short_name", short_name, 100, "a text of 1 to 100 characters"),
    ):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value.strip()) > limit):
            errors[key] = problem
    bad_share = (
        isinstance(quorum_share, bool) or not isinstance(quorum_share, (int, float)) or not 0 < quorum_share <= 1
    )
    if quorum_share is not None and bad_share:
        errors["quorum_share"] = "a share over 0 and at most 1, e.g. 0.5"
    if protocols_public is not None and not isinstance(protocols_public, bool):
        errors["protocols_public"] = "true or false"
    if errors:
        raise Invalid("the settings cannot be changed", fields=errors)
    with UnitOfWork(actor) as uow:
        body = _body(body_code)
        before = _settings_of(body)
        if name is not None:
            body.name = " ".join(name.split())
        if short_name is not None:
            body.short_name = " ".join(short_name.split())
        settings = dict(body.settings or {})
        if quorum_share is not None:
            settings["quorum_share"] = round(float(quorum_share), 4)
        if protocols_public is not None:
            settings["protocols_public"] = protocols_public
        body.settings = settings
        after = _settings_of(body)
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            uow.record(
                "council_settings_changed",
                payload={
                    "body": body.code,
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
        uow.commit()
    return body


def _settings_of(body: CollegialBody) -> dict:
    return {
        "name": body.name,
        "short_name": body.short_name,
        "quorum_share": body.quorum_share,
        "protocols_public": body.protocols_public,
    }


__all__ = [
    "DEFAULT_QUORUM_SHARE",
    "add_seat",
    "body_view",
    "end_seat",
    "get_body",
    "list_bodies",
    "update_settings",
    "user_choices",
]
