"""Documents fixed at signing: the exact bytes of a registered order's or a signed protocol's files."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow


class FixedDocument(db.Model):
    """One file of a signed act (DOCX or PDF), written once in the signing transaction and never changed.

    Its SHA-256 is also in the audit chain (event ``document_fixed``), so the bytes served later can be
    checked against what was signed. Belongs to a case (an order) or to a protocol of a collegial body.
    """

    __tablename__ = "fixed_document"
    __table_args__ = (UniqueConstraint("instance_id", "protocol_id", "kind", "fmt", name="uq_fixed_document"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    protocol_id: Mapped[int | None] = mapped_column(ForeignKey("council_protocol.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # order | kcp_table | protocol | ...
    fmt: Mapped[str] = mapped_column(String(8))  # docx | pdf
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
