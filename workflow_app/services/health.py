"""The health probe: up or down for anyone; what runs (models, database, scheduler) only for its readers.

A load balancer needs to know whether a host answers; it does not need (and an anonymous caller must not
learn) which models are deployed or how the scheduler is doing. Administrators and auditors get the whole
report, with a session or a bearer token.
"""

from sqlalchemy import func, select, text

from .. import __version__
from ..extensions import db
from ..models import ProcessModel
from .identity import Actor


def health(actor: Actor | None) -> tuple[dict, int]:
    """(body, HTTP status): 200 while the database answers, 503 when it does not."""
    body = {"status": "ok", "version": __version__, "database": {"ok": True}, "models": []}
    try:
        db.session.execute(text("SELECT 1"))
        rows = db.session.execute(
            select(ProcessModel.process_id, func.max(ProcessModel.version)).group_by(ProcessModel.process_id)
        ).all()
        body["models"] = [{"process_id": p, "version": v} for p, v in rows]
        body["database"]["dialect"] = db.engine.dialect.name
    except Exception as exc:  # report, do not crash: this is what a load balancer polls
        db.session.rollback()
        body["status"] = "degraded"
        body["database"] = {"ok": False, "error": type(exc).__name__}
    status = 200 if body["database"]["ok"] else 503
    if actor is None or not actor.reads_everything:
        return {"status": body["status"]}, status
    try:  # last tick, next due, lateness (services/scheduler.health); informative, never fails the probe
        from . import scheduler

        body["scheduler"] = scheduler.health()
    except Exception as exc:
        db.session.rollback()
        body["scheduler"] = {"running": False, "error": type(exc).__name__}
    return body, status
