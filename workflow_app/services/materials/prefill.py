"""What a task's form starts with: its own defaults, its own earlier answers, and the case material.

A task never starts from another step's same-named field: a head's «Замечания» is not pre-filled with the
council's «Согласовать.». A value stays when the case holds it from the start, from a service step (the
collected requests) or from this same step's earlier round (a request returned for revision); it is left
out when another user task wrote it last. An empty table of the form is pre-filled from a material block
whose rows carry every required column (the assessment's lines from the request's lines, the council's
figures from the consolidated table), so nobody retypes what the case already holds.
"""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import HumanTask
from ..people.actors import Actor
from . import labels
from .core import Block, Case, blocks_for

# A column of a task's table may be filled from a differently named column of the material.
ALIASES = {
    "proposed_kcp": ("proposed_kcp", "requested_kcp"),
    "approved_kcp": ("approved_kcp", "proposed_kcp", "requested_kcp"),
}


def _last_writers(case: Case) -> dict:
    """field -> task_def of the user task that submitted it last in this case."""
    writers: dict = {}
    rows = db.session.execute(
        select(HumanTask.task_def, HumanTask.submitted)
        .where(HumanTask.instance_id == case.instance.id, HumanTask.status == "completed")
        .order_by(HumanTask.completed_at, HumanTask.id)
    ).all()
    for task_def, submitted in rows:
        for key in submitted or {}:
            writers[key] = task_def
    return writers


def initial_values(case: Case, blocks: list[Block]) -> dict:
    """The values the task's form is shown with (the task must be open)."""
    schema = case.own_form
    props = schema.get("properties") or {}
    writers = _last_writers(case)
    own_def = case.task.task_def if case.task is not None else None
    values = {}
    for name, value in case.data.items():
        if name not in props:
            continue
        readonly = (props[name].get("x-ui") or {}).get("readonly") if isinstance(props[name], dict) else False
        if name in writers and writers[name] != own_def and not readonly:
            continue  # another step's answer, not this one's
        values[name] = value
    for name, prop in props.items():
        if not labels.is_table(prop) or values.get(name):
            continue
        rows = _rows_from_material(prop["items"], blocks)
        if rows:
            values[name] = rows
    return values


def _rows_from_material(items: dict, blocks: list[Block]) -> list[dict]:
    props = {n: p for n, p in (items.get("properties") or {}).items() if isinstance(p, dict) and "x-compute" not in p}
    required = [n for n in items.get("required") or [] if n in props]
    if not required:
        return []
    for block in blocks:
        if not block.source:
            continue
        rows = []
        for source in block.source:
            row = {}
            for name in props:
                for alias in ALIASES.get(name, (name,)):
                    if source.get(alias) not in (None, ""):
                        row[name] = source[alias]
                        break
            if not all(n in row for n in required):
                break
            rows.append(row)
        else:
            if rows:
                return rows
    return []


def task_page(actor: Actor, task: HumanTask, data: dict, editable: bool) -> tuple[list[Block], dict]:
    """The task page's blocks and the values its form starts with (:func:`initial_values` below); ``data`` is the
    task's data as the engine holds it (or as submitted, for a closed task)."""
    case = Case(actor, task.instance, data, task)
    blocks = blocks_for(case)
    return blocks, (initial_values(case, blocks) if editable else data)
