"""Pure tests for minutes attended (no database)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.attendance.minutes import (
    MinutesError,
    Status,
    compute_minutes,
    session_minutes,
    validate_minutes,
)

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
END = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 90 minutes


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def mins(**kwargs) -> int:
    return compute_minutes(session_start=START, session_end=END, **kwargs).minutes


def test_present_without_times_is_the_whole_session():
    assert mins(status="present") == 90


def test_late_arrival_counts_from_arrival():
    assert mins(status="late", arrived_at=at(20)) == 70


def test_left_early_counts_to_departure():
    assert mins(status="left_early", departed_at=at(50)) == 50


def test_late_and_left_early_together():
    assert mins(status="present", arrived_at=at(10), departed_at=at(60)) == 50


def test_early_arrival_and_late_departure_are_clipped_to_the_window():
    assert mins(status="present", arrived_at=at(-15), departed_at=at(120)) == 90


def test_seconds_are_truncated_not_rounded_up():
    assert mins(status="late", arrived_at=at(20) + timedelta(seconds=59)) == 69


def test_times_in_other_offsets_are_compared_as_instants():
    eastern = timezone(timedelta(hours=-5))
    arrived = datetime(2026, 3, 2, 9, 15, tzinfo=eastern)  # 14:15 UTC
    assert mins(status="late", arrived_at=arrived) == 75


@pytest.mark.parametrize("status", ["absent_excused", "absent_unexcused", "cancelled_by_program"])
def test_absences_and_cancellations_are_zero(status):
    result = compute_minutes(status=status, session_start=START, session_end=END)
    assert result.minutes == 0
    assert result.arrived_at is None and result.departed_at is None


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"status": "present", "arrived_at": at(50), "departed_at": at(40)}, "departed_at", "Arrival must be before departure"),
        ({"status": "present", "arrived_at": at(40), "departed_at": at(40)}, "departed_at", "before departure"),
        ({"status": "late"}, "arrived_at", "arrival time"),
        ({"status": "left_early"}, "departed_at", "departure time"),
        ({"status": "late", "arrived_at": at(95)}, "arrived_at", "after the session ended"),
        ({"status": "left_early", "departed_at": at(-1)}, "departed_at", "before the session began"),
        ({"status": "absent_excused", "arrived_at": at(5)}, "arrived_at", "no arrival"),
        ({"status": "cancelled_by_program", "departed_at": at(5)}, "departed_at", "no arrival"),
        ({"status": "teleported"}, "status", "Unknown"),
        ({"status": "late", "arrived_at": datetime(2026, 3, 2, 14, 5)}, "arrived_at", "aware"),  # noqa: DTZ001
    ],
)
def test_bad_input_is_refused_with_a_field(kwargs, field, fragment):
    with pytest.raises(MinutesError) as exc:
        compute_minutes(session_start=START, session_end=END, **kwargs)
    assert exc.value.field == field
    assert fragment in exc.value.message


def test_session_minutes():
    assert session_minutes(START, END) == 90
    with pytest.raises(MinutesError):
        session_minutes(END, START)


def test_validate_minutes():
    assert validate_minutes(90, session_length=90) == 90
    assert validate_minutes(0, session_length=90) == 0
    with pytest.raises(MinutesError, match="more than the session"):
        validate_minutes(91, session_length=90)
    with pytest.raises(MinutesError, match="negative"):
        validate_minutes(-1, session_length=90)
    with pytest.raises(MinutesError, match="whole number"):
        validate_minutes(True, session_length=90)


def test_status_values_are_stable():
    # Stored in the database and used by billing; renaming a value is a migration.
    assert [s.value for s in Status] == [
        "present",
        "late",
        "left_early",
        "absent_excused",
        "absent_unexcused",
        "cancelled_by_program",
    ]


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=600),
    arrive=st.one_of(st.none(), st.integers(min_value=-120, max_value=700)),
    depart=st.one_of(st.none(), st.integers(min_value=-120, max_value=800)),
)
def test_property_minutes_within_zero_and_session_length(length, arrive, depart):
    end = START + timedelta(minutes=length)
    arrived = None if arrive is None else START + timedelta(minutes=arrive)
    departed = None if depart is None else START + timedelta(minutes=depart)
    try:
        result = compute_minutes(status="present", session_start=START, session_end=end, arrived_at=arrived, departed_at=departed)
    except MinutesError:
        return
    assert 0 <= result.minutes <= length
    effective_start = max(arrived or START, START)
    effective_end = min(departed or end, end)
    assert result.minutes == int((effective_end - effective_start).total_seconds() // 60)


# Contradictions refused at entry (issue 16 item 2) and minutes at their edges (issue 11).


def test_an_arrival_exactly_at_the_end_is_refused_not_late_with_zero_minutes():
    """Issue 11: an arrival at the session's end is an absence, never "late" with 0 minutes."""
    with pytest.raises(MinutesError) as exc:
        mins(status="late", arrived_at=END)
    assert exc.value.field == "arrived_at"
    assert "absent" in exc.value.message


def test_minutes_are_floored_not_rounded():
    """Issue 11 / AMA CPT "Time": arriving 20:01 at a 19:00–21:10 group is 69 minutes, and 20:01:30 is 68.

    Rounding would credit 69 (or 70) minutes and could cross a CPT time threshold by seconds."""
    start = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
    end = datetime(2026, 3, 2, 21, 10, tzinfo=UTC)
    arrived = datetime(2026, 3, 2, 20, 1, tzinfo=UTC)
    assert compute_minutes(status="late", session_start=start, session_end=end, arrived_at=arrived).minutes == 69
    arrived = datetime(2026, 3, 2, 20, 1, 30, tzinfo=UTC)
    assert compute_minutes(status="late", session_start=start, session_end=end, arrived_at=arrived).minutes == 68


def test_early_arrival_and_late_departure_count_exactly_the_session():
    """Issue 11: 15 minutes early and 60 minutes after the end count exactly the session's length."""
    assert mins(status="present", arrived_at=at(-15), departed_at=at(150)) == 90


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"status": "late", "arrived_at": at(-210)}, "arrived_at", "before the session"),  # 06:00 for a 09:30
        ({"status": "late", "arrived_at": at(-5)}, "arrived_at", "arrival after the start"),
        ({"status": "late", "arrived_at": at(0)}, "arrived_at", "arrival after the start"),
        ({"status": "left_early", "departed_at": at(90)}, "departed_at", "departure before the end"),
        ({"status": "left_early", "departed_at": at(100)}, "departed_at", "departure before the end"),
        ({"status": "present", "arrived_at": at(-121)}, "arrived_at", "more than 2 hours before"),
        ({"status": "present", "departed_at": at(211)}, "departed_at", "more than 2 hours after"),
        ({"status": "late", "arrived_at": at(30), "now": at(20)}, "arrived_at", "future"),
        ({"status": "left_early", "departed_at": at(60), "now": at(59)}, "departed_at", "future"),
    ],
)
def test_contradictions_are_refused_on_the_field(kwargs, field, fragment):
    with pytest.raises(MinutesError) as exc:
        compute_minutes(session_start=START, session_end=END, **kwargs)
    assert exc.value.field == field
    assert fragment in exc.value.message


def test_times_up_to_now_are_accepted():
    assert mins(status="late", arrived_at=at(20), now=at(20)) == 70
    assert mins(status="left_early", departed_at=at(60), now=at(60)) == 60
    assert mins(status="present", arrived_at=at(-120), departed_at=at(210)) == 90
