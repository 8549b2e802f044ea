"""Dates as a person reads them: ДД.ММ.ГГГГ (ЧЧ:ММ) in the region's time zone, Asia/Tomsk.

The one formatter of everything people read — pages, public tables, protocols, orders, documents (DOCX/PDF),
e-mails and in-app notices, CSV/XLSX exports meant for people. A moment (an aware datetime, or an ISO timestamp
string) is shown in Asia/Tomsk, so 20:00 UTC on 5 April is 06.04 in the region; a calendar date (a ``date`` or
an ISO date string) is shown as it is. Machine interfaces (the JSON API, audit payloads) keep ISO 8601.
"""

import re
from datetime import UTC, date, datetime

from .engine.clock import REGION_TZ

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_IN_TEXT = re.compile(r"\b(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\b")


def local(moment: datetime | None) -> datetime | None:
    """The moment in the region's time zone (a naive datetime is taken as UTC, as the database stores it)."""
    return None if moment is None else _in_region(moment)


def _in_region(moment: datetime) -> datetime:
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(REGION_TZ)


def _parse(value) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    text = str(value or "").strip()
    if not ISO_DATE.match(text):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def ru_date(value) -> str:
    """ДД.ММ.ГГГГ of a date or a moment (in Asia/Tomsk); "" for nothing; other text unchanged."""
    if value in (None, ""):
        return ""
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    if isinstance(parsed, datetime):
        parsed = _in_region(parsed)
    return parsed.strftime("%d.%m.%Y")


def ru_datetime(value, seconds: bool = False) -> str:
    """ДД.ММ.ГГГГ ЧЧ:ММ(:СС) of a moment in Asia/Tomsk (a bare date: ДД.ММ.ГГГГ); "" for nothing."""
    if value in (None, ""):
        return ""
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    if not isinstance(parsed, datetime):
        return parsed.strftime("%d.%m.%Y")
    return _in_region(parsed).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")


def ru_dates_in(text: str) -> str:
    """Free text with every ISO date or timestamp in it written as a person reads it (messages, remarks)."""

    def repl(m: re.Match) -> str:
        if m.group(2) is None:
            return ru_date(m.group(1))
        return ru_datetime(m.group(0).replace(" ", "T"))

    return _ISO_IN_TEXT.sub(repl, str(text))
