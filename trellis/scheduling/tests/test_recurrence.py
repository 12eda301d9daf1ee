"""Pure tests for weekly occurrence generation (no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.scheduling.recurrence import (
    FRIDAY,
    MONDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    Occurrence,
    RecurrenceError,
    WeeklySeriesSpec,
    describe_weekdays,
    generate_occurrences,
    generate_tuples,
    is_ambiguous,
    is_nonexistent,
    local_to_utc,
    nominal_minutes,
    occurrence_on,
    overlaps,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
WEEKDAYS = frozenset({MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def spec(**overrides) -> WeeklySeriesSpec:
    data = dict(
        weekdays=WEEKDAYS,
        start_time=time(9, 0),
        end_time=time(12, 0),
        time_zone=NY,
        start_date=date(2026, 1, 5),
        end_date=None,
    )
    data.update(overrides)
    return WeeklySeriesSpec(**data)


def test_weekly_pattern_generates_only_chosen_days_in_window():
    s = spec(weekdays={TUESDAY, THURSDAY})
    occ = generate_occurrences(s, window_start=date(2026, 1, 5), window_end=date(2026, 1, 18))
    assert [o.local_date for o in occ] == [date(2026, 1, 6), date(2026, 1, 8), date(2026, 1, 13), date(2026, 1, 15)]
    # January: EST (UTC-5)
    assert occ[0].starts_at == utc(2026, 1, 6, 14, 0)
    assert occ[0].ends_at == utc(2026, 1, 6, 17, 0)
    assert occ[0].minutes == 180
    assert all(o.starts_at.tzinfo is UTC for o in occ)


def test_series_start_and_inclusive_end_date_bound_the_window():
    s = spec(start_date=date(2026, 1, 7), end_date=date(2026, 1, 9))
    occ = generate_occurrences(s, window_start=date(2026, 1, 1), window_end=date(2026, 1, 31))
    assert [o.local_date for o in occ] == [date(2026, 1, 7), date(2026, 1, 8), date(2026, 1, 9)]


def test_window_before_series_start_is_empty():
    s = spec(start_date=date(2026, 3, 1))
    assert generate_occurrences(s, window_start=date(2026, 1, 1), window_end=date(2026, 2, 28)) == []


def test_skip_dates_are_left_out():
    s = spec(skip_dates={date(2026, 1, 19)})  # e.g. a holiday
    occ = generate_occurrences(s, window_start=date(2026, 1, 19), window_end=date(2026, 1, 20))
    assert [o.local_date for o in occ] == [date(2026, 1, 20)]


def test_generation_is_deterministic_and_idempotent():
    s = spec()
    a = generate_tuples(s, window_start=date(2026, 1, 1), window_end=date(2026, 3, 31))
    b = generate_tuples(s, window_start=date(2026, 1, 1), window_end=date(2026, 3, 31))
    assert a == b
    assert a == sorted(a)
    # overlapping windows agree on the shared part
    first = generate_tuples(s, window_start=date(2026, 1, 1), window_end=date(2026, 2, 15))
    second = generate_tuples(s, window_start=date(2026, 2, 1), window_end=date(2026, 3, 31))
    assert sorted(set(first) | set(second)) == a


def test_spring_forward_week_keeps_local_start_time():
    # US DST 2026 begins Sunday 8 March 02:00 local (15 U.S.C. §260a: second Sunday in March).
    s = spec(weekdays=WEEKDAYS | {SUNDAY})
    occ = generate_occurrences(s, window_start=date(2026, 3, 2), window_end=date(2026, 3, 13))
    zone = ZoneInfo(NY)
    for o in occ:
        local = o.starts_at.astimezone(zone)
        assert (local.hour, local.minute) == (9, 0)
        assert o.minutes == 180
    by_day = {o.local_date: o for o in occ}
    assert by_day[date(2026, 3, 6)].starts_at == utc(2026, 3, 6, 14, 0)  # Fri, EST
    assert by_day[date(2026, 3, 8)].starts_at == utc(2026, 3, 8, 13, 0)  # Sun, EDT (already switched at 02:00)
    assert by_day[date(2026, 3, 9)].starts_at == utc(2026, 3, 9, 13, 0)  # Mon, EDT
    assert len(occ) == 11


def test_fall_back_week_keeps_local_start_time():
    # US DST 2026 ends Sunday 1 November 02:00 local (first Sunday in November).
    s = spec(weekdays=WEEKDAYS | {SUNDAY})
    occ = generate_occurrences(s, window_start=date(2026, 10, 26), window_end=date(2026, 11, 6))
    zone = ZoneInfo(NY)
    assert {(o.starts_at.astimezone(zone).hour) for o in occ} == {9}
    by_day = {o.local_date: o for o in occ}
    assert by_day[date(2026, 10, 30)].starts_at == utc(2026, 10, 30, 13, 0)  # EDT
    assert by_day[date(2026, 11, 1)].starts_at == utc(2026, 11, 1, 14, 0)  # EST
    assert by_day[date(2026, 11, 2)].starts_at == utc(2026, 11, 2, 14, 0)
    assert all(o.minutes == 180 for o in occ)


def test_start_inside_spring_forward_gap_moves_forward_per_rfc5545():
    day = date(2026, 3, 8)
    assert is_nonexistent(day, time(2, 30), NY)
    assert not is_nonexistent(day, time(3, 30), NY)
    o = occurrence_on(day, time(2, 30), time(4, 0), NY)
    # 02:30 does not exist; RFC 5545 §3.3.5 -> interpret with the pre-gap offset (EST, -5) = 07:30 UTC,
    # which the wall clock shows as 03:30 EDT.
    assert o.starts_at == utc(2026, 3, 8, 7, 30)
    assert o.starts_at.astimezone(ZoneInfo(NY)).time() == time(3, 30)
    assert o.ends_at == utc(2026, 3, 8, 8, 0)
    assert o.minutes == 30  # real elapsed time; the nominal 90 minutes lost the skipped hour
    assert o.local_date == day


def test_session_spanning_spring_forward_lasts_real_elapsed_time():
    o = occurrence_on(date(2026, 3, 8), time(1, 0), time(3, 0), NY)
    assert o.minutes == 60
    assert nominal_minutes(time(1, 0), time(3, 0)) == 120


def test_ambiguous_fall_back_time_uses_first_occurrence():
    day = date(2026, 11, 1)
    assert is_ambiguous(day, time(1, 30), NY)
    assert not is_ambiguous(day, time(9, 0), NY)
    o = occurrence_on(day, time(1, 30), time(1, 45), NY)
    assert o.starts_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT (first occurrence)
    assert o.ends_at == utc(2026, 11, 1, 5, 45)


def test_session_crossing_local_midnight_ends_next_day():
    s = spec(start_time=time(22, 0), end_time=time(1, 0), weekdays={FRIDAY})
    assert s.crosses_midnight
    assert s.nominal_minutes == 180
    (o,) = generate_occurrences(s, window_start=date(2026, 1, 5), window_end=date(2026, 1, 11))
    assert o.local_date == date(2026, 1, 9)
    assert o.starts_at == utc(2026, 1, 10, 3, 0)
    assert o.ends_at == utc(2026, 1, 10, 6, 0)
    assert o.minutes == 180


def test_evening_session_crossing_utc_midnight_keeps_local_date():
    s = spec(time_zone=LA, start_time=time(18, 0), end_time=time(21, 0), weekdays={MONDAY})
    (o,) = generate_occurrences(s, window_start=date(2026, 6, 1), window_end=date(2026, 6, 7))
    assert o.local_date == date(2026, 6, 1)
    assert o.starts_at == utc(2026, 6, 2, 1, 0)  # PDT = UTC-7
    assert o.ends_at == utc(2026, 6, 2, 4, 0)


def test_southern_hemisphere_zone():
    # Australia/Sydney: DST ends first Sunday of April (5 April 2026), starts first Sunday of October.
    s = spec(time_zone="Australia/Sydney", weekdays={MONDAY})
    occ = generate_occurrences(s, window_start=date(2026, 3, 30), window_end=date(2026, 4, 12))
    assert [o.starts_at for o in occ] == [utc(2026, 3, 29, 22, 0), utc(2026, 4, 5, 23, 0)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weekdays": set()}, "weekdays"),
        ({"weekdays": {7}}, "weekdays"),
        ({"start_time": time(9, 0), "end_time": time(9, 0)}, "end_time"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"start_date": date(2026, 2, 1), "end_date": date(2026, 1, 1)}, "end_date"),
        ({"start_time": time(9, 0, tzinfo=UTC)}, "start_time"),
    ],
)
def test_invalid_specs_are_refused_with_field(overrides, field):
    with pytest.raises(RecurrenceError) as exc:
        spec(**overrides)
    assert exc.value.field == field
    assert exc.value.message


def test_reversed_or_huge_window_is_refused():
    with pytest.raises(RecurrenceError):
        generate_occurrences(spec(), window_start=date(2026, 2, 1), window_end=date(2026, 1, 1))
    with pytest.raises(RecurrenceError):
        generate_occurrences(spec(), window_start=date(2026, 1, 1), window_end=date(2030, 1, 1))


def test_overlaps_is_half_open():
    a = (utc(2026, 1, 1, 9), utc(2026, 1, 1, 10))
    assert overlaps(*a, utc(2026, 1, 1, 9, 30), utc(2026, 1, 1, 11))
    assert not overlaps(*a, utc(2026, 1, 1, 10), utc(2026, 1, 1, 11))
    assert overlaps(*a, utc(2026, 1, 1, 8), utc(2026, 1, 1, 12))


def test_describe_weekdays():
    assert describe_weekdays(WEEKDAYS) == "Mon–Fri"
    assert describe_weekdays({TUESDAY, THURSDAY}) == "Tue, Thu"


def test_local_to_utc_accepts_zone_object():
    assert local_to_utc(date(2026, 7, 1), time(9), ZoneInfo(NY)) == utc(2026, 7, 1, 13)


ZONES = ["America/New_York", "America/Los_Angeles", "America/Phoenix", "Europe/London", "Australia/Sydney", "UTC"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
    weekdays=st.sets(st.integers(min_value=0, max_value=6), min_size=1),
    start_minute=st.integers(min_value=5 * 60, max_value=22 * 60),
    length=st.integers(min_value=15, max_value=8 * 60),
)
def test_property_occurrences_keep_wall_clock_and_local_date(zone, start, days, weekdays, start_minute, length):
    # Times from 05:00 avoid every DST gap/overlap of these zones (all transitions are 00:00–03:00 local).
    st_time = time(start_minute // 60, start_minute % 60)
    end_minute = (start_minute + length) % (24 * 60)
    en_time = time(end_minute // 60, end_minute % 60)
    s = WeeklySeriesSpec(weekdays=frozenset(weekdays), start_time=st_time, end_time=en_time, time_zone=zone, start_date=start)
    occ = generate_occurrences(s, window_start=start, window_end=start + timedelta(days=days))
    tz = ZoneInfo(zone)
    assert len(occ) == sum(1 for i in range(days + 1) if (start + timedelta(days=i)).weekday() in weekdays)
    previous: Occurrence | None = None
    for o in occ:
        local = o.starts_at.astimezone(tz)
        assert local.date() == o.local_date
        assert local.time() == st_time
        assert o.local_date.weekday() in weekdays
        assert o.ends_at > o.starts_at
        # the nominal length holds except when the end lands after a DST change (early morning next day)
        assert abs(o.minutes - length) in (0, 60)
        if previous is not None:
            assert previous.starts_at < o.starts_at
        previous = o
