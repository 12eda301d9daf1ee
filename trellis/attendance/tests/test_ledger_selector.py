"""treatment_hours(): the ledger selector against a hand-computed week stored in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from trellis.attendance.selectors import treatment_hours, treatment_hours_for_episodes
from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.scheduling.models import SessionStatus
from trellis.scheduling.services import excuse_from_roster
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db
MON = date(2026, 3, 2)  # ISO week 2026-W10; New York is on EST (UTC-5) until Sun 8 March 02:00


def ny(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hh + 5, minutes=mm)  # EST (UTC-5)


@pytest.fixture
def week(time_machine, site, facilitator, therapist, track, enroll):
    """The crafted week of test_ledger_pure.py, in the database, for patient A (B shares the track)."""
    time_machine.move_to(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False)
    a, b = enroll(track, 2)
    tue, wed, thu, fri, sat, sun = (MON + timedelta(days=i) for i in range(1, 7))
    s = {}

    def grp(key, day, start, end, service="group_psychotherapy", **kw):
        s[key] = make_session(site=site, facilitator=facilitator, day=day, start=start, end=end, tracks=[track],
                              service_type=service, title=key, **kw)

    grp("mon_group", MON, time(9), time(10, 30))
    grp("mon_skills", MON, time(10, 45), time(12), "skills_group")
    grp("tue_group", tue, time(9), time(10, 30))
    grp("wed_group", wed, time(9), time(10, 30))
    s["wed_individual"] = make_session(site=site, facilitator=therapist, day=wed, start=time(13), end=time(13, 53),
                                       episode=a, service_type="individual_therapy", title="Individual")
    grp("thu_group", thu, time(9), time(10, 30), status=SessionStatus.CANCELLED, cancel_reason="Closure")
    grp("fri_evening", fri, time(19), time(21))  # 00:00–02:00 UTC on Saturday
    grp("sat_psychoed", sat, time(10), time(11), "psychoeducation")
    grp("sun_group", sun, time(10), time(11))  # A is excused from this one: not scheduled
    excuse_from_roster(session=s["sun_group"], episode=a, user=facilitator, reason="Family event")

    time_machine.move_to(datetime(2026, 3, 8, 20, tzinfo=UTC), tick=False)  # Sunday evening: mark everything

    def mark(key, *entries):
        mark_attendance(session=s[key], user=facilitator, entries=list(entries))

    mark("mon_group", MarkEntry(a.pk, "present"), MarkEntry(b.pk, "present"))
    mark("mon_skills", MarkEntry(a.pk, "late", arrived_at=ny(MON, 11)), MarkEntry(b.pk, "present"))
    mark("tue_group", MarkEntry(a.pk, "absent_excused", absence_reason="Sick"), MarkEntry(b.pk, "present"))
    mark("wed_group", MarkEntry(a.pk, "left_early", departed_at=ny(wed, 10, 10), modality="video"))
    mark("wed_individual", MarkEntry(a.pk, "present", modality="audio_only"))
    mark("fri_evening", MarkEntry(a.pk, "late", arrived_at=ny(fri, 19, 20)))
    mark("sat_psychoed", MarkEntry(a.pk, "absent_unexcused"))
    return a, b, s


def test_crafted_week_matches_hand_computed_numbers(week):
    a, _, sessions = week
    assert sessions["fri_evening"].starts_at.date() == date(2026, 3, 7)  # Saturday in UTC
    ledger = treatment_hours(a, MON, MON + timedelta(days=6))
    (w,) = ledger.weeks
    assert w.label == "2026-W10"
    assert w.scheduled_minutes == 578  # 90+75+90+90+53+120+60 (cancelled Thu and excused Sun not scheduled)
    assert w.attended_minutes == 373  # 90+60+70+53+100
    assert w.by_service_type == {"group_psychotherapy": 260, "skills_group": 60, "individual_therapy": 53}
    assert w.by_modality == {"in_person": 250, "video": 70, "audio_only": 53}
    assert (w.absences_excused, w.absences_unexcused) == (1, 1)
    assert (w.cancelled_by_program, w.cancelled_minutes) == (1, 90)
    assert w.days_attended == 3
    days = {d.date: d for d in ledger.days}
    assert days[date(2026, 3, 6)].attended_minutes == 100  # the evening group counts on its local Friday
    assert days[date(2026, 3, 7)].attended_minutes == 0
    assert days[date(2026, 3, 8)].scheduled_minutes == 0  # excused from Sunday's group


def test_other_patients_do_not_leak_into_the_ledger(week):
    _, b, _ = week
    ledger = treatment_hours(b, MON, MON + timedelta(days=6))
    w = ledger.weeks[0]
    assert w.attended_minutes == 90 + 75 + 90
    # B had no individual session; Wed group, Fri, Sat and Sun sessions are on B's roster but unmarked
    assert w.unmarked_sessions == 4
    assert w.scheduled_minutes == 90 + 75 + 90 + 90 + 120 + 60 + 60


def test_many_episodes_at_once_matches_single(week):
    a, b, _ = week
    both = treatment_hours_for_episodes([a, b], MON, MON + timedelta(days=6))
    assert both[a.pk].as_dict() == treatment_hours(a, MON, MON + timedelta(days=6)).as_dict()
    assert both[b.pk].total.attended_minutes == 255


def test_ledger_updates_after_a_correction(week, facilitator):
    a, _, sessions = week
    from trellis.attendance.models import Attendance
    from trellis.attendance.services import correct_attendance

    att = Attendance.objects.get(session=sessions["sat_psychoed"], episode=a)
    correct_attendance(attendance=att, user=facilitator, reason="Was present", status="present")
    assert treatment_hours(a, MON, MON + timedelta(days=6)).weeks[0].attended_minutes == 373 + 60


def test_ledger_query_count_does_not_grow_with_period(week, django_assert_max_num_queries):
    a, _, _ = week
    with django_assert_max_num_queries(5):
        treatment_hours(a, MON, MON + timedelta(days=6))
    with django_assert_max_num_queries(5):
        treatment_hours(a, MON - timedelta(days=60), MON + timedelta(days=60))
