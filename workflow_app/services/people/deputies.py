"""Deputies (absences): who acts for whom, from–to (inclusive, dates in Asia/Tomsk), and why.

An administrator registers anyone's; each user their own (the "my absence" page). Refused: a user as their
own deputy, a period that ends before it starts or has already ended, a second deputy for an overlapping
period of the same absent user, and a deputy who is absent themself during the period (they could not act).
What a deputy may do is decided where the rules live (``access``: a deputy acts with the principal's groups
and organisation; four-eyes rules count the person, whichever identity they act under).
"""

from datetime import date, timedelta

from sqlalchemy import or_, select

from ...dates import ru_date
from ...engine import clock
from ...extensions import db
from ...models import Deputy, User
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..uow import UnitOfWork
from .actors import Actor

MAX_REASON = 300


def _parse_date(value, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = "expected YYYY-MM-DD"
        return None


def _user_by_name(username) -> User | None:
    if not isinstance(username, str) or not username:
        return None
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def view(row: Deputy, today: date | None = None) -> dict:
    today = today or clock.today()
    state = "past" if row.ends_on < today else "upcoming" if row.starts_on > today else "current"
    return {
        "id": row.id,
        "principal": {"id": row.principal.id, "username": row.principal.username, "name": row.principal.display_name},
        "deputy": {"id": row.deputy.id, "username": row.deputy.username, "name": row.deputy.display_name},
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "reason": row.reason or "",
        "state": state,
    }


def _overlapping(column, user_id: int, starts_on: date, ends_on: date, exclude_id: int | None = None):
    q = select(Deputy).where(column == user_id, Deputy.starts_on <= ends_on, Deputy.ends_on >= starts_on)
    if exclude_id is not None:
        q = q.where(Deputy.id != exclude_id)
    return db.session.execute(q.order_by(Deputy.starts_on)).scalars().first()


def add(actor: Actor, principal: str, deputy: str, starts_on, ends_on, reason: str = "") -> Deputy:
    """``deputy`` acts for ``principal`` from ``starts_on`` to ``ends_on`` inclusive (usernames; dates or
    ISO strings). An administrator or the principal themself registers it."""
    errors: dict = {}
    start = _parse_date(starts_on, "starts_on", errors)
    end = _parse_date(ends_on, "ends_on", errors)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if len(reason) > MAX_REASON:
        errors["reason"] = f"at most {MAX_REASON} characters"
    if start and end and end < start:
        errors["ends_on"] = "on or after the start"
    elif end and end < clock.today():
        errors["ends_on"] = "the period has already ended"
    if errors or start is None or end is None:  # an unreadable date is named in errors
        raise Invalid("the deputy cannot be registered", fields=errors)
    with UnitOfWork(actor) as uow:
        p, d = _user_by_name(principal), _user_by_name(deputy)
        if p is None:
            raise Invalid("unknown user", fields={"principal": "unknown user"})
        if not (actor.is_admin or actor.is_system or actor.user_id == p.id):
            raise Forbidden("only the absent user or an administrator names a deputy")
        if d is None:
            raise Invalid("unknown user", fields={"deputy": "unknown user"})
        if p.id == d.id:
            raise Invalid("a user cannot deputise for themself", fields={"deputy": "another user"})
        if not d.active:
            raise Invalid("the deputy is deactivated", fields={"deputy": "deactivated"})
        clash = _overlapping(Deputy.principal_id, p.id, start, end)
        if clash is not None:
            raise Conflict(
                "a deputy is already registered for an overlapping period",
                fields={"starts_on": f"{ru_date(clash.starts_on)}–{ru_date(clash.ends_on)}"},
            )
        absent = _overlapping(Deputy.principal_id, d.id, start, end)
        if absent is not None:
            raise Conflict(
                "the deputy is absent themself during this period",
                fields={"deputy": f"{ru_date(absent.starts_on)}–{ru_date(absent.ends_on)}"},
            )
        row = Deputy(
            principal_id=p.id,
            deputy_id=d.id,
            starts_on=start,
            ends_on=end,
            reason=reason,
            created_by_id=actor.user_id,
            created_at=clock.now(),
        )
        db.session.add(row)
        uow.flush()
        uow.record(
            "deputy_added",
            payload={
                "deputy_id": row.id,
                "principal": p.username,
                "deputy": d.username,
                "starts_on": start.isoformat(),
                "ends_on": end.isoformat(),
                "reason": reason,
            },
        )
        uow.commit()
    return row


def end(actor: Actor, deputy_id: int) -> Deputy | None:
    """End a registration now: a period not started yet is removed (None is returned), a running one ends
    yesterday; a past one cannot be changed (it is history)."""
    today = clock.today()
    with UnitOfWork(actor) as uow:
        row = db.session.get(Deputy, deputy_id)
        if row is None or not (actor.is_admin or actor.is_system or actor.user_id == row.principal_id):
            raise NotFound("deputy not found")
        if row.ends_on < today:
            raise Conflict("the period is over; it stays in the history")
        before = {"starts_on": row.starts_on.isoformat(), "ends_on": row.ends_on.isoformat()}
        payload = {"deputy_id": row.id, "principal": row.principal.username, "deputy": row.deputy.username}
        if row.starts_on >= today:
            db.session.delete(row)
            uow.record("deputy_removed", payload={**payload, "before": before})
            result = None
        else:
            row.ends_on = today - timedelta(days=1)
            uow.record(
                "deputy_ended", payload={**payload, "before": before, "after": {"ends_on": row.ends_on.isoformat()}}
            )
            result = row
        uow.commit()
    return result


def list_deputies(actor: Actor, user_id: int | None = None, include_past: bool = False) -> list[dict]:
    """Registrations, newest period first: all of them for an administrator (or those concerning ``user_id``),
    the caller's own (as the absent user or as the deputy) for anyone else."""
    q = select(Deputy)
    if not (actor.reads_everything or actor.is_system):
        user_id = actor.user_id
    if user_id is not None:
        q = q.where(or_(Deputy.principal_id == user_id, Deputy.deputy_id == user_id))
    today = clock.today()
    if not include_past:
        q = q.where(Deputy.ends_on >= today)
    rows = db.session.execute(q.order_by(Deputy.starts_on.desc(), Deputy.id.desc())).scalars()
    return [view(r, today) for r in rows]


def my_absences(actor: Actor) -> dict:
    """The "my absence" page: my registrations as the absent user, and whom I act for."""
    if actor.user_id is None:
        raise Forbidden("not a user")
    today = clock.today()
    rows = db.session.execute(
        select(Deputy)
        .where(or_(Deputy.principal_id == actor.user_id, Deputy.deputy_id == actor.user_id), Deputy.ends_on >= today)
        .order_by(Deputy.starts_on)
    ).scalars()
    mine: list[dict] = []
    acting: list[dict] = []
    for r in rows:
        (mine if r.principal_id == actor.user_id else acting).append(view(r, today))
    return {"absences": mine, "acting_for": acting}


def candidates(actor: Actor) -> list[tuple[str, str]]:
    """(username, name) of whom the caller may offer as their deputy on the "my absence" page: the active
    colleagues of their organisation (an administrator registers deputies from elsewhere)."""
    if actor.user_id is None:
        return []
    q = select(User.username, User.display_name).where(User.active.is_(True), User.id != actor.user_id)
    if not actor.is_admin:
        if actor.org_id is None:
            return []
        q = q.where(User.organisation_id == actor.org_id)
    return [(u, n) for u, n in db.session.execute(q.order_by(User.display_name)).all()]
