"""The documents of a case and of a meeting: the order (распоряжение), the consolidated КЦП table, the list of
professions, the staffing plan, the protocol of a collegial body — as DOCX and PDF.

A document is rendered from the case data while the case runs (a draft), and **fixed at signing**: when the
order is registered (its number and date given) and when the presiding chair signs a protocol, the files are
rendered once, stored (``fixed_document``) and their SHA-256 recorded in the audit chain (``document_fixed``)
in the signing transaction. Every later download returns exactly those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import flask_babel
from sqlalchemy import select

from ...extensions import db
from ...models import FixedDocument, HumanTask, Meeting, ProcessInstance, Publication
from ..errors import Invalid, NotFound
from ..materials import Case, case_data
from ..people.access import require_instance_visible
from ..people.actors import Actor
from . import content, render

FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class Kind:
    kind: str
    title: str
    build: Callable[[Case], content.Doc | None]


KINDS = (
    Kind("order", "Распоряжение", lambda case: content.order(case) if content.has_order(case) else None),
    Kind("kcp_table", "Сводная таблица изменений КЦП", content.kcp_table),
    Kind("professions_list", "Перечень профессий", content.professions_list),
    Kind("staffing_plan", "Кадровый план", content.staffing_plan),
)
KIND_BY_NAME = {k.kind: k for k in KINDS}
# fixed when the order is registered: the order and its appendix table
FIXED_AT_REGISTRATION = ("order", "kcp_table")
# fixed when the Working Group's list is published (the list in force)
FIXED_AT_PUBLICATION = ("professions_list",)
PUBLIC_KINDS = FIXED_AT_REGISTRATION + FIXED_AT_PUBLICATION  # never the staffing plan: it is an investor's


@contextmanager
def russian():
    """Documents are official Russian texts whatever the reader's UI language (labels from the catalogs)."""
    try:
        with flask_babel.force_locale("ru"):
            yield
    except (KeyError, RuntimeError):  # no Babel in this app/context: the msgids stand
        yield


def _build(kind: str, case: Case) -> content.Doc | None:
    with russian():
        return KIND_BY_NAME[kind].build(case)


@dataclass
class DocFile:
    fmt: str
    fixed: bool
    sha256: str | None = None
    size: int | None = None


@dataclass
class DocEntry:
    kind: str
    title: str
    number: str
    date: str
    draft: bool
    files: list[DocFile] = field(default_factory=list)


@dataclass
class TaskDocuments:
    items: list[DocEntry]
    preview: content.Doc | None  # the act being signed, shown as the main content of a signing step


def fixed_files(instance_id: int | None = None, protocol_id: int | None = None) -> dict:
    q = select(FixedDocument)
    q = q.where(FixedDocument.instance_id == instance_id) if instance_id is not None else q
    q = q.where(FixedDocument.protocol_id == protocol_id) if protocol_id is not None else q
    return {(f.kind, f.fmt): f for f in db.session.execute(q).scalars()}


def _entries(case: Case) -> list[DocEntry]:
    fixed = fixed_files(instance_id=case.instance.id)
    out = []
    for k in KINDS:
        doc = _build(k.kind, case)
        if doc is None:
            continue
        files = []
        for fmt in FORMATS:
            f = fixed.get((k.kind, fmt))
            files.append(DocFile(fmt, f is not None, f.sha256 if f else None, f.size if f else None))
        fixed_any = any(x.fixed for x in files)
        out.append(DocEntry(k.kind, k.title, doc.number, doc.date, doc.draft and not fixed_any, files))
    return out


def for_instance(actor: Actor, instance_id: int) -> list[DocEntry]:
    """The documents of a case the actor may see (drafts and fixed ones)."""
    instance = require_instance_visible(actor, instance_id)
    return _entries(Case(actor, instance, case_data(instance)))


def for_task(actor: Actor, task: HumanTask, data: dict | None = None) -> TaskDocuments:
    """The task page's documents; on a step after the act was drafted, the act itself as the preview."""
    case = Case(actor, task.instance, data if data is not None else case_data(task.instance), task)
    entries = _entries(case)
    own = set(case.own_form.get("properties") or {})
    preview = None
    if content.has_order(case) and "draft_text" not in own and task.status == "open":
        preview = _build("order", case)
    return TaskDocuments(entries, preview)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Invalid("unknown document format", fields={"format": "docx or pdf"})


def instance_file(actor: Actor, instance_id: int, kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, mimetype, file name): the fixed file when the act is signed, else rendered from the case now."""
    check_format(fmt)
    instance = require_instance_visible(actor, instance_id)
    return _instance_file(instance, kind, fmt, Case(actor, instance, {}))


def _instance_file(instance: ProcessInstance, kind: str, fmt: str, case: Case) -> tuple[bytes, str, str]:
    if kind not in KIND_BY_NAME:
        raise NotFound("no such document")
    stored = fixed_files(instance_id=instance.id).get((kind, fmt))
    if stored is not None:
        return stored.content, mime(fmt), stored.file_name
    case.data = case.data or case_data(instance)
    doc = _build(kind, case)
    if doc is None:
        raise NotFound("this case has no such document yet")
    return render.render(doc, fmt)


def mime(fmt: str) -> str:
    return render.DOCX_MIME if fmt == "docx" else render.PDF_MIME


def _store(uow, doc: content.Doc, *, instance=None, protocol=None) -> list[FixedDocument]:
    rows = []
    for fmt in FORMATS:
        body, _mimetype, name = render.render(doc, fmt)
        digest = hashlib.sha256(body).hexdigest()
        row = FixedDocument(
            instance_id=getattr(instance, "id", None),
            protocol_id=getattr(protocol, "id", None),
            kind=doc.kind,
            fmt=fmt,
            file_name=name,
            sha256=digest,
            size=len(body),
            content=body,
        )
        db.session.add(row)
        rows.append(row)
        uow.record(
            "document_fixed",
            instance=instance,
            payload={
                "kind": doc.kind,
                "format": fmt,
                "file_name": name,
                "sha256": digest,
                "size": len(body),
                "number": doc.number,
                "date": doc.date,
                **({"protocol_id": protocol.id} if protocol is not None else {}),
            },
        )
    uow.flush()
    return rows


def fix_registered_order(uow, actor: Actor, instance: ProcessInstance, data: dict) -> list[FixedDocument]:
    """In the registration's unit of work: render the order (and its appendix table) once and keep the bytes."""
    return fix_case_documents(uow, actor, instance, data, FIXED_AT_REGISTRATION)


def fix_case_documents(
    uow, actor: Actor, instance: ProcessInstance, data: dict, kinds: tuple[str, ...]
) -> list[FixedDocument]:
    """In the deciding unit of work (registration, publication): the case's documents of ``kinds``, rendered
    once; their bytes are kept and their SHA-256 recorded, so every later download returns exactly them."""
    case = Case(actor, instance, data)
    existing = fixed_files(instance_id=instance.id)
    rows = []
    for kind in kinds:
        if any((kind, fmt) in existing for fmt in FORMATS):
            continue
        doc = _build(kind, case)
        if doc is not None and not doc.draft:
            rows += _store(uow, doc, instance=instance)
    return rows


# --- protocols of collegial bodies -------------------------------------------------------------------------------


def protocol_stem(view: dict) -> str:
    number = view.get("number") or f"draft-{view.get('meeting_id')}"
    return f"protocol-{view.get('body')}-{view.get('year')}-{number}"


def fix_protocol(uow, meeting: Meeting, view: dict) -> list[FixedDocument]:
    """In the chair's signing unit of work: the protocol's files, fixed (``view`` is the signed protocol's view)."""
    protocol = meeting.protocol
    with russian():
        doc = content.protocol(view, protocol_stem(view))
    return _store(uow, doc, protocol=protocol)


# --- public pages: the fixed order behind a publication ------------------------------------------------------------


def publication_documents(pub: Publication) -> list[FixedDocument]:
    """The fixed files of the act behind a publication (an order's, never a case's own data)."""
    if pub.source_instance_id is None:
        return []
    rows = fixed_files(instance_id=pub.source_instance_id)
    return [rows[k] for k in sorted(rows) if k[0] in PUBLIC_KINDS]


def public_file(pub: Publication, kind: str, fmt: str) -> tuple[bytes, str, str]:
    check_format(fmt)
    for row in publication_documents(pub):
        if row.kind == kind and row.fmt == fmt:
            return row.content, mime(fmt), row.file_name
    raise NotFound("no such document")
