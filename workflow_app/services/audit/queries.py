"""Reading the audit log: the chain check for auditors, an instance's history and diagram, search, export.

Auditors and administrators read every event (investor cases included). Everyone else sees only the
history of the instances they take part in (``access.require_instance_visible``); the search and the
exports are for auditors and administrators.

Search pages list events newest first by time (events of the same moment in chain order), with a ``before``
cursor (the seq of the last event shown): a page is one index range scan whatever the size of the log and
the period (see the audit_event indexes in models/audit.py). Exports are in chain order.

Neighbours: writing and sealing the trail is ``trail``; the labels and texts an event is shown with are
``readable``. This module only reads.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import flask_babel
from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import aliased

from ...diagram import DiagramError, render_svgs
from ...engine import clock
from ...extensions import db
from ...i18n import content_text
from ...models import AuditEvent, HumanTask, Organisation, User
from ...numbers import whole_number
from ...roles import ROLES
from .. import spreadsheets
from ..cases import advance, case_numbers
from ..errors import Conflict, Forbidden, Invalid, TooLarge
from ..people.access import require_instance_visible
from ..people.actors import Actor
from ..people.names import user_names
from . import readable, trail

PAGE_DEFAULT, PAGE_MAX = 100, 500
EXPORT_MAX = 100_000
DECISION_KINDS = ("task_completed", "protocol_signed")
EXPORT_FORMATS = ("csv", "xlsx", "json")
COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_org_id",
    "kind",
    "instance_id",
    "process_id",
    "business_key",
    "task_id",
    "payload",
    "hash",
)


def require_reader(actor: Actor) -> None:
    if not actor.reads_everything:
        raise Forbidden("only auditors and administrators may read the whole audit log")


# --- the chain ---------------------------------------------------------------------------------------


def verify_chain(actor: Actor) -> dict:
    require_reader(actor)
    return trail.verify(db.session).as_dict()


def chain_head(actor: Actor) -> dict:
    require_reader(actor)
    return trail.head(db.session)


# --- events as plain data ----------------------------------------------------------------------------


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z") if dt else None


def event_dict(ev: AuditEvent) -> dict:
    return {
        "seq": ev.seq,
        "occurred_at": _iso(ev.occurred_at),
        "actor_id": ev.actor_id,
        "actor_name": ev.actor_name,
        "actor_org_id": ev.actor_org_id,
        "kind": ev.kind,
        "instance_id": ev.instance_id,
        "process_id": ev.process_id,
        "business_key": ev.business_key,
        "task_id": ev.task_id,
        "payload": ev.payload or {},
        "hash": ev.hash,
    }


# --- search ------------------------------------------------------------------------------------------


@dataclass
class Filters:
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    process_id: str | None = None
    instance_id: int | None = None
    business_key: str | None = None
    actor_ids: list | None = None  # None: any actor
    actor_name: str | None = None  # "scheduler" / "system" (no user id)
    org_id: int | None = None
    kinds: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "from": _iso(self.date_from),
            "to": _iso(self.date_to),
            "process": self.process_id,
            "instance": self.instance_id,
            "business_key": self.business_key,
            "actor_ids": self.actor_ids,
            "actor_name": self.actor_name,
            "org": self.org_id,
            "kinds": self.kinds,
        }


def _one(params, name) -> str | None:
    value = params.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    value = value.strip() if isinstance(value, str) else value
    return value or None


def _many(params, name) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in values:
        out += [part.strip() for part in str(v).split(",") if part.strip()]
    return out


def _moment(text: str, end: bool) -> datetime:
    """A date (a whole day in the region's time zone) or an ISO datetime (naive = region time)."""
    try:
        if len(text) == 10:
            day = clock.parse_day(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=clock.REGION_TZ).astimezone(UTC)
        moment = clock.check_day(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(
            f"expected a date YYYY-MM-DD or an ISO 8601 date and time, {clock.FIRST_DAY.year} to {clock.LAST_DAY.year}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.REGION_TZ)
    return moment.astimezone(UTC)


def _id_text(raw) -> bool:
    """An id as the database stores it (a positive 32-bit integer), not just any run of digits."""
    number = whole_number(str(raw))
    return number is not None and 0 < number < 2**31


def parse_filters(params) -> Filters:
    """Filters from query parameters (strings or lists of strings); bad values are a 422 naming the field.

    from, to (date or datetime; ``to`` as a date includes that day), process, instance, business_key,
    actor (user name or id; "scheduler"/"system"), org (organisation id or code), kind (repeatable or
    comma-separated), decisions=1 (only decisions: completed tasks and signed protocols).
    """
    f, errors = Filters(), {}
    for name, end in (("from", False), ("to", True)):
        raw = _one(params, name)
        if raw:
            try:
                setattr(f, "date_to" if end else "date_from", _moment(raw, end))
            except ValueError as exc:
                errors[name] = str(exc)
    f.process_id = _one(params, "process")
    f.business_key = _one(params, "business_key")
    raw = _one(params, "instance")
    if raw:
        if _id_text(raw):
            f.instance_id = int(raw)
        else:
            errors["instance"] = "expected an instance number"
    raw = _one(params, "actor")
    if raw:
        if _id_text(raw):
            f.actor_ids = [int(raw)]
        else:
            user_id = db.session.execute(select(User.id).where(User.username == raw)).scalar_one_or_none()
            if user_id is not None:
                f.actor_ids = [user_id]
            else:
                f.actor_name = raw  # scheduler, system, or a name no longer in the user table: nothing matches
    raw = _one(params, "org")
    if raw:
        if _id_text(raw):
            f.org_id = int(raw)
        else:
            org_id = db.session.execute(select(Organisation.id).where(Organisation.code == raw)).scalar_one_or_none()
            if org_id is None:
                errors["org"] = "unknown organisation"
            else:
                f.org_id = org_id
    f.kinds = _many(params, "kind")
    if str(_one(params, "decisions") or "").lower() in ("1", "true", "yes", "on"):
        f.kinds = [k for k in f.kinds if k in DECISION_KINDS] or list(DECISION_KINDS)
    if any(len(k) > 48 for k in f.kinds):
        errors["kind"] = "unknown event kind"
    if f.date_from and f.date_to and f.date_from >= f.date_to:
        errors["to"] = "the end of the period is before its start"
    if errors:
        raise Invalid("the search filters have errors", fields=errors)
    return f


def _query(f: Filters):
    q = select(AuditEvent)
    if f.date_from is not None:
        q = q.where(AuditEvent.occurred_at >= f.date_from)
    if f.date_to is not None:
        q = q.where(AuditEvent.occurred_at < f.date_to)
    if f.process_id:
        q = q.where(AuditEvent.process_id == f.process_id)
    if f.instance_id is not None:
        q = q.where(AuditEvent.instance_id == f.instance_id)
    if f.business_key:
        q = q.where(AuditEvent.business_key.in_(case_numbers.matching_keys(f.business_key)))
    if f.actor_ids is not None:
        q = q.where(AuditEvent.actor_id.in_(f.actor_ids))
    if f.actor_name:
        q = q.where(AuditEvent.actor_id.is_(None), AuditEvent.actor_name == f.actor_name)
    if f.org_id is not None:
        q = q.where(AuditEvent.actor_org_id == f.org_id)
    if f.kinds:
        q = q.where(AuditEvent.kind.in_(f.kinds))
    return q


_CURSOR = aliased(AuditEvent)


def search_statement(f: Filters, limit: int, before: int | None = None):
    """Newest first by time, events of the same moment in chain order; ``before`` (an event's seq)
    continues after that event. With or without a period, a page walks one (filter, occurred_at, seq)
    index backwards and stops after ``limit`` rows: no sort, whatever the log's size.
    (An instance or business-key filter reads that case's events by its own index and sorts those few.)"""
    q = _query(f)
    if before is not None:  # an unknown event number compares with NULL: an empty page
        cursor_time = select(_CURSOR.occurred_at).where(_CURSOR.seq == before).scalar_subquery()
        q = q.where(tuple_(AuditEvent.occurred_at, AuditEvent.seq) < tuple_(cursor_time, literal(before)))
    return q.order_by(AuditEvent.occurred_at.desc(), AuditEvent.seq.desc()).limit(limit)


def _page_args(limit, before) -> tuple[int, int | None]:
    errors = {}
    try:
        limit = PAGE_DEFAULT if limit in (None, "") else int(limit)
        if not 1 <= limit <= PAGE_MAX:
            raise ValueError
    except (TypeError, ValueError):
        errors["limit"] = f"expected a number from 1 to {PAGE_MAX}"
    try:
        before = None if before in (None, "") else int(before)
        if before is not None and not 0 < before < 2**62:
            raise ValueError
    except (TypeError, ValueError):
        errors["before"] = "expected an event number"
    if errors:
        raise Invalid("the search filters have errors", fields=errors)
    return limit, before


def search(actor: Actor, params, limit=None, before=None) -> dict:
    """One page of matching events, newest first; ``next_before`` continues the listing (None at the end)."""
    require_reader(actor)
    f = parse_filters(params)
    limit, before = _page_args(limit, before)
    rows = db.session.execute(search_statement(f, limit + 1, before)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    events = [event_dict(r) for r in rows]
    names = user_names(r.actor_id for r in rows)
    for ev in events:
        ev["actor_display"] = names.get(ev["actor_id"]) or readable.actor_label(ev["actor_name"])
    readable.describe(events, readable.form_of_tasks(r.task_id for r in rows))
    return {
        "events": events,
        "next_before": rows[-1].seq if more else None,
        "filters": f.as_dict(),
        "limit": limit,
    }


# --- export ------------------------------------------------------------------------------------------


def export(actor: Actor, params, fmt: str) -> tuple[bytes, str, str]:
    """All matching events (oldest first, at most EXPORT_MAX) as (content, mimetype, file name)."""
    require_reader(actor)
    if fmt not in EXPORT_FORMATS:
        raise Invalid("unknown export format", fields={"format": "one of " + ", ".join(EXPORT_FORMATS)})
    f = parse_filters(params)
    rows = db.session.execute(_query(f).order_by(AuditEvent.seq).limit(EXPORT_MAX + 1)).scalars().all()
    if len(rows) > EXPORT_MAX:
        raise TooLarge("more than %(limit)s events match; narrow the search (period, process, kind)", limit=EXPORT_MAX)
    events = [event_dict(r) for r in rows]
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    name = f"audit-{stamp}.{fmt}"
    if fmt == "json":
        body = {
            "exported_at": _iso(clock.now()),
            "exported_by": actor.username,
            "filters": f.as_dict(),
            "chain_head": trail.head(db.session),
            "count": len(events),
            "events": events,
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"), "application/json", name
    table = ([ev[c] for c in COLUMNS] for ev in events)
    if fmt == "csv":
        return spreadsheets.csv_bytes(COLUMNS, table), spreadsheets.CSV_MIMETYPE, name
    return spreadsheets.xlsx_bytes("audit", COLUMNS, table), spreadsheets.XLSX_MIMETYPE, name


# --- one instance: history and diagram ---------------------------------------------------------------


def instance_history(actor: Actor, instance_id: int) -> dict:
    """The instance, its timeline (every audit event, oldest first) and the path taken through the diagram."""
    instance = require_instance_visible(actor, instance_id)
    rows = (
        db.session.execute(select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq))
        .scalars()
        .all()
    )
    task_rows = (
        db.session.execute(select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id))
        .scalars()
        .all()
    )
    task_names: dict[int | None, str] = {t.id: t.name for t in task_rows}
    forms = instance.model.forms or {}

    def labels(task_id) -> dict:
        form = forms.get(next((t.form_key for t in task_rows if t.id == task_id), None) or "", {})
        return {k: v.get("title", k) for k, v in (form.get("properties") or {}).items() if isinstance(v, dict)}

    names = user_names([r.actor_id for r in rows] + [instance.initiator_id])
    timeline: list[dict] = []
    for r in rows:
        ev = event_dict(r)
        payload = ev["payload"]
        ev["actor_display"] = names.get(r.actor_id) or readable.actor_label(r.actor_name)
        ev["task_name"] = payload.get("name") or task_names.get(r.task_id)
        ev["decision"] = payload.get("decision")
        ev["data"] = payload.get("data") if isinstance(payload.get("data"), dict) else None
        ev["reason"] = payload.get("reason")
        ev["data_labels"] = labels(r.task_id) if ev["data"] else {}
        timeline.append(ev)
    readable.describe(timeline, readable.form_of_tasks(r.task_id for r in rows), readable.step_names(instance.model))
    return {
        "instance": {
            "id": instance.id,
            "process_id": instance.process_id,
            "version": instance.model.version,
            "model_name": instance.model.name,
            "business_key": instance.business_key,
            "title": instance.title,
            "status": instance.status,
            "initiator_id": instance.initiator_id,
            "initiator": names.get(instance.initiator_id),
            "created_at": _iso(instance.created_at),
            "completed_at": _iso(instance.completed_at),
        },
        "path": instance_path(instance),
        "events": timeline,
        "open_tasks": [
            {
                "id": t.id,
                "task_def": t.task_def,
                "name": t.name,
                "group": t.candidate_group,
                "assignee_id": t.assignee_id,
                "due_at": _iso(t.due_at),
            }
            for t in task_rows
            if t.status == "open"
        ],
    }


def instance_path(instance) -> dict:
    path = advance.load(instance).path()
    if instance.status != "running":
        path["active"] = []  # a finished or terminated case has no current step
    return path


def _diagram_label(name: str) -> str:
    """A lane's group id as the group's name, every other name in the UI language (never a code on the page)."""
    names = ROLES.get(name)
    if names is not None:
        try:
            english = str(flask_babel.get_locale() or "ru") == "en"
        except (KeyError, RuntimeError):  # outside a request
            english = False
        return names[1] if english else names[0]
    return content_text(name)


def instance_diagram(actor: Actor, instance_id: int) -> str:
    instance = require_instance_visible(actor, instance_id)
    path = instance_path(instance)
    try:  # the process's own diagram, then each sub-process's (a file may hold several diagrams)
        svgs = render_svgs(
            instance.model.bpmn_xml,
            completed=path["completed"],
            active=path["active"],
            taken_flows=path["flows"],
            process_id=instance.process_id,
            label=_diagram_label,
        )
        return "\n".join(svgs)
    except DiagramError as exc:
        raise Conflict("the process diagram cannot be drawn: %(reason)s", reason=str(exc)) from None
