"""The compliance engine on hand-computed weeks, and its invariants (hypothesis). Pure: no database."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.attendance.ledger import local_start_date
from trellis.attendance.minutes import session_minutes
from trellis.compliance.engine import (
    ABSENT_UNEXCUSED,
    CANCELLED_BY_PROGRAM,
    EXCLUDE,
    LATE,
    PRESENT,
    STATUS_SEVERITY,
    UNMARKED,
    EngineError,
    EpisodeWeek,
    OpenSession,
    Requirement,
    SessionSlot,
    Status,
    day_totals,
    evaluate_week,
    parse_iso_week,
)

NY = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 16)  # 2026-W47
IOP = Requirement(weekly_min_minutes=540, weekly_max_minutes=1140, name="IOP adult")
PHP = Requirement(weekly_min_minutes=1200, min_services_per_day=3, name="Medicare PHP")
NOW_END_OF_WEEK = datetime(2026, 11, 23, 12, tzinfo=UTC)


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm)).replace(tzinfo=NY).astimezone(UTC)


def slot(day: int, minutes: int, status: str = PRESENT, attended: int | None = None, *, counts=True, brk=0,
         service="group_psychotherapy", hour=9, sid=None) -> SessionSlot:
    d = MONDAY + timedelta(days=day)
    start = at(d, hour)
    if attended is None:
        attended = minutes if status in (PRESENT,) else 0
    return SessionSlot(
        session_id=sid or f"{day}-{hour}-{service}", local_date=d, starts_at=start,
        ends_at=start + timedelta(minutes=minutes), service_type=service, counts=counts,
        scheduled_minutes=minutes, status=status, attended_minutes=attended, break_minutes=brk,
    )


def week(sessions, req=IOP, admitted=date(2026, 1, 5), discharged=None, open_sessions=(), now=None, monday=MONDAY,
         closed=frozenset()):
    return EpisodeWeek(episode_id="E1", monday=monday, admitted_on=admitted, discharged_on=discharged,
                       requirement=req, sessions=tuple(sessions), open_sessions=tuple(open_sessions), now=now,
                       closed_days=closed)


def test_holiday_closure_week_cannot_be_met_and_the_closed_day_says_why():
    # Mon/Wed/Fri 3-hour IOP days; Monday is a holiday closure (sessions cancelled by the program).
    r = evaluate_week(week(
        [slot(0, 180, CANCELLED_BY_PROGRAM), slot(2, 180), slot(4, 180)], closed=frozenset({MONDAY})))
    assert (r.scheduled_minutes, r.attended_minutes, r.counted_minutes) == (360, 360, 360)
    assert r.best_case_minutes == 360 and r.required_minutes == 540
    assert r.status == Status.CANNOT_MEET
    assert r.days[0].reason == "Program closed." and not r.days[0].billable
    assert r.days[2].billable


def test_admission_on_wednesday_prorates_to_three_fifths():
    sessions = [slot(0, 180), slot(2, 180), slot(4, 180)]  # Monday's session is before admission: not counted
    r = evaluate_week(week(sessions, admitted=MONDAY + timedelta(days=2)))
    assert r.partial
    assert r.required_minutes == 324  # 540 × 3/5 program days in care
    assert r.counted_minutes == 360
    assert r.status == Status.MET
    assert not r.days[0].in_care and r.days[0].reason == "Not in care this day."


def test_admission_week_excluded_when_the_rule_set_says_so():
    req = Requirement(weekly_min_minutes=1200, partial_week=EXCLUDE)
    r = evaluate_week(week([slot(2, 180)], req=req, admitted=MONDAY + timedelta(days=2)))
    assert r.status == Status.PARTIAL_WEEK and r.proposal is None


def test_dst_week_uses_elapsed_minutes_and_local_dates():
    # 2026-11-01 (Sunday of 2026-W44) clocks go back at 02:00 in New York: 01:00 EDT → 03:00 EST is 3 hours.
    monday = date(2026, 10, 26)
    sunday = date(2026, 11, 1)
    start = datetime(2026, 11, 1, 1, 0, tzinfo=NY)  # fold=0: EDT
    end = datetime(2026, 11, 1, 3, 0, tzinfo=NY)
    minutes = session_minutes(start.astimezone(UTC), end.astimezone(UTC))
    assert minutes == 180
    # An evening group 23:00–01:00 local Saturday belongs to Saturday though it ends on Sunday (UTC Sunday too).
    sat_start = datetime(2026, 10, 31, 23, 0, tzinfo=NY).astimezone(UTC)
    assert local_start_date(sat_start, "America/New_York") == date(2026, 10, 31)
    slots = [
        SessionSlot("sun", sunday, start.astimezone(UTC), end.astimezone(UTC), "group_psychotherapy", True, minutes,
                    PRESENT, minutes),
        SessionSlot("sat", date(2026, 10, 31), sat_start, sat_start + timedelta(minutes=120), "skills_group", True,
                    120, PRESENT, 120),
        SessionSlot("wed", date(2026, 10, 28), at(date(2026, 10, 28), 9), at(date(2026, 10, 28), 13),
                    "group_psychotherapy", True, 240, PRESENT, 240),
    ]
    r = evaluate_week(week(slots, monday=monday))
    assert r.counted_minutes == 540 and r.status == Status.MET
    assert r.days[5].counted_minutes == 120 and r.days[6].counted_minutes == 180


def test_partial_attendance_with_one_session_left_is_at_risk_then_cannot_meet():
    now = at(MONDAY + timedelta(days=2), 18)
    sessions = [slot(0, 180), slot(2, 180, LATE, 120), slot(4, 180, UNMARKED)]
    r = evaluate_week(week(sessions, now=now))
    assert (r.counted_minutes, r.remaining_counted_minutes, r.best_case_minutes) == (300, 180, 480)
    assert r.status == Status.CANNOT_MEET  # 480 < 540
    sessions = [slot(0, 180), slot(2, 180, LATE, 170), slot(4, 180, UNMARKED)]
    r = evaluate_week(week(sessions, now=now))
    assert r.best_case_minutes == 530 and r.status == Status.CANNOT_MEET
    sessions = [slot(0, 180), slot(2, 180), slot(4, 180, UNMARKED)]
    r = evaluate_week(week(sessions, now=now))
    assert r.status == Status.AT_RISK
    assert [s.session_id for s in r.proposal.essential] == [sessions[2].session_id]
    assert r.proposal.shortfall_minutes == 0


def test_php_patient_at_19_5_counted_hours_has_not_met_twenty():
    # Five days of 4 h PHP groups with a 6-minute documented break every day = 5 × 234 = 1170 min = 19.5 h.
    sessions = [slot(d, 240, brk=6) for d in range(5)]
    r = evaluate_week(week(sessions, req=PHP))
    assert r.counted_minutes == 1170 and r.counted_hours == 19.5
    assert r.status == Status.CANNOT_MEET
    assert "19.5" in r.reason and "20" in r.reason


def test_break_inside_a_session_is_subtracted():
    r = evaluate_week(week([slot(0, 240, brk=30)]))
    assert r.attended_minutes == 240 and r.counted_minutes == 210
    # Partial attendance with a break: credit never exceeds what was documented minus the break.
    r = evaluate_week(week([slot(0, 240, LATE, 100, brk=30)]))
    assert r.counted_minutes == 70


def test_week_with_only_non_counting_services():
    sessions = [slot(0, 60, counts=False, service="medication_management"),
                slot(1, 30, counts=False, service="meal")]
    r = evaluate_week(week(sessions))
    assert r.attended_minutes == 90 and r.counted_minutes == 0
    assert r.status == Status.CANNOT_MEET
    assert r.days[0].reason == "Only services that do not count toward treatment hours."


def test_on_track_when_one_session_can_be_missed():
    now = at(MONDAY, 18)
    sessions = [slot(0, 180), slot(1, 180, UNMARKED), slot(2, 180, UNMARKED), slot(3, 180, UNMARKED)]
    r = evaluate_week(week(sessions, now=now))
    assert r.status == Status.ON_TRACK and r.proposal is None


def test_per_diem_day_needs_services_and_minutes():
    req = Requirement(weekly_min_minutes=540, per_diem_min_minutes=180, min_services_per_day=3)
    sessions = [slot(0, 60, hour=9), slot(0, 60, hour=10), slot(0, 60, hour=11), slot(1, 60, hour=9),
                slot(1, 120, hour=10)]
    r = evaluate_week(week(sessions, req=req))
    assert r.days[0].billable
    assert not r.days[1].billable and r.days[1].reason == "2 counted services; a billable day needs 3."


def test_cannot_meet_proposes_open_sessions_that_close_the_gap():
    now = at(MONDAY + timedelta(days=1), 18)
    sessions = [slot(0, 180), slot(1, 60, ABSENT_UNEXCUSED), slot(2, 180, UNMARKED)]
    d3 = MONDAY + timedelta(days=3)
    opens = [
        OpenSession("g1", d3, at(d3, 9), at(d3, 12), "Trauma group", "group_psychotherapy", True, 180,
                    detail="Trauma track", seats_left=2),
        OpenSession("full", d3, at(d3, 13), at(d3, 16), "Full group", "group_psychotherapy", True, 180,
                    seats_left=0),
        OpenSession("past", MONDAY, at(MONDAY, 13), at(MONDAY, 16), "Past group", "group_psychotherapy", True, 180),
        OpenSession(None, d3, at(d3, 14), at(d3, 15), "Individual with clinician", "individual_therapy", True, 60,
                    kind="individual"),
    ]
    r = evaluate_week(week(sessions, now=now, open_sessions=opens))
    assert r.status == Status.CANNOT_MEET and r.best_case_minutes == 360
    p = r.proposal
    assert p.shortfall_minutes == 180
    assert [a.session.session_id for a in p.additions] == ["g1"]
    assert p.additions[0].counted_minutes == 180 and p.reaches_requirement


def test_bad_requirements_are_refused():
    with pytest.raises(EngineError, match="minimum is above"):
        Requirement(weekly_min_minutes=600, weekly_max_minutes=500)
    with pytest.raises(EngineError, match="negative"):
        Requirement(weekly_min_minutes=-1)


def test_parse_iso_week():
    assert parse_iso_week("2026-W47") == MONDAY
    for bad in ("2026-47", "2026-W54", "next week", ""):
        with pytest.raises(EngineError, match="YYYY-Www"):
            parse_iso_week(bad)


# --- properties -------------------------------------------------------------------------------------------

OUTCOMES = st.sampled_from([PRESENT, LATE, ABSENT_UNEXCUSED, CANCELLED_BY_PROGRAM])
session_st = st.tuples(
    st.integers(0, 6), st.integers(30, 240), st.booleans(), st.integers(0, 40), OUTCOMES, st.floats(0, 1)
)


def _slots(spec, marked):
    out = []
    for i, (day, minutes, counts, brk, outcome, share) in enumerate(spec):
        brk = min(brk, minutes)
        if i < marked:
            attended = minutes if outcome == PRESENT else (int(minutes * share) if outcome == LATE else 0)
            status = outcome if (outcome != LATE or attended) else ABSENT_UNEXCUSED
        else:
            attended, status = 0, UNMARKED
        out.append(SessionSlot(i, MONDAY + timedelta(days=day), at(MONDAY + timedelta(days=day), 8 + i % 10),
                               at(MONDAY + timedelta(days=day), 8 + i % 10) + timedelta(minutes=minutes),
                               "group_psychotherapy", counts, minutes, status, attended, brk))
    return out


@settings(max_examples=150, deadline=None)
@given(spec=st.lists(session_st, max_size=10), need=st.integers(0, 1500), days=st.integers(0, 5))
def test_properties_counted_attended_scheduled_best_case_and_monotone_status(spec, need, days):
    req = Requirement(weekly_min_minutes=need, min_days_per_week=days)
    previous = None
    for marked in range(len(spec) + 1):
        r = evaluate_week(week(_slots(spec, marked), req=req))
        assert r.counted_minutes <= r.attended_minutes <= r.scheduled_minutes
        assert r.best_case_minutes >= r.counted_minutes
        if previous is not None:
            assert r.best_case_minutes <= previous.best_case_minutes
            if previous.status == Status.MET:
                assert r.status == Status.MET
            elif r.status != Status.MET:
                # Unmet weeks only get worse as sessions pass.
                assert STATUS_SEVERITY[r.status] <= STATUS_SEVERITY[previous.status]
        previous = r
    assert previous.remaining_counted_minutes == 0
    assert previous.status in (Status.MET, Status.CANNOT_MEET)


@settings(max_examples=150, deadline=None)
@given(spec=st.lists(session_st, max_size=10), need=st.integers(0, 1500), days=st.integers(0, 5),
       marked=st.integers(0, 10), admitted=st.integers(-3, 6), closed=st.sets(st.integers(0, 6), max_size=2),
       services=st.integers(0, 3), per_diem=st.integers(0, 240), exclude=st.booleans())
def test_day_totals_judge_a_week_exactly_as_its_sessions(spec, need, days, marked, admitted, closed, services,
                                                         per_diem, exclude):
    """The values-only path (per-day sums, as the SQL loader gives them) against the definitions applied session by
    session (an oracle written from the module docstring), and against the session path: equal on everything but
    the proposal and the list of remaining sessions, which need the sessions."""
    req = Requirement(weekly_min_minutes=need, min_days_per_week=days, min_services_per_day=services,
                      per_diem_min_minutes=per_diem, partial_week=EXCLUDE if exclude else "prorate")
    slots = _slots(spec, marked)
    base = week(slots, req=req, admitted=MONDAY + timedelta(days=admitted),
                closed=frozenset(MONDAY + timedelta(days=d) for d in closed))
    summed = evaluate_week(replace(base, sessions=(), day_totals=day_totals(slots), propose=False))
    assert summed == replace(evaluate_week(replace(base, propose=False)), remaining_sessions=())
    # The oracle: session by session.
    care = {MONDAY + timedelta(days=i) for i in range(7) if i >= admitted}
    live = [s for s in slots if s.local_date in care and s.status != CANCELLED_BY_PROGRAM]
    remaining = [s for s in live if s.status == UNMARKED and s.counts and s.scheduled_minutes > s.break_minutes]
    counted = sum(max(0, s.attended_minutes - s.break_minutes) for s in live
                  if s.counts and s.status in (PRESENT, LATE) and s.attended_minutes)
    assert summed.scheduled_minutes == sum(s.scheduled_minutes for s in live)
    assert summed.attended_minutes == sum(s.attended_minutes for s in live)
    assert summed.counted_minutes == counted
    assert summed.remaining_counted_minutes == sum(s.scheduled_minutes - s.break_minutes for s in remaining)
    assert summed.days_attended == len({s.local_date for s in live if s.counts and s.attended_minutes > s.break_minutes})
    for d in summed.days:
        mine = [s for s in slots if s.local_date == d.date]
        assert d.counted_minutes == sum(max(0, s.attended_minutes - s.break_minutes) for s in mine if s.counts)
        assert d.services == sum(1 for s in mine if s.counts and s.attended_minutes > s.break_minutes)
        assert d.billable == (d.in_care and d.counted_minutes > 0 and d.counted_minutes >= per_diem
                              and d.services >= services)
    if summed.status == Status.AT_RISK:  # missing the smallest remaining session would make it unreachable
        smallest = min(s.scheduled_minutes - s.break_minutes for s in remaining)
        assert summed.best_case_minutes - smallest < summed.required_minutes <= summed.best_case_minutes


def test_day_totals_and_sessions_together_are_refused():
    slots = [slot(0, 180)]
    with pytest.raises(EngineError, match="not both"):
        replace(week(slots), day_totals=day_totals(slots))
