"""The one writer of every CSV and XLSX the product hands out (public tables, audit exports, ...).

Text that a spreadsheet program would run as a formula — starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, also after leading blanks — is neutralised: in CSV it gets a leading apostrophe (the value
is shown as typed, nothing is evaluated); in XLSX every text cell is stored as a string cell, never a
formula, and gets the same apostrophe so a copy into another sheet stays inert. Numbers stay numbers (a
negative number is a number, not text). Nested values (dicts, lists) are written as JSON text.
"""

import csv
import io
import json

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"


def cell(value):
    """A flat, inert cell value."""
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.lstrip(" \u00a0").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header, rows, *, delimiter: str = ",") -> bytes:
    """UTF-8 with a BOM (spreadsheet programs then read Cyrillic text correctly)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet: str, header, rows) -> bytes:
    return xlsx_book([(sheet, header, rows)])


def xlsx_book(sheets) -> bytes:
    """One workbook of several sheets: ``sheets`` is a list of (name, header, rows)."""
    from openpyxl import Workbook  # only when a workbook is asked for: server start-up stays quick
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for name, header, rows in sheets:
        ws = wb.create_sheet(str(name)[:31])

        def line(values, ws=ws):
            cells = []
            for value in values:
                value = cell(value)
                c = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    c.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(c)
            return cells

        ws.append(line(header))
        for row in rows:
            ws.append(line(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
