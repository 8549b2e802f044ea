"""Collegial bodies (Coordination Council, Expert Council, Working Group): membership with its history,
meetings, agenda items, attendance, decisions, instructions (поручения) and protocols.

A signed protocol is a permanent record: the mapper events at the bottom refuse to update or delete a
signed protocol or any decision of it, whatever code path tries (corrections are a new protocol).
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .identity import Organisation, User
from .process import ProcessInstance
from .task import HumanTask

BODY_ROLES = ("chair", "deputy_chair", "secretary", "member")
VOTING_ROLES = ("chair", "deputy_chair", "member")
DEFAULT_QUORUM_SHARE = 0.5


class CollegialBody(db.Model):
    __tablename__ = "collegial_body"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the BPMN collegialBody value
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100))
    # {"protocols_public": bool, "quorum_share": the share of voting members that makes a quorum (0.5)}
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    memberships: Mapped[list["BodyMembership"]] = relationship(back_populates="body")

    @property
    def protocols_public(self) -> bool:
        return bool((self.settings or {}).get("protocols_public"))

    @property
    def quorum_share(self) -> float:
        """At least this share of the voting members makes a quorum (default: half, the roadmap's rule)."""
        value = (self.settings or {}).get("quorum_share")
        return float(value) if isinstance(value, (int, float)) and 0 < value <= 1 else DEFAULT_QUORUM_SHARE


class BodyMembership(db.Model):
    """A seat on a body from ``valid_from`` to ``valid_to`` (inclusive; None = still sitting)."""

    __tablename__ = "body_membership"
    __table_args__ = (
        Index("ix_body_membership_body", "body_id", "valid_from"),
        Index("ix_body_membership_user", "user_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("collegial_body.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(String(16))  # chair | deputy_chair | secretary | member
    position: Mapped[str | None] = mapped_column(String(300))  # the member's office, as printed in protocols
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    body: Mapped[CollegialBody] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


class Meeting(db.Model):
    __tablename__ = "council_meeting"
    __table_args__ = (Index("ix_meeting_body_time", "body_id", "starts_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("collegial_body.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(500), default="")
    form: Mapped[str] = mapped_column(String(16), default="in_person")  # in_person | absentee
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | approved | closed | cancelled
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    agenda_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    agenda_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_recorded: Mapped[bool] = mapped_column(Boolean, default=False)

    body: Mapped[CollegialBody] = relationship()
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", foreign_keys="AgendaItem.meeting_id"
    )
    attendance: Mapped[list["Attendance"]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    substitutes: Mapped[list["MeetingSubstitute"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    protocol: Mapped["Protocol | None"] = relationship(back_populates="meeting", uselist=False)


class MeetingSubstitute(db.Model):
    """``substitute`` sits for ``member`` at this one meeting (and counts for the quorum in their place)."""

    __tablename__ = "council_substitute"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meeting.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="substitutes")
    member: Mapped[User] = relationship(foreign_keys=[member_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])


class Attendance(db.Model):
    __tablename__ = "council_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    for_member_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # set when sitting as a substitute

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    for_member: Mapped[User | None] = relationship(foreign_keys=[for_member_id])


class AgendaItem(db.Model):
    """One waiting task on one meeting's agenda (вопрос № ``position``)."""

    __tablename__ = "council_agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "task_id"), Index("ix_agenda_task", "task_id", "status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meeting.id"))
    position: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    title: Mapped[str] = mapped_column(String(500))
    draft_decision: Mapped[str | None] = mapped_column(Text)
    seen_lock_version: Mapped[int] = mapped_column(Integer)  # the instance version the agenda was built on
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | decided | postponed | closed
    postponed_to_id: Mapped[int | None] = mapped_column(ForeignKey("council_meeting.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    postponed_to: Mapped[Meeting | None] = relationship(foreign_keys=[postponed_to_id])
    task: Mapped[HumanTask] = relationship()
    instance: Mapped[ProcessInstance] = relationship()
    decision: Mapped["Decision | None"] = relationship(back_populates="item", uselist=False)


class Decision(db.Model):
    __tablename__ = "council_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("council_agenda_item.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(64))  # a value of the waiting task's form `decision` enum
    fields: Mapped[dict] = mapped_column(JSON, default=dict)  # further form fields submitted with the decision
    votes_for: Mapped[int] = mapped_column(Integer, default=0)
    votes_against: Mapped[int] = mapped_column(Integer, default=0)
    votes_abstained: Mapped[int] = mapped_column(Integer, default=0)
    chair_casting_vote: Mapped[str | None] = mapped_column(String(8))  # for | against, only on a tie
    text: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[int | None] = mapped_column(Integer)  # решение №, given when the protocol is signed
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)  # part of a signed protocol

    item: Mapped[AgendaItem] = relationship(back_populates="decision")
    instructions: Mapped[list["Instruction"]] = relationship(
        back_populates="decision", order_by="Instruction.id", cascade="all, delete-orphan"
    )


class Instruction(db.Model):
    """An instruction (поручение) of a decision; tracked once its protocol is signed."""

    __tablename__ = "council_instruction"
    __table_args__ = (Index("ix_instruction_status_deadline", "status", "deadline"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("council_decision.id", ondelete="CASCADE"))
    body_id: Mapped[int] = mapped_column(ForeignKey("collegial_body.id"))
    text: Mapped[str] = mapped_column(Text)
    executor: Mapped[str] = mapped_column(String(300))
    executor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # a person executes it
    executor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))  # or a department does
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | open | reported | done
    # the council_instruction process that puts it in the executor's inbox (started when the protocol is signed)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    report: Mapped[str | None] = mapped_column(Text)  # the executor's report
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str | None] = mapped_column(Text)

    decision: Mapped[Decision] = relationship(back_populates="instructions")
    body: Mapped[CollegialBody] = relationship()
    executor_user: Mapped[User | None] = relationship()
    executor_org: Mapped[Organisation | None] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()


class Protocol(db.Model):
    """The protocol of one meeting: numbered per body and year when the chair signs it."""

    __tablename__ = "council_protocol"
    __table_args__ = (UniqueConstraint("body_id", "year", "number", name="uq_protocol_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("collegial_body.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meeting.id"), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | signed
    signed_by_secretary_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    secretary_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_chair_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    composition: Mapped[list] = mapped_column(JSON, default=list)  # who sat on the body and who attended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    body: Mapped[CollegialBody] = relationship()
    meeting: Mapped[Meeting] = relationship(back_populates="protocol")
    signed_by_secretary: Mapped[User | None] = relationship(foreign_keys=[signed_by_secretary_id])
    signed_by_chair: Mapped[User | None] = relationship(foreign_keys=[signed_by_chair_id])


class SignedRecordError(Exception):
    """Raised when code tries to change or delete a signed protocol or one of its decisions."""


def _was(target, attr):
    history = inspect(target).attrs[attr].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(target, attr)


def _changed(target) -> bool:
    """Any column really changed (relationship bookkeeping alone also fires before_update)."""
    state = inspect(target)
    return any(state.attrs[c.key].history.has_changes() for c in state.mapper.column_attrs)


@event.listens_for(Protocol, "before_update")
def _protocol_update(_mapper, _conn, target):
    if _was(target, "status") == "signed" and _changed(target):
        raise SignedRecordError("a signed protocol cannot be changed; corrections are a new protocol")


@event.listens_for(Protocol, "before_delete")
def _protocol_delete(_mapper, _conn, target):
    if _was(target, "status") == "signed":
        raise SignedRecordError("a signed protocol cannot be deleted")


@event.listens_for(Decision, "before_update")
def _decision_update(_mapper, _conn, target):
    if _was(target, "locked") and _changed(target):
        raise SignedRecordError("a decision of a signed protocol cannot be changed")


@event.listens_for(Decision, "before_delete")
def _decision_delete(_mapper, _conn, target):
    if _was(target, "locked"):
        raise SignedRecordError("a decision of a signed protocol cannot be deleted")
