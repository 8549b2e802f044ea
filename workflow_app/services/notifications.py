"""Telling people about new work: the in-app counter reads HumanTask; e-mail goes out after commit,
from a background thread, so a slow or absent SMTP server never delays the request."""
import logging
import smtplib
import threading
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from email.message import EmailMessage

from flask import current_app, has_app_context
from sqlalchemy import select

from ..engine import clock
from ..extensions import db
from ..models import Deputy, Membership, User

log = logging.getLogger(__name__)


def tasks_ready(uow, rows) -> None:
    """Queue one e-mail per candidate of each new task — and per deputy acting today for a candidate — sent only
    if the command commits."""
    if not has_app_context() or not current_app.config.get("SMTP_HOST"):
        return
    today = clock.now().astimezone(clock.REGION_TZ).date()
    messages = []
    for row in rows:
        candidates = select(User.id).join(Membership, Membership.user_id == User.id).where(
            Membership.group_id == row.candidate_group, User.active.is_(True))
        if row.org_scope_id is not None:
            candidates = candidates.where(User.organisation_id == row.org_scope_id)
        ids = list(db.session.execute(candidates).scalars())
        if not ids:
            continue
        deputising = db.session.execute(
            select(Deputy.deputy_id, Deputy.principal_id).where(
                Deputy.principal_id.in_(ids), Deputy.starts_on <= today, Deputy.ends_on >= today)
        ).all()
        on_behalf = {}  # deputy id -> a principal it stands in for
        for deputy_id, principal_id in deputising:
            on_behalf.setdefault(deputy_id, principal_id)
        people = db.session.execute(
            select(User.id, User.email, User.display_name).where(
                User.id.in_(set(ids) | set(on_behalf)), User.active.is_(True), User.email.is_not(None))
        ).all()
        names = dict(db.session.execute(select(User.id, User.display_name).where(
            User.id.in_(set(on_behalf.values())))).all()) if on_behalf else {}
        sent = set()
        for user_id, email, name in sorted(people, key=lambda p: p.id):
            if email in sent:
                continue
            sent.add(email)
            substitute = "" if user_id in ids else f" (вы замещаете: {names.get(on_behalf[user_id], '')})"
            messages.append((email, f"Новая задача: {row.name}",
                             f"{name},\n\nв вашей группе новая задача «{row.name}» по делу «{row.title}»"
                             f" ({row.business_key or row.process_id}){substitute}.\n"))
    if messages:
        config = dict(current_app.config)
        uow.after_commit(lambda: dispatch(config, messages))


# One background sender: the request that made a task ready does not wait for the SMTP server.
_outbox = None
_outbox_lock = threading.Lock()


def _executor():
    global _outbox
    with _outbox_lock:
        if _outbox is None:
            _outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
        return _outbox


def _send_logged(config, messages):
    try:
        send(config, messages)
    except Exception:  # the decision is committed; a mail failure is logged, never raised to the user
        log.exception("sending %d notification(s) failed", len(messages))


def dispatch(config: dict, messages) -> Future:
    """Send in the background (one worker thread); returns the Future (tests wait on it)."""
    return _executor().submit(_send_logged, config, list(messages))


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until every queued e-mail has been handed to the SMTP server (tests, shutdown)."""
    try:
        _executor().submit(lambda: None).result(timeout=timeout)
        return True
    except TimeoutError:
        return False


def send(config: dict, messages) -> None:
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        for to, subject, body in messages:
            msg = EmailMessage()
            msg["From"] = config["MAIL_FROM"]
            msg["To"] = to
            msg["Subject"] = subject
            msg.set_content(body)
            smtp.send_message(msg)
