"""The organisations' registry: departments, ПОО (colleges), investors, employment centres, councils.

Every user belongs to one; forms and pages that reference an organisation offer a choice from here
(``choices``). The code is the stable key the CLI and the API use. ИНН and ОГРН, when given, must pass their
checksums (python-stdnum) and belong to one organisation only; a ПОО may name its founder department (it
takes the founder's steps for its ПОО). An inactive organisation keeps its history and users but is offered
no more for new users or new references. Only administrators (and the CLI) change the registry; each change
is an audit event with before/after.
"""

import re

from sqlalchemy import func, or_, select
from stdnum.ru import inn as inn_check
from stdnum.ru import ogrn as ogrn_check

from ... import formkit
from ...extensions import db
from ...models import Organisation, User
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..uow import UnitOfWork
from .actors import Actor

KINDS = formkit.ORGANISATION_KINDS
CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
FIELDS = ("code", "name", "short_name", "kind", "inn", "ogrn", "founder", "active")


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators manage organisations")


def view(org: Organisation) -> dict:
    return {
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "short_name": org.short_name,
        "kind": org.kind,
        "inn": org.inn,
        "ogrn": org.ogrn,
        "founder": {"id": org.founder.id, "code": org.founder.code, "name": org.founder.name} if org.founder else None,
        "active": bool(org.active),
    }


def _snapshot(org: Organisation) -> dict:
    v = view(org)
    v["founder"] = org.founder.code if org.founder else None
    v.pop("id")
    return v


def _clean(data: dict, errors: dict, current: Organisation | None) -> dict:
    """Validated values of the fields present in ``data`` (for a new organisation: all required ones)."""
    out: dict = {}
    new = current is None
    if "code" in data or new:
        code = data.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            errors["code"] = "2-64 characters: letters, digits, _ . -"
        else:
            out["code"] = code
    if "name" in data or new:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 300:
            errors["name"] = "1-300 characters"
        else:
            out["name"] = " ".join(name.split())
    if "short_name" in data:
        short = data.get("short_name")
        if short not in (None, "") and (not isinstance(short, str) or len(short.strip()) > 100):
            errors["short_name"] = "at most 100 characters"
        else:
            out["short_name"] = " ".join(short.split()) if short else None
    if "kind" in data or new:
        kind = data.get("kind")
        if kind not in KINDS:
            errors["kind"] = "one of " + ", ".join(KINDS)
        else:
            out["kind"] = kind
    for field, check, problem in (
        ("inn", inn_check, "not a valid ИНН (checksum)"),
        ("ogrn", ogrn_check, "not a valid ОГРН (checksum)"),
    ):
        if field in data:
            value = data.get(field)
            if value in (None, ""):
                out[field] = None
            elif not isinstance(value, str) or not check.is_valid(value):
                errors[field] = problem
            else:
                out[field] = check.compact(value)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = "true or false"
        else:
            out["active"] = data["active"]
    if "founder" in data:
        code = data.get("founder")
        if code in (None, ""):
            out["founder"] = None
        else:
            founder = (
                db.session.execute(select(Organisation).where(Organisation.code == code)).scalar_one_or_none()
                if isinstance(code, str)
                else None
            )
            if founder is None:
                errors["founder"] = "unknown organisation"
            elif founder.kind != "department":
                errors["founder"] = "the founder is a department"
            elif current is not None and founder.id == current.id:
                errors["founder"] = "an organisation cannot found itself"
            else:
                out["founder"] = founder
    kind = out.get("kind", current.kind if current else None)
    founder = out.get("founder", current.founder if current else None)
    if founder is not None and kind != "college":
        errors["founder"] = "only a ПОО has a founder department"
    return out


def _unique(out: dict, current: Organisation | None) -> None:
    for field, message in (
        ("code", "this code belongs to another organisation"),
        ("inn", "this ИНН belongs to another organisation"),
        ("ogrn", "this ОГРН belongs to another organisation"),
    ):
        value = out.get(field)
        if not value:
            continue
        q = select(Organisation.code).where(getattr(Organisation, field) == value)
        if current is not None:
            q = q.where(Organisation.id != current.id)
        other = db.session.execute(q).scalar()
        if other is not None:
            raise Conflict(message, fields={field: other})


def create(actor: Actor, data: dict) -> Organisation:
    """Register an organisation: code, name, kind required; short_name, inn, ogrn, founder (code) optional."""
    _require_admin(actor)
    if not isinstance(data, dict):
        raise Invalid("expected an object")
    errors: dict = {}
    with UnitOfWork(actor) as uow:
        out = _clean(data, errors, None)
        if errors:
            raise Invalid("the organisation cannot be registered", fields=errors)
        _unique(out, None)
        org = Organisation(active=out.pop("active", True), **out)
        db.session.add(org)
        uow.flush()
        uow.record(
            "organisation_created", payload={"organisation_id": org.id, "code": org.code, "after": _snapshot(org)}
        )
        uow.commit()
    return org


def edit(actor: Actor, org_id: int, data: dict) -> Organisation:
    """Change the given fields (the same ones as ``create``, and ``active``)."""
    _require_admin(actor)
    if not isinstance(data, dict):
        raise Invalid("expected an object")
    errors: dict = {}
    with UnitOfWork(actor) as uow:
        org = db.session.get(Organisation, org_id)
        if org is None:
            raise NotFound("organisation not found")
        out = _clean({k: v for k, v in data.items() if k in FIELDS}, errors, org)
        if errors:
            raise Invalid("the organisation cannot be changed", fields=errors)
        _unique(out, org)
        if out.get("kind", org.kind) != "department" and org.kind == "department":
            founded = db.session.execute(select(Organisation.code).where(Organisation.founder_id == org.id)).scalar()
            if founded is not None:
                raise Conflict("the department is the founder of a ПОО", fields={"kind": founded})
        before = _snapshot(org)
        for key, value in out.items():
            setattr(org, key, value)
        uow.flush()
        after = _snapshot(org)
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            uow.record(
                "organisation_changed",
                payload={
                    "organisation_id": org.id,
                    "code": org.code,
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
        uow.commit()
    return org


def add_organisation(actor: Actor, code: str, name: str, kind: str, inn: str | None = None, **extra) -> Organisation:
    """The CLI's form of ``create``."""
    return create(actor, {"code": code, "name": name, "kind": kind, "inn": inn, **extra})


def get(actor: Actor, org_id: int) -> Organisation:
    _require_admin(actor)
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("organisation not found")
    return org


def search(actor: Actor, q: str = "", kind: str | None = None, status: str = "all") -> list[dict]:
    """The registry, by name, with the number of active users of each organisation."""
    _require_admin(actor)
    query = select(Organisation)
    q = (q or "").strip()[:100] if isinstance(q, str) else ""
    if q:
        variants = sorted({q, q.lower(), q.upper(), q.title(), q.capitalize()})
        query = query.where(
            or_(
                func.lower(Organisation.code).like(f"%{q.lower()}%"),
                Organisation.inn == q,
                Organisation.ogrn == q,
                *(Organisation.name.like(f"%{v}%") for v in variants),
                *(Organisation.short_name.like(f"%{v}%") for v in variants),
            )
        )
    if kind in KINDS:
        query = query.where(Organisation.kind == kind)
    if status == "active":
        query = query.where(Organisation.active.is_(True))
    elif status == "inactive":
        query = query.where(Organisation.active.is_(False))
    per_org = db.session.execute(
        select(User.organisation_id, func.count()).where(User.active.is_(True)).group_by(User.organisation_id)
    ).all()
    counts = {row[0]: row[1] for row in per_org}
    rows = db.session.execute(query.order_by(Organisation.kind, Organisation.name)).scalars()
    return [{**view(o), "users": counts.get(o.id, 0)} for o in rows]


def list_organisations() -> list[Organisation]:
    return list(db.session.execute(select(Organisation).order_by(Organisation.code)).scalars())


def choices(kind: str | None = None, include: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the active organisations (of a kind) for a choice in a form; ``include`` keeps the
    current value offered even when it has become inactive."""
    query = select(Organisation.code, Organisation.name, Organisation.active)
    if kind:
        query = query.where(Organisation.kind == kind)
    rows = db.session.execute(query.order_by(Organisation.name)).all()
    return [(code, name) for code, name, active in rows if active or code == include]


EXTERNAL_KINDS = ("college", "investor")  # outside the government: their people see only their own world
PRIVATE_KINDS = ("investor",)  # companies: an outsider is never offered the names of the others


def in_forms(schema: dict, actor: Actor | None = None) -> dict:
    """``schema`` with every organisation reference (``x-organisation``) a choice of the registry's active
    organisations of its kind: validation refuses any other code at entry, pages render a select, the API
    publishes the choices (the task page, a submission and a process's start form all read it here). A user
    of a ПОО or an investor is offered, of the investors, only their own company."""

    def options(kind: str) -> list[tuple[str, str]]:
        rows = choices(kind)
        if kind in PRIVATE_KINDS and actor is not None and not (actor.is_system or actor.reads_everything):
            org = db.session.get(Organisation, actor.org_id) if actor.org_id is not None else None
            if org is not None and org.kind in EXTERNAL_KINDS:
                rows = [(code, name) for code, name in rows if code == org.code]
        return rows

    return formkit.with_options(schema, options)


def identity(org_id: int | None) -> dict:
    """An organisation's identifying data from its registry record (never from what its user types)."""
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        return {}
    return {"name": org.name, "inn": org.inn or "", "ogrn": org.ogrn or "", "code": org.code}
