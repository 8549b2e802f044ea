"""What is deployed: each process's latest model version, parsed once and cached (the engine keeps the parsed
spec, task metadata and forms per version; deployed versions never change), its start form, who may start it,
and the start list a person sees.

Neighbours: ``deployment`` checks and stores new versions; running cases are ``cases/`` (``cases.advance``
loads a case's state around the parsed model found here).
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defer

from ...engine import Engine
from ...extensions import db
from ...models import ProcessModel
from ..errors import NotFound
from ..people import organisations
from ..people.actors import Actor

ENGINE = Engine()


def _cache_key(model_id: int):
    # Model ids are unique per database; one process may serve several (tests, tools).
    return (db.engine.url.render_as_string(hide_password=True), model_id)


def compiled(model: ProcessModel):
    result = ENGINE.compiled(_cache_key(model.id), model.bpmn_xml, model.process_id, model.file_name, model.forms)
    result.version = model.version
    return result


def model_version(model_id: int) -> int:
    """The version number of a deployed model, without loading its row (cached with the parsed model)."""
    return compiled_by_id(model_id).version


def compiled_by_id(model_id: int):
    """The parsed model version (spec, task metadata, forms), cached: deployed versions never change."""
    cached = ENGINE.cached(_cache_key(model_id))
    return cached if cached is not None else compiled(db.session.get_one(ProcessModel, model_id))


_LATEST_MODEL = (
    select(ProcessModel)
    .where(ProcessModel.process_id == bindparam("process_id"))
    .options(defer(ProcessModel.bpmn_xml), defer(ProcessModel.forms))  # the parsed model is cached (compiled_by_id)
    .order_by(ProcessModel.version.desc())
    .limit(1)
)


def latest_model(process_id: str) -> ProcessModel:
    model = db.session.execute(_LATEST_MODEL, {"process_id": process_id}).scalar_one_or_none()
    if model is None:
        raise NotFound("process '%(process)s' is not deployed", process=process_id)
    return model


def start_form(model: ProcessModel) -> dict | None:
    """The JSON Schema of the process's start form (``formKey`` on its start event), None without one."""
    parsed = compiled_by_id(model.id)
    key = (parsed.meta.get("start_form") or {}).get("formKey")
    return parsed.forms.get(key) if key else None


def can_start(actor: Actor, model: ProcessModel) -> bool:
    if actor.is_system or actor.is_admin:
        return True
    groups = set(actor.groups)
    for _uid, _org, principal_groups in actor.acting_for:
        groups |= principal_groups
    return bool(groups & set(model.start_groups)) or actor.username in model.meta.get("start_users", [])


@dataclass
class ProcessInfo:
    process_id: str
    name: str
    version: int
    can_start: bool
    start_form: dict | None = None  # what a client may send at start (JSON Schema); None: nothing


def list_processes(actor: Actor) -> list[ProcessInfo]:
    """The latest version of every deployed process, and whether the actor may start it."""
    latest = (
        select(ProcessModel.process_id, func.max(ProcessModel.version).label("v"))
        .group_by(ProcessModel.process_id)
        .subquery()
    )
    models = (
        db.session.execute(
            select(ProcessModel)
            .join(latest, (latest.c.process_id == ProcessModel.process_id) & (latest.c.v == ProcessModel.version))
            .order_by(ProcessModel.process_id)
        )
        .scalars()
        .all()
    )
    infos = []
    for m in models:
        allowed = can_start(actor, m)
        form = start_form(m) if allowed else None
        infos.append(
            ProcessInfo(m.process_id, m.name, m.version, allowed, organisations.in_forms(form, actor) if form else None)
        )
    return infos
