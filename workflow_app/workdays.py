"""Russian production calendar (производственный календарь) for deadlines.

All deadline arithmetic in Soglasie happens in the Asia/Tomsk zone (UTC+7 all
year round, no DST since 2016).  A working day is Monday-Friday that is not a
public holiday or a day off moved by government decree, plus the Saturdays that
a decree turned into working days.

Source of truth is ``holidays.country_holidays("RU")``: it already contains the
public holidays, the moved days off ("Day off (substituted from ...)") and, in
``weekend_workdays``, the Saturdays/Sundays that became working days.  The two
tables below only patch what the library lacks; keep them as data.

Pure module: no database, no Flask, no SpiffWorkflow.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TZ = ZoneInfo("Asia/Tomsk")

#: Local time at which a working day ends; deadlines are set to this moment.
END_OF_DAY = time(18, 0)

# Weekend days made working days by decree of the Government of the Russian
# Federation "О переносе выходных дней в <year> году", e.g.
#   2024: Постановление Правительства РФ от 10.08.2023 N 1314
#         (consultant.ru cons_doc_LAW_455140) - working Saturdays
#         2024-04-27, 2024-11-02, 2024-12-28
#   2025: Постановление Правительства РФ от 04.10.2024 N 1335
#         (consultant.ru cons_doc_LAW_481586) - working Saturday 2025-11-01
# holidays>=0.109 already knows every one of these through
# ``weekend_workdays`` (checked for 2015-2027, see tests/test_workdays.py), so
# nothing has to be added for now.  Add a date here only if a decree is
# published that the installed holidays release does not know yet.
EXTRA_WORKING_DAYS: frozenset[date] = frozenset()

# Weekdays that are days off by decree but missing from the library (same
# rule: only what holidays lacks).  Empty for now.
EXTRA_DAYS_OFF: frozenset[date] = frozenset()


@lru_cache(maxsize=64)
def _year_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off on weekdays, working weekend days) for ``year``.

    Built from an immutable snapshot so that lookups are thread safe (the
    holidays object itself lazily mutates when asked about another year).
    Neighbouring years are populated too because a substitution decree for one
    year can move a day off from the previous/next year.
    """
    cal = holidays.country_holidays("RU", years=(year - 1, year, year + 1))
    days_off = frozenset(d for d in cal if d.year == year)
    weekend_workdays = frozenset(d for d in getattr(cal, "weekend_workdays", ()) if d.year == year)
    return days_off, weekend_workdays


def is_working_day(d: date) -> bool:
    """True if ``d`` is a working day of the Russian production calendar."""
    if isinstance(d, datetime):
        raise TypeError("is_working_day() takes a date, not a datetime")
    if d in EXTRA_WORKING_DAYS:
        return True
    if d in EXTRA_DAYS_OFF:
        return False
    days_off, weekend_workdays = _year_calendar(d.year)
    if d.weekday() >= 5:
        return d in weekend_workdays
    return d not in days_off


def _local_date(value: date | datetime, argname: str) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{argname} must be a timezone-aware datetime")
        return value.astimezone(TZ).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{argname} must be a date or an aware datetime")


def next_working_day(d: date) -> date:
    """``d`` itself if it is a working day, else the first working day after."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(start: datetime, n: int) -> datetime:
    """Deadline ``n`` working days after ``start``.

    Returns the end of the working day (18:00 Asia/Tomsk) of the ``n``-th
    working day after the local (Asia/Tomsk) date of ``start``.  ``n == 0``
    gives the end of the start day if it is a working day, else the end of the
    next working day.  Note that for ``n == 0`` the result can be earlier than
    ``start`` (start after 18:00): this is the "today" deadline by definition.

    ``start`` must be timezone aware (naive datetimes raise ``ValueError``);
    ``n`` must be a non-negative integer.
    """
    if not isinstance(start, datetime):
        raise TypeError("start must be a datetime")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    if n < 0:
        raise ValueError("n must be >= 0")
    day = _local_date(start, "start")
    if n == 0:
        day = next_working_day(day)
    else:
        remaining = n
        while remaining:
            day += timedelta(days=1)
            if is_working_day(day):
                remaining -= 1
    return datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """Number of working days ``d`` with ``date(a) < d <= date(b)``.

    Datetimes must be aware and are converted to Asia/Tomsk dates first; plain
    dates are taken as local dates.  The result is negative when ``b`` is
    before ``a`` (``working_days_between(b, a) == -working_days_between(a, b)``),
    and ``working_days_between(start, add_working_days(start, n)) == n`` for
    every ``n >= 1``.  Useful for "overdue by N working days".
    """
    da = _local_date(a, "a")
    db = _local_date(b, "b")
    sign = 1
    if db < da:
        da, db, sign = db, da, -1
    count = 0
    day = da + timedelta(days=1)
    while day <= db:
        if is_working_day(day):
            count += 1
        day += timedelta(days=1)
    return sign * count
