"""Blocks, the provider registry, XLSX export (see the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from ...extensions import db
from ...i18n import content_text
from ...models import HumanTask, ProcessInstance, TaskAttachment
from .. import spreadsheets
from ..cases import advance
from ..cases.reads import submitted_data
from ..errors import NotFound
from ..people.access import require_instance_visible
from ..people.actors import Actor
from . import labels

XLSX_MIME = spreadsheets.XLSX_MIMETYPE


@dataclass
class Cell:
    text: str
    value: object = None  # the raw value for XLSX (a number stays a number)
    href: str | None = None
    numeric: bool = False


@dataclass
class Column:
    key: str
    label: str
    numeric: bool = False
    wide: bool = False  # long text: gets the room, wraps


@dataclass
class Row:
    cells: list[Cell]
    mark: str | None = None  # "added" | "changed" | "removed" | None
    mark_label: str = ""


@dataclass
class Block:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    totals: list[Cell] | None = None
    note: str = ""
    source: list[dict] = field(default_factory=list)  # raw rows, for pre-filling a task's own table
    open: bool = True  # shown expanded

    @classmethod
    def table(
        cls,
        key: str,
        title: str,
        columns: list[tuple],
        rows: list[dict],
        *,
        totals: tuple[str, ...] = (),
        schema: dict | None = None,
        note: str = "",
        marks: Callable[[dict], tuple[str | None, str]] | None = None,
    ) -> Block:
        """A block from plain rows: ``columns`` are (key, label) or (key, label, {"numeric", "wide"}); values
        are shown through ``schema`` (the item schema of a form table: option labels, dates) when given."""
        props = (schema or {}).get("properties") or {}
        cols = []
        for spec in columns:
            key_, label = spec[0], spec[1]
            opts = spec[2] if len(spec) > 2 else {}
            prop = props.get(key_) or {}
            values = [r.get(key_) for r in rows if r.get(key_) not in (None, "")]
            numeric = opts.get(
                "numeric",
                not labels.options(prop)
                and (
                    prop.get("type") in ("integer", "number")
                    or (bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values))
                ),
            )
            cols.append(Column(key_, content_text(label), numeric=numeric, wide=opts.get("wide", False)))
        out_rows = []
        for raw in rows:
            cells = [_cell(props.get(c.key) or {}, raw.get(c.key), c.numeric) for c in cols]
            mark, mark_label = marks(raw) if marks else (None, "")
            out_rows.append(Row(cells, mark, mark_label))
        total_cells = None
        if totals and rows:
            total_cells = []
            for i, c in enumerate(cols):
                if c.key in totals:
                    s = sum(r.get(c.key) or 0 for r in rows if isinstance(r.get(c.key), (int, float)))
                    total_cells.append(Cell(labels.number_text(s), s, numeric=True))
                else:
                    total_cells.append(Cell(labels._("Total") if i == 0 else "", None))
        return cls(key, title, cols, out_rows, total_cells, note, [dict(r) for r in rows])


def _cell(prop: dict, value, numeric: bool) -> Cell:
    text = labels.display(prop, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not labels.options(prop):
        return Cell(text, value, numeric=True)
    return Cell(text, text if text else None, numeric=numeric and isinstance(value, (int, float)))


@dataclass
class Case:
    """What a provider looks at: the instance, its current data, the task being worked on (if any)."""

    actor: Actor
    instance: ProcessInstance
    data: dict
    task: HumanTask | None = None
    consumed: set = field(default_factory=set)  # data keys a provider has shown (others skip them)
    # where the page showing the blocks serves a case file: the case's own route by default; a council meeting
    # serves its questions' files itself (its members read them without being parties to the case)
    attachment_href: Callable[[TaskAttachment], str] | None = None
    # the files of every case started under this one, not only those the reader takes part in (a council's
    # members decide on the whole campaign)
    all_children: bool = False
    files_until: datetime | None = None  # only files (and child cases) from before then: what was decided on

    def href_of(self, att: TaskAttachment) -> str:
        if self.attachment_href is not None:
            return self.attachment_href(att)
        return f"/instances/{att.instance_id}/attachments/{att.id}"  # a child case's file: from that case

    @property
    def own_form_key(self) -> str | None:
        return self.task.form_key if self.task is not None else None

    @property
    def own_form(self) -> dict:
        return (self.instance.model.forms or {}).get(self.own_form_key or "") or {}


_PROVIDERS: list[tuple[int, Callable[[Case], list[Block]]]] = []


def provider(order: int = 50):
    """Register ``fn(case) -> list[Block]``; blocks are shown by ``order``, then registration order."""

    def register(fn):
        _PROVIDERS.append((order, fn))
        _PROVIDERS.sort(key=lambda p: p[0])
        return fn

    return register


def blocks_for(case: Case) -> list[Block]:
    out: list[Block] = []
    seen = set()
    for _order, fn in _PROVIDERS:
        for block in fn(case) or []:
            if block.key in seen or not block.rows:
                continue
            seen.add(block.key)
            out.append(block)
    return out


def case_data(instance: ProcessInstance) -> dict:
    """The instance's current data (the engine's), else what its tasks submitted (a finished or broken case)."""
    if instance.status == "running":
        try:
            return advance.instance_data(instance)
        except Exception:  # noqa: BLE001 - a broken state must not hide the page; the history shows it
            current_app.logger.warning("case %s: engine data unreadable, showing submitted data", instance.id)
    merged: dict = {**(instance.summary or {}), **submitted_data(instance)}
    if instance.status != "running":
        try:
            merged.update(advance.instance_data(instance))
        except Exception:  # noqa: BLE001 - the submitted data stands in
            current_app.logger.warning("case %s: engine data unreadable, showing submitted data", instance.id)
    return merged


def for_task(actor: Actor, task: HumanTask, data: dict) -> list[Block]:
    """The blocks of the task page (the caller has checked the actor may see the task)."""
    return blocks_for(Case(actor, task.instance, data, task))


def for_instance(actor: Actor, instance_id: int) -> list[Block]:
    """The blocks of the case page."""
    instance = require_instance_visible(actor, instance_id)
    return blocks_for(Case(actor, instance, case_data(instance)))


def block_xlsx(actor: Actor, instance_id: int, key: str) -> tuple[bytes, str, str]:
    """One block of the case as an XLSX workbook: (bytes, mimetype, file name)."""
    instance = require_instance_visible(actor, instance_id)
    return xlsx_of(blocks_for(Case(actor, instance, case_data(instance))), instance, key)


def xlsx_of(blocks: list[Block], instance: ProcessInstance, key: str) -> tuple[bytes, str, str]:
    """The block ``key`` of a case's blocks as an XLSX workbook: (bytes, mimetype, file name); NotFound if none."""
    for block in blocks:
        if block.key == key:
            return to_xlsx(block), XLSX_MIME, f"{_file_stem(instance)}-{key}.xlsx"
    raise NotFound("no such material in this case")


def _file_stem(instance: ProcessInstance) -> str:
    stem = (instance.business_key or f"case-{instance.id}").replace("/", "-")
    return "".join(ch for ch in stem if ch.isalnum() or ch in "-_") or f"case-{instance.id}"


def to_xlsx(block: Block) -> bytes:
    """A block as a one-sheet workbook (the one spreadsheet writer): a header row, the rows (numbers as numbers),
    the totals, the kind of change as a last column."""
    has_marks = any(r.mark for r in block.rows)
    header = [c.label for c in block.columns] + ([labels._("Kind of change")] if has_marks else [])
    rows = [[_xlsx_value(c) for c in row.cells] + ([row.mark_label] if has_marks else []) for row in block.rows]
    if block.totals:
        rows.append([_xlsx_value(c) for c in block.totals])
    return spreadsheets.xlsx_bytes(_sheet_title(block.title), header, rows)


def _xlsx_value(cell: Cell):
    if cell.numeric and isinstance(cell.value, (int, float)):
        return cell.value
    return cell.text or None


def _sheet_title(title: str) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return (clean or "Sheet")[:31]


def attachment(actor: Actor, instance_id: int, attachment_id: int) -> TaskAttachment:
    """An attachment of any task of a case the actor may see (the materials list them all)."""
    instance = require_instance_visible(actor, instance_id)
    att = db.session.get(TaskAttachment, attachment_id)
    if att is None or att.instance_id != instance.id:
        raise NotFound("attachment not found")
    return att
