"""Comments on a task: read by whoever may see the task, written by people who are not read-only auditors."""

from sqlalchemy import select

from ...engine import clock
from ...extensions import db
from ...models import TaskComment
from ..errors import Forbidden, Invalid
from ..people.access import require_task_readable
from ..people.actors import Actor
from ..uow import UnitOfWork

MAX_COMMENT_CHARS = 10_000


def list_comments(actor: Actor, task_id: int) -> list[TaskComment]:
    task = require_task_readable(actor, task_id)
    return list(
        db.session.execute(select(TaskComment).where(TaskComment.task_id == task.id).order_by(TaskComment.id)).scalars()
    )


def add_comment(actor: Actor, task_id: int, body) -> TaskComment:
    """A comment on a task, by anyone who may see it and is not a read-only auditor."""
    if not isinstance(body, str) or not body.strip():
        raise Invalid("the comment is empty", fields={"body": "required"})
    if len(body) > MAX_COMMENT_CHARS:
        raise Invalid("the comment is too long", fields={"body": f"at most {MAX_COMMENT_CHARS} characters"})
    with UnitOfWork(actor) as uow:
        task = require_task_readable(actor, task_id)
        if actor.is_auditor and not actor.is_admin:
            raise Forbidden("auditors read, they do not act")
        if actor.is_system:
            raise Forbidden("comments are written by people")
        comment = TaskComment(
            task_id=task.id,
            instance_id=task.instance_id,
            author_id=actor.user_id,
            body=body.strip(),
            created_at=clock.now(),
        )
        db.session.add(comment)
        uow.flush()
        uow.record(
            "task_commented",
            instance=task.instance,
            task_id=task.id,
            payload={"comment_id": comment.id, "body": comment.body},
        )
        uow.commit()
    return comment
