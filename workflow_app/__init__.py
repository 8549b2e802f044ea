"""Soglasie: BPMN approval workflows for the Tomsk staffing-standard roadmap."""

import logging
from pathlib import Path

from flask import Flask, request, session
from flask_babel import lazy_gettext
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    i18n,
    models,  # noqa: F401  (register the tables with SQLAlchemy)
)
from .api import register_api
from .cli import register_cli
from .config import Config, database_url, engine_options
from .extensions import babel, csrf, db, login_manager, migrate
from .logging_setup import init_logging
from .resilience import BoundedIntConverter, init_resilience
from .security import ensure_secret_key, init_security
from .services import (
    chains,
    datacalls,  # noqa: F401  (data calls and the forecast: operations, hooks, task panels)
    monitoring,  # noqa: F401  (the roadmap's half-yearly monitoring: operations)
)
from .services.people import browser_sessions
from .services.uow import begin_request_reads, end_request_reads, install_sqlite_pragmas
from .serving import ready_to_serve
from .version import __version__
from .web import register_web

__all__ = ["__version__", "create_app", "ready_to_serve"]


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates", static_folder="web/static")
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    given = (
        config.get("SQLALCHEMY_ENGINE_OPTIONS")
        if isinstance(config, dict)
        else getattr(config, "SQLALCHEMY_ENGINE_OPTIONS", None)
    )
    if given is None:  # pool settings follow the database finally chosen, not the environment's default
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    app.url_map.converters["int"] = BoundedIntConverter  # before any route: huge ids are 404, not a DB error
    ensure_secret_key(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)

    chains.register()  # the chains' start hooks; their operations registered on import
    db.init_app(app)
    migrate.init_app(
        app, db, render_as_batch=True, directory=str(Path(__file__).resolve().parent.parent / "migrations")
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = lazy_gettext("Please log in to access this page.")

    def select_locale():
        chosen = request.cookies.get("lang") or getattr(current_user, "locale", None)
        return chosen if chosen in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]

    i18n.configure(app)
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        install_sqlite_pragmas(db.engine)
    app.before_request(begin_request_reads)  # first of the request hooks: they read (services/uow.py)
    app.teardown_request(end_request_reads)

    @login_manager.user_loader
    def load_user(user_id):
        """The user of an open server-side session (services/people/browser_sessions): a cookie whose session has
        ended (logout, deactivation, password change) authenticates no one."""
        try:
            return browser_sessions.user_for(int(user_id), session.get(browser_sessions.SID_KEY))
        except ValueError:
            return None

    register_api(app)
    register_web(app)

    init_security(app)
    init_resilience(app)
    init_logging(app)
    if app.config.get("PROXY_HOPS"):
        hops = app.config["PROXY_HOPS"]
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
        app.wsgi_app = proxied  # type: ignore[method-assign]  # Flask's documented middleware hook; mypy sees a method
    register_cli(app)
    logging.getLogger("spiff").setLevel(logging.WARNING)
    return app
