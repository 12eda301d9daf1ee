"""Selectors: requirement resolution, the engine over database facts, bounded queries, and the rule-set services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.attendance.models import Attendance
from trellis.attendance.selectors import day_totals_for_episodes, facts_for_episodes
from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.compliance import engine, selectors, services
from trellis.compliance.engine import Status
from trellis.compliance.models import RequirementSet
from trellis.core.errors import DomainError
from trellis.coverage.models import Coverage, Payer
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.scheduling.models import RosterChange, SessionStatus
from trellis.scheduling.testing import make_session, make_track

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 2)
TUESDAY_NOON = datetime(2026, 3, 3, 17, tzinfo=UTC)  # 12:00 in New York (EST)


def _week(site, facilitator, track, *, brk=30):
    """Mon/Wed/Fri 09:00–12:00 groups (Wednesday with a break) and a Tuesday lunch that does not count."""
    mon = make_session(site=site, facilitator=facilitator, day=MONDAY, start=time(9), end=time(12), tracks=[track])
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=1), start=time(12), end=time(13),
                 tracks=[track], service_type="meal", title="Lunch")
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=2), start=time(9), end=time(12),
                 tracks=[track], break_minutes=brk)
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=4), start=time(9), end=time(12),
                 tracks=[track])
    return mon


def test_a_break_and_an_absence_make_the_week_unreachable_and_an_open_group_is_proposed(
        time_machine, site, facilitator, therapist, track, enroll):
    time_machine.move_to(TUESDAY_NOON, tick=False)
    mon = _week(site, facilitator, track)
    ok, absent = enroll(track, 2, admitted_on=date(2026, 1, 5))
    ok.primary_clinician = therapist
    ok.save()
    mark_attendance(session=mon, user=facilitator, entries=[MarkEntry(ok.pk, "present"),
                                                           MarkEntry(absent.pk, "absent_unexcused")])
    other = make_track(track.program, name="Trauma")
    thursday = make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=3), start=time(13),
                            end=time(16), tracks=[other], capacity=8, title="Trauma group")
    results = selectors.weekly_results([ok, absent], MONDAY)
    r = results[ok.pk]
    assert r.required_minutes == 540  # ASAM 2.1 adult: 9 h
    assert (r.counted_minutes, r.remaining_counted_minutes, r.best_case_minutes) == (180, 330, 510)
    assert r.status == Status.CANNOT_MEET
    assert r.days[1].reason == "Only services that do not count toward treatment hours."
    assert r.proposal.shortfall_minutes == 30
    kinds = [(a.session.kind, a.session.session_id) for a in r.proposal.additions]
    assert kinds[0] == ("group", thursday.pk) and r.proposal.reaches_requirement
    assert results[absent.pk].status == Status.CANNOT_MEET and results[absent.pk].counted_minutes == 0


def test_medicare_primary_coverage_uses_the_medicare_set_and_admission_week_is_excluded(
        time_machine, site, facilitator, track, enroll):
    time_machine.move_to(TUESDAY_NOON, tick=False)
    _week(site, facilitator, track)
    (ep,) = enroll(track, 1, admitted_on=MONDAY + timedelta(days=2))
    payer = Payer.objects.create(organization=site.organization, name="Medicare", payer_identifier="MCR",
                                 payer_type="medicare")
    Coverage.objects.create(patient=ep.patient, payer=payer, member_id="1EG4TE5MK73", effective_from=date(2026, 1, 1))
    resolved = selectors.resolve_requirements([ep], MONDAY)[ep.pk]
    assert resolved.requirement_set.name == "Medicare PHP/IOP"
    assert resolved.requirement.min_services_per_day == 3
    r = selectors.weekly_results([ep], MONDAY)[ep.pk]
    assert r.partial and r.status == Status.PARTIAL_WEEK
    # The next full week is judged.
    assert selectors.weekly_results([ep], MONDAY + timedelta(days=7))[ep.pk].status != Status.PARTIAL_WEEK


def test_payer_assignment_overrides_and_overlaps_are_refused(site, director, track, enroll):
    payer = Payer.objects.create(organization=site.organization, name="Acme Health", payer_identifier="ACME",
                                 payer_type="commercial")
    rs = services.create_requirement_set(user=director, organization=site.organization, name="Acme IOP",
                                         source="Acme provider manual 2026 §4.2")
    services.save_rule(user=director, requirement_set=rs, level_of_care="iop", population="adult",
                       weekly_min_hours=Decimal("12"), weekly_max_hours=Decimal("19"), source="Acme manual §4.2",
                       per_diem_min_minutes=180)
    services.assign_to_payer(user=director, payer=payer, requirement_set=rs, starts_on=date(2026, 1, 1))
    with pytest.raises(DomainError, match="already uses"):
        services.assign_to_payer(user=director, payer=payer, requirement_set=rs, starts_on=date(2026, 6, 1),
                                 ends_on=date(2026, 7, 1))
    (ep,) = enroll(track, 1)
    Coverage.objects.create(patient=ep.patient, payer=payer, member_id="A1", effective_from=date(2026, 1, 1))
    req = selectors.resolve_requirements([ep], MONDAY)[ep.pk].requirement
    assert req.weekly_min_minutes == 720 and req.per_diem_min_minutes == 180


@pytest.mark.parametrize(("lo", "hi", "message"), [
    ("20", "9", "above the maximum"),
    ("-1", None, "cannot be negative"),
    ("9", "-2", "cannot be negative"),
])
def test_bad_rules_are_refused_with_a_message(site, director, lo, hi, message):
    rs = services.create_requirement_set(user=director, organization=site.organization, name="Bad", source="x")
    with pytest.raises(DomainError, match=message):
        services.save_rule(user=director, requirement_set=rs, level_of_care="iop", population="adult",
                           weekly_min_hours=Decimal(lo), weekly_max_hours=Decimal(hi) if hi else None, source="x")


def test_built_in_sets_are_seeded_with_sources():
    asam = RequirementSet.objects.get(organization=None, name="ASAM default")
    rules = {(r.level_of_care, r.population): r for r in asam.rules.all()}
    assert rules[("iop", "adult")].weekly_min_hours == Decimal("9.0")
    assert rules[("iop", "adolescent")].weekly_min_hours == Decimal("6.0")
    assert rules[("php", "adult")].weekly_min_hours == Decimal("20.0")
    assert all(r.source for r in rules.values())


def _count(episodes):
    with CaptureQueriesContext(connection) as ctx:
        selectors.weekly_results(episodes, MONDAY)
    return len(ctx)


def test_weekly_results_query_count_does_not_grow_with_patients(time_machine, site, facilitator, therapist, track,
                                                                enroll):
    time_machine.move_to(TUESDAY_NOON, tick=False)
    mon = _week(site, facilitator, track)
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=3), start=time(13), end=time(16),
                 tracks=[make_track(track.program, name="Trauma")], capacity=40)
    small = enroll(track, 3)
    mark_attendance(session=mon, user=facilitator, entries=[MarkEntry(e.pk, "present") for e in small])
    for e in small:
        e.primary_clinician = therapist
        e.save()
    big = small + enroll(track, 9, last="Many")
    for e in big:
        e.primary_clinician = therapist
        e.save()
    _count(small)
    assert _count(small) == _count(big)


def test_compliance_report_command_prints_one_row_per_active_episode(time_machine, site, facilitator, track, enroll):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    time_machine.move_to(TUESDAY_NOON, tick=False)
    _week(site, facilitator, track)
    eps = enroll(track, 2)
    enroll(track, 1, admitted_on=date(2026, 1, 5), discharged_on=date(2026, 2, 1), last="Gone")
    out = io.StringIO()
    call_command("compliance_report", "--week", "2026-W10", "--format", "csv", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("week,site,program")
    assert len(lines) == 1 + len(eps)
    assert all(",cannot_meet," in line or ",on_track," in line or ",at_risk," in line for line in lines[1:])
    out = io.StringIO()
    call_command("compliance_report", "--week", "2026-W10", "--site", site.name, stdout=out)
    assert "2 episodes." in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-Www"):
        call_command("compliance_report", "--week", "2026-13")
    with pytest.raises(CommandError, match="No site named"):
        call_command("compliance_report", "--week", "2026-W10", "--site", "Nowhere")


# --- the values-only loader ---------------------------------------------------------------------------------


def _record(session, episode, status, minutes=0):
    return Attendance.objects.create(session=session, episode=episode, status=status, minutes=minutes,
                                     scheduled_minutes=session.minutes, marked_at=timezone.now())


def test_sql_day_totals_equal_the_ledger_facts_reduced_in_python(time_machine, site, facilitator, therapist, track,
                                                                enroll):
    """Every roster rule and status the session-level path knows, summed by the database: track groups while in
    care, a planned episode left out, an added and an excused patient, an appointment, attendance recorded off the
    roster, a cancelled group, a break, a service that does not count, partial minutes, an evening group whose
    UTC start is the next day."""
    time_machine.move_to(datetime(2026, 3, 5, 17, tzinfo=UTC), tick=False)  # Thursday noon
    other = make_track(track.program, name="Trauma")
    steady, late_admit, early_out, planned = (
        enroll(track, 1, last="Steady")[0], enroll(track, 1, admitted_on=MONDAY + timedelta(days=2), last="Late")[0],
        enroll(track, 1, discharged_on=MONDAY + timedelta(days=1), last="Out")[0], enroll(track, 1, last="Plan")[0])
    planned.status = EpisodeStatus.PLANNED
    planned.save()
    (visitor,) = enroll(other, 1, last="Visitor")
    day = [MONDAY + timedelta(days=i) for i in range(7)]
    mon = make_session(site=site, facilitator=facilitator, day=day[0], start=time(9), end=time(12), tracks=[track],
                       break_minutes=30)
    lunch = make_session(site=site, facilitator=facilitator, day=day[1], start=time(12), end=time(13), tracks=[track],
                         service_type="meal", title="Lunch")
    wed = make_session(site=site, facilitator=facilitator, day=day[2], start=time(9), end=time(12), tracks=[track])
    wed.status = SessionStatus.CANCELLED
    wed.save()
    thu_other = make_session(site=site, facilitator=facilitator, day=day[3], start=time(13), end=time(16),
                             tracks=[other])
    fri = make_session(site=site, facilitator=facilitator, day=day[4], start=time(9), end=time(12), tracks=[track])
    evening = make_session(site=site, facilitator=facilitator, day=day[3], start=time(20), end=time(22, 30),
                           tracks=[track])
    individual = make_session(site=site, facilitator=therapist, day=day[1], start=time(14), end=time(15),
                              episode=steady, service_type="individual_therapy", program=track.program)
    make_session(site=site, facilitator=facilitator, day=day[0] - timedelta(days=1), start=time(9), end=time(12),
                 tracks=[track])  # the Sunday before: outside the week
    RosterChange.objects.create(session=mon, episode=visitor, kind="add")
    RosterChange.objects.create(session=fri, episode=steady, kind="excuse")
    _record(mon, steady, "late", 100)
    _record(mon, visitor, "present", 180)
    _record(mon, early_out, "absent_excused")
    _record(lunch, steady, "present", 60)
    _record(thu_other, late_admit, "present", 180)  # not on her roster: the record still counts
    _record(individual, steady, "left_early", 20)
    _record(evening, steady, "present", 150)
    episodes = [steady, late_admit, early_out, planned, visitor]
    sunday = day[6]
    sql: dict = {}
    for row in day_totals_for_episodes([e.pk for e in episodes], MONDAY, sunday):
        sql.setdefault(row[0], []).append(engine.DayTotals(*row[1:]))
    python: dict = {}
    for fact in facts_for_episodes(episodes, MONDAY, sunday):
        python.setdefault(fact.episode_id, []).append(selectors._slot(fact))
    assert set(sql) == set(python) == {steady.pk, late_admit.pk, early_out.pk, visitor.pk}
    for pk, slots in python.items():
        assert tuple(sql[pk]) == engine.day_totals(slots), pk
    steady_days = {t.date: t for t in sql[steady.pk]}
    assert steady_days[day[0]].counted_minutes == 70  # 100 attended less the 30-minute break
    assert steady_days[day[1]].counted_minutes == 20 and steady_days[day[1]].attended_minutes == 80  # lunch
    assert day[4] not in steady_days  # excused from Friday
    assert steady_days[day[3]].counted_minutes == 150  # the evening group stays on its local date
    assert steady_days[day[2]].scheduled_minutes == 0 and steady_days[day[2]].sessions == 1  # cancelled
    # And the whole judgement agrees with the session-level path.
    totals = selectors.weekly_results(episodes, MONDAY, proposals=False)
    detailed = {r.episode_id: r for r in engine.evaluate_weeks(
        selectors.week_inputs(episodes, MONDAY, propose=False)[0])}
    for pk, r in detailed.items():
        assert totals[pk] == dataclasses.replace(r, remaining_sessions=()), pk


def _count_weekly(episodes, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        selectors.weekly_results(episodes, MONDAY, **kwargs)
    return len(ctx)


@pytest.mark.parametrize("proposals", [False, True])
def test_weekly_results_same_queries_at_3_and_30_episodes(time_machine, site, facilitator, therapist, track, enroll,
                                                          proposals):
    time_machine.move_to(TUESDAY_NOON, tick=False)
    mon = _week(site, facilitator, track)
    make_session(site=site, facilitator=facilitator, day=MONDAY + timedelta(days=3), start=time(13), end=time(16),
                 tracks=[make_track(track.program, name="Trauma")], capacity=40)
    episodes = enroll(track, 30)
    for e in episodes:
        e.primary_clinician = therapist
        e.save()
    mark_attendance(session=mon, user=facilitator,
                    entries=[MarkEntry(e.pk, "present" if i % 2 else "absent_unexcused")
                             for i, e in enumerate(episodes)])
    fresh = [Episode.objects.get(pk=e.pk) for e in episodes]  # program and site not loaded
    few, many = _count_weekly(fresh[:3], proposals=proposals), _count_weekly(fresh, proposals=proposals)
    assert few == many
    if not proposals:
        assert many <= 8  # episodes (1), counted flags (1), day totals (1), requirements (4), closures (1)
