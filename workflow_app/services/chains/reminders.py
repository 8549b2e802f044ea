"""The ``remind`` operation shared by every chain: a late step's group head is reminded."""

from sqlalchemy import select

from ...dates import ru_datetime
from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Organisation
from .. import notifications
from ..cases.operations import operation


@operation("remind")
def remind(ctx, params, data):
    """A late step: the head of the responsible group is reminded (audit event + in-app/e-mail notice)."""
    group = str(params.get("group") or "")
    about = str(params.get("about") or "")
    org_code = params.get("org")  # only that organisation's members of the group (the ПОО's founder department)
    org_id = (
        db.session.execute(select(Organisation.id).where(Organisation.code == str(org_code))).scalar()
        if org_code
        else None
    )
    task = db.session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == ctx.instance.id, HumanTask.task_def == about, HumanTask.status == "open")
        .limit(1)
    ).scalar_one_or_none()
    ctx.uow.record(
        "reminder",
        instance=ctx.instance,
        task_id=task.id if task else None,
        payload={
            "group": group,
            "org": org_code or None,
            "task": about,
            "name": task.name if task else None,
            "due_at": task.due_at.isoformat() if task and task.due_at else None,
        },
    )
    name = task.name if task else ctx.instance.title
    key = f" ({ctx.instance.business_key})" if ctx.instance.business_key else ""
    notifications.queue(
        ctx.uow,
        notifications.members_of(group, org_id),
        "reminder",
        f"Просрочено: {name}",
        f"Срок задачи «{name}» по делу «{ctx.instance.title}»{key}"
        f"{' — ' + ru_datetime(task.due_at) if task and task.due_at else ''} истёк.\n",
        instance_id=ctx.instance.id,
    )
    return {"group": group, "task": about, "at": clock.now().isoformat()}
