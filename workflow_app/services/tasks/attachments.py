"""Files attached to a task: stored in the database (never in the engine state) with their SHA-256."""

import hashlib

from flask import current_app, has_app_context
from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import TaskAttachment
from ..errors import BadRequest, Forbidden, Invalid, NotFound, TooLarge
from ..people.access import require_task_readable
from ..people.actors import Actor
from ..uow import UnitOfWork
from .commands import require_open

DEFAULT_ATTACHMENT_LIMIT = 5 * 1024 * 1024


def list_attachments(actor: Actor, task_id: int) -> list[TaskAttachment]:
    task = require_task_readable(actor, task_id)
    return list(
        db.session.execute(
            select(TaskAttachment).where(TaskAttachment.task_id == task.id).order_by(TaskAttachment.id)
        ).scalars()
    )


def attachment_limit() -> int:
    if has_app_context():
        return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_LIMIT))
    return DEFAULT_ATTACHMENT_LIMIT


def _clean_name(name) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:300] or "file"


def _checked(content) -> bytes:
    if not isinstance(content, (bytes, bytearray)):
        raise BadRequest("a file is required")
    limit = attachment_limit()
    if len(content) > limit:
        raise TooLarge(
            "the file is larger than %(kib)s KiB", fields={"file": f"at most {limit} bytes"}, kib=limit // 1024
        )
    if not content:
        raise Invalid("the file is empty", fields={"file": "empty"})
    return bytes(content)


def add_attachment(
    actor: Actor, task_id: int, file_name: str, content_type: str | None, content: bytes
) -> TaskAttachment:
    """Store a file on a task (in the database, never in the engine state) with its SHA-256."""
    content = _checked(content)
    with UnitOfWork(actor) as uow:
        task = require_task_readable(actor, task_id)
        if actor.is_auditor and not actor.is_admin:
            raise Forbidden("auditors read, they do not act")
        if actor.is_system:
            raise Forbidden("attachments are added by people")
        require_open(task)
        att = store_in(uow, actor, task, file_name, content_type, content)
        uow.commit()
    return att


def store_in(uow, actor: Actor, task, file_name, content_type: str | None, content) -> TaskAttachment:
    """Store a file on ``task`` inside the caller's unit of work (the caller checked who may); audited."""
    content = _checked(content)
    att = TaskAttachment(
        task_id=task.id,
        instance_id=task.instance_id,
        uploaded_by_id=actor.user_id,
        file_name=_clean_name(file_name),
        content_type=(content_type or "application/octet-stream")[:100],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_at=clock.now(),
    )
    db.session.add(att)
    uow.flush()
    uow.record(
        "attachment_added",
        instance=task.instance,
        task_id=task.id,
        payload={"attachment_id": att.id, "file_name": att.file_name, "size": att.size, "sha256": att.sha256},
    )
    return att


def get_attachment(actor: Actor, task_id: int, attachment_id: int) -> TaskAttachment:
    """The attachment, if the actor may see its task (NotFound otherwise)."""
    task = require_task_readable(actor, task_id)
    att = db.session.get(TaskAttachment, attachment_id)
    if att is None or att.task_id != task.id:
        raise NotFound("attachment not found")
    return att
