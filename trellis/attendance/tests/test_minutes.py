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
