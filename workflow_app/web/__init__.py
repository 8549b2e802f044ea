"""HTML blueprints (thin: they call services) and the health endpoint."""
from flask import Blueprint, jsonify, render_template
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
    status = 200 if body["database"]["ok"] else 503
    return jsonify(body), status


def service_error_page(exc):
    return render_template("error.html", status=exc.status, message=exc.message, fields=exc.fields), exc.status


def internal_error_page():
    return render_template("error.html", status=500, message=None, fields={}), 500


def register_web(app):
    app.register_blueprint(health)
