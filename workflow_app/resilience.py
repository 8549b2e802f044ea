"""A lost database connection (PostgreSQL restarting, a failover) is answered 503 with Retry-After, not 500.

A request that meets a connection the server dropped makes SQLAlchemy discard the worker's whole pool (no
pre-ping: config.engine_options), so the next request after the database is back gets a fresh connection;
clients retry. The session is rolled back so the worker's pool does not keep a broken connection.
"""

import contextlib

from flask import abort, current_app, request
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.routing import IntegerConverter

from .api.core import error_response
from .extensions import db
from .strict_json import check_request
from .web.ui import error_page

RETRY_AFTER_SECONDS = "2"
MAX_ID = 2**31 - 1  # ids are INTEGER columns (int4 on PostgreSQL)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in URLs, bounded to the id column range: a bigger number is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _bad_value(exc):
    """A value the database cannot take (a number out of range, a NUL character in text on PostgreSQL) reached a
    query: the input was bad. Answered here (an error raised inside an error handler would be a 500)."""
    db.session.rollback()
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", "a value is out of range")
    return error_page(400)


def _unavailable_page() -> str:
    """A bare page (the layout itself would query the database): translated, Russian if even that fails."""
    try:
        title = _("Service temporarily unavailable")
        text = _("The database cannot be reached. Try again in a few seconds; nothing you saved is lost.")
    except Exception:  # noqa: BLE001  (the locale selector may need the unreachable user record)
        title = "Сервис временно недоступен"
        text = "База данных недоступна. Повторите попытку через несколько секунд; сохранённое не потеряно."
    return (
        f"<!doctype html><html lang=ru><meta charset=utf-8><title>503 — {escape(title)}</title>"
        f"<link rel=stylesheet href=/static/app.css><main class=error-page><h1>{escape(title)}</h1>"
        f"<p>{escape(text)}</p></main>"
    )


def _unavailable(exc):
    with contextlib.suppress(Exception):  # the connection is gone; the pool discards it
        db.session.rollback()
    current_app.logger.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
    if request.path.startswith("/api/"):
        response = error_response(503, "unavailable", "the database is unavailable; retry shortly")
    else:
        response = current_app.response_class(_unavailable_page(), status=503, mimetype="text/html")
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def _end_session(_exc):
    """End the request's session even if its connection died after the answer was built (the database
    restarted meanwhile): the rollback then fails, the connection is invalidated and dropped by the pool, and
    the answer stands — instead of the failed rollback turning it into a 500."""
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as exc:
        current_app.logger.warning(
            "connection lost at the end of a request: %s", type(getattr(exc, "orig", None) or exc).__name__
        )
        with contextlib.suppress(Exception):  # the broken connection is invalidated by now; let the session go
            db.session.close()
        db.session.registry.clear()


def _strict_json():
    """Every JSON body checked once, before the API's parsers (strict_json.py): a 400 naming the problem."""
    problem = check_request(request)
    if problem is None:
        return None
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", problem)
    abort(400, description=problem)


def init_resilience(app) -> None:
    app.before_request(_strict_json)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (teardowns run in reverse).
    app.teardown_appcontext(_end_session)
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(PoolTimeout, _unavailable)
    app.register_error_handler(InterfaceError, _unavailable)
    app.register_error_handler(DataError, _bad_value)
    app.register_error_handler(OverflowError, _bad_value)
