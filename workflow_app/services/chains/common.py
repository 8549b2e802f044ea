"""What the chain modules share: the translated message helper, the year and organisation checks, the
lookups of a cycle and its children, and the delivery of a message to a child instance."""

import flask_babel
from sqlalchemy import select

from ...extensions import db
from ...models import HumanTask, Organisation, ProcessInstance
from ..cases import advance
from ..chains_config import config
from ..errors import Invalid

__all__ = [
    "_",
    "config",
    "deliver",
    "open_cycle",
    "org_or_none",
    "running_with_key",
    "the_only_open_year",
    "waiting_children",
    "year_of",
]


def _(msgid, **variables):
    try:
        return flask_babel.gettext(msgid, **variables)
    except (KeyError, RuntimeError):
        return msgid % variables if variables else msgid


def year_of(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Invalid(_("The year is required"), fields={"year": _("a year such as 2027")}) from None
    if not 2000 <= year <= 2100:
        raise Invalid(_("The year is out of range"), fields={"year": _("a year such as 2027")})
    return year


def label_of(labels: dict[str, str], code):
    """The Russian label of a code read from submitted data; the code itself when it has none (or is missing)."""
    return labels.get(code, code) if isinstance(code, str) else code


def org_or_none(org_id) -> Organisation | None:
    return db.session.get(Organisation, org_id) if org_id is not None else None


def open_cycle(process_id: str, year: int, intake_task: str = "close_intake") -> ProcessInstance | None:
    """The running cycle instance of ``year`` whose intake is still open (its intake task is open)."""
    return db.session.execute(
        select(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.cycle_key == str(year),
            ProcessInstance.status == "running",
            HumanTask.task_def == intake_task,
            HumanTask.status == "open",
        )
        .limit(1)
    ).scalar_one_or_none()


def the_only_open_year(process_id: str) -> int | None:
    keys = (
        db.session.execute(
            select(ProcessInstance.cycle_key)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status == "running",
                HumanTask.task_def == "close_intake",
                HumanTask.status == "open",
            )
        )
        .scalars()
        .all()
    )
    keys = sorted({k for k in keys if k})
    return int(keys[0]) if len(keys) == 1 else None


def running_with_key(process_id: str, business_key: str) -> bool:
    return (
        db.session.execute(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.business_key == business_key,
                ProcessInstance.status == "running",
            )
            .limit(1)
        ).first()
        is not None
    )


def waiting_children(process_id: str, key_prefix: str, message: str) -> list[ProcessInstance]:
    rows = (
        db.session.execute(
            select(ProcessInstance)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status == "running",
                ProcessInstance.business_key.like(key_prefix + "%"),
            )
            .order_by(ProcessInstance.business_key, ProcessInstance.id)
        )
        .scalars()
        .all()
    )
    return [r for r in rows if message in (r.waiting_messages or [])]


def deliver(ctx, child: ProcessInstance, message: str, payload: dict):
    advance.advance(
        ctx.uow,
        child,
        ctx.actor,
        lambda li: li.deliver(message, payload),
        audit_kind="message_delivered",
        audit_payload={"message": message, "payload": payload, "from_instance_id": ctx.instance.id},
    )
