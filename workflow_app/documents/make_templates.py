"""Writes the default Word templates of the documents (order.docx, protocol.docx, table.docx) beside this file.

The .docx files are the templates (docxtpl: Jinja tags inside a Word document); an official may open them in
Word and change fonts, margins, the header or the wording around the tags, and the app uses the edited file.
This script only recreates the defaults (``python -m workflow_app.documents.make_templates``) and overwrites
edits, so run it only to start over. Tags the renderer fills (services/documents/render.py):
``issuer``, ``doc_type``, ``number_line``, ``place``, ``heading``, ``subtitle``, ``sections`` (each
``heading``, ``paragraphs``, ``table`` — a sub-document), ``visas`` and ``signatories`` (``position``,
``name``, ``date``).
"""

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent


def _para(doc, text, *, bold=False, size=None, align=None, space_after=6):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(space_after)
    return p


def _loop_table(doc, head, cells, loop, widths):
    """A table whose middle row repeats for every item of ``loop`` (docxtpl's {%tr %} rows)."""
    rows = 3 + (1 if head else 0)
    table = doc.add_table(rows=rows, cols=len(cells))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    r = 0
    if head:
        for i, text in enumerate(head):
            table.cell(0, i).text = text
            table.cell(0, i).paragraphs[0].runs[0].bold = True
        table.style = "Table Grid"
        r = 1
    table.cell(r, 0).text = "{%tr for v in " + loop + " %}"
    for i, text in enumerate(cells):
        table.cell(r + 1, i).text = text
    table.cell(r + 2, 0).text = "{%tr endfor %}"
    for row in table.rows:
        for i, w in enumerate(widths):
            row.cells[i].width = Cm(w)
    return table


def build(name: str, landscape: bool) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12 if landscape else 14)
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(1.5)
    else:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2.0)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "{{ issuer }}", bold=True, align=center)
    _para(doc, "{{ doc_type }}", bold=True, size=16, align=center, space_after=12)
    line = doc.add_table(rows=1, cols=2)
    line.cell(0, 0).text = "{{ number_line }}"
    line.cell(0, 1).text = "{{ place }}"
    line.cell(0, 1).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, "{%p if subtitle %}")
    _para(doc, "{{ subtitle }}", align=center)
    _para(doc, "{%p endif %}")
    _para(doc, "{{ heading }}", bold=True, align=center, space_after=12)
    _para(doc, "{%p for s in sections %}")
    _para(doc, "{%p if s.heading %}")
    _para(doc, "{{ s.heading }}", bold=True)
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for para in s.paragraphs %}")
    body = _para(doc, "{{ para }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    body.paragraph_format.first_line_indent = Cm(1.25)
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if s.table %}")
    _para(doc, "{{p s.table }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if visas %}")
    _para(doc, "Лист согласования", bold=True)
    _loop_table(
        doc, ["Должность", "Ф. И. О.", "Дата"], ["{{ v.position }}", "{{ v.name }}", "{{ v.date }}"], "visas", [8, 5, 3]
    )
    _para(doc, "{%p endif %}")
    _para(doc, "")
    _loop_table(doc, None, ["{{ v.position }}", "________________", "{{ v.name }}"], "signatories", [8, 4, 5])
    path = HERE / f"{name}.docx"
    doc.save(str(path))
    return path


def main() -> None:
    for name, landscape in (("order", False), ("protocol", False), ("table", True)):
        print(build(name, landscape))


if __name__ == "__main__":
    main()
