"""Inboxes: the task lists, the new-task counter, one task's page and the people to pick for it (queries;
the commands on a task live in ``commands.py``, comments and files in ``comments.py`` and ``attachments.py``).

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

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, union, union_all

from ...engine import clock
from ...extensions import db
from ...models import HumanTask, Membership, ProcessInstance, User
from ...roles import GROUP_HEADS
from ..cases import advance, case_numbers
from ..errors import Forbidden, Invalid
from ..people import organisations
from ..people.access import acting_identity, identities, may_assign, require_task_readable
from ..people.actors import Actor
from ..uow import UnitOfWork
from . import attachments, comments, panels

VIEWS = ("mine", "group", "overdue", "all")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # as the API's schemas: a page number beyond it is bad input, not an offset overflow
COUNT_CAP = 1000


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


def _pairs(actor: Actor, include_headed: bool = False):
    """(group, org scope) pairs whose tasks the actor may take: scope None and scope = own organisation."""
    pairs: set[tuple[str, int | None]] = set()
    for _uid, org_id, groups in identities(actor):
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
    params: dict[str, Any] = {
        "now": clock.now(),
        "process_id": filters.process_id,
        # a case number however typed (letter case, Latin look-alikes): the stored numbers it reads as
        "business_key": case_numbers.matching_keys(filters.business_key) if filters.business_key else None,
        "due_before": filters.due_before,
        "created_after": created_after,
    }
    everything = actor.reads_everything and view in ("all", "overdue")
    users, scopes = 0, []
    if not everything:
        if view in ("mine", "overdue", "all"):
            for uid, _org, _groups in identities(actor):
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
        base = base.where(HumanTask.business_key.in_(bindparam("business_key", expanding=True)))
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
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("bad page", fields={"per_page": f"1..{MAX_PER_PAGE}", "page": f"1..{MAX_PAGE}"})
    if actor.is_system:
        raise Forbidden("the system has no inbox")
    filters = filters or TaskFilters()
    shape, params = _plan(actor, view, filters)
    offset = (page - 1) * per_page
    if shape is None:
        return Page([], page, per_page, 0, True, False)
    page_ids = [
        row[0]
        for row in db.session.connection()
        .execute(  # Core for the id page, the ORM only for the rows shown
            _page_statement(shape),
            {**params, "cut": offset + per_page + 1, "offset": offset, "limit": per_page + 1},
        )
        .fetchall()
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
    n = db.session.connection().execute(_count_statement(shape), params).scalar_one()  # no ORM overhead
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
    """The task if the actor may see it or heads its group (NotFound otherwise)."""
    return require_task_readable(actor, task_id)


def task_context(actor: Actor, task_id: int) -> dict:
    """Everything a task page shows: the task, its form (snapshotted JSON Schema), the instance and the
    current task data from the engine (open tasks) or the submitted data (closed ones)."""
    task = get_task(actor, task_id)
    instance: ProcessInstance = task.instance
    form = instance.model.forms.get(task.form_key) if task.form_key else None
    form = organisations.in_forms(form, actor) if form else form  # organisation references: choices of the registry
    if task.status == "open" and instance.status == "running":
        data = advance.load(instance).task_data(task.engine_task_id)
    else:
        data = dict(task.submitted or {})
    return {
        "task": task,
        "form": form,
        "instance": instance,
        "data": data,
        "comments": comments.list_comments(actor, task_id),
        "attachments": attachments.list_attachments(actor, task_id),
        # a collegial body's question is decided at its meeting (council), never through this form
        "can_work": task.status == "open" and not task.collegial_body and acting_identity(actor, task) is not None,
        "can_assign": task.status == "open" and may_assign(actor, task),
        # figures to compare the decision with (e.g. the forecast on the КЦП and professions consolidations)
        "panels": panels.panels_for(task, data),
    }


# --- people to pick in assign / delegate -------------------------------------------------------------


def candidates(actor: Actor, task_id: int, limit: int = 200) -> list[User]:
    """Active users who could take the task (for the assign and delegate pickers)."""
    task = require_task_readable(actor, task_id)
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == task.candidate_group, User.active.is_(True))
    )
    if task.org_scope_id is not None:
        query = query.where(User.organisation_id == task.org_scope_id)
    return list(db.session.execute(query.order_by(User.display_name).limit(limit)).scalars())
