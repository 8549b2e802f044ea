"""Deploying BPMN files: validate completely, snapshot forms, create a version only when content changes.

The version hash covers the BPMN file and the forms it references, so changing a form is a new version too.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from .. import formkit as form_schemas
from ..engine import InvalidModel, parse_bpmn
from ..extensions import db
from ..models import Group, ProcessModel
from .errors import Forbidden, Invalid
from .identity import Actor, ensure_roles
from .uow import UnitOfWork


@dataclass
class DeployResult:
    process_id: str
    version: int
    created: bool
    file_name: str


def _forms_for(parsed, forms_dir: Path) -> dict:
    forms = {}
    for key in sorted(parsed.form_keys()):
        try:
            forms[key] = form_schemas.load_form(forms_dir, key)
        except form_schemas.FormError as exc:
            element = next(
                (tid for p in parsed.processes for tid, t in p.meta["user_tasks"].items() if t.get("formKey") == key),
                None,
            )
            raise InvalidModel(f"form '{key}': {exc}", file_name=parsed.file_name, element=element) from None
    return forms


def _check_lanes(parsed) -> None:
    known = set(db.session.execute(select(Group.id)).scalars())
    for process in parsed.processes:
        for task_id, task in process.meta["user_tasks"].items():
            if task["lane"] not in known:
                raise InvalidModel(
                    f"lane '{task['lane']}' is not a known group (a lane's name must be a group id)",
                    file_name=parsed.file_name,
                    element=task_id,
                )


def deploy_bytes(
    actor: Actor, content: bytes, file_name: str, forms_dir: str | Path | None = None
) -> list[DeployResult]:
    """Validate and deploy one BPMN file; raises Invalid (with the element) for a broken diagram."""
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators deploy process models")
    forms_dir = Path(forms_dir or current_app.config["FORMS_DIR"])
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        db.session.flush()
        try:
            parsed = parse_bpmn(content, file_name)
            _check_lanes(parsed)
            forms = _forms_for(parsed, forms_dir)
        except InvalidModel as exc:
            raise Invalid(
                str(exc), fields={"file": exc.file_name, "element": exc.element or "", "reason": exc.reason}
            ) from None
        results = []
        for process in parsed.processes:
            form_keys = {t["formKey"] for t in process.meta["user_tasks"].values() if t.get("formKey")}
            process_forms = {k: v for k, v in forms.items() if k in form_keys}
            version_hash = hashlib.sha256(
                (parsed.content_hash + json.dumps(process_forms, sort_keys=True)).encode("utf-8")
            ).hexdigest()
            latest = db.session.execute(
                select(ProcessModel)
                .where(ProcessModel.process_id == process.process_id)
                .order_by(ProcessModel.version.desc())
                .limit(1)
            ).scalar_one_or_none()
            if latest is not None and latest.content_hash == version_hash:
                results.append(DeployResult(process.process_id, latest.version, False, file_name))
                continue
            model = ProcessModel(
                process_id=process.process_id,
                version=(latest.version if latest else 0) + 1,
                name=process.meta["name"],
                file_name=file_name,
                content_hash=version_hash,
                bpmn_xml=parsed.xml,
                forms=process_forms,
                meta=process.meta,
                deployed_by_id=actor.user_id,
            )
            db.session.add(model)
            uow.flush()
            uow.record(
                "model_deployed",
                payload={
                    "process_id": model.process_id,
                    "version": model.version,
                    "file": file_name,
                    "content_hash": version_hash,
                    "forms": sorted(process_forms),
                },
            )
            results.append(DeployResult(model.process_id, model.version, True, file_name))
        uow.commit()
    return results


def deploy_path(actor: Actor, path: str | Path, forms_dir=None) -> list[DeployResult]:
    path = Path(path)
    files = sorted(path.glob("*.bpmn")) if path.is_dir() else [path]
    results = []
    for file in files:
        results.extend(deploy_bytes(actor, file.read_bytes(), file.name, forms_dir))
    return results


def list_models() -> list[ProcessModel]:
    return list(
        db.session.execute(select(ProcessModel).order_by(ProcessModel.process_id, ProcessModel.version)).scalars()
    )
