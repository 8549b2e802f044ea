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
    today = clock.today()
    messages = []
    for row in rows:
        candidates = (
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == row.candidate_group, User.active.is_(True))
        )
        if row.org_scope_id is not None:
            candidates = candidates.where(User.organisation_id == row.org_scope_id)
        ids = set(db.session.execute(candidates).scalars())
        if not ids:
            continue
        stands_in_for = {}  # deputy id -> a candidate it deputises today
        for deputy_id, principal_id in db.session.execute(
            select(Deputy.deputy_id, Deputy.principal_id).where(
                Deputy.principal_id.in_(ids), Deputy.starts_on <= today, Deputy.ends_on >= today
            )
        ):
            stands_in_for.setdefault(deputy_id, principal_id)
        people = {
            u.id: u
            for u in db.session.execute(
                select(User.id, User.email, User.display_name, User.active).where(User.id.in_(ids | set(stands_in_for)))
            )
        }
        sent = set()
        for user_id in sorted(people):
            person = people[user_id]
            if not person.active or not person.email or person.email in sent:
                continue
            sent.add(person.email)
            substitute = "" if user_id in ids else f" (вы замещаете: {people[stands_in_for[user_id]].display_name})"
            messages.append(
                (
                    person.email,
                    f"Новая задача: {row.name}",
                    f"{person.display_name},\n\nв вашей группе новая задача «{row.name}» по делу «{row.title}»"
                    f" ({row.business_key or row.process_id}){substitute}.\n",
                )
            )
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
