"""Inboxes and the work on one task besides claim/complete: lists, assign, delegate, resolve, follow-up,
comments, attachments, the new-task counter.

Lists are plain indexed queries over ``human_task`` (never the engine state). Each list is the union of
a few *branches* — "assigned to me", and one per (candidate group, organisation scope) pair of the actor
and of every principal it deputises today — and every branch is an index range scan in ``created_at``
order cut at ``offset + limit``. So a page costs the same with 1,000 or 100,000 open tasks (deep pages
grow with the offset, as any offset paging does). Totals are counted the same way and capped at
``COUNT_CAP``: ``Page.total_exact`` says whether ``Page.total`` is exact.

Views:
- ``mine``: open tasks assigned to me (or to a principal I deputise);
- ``group``: open, unclaimed tasks of my groups (within the organisation scope);
- ``overdue``: open tasks of ``mine`` + ``group`` whose due date has passed (readers: every overdue task);
- ``all``: everything I may see — auditors and admins every open task; others their groups' tasks
  claimed or not, their own, and the tasks of the groups they head (``roles.GROUP_HEADS``).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Integer, bindparam, func, select, union, union_all

from ..engine import clock
from ..extensions import db
from ..models import HumanTask, Membership, ProcessInstance, TaskAttachment, TaskComment, User
from ..roles import GROUP_HEADS
from . import statements
from .access import acting_identity, can_see_task, require_task_visible
from .errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, TooLarge
from .identity import Actor
from .uow import UnitOfWork

VIEWS = ("mine", "group", "overdue", "all")
MAX_PER_PAGE = 100
COUNT_CAP = 1000
DEFAULT_ATTACHMENT_LIMIT = 5 * 1024 * 1024
MAX_COMMENT_CHARS = 10_000


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    total_exact: bool
    has_more: bool


@dataclass
class TaskFilters:
    process_id: str | None = None
    business_key: str | None = None
    due_before: datetime | None = None


def _identities(actor: Actor):
    yield actor.user_id, actor.org_id, actor.groups
    yield from actor.acting_for


def _pairs(actor: Actor, include_headed: bool = False):
    """(group, org scope) pairs whose tasks the actor may take: scope None and scope = own organisation."""
    pairs = set()
    for _uid, org_id, groups in _identities(actor):
        for group in groups:
            pairs.add((group, None))
            if org_id is not None:
                pairs.add((group, org_id))
        if include_headed:
            for group, head in GROUP_HEADS.items():
                if head in groups:
                    pairs.add((group, None))
                    if org_id is not None:
                        pairs.add((group, org_id))
    return sorted(pairs, key=lambda p: (p[0], p[1] or 0))


@dataclass(frozen=True)
class _Shape:
    """What a view's query looks like for an actor, without the values: queries of one shape are built
    once (with bound parameters) and reused, so a page costs no statement building."""

    view: str
    everything: bool  # a reader's "all" / "overdue": one branch over every open task
    users: int  # "assigned to" branches: the actor and each principal it deputises
    scopes: tuple  # one candidate-group branch per (group, scope) pair: True = scoped to an organisation
    process: bool
    business_key: bool
    due_before: bool
    created_after: bool = False


def _plan(actor: Actor, view: str, filters: TaskFilters, created_after: datetime | None = None):
    """The query shape of ``view`` for ``actor`` and the values of its parameters (shape None: no branch)."""
    params = {
        "now": clock.now(),
        "process_id": filters.process_id,
        "business_key": filters.business_key,
        "due_before": filters.due_before,
        "created_after": created_after,
    }
    everything = actor.reads_everything and view in ("all", "overdue")
    users, scopes = 0, []
    if not everything:
        if view in ("mine", "overdue", "all"):
            for uid, _org, _groups in _identities(actor):
                params[f"user_{users}"] = uid
                users += 1
        if view in ("group", "overdue", "all"):
            for k, (group, scope) in enumerate(_pairs(actor, include_headed=(view == "all"))):
                params[f"group_{k}"], params[f"scope_{k}"] = group, scope
                scopes.append(scope is not None)
        if not users and not scopes:
            return None, params
    shape = _Shape(
        view,
        everything,
        users,
        tuple(scopes),
        bool(filters.process_id),
        bool(filters.business_key),
        filters.due_before is not None,
        created_after is not None,
    )
    return shape, params


def _branches(shape: _Shape):
    """Selects of (id, created_at), each an index range scan in created_at order."""
    base = select(HumanTask.id.label("id"), HumanTask.created_at.label("created_at")).where(HumanTask.status == "open")
    if shape.process:
        base = base.where(HumanTask.process_id == bindparam("process_id"))
    if shape.business_key:
        base = base.where(HumanTask.business_key == bindparam("business_key"))
    if shape.due_before:
        base = base.where(HumanTask.due_at.is_not(None), HumanTask.due_at <= bindparam("due_before"))
    if shape.view == "overdue":
        base = base.where(HumanTask.due_at.is_not(None), HumanTask.due_at < bindparam("now"))
    if shape.created_after:
        base = base.where(HumanTask.created_at > bindparam("created_after"))
    if shape.everything:
        return [base]
    branches = [base.where(HumanTask.assignee_id == bindparam(f"user_{k}")) for k in range(shape.users)]
    for k, scoped in enumerate(shape.scopes):
        q = base.where(HumanTask.candidate_group == bindparam(f"group_{k}"))
        q = q.where(HumanTask.org_scope_id == bindparam(f"scope_{k}") if scoped else HumanTask.org_scope_id.is_(None))
        if shape.view != "all":
            q = q.where(HumanTask.assignee_id.is_(None))
        branches.append(q)
    return branches


def _union_ids(shape: _Shape, cut, ordered: bool = True):
    parts = []
    for b in _branches(shape):
        if ordered:
            b = b.order_by(HumanTask.created_at, HumanTask.id)
        sub = b.limit(cut).subquery()
        parts.append(select(sub.c.id, sub.c.created_at))
    if len(parts) == 1:
        return parts[0].subquery()
    # Only "all" lets one task match two branches (assigned to me and in my group); elsewhere the branches
    # are disjoint and UNION ALL spares the duplicate elimination.
    return (union(*parts) if shape.view == "all" else union_all(*parts)).subquery()


@lru_cache(maxsize=512)
def _page_statement(shape: _Shape):
    ids = _union_ids(shape, bindparam("cut", type_=Integer))
    return (
        select(ids.c.id)
        .order_by(ids.c.created_at, ids.c.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


@lru_cache(maxsize=512)
def _count_statement(shape: _Shape):
    ids = _union_ids(shape, COUNT_CAP + 1, ordered=False)  # any COUNT_CAP + 1 rows decide "capped"
    return select(func.count()).select_from(select(ids.c.id).limit(COUNT_CAP + 1).subquery())


_ROWS_BY_ID = select(HumanTask).where(HumanTask.id.in_(bindparam("ids", expanding=True)))


def list_tasks(
    actor: Actor, view: str = "mine", filters: TaskFilters | None = None, page: int = 1, per_page: int = 25
) -> Page:
    """One page of an inbox view (see the module docstring), oldest first; items are HumanTask rows."""
    if view not in VIEWS:
        raise Invalid("unknown view", fields={"view": f"one of {', '.join(VIEWS)}"})
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("bad page", fields={"per_page": f"1..{MAX_PER_PAGE}", "page": ">= 1"})
    if actor.is_system:
        raise Forbidden("the system has no inbox")
    filters = filters or TaskFilters()
    shape, params = _plan(actor, view, filters)
    offset = (page - 1) * per_page
    if shape is None:
        return Page([], page, per_page, 0, True, False)
    page_ids = [
        row[0]
        for row in statements.run(  # Core for the id page, the ORM only for the rows shown
            db.session.connection(),
            _page_statement(shape),
            {**params, "cut": offset + per_page + 1, "offset": offset, "limit": per_page + 1},
        ).fetchall()
    ]
    has_more = len(page_ids) > per_page
    page_ids = page_ids[:per_page]
    by_id = {t.id: t for t in db.session.execute(_ROWS_BY_ID, {"ids": page_ids}).scalars()} if page_ids else {}
    rows = [by_id[i] for i in page_ids if i in by_id]
    if not has_more and (page == 1 or rows):
        total, exact = offset + len(rows), True
    else:
        total, exact = count_tasks(actor, view, filters)
    return Page(rows, page, per_page, total, exact, has_more)


def count_tasks(
    actor: Actor, view: str = "mine", filters: TaskFilters | None = None, created_after: datetime | None = None
) -> tuple[int, bool]:
    """(count, exact) of a view, counted up to COUNT_CAP (so the cost stays bounded)."""
    shape, params = _plan(actor, view, filters or TaskFilters(), created_after)
    if shape is None:
        return 0, True
    n = statements.run(db.session.connection(), _count_statement(shape), params).fetchone()[0]  # no ORM overhead
    return min(n, COUNT_CAP), n <= COUNT_CAP


def new_task_count(actor: Actor) -> int:
    """The in-app counter: tasks in "mine" or "group" that became ready since the user last looked."""
    user = db.session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        return 0
    seen = user.inbox_seen_at
    mine, _ = count_tasks(actor, "mine", created_after=seen)
    group, _ = count_tasks(actor, "group", created_after=seen)
    return min(mine + group, COUNT_CAP)


def mark_inbox_seen(actor: Actor) -> datetime:
    """Reset the new-task counter (the user opened the inbox)."""
    with UnitOfWork(actor) as uow:
        user = db.session.get(User, actor.user_id) if actor.user_id else None
        if user is None:
            raise Forbidden("only users have an inbox")
        user.inbox_seen_at = clock.now()
        uow.commit()
    return user.inbox_seen_at


def is_overdue(task: HumanTask, now: datetime | None = None) -> bool:
    return task.status == "open" and task.due_at is not None and task.due_at < (now or clock.now())


# --- one task ----------------------------------------------------------------------------------------


def get_task(actor: Actor, task_id: int) -> HumanTask:
    """The task if the actor may see it (NotFound otherwise: another college's task does not exist)."""
    return _visible_or_headed(actor, task_id)


def task_context(actor: Actor, task_id: int) -> dict:
    """Everything a task page shows: the task, its form (snapshotted JSON Schema), the instance and the
    current task data from the engine (open tasks) or the submitted data (closed ones)."""
    from . import instances

    task = get_task(actor, task_id)
    instance: ProcessInstance = task.instance
    form = instance.model.forms.get(task.form_key) if task.form_key else None
    if task.status == "open" and instance.status == "running":
        data = instances.load(instance).task_data(task.engine_task_id)
    else:
        data = dict(task.submitted or {})
    return {
        "task": task,
        "form": form,
        "instance": instance,
        "data": data,
        "comments": list_comments(actor, task_id),
        "attachments": list_attachments(actor, task_id),
        "can_work": task.status == "open" and acting_identity(actor, task) is not None,
        "can_assign": task.status == "open" and _may_assign(actor, task),
    }


def _is_head(actor: Actor, task: HumanTask) -> bool:
    head = GROUP_HEADS.get(task.candidate_group or "")
    if head is None:
        return False
    for _uid, org_id, groups in _identities(actor):
        if head in groups and (task.org_scope_id is None or task.org_scope_id == org_id):
            return True
    return False


def _visible_or_headed(actor: Actor, task_id) -> HumanTask:
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise NotFound("task not found") from None
    task = db.session.get(HumanTask, task_id)
    if task is None or not (can_see_task(actor, task) or _is_head(actor, task)):
        raise NotFound("task not found")
    return task


def _may_assign(actor: Actor, task: HumanTask) -> bool:
    return actor.is_admin or _is_head(actor, task)


def _require_open(task: HumanTask):
    if task.status != "open":
        raise Conflict("the task is already closed")


def _not_read_only(actor: Actor, task: HumanTask):
    if actor.is_auditor and not actor.is_admin and acting_identity(actor, task) is None:
        raise Forbidden("auditors read, they do not act")


def is_candidate(user: User, task: HumanTask) -> bool:
    """Whether ``user`` could work on ``task`` (a member of its group, inside its organisation scope)."""
    return (
        user.active
        and task.candidate_group in user.group_ids
        and (task.org_scope_id is None or task.org_scope_id == user.organisation_id)
    )


def _user_by_name(username) -> User:
    if not isinstance(username, str) or not username:
        raise Invalid("a user is required", fields={"user": "a username"})
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active:
        raise Invalid("no such active user", fields={"user": "unknown user"})
    return user


def assign(actor: Actor, task_id: int, username: str) -> HumanTask:
    """A group head (``roles.GROUP_HEADS``) or an admin gives the task to a candidate of its group."""
    with UnitOfWork(actor) as uow:
        task = _visible_or_headed(actor, task_id)
        _require_open(task)
        if not _may_assign(actor, task):
            raise Forbidden("only the head of the group or an administrator may assign this task")
        user = _user_by_name(username)
        if not is_candidate(user, task):
            raise Invalid("the user is not a candidate for this task", fields={"user": "not in the task's group"})
        previous = task.assignee_id
        task.assignee_id, task.owner_id = user.id, None
        uow.record(
            "task_assigned",
            instance=task.instance,
            task_id=task.id,
            payload={"task": task.task_def, "assignee": user.username, "previous_assignee_id": previous},
        )
        uow.commit()
    return task


def delegate(actor: Actor, task_id: int, username: str) -> HumanTask:
    """The assignee hands the task to a colleague (a candidate of the same group) and stays its owner;
    the colleague works on it and resolves it back (``resolve``)."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        _not_read_only(actor, task)
        ident = acting_identity(actor, task)
        if task.assignee_id is None or ident is None or ident[0] != task.assignee_id:
            raise Forbidden("only the assignee may delegate the task; claim it first")
        user = _user_by_name(username)
        if user.id == task.assignee_id:
            raise Invalid("the task is already yours", fields={"user": "choose a colleague"})
        if not is_candidate(user, task):
            raise Invalid(
                "the user is not a colleague in this task's group", fields={"user": "not in the task's group"}
            )
        owner = task.owner_id or task.assignee_id
        task.owner_id, task.assignee_id = owner, user.id
        uow.record(
            "task_delegated",
            instance=task.instance,
            task_id=task.id,
            payload={"task": task.task_def, "to": user.username, "owner_id": owner},
        )
        uow.commit()
    return task


def resolve(actor: Actor, task_id: int) -> HumanTask:
    """The delegate gives a delegated task back to its owner."""
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        if task.owner_id is None:
            raise Conflict("the task is not delegated")
        ident = acting_identity(actor, task)
        if not (actor.is_admin or (ident is not None and ident[0] == task.assignee_id)):
            raise Forbidden("only the delegate may resolve the task")
        delegate_id = task.assignee_id
        task.assignee_id, task.owner_id = task.owner_id, None
        uow.record(
            "task_resolved",
            instance=task.instance,
            task_id=task.id,
            payload={"task": task.task_def, "delegate_id": delegate_id, "owner_id": task.assignee_id},
        )
        uow.commit()
    return task


def set_follow_up(actor: Actor, task_id: int, follow_up_at: datetime | None) -> HumanTask:
    """A reminder date for whoever works on the task (the assignee)."""
    if follow_up_at is not None and follow_up_at.tzinfo is None:
        raise Invalid("the follow-up date needs a time zone", fields={"follow_up_at": "ISO 8601 with offset"})
    with UnitOfWork(actor) as uow:
        task = require_task_visible(actor, task_id)
        _require_open(task)
        _not_read_only(actor, task)
        ident = acting_identity(actor, task)
        if ident is None or task.assignee_id != ident[0]:
            raise Forbidden("only the assignee sets a follow-up date")
        task.follow_up_at = follow_up_at
        uow.record(
            "task_follow_up",
            instance=task.instance,
            task_id=task.id,
            payload={"follow_up_at": follow_up_at.isoformat() if follow_up_at else None},
        )
        uow.commit()
    return task


# --- comments and attachments ------------------------------------------------------------------------


def list_comments(actor: Actor, task_id: int) -> list[TaskComment]:
    task = _visible_or_headed(actor, task_id)
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
        task = _visible_or_headed(actor, task_id)
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


def list_attachments(actor: Actor, task_id: int) -> list[TaskAttachment]:
    task = _visible_or_headed(actor, task_id)
    return list(
        db.session.execute(
            select(TaskAttachment).where(TaskAttachment.task_id == task.id).order_by(TaskAttachment.id)
        ).scalars()
    )


def attachment_limit() -> int:
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_LIMIT))
    return DEFAULT_ATTACHMENT_LIMIT


def _clean_name(name) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:300] or "file"


def add_attachment(
    actor: Actor, task_id: int, file_name: str, content_type: str | None, content: bytes
) -> TaskAttachment:
    """Store a file on a task (in the database, never in the engine state) with its SHA-256."""
    if not isinstance(content, (bytes, bytearray)):
        raise BadRequest("a file is required")
    limit = attachment_limit()
    if len(content) > limit:
        raise TooLarge(f"the file is larger than {limit // 1024} KiB", fields={"file": f"at most {limit} bytes"})
    if not content:
        raise Invalid("the file is empty", fields={"file": "empty"})
    with UnitOfWork(actor) as uow:
        task = _visible_or_headed(actor, task_id)
        if actor.is_auditor and not actor.is_admin:
            raise Forbidden("auditors read, they do not act")
        if actor.is_system:
            raise Forbidden("attachments are added by people")
        _require_open(task)
        att = TaskAttachment(
            task_id=task.id,
            instance_id=task.instance_id,
            uploaded_by_id=actor.user_id,
            file_name=_clean_name(file_name),
            content_type=(content_type or "application/octet-stream")[:100],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=bytes(content),
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
        uow.commit()
    return att


def get_attachment(actor: Actor, task_id: int, attachment_id: int) -> TaskAttachment:
    """The attachment, if the actor may see its task (NotFound otherwise)."""
    task = _visible_or_headed(actor, task_id)
    att = db.session.get(TaskAttachment, attachment_id)
    if att is None or att.task_id != task.id:
        raise NotFound("attachment not found")
    return att


# --- people to pick in assign / delegate -------------------------------------------------------------


def candidates(actor: Actor, task_id: int, limit: int = 200) -> list[User]:
    """Active users who could take the task (for the assign and delegate pickers)."""
    task = _visible_or_headed(actor, task_id)
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == task.candidate_group, User.active.is_(True))
    )
    if task.org_scope_id is not None:
        query = query.where(User.organisation_id == task.org_scope_id)
    return list(db.session.execute(query.order_by(User.display_name).limit(limit)).scalars())


__all__ = [
    "VIEWS",
    "Page",
    "TaskFilters",
    "add_attachment",
    "add_comment",
    "assign",
    "candidates",
    "count_tasks",
    "delegate",
    "get_attachment",
    "get_task",
    "is_candidate",
    "is_overdue",
    "list_attachments",
    "list_comments",
    "list_tasks",
    "mark_inbox_seen",
    "new_task_count",
    "resolve",
    "set_follow_up",
    "task_context",
]
