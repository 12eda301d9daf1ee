"""Pure tests for the treatment-hours ledger aggregation (no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.attendance.ledger import (
    AttendanceFact,
    LedgerError,
    build_ledger,
    build_ledgers,
    local_start_date,
)
from trellis.attendance.minutes import compute_minutes

NY = "America/New_York"
ZONE = ZoneInfo(NY)


def local(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm)).replace(tzinfo=ZONE).astimezone(UTC)


def fact(day, start, end, service, status, *, arrived=None, departed=None, modality="in_person", episode="E1", session=None):
    s = local(day, *start)
    e = local(day, *end)
    result = compute_minutes(
        status=status,
        session_start=s,
        session_end=e,
        arrived_at=None if arrived is None else local(day, *arrived),
        departed_at=None if departed is None else local(day, *departed),
    )
    return AttendanceFact(
        episode_id=episode,
        session_id=session or f"{day}-{start}",
        starts_at=s,
        ends_at=e,
        time_zone=NY,
        service_type=service,
        status=status,
        minutes=result.minutes,
        scheduled_minutes=int((e - s).total_seconds() // 60),
        modality=modality if status in {"present", "late", "left_early"} else None,
    )


MON = date(2026, 3, 2)  # ISO week 2026-W10 (Mon 2 March – Sun 8 March)


def crafted_week() -> list[AttendanceFact]:
    """The hand-computed week (all times America/New_York, EST = UTC-5 until Sun 8 March 02:00)."""
    tue, wed, thu, fri, sat = (MON + timedelta(days=i) for i in range(1, 6))
    return [
        # Mon: group 09:00–10:30 present (90); skills 10:45–12:00 late at 11:00 (60 of 75)
        fact(MON, (9, 0), (10, 30), "group_psychotherapy", "present"),
        fact(MON, (10, 45), (12, 0), "skills_group", "late", arrived=(11, 0)),
        # Tue: group 09:00–10:30 absent, excused (0 of 90)
        fact(tue, (9, 0), (10, 30), "group_psychotherapy", "absent_excused"),
        # Wed: group 09:00–10:30 by video, left at 10:10 (70); individual 13:00–13:53 audio-only (53)
        fact(wed, (9, 0), (10, 30), "group_psychotherapy", "left_early", departed=(10, 10), modality="video"),
        fact(wed, (13, 0), (13, 53), "individual_therapy", "present", modality="audio_only"),
        # Thu: group cancelled by the program (closure): not scheduled, reported separately (90)
        fact(thu, (9, 0), (10, 30), "group_psychotherapy", "cancelled_by_program"),
        # Fri: evening group 19:00–21:00 EST = Sat 00:00–02:00 UTC; late at 19:20 (100 of 120)
        fact(fri, (19, 0), (21, 0), "group_psychotherapy", "late", arrived=(19, 20)),
        # Sat: psychoeducation 10:00–11:00 absent, unexcused (0 of 60)
        fact(sat, (10, 0), (11, 0), "psychoeducation", "absent_unexcused"),
    ]


def test_crafted_week_matches_hand_computed_numbers():
    ledger = build_ledger(crafted_week(), start=MON, end=MON + timedelta(days=6))
    (week,) = ledger.weeks
    assert (week.iso_year, week.iso_week, week.label) == (2026, 10, "2026-W10")
    assert week.monday == MON and week.sunday == date(2026, 3, 8)
    # scheduled = 90 + 75 + 90 + 90 + 53 + 120 + 60 = 578 (the cancelled 90 is not scheduled)
    assert week.scheduled_minutes == 578
    # attended = 90 + 60 + 70 + 53 + 100 = 373
    assert week.attended_minutes == 373
    assert week.by_service_type == {
        "group_psychotherapy": 90 + 70 + 100,
        "skills_group": 60,
        "individual_therapy": 53,
    }
    assert week.by_modality == {"in_person": 90 + 60 + 100, "video": 70, "audio_only": 53}
    assert (week.absences_excused, week.absent_excused_minutes) == (1, 90)
    assert (week.absences_unexcused, week.absent_unexcused_minutes) == (1, 60)
    assert (week.cancelled_by_program, week.cancelled_minutes) == (1, 90)
    assert week.sessions_scheduled == 7
    assert week.sessions_attended == 5
    assert week.days_attended == 3  # Mon, Wed, Fri
    assert week.attended_hours == 6.22

    days = {d.date: d for d in ledger.days}
    assert len(days) == 7  # every day of the requested range, zeros included
    assert days[MON].attended_minutes == 150 and days[MON].scheduled_minutes == 165
    assert days[date(2026, 3, 3)].attended_minutes == 0 and days[date(2026, 3, 3)].absences == 1
    assert days[date(2026, 3, 4)].attended_minutes == 123
    assert days[date(2026, 3, 5)].scheduled_minutes == 0 and days[date(2026, 3, 5)].cancelled_by_program == 1
    # The Friday evening group ran after midnight UTC (Saturday in UTC) and still counts on Friday.
    assert days[date(2026, 3, 6)].attended_minutes == 100
    assert days[date(2026, 3, 7)].attended_minutes == 0 and days[date(2026, 3, 7)].scheduled_minutes == 60
    assert days[date(2026, 3, 8)].scheduled_minutes == 0
    assert ledger.total.attended_minutes == 373


def test_session_crossing_midnight_utc_is_attributed_to_site_local_start_date():
    f = crafted_week()[6]
    assert f.starts_at.date() == date(2026, 3, 7)  # UTC: Saturday
    assert local_start_date(f.starts_at, NY) == date(2026, 3, 6)  # site-local: Friday
    assert f.local_date == date(2026, 3, 6)


def test_week_boundary_uses_local_date_not_utc():
    # Sunday 8 March 21:00 EDT = Monday 9 March 01:00 UTC: belongs to ISO week 10, not 11.
    sunday = date(2026, 3, 8)
    f = fact(sunday, (20, 0), (21, 30), "group_psychotherapy", "present")
    ledger = build_ledger([f])
    assert [w.iso_week for w in ledger.weeks] == [10]


def test_range_filters_facts_and_fills_partial_weeks():
    facts = crafted_week()
    ledger = build_ledger(facts, start=date(2026, 3, 4), end=date(2026, 3, 10))
    assert [d.date for d in ledger.days][0] == date(2026, 3, 4)
    assert len(ledger.days) == 7
    assert [w.label for w in ledger.weeks] == ["2026-W10", "2026-W11"]
    assert ledger.weeks[0].attended_minutes == 70 + 53 + 100
    assert ledger.week(date(2026, 3, 10)).attended_minutes == 0
    assert ledger.day(date(2026, 3, 6)).attended_minutes == 100
    assert ledger.day(date(2026, 1, 1)) is None


def test_without_fill_only_days_with_facts():
    ledger = build_ledger(crafted_week(), fill_empty_days=False)
    assert len(ledger.days) == 6  # Sunday had nothing


def test_unmarked_sessions_are_scheduled_but_not_absences():
    f = AttendanceFact(
        episode_id="E1", session_id="S", starts_at=local(MON, 9), ends_at=local(MON, 10), time_zone=NY,
        service_type="group_psychotherapy", status="unmarked", minutes=0, scheduled_minutes=60,
    )
    day = build_ledger([f]).days[0]
    assert (day.scheduled_minutes, day.unmarked_sessions, day.absences) == (60, 1, 0)


def test_attended_minutes_without_modality_are_reported_as_unrecorded():
    f = fact(MON, (9, 0), (10, 0), "group_psychotherapy", "present", modality=None)
    assert build_ledger([f]).days[0].by_modality == {"unrecorded": 60}


def test_as_dict_is_plain_data():
    data = build_ledger(crafted_week(), start=MON, end=MON + timedelta(days=6)).as_dict()
    assert data["weeks"][0]["attended_minutes"] == 373
    assert data["weeks"][0]["days"][0]["date"] == "2026-03-02"
    assert data["total"]["absences"] == 2


def test_build_ledgers_per_episode():
    facts = crafted_week() + [fact(MON, (9, 0), (10, 30), "group_psychotherapy", "present", episode="E2")]
    ledgers = build_ledgers(facts, start=MON, end=MON + timedelta(days=6))
    assert ledgers["E1"].total.attended_minutes == 373
    assert ledgers["E2"].total.attended_minutes == 90


@pytest.mark.parametrize(
    "kwargs",
    [
        {"minutes": 91},  # beyond session
        {"minutes": -1},
        {"status": "nonsense"},
        {"status": "absent_excused", "minutes": 10},
        {"ends_at": datetime(2026, 3, 2, 13, 0, tzinfo=UTC)},
        {"starts_at": datetime(2026, 3, 2, 14, 0)},  # noqa: DTZ001 - naive on purpose
    ],
)
def test_invalid_facts_are_refused(kwargs):
    data = dict(
        episode_id="E1", session_id="S", starts_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC), time_zone=NY, service_type="group_psychotherapy",
        status="present", minutes=90, scheduled_minutes=90, modality="in_person",
    )
    data.update(kwargs)
    with pytest.raises(LedgerError):
        AttendanceFact(**data)


def test_reversed_range_is_refused():
    with pytest.raises(LedgerError):
        build_ledger([], start=date(2026, 3, 2), end=date(2026, 3, 1))


STATUSES = ["present", "late", "left_early", "absent_excused", "absent_unexcused", "cancelled_by_program", "unmarked"]
SERVICES = ["group_psychotherapy", "skills_group", "individual_therapy", "medication_management"]
MODALITIES = ["in_person", "video", "audio_only"]


@st.composite
def facts_strategy(draw):
    zone = draw(st.sampled_from(["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Sydney"]))
    n = draw(st.integers(min_value=0, max_value=40))
    out = []
    base = datetime(2026, 2, 20, tzinfo=UTC)
    for i in range(n):
        start = base + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 40)))
        length = draw(st.integers(min_value=15, max_value=360))
        status = draw(st.sampled_from(STATUSES))
        minutes = draw(st.integers(min_value=0, max_value=length)) if status in {"present", "late", "left_early"} else 0
        out.append(
            AttendanceFact(
                episode_id="E", session_id=i, starts_at=start, ends_at=start + timedelta(minutes=length),
                time_zone=zone, service_type=draw(st.sampled_from(SERVICES)), status=status, minutes=minutes,
                scheduled_minutes=length, modality=draw(st.sampled_from(MODALITIES)),
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(facts=facts_strategy(), fill=st.booleans())
def test_property_days_sum_to_weeks_and_attended_never_exceeds_scheduled(facts, fill):
    ledger = build_ledger(facts, start=date(2026, 2, 15), end=date(2026, 4, 15), fill_empty_days=fill)
    for week in ledger.weeks:
        assert week.attended_minutes == sum(d.attended_minutes for d in week.days)
        assert week.scheduled_minutes == sum(d.scheduled_minutes for d in week.days)
        assert week.absences == sum(d.absences for d in week.days)
        assert week.cancelled_minutes == sum(d.cancelled_minutes for d in week.days)
        assert all(d.date.isocalendar()[:2] == (week.iso_year, week.iso_week) for d in week.days)
        assert week.days_attended <= 7
    for t in [*ledger.days, *ledger.weeks, ledger.total]:
        assert 0 <= t.attended_minutes <= t.scheduled_minutes
        assert sum(t.by_service_type.values()) == t.attended_minutes
        assert sum(t.by_modality.values()) == t.attended_minutes
    in_range = [f for f in facts if date(2026, 2, 15) <= f.local_date <= date(2026, 4, 15)]
    assert ledger.total.attended_minutes == sum(f.minutes for f in in_range)
    assert ledger.total.sessions_scheduled + ledger.total.cancelled_by_program == len(in_range)
    # every fact lands on exactly one day: days are unique and sorted
    dates = [d.date for d in ledger.days]
    assert dates == sorted(set(dates))


def test_iso_week_53_spans_new_year():
    # 2026 starts on a Thursday, so it has 53 ISO weeks; 1 January 2027 (Friday) is in 2026-W53.
    mon, fri = date(2026, 12, 28), date(2027, 1, 1)
    facts = [fact(mon, (9, 0), (10, 0), "group_psychotherapy", "present"),
             fact(fri, (9, 0), (10, 30), "skills_group", "present")]
    ledger = build_ledger(facts, start=date(2026, 12, 28), end=date(2027, 1, 3))
    (week,) = ledger.weeks
    assert (week.label, week.attended_minutes, week.days_attended) == ("2026-W53", 150, 2)
