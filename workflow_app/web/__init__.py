"""HTML blueprints (thin: they call services) and the health endpoint."""

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from .. import __version__
from ..extensions import db
from ..models import ProcessModel

health = Blueprint("health", __name__)


@health.route("/healthz")
def healthz():
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
    try:  # last tick, next due, lateness (services/scheduler.health); informative, never fails the probe
        from ..services import scheduler

        body["scheduler"] = scheduler.health()
    except Exception as exc:
        db.session.rollback()
        body["scheduler"] = {"running": False, "error": type(exc).__name__}
    status = 200 if body["database"]["ok"] else 503
    return jsonify(body), status


def service_error_page(exc):
    from .ui import error_page

    return error_page(exc.status, exc.message, exc.fields)


def http_error_page(exc):
    """A Russian page for werkzeug's HTTP errors (404, 405, 413, CSRF 400, ...) outside /api/."""
    from .ui import error_page

    status = exc.code or 500
    message = getattr(exc, "description", None) if status == 400 else None
    return error_page(status, message)


def internal_error_page():
    from .ui import error_page

    try:
        return error_page(500)
    except Exception:  # the layout itself failed (database down?): a bare page, never a trace
        return (
            "<!doctype html><meta charset=utf-8><title>500</title>"
            "<h1>Внутренняя ошибка</h1><p>Она записана в журнал.</p>"
        ), 500


def register_web(app):
    app.register_blueprint(health)
    from . import ui, views_admin, views_auth, views_cases, views_work  # noqa: F401  (routes of the "web" blueprint)

    app.register_blueprint(ui.bp)
    from .audit import bp as audit_web_bp

    app.register_blueprint(audit_web_bp)
    from .public import bp as public_bp

    app.register_blueprint(public_bp)
    from .scheduler import bp as scheduler_web_bp

    app.register_blueprint(scheduler_web_bp)
    from .council import bp as council_web_bp
    from .council import public as council_public_bp

    app.register_blueprint(council_web_bp)
    app.register_blueprint(council_public_bp)
