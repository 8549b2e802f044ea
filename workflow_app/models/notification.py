"""The notification outbox: one row per message to one person, written in the command's own transaction.

The in-app notice and the e-mail are the same row: the person reads it on the notices page (``read_at``),
and the scheduler process sends it by e-mail (``status``, ``attempts``, ``sent_at``, ``last_error``), with
retries, so a process that dies after the commit never loses a message.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_due", "status", "next_attempt_at"),  # the sender's queue
        Index("ix_notification_user", "user_id", "created_at"),  # a person's notices
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))  # task_ready | reminder | head_notice | meeting | notice
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    email: Mapped[str | None] = mapped_column(String(200))  # the address at the time of writing
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    link: Mapped[str | None] = mapped_column(String(300))  # where the notice leads in the UI
    # pending -> sent | failed (gave up after the retries) | skipped (no address or no mail server)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
