"""HTML blueprints (thin: they call services) and the health endpoint."""

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..services import health as health_svc
from ..services.people.actors import actor_for, actor_for_token
from . import (  # noqa: F401  (account ... views_work add the routes of the "web" blueprint, ui.bp)
    account,
    admin_people,
    admin_registry,
    ui,
    views_admin,
    views_auth,
    views_cases,
    views_materials,
    views_work,
)
from .audit import bp as audit_web_bp
from .council import bp as council_web_bp
from .council import public as council_public_bp
from .datacalls import bp as data_calls_bp
from .monitoring import bp as monitoring_bp
from .notices import bp as notices_bp
from .public import bp as public_bp
from .roadmap import bp as roadmap_bp
from .scheduler import bp as scheduler_web_bp
from .ui import error_page

health = Blueprint("health", __name__)


@health.route("/healthz")
def healthz():
    """Up/down for anyone; the full report for administrators and auditors (session or bearer token)."""
    token = request.headers.get("Authorization", "")
    if token[:7].lower() == "bearer ":
        caller = actor_for_token(token[7:].strip())
    else:
        caller = actor_for(current_user) if current_user.is_authenticated else None
    report = health_svc.health(caller)
    return jsonify(report.as_dict()), report.http_status


def service_error_page(exc):
    return error_page(exc.status, exc.message, exc.fields)


def http_error_page(exc):
    """A Russian page for werkzeug's HTTP errors (404, 405, 413, CSRF 400, ...) outside /api/."""
    status = exc.code or 500
    message = getattr(exc, "description", None) if status == 400 else None
    return error_page(status, message)


def internal_error_page():
    try:
        return error_page(500)
    except Exception:  # noqa: BLE001  the layout itself failed (database down?): a bare page, never a trace
        return (
            "<!doctype html><meta charset=utf-8><title>500</title>"
            "<h1>Внутренняя ошибка</h1><p>Она записана в журнал.</p>"
        ), 500


def register_web(app):
    app.register_blueprint(health)
    app.register_blueprint(ui.bp)
    app.register_blueprint(audit_web_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(scheduler_web_bp)
    app.register_blueprint(council_web_bp)
    app.register_blueprint(council_public_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(data_calls_bp)
    app.register_blueprint(roadmap_bp)
    app.register_blueprint(monitoring_bp)
