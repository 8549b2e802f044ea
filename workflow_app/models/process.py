"""Deployed process models (versioned by content hash) and their running instances."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .identity import User


class ProcessModel(db.Model):
    __tablename__ = "process_model"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        Index("ix_model_hash", "process_id", "content_hash"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict] = mapped_column(JSON, default=dict)  # form_key -> JSON Schema, snapshotted at deploy
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # start groups, user tasks, lanes, flows (from the parse)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def start_groups(self) -> list[str]:
        return self.meta.get("start_groups", [])


UNFOLDED = text("business_key_folded IS NULL AND business_key IS NOT NULL")


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    __table_args__ = (
        UniqueConstraint("process_id", "cycle_key", name="uq_instance_cycle"),
        Index("ix_instance_next_timer", "next_timer_at"),
        Index("ix_instance_process_status", "process_id", "status"),
        Index("ix_instance_business_key", "business_key"),
        Index("ix_instance_business_key_folded", "business_key_folded"),
        # numbers not folded yet (started by older code during an upgrade): services/cases/case_numbers
        Index("ix_instance_unfolded", "id", postgresql_where=UNFOLDED, sqlite_where=UNFOLDED),
        Index("ix_instance_parent", "parent_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"))
    process_id: Mapped[str] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(200))
    # the case number as a search compares it (services/cases/case_numbers.fold): found by one index lookup.
    # Text: folding may lengthen a number («№» reads «No»)
    business_key_folded: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | completed | terminated
    initiator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    initiator_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    cycle_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(Text)  # engine state as JSON, without the process spec
    state_size: Mapped[int] = mapped_column(Integer, default=0)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_messages: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # small, indexed-free copy of key data for lists
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The initiator's login, read only where asked for (access._TASK_WITH_INSTANCE: answers name the initiator).
    # Saving the instance does not change it (the initiator is fixed), so a flush keeps it loaded.
    initiator_name: Mapped[str | None] = column_property(
        select(User.username).where(User.id == initiator_id).correlate_except(User).scalar_subquery(),
        deferred=True,
        expire_on_flush=False,
    )

    model: Mapped[ProcessModel] = relationship(viewonly=True)  # read-only navigation (model_id is written)
    # The inbox projection's open rows of this instance, read with the task being worked on (access.py) so
    # that saving the instance needs no query of its own (instances._project_tasks).
    open_tasks = relationship(
        "HumanTask",
        viewonly=True,
        order_by="HumanTask.id",
        primaryjoin="and_(HumanTask.instance_id == ProcessInstance.id, HumanTask.status == 'open')",
    )

    __mapper_args__: ClassVar[dict] = {"version_id_col": lock_version}
