"""The append-only audit trail: events (appended without a lock), seals (one hash chain over them, written
by the sequencer) and the head (the sequencer's position; services/audit/trail.py)."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        # an instance's history and a case's events in chain order
        Index("ix_audit_instance", "instance_id", "seq"),
        Index("ix_audit_business_key", "business_key", "seq"),
        # a search page (newest first by time, ties in chain order; services/audit/queries.py)
        # walks one of these, with or without a period. One index per filter: every index is written
        # by every command, so each one costs every user a little.
        Index("ix_audit_time", "occurred_at", "seq"),
        Index("ix_audit_actor_time", "actor_id", "occurred_at", "seq"),
        Index("ix_audit_org_time", "actor_org_id", "occurred_at", "seq"),
        Index("ix_audit_kind_time", "kind", "occurred_at", "seq"),
        Index("ix_audit_process_time", "process_id", "occurred_at", "seq"),
        # the sequencer's walk: events of finished transactions in (xid, seq) order after its cursor
        Index("ix_audit_xid_seq", "xid", "seq"),
    )
    # drawn from the database at insert (an identity on PostgreSQL): unique and increasing as drawn, not in
    # commit order, with gaps where a transaction rolled back; the seals give the one order
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True)
    # the inserting transaction's id on PostgreSQL (pg_current_xact_id), 0 on SQLite
    xid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
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
    hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of its content (services/audit.canonical)


class AuditSeal(db.Model):
    """One link of the hash chain: the event at position ``pos`` and the hash of everything up to it."""

    __tablename__ = "audit_seal"
    pos: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    event_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), unique=True)
    event_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The sequencer's single row: the last seal (position, hash) and its cursor in (xid, seq) order. Only
    sequencers lock it (one at a time seals); commands never touch it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)  # last position
    hash: Mapped[str] = mapped_column(String(64))
    cursor_xid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cursor_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
