"""What each document says, as plain data (:class:`Doc`); the renderers lay it out as DOCX and PDF.

A document has the official layout: the issuing body or department, the kind of document, its number and
date, the place, the heading, the text in sections (paragraphs and tables), the signatories with their
positions, and for an order the approval sheet (visas). The protocol of a collegial body lists the
attendance, the quorum, and per question the decision, the votes and the instructions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ...extensions import db
from ...models import HumanTask, Organisation
from ...roles import ROLES
from .. import chains_config
from ..materials import Block, Case, labels
from ..materials import builtin as material_blocks
from ..people.names import user_names


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    totals: list[str] | None = None
    widths: list[float] | None = None  # relative widths


@dataclass
class Section:
    heading: str = ""
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass
class Signatory:
    position: str
    name: str
    date: str = ""


@dataclass
class Doc:
    kind: str
    file_stem: str
    issuer: str  # the body or department issuing it
    doc_type: str  # РАСПОРЯЖЕНИЕ, ПРОТОКОЛ, ...
    number: str  # «321-ра», «3»; "" for a draft
    date: str  # ДД.ММ.ГГГГ; "" for a draft
    place: str
    heading: str
    sections: list[Section]
    signatories: list[Signatory]
    visas: list[Signatory] = field(default_factory=list)
    draft: bool = False
    landscape: bool = False
    subtitle: str = ""

    @property
    def number_line(self) -> str:
        parts = [self.date] if self.date else []
        if self.number:
            parts.append(f"№ {self.number}")
        if self.draft:
            parts.append("ПРОЕКТ")
        return "   ".join(parts)


def table_of(block: Block, drop: tuple[str, ...] = ()) -> Table:
    """A material block as a document table (texts, totals; the change mark as a last column)."""
    keep = [i for i, c in enumerate(block.columns) if c.key not in drop]
    marks = any(r.mark_label for r in block.rows)
    columns = [block.columns[i].label for i in keep] + (["Изменение"] if marks else [])
    rows = [[r.cells[i].text for i in keep] + ([r.mark_label] if marks else []) for r in block.rows]
    totals = [block.totals[i].text for i in keep] + ([""] if marks else []) if block.totals else None
    widths = [3.0 if block.columns[i].wide else 1.0 for i in keep] + ([1.2] if marks else [])
    return Table(columns, rows, totals, widths)


def _completed(instance, form_keys: tuple[str, ...]) -> list[HumanTask]:
    return list(
        db.session.execute(
            select(HumanTask)
            .where(
                HumanTask.instance_id == instance.id,
                HumanTask.status == "completed",
                HumanTask.form_key.in_(form_keys),
            )
            .order_by(HumanTask.completed_at, HumanTask.id)
        ).scalars()
    )


def _group_name(group_id: str | None) -> str:
    names = ROLES.get(group_id or "")
    return names[0] if names else ""


def _org_name(org_id) -> str:
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    return org.name if org is not None else ""


def _stem(instance, kind: str) -> str:
    key = (instance.business_key or f"case-{instance.id}").replace("/", "-")
    return f"{kind}-" + "".join(ch for ch in key if ch.isalnum() or ch in "-_")


# --- the order (распоряжение) -------------------------------------------------------------------------------------

VISA_FORMS = ("order_visa",)
SIGN_FORMS = ("order_sign",)
ORDER_FORMS = ("order_draft",)


def has_order(case: Case) -> bool:
    return bool(case.data.get("act_title") and case.data.get("draft_text"))


def order(case: Case) -> Doc:
    cfg = chains_config.config()
    data = case.data
    act_type = str(data.get("act_type") or cfg.get("act_type") or "")
    doc_type, _sep, rest = act_type.partition(" ")
    issuer = str(cfg.get("issuer") or _issuer_from(rest) or "")
    number, day = str(data.get("order_number") or ""), labels.date_text(data.get("order_date") or "")
    registered = bool(number and day)
    sections = [Section(paragraphs=[p.strip() for p in str(data.get("draft_text") or "").splitlines() if p.strip()])]
    block = material_blocks.kcp_table(case)
    if block is not None:
        appendix = f"Приложение к {_genitive_act(act_type)}"
        if registered:
            appendix += " " + f"от {day} № {number}"
        sections.append(Section(heading=appendix + "\n" + block.title, table=table_of(block, drop=("proposed_kcp",))))
    signed = _completed(case.instance, SIGN_FORMS)
    visas = _completed(case.instance, VISA_FORMS)
    names = user_names({t.completed_by_id for t in signed + visas})
    signer = signed[-1] if signed and (signed[-1].submitted or {}).get("decision") == "sign" else None
    signatory = Signatory(
        str(data.get("signatory") or cfg.get("signatory") or ""),
        names.get(signer.completed_by_id, "") if signer else "",
        labels.date_text(signer.completed_at)[:10] if signer else "",
    )
    visa_rows = [
        Signatory(
            _group_name(t.candidate_group) or t.name,
            names.get(t.completed_by_id, ""),
            labels.date_text(t.completed_at)[:10],
        )
        for t in visas
        if (t.submitted or {}).get("decision") in ("approve", "agree", "sign")
    ]
    return Doc(
        kind="order",
        file_stem=_stem(case.instance, "order"),
        issuer=issuer.upper(),
        doc_type=(doc_type or "распоряжение").upper(),
        number=number,
        date=day,
        place=str(cfg.get("place") or "г. Томск"),
        heading=str(data.get("act_title") or ""),
        sections=sections,
        signatories=[signatory],
        visas=visa_rows,
        draft=not registered,
    )


def _genitive_act(act_type: str) -> str:
    """«распоряжение Администрации …» -> «распоряжению Администрации …» (the dative after «Приложение к»)."""
    word, _sep, rest = act_type.partition(" ")
    dative = {"распоряжение": "распоряжению", "постановление": "постановлению", "приказ": "приказу"}.get(word, word)
    return f"{dative} {rest}".strip()


def _issuer_from(genitive: str) -> str:
    """«Администрации Томской области» -> «Администрация Томской области» (the usual act issuers)."""
    words = genitive.split(" ", 1)
    if not words or not words[0]:
        return ""
    first = {"Администрации": "Администрация", "Правительства": "Правительство", "Губернатора": "Губернатор"}.get(
        words[0], words[0]
    )
    return " ".join([first, *words[1:]])


# --- tables of a case: the consolidated КЦП table, the list of professions, the staffing plan --------------------


def _table_doc(case: Case, kind: str, block: Block, made_by_forms: tuple[str, ...], doc_type: str) -> Doc:
    made = _completed(case.instance, made_by_forms)
    names = user_names({t.completed_by_id for t in made})
    last = made[-1] if made else None
    signatory = Signatory(
        _group_name(last.candidate_group) if last else "",
        names.get(last.completed_by_id, "") if last else "",
        labels.date_text(last.completed_at)[:10] if last else "",
    )
    sections = []
    if block.note:
        sections.append(Section(paragraphs=[block.note]))
    sections.append(Section(table=table_of(block)))
    return Doc(
        kind=kind,
        file_stem=_stem(case.instance, kind),
        issuer=_org_name(case.instance.initiator_org_id).upper(),
        doc_type=doc_type,
        number=case.instance.business_key or "",
        date=signatory.date,
        place=str(chains_config.config().get("place") or "г. Томск"),
        heading=block.title,
        sections=sections,
        signatories=[signatory] if last else [],
        draft=last is None,
        landscape=len(block.columns) > 6,
    )


def kcp_table(case: Case) -> Doc | None:
    block = material_blocks.kcp_table(case)
    if block is None:
        return None
    return _table_doc(case, "kcp_table", block, ("kcp_consolidation",), "СВОДНАЯ ТАБЛИЦА")


def professions_list(case: Case) -> Doc | None:
    block = material_blocks.professions_table(case)
    if block is None:
        return None
    return _table_doc(case, "professions_list", block, ("professions_consolidation",), "ПЕРЕЧЕНЬ")


def staffing_plan(case: Case) -> Doc | None:
    plan_form = (case.instance.model.forms or {}).get("staffing_plan")
    if not plan_form or not case.data.get("lines") or not case.data.get("measures"):
        return None
    sub = Case(case.actor, case.instance, case.data)
    blocks = {b.key: b for b in material_blocks.form_tables(sub, exclude_own=False)}
    lines, measures = blocks.get("form-lines"), blocks.get("form-measures")
    if lines is None:
        return None
    doc = _table_doc(case, "staffing_plan", lines, ("staffing_plan",), "КАДРОВЫЙ ПЛАН")
    doc.heading = str(plan_form.get("title") or doc.heading)
    doc.subtitle = str(case.data.get("project_name") or "")
    doc.sections = [Section(heading=lines.title, table=table_of(lines))]
    if measures is not None:
        doc.sections.append(Section(heading=measures.title, table=table_of(measures)))
    if case.data.get("summary"):
        doc.sections.append(Section(paragraphs=[str(case.data["summary"])]))
    doc.landscape = True
    return doc


# --- the protocol of a collegial body --------------------------------------------------------------------------

ROLE_LABELS = {
    "chair": "Председатель",
    "deputy_chair": "Заместитель председателя",
    "secretary": "Секретарь",
    "member": "Член",
}


def protocol(view: dict, file_stem: str) -> Doc:
    """The protocol from the council's protocol view (``council.protocol_view``)."""
    signed = view.get("status") == "signed"
    q = view.get("quorum") or {}
    present_rows = []
    for m in view.get("composition") or []:
        sub = m.get("substitute")
        state = "присутствовал(а)" if m.get("present") else (f"заменён(а): {sub['name']}" if sub else "отсутствовал(а)")
        present_rows.append([m.get("name") or "", _role(m.get("role")), m.get("position") or "", state])
    sections = [
        Section(
            heading="Присутствовали",
            table=Table(["Ф. И. О.", "Роль в органе", "Должность", "Участие"], present_rows, widths=[2, 1.3, 2.5, 1.4]),
        ),
        Section(
            paragraphs=[
                "Кворум {state}: присутствуют {present} из {members} членов с правом голоса (необходимо не менее {required}).".format(
                    state="имеется" if q.get("reached") else "отсутствует",
                    present=q.get("present", 0),
                    members=q.get("members", 0),
                    required=q.get("required", 0),
                )
            ]
        ),
    ]
    agenda = [f"{i['question']}. {i['title']}" for i in view.get("items") or []]
    if agenda:
        sections.append(Section(heading="Повестка дня", paragraphs=agenda))
    for item in view.get("items") or []:
        d = item.get("decision")
        paras = []
        if d is None:
            paras.append("Рассмотрение перенесено." if item.get("status") == "postponed" else "Решение не принято.")
        else:
            label = d.get("outcome_label") or ""
            head = f"Решение № {d.get('number')}: {label}" if d.get("number") else f"Решение: {label}"
            paras.append(head)
            if d.get("text"):
                paras.append(str(d["text"]))
            v = d.get("votes") or {}
            votes = "Голосовали: «за» — {}, «против» — {}, «воздержались» — {}.".format(
                v.get("for") or 0, v.get("against") or 0, v.get("abstained") or 0
            )
            if v.get("chair_casting_vote"):
                votes += " " + "При равенстве голосов решающим был голос председательствующего."
            paras.append(votes)
            for ins in d.get("instructions") or []:
                paras.append(
                    "Поручение: {} Исполнитель: {}. Срок: {}.".format(
                        ins.get("text") or "",
                        ins.get("executor") or "",
                        labels.date_text(ins.get("deadline") or ""),
                    )
                )
            if d.get("ref"):
                paras.append(f"Протокол № / вопрос № / решение №: {d['ref']}")
        sections.append(Section(heading=f"Вопрос {item['question']}. {item['title']}", paragraphs=paras))
    chair = view.get("signed_by_chair") or {}
    secretary = view.get("signed_by_secretary") or {}
    signatories = [
        Signatory(
            "Председательствующий", chair.get("name") or "", labels.date_text((view.get("signed_at") or "")[:10])
        ),
        Signatory(
            ROLE_LABELS["secretary"],
            secretary.get("name") or "",
            labels.date_text((view.get("secretary_signed_at") or "")[:10]),
        ),
    ]
    return Doc(
        kind="protocol",
        file_stem=file_stem,
        issuer=str(view.get("body_name") or "").upper(),
        doc_type="ПРОТОКОЛ",
        number=str(view.get("number") or "") if signed else "",
        date=labels.date_text(view.get("date") or ""),
        place=str(view.get("place") or "г. Томск"),
        heading=f"заседания: {view.get('body_name') or ''}",
        sections=sections,
        signatories=signatories,
        draft=not signed,
    )


def _role(role) -> str:
    return ROLE_LABELS.get(role or "", role or "")
