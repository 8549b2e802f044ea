"""The roadmap (план мероприятий, «дорожная карта») as records: its items with executors, status and evidence,
and every change of an item (by an administrator, by a council decision with its protocol, by the loader)."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .identity import Organisation


class RoadmapItem(db.Model):
    """One numbered item («6.3»): the measure, its key result, deadline, documents and executors."""

    __tablename__ = "roadmap_item"
    __table_args__ = (Index("ix_roadmap_item_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    section: Mapped[str] = mapped_column(String(8))  # "6"
    position: Mapped[int] = mapped_column(Integer)  # order in the act (numbers sort as 1.10 after 1.9)
    title: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text, default="")  # «Ключевой результат»: the expected result
    deadline: Mapped[str] = mapped_column(String(300), default="")  # as the act words it: «Ежегодно, май»
    due_on: Mapped[date | None] = mapped_column(Date)  # the last dated deadline
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)  # continues yearly (or half-yearly)
    documents: Mapped[str] = mapped_column(Text, default="")  # «Документы, закрепляющие результат»
    status: Mapped[str] = mapped_column(String(16), default="planned")  # services/roadmap.STATUSES
    status_note: Mapped[str] = mapped_column(Text, default="")
    # set when the loader wrote it and nobody changed it since: a newer file may then replace it
    from_file: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    executors: Mapped[list["RoadmapExecutor"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="RoadmapExecutor.position"
    )
    evidence: Mapped[list["RoadmapEvidence"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="RoadmapEvidence.id"
    )


class RoadmapExecutor(db.Model):
    """An executor of an item as the act names it; ``organisation`` when it is one of the registry, ``role``
    (``coordinator``) or ``body`` (``working_group``) when it is an official or a collegial body."""

    __tablename__ = "roadmap_executor"
    __table_args__ = (
        UniqueConstraint("item_id", "position"),
        Index("ix_roadmap_executor_org", "organisation_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_item.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str | None] = mapped_column(String(64))

    item: Mapped[RoadmapItem] = relationship(back_populates="executors")
    organisation: Mapped[Organisation | None] = relationship(viewonly=True)


class RoadmapEvidence(db.Model):
    """What fulfils an item: a case, a data call, a protocol, a fixed document (by id) or a link."""

    __tablename__ = "roadmap_evidence"
    __table_args__ = (Index("ix_roadmap_evidence_item", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_item.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # case | data_call | protocol | document | link
    ref_id: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[RoadmapItem] = relationship(back_populates="evidence")


class RoadmapChange(db.Model):
    """One change of an item: who, when, why (an administrator's edit, a council decision with the protocol's
    reference), the fields before and after. The same before/after is an audit event."""

    __tablename__ = "roadmap_change"
    __table_args__ = (Index("ix_roadmap_change_item", "item_id", "changed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_item.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(16))  # admin | council | monitoring | load
    protocol_id: Mapped[int | None] = mapped_column(ForeignKey("council_protocol.id"))
    protocol_ref: Mapped[str] = mapped_column(String(300), default="")  # «протокол от 20.06.2027 № 2, вопрос 1»
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
