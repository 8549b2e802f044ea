"""Read models for the case pages of the web UI: the short timeline of an instance.

The full history (with the diagram and every engine step) is the audit area's page
``/instances/<id>/history``; this timeline keeps what a person working on the case needs:
who did what, when, with which decision and comment.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import formkit as form_schemas
from ...extensions import db
from ...i18n import content_text
from ...models import AuditEvent, ProcessModel
from ..audit import readable
from ..materials import labels
from ..people.access import require_instance_visible
from ..people.actors import Actor
from ..people.names import user_names
from . import advance

# The kinds a case timeline shows (engine_steps and login noise are left to the full history).
TIMELINE_KINDS = (
    "instance_started",
    "task_ready",
    "task_claimed",
    "task_unclaimed",
    "task_assigned",
    "task_delegated",
    "task_resolved",
    "task_completed",
    "task_cancelled",
    "task_commented",
    "attachment_added",
    "timer_fired",
    "escalation",
    "message_delivered",
    "instance_completed",
    "instance_terminated",
    "admin_correction",
)


def _decision_labels(instance) -> dict:
    """(task id, decision value) -> the button label of the task's form, e.g. «Вернуть на доработку»."""
    labels = {}
    model = instance.model
    for task_def, props in (model.meta or {}).get("user_tasks", {}).items():
        schema = (model.forms or {}).get(props.get("formKey") or "")
        if schema:
            for value, label in form_schemas.decision_options(schema):
                labels[(task_def, value)] = label
    return labels


def decision_labels_of_deployed_forms() -> dict[str, str]:
    """decision value -> its button label in the deployed forms (the audit search lists every process's decisions)."""
    labels: dict[str, str] = {}
    for forms in db.session.execute(select(ProcessModel.forms)).scalars():
        for schema in (forms or {}).values():
            for value, label in form_schemas.decision_options(schema):
                labels.setdefault(value, label)
    return labels


def timeline(actor: Actor, instance_id: int, limit: int = 200) -> list[dict]:
    """The latest ``limit`` events of the instance, oldest first, as plain dicts for display.

    Each: seq, at (UTC datetime), kind, actor (display name or "system"/"scheduler"), task (name),
    decision, comment, group, data (submitted data of task_completed).
    """
    instance = require_instance_visible(actor, instance_id)
    labels = _decision_labels(instance)
    newest_first = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.kind.in_(TIMELINE_KINDS))
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).scalars()
    rows = list(reversed(newest_first.all()))
    user_ids = {r.actor_id for r in rows if r.actor_id is not None}
    names = user_names(user_ids)
    out = []
    for r in rows:
        payload = r.payload or {}
        submitted = payload.get("data")
        data = submitted if isinstance(submitted, dict) else {}
        out.append(
            {
                "seq": r.seq,
                "at": r.occurred_at,
                "kind": r.kind,
                "actor": names.get(r.actor_id) or readable.actor_label(r.actor_name),
                "task": payload.get("name") or payload.get("task"),
                "decision": payload.get("decision"),
                "decision_label": labels.get((payload.get("task"), str(payload.get("decision")))),
                "comment": payload.get("body") or data.get("comment"),
                "group": payload.get("group"),
                "assignee": payload.get("assignee") or payload.get("to"),
                "file_name": payload.get("file_name"),
                "data": data,
            }
        )
    return out


# Start data that no form asks for (set by the start rules of the chains).
START_DATA_LABELS = {
    "year": _l("Year"),
    "signatory": _l("Signatory"),
    "investor_org_code": _l("Investor"),
    "effective_date": _l("Effective date"),
    "proposer_kind": _l("Proposer"),
    "act_type": _l("Type of act"),
    "case_number": _l("Case number"),
}


def _field_props(instance) -> dict:
    """field name -> its property schema (with a title), from every form of the instance's model."""
    props = {k: {"title": str(v)} for k, v in START_DATA_LABELS.items()}
    for schema in (instance.model.forms or {}).values():
        for name, prop in (schema.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("title") and (name not in props or name in START_DATA_LABELS):
                props[name] = prop
    return props


def key_data(instance, data: dict, exclude=()) -> list[tuple[str, object]]:
    """The case's key data for a side panel: labelled scalar values, option labels instead of codes.

    A field no form names is left out (a person never reads a code as a label); tables are shown by the
    case materials, not here.
    """
    skip = set(exclude) | {"business_key", "decision", "comment"}
    props = _field_props(instance)
    items: list[tuple[str, object]] = []
    for key, value in (data or {}).items():
        if key in skip or key.startswith("_") or key not in props:
            continue
        if isinstance(value, (str, int, float)) and str(value).strip():
            text = labels.display(props[key], value)
            if text:
                items.append((content_text(props[key]["title"]), text))
    return items[:30]


def summary(instance) -> list[tuple[str, object]]:
    """Key data of an instance: its stored summary, else the current engine data."""
    data = instance.summary or {}
    if not data:
        try:
            data = advance.instance_data(instance)
        except Exception:  # noqa: BLE001  (a broken state must not hide the page); the history shows what happened
            data = {}
    return key_data(instance, data)
