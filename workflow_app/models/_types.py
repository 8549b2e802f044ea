"""Column helpers shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator, event
from sqlalchemy.orm import Mapper

from ..engine.clock import now


def utcnow() -> datetime:
    return now()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _to_utc(_target, value, _oldvalue, _initiator):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


@event.listens_for(Mapper, "mapper_configured")
def _normalise_utc_columns(mapper, cls):
    """Aware datetimes assigned to UTC columns are stored as UTC in the object too, not only in the row
    (objects outlive their commit in a request, see services.uow)."""
    for prop in mapper.column_attrs:
        if isinstance(prop.columns[0].type, UTCDateTime):
            event.listen(getattr(cls, prop.key), "set", _to_utc, retval=True)
