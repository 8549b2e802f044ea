"""The health probe: up or down for anyone; what runs (models, database, scheduler) only for its readers.

A load balancer needs to know whether a host answers; it does not need (and an anonymous caller must not
learn) which models are deployed or how the scheduler is doing. Administrators and auditors get the whole
report, with a session or a bearer token.
"""

from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select, text

from ..extensions import db
from ..models import ProcessModel
from ..version import __version__
from . import scheduler
from .people.actors import Actor
from .scheduler import SchedulerHealth


@dataclass(frozen=True)
class DeployedModel:
    process_id: str
    version: int


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    dialect: str | None = None
    error: str | None = None  # the exception's class name when the database does not answer


@dataclass(frozen=True)
class SchedulerProblem:
    """The scheduler report itself failed (informative: the probe stays up)."""

    error: str
    running: bool = False


@dataclass(frozen=True)
class Health:
    """The health report (a read model); ``http_status`` is 200 while the database answers, else 503."""

    status: str  # "ok" or "degraded"
    version: str
    database: DatabaseHealth
    models: list[DeployedModel] = field(default_factory=list)
    scheduler: SchedulerHealth | SchedulerProblem | None = None
    full: bool = False  # the whole report (administrators and auditors) or up/down only

    @property
    def http_status(self) -> int:
        return 200 if self.database.ok else 503

    def as_dict(self) -> dict:
        """The JSON body: up/down only unless the caller may read the whole report."""
        if not self.full:
            return {"status": self.status}
        body = asdict(self)
        del body["full"]
        body["database"] = {k: v for k, v in body["database"].items() if v is not None}
        if body["scheduler"] is None:
            del body["scheduler"]
        return body


def health(actor: Actor | None) -> Health:
    """The probe: the database (and the deployed models) for everyone's up/down; the scheduler's state only
    for administrators and auditors."""
    full = actor is not None and actor.reads_everything
    try:
        db.session.execute(text("SELECT 1"))
        rows = db.session.execute(
            select(ProcessModel.process_id, func.max(ProcessModel.version)).group_by(ProcessModel.process_id)
        ).all()
        database = DatabaseHealth(ok=True, dialect=db.engine.dialect.name)
        models = [DeployedModel(p, v) for p, v in rows]
    except Exception as exc:  # noqa: BLE001  (report, do not crash: this is what a load balancer polls)
        db.session.rollback()
        database, models = DatabaseHealth(ok=False, error=type(exc).__name__), []
    status = "ok" if database.ok else "degraded"
    if not full:
        return Health(status, __version__, database, models)
    sched: SchedulerHealth | SchedulerProblem
    try:  # last tick, next due, lateness; informative, never fails the probe
        sched = scheduler.health()
    except Exception as exc:  # noqa: BLE001  (the scheduler report never fails the probe)
        db.session.rollback()
        sched = SchedulerProblem(error=type(exc).__name__)
    return Health(status, __version__, database, models, sched, full=True)
