"""A lost database connection (PostgreSQL restarting, a failover) is answered 503 with Retry-After, not 500.

The connection pool pre-pings, so the next request after the database is back gets a fresh connection;
clients retry. The session is rolled back so the worker's pool does not keep a broken connection.
"""
from flask import request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

RETRY_AFTER_SECONDS = "2"


def _unavailable(exc):
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool discards it
        pass
    from flask import current_app

    current_app.logger.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
    if request.path.startswith("/api/"):
        from .api import error_response

        response = error_response(503, "unavailable", "the database is unavailable; retry shortly")
    else:
        response = current_app.response_class(
            "<!doctype html><meta charset=utf-8><title>503</title><h1>Сервис временно недоступен</h1>"
            "<p>Повторите попытку через несколько секунд.</p>", status=503, mimetype="text/html")
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def init_resilience(app) -> None:
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(PoolTimeout, _unavailable)
    app.register_error_handler(InterfaceError, _unavailable)
