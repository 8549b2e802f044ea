"""The case material a task decides on, rendered for a person: tables with labels, totals and marks.

A *block* is one piece of material (the request's lines, the consolidated КЦП table, the draft list of
professions, the staffing plan, the opinions given so far, the attachments). Blocks come from
*providers*: functions registered with :func:`provider` that look at the case (its process, its data,
the task being worked on) and return the blocks they can make. Adding a kind of material is one
function in a module of this package (or anywhere imported at start-up)::

    from workflow_app.services import materials

    @materials.provider(order=25)
    def forecast(case):
        rows = (case.data.get("forecast") or {}).get("lines") or []
        if not rows:
            return []
        return [materials.Block.table("forecast", "Прогноз потребности в кадрах",
                                      [("profession", "Профессия"), ("need", "Потребность, чел.")], rows)]

Every block is a table, so the same template shows it on the task, case and council pages and the same
code exports it as XLSX (``/instances/<id>/materials/<key>.xlsx``). A block's ``source`` rows (the raw
values) let a task's own empty table be pre-filled from it (:func:`prefill`).
"""

from . import builtin  # registers the built-in providers
from .core import (
    XLSX_MIME,
    Block,
    Case,
    Cell,
    Column,
    Row,
    attachment,
    block_xlsx,
    blocks_for,
    case_data,
    for_instance,
    for_task,
    provider,
    to_xlsx,
    xlsx_of,
)
from .prefill import initial_values, task_page

__all__ = [
    "XLSX_MIME",
    "Block",
    "Case",
    "Cell",
    "Column",
    "Row",
    "attachment",
    "block_xlsx",
    "blocks_for",
    "builtin",
    "case_data",
    "for_instance",
    "for_task",
    "initial_values",
    "provider",
    "task_page",
    "to_xlsx",
    "xlsx_of",
]
