"""Published results of approval chains (public, no login): approved КЦП, the professions list, aggregates."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class Publication(db.Model):
    """One publication; never edited: a later one of the same kind and key supersedes it."""

    __tablename__ = "publication"
    __table_args__ = (Index("ix_publication_kind_key", "kind", "key", "published_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # kcp | professions | investment
    key: Mapped[str] = mapped_column(String(64))  # the year, e.g. "2027"
    title: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
