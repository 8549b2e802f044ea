"""The human-task projection (what inboxes query) and its comments and attachments."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .identity import User
from .process import ProcessInstance


class HumanTask(db.Model):
    """One READY user task of one instance, kept in sync after every engine step."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "engine_task_id"),
        # An instance's open (or completed) tasks: every command reads them. Without an index on both columns,
        # SQLite's planner takes a status-led inbox index instead and walks every open or completed task of
        # every case.
        Index("ix_task_instance", "instance_id", "status"),
        Index("ix_task_group_inbox", "status", "candidate_group", "org_scope_id", "created_at"),
        Index("ix_task_assignee", "assignee_id", "status", "created_at"),
        Index("ix_task_due", "status", "due_at"),
        Index("ix_task_body", "collegial_body", "status"),
        # covering ranges for the inbox views (services/tasks/inbox.py)
        Index("ix_task_group_free", "status", "candidate_group", "org_scope_id", "assignee_id", "created_at"),
        Index("ix_task_open_created", "status", "created_at"),
        # the monitoring dashboard's open and overdue tasks by department and by chain: each read from an index
        # alone, in the order of its GROUP BY (services/monitoring/dashboard)
        Index("ix_task_open_units", "status", "candidate_group", "org_scope_id", "due_at"),
        Index("ix_task_open_chains", "status", "process_id", "due_at"),
        # an inbox filtered by business key reads that case's rows, not a group's whole range
        Index(
            "ix_task_business_key",
            "business_key",
            "status",
            "candidate_group",
            "org_scope_id",
            "assignee_id",
            "created_at",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    engine_task_id: Mapped[str] = mapped_column(String(36))
    task_def: Mapped[str] = mapped_column(String(128))  # the BPMN id of the user task
    name: Mapped[str] = mapped_column(String(300))
    process_id: Mapped[str] = mapped_column(String(128))  # filtered within an inbox range: no index of its own
    business_key: Mapped[str | None] = mapped_column(String(200))  # indexed by ix_task_business_key
    title: Mapped[str] = mapped_column(String(500), default="")
    lane: Mapped[str | None] = mapped_column(String(64))
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    org_scope_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # set while delegated
    form_key: Mapped[str | None] = mapped_column(String(128))
    collegial_body: Mapped[str | None] = mapped_column(String(64))
    distinct_from: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | cancelled
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    outcome: Mapped[str | None] = mapped_column(String(64))
    submitted: Mapped[dict | None] = mapped_column(JSON)

    # Read-only navigation: the *_id columns are what the services write, and a view-only relationship
    # adds no work to the flush of every completed task.
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], viewonly=True)
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], viewonly=True)
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], viewonly=True)
    instance: Mapped[ProcessInstance] = relationship(viewonly=True)


class TaskComment(db.Model):
    __tablename__ = "task_comment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class TaskAttachment(db.Model):
    """A file attached to a task; kept in the database, never inside the engine state."""

    __tablename__ = "task_attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    file_name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()
