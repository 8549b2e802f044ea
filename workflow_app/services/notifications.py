"""Telling people: the notification outbox.

A command that must tell someone writes ``Notification`` rows with ``queue()`` in its own unit of work, so
the message exists exactly when the decision does (a rollback drops both; a crash after the commit loses
nothing). Each row is the person's in-app notice (``/notices``) and, where the person has an address, an
e-mail that the scheduler process sends (``send_due``, called by every scheduler tick) with retries:
a row is leased before its SMTP conversation (``next_attempt_at`` moves past the lease), so a sender that
dies mid-way leaves it to the next tick, and a failed attempt is retried later, up to ``MAX_ATTEMPTS``.
What was sent, when, and why not, stays in the row.
"""

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, has_app_context
from sqlalchemy import func, select, update

from ..dates import ru_datetime
from ..engine import clock
from ..extensions import db
from ..models import Deputy, Membership, Notification, User
from . import timer_wakeups
from .errors import NotFound
from .uow import UnitOfWork, rows_changed

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed row is retried after this if its sender never reported back
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
BATCH = 100


def queue(uow, people, kind: str, subject: str, body: str, *, instance_id=None, link: str | None = None) -> list:
    """Write one notice per person (users, or (id, email) rows) in ``uow``'s transaction; each is also an
    e-mail to the person's address, sent by the scheduler. Duplicate people get one notice."""
    rows, seen = [], set()
    now = clock.now()
    for person in people:
        user_id, email = person.id, getattr(person, "email", None) or None
        if user_id in seen:
            continue
        seen.add(user_id)
        rows.append(
            Notification(
                kind=kind,
                user_id=user_id,
                email=email,
                subject=subject[:300],
                body=body,
                instance_id=instance_id,
                link=link,
                status="pending" if email else "skipped",
                attempts=0,
                next_attempt_at=now if email else None,
                created_at=now,
            )
        )
    if rows:
        uow.session.add_all(rows)
        if any(row.next_attempt_at is not None for row in rows):
            timer_wakeups.timer_set(uow, now)  # the scheduler sends it: wake it once this commits
    return rows


def members_of(group: str, org_id: int | None = None) -> list:
    """Active users of a group (within one organisation when given)."""
    query = (
        select(User.id, User.email, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group, User.active.is_(True))
        .order_by(User.id)
    )
    if org_id is not None:
        query = query.where(User.organisation_id == org_id)
    return list(db.session.execute(query))


def tasks_ready(uow, rows) -> None:
    """E-mail each candidate of each new task — and each deputy acting today for a candidate — through the
    outbox. Only where a mail server is configured: the in-app notice of a new task is the inbox itself."""
    if not has_app_context() or not current_app.config.get("SMTP_HOST"):
        return
    today = clock.today()
    for row in rows:
        ids = {p.id for p in members_of(row.candidate_group, row.org_scope_id)}
        if not ids:
            continue
        stands_in_for: dict[int, int] = {}  # deputy id -> a candidate it deputises today
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
            queue(
                uow,
                [person],
                "task_ready",
                f"Новая задача: {row.name}",
                f"{person.display_name},\n\nв вашей группе новая задача «{row.name}» по делу «{row.title}»"
                + (f" ({row.business_key})" if row.business_key else "")
                + f"{substitute}.\n"
                + (f"Срок — {ru_datetime(row.due_at)}.\n" if row.due_at else ""),
                instance_id=row.instance_id,
            )


# --- the sender (the scheduler process) -------------------------------------------------------------------


def send_due(now: datetime | None = None, config: dict | None = None, limit: int = BATCH) -> dict:
    """Send the e-mails whose time has come: lease a batch (short transaction), talk to the SMTP server
    outside any transaction, then record each outcome (short transaction). Returns the counts."""
    now = now or clock.now()
    config = config if config is not None else dict(current_app.config)
    claimed = _claim(now, limit)
    if not claimed:
        return {"sent": 0, "retry": 0, "failed": 0}
    if not config.get("SMTP_HOST"):
        outcomes = {row.id: "no mail server is configured" for row in claimed}
    else:
        outcomes = _deliver(config, claimed)
    return _record(claimed, outcomes, clock.now())


def _claim(now: datetime, limit: int) -> list:
    query = (
        select(Notification.id, Notification.email, Notification.subject, Notification.body, Notification.attempts)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two schedulers split the queue
    try:
        rows = list(db.session.execute(query))
        if rows:
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + LEASE, attempts=Notification.attempts + 1)
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return rows


def _deliver(config: dict, rows) -> dict:
    """{row id: None (sent) or the error text}."""
    outcomes: dict[int, str | None] = {}
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config.get("SMTP_PORT", 25), timeout=10) as smtp:
            for row in rows:
                msg = EmailMessage()
                msg["From"] = config.get("MAIL_FROM", "soglasie@localhost")
                msg["To"] = row.email
                msg["Subject"] = row.subject
                msg.set_content(row.body)
                try:
                    smtp.send_message(msg)
                    outcomes[row.id] = None
                except (smtplib.SMTPException, OSError) as exc:
                    outcomes[row.id] = f"{type(exc).__name__}: {exc}"[:500]
    except (smtplib.SMTPException, OSError) as exc:  # no connection: every unsent row is retried later
        for row in rows:
            outcomes.setdefault(row.id, f"{type(exc).__name__}: {exc}"[:500])
    return outcomes


def _record(rows, outcomes: dict, now: datetime) -> dict:
    counts = {"sent": 0, "retry": 0, "failed": 0}
    try:
        for row in rows:
            error = outcomes.get(row.id, "not attempted")
            attempts = row.attempts + 1
            if error is None:
                values = {"status": "sent", "sent_at": now, "next_attempt_at": None, "last_error": None}
                counts["sent"] += 1
            elif attempts >= MAX_ATTEMPTS:
                values = {"status": "failed", "next_attempt_at": None, "last_error": error}
                counts["failed"] += 1
                log.warning("notification %s given up after %d attempts: %s", row.id, attempts, error)
            else:
                values = {"next_attempt_at": now + RETRY_AFTER[attempts - 1], "last_error": error}
                counts["retry"] += 1
            db.session.execute(
                update(Notification).where(Notification.id == row.id, Notification.status == "pending").values(values)
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def next_attempt() -> datetime | None:
    """When the earliest pending e-mail is due (for the scheduler's sleep)."""
    return db.session.execute(
        select(func.min(Notification.next_attempt_at)).where(Notification.status == "pending")
    ).scalar()


# --- in-app notices -------------------------------------------------------------------------------------


def notices(actor, limit: int = 100, unread_only: bool = False) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.execute(query.order_by(Notification.id.desc()).limit(limit)).scalars())


def unread_count(actor) -> int:
    return db.session.execute(
        select(func.count()).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_read(actor, notice_id: int | None = None) -> int:
    """Mark one notice (or, without an id, all of them) of the actor read; returns how many changed."""
    with UnitOfWork(actor) as uow:
        query = update(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
        if notice_id is not None:
            exists = db.session.execute(
                select(Notification.id).where(Notification.id == notice_id, Notification.user_id == actor.user_id)
            ).first()
            if not exists:
                raise NotFound("notice not found")
            query = query.where(Notification.id == notice_id)
        changed = rows_changed(query.values(read_at=clock.now()))
        uow.commit()
    return changed
