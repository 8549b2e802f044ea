"""Data calls: one department asks many organisations for the same figures by a date (roadmap 2.7, 6.1, 10.1,
13.1, 13.2). The call runs as a ``data_call`` process instance (one multi-instance task per recipient); these
rows hold what the engine does not: the form, the deadline per recipient, drafts, reminders, the answers and,
once completed, the frozen consolidation."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .identity import Organisation


class DataCall(db.Model):
    __tablename__ = "data_call"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    template: Mapped[str] = mapped_column(String(64))  # forms/data_calls/<template>.json
    title: Mapped[str] = mapped_column(String(500))
    year: Mapped[int | None] = mapped_column(Integer)
    owner_group: Mapped[str] = mapped_column(String(64))  # the officials who follow and complete it
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    form: Mapped[dict] = mapped_column(JSON, default=dict)  # the JSON Schema, copied from the template
    totals: Mapped[list] = mapped_column(JSON, default=list)  # numeric columns summed in the consolidation
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminders: Mapped[dict] = mapped_column(JSON, default=dict)  # {"count": n, "every_working_days": d}
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | terminated (its case was)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    consolidated: Mapped[dict | None] = mapped_column(JSON)  # frozen at completion
    recipients: Mapped[list["DataCallRecipient"]] = relationship(
        back_populates="call", order_by="DataCallRecipient.id", cascade="all, delete-orphan"
    )


class DataCallRecipient(db.Model):
    __tablename__ = "data_call_recipient"
    __table_args__ = (
        UniqueConstraint("call_id", "org_id"),
        Index("ix_data_call_recipient_due", "status", "due_at"),  # the scheduler's chase of late answers
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("data_call.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    group: Mapped[str] = mapped_column(String(64))  # who answers in the organisation
    head_group: Mapped[str | None] = mapped_column(String(64))  # told when the answer is late after reminders
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    # pending -> submitted | excused | cancelled (the call was cancelled); a draft keeps it pending
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    draft: Mapped[dict | None] = mapped_column(JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[dict | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    head_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excuse_reason: Mapped[str | None] = mapped_column(Text)
    call: Mapped[DataCall] = relationship(back_populates="recipients")
    organisation: Mapped[Organisation] = relationship()
