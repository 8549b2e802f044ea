"""Data-call templates and recipient kinds: data files under ``forms/data_calls/`` (an analyst edits them; a
new data call needs no programmer). A template names its owners (the groups that may open it), its
recipients (kinds), the deadline, the reminders, the form (JSON Schema with table rows) and the columns summed."""

import json
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ... import formkit as form_schemas
from ...extensions import db
from ...models import Membership, Organisation, User
from ..errors import Invalid, NotFound

KINDS_FILE = "recipient_kinds.json"
SETTINGS_FILES = {
    KINDS_FILE,
    "forecast.json",
    "poo_rating_formula.json",
}  # settings beside the templates, not templates


def _dir() -> Path:
    return Path(current_app.config["FORMS_DIR"]) / "data_calls"


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid("the data-call file %(name)s cannot be read: %(error)s", name=path.name, error=str(exc)) from None


def kinds() -> dict:
    """kind code -> {"label", "org_kind", "group", "head_group"}."""
    return _read(_dir() / KINDS_FILE)


def codes() -> list[str]:
    return sorted(p.stem for p in _dir().glob("*.json") if p.name not in SETTINGS_FILES)


def load(code: str) -> dict:
    if not isinstance(code, str) or not code.isidentifier() or code not in codes():
        raise NotFound("data-call template %(code)s not found", code=str(code))
    template = _read(_dir() / f"{code}.json")
    check(template, code)
    return template


def check(template: dict, code: str) -> None:
    """A template is usable: known recipient kinds, owners, a form whose rows hold the summed columns."""
    where = f"data-call template {code}"
    if template.get("code") != code:
        raise Invalid("%(where)s: 'code' must be the file name", where=where)
    if not template.get("owners") or not all(isinstance(g, str) for g in template["owners"]):
        raise Invalid("%(where)s: 'owners' must list the groups that may open it", where=where)
    unknown = [k for k in template.get("recipients", []) if k not in kinds()]
    if unknown:
        raise Invalid("%(where)s: unknown recipient kinds %(kinds)s", where=where, kinds=", ".join(unknown))
    try:
        form_schemas.check_form_schema(template.get("form") or {})
    except form_schemas.FormError as exc:
        raise Invalid("%(where)s: %(error)s", where=where, error=str(exc)) from None
    columns = {c["name"] for c in columns_of(template["form"])}
    missing = [c for c in template.get("totals", []) if c not in columns]
    if missing:
        raise Invalid(
            "%(where)s: totals name columns the rows do not have: %(columns)s", where=where, columns=", ".join(missing)
        )


def columns_of(form: dict) -> list[dict]:
    """The columns of the form's table (``rows`` items): name, title, numeric."""
    items = (((form or {}).get("properties") or {}).get("rows") or {}).get("items") or {}
    out = []
    for name, prop in (items.get("properties") or {}).items():
        kind = prop.get("type") if isinstance(prop, dict) else None
        out.append({"name": name, "title": prop.get("title", name), "numeric": kind in ("integer", "number")})
    return out


def title(template: dict, year: int) -> str:
    return str(template.get("title", template["code"])).format(year=year, year_plus_6=year + 6)


def resolve_recipients(kind_codes: list[str]) -> list[dict]:
    """The organisations of the given kinds that have someone to answer: [{org_id, group, head_group, name}]."""
    known = kinds()
    out, seen = [], set()
    for code in kind_codes:
        if code not in known:
            raise Invalid("unknown recipient kind", fields={"recipients": code})
        kind = known[code]
        orgs = db.session.execute(
            select(Organisation)
            .where(
                Organisation.kind == kind["org_kind"],
                Organisation.id.in_(
                    select(User.organisation_id)
                    .join(Membership, Membership.user_id == User.id)
                    .where(Membership.group_id == kind["group"], User.active.is_(True))
                ),
            )
            .order_by(Organisation.name)
        ).scalars()
        for org in orgs:
            if org.id not in seen:
                seen.add(org.id)
                out.append(
                    {"org_id": org.id, "group": kind["group"], "head_group": kind.get("head_group"), "name": org.name}
                )
    return out


def resolve_listed(org_codes: list[str], kind_codes: list[str]) -> list[dict]:
    """Listed organisations (by code), each answered by the group of the first template kind that fits it."""
    known = kinds()
    out: list[dict] = []
    for code in org_codes:
        org = db.session.execute(select(Organisation).where(Organisation.code == str(code))).scalar_one_or_none()
        if org is None:
            raise Invalid("unknown organisation", fields={"organisations": str(code)})
        kind = next((known[k] for k in kind_codes if known[k]["org_kind"] == org.kind), None)
        kind = kind or next((k for k in known.values() if k["org_kind"] == org.kind), None)
        if kind is None:
            raise Invalid("this organisation cannot receive data calls", fields={"organisations": str(code)})
        if all(r["org_id"] != org.id for r in out):
            out.append(
                {"org_id": org.id, "group": kind["group"], "head_group": kind.get("head_group"), "name": org.name}
            )
    return out
