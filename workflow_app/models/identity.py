"""Users, organisations, groups (roles), memberships, deputies, API tokens, browser sessions, login failures."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


class Organisation(db.Model):
    """An entry of the organisations' registry (services/people/organisations.py)."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(100))
    # department | college (ПОО) | investor | employment_centre | council | other
    kind: Mapped[str] = mapped_column(String(32))
    inn: Mapped[str | None] = mapped_column(String(12))
    ogrn: Mapped[str | None] = mapped_column(String(15))
    # the founder department of a ПОО (it takes the founder's steps for its colleges)
    founder_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    founder: Mapped["Organisation | None"] = relationship(remote_side=[id])


class Group(db.Model):
    """A role; its id is the lane name used in the BPMN files (e.g. ``dpo_officer``)."""

    __tablename__ = "group"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ru: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))


class User(db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    inbox_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(String(8))
    # set by an administrator's password reset: the next login leads to the password change page
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship()
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def group_ids(self) -> set[str]:
        return {m.group_id for m in self.memberships}

    # Flask-Login protocol
    @property
    def is_active(self):
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return str(self.id)


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "group_id"), Index("ix_membership_group", "group_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id"))

    user: Mapped[User] = relationship(back_populates="memberships")


class Deputy(db.Model):
    """``deputy`` acts for ``principal`` from ``starts_on`` to ``ends_on`` inclusive (an absence)."""

    __tablename__ = "deputy"
    __table_args__ = (Index("ix_deputy_deputy", "deputy_id", "starts_on", "ends_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    principal: Mapped[User] = relationship(foreign_keys=[principal_id])
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id])


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: issued before expiry existed
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A browser session on the server: the signed cookie carries only its random id, whose SHA-256 is here.

    Logging out, deactivation and a password change end rows here, so a copied cookie stops working at once.
    """

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user", "user_id", "ended_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the idle timeout counts from here


class LoginFailure(db.Model):
    """One failed password check, counted per account and per client address by every worker and host."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_username", "username", "occurred_at"),
        Index("ix_login_failure_addr", "remote_addr", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
