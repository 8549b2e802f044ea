"""A task's table in Excel: download its rows as XLSX, fill them in Excel, upload them back.

The header row carries the form's column titles; option columns hold the option labels, dates ДД.ММ.ГГГГ. An
upload is read column by title (or field name), every row converted back to the form's values and validated
by the form itself; errors are named by row and column («Строка 3, столбец «Запрашиваемые КЦП»: …»). Nothing
is saved: the rows go into the form for the person to check and submit, as if typed.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from ... import formkit as form_schemas
from ...i18n import content_text
from ...numbers import whole_number
from .. import spreadsheets
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..materials import labels
from ..people.access import acting_identity, require_task_visible
from ..people.actors import Actor

MAX_ROWS = 500
MAX_BYTES = 2 * 1024 * 1024


def _table(actor: Actor, task_id: int, field: str):
    task = require_task_visible(actor, task_id)
    schema = (task.instance.model.forms or {}).get(task.form_key or "") or {}
    prop = (schema.get("properties") or {}).get(field)
    if not labels.is_table(prop):
        raise NotFound("this task has no such table")
    return task, prop


def _columns(prop: dict) -> list[tuple[str, dict]]:
    return [(name, p) for name, p in labels.ordered_properties(prop["items"]) if not labels.is_hidden(p)]


def table_xlsx(actor: Actor, task_id: int, field: str, rows: list[dict]) -> tuple[bytes, str, str]:
    """The table ``field`` of the task's form with ``rows`` (the task's current values) as XLSX."""
    task, prop = _table(actor, task_id, field)
    columns = _columns(prop)
    header = [content_text(p.get("title") or name) for name, p in columns]
    body = []
    for row in rows or []:
        line: list = []
        for name, p in columns:
            value = row.get(name) if isinstance(row, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not labels.options(p):
                line.append(value)
            else:
                line.append(labels.display(p, value) or None)
        body.append(line)
    name = f"{(task.business_key or f'task-{task.id}').replace('/', '-')}-{field}.xlsx"
    return (
        spreadsheets.xlsx_bytes(content_text(prop.get("title") or field), header, body),
        spreadsheets.XLSX_MIMETYPE,
        name,
    )


def _cell_value(prop: dict, value):
    """An Excel cell as the form's value: option label -> value, whole float -> int, dates -> ISO."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = value.strip()
    opts = labels.options(prop)
    if opts:
        by_label = {label.lower(): v for v, label in opts.items()}
        text = str(value).lower()
        raw = by_label.get(text, str(value) if str(value) in opts else value)
        enum = prop.get("enum") or [a.get("const") for a in prop.get("oneOf") or []]
        for candidate in enum:
            if str(candidate) == str(raw):
                return candidate
        return raw
    kind = prop.get("type")
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if prop.get("format") == "date" and isinstance(value, str):
        day, month, year = ([whole_number(p) for p in value.split(".")] + [None, None, None])[:3]
        if value.count(".") == 2 and day is not None and month is not None and year is not None:
            return f"{year}-{month:02d}-{day:02d}"  # a wrong date is then refused by the form's check
        return value
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            text = value.replace(" ", "").replace("\u00a0", "")
            number = whole_number(text, signed=True)
            return value if number is None else number
        return value
    if kind == "number":
        if isinstance(value, str):
            try:
                return float(value.replace(" ", "").replace(",", "."))
            except ValueError:
                return value
        return value
    if kind == "boolean":
        text = str(value).strip().lower()
        return {
            "да": True,
            "yes": True,
            "true": True,
            "1": True,
            "нет": False,
            "no": False,
            "false": False,
            "0": False,
        }.get(text, value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table_xlsx(actor: Actor, task_id: int, field: str, content: bytes) -> list[dict]:
    """The rows of an uploaded workbook for the task's table ``field``, validated by the form.

    Raises Invalid with ``fields["rows"]`` = the problems, each naming the row (as Excel numbers it) and column.
    """
    task, prop = _table(actor, task_id, field)
    if task.status != "open":
        raise Conflict("the task is already closed")
    if acting_identity(actor, task) is None:
        raise Forbidden("the task is not in your groups")
    if not content or len(content) > MAX_BYTES:
        raise Invalid("choose an XLSX file of at most 2 MB", fields={"file": "xlsx"})
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    except Exception:  # noqa: BLE001 - whatever openpyxl finds wrong, the answer is "not a workbook"
        raise Invalid("the file is not an XLSX workbook", fields={"file": "xlsx"}) from None
    if not lines:
        raise Invalid("the workbook is empty", fields={"file": "xlsx"})
    columns = _columns(prop)
    by_title = {}
    for name, p in columns:
        for key in (name, p.get("title") or name, content_text(p.get("title") or name)):
            by_title[str(key).strip().lower()] = name
    header = [by_title.get(str(h).strip().lower()) if h is not None else None for h in lines[0]]
    problems = [
        f"Столбец {i + 1} «{h}»: нет такого столбца в форме"
        for i, h in enumerate(lines[0])
        if h is not None and str(h).strip() and header[i] is None
    ]
    props = dict(columns)
    rows, numbers = [], []
    for excel_row, line in enumerate(lines[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
            continue
        row = {}
        for i, value in enumerate(line):
            column = header[i] if i < len(header) else None
            if column is None or "x-compute" in props[column]:
                continue
            converted = _cell_value(props[column], value)
            if converted is not None:
                row[column] = converted
        rows.append(row)
        numbers.append(excel_row)
        if len(rows) > MAX_ROWS:
            raise Invalid("too many rows", fields={"file": f"at most {MAX_ROWS} rows"})
    wrapper = {"type": "object", "properties": {field: prop}}
    _clean, errors = form_schemas.validate(wrapper, {field: rows})
    titles = {name: content_text(p.get("title") or name) for name, p in columns}
    for e in errors:
        parts = e.path.split("/")
        if len(parts) >= 2 and parts[1].isdigit():
            where = f"Строка {numbers[int(parts[1])]}"
            if len(parts) >= 3:
                where += f", столбец «{titles.get(parts[2], parts[2])}»"
            problems.append(f"{where}: {e.message}")
        else:
            problems.append(e.message)
    if problems:
        raise Invalid("the table has errors", fields={"rows": problems})
    return rows
