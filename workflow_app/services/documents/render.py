"""A :class:`~.content.Doc` as DOCX (docxtpl, from the Word templates in workflow_app/documents/) and as PDF
(WeasyPrint, from workflow_app/documents/official.html). The template directory may be replaced by
``DOCUMENT_TEMPLATES_DIR`` (an official's edited copies)."""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

from flask import current_app, has_app_context
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .content import Doc, Table

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "documents"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"
TEMPLATE_OF = {"order": "order.docx", "protocol": "protocol.docx"}  # every other kind: table.docx


def templates_dir() -> Path:
    if has_app_context() and current_app.config.get("DOCUMENT_TEMPLATES_DIR"):
        return Path(current_app.config["DOCUMENT_TEMPLATES_DIR"])
    return DEFAULT_DIR


def _table_subdoc(tpl, table: Table):
    from docx.shared import Pt

    sd = tpl.new_subdoc()
    rows = len(table.rows) + 1 + (1 if table.totals else 0)
    t = sd.add_table(rows=rows, cols=len(table.columns))
    t.style = "Table Grid"
    for i, label in enumerate(table.columns):
        cell = t.cell(0, i)
        cell.text = label
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(9)
    for r, row in enumerate(table.rows, start=1):
        for i, value in enumerate(row):
            t.cell(r, i).text = value
            for run in t.cell(r, i).paragraphs[0].runs:
                run.font.size = Pt(9)
    if table.totals:
        for i, value in enumerate(table.totals):
            t.cell(rows - 1, i).text = value
            for run in t.cell(rows - 1, i).paragraphs[0].runs:
                run.bold = True
                run.font.size = Pt(9)
    return sd


def docx(doc: Doc) -> bytes:
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(templates_dir() / TEMPLATE_OF.get(doc.kind, "table.docx")))
    context = asdict(doc)
    context["number_line"] = doc.number_line
    context["sections"] = [
        {"heading": s.heading, "paragraphs": s.paragraphs, "table": _table_subdoc(tpl, s.table) if s.table else None}
        for s in doc.sections
    ]
    tpl.render(context, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def html(doc: Doc) -> str:
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=select_autoescape(["html"]))
    return env.get_template("official.html").render(doc=doc)


def pdf(doc: Doc) -> bytes:
    from weasyprint import HTML

    return HTML(string=html(doc)).write_pdf()


def render(doc: Doc, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, mimetype, file name) of the document in ``fmt`` (docx or pdf)."""
    if fmt == "docx":
        return docx(doc), DOCX_MIME, f"{doc.file_stem}.docx"
    return pdf(doc), PDF_MIME, f"{doc.file_stem}.pdf"
