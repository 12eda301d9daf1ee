"""Counted minutes in the ledger (issue 11 part 8): non-counting services and breaks are left out of counted
minutes but not of attended minutes; admission and discharge weeks are marked partial."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.attendance.ledger import AttendanceFact, build_ledger

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 3, 2)


def fact(day: int, minutes: int, attended: int, *, counts=True, brk=0, status="present", sid=None):
    start = datetime.combine(MONDAY + timedelta(days=day), time(9)).replace(tzinfo=NY).astimezone(UTC)
    return AttendanceFact(episode_id=1, session_id=sid or f"{day}-{minutes}-{counts}", starts_at=start,
                          ends_at=start + timedelta(minutes=minutes), time_zone="America/New_York",
                          service_type="group_psychotherapy" if counts else "meal", status=status,
                          minutes=attended, scheduled_minutes=minutes, counts=counts, break_minutes=brk)


def test_counted_minutes_leave_out_breaks_and_non_counting_services():
    ledger = build_ledger([fact(0, 240, 240, brk=30), fact(0, 30, 30, counts=False), fact(1, 60, 40, brk=10,
                                                                                           status="late")],
                          start=MONDAY, end=MONDAY + timedelta(days=6))
    week = ledger.weeks[0]
    assert week.attended_minutes == 310
    assert week.counted_minutes == 210 + 30
    assert ledger.days[0].counted_minutes == 210 and ledger.days[1].counted_minutes == 30


def test_admission_and_discharge_weeks_are_partial():
    ledger = build_ledger([fact(2, 60, 60)], start=MONDAY, end=MONDAY + timedelta(days=13),
                          admitted_on=MONDAY + timedelta(days=2), discharged_on=MONDAY + timedelta(days=13))
    assert [w.partial for w in ledger.weeks] == [True, False]
    ledger = build_ledger([], start=MONDAY, end=MONDAY + timedelta(days=6), admitted_on=MONDAY)
    assert not ledger.weeks[0].partial


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 240), st.floats(0, 1), st.booleans(),
                          st.integers(0, 60)), max_size=12))
def test_counted_never_exceeds_attended(items):
    facts = [fact(d, m, int(m * share), counts=c, brk=b, status="present" if int(m * share) else "absent_excused",
                  sid=str(i)) for i, (d, m, share, c, b) in enumerate(items)]
    ledger = build_ledger(facts, start=MONDAY, end=MONDAY + timedelta(days=6))
    for day in ledger.days:
        assert 0 <= day.counted_minutes <= day.attended_minutes <= day.scheduled_minutes
