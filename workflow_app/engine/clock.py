"""The one clock of the application: engine timers, due dates and the scheduler all read it.

Tests and ``flask scheduler tick --now`` replace it with ``set_clock``; SpiffWorkflow's timer module is
patched (see ``engine/__init__``) so its deadlines use the same clock.
"""

import time as _time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

_Day = TypeVar("_Day", bound=date)  # check_day returns what it was given: a date or a datetime

REGION_TZ = ZoneInfo("Asia/Tomsk")

_fixed: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


# The dates a person may enter anywhere (filters, forms of bodies, deadlines): beyond them a date is a typo or an
# attack (year 9999 plus a day overflows Python's calendar), refused as bad input rather than failing later.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def parse_day(text) -> date:
    """A YYYY-MM-DD date between FIRST_DAY and LAST_DAY (ValueError otherwise)."""
    day = date.fromisoformat(str(text).strip())
    return check_day(day)


def check_day(day: _Day) -> _Day:
    if not FIRST_DAY <= (day.date() if isinstance(day, datetime) else day) <= LAST_DAY:
        raise ValueError(f"a date from {FIRST_DAY.year} to {LAST_DAY.year} is expected")
    return day


def today() -> date:
    """Today's date in the region (Asia/Tomsk): deputy periods, instruction deadlines, council seats."""
    return now().astimezone(REGION_TZ).date()


def timestamp() -> float:
    """``now()`` as POSIX seconds (SpiffWorkflow stamps every state change with it)."""
    return _fixed.timestamp() if _fixed is not None else _time.time()


def set_clock(instant: datetime | None) -> None:
    """Freeze the clock at ``instant`` (aware), or return to wall time with None."""
    global _fixed
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _fixed = instant.astimezone(UTC) if instant is not None else None


def advance(**kwargs) -> datetime:
    """Move a frozen clock forward (tests)."""
    if _fixed is None:
        raise RuntimeError("advance() needs a frozen clock")
    set_clock(_fixed + timedelta(**kwargs))
    return _fixed


@contextmanager
def frozen(instant: datetime):
    previous = _fixed
    set_clock(instant)
    try:
        yield
    finally:
        set_clock(previous)
