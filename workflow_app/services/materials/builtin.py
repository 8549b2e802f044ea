"""The built-in material providers: the consolidated КЦП table, the draft list of professions, the tables of
the case's other forms (request lines, staffing plan, questionnaire), the opinions given so far, attachments.

Labels come from the forms (the deployed models' snapshots), so the chains' texts can change without code.
"""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...i18n import content_text
from ...models import HumanTask, ProcessInstance, ProcessModel, Publication, TaskAttachment
from ..people.access import visible_instances_clause
from ..people.names import user_names
from . import labels
from .core import Block, Case, Cell, Column, Row, provider

_ = labels._

# Row keys of the consolidated КЦП table (raw values, also the pre-fill source of a council's or ДепПО's table).
KCP_KEY = ("business_key", "programme_code", "form_of_study")


def form_schema(case: Case, form_key: str) -> dict:
    """A form by key: the instance's own model first, else the newest deployed model that has it."""
    own = (case.instance.model.forms or {}).get(form_key)
    if isinstance(own, dict):
        return own
    for forms in db.session.execute(select(ProcessModel.forms).order_by(ProcessModel.id.desc())).scalars():
        if isinstance(forms, dict) and isinstance(forms.get(form_key), dict):
            return forms[form_key]
    return {}


def _items_schema(schema: dict, array: str) -> dict:
    prop = (schema.get("properties") or {}).get(array) or {}
    items = prop.get("items")
    return items if isinstance(items, dict) else {}


def _year(data: dict) -> int | None:
    """The case's year, or None when it is missing or not a number."""
    value = data.get("year")
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- chain (a): the consolidated КЦП table ----------------------------------------------------------------------


def _kcp_rows(data: dict) -> list[dict]:
    lines = (data.get("kcp_requests") or {}).get("lines") or []
    adjust = {tuple(a.get(k) for k in KCP_KEY): a.get("proposed_kcp") for a in data.get("adjustments") or []}
    changes = {tuple(c.get(k) for k in KCP_KEY): c.get("approved_kcp") for c in data.get("changes") or []}
    rows = []
    for line in lines:
        key = tuple(line.get(k) for k in KCP_KEY)
        proposed = adjust.get(key, line.get("proposed_kcp"))
        final = changes.get(key, proposed)
        current = line.get("current_kcp") or 0
        rows.append(
            {
                **line,
                "proposed_kcp": proposed,
                "recommended_kcp": changes.get(key),
                "approved_kcp": final,
                "delta": (final or 0) - current,
            }
        )
    rows.sort(key=lambda r: (r.get("college") or "", r.get("programme_code") or ""))
    return rows


def kcp_table(case: Case) -> Block | None:
    """The consolidated КЦП table of a campaign (also used by the documents)."""
    rows = _kcp_rows(case.data)
    if not rows:
        return None
    request_items = _items_schema(form_schema(case, "kcp_request"), "lines")
    item_props = dict(request_items.get("properties") or {})
    columns = [
        ("college", _("Educational organisation (ПОО)"), {"wide": True}),
        ("level", item_props.get("level", {}).get("title") or _("Level")),
        ("programme_code", _("Code")),
        ("programme_name", _("Profession / specialty"), {"wide": True}),
        ("form_of_study", item_props.get("form_of_study", {}).get("title") or _("Form of study")),
        ("base", item_props.get("base", {}).get("title") or _("Basis")),
        ("current_kcp", _("КЦП in force")),
        ("requested_kcp", _("Requested")),
        ("proposed_kcp", _("Proposed by ДепПО")),
    ]
    totals = ["current_kcp", "requested_kcp", "proposed_kcp", "approved_kcp", "delta"]
    if any(r.get("recommended_kcp") is not None for r in rows):
        columns.append(("recommended_kcp", _("Recommended by the Expert Council")))
        totals.append("recommended_kcp")
    columns += [("approved_kcp", _("New КЦП")), ("delta", _("Change, places"))]

    def marks(r):
        if not r.get("current_kcp") and r.get("approved_kcp"):
            return "added", _("new line")
        if r["delta"] > 0:
            return "changed", _("increase")
        if r["delta"] < 0:
            return "removed", _("decrease")
        return None, ""

    changed = sum(1 for r in rows if r["delta"])
    total = sum(r["delta"] for r in rows)
    year = _year(case.data)
    title = _("Consolidated КЦП changes for %(year)s", year=year) if year else _("Consolidated КЦП changes")
    note = _(
        "Requests: %(requests)s; lines: %(lines)s, changed: %(changed)s; total change: %(total)s.",
        requests=len((case.data.get("kcp_requests") or {}).get("requests") or []),
        lines=len(rows),
        changed=changed,
        total=("+" if total > 0 else "") + labels.number_text(total),
    )
    block = Block.table(
        "kcp-consolidated", title, columns, rows, totals=tuple(totals), schema=request_items, note=note, marks=marks
    )
    return block


@provider(order=10)
def kcp_consolidated(case: Case) -> list[Block]:
    block = kcp_table(case)
    if block is None:
        return []
    case.consumed.update({"kcp_requests", "adjustments", "changes"})
    out = [block]
    requests = (case.data.get("kcp_requests") or {}).get("requests") or []
    if requests:
        assessment = form_schema(case, "kcp_assessment")
        opinion_prop = (assessment.get("properties") or {}).get("opinion") or {}
        out.append(
            Block.table(
                "kcp-requests",
                _("Requests considered"),
                [
                    ("business_key", _("Request")),
                    ("college", _("Educational organisation (ПОО)"), {"wide": True}),
                    ("opinion", opinion_prop.get("title") or _("Opinion of ДепПО")),
                ],
                requests,
                schema={"properties": {"opinion": opinion_prop}},
            )
        )
    return out


# --- chain (b): the draft list of professions ------------------------------------------------------------------


def professions_table(case: Case) -> Block | None:
    items = (case.data.get("proposals") or {}).get("items") or []
    if not items:
        return None
    schema = _items_schema(form_schema(case, "professions_proposal"), "items")
    props = schema.get("properties") or {}
    dropped = {
        str(p).strip().lower() for p in (case.data.get("excluded_items") or []) + (case.data.get("removed_items") or [])
    }
    rows = []
    for item in items:
        row = dict(item)
        if str(item.get("profession", "")).strip().lower() in dropped:
            row["_dropped"] = True
        rows.append(row)
    year = _year(case.data)
    in_force = _published_professions(year - 1) if year else []
    mentioned = {str(i.get("profession", "")).strip().lower() for i in items}
    for old in in_force:
        if str(old.get("profession", "")).strip().lower() not in mentioned:
            rows.append({**old, "action": None, "_in_force": True})
    action_opts = labels.options(props.get("action") or {})

    def marks(r):
        if r.get("_dropped"):
            return "removed", _("not included by decision")
        if r.get("_in_force"):
            return None, _("in force, unchanged")
        action = r.get("action")
        kind = {"add": "added", "modify": "changed", "exclude": "removed"}.get(action)
        return kind, action_opts.get(str(action), "")

    wanted = [
        "action",
        "profession",
        "okpdtr_code",
        "programme_type",
        "grade",
        "duration_hours",
        "sector",
        "vacancies",
        "job_seekers",
        "planned_trainees",
        "providers",
        "proposed_by",
        "justification",
    ]
    columns = []
    for name in wanted:
        if name == "proposed_by":
            columns.append((name, _("Proposed by"), {"wide": True}))
        elif name in props:
            columns.append((name, props[name].get("title") or name, {"wide": name in ("justification", "profession")}))
    title = _("Draft list of professions for %(year)s", year=year) if year else _("Draft list of professions")
    counts: dict = {}
    for r in rows:
        counts[r.get("action")] = counts.get(r.get("action"), 0) + 1
    note = _(
        "Proposals: %(items)s (add %(add)s, modify %(modify)s, exclude %(exclude)s); in force unchanged: %(kept)s.",
        items=len(items),
        add=counts.get("add", 0),
        modify=counts.get("modify", 0),
        exclude=counts.get("exclude", 0),
        kept=counts.get(None, 0),
    )
    return Block.table(
        "professions-draft", title, columns, rows, schema=schema, note=note, marks=marks, totals=("planned_trainees",)
    )


def _published_professions(year: int) -> list[dict]:
    pub = db.session.execute(
        select(Publication)
        .where(Publication.kind == "professions", Publication.key == str(year))
        .order_by(Publication.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return list((pub.payload or {}).get("items") or []) if pub is not None else []


@provider(order=10)
def professions_draft(case: Case) -> list[Block]:
    block = professions_table(case)
    if block is None:
        return []
    case.consumed.update({"proposals", "excluded_items", "removed_items"})
    return [block]


# --- the tables of the case's other forms (request lines, staffing plan, questionnaire) ----------------------


def _summable(name: str, prop: dict) -> bool:
    if prop.get("type") != "integer" or labels.options(prop):
        return False
    if any(word in name for word in ("year", "hours", "grade", "code")):
        return False
    return not (isinstance(prop.get("minimum"), int) and prop["minimum"] >= 1900)


def _computed(row: dict, props: dict) -> dict:
    """The row with its computed cells (x-compute sub/add) filled in, as the form computes them."""
    out = dict(row)
    for name, prop in props.items():
        spec = prop.get("x-compute") if isinstance(prop, dict) else None
        if not isinstance(spec, dict) or (name in out and out[name] is not None):
            continue
        op, operands = next(iter(spec.items()))
        if op not in ("sub", "add"):
            continue
        raw = [o if isinstance(o, (int, float)) else out.get(o) for o in operands]
        values: list[float] = [v for v in raw if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if not values or len(values) != len(raw):
            continue
        out[name] = values[0] - sum(values[1:]) if op == "sub" else sum(values)
    return out


def form_tables(case: Case, exclude_own: bool = True) -> list[Block]:
    """Every table (array of objects) of the model's forms that holds data in this case, labelled by its form."""
    own = set(case.own_form.get("properties") or {}) if exclude_own else set()
    consumed = case.consumed
    out = []
    seen = set()
    for form_key, schema in sorted((case.instance.model.forms or {}).items()):
        if not isinstance(schema, dict) or (exclude_own and form_key == case.own_form_key):
            continue
        for name, prop in labels.ordered_properties(schema):
            value = case.data.get(name)
            if not labels.is_table(prop) or name in own or name in consumed or name in seen:
                continue
            if not (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
                continue
            seen.add(name)
            items = prop["items"]
            props = items.get("properties") or {}
            columns = [
                (col, cprop.get("title") or col, {"wide": (cprop.get("x-ui") or {}).get("widget") == "textarea"})
                for col, cprop in labels.ordered_properties(items)
                if not labels.is_hidden(cprop)
            ]
            rows = [_computed(v, props) for v in value]
            totals = tuple(col for col, cprop in props.items() if isinstance(cprop, dict) and _summable(col, cprop))
            title = content_text(prop.get("title") or name)
            if schema.get("title") and schema["title"] != prop.get("title"):
                title = f"{title} — {content_text(schema['title'])}"
            out.append(Block.table(f"form-{name}", title, columns, rows, totals=totals, schema=items))
    return out


@provider(order=20)
def other_forms(case: Case) -> list[Block]:
    return form_tables(case)


# --- opinions given so far ----------------------------------------------------------------------------------------


def _is_decision_field(name: str) -> bool:
    return name == "decision" or name.endswith("_decision") or name == "opinion"


def _is_remark_field(name: str) -> bool:
    return name in ("comment", "protocol_ref") or name.endswith("_remarks")


@provider(order=80)
def opinions(case: Case) -> list[Block]:
    """Who decided what so far in this case: step, person, time, decision (its label), remarks."""
    tasks = (
        db.session.execute(
            select(HumanTask)
            .where(HumanTask.instance_id == case.instance.id, HumanTask.status == "completed")
            .order_by(HumanTask.completed_at, HumanTask.id)
        )
        .scalars()
        .all()
    )
    names = user_names({t.completed_by_id for t in tasks})
    forms = case.instance.model.forms or {}
    rows = []
    for t in tasks:
        if case.task is not None and t.id == case.task.id:
            continue
        submitted = t.submitted or {}
        props = (forms.get(t.form_key or "") or {}).get("properties") or {}
        decisions = [
            labels.display(props.get(n) or {}, v) for n, v in submitted.items() if _is_decision_field(n) and v != ""
        ]
        remarks = [
            f"{(props.get(n) or {}).get('title') or n}: {v}" if n == "protocol_ref" else str(v)
            for n, v in submitted.items()
            if _is_remark_field(n) and isinstance(v, str) and v.strip()
        ]
        if not decisions and not remarks:
            continue
        rows.append(
            {
                "step": content_text(t.name),
                "who": names.get(t.completed_by_id, ""),
                "when": labels.date_text(t.completed_at) if t.completed_at else "",
                "decision": "; ".join(d for d in decisions if d),
                "remarks": "\n".join(remarks),
            }
        )
    if not rows:
        return []
    return [
        Block.table(
            "opinions",
            _("Opinions and decisions so far"),
            [
                ("step", _("Step"), {"wide": True}),
                ("who", _("By")),
                ("when", _("When")),
                ("decision", _("Decision")),
                ("remarks", _("Remarks"), {"wide": True}),
            ],
            rows,
        )
    ]


# --- attachments of every step -----------------------------------------------------------------------------------


def _child_cases(case: Case) -> list[int]:
    """The cases started under this one (a campaign's requests) whose files belong to its materials: all of them
    for a council's members (``case.all_children``), else those the reader takes part in."""
    query = select(ProcessInstance.id).where(ProcessInstance.parent_id == case.instance.id)
    if case.files_until is not None:
        query = query.where(ProcessInstance.created_at <= case.files_until)
    params: dict = {}
    rule = None if case.all_children else visible_instances_clause(case.actor)
    if rule is not None:
        clause, params = rule
        query = query.where(clause)
    return list(db.session.execute(query, params).scalars())


@provider(order=90)
def attachments(case: Case) -> list[Block]:
    """The files of every step of the case and of the cases started under it (a ПОО's evidence on its request
    reaches the campaign's consolidation and the councils)."""
    query = (
        select(TaskAttachment, HumanTask.name, ProcessInstance.business_key)
        .outerjoin(HumanTask, HumanTask.id == TaskAttachment.task_id)
        .join(ProcessInstance, ProcessInstance.id == TaskAttachment.instance_id)
        .where(TaskAttachment.instance_id.in_([case.instance.id, *_child_cases(case)]))
        .order_by(TaskAttachment.id)
    )
    if case.files_until is not None:
        query = query.where(TaskAttachment.created_at <= case.files_until)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    names = user_names({a.uploaded_by_id for a, _n, _k in rows})
    columns = [
        Column("file", _("File"), wide=True),
        Column("step", _("Step"), wide=True),
        Column("who", _("By")),
        Column("when", _("When")),
        Column("size", _("Size, KB"), numeric=True),
    ]
    out_rows = []
    for att, task_name, key in rows:
        kb = max(round(att.size / 1024, 1), 0.1 if att.size else 0)  # a small file is not «0 KB»
        step = task_name or ""
        if att.instance_id != case.instance.id:  # a file of a case started under this one: which case
            step = f"{key or ''}: {step}" if step else (key or "")
        out_rows.append(
            Row(
                [
                    Cell(att.file_name, att.file_name, href=case.href_of(att)),
                    Cell(step or "", step),
                    Cell(names.get(att.uploaded_by_id, ""), None),
                    Cell(labels.date_text(att.created_at), None),
                    Cell(labels.number_text(kb), kb, numeric=True),
                ]
            )
        )
    return [Block("attachments", _("Attachments of the case"), columns, out_rows)]
