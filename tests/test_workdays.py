from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow_app import workdays
from workflow_app.workdays import (
    TZ,
    add_working_days,
    is_working_day,
    working_days_between,
)

UTC = UTC
MSK = ZoneInfo("Europe/Moscow")


def tomsk(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def deadline(y, m, d):
    return datetime(y, m, d, 18, 0, tzinfo=TZ)


def working(start: date, end: date) -> list[date]:
    days = []
    d = start
    while d <= end:
        if is_working_day(d):
            days.append(d)
        d += timedelta(days=1)
    return days


# --- the calendar itself ----------------------------------------------------


def test_may_holidays_2024_with_working_saturday():
    # Sat 27.04 is a working day (moved to Mon 29.04); 29.04, 30.04, 01.05 off;
    # 09.05 + 10.05 (moved from Sat 06.01) off.
    assert working(date(2024, 4, 26), date(2024, 5, 13)) == [
        date(2024, 4, 26),
        date(2024, 4, 27),
        date(2024, 5, 2),
        date(2024, 5, 3),
        date(2024, 5, 6),
        date(2024, 5, 7),
        date(2024, 5, 8),
        date(2024, 5, 13),
    ]


def test_may_holidays_2025():
    assert working(date(2025, 4, 30), date(2025, 5, 12)) == [
        date(2025, 4, 30),
        date(2025, 5, 5),
        date(2025, 5, 6),
        date(2025, 5, 7),
        date(2025, 5, 12),
    ]


def test_new_year_holidays_2024_2025():
    # Sat 28.12.2024 works, 29.12-08.01 off, Thu 09.01.2025 is the first day.
    assert working(date(2024, 12, 27), date(2025, 1, 10)) == [
        date(2024, 12, 27),
        date(2024, 12, 28),
        date(2025, 1, 9),
        date(2025, 1, 10),
    ]


def test_new_year_holidays_2026():
    # 2026: 01.01-11.01 off (Fri 09.01 moved from Sat 03.01), 31.12.2026 off.
    assert working(date(2025, 12, 29), date(2026, 1, 12)) == [
        date(2025, 12, 29),
        date(2025, 12, 30),
        date(2026, 1, 12),
    ]
    assert not is_working_day(date(2026, 12, 31))


@pytest.mark.parametrize("d", [date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)])
def test_working_saturdays_by_decree(d):
    assert d.weekday() == 5
    assert is_working_day(d)


def test_library_already_knows_the_decree_saturdays():
    # Documents why EXTRA_WORKING_DAYS is empty: fails loudly if an older
    # holidays release without this data is installed.
    cal = holidays.country_holidays("RU", years=range(2024, 2026))
    for d in (date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)):
        assert d in cal.weekend_workdays
    assert not (workdays.EXTRA_WORKING_DAYS & cal.weekend_workdays)


def test_unity_day_2025_bridge():
    # Sat 01.11 works, Mon 03.11 (moved) and Tue 04.11 are off.
    assert working(date(2025, 10, 31), date(2025, 11, 5)) == [
        date(2025, 10, 31),
        date(2025, 11, 1),
        date(2025, 11, 5),
    ]


def test_ordinary_weekend_and_weekday():
    assert is_working_day(date(2025, 3, 12))  # Wednesday
    assert not is_working_day(date(2025, 3, 15))  # Saturday
    assert not is_working_day(date(2025, 3, 16))  # Sunday
    assert not is_working_day(date(2025, 6, 12))  # Russia Day
    assert not is_working_day(date(2025, 6, 13))  # moved from Sat 08.03


def test_extra_tables_are_honoured(monkeypatch):
    sunday, monday = date(2030, 6, 2), date(2030, 6, 3)
    assert not is_working_day(sunday) and is_working_day(monday)
    monkeypatch.setattr(workdays, "EXTRA_WORKING_DAYS", frozenset({sunday}))
    monkeypatch.setattr(workdays, "EXTRA_DAYS_OFF", frozenset({monday}))
    assert is_working_day(sunday)
    assert not is_working_day(monday)


def test_is_working_day_rejects_datetime():
    with pytest.raises(TypeError):
        is_working_day(tomsk(2025, 3, 12))


# --- add_working_days --------------------------------------------------------


def test_add_zero_on_working_day_is_end_of_that_day():
    assert add_working_days(tomsk(2025, 3, 12, 9), 0) == deadline(2025, 3, 12)


def test_add_zero_on_holiday_rolls_to_next_working_day():
    assert add_working_days(tomsk(2025, 1, 3), 0) == deadline(2025, 1, 9)
    assert add_working_days(tomsk(2025, 3, 15), 0) == deadline(2025, 3, 17)


def test_add_over_new_year():
    start = tomsk(2024, 12, 27, 11)
    assert add_working_days(start, 1) == deadline(2024, 12, 28)  # working Saturday
    assert add_working_days(start, 2) == deadline(2025, 1, 9)
    assert add_working_days(start, 3) == deadline(2025, 1, 10)
    assert add_working_days(start, 4) == deadline(2025, 1, 13)


def test_add_over_may_holidays():
    start = tomsk(2025, 4, 30, 17, 59)
    assert add_working_days(start, 1) == deadline(2025, 5, 5)
    assert add_working_days(start, 3) == deadline(2025, 5, 7)
    assert add_working_days(start, 4) == deadline(2025, 5, 12)
    assert add_working_days(start, 10) == deadline(2025, 5, 20)


def test_add_from_weekend_counts_from_the_next_working_day():
    sat = tomsk(2025, 3, 15)
    assert add_working_days(sat, 0) == deadline(2025, 3, 17)
    assert add_working_days(sat, 1) == deadline(2025, 3, 17)
    assert add_working_days(sat, 2) == deadline(2025, 3, 18)


def test_start_is_converted_to_tomsk_local_date():
    # 20:00 UTC on Fri 26.04.2024 is already Sat 27.04 03:00 in Tomsk, a
    # working Saturday: n=0 ends that Saturday, not the Friday.
    start = datetime(2024, 4, 26, 20, 0, tzinfo=UTC)
    assert add_working_days(start, 0) == deadline(2024, 4, 27)
    assert add_working_days(start, 1) == deadline(2024, 5, 2)
    # 23:30 Moscow on Mon 10.03.2025 is Tue 11.03 03:30 in Tomsk.
    assert add_working_days(datetime(2025, 3, 10, 23, 30, tzinfo=MSK), 1) == deadline(2025, 3, 12)


def test_result_is_tomsk_and_zone_has_no_dst():
    winter = add_working_days(tomsk(2025, 1, 15), 0)
    summer = add_working_days(tomsk(2025, 7, 15), 0)
    for dt in (winter, summer):
        assert dt.tzinfo is TZ
        assert dt.utcoffset() == timedelta(hours=7)
        assert dt.timetz().replace(tzinfo=None) == time(18, 0)
        assert dt.astimezone(UTC).time() == time(11, 0)
    # across the former DST switch dates the offset does not move
    assert tomsk(2025, 3, 30, 3).utcoffset() == tomsk(2025, 10, 26, 3).utcoffset()


def test_naive_datetime_rejected():
    with pytest.raises(ValueError):
        add_working_days(datetime(2025, 3, 12, 10, 0), 1)
    with pytest.raises(ValueError):
        working_days_between(datetime(2025, 3, 12), tomsk(2025, 3, 13))


def test_bad_n_rejected():
    with pytest.raises(ValueError):
        add_working_days(tomsk(2025, 3, 12), -1)
    with pytest.raises(TypeError):
        add_working_days(tomsk(2025, 3, 12), 1.5)
    with pytest.raises(TypeError):
        add_working_days(date(2025, 3, 12), 1)


# --- working_days_between ----------------------------------------------------


def test_working_days_between():
    assert working_days_between(tomsk(2025, 3, 12), tomsk(2025, 3, 12, 23)) == 0
    assert working_days_between(tomsk(2025, 3, 12), tomsk(2025, 3, 13)) == 1
    # Fri -> next Fri: 5 working days
    assert working_days_between(date(2025, 3, 14), date(2025, 3, 21)) == 5
    # over the New Year: 28.12.2024 (Sat, working), 09.01, 10.01
    assert working_days_between(date(2024, 12, 27), date(2025, 1, 10)) == 3
    assert working_days_between(date(2025, 1, 10), date(2024, 12, 27)) == -3
    # mixed date / aware datetime; the datetime is read in Tomsk time
    assert working_days_between(date(2024, 4, 26), datetime(2024, 4, 26, 20, tzinfo=UTC)) == 1


# --- properties --------------------------------------------------------------

zones = st.sampled_from([UTC, TZ, MSK, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kamchatka")])
starts = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2027, 12, 1), timezones=zones)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=40))
def test_property_result_is_working_day_end(start, n):
    result = add_working_days(start, n)
    assert result.tzinfo is TZ
    assert result.time() == time(18, 0)
    assert is_working_day(result.date())
    assert result.date() >= start.astimezone(TZ).date()
    if n >= 1:
        assert result.date() > start.astimezone(TZ).date()
        assert working_days_between(start, result) == n


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=40))
def test_property_monotonic_in_n(start, n):
    a = add_working_days(start, n)
    b = add_working_days(start, n + 1)
    assert a <= b
    if n >= 1:
        assert a < b
        assert working_days_between(a, b) == 1


@settings(max_examples=100, deadline=None)
@given(
    a=st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31)),
    b=st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31)),
)
def test_property_between_is_antisymmetric(a, b):
    assert working_days_between(a, b) == -working_days_between(b, a)
