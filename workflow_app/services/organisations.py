"""Organisations for a real (non-demo) installation: ``flask orgs create|list``.

Departments, colleges, investor companies, councils: every user belongs to one. The code is what the CLI
and ``flask users create --org`` use; an ИНН, when given, must pass its checksum (python-stdnum).
"""

import re

from sqlalchemy import select
from stdnum.ru import inn as inn_check

from ..extensions import db
from ..models import Organisation
from .errors import Conflict, Forbidden, Invalid
from .identity import Actor
from .uow import UnitOfWork

KINDS = ("department", "college", "investor", "council", "other")
CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def add_organisation(actor: Actor, code: str, name: str, kind: str, inn: str | None = None) -> Organisation:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators manage organisations")
    errors = {}
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors["code"] = "2-64 characters: letters, digits, _ . -"
    if not isinstance(name, str) or not name.strip() or len(name) > 300:
        errors["name"] = "1-300 characters"
    if kind not in KINDS:
        errors["kind"] = "one of " + ", ".join(KINDS)
    if inn and not inn_check.is_valid(inn):
        errors["inn"] = "not a valid ИНН (checksum)"
    if errors:
        raise Invalid("the organisation cannot be created", fields=errors)
    with UnitOfWork(actor) as uow:
        if db.session.execute(select(Organisation.id).where(Organisation.code == code)).first():
            raise Conflict(f"organisation '{code}' already exists", fields={"code": "taken"})
        org = Organisation(code=code, name=name.strip(), kind=kind, inn=inn or None)
        db.session.add(org)
        uow.flush()
        uow.record("organisation_created", payload={"organisation_id": org.id, "code": code, "kind": kind})
        uow.commit()
    return org


def list_organisations() -> list[Organisation]:
    return list(db.session.execute(select(Organisation).order_by(Organisation.code)).scalars())
