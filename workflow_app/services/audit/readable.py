"""Audit events as a person reads them: the history and the audit search show an event's values with the labels of
the form that was submitted (tables as tables, options by their labels, dates ДД.ММ.ГГГГ), and the other payloads
by labelled fields whose values are names (a group's, an organisation's, a person's, a step's), never raw JSON or
a code. The raw payload stays in the audit log and its JSON/CSV/XLSX exports.

An *entry* is ``{"label": str, "text": str}`` or, for a table, ``{"label": str, "columns": [...], "rows": [[...]]}``.

Neighbours: ``trail`` writes the trail, ``queries`` finds events; this module only turns one event into
what a person reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache

import flask_babel
from sqlalchemy import select

from ...diagram import DiagramError, element_names
from ...extensions import db
from ...i18n import content_text
from ...models import DataCall, DataCallRecipient, HumanTask, ProcessInstance, ProcessModel
from ...roles import ROLES
from ..materials import labels
from ..people.names import organisation_names, user_names


def _l(msgid: str) -> str:
    """Marks a msgid for the catalogs (translated when shown, by :func:`_`)."""
    return msgid


def _(msgid: str) -> str:
    try:
        return flask_babel.gettext(msgid)
    except (KeyError, RuntimeError):  # outside a request: the msgid
        return msgid


# The payload fields a person reads, with their labels; other fields (ids, hashes of the chain, timings) are
# technical and stay in the raw event.
FIELD_LABELS = {
    "year": _l("Year"),
    "title": _l("Title"),
    "act_type": _l("Kind of act"),
    "act_title": _l("Title of the act"),
    "signatory": _l("Signatory"),
    "issuer": _l("Issuing body"),
    "cycle_key": _l("Cycle"),
    "due_at": _l("Due"),
    "deadline": _l("Deadline"),
    "new_due_at": _l("New deadline"),
    "group": _l("Group"),
    "owner_group": _l("Group"),
    "org_id": _l("Organisation"),
    "org_scope_id": _l("Organisation"),
    "organisation_id": _l("Organisation"),
    "to_org_id": _l("Organisation"),
    "recipients": _l("Recipients"),
    "user_id": _l("Person"),
    "assignee_id": _l("Assignee"),
    "to_user_id": _l("To"),
    "assignee": _l("Assignee"),
    "process_id": _l("Process"),
    "parent_business_key": _l("Terminated with the parent case"),
    "version": _l("Version"),
    "file_name": _l("File"),
    "filename": _l("File"),
    "size": _l("Size, bytes"),
    "sha256": _l("SHA-256 checksum"),
    "number": _l("Number"),
    "date": _l("Date"),
    "format": _l("Format"),
    "text": _l("Text"),
    "note": _l("Note"),
    "comment": _l("Comment"),
    "message": _l("Message"),
    "end": _l("Finished at"),
    "rows": _l("Rows"),
    "follow_up_at": _l("Follow-up date"),
    "intake_deadline": _l("Deadline for requests"),
    "key": _l("Year"),
    "subject": _l("Subject"),
    "channel": _l("Channel"),
    "count": _l("Number"),
    "outcome": _l("Outcome"),
    "question": _l("Question"),
    "votes": _l("Votes"),
    "for": _l("for"),
    "against": _l("against"),
    "abstained": _l("abstained"),
    "remarks": _l("Remarks"),
}
DOCUMENT_KINDS = {
    "order": _l("Order"),
    "kcp_table": _l("Consolidated table of changes of the admission figures"),
    "professions_list": _l("List of professions"),
    "staffing_plan": _l("Staffing plan"),
    "protocol": _l("Protocol"),
}
CHANNELS = {"email": _l("e-mail"), "app": _l("in the application")}
ACTORS = {"system": _l("System"), "scheduler": _l("Scheduler (yearly cycles and deadlines)")}  # events of no person
# per event kind, the fields whose value is itself a code with a label of its own
# (None: a technical code of that kind, left out)
KIND_FIELDS: dict[str, dict] = {
    "document_fixed": {"kind": (_l("Document"), DOCUMENT_KINDS)},
    "message_delivered": {"message": None},
}
HIDDEN_KINDS = ("task_ready",)  # the task's name says it all


def actor_label(name: str | None) -> str:
    """Who did it, for an event of no person: the system or the scheduler by name, never its code."""
    return _(ACTORS[name]) if name in ACTORS else (name or "")


def _group(code) -> str:
    names = ROLES.get(str(code))
    if names is None:
        return str(code)
    try:
        english = str(flask_babel.get_locale() or "ru") == "en"
    except (KeyError, RuntimeError):
        english = False
    return names[1] if english else names[0]


def _process_name(process_id) -> str:
    name = db.session.execute(
        select(ProcessModel.name).where(ProcessModel.process_id == str(process_id)).order_by(ProcessModel.id.desc())
    ).scalar()
    return content_text(name) if name else str(process_id)


@lru_cache(maxsize=64)
def _steps_of(bpmn_xml: str) -> dict[str, str]:
    try:
        return element_names(bpmn_xml)
    except DiagramError:
        return {}


def step_names(model: ProcessModel | None) -> dict[str, str]:
    """BPMN element id -> its name in the UI language (for the steps an event lists)."""
    if model is None:
        return {}
    return {k: content_text(v) for k, v in _steps_of(model.bpmn_xml).items()}


def _datetime_text(value: str) -> str | None:
    if len(value) < 19 or value[4] != "-" or value[10] not in "T ":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return labels.date_text(moment)


def _is_year(name: str, value) -> bool:
    """A year is written 2027, not «2 027» (a field named year/key, or titled «Год …»)."""
    named = "year" in name or name == "key" or name.startswith(("Год", "год")) or " год" in name
    return named and isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2200


class Reader:
    """Turns the payloads of a set of events into entries (names looked up once for all of them)."""

    def __init__(self, payloads: list[dict], steps: dict[str, str] | None = None):
        org_ids, user_ids = set(), set()
        for p in payloads:
            for key in ("org_id", "org_scope_id", "organisation_id", "to_org_id"):
                org_ids.add(p.get(key))
            for key in ("user_id", "assignee_id", "to_user_id"):
                user_ids.add(p.get(key))
            if isinstance(p.get("recipients"), list):
                org_ids.update(p["recipients"])
        self.orgs = organisation_names(org_ids)
        self.users = user_names(user_ids)
        self.steps = steps or {}
        self.resolvers: dict[str, Callable] = {
            "group": _group,
            "owner_group": _group,
            "process_id": _process_name,
            "org_id": self._org,
            "org_scope_id": self._org,
            "organisation_id": self._org,
            "to_org_id": self._org,
            "user_id": self._user,
            "assignee_id": self._user,
            "to_user_id": self._user,
            "end": self._step,
            "format": lambda v: str(v).upper(),
            "channel": lambda v: _(CHANNELS[v]) if v in CHANNELS else str(v),
            "recipients": self._org,
        }

    def _org(self, value) -> str:
        return self.orgs.get(value, "") if isinstance(value, int) else str(value)

    def _user(self, value) -> str:
        return self.users.get(value, "") if isinstance(value, int) else str(value)

    def _step(self, value) -> str:
        return self.steps.get(str(value), "")

    # --- a submitted form ---------------------------------------------------------------------------------

    def form_entries(self, form: dict, data: dict) -> list[dict]:
        """The values of ``data`` with the labels and options of ``form`` (in the form's order)."""
        out: list[dict] = []
        shown = set()
        for name, prop in labels.ordered_properties(form):
            if name not in data or (prop.get("x-ui") or {}).get("widget") == "hidden":
                continue
            shown.add(name)
            label = content_text(prop.get("title") or "") or _(FIELD_LABELS.get(name, ""))
            if not label:
                continue
            out.extend(self._form_value(label, prop, data[name]))
        rest = {k: v for k, v in data.items() if k not in shown}
        out.extend(self.payload_entries("", rest))
        return out

    def _form_value(self, label: str, prop: dict, value) -> list[dict]:
        if labels.is_table(prop) and isinstance(value, list):
            columns = [(n, p) for n, p in labels.ordered_properties(prop["items"]) if not labels.is_hidden(p)]
            rows = [[labels.display(p, row.get(n)) for n, p in columns] for row in value if isinstance(row, dict)]
            if not rows:
                return []
            return [{"label": label, "columns": [content_text(p.get("title") or n) for n, p in columns], "rows": rows}]
        if isinstance(value, dict) and isinstance(prop.get("properties"), dict):
            parts = [
                f"{content_text(p.get('title') or n)}: {text}"
                for n, p in labels.ordered_properties(prop)
                if (text := labels.display(p, value.get(n)))
            ]
            return [{"label": label, "text": "; ".join(parts)}] if parts else []
        text = labels.display(prop, value)
        if isinstance(value, str) and text == value:
            text = _datetime_text(value) or text
        return [{"label": label, "text": text}] if text else []

    # --- any other payload ---------------------------------------------------------------------------------

    def payload_entries(self, kind: str, payload: dict) -> list[dict]:
        out = []
        special = KIND_FIELDS.get(kind, {})
        for key, value in payload.items():
            if key in special:
                if special[key] is None:
                    continue
                label, names = special[key]
                if value in names:
                    out.append({"label": _(label), "text": _(names[value])})
                continue
            if key not in FIELD_LABELS:
                continue
            label = _(FIELD_LABELS[key])
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                table = self._table(value)
                if table is not None:
                    out.append({"label": label, **table})
                continue
            text = self.text(key, value)
            if text:
                out.append({"label": label, "text": text})
        return out

    def _table(self, rows: list[dict]) -> dict | None:
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row if k in FIELD_LABELS and k not in keys)
        if not keys:
            return None
        return {
            "columns": [_(FIELD_LABELS[k]) for k in keys],
            "rows": [[self.text(k, row.get(k)) for k in keys] for row in rows],
        }

    def text(self, key: str, value) -> str:
        """One value for a person: a name for a code or an id, ДД.ММ.ГГГГ for a date, «Да»/«Нет», a number."""
        if value is None or value == "" or value == []:
            return ""
        if isinstance(value, list):
            return ", ".join(t for v in value if not isinstance(v, (dict, list)) and (t := self.text(key, v)))
        if isinstance(value, dict):
            parts = [
                f"{_(FIELD_LABELS[k])}: {t}" for k, v in value.items() if k in FIELD_LABELS and (t := self.text(k, v))
            ]
            return "; ".join(parts)
        resolve = self.resolvers.get(key)
        if resolve is not None:
            return resolve(value)
        if _is_year(key, value):
            return str(value)
        if isinstance(value, str):
            return _datetime_text(value) or labels.date_text(value)
        return labels.display({}, value)


def form_of_tasks(task_ids: Iterable) -> dict[int, dict]:
    """task id -> the deployed form its submission was checked against (for the labels of its values)."""
    ids = {i for i in task_ids if isinstance(i, int)}
    if not ids:
        return {}
    rows = db.session.execute(
        select(HumanTask.id, HumanTask.form_key, ProcessModel.forms)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessModel, ProcessModel.id == ProcessInstance.model_id)
        .where(HumanTask.id.in_(ids))
    ).all()
    out = {task_id: form for task_id, form_key, forms in rows if (form := (forms or {}).get(form_key or ""))}
    answers = db.session.execute(  # a data call's answer was checked against the call's own form
        select(DataCallRecipient.task_id, DataCall.form)
        .join(DataCall, DataCall.id == DataCallRecipient.call_id)
        .where(DataCallRecipient.task_id.in_(ids - set(out)))
    ).all()
    out.update({task_id: form for task_id, form in answers if form})
    return out


def _submitted(payload: dict) -> tuple[dict | None, dict]:
    """(the values a person submitted, other fields): a data call's answer comes as {"reply": {org_id, answer}}."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return None, {}
    reply = data.get("reply")
    if set(data) == {"reply"} and isinstance(reply, dict) and isinstance(reply.get("answer"), dict):
        return reply["answer"], {"org_id": reply.get("org_id")}
    return {k: v for k, v in data.items() if k != "decision"}, {}  # the decision is shown on its own, as a badge


def describe(events: list[dict], forms_by_task: dict[int, dict], steps: dict[str, str] | None = None) -> None:
    """Add ``details`` (entries) and ``step_names`` to each event dict (as made by ``queries.event_dict``)."""
    reader = Reader([{**(e["payload"] or {}), **_submitted(e["payload"] or {})[1]} for e in events], steps)
    for ev in events:
        payload = ev["payload"] or {}
        details: list[dict] = []
        if ev["kind"] not in HIDDEN_KINDS and ev["kind"] != "engine_steps":
            data, about = _submitted(payload)
            rest = {k: v for k, v in payload.items() if k not in ("data", "name", "task", "decision", "reason")}
            details.extend(reader.payload_entries(ev["kind"], about))
            if "outcome" in rest:  # a body's decision: by the label the task's form gives it, never the code
                prop = ((forms_by_task.get(ev["task_id"]) or {}).get("properties") or {}).get("decision")
                label = labels.display(prop or {}, rest["outcome"])
                rest["outcome"] = label if label != str(rest["outcome"]) else None
            if data is not None:
                details.extend(reader.form_entries(forms_by_task.get(ev["task_id"]) or {}, data))
            if isinstance(payload.get("payload"), dict):  # a message's contents
                rest = {**rest, **payload["payload"]}
            details.extend(reader.payload_entries(ev["kind"], rest))
        ev["details"] = details
        if ev["kind"] == "engine_steps":
            ev["step_names"] = [
                reader.steps[s["element"]]
                for s in payload.get("steps") or []
                if isinstance(s, dict) and s.get("element") in reader.steps
            ]
