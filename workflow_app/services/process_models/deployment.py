"""Deploying BPMN files: check completely (every problem at once), snapshot forms, version by content.

``check_bytes`` is the dry run: the engine's checks of the file plus what only the application knows — the
groups and users a model names, the forms it references, the service operations it calls. ``deploy_bytes``
runs the same checks and deploys when no problem is an error; otherwise it raises ``Invalid`` whose
``problems`` list every problem (element id and name, line, rule, what to do). The version hash covers the BPMN
file and the forms it references, so changing a form is a new version too.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ... import formkit as form_schemas
from ...engine.parsing import check_bpmn, process_form_keys
from ...engine.problems import ERROR, Findings, Problem
from ...extensions import db
from ...models import Group, ProcessModel, User
from ..cases import operations
from ..errors import BadRequest, Forbidden, Invalid
from ..people.actors import Actor, ensure_roles
from ..uow import UnitOfWork


@dataclass
class DeployResult:
    process_id: str
    version: int
    created: bool
    file_name: str
    warnings: list = field(default_factory=list)  # engine.problems.Problem with severity "warning"


@dataclass
class CheckReport(Findings):
    """The answer of a dry run (and of a refused deploy): every problem of one file."""

    file_name: str
    problems: list[Problem] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_system):
        raise Forbidden("only administrators deploy process models")


def _task_problem(parsed, rule, task_id, task, **params) -> Problem:
    return Problem(rule, params, task_id, task.get("name"), task.get("line"), ERROR, parsed.file_name)


def _check_names(parsed) -> list[Problem]:
    """Groups and users named by lanes and Camunda attributes must exist."""
    groups = set(db.session.execute(select(Group.id)).scalars())
    named_users = {
        u for meta in parsed.metas.values() for t in meta["user_tasks"].values() for u in t.get("candidateUsers", [])
    } | {u for meta in parsed.metas.values() for u in meta.get("start_users", [])}
    users = (
        set(db.session.execute(select(User.username).where(User.username.in_(sorted(named_users)))).scalars())
        if named_users
        else set()
    )
    problems = []
    for meta in parsed.metas.values():
        for task_id, task in meta["user_tasks"].items():
            group = task.get("group")
            if group and group not in groups:
                source = "lane" if group == task.get("lane") else "candidateGroups"
                problems.append(_task_problem(parsed, "unknown-group", task_id, task, group=group, source=source))
            for user in task.get("candidateUsers", []):
                if user not in users:
                    problems.append(
                        _task_problem(parsed, "unknown-user", task_id, task, user=user, source="candidateUsers")
                    )
        reported = {t.get("group") for t in meta["user_tasks"].values()}
        for ref in meta.get("start_refs", []):
            if ref["group"] not in groups and ref["group"] not in reported:
                reported.add(ref["group"])
                problems.append(
                    Problem(
                        "unknown-group",
                        {"group": ref["group"], "source": ref["source"]},
                        ref["element"],
                        ref["name"],
                        ref["line"],
                        ERROR,
                        parsed.file_name,
                    )
                )
        for user in meta.get("start_users", []):
            if user not in users:
                problems.append(
                    Problem(
                        "unknown-user",
                        {"user": user, "source": "candidateStarterUsers"},
                        meta.get("id"),
                        meta.get("name"),
                        meta.get("line"),
                        ERROR,
                        parsed.file_name,
                    )
                )
    return problems


def _check_operations(parsed) -> list[Problem]:
    known = operations.registered()
    listing = ", ".join(sorted(known)) or "—"
    problems = []
    for meta in parsed.metas.values():
        for task_id, op in meta.get("operations", {}).items():
            if op["operation"] is None:
                problems.append(_task_problem(parsed, "no-operation", task_id, op, known=listing))
            elif op["operation"] not in known:
                problems.append(
                    _task_problem(parsed, "unknown-operation", task_id, op, operation=op["operation"], known=listing)
                )
    return problems


def _forms_for(parsed, forms_dir: Path) -> tuple[dict, list[Problem]]:
    forms, problems = {}, []
    tasks_by_key: dict = {}
    for meta in parsed.metas.values():
        for task_id, task in meta["user_tasks"].items():
            if task.get("formKey"):
                tasks_by_key.setdefault(task["formKey"], []).append((task_id, task))
        start = meta.get("start_form")
        if start:  # the start form is a file of forms/ like a task's
            tasks_by_key.setdefault(start["formKey"], []).append((start["element"], start))
    for key in sorted(tasks_by_key):
        if not (forms_dir / f"{key}.json").is_file():
            for task_id, task in tasks_by_key[key]:
                problems.append(_task_problem(parsed, "form-missing", task_id, task, form=key))
            continue
        try:
            forms[key] = form_schemas.load_form(forms_dir, key)
        except form_schemas.FormError as exc:
            for task_id, task in tasks_by_key[key]:
                problems.append(_task_problem(parsed, "form", task_id, task, form=key, detail=str(exc)))
    return forms, problems


def _check(content: bytes, file_name: str, forms_dir) -> tuple:
    parsed = check_bpmn(content, file_name)
    forms, form_problems = _forms_for(parsed, Path(forms_dir or current_app.config["FORMS_DIR"]))
    problems = parsed.problems + _check_names(parsed) + form_problems + _check_operations(parsed)
    problems.sort(key=lambda p: (p.severity != ERROR, p.line or 0))
    return parsed, forms, CheckReport(file_name, problems, [p.process_id for p in parsed.processes])


def check_bytes(actor: Actor, content: bytes, file_name: str, forms_dir=None) -> CheckReport:
    """The dry run: every problem of the file, nothing deployed."""
    _require_admin(actor)
    ensure_roles(db.session)
    return _check(content, file_name, forms_dir)[2]


def refusal(report: CheckReport) -> Invalid:
    """The 422 of a refused file: a summary, the first problem's element (fields) and every problem."""
    first = report.errors[0]
    exc = Invalid(
        f"{report.file_name}: {len(report.errors)} problem(s); the model was not deployed. " + first.text(),
        fields={"file": report.file_name, "element": first.element or "", "reason": first.message},
    )
    exc.problems = report.problems
    return exc


def deploy_bytes(
    actor: Actor, content: bytes, file_name: str, forms_dir: str | Path | None = None
) -> list[DeployResult]:
    """Check and deploy one BPMN file; raises Invalid listing every problem when any is an error."""
    _require_admin(actor)
    with UnitOfWork(actor) as uow:
        ensure_roles(db.session)
        db.session.flush()
        parsed, forms, report = _check(content, file_name, forms_dir)
        if not report.ok:
            raise refusal(report)
        results = []
        for process in parsed.processes:
            form_keys = process_form_keys(process.meta)
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
                results.append(DeployResult(process.process_id, latest.version, False, file_name, report.warnings))
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
                    "warnings": len(report.warnings),
                },
            )
            results.append(DeployResult(model.process_id, model.version, True, file_name, report.warnings))
        uow.commit()
    return results


def files_of(path: str | Path) -> list[Path]:
    """The .bpmn files of a path (a file or a folder); BadRequest when there is none."""
    path = Path(path)
    if not path.exists():
        raise BadRequest("no such file or folder: %(path)s", path=str(path))
    files = sorted(path.glob("*.bpmn")) if path.is_dir() else [path]
    if not files:
        raise BadRequest("no .bpmn file in %(path)s", path=str(path))
    return files


def deploy_path(actor: Actor, path: str | Path, forms_dir=None) -> list[DeployResult]:
    results = []
    for file in files_of(path):
        results.extend(deploy_bytes(actor, file.read_bytes(), file.name, forms_dir))
    return results


def check_path(actor: Actor, path: str | Path, forms_dir=None) -> list[CheckReport]:
    return [check_bytes(actor, file.read_bytes(), file.name, forms_dir) for file in files_of(path)]


def list_models() -> list[ProcessModel]:
    return list(
        db.session.execute(select(ProcessModel).order_by(ProcessModel.process_id, ProcessModel.version)).scalars()
    )
