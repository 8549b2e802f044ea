"""The append-only, hash-chained audit log."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        # an instance's history and a case's events in chain order
        Index("ix_audit_instance", "instance_id", "seq"),
        Index("ix_audit_business_key", "business_key", "seq"),
        # a search page (newest first by time, ties in chain order; services/audit_log.py)
        # walks one of these, with or without a period. One index per filter: every index is written
        # by every command, so each one costs every user a little.
        Index("ix_audit_time", "occurred_at", "seq"),
        Index("ix_audit_actor_time", "actor_id", "occurred_at", "seq"),
        Index("ix_audit_org_time", "actor_org_id", "occurred_at", "seq"),
        Index("ix_audit_kind_time", "kind", "occurred_at", "seq"),
        Index("ix_audit_process_time", "process_id", "occurred_at", "seq"),
    )
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives users
    actor_name: Mapped[str] = mapped_column(String(100))  # username, or "scheduler" / "system"
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(48))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    process_id: Mapped[str | None] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """A single row holding the chain head; locked to append, so the chain has one order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    hash: Mapped[str] = mapped_column(String(64))
