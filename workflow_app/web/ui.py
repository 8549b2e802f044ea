"""The HTML UI blueprint ``web`` and what its views share: the acting user, dates in Asia/Tomsk,
the navigation, error pages, flash-and-redirect helpers.

Views are thin: they read the request, call ONE service function and render. Lists come from the
services (inbox, instances, deployment); nothing here queries the database itself.
"""

from datetime import datetime
from typing import overload
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import get_locale, gettext, lazy_gettext
from flask_login import current_user

from ..dates import ru_date, ru_dates_in, ru_datetime
from ..engine import clock
from ..i18n import content_text
from ..services import notifications
from ..services.errors import Message
from ..services.monitoring import VIEWERS as MONITORING_VIEWERS
from ..services.people.actors import actor_for
from ..services.tasks import inbox

bp = Blueprint("web", __name__)

COUNCIL_GROUPS = frozenset(f"{body}_{role}" for body in ("cc", "ec", "wg") for role in ("secretary", "chair", "member"))

# Russian headlines of the error pages; the service message is shown below (translated when the
# catalog knows it).
ERROR_TITLES = {
    400: lazy_gettext("The request could not be processed"),
    401: lazy_gettext("Please log in"),
    403: lazy_gettext("Access denied"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("This action is not allowed here"),
    409: lazy_gettext("The case has changed"),
    413: lazy_gettext("The file is too large"),
    422: lazy_gettext("The data contains errors"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Internal error"),
}
ERROR_HINTS = {
    400: lazy_gettext("The form may have expired. Go back, reload the page and try again."),
    401: lazy_gettext("Your session has ended. Log in again."),
    403: lazy_gettext(
        "You do not have the rights for this action. If you think this is a mistake, contact the administrator."
    ),
    404: lazy_gettext("The page or the record does not exist, or it is not available to you."),
    409: lazy_gettext(
        "Someone else changed the case at the same time. Reload the page: your input has not been applied."
    ),
    413: lazy_gettext("The uploaded file exceeds the size limit of %(limit)s MB."),
    422: lazy_gettext("Correct the data and try again."),
    429: lazy_gettext("Wait a minute and try again."),
    500: lazy_gettext("Internal error; it has been logged."),
}


# Per-request caches kept on ``g``: Flask-Login's user, Flask-Babel's locale, ours.
_REQUEST_CACHES = ("_login_user", "_flask_babel", "web_actor", "web_new_count", "csrf_token")


def _fresh_request_caches():
    """Start every request from clean caches, also when the caller keeps one app context open across
    requests (the test client inside ``app.app_context()``, scripts): otherwise the previous request's
    user and language would leak into this one."""
    for key in _REQUEST_CACHES:
        g.pop(key, None)


@bp.record_once
def _install_fresh_caches(state):
    state.app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_caches)


def actor():
    """The Actor of the logged-in user, resolved once per request."""
    if "web_actor" not in g:
        g.web_actor = actor_for(current_user._get_current_object())
    return g.web_actor


def format_dt(dt: datetime | None, with_time: bool = True) -> str:
    """dd.mm.yyyy HH:MM in Asia/Tomsk ("" for None)."""
    return ru_datetime(dt) if with_time else ru_date(dt)


def format_date(dt) -> str:
    """dd.mm.yyyy of a date, or of a moment in Asia/Tomsk ("" for None)."""
    return ru_date(dt)


def is_overdue(due_at: datetime | None) -> bool:
    return due_at is not None and due_at < clock.now()


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths: never redirect to another host after login."""
    if not target or not isinstance(target, str) or any(ch < " " or ch in "\\\x7f" for ch in target):
        return default  # CR/LF would split the Location header; a backslash is a host for some browsers
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@overload
def translate_message(message: str) -> str: ...
@overload
def translate_message(message: None) -> None: ...
def translate_message(message: str | None) -> str | None:
    """A service message in the UI language when the catalogs know it, else as it is."""
    if not message:
        return message
    try:
        if isinstance(message, Message):
            return gettext(message.template, **message.params)
        return gettext(message)
    except (KeyError, ValueError):
        return message


def error_page(status: int, message: str | None = None, fields: dict | None = None):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    hint = ERROR_HINTS.get(status, ERROR_HINTS[400])
    hint = hint % {"limit": round(limit / 1024 / 1024, 1)} if status == 413 else hint
    title = ERROR_TITLES.get(status, ERROR_TITLES[400 if status < 500 else 500])
    detail = translate_message(message) if message else None
    return render_template(
        "error.html", status=status, title=title, hint=hint, message=detail, fields=fields or {}
    ), status


DATA_CALL_GROUPS = {"dpo_officer", "dpo_head", "dtzn_officer", "dtzn_head", "coordinator", "admin", "auditor"}


def _nav_items():
    from flask import url_for

    if not current_user.is_authenticated:
        return []
    groups = set(current_user.group_ids)
    endpoint = request.endpoint or ""
    path = request.path
    items = [
        {
            "label": gettext("Inbox"),
            "url": url_for("web.inbox"),
            "count": new_task_count(),
            "active": endpoint.startswith(("web.inbox", "web.task")),
        },
        {"label": gettext("Start a process"), "url": url_for("web.start"), "active": endpoint.startswith("web.start")},
        {"label": gettext("Cases"), "url": url_for("web.instances"), "active": endpoint.startswith("web.instance")},
        {
            "label": gettext("Notices"),
            "url": url_for("notices.page"),
            "count": unread_notices(),
            "active": endpoint.startswith("notices."),
        },
    ]
    items.append({"label": gettext("Roadmap"), "url": "/roadmap", "active": path.startswith("/roadmap")})
    if groups & MONITORING_VIEWERS:
        items.append({"label": gettext("Monitoring"), "url": "/monitoring", "active": path.startswith("/monitoring")})
    if groups & DATA_CALL_GROUPS:
        items.append({"label": gettext("Data calls"), "url": "/data-calls/", "active": path.startswith("/data-calls")})
    if groups & COUNCIL_GROUPS or "admin" in groups:
        items.append(
            {"label": gettext("Councils and meetings"), "url": "/council/", "active": path.startswith("/council")}
        )
    if groups & {"auditor", "admin"}:
        items.append({"label": gettext("Audit"), "url": "/audit/", "active": path.startswith("/audit")})
    if "admin" in groups:
        items.append(
            {
                "label": gettext("Administration"),
                "url": url_for("web.admin_models"),
                "active": path.startswith("/admin"),
            }
        )
    return items


def unread_notices() -> int:
    return notifications.unread_count(actor())


def new_task_count() -> int:
    """The counter badge: new tasks since the user last opened the inbox (services/tasks/inbox)."""
    if "web_new_count" not in g:
        try:
            g.web_new_count = inbox.new_task_count(actor())
        except Exception:  # the badge must never break a page
            current_app.logger.exception("inbox counter failed")
            g.web_new_count = 0
    return g.web_new_count


@bp.app_context_processor
def _layout_context():
    return {
        "nav_items": _nav_items() if request else [],
        "ui_locale": str(get_locale() or "ru"),
        "format_dt": format_dt,
        "format_date": format_date,
        "is_overdue": is_overdue,
    }


@bp.app_template_filter("tr")
def _content_text_filter(value):
    """A process, task, field or option name of the deployed content in the UI language."""
    return content_text(value)


@bp.app_template_filter("dt")
def _dt_filter(value):
    return format_dt(value)


@bp.app_template_filter("ru_dates")
def _ru_dates_filter(value):
    """Free text (a submitted value, a payload) with its ISO dates and timestamps as a person reads them."""
    return ru_dates_in(value)


@bp.app_template_filter("d")
def _date_filter(value):
    return format_date(value)
