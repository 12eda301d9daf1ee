"""Today's coverage counters count (issue 9, part 4: COUNT queries instead of building whole worklists) and equal
the worklist sections they link to, with the real usage provider (compliance's billable days, registered at
start-up) and its upper bound; Today's query count does not grow with the number of patients or authorizations."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta as D
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.attendance.models import Attendance
from trellis.core.registry import TodayContext
from trellis.coverage import selectors, services
from trellis.coverage.usage import usage_bound, usage_provider
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db


def _sessions(site: Any, track: Any, facilitator: Any, days: list[dt.date]) -> list[Any]:
    """Three 90-minute groups a day: 270 counted minutes in 3 services, a billable day under any shipped rule."""
    out = []
    for day in days:
        for start, end in ((dt.time(9), dt.time(10, 30)), (dt.time(11), dt.time(12, 30)), (dt.time(13), dt.time(14, 30))):
            out.append(make_session(site=site, facilitator=facilitator, day=day, start=start, end=end, tracks=[track]))
    return out


def _attend(sessions: list[Any], episode: Any, *, present: bool = True) -> None:
    Attendance.objects.bulk_create([
        Attendance(session=s, episode=episode, status="present" if present else "absent_excused",
                   minutes=s.minutes if present else 0, scheduled_minutes=s.minutes,
                   modality="in_person" if present else "", marked_at=s.ends_at)
        for s in sessions
    ])


def _weekdays(today: dt.date, back: int) -> list[dt.date]:
    days = [today - D(days=i) for i in range(back, 0, -1)]
    return [d for d in days if d.weekday() < 5]


def _authorize(episode: Any, payer: Any, n: int, today: dt.date, *, units: int = 10, ends_in: int = 20,
               started: int = 20) -> Any:
    cov = services.add_coverage(patient=episode.patient, actor=None, payer=payer, member_id=f"T{n}",
                                effective_from=today - D(days=100))
    return services.add_authorization(coverage=cov, episode=episode, actor=None, number=f"T{n}", level_of_care="iop",
                                      units_authorized=units, start_on=today - D(days=started),
                                      end_on=today + D(days=ends_in), review_frequency_days=30)


def test_counters_equal_the_worklist_with_the_real_usage_provider(make_episode, acme, make_staff, site, track,
                                                                  today):
    assert usage_provider() is not None and usage_bound() is not None  # compliance registered both
    facilitator = make_staff("group_facilitator")
    days = _weekdays(today, 19)
    sessions = _sessions(site, track, facilitator, days)
    # nearly used: 10 days authorized, every weekday of the last 19 days attended (13 or so billable days: over)
    busy = make_episode(admitted_on=today - D(days=25))
    _authorize(busy, acme, 1, today)
    _attend(sessions, busy)
    # nearly used at the edge: as many attended days as units minus NEARLY_USED_UNITS
    edge = make_episode(admitted_on=today - D(days=25))
    _authorize(edge, acme, 2, today, units=len(days) + 3)
    _attend(sessions, edge)
    # plenty left: two attended days of 10
    light = make_episode(admitted_on=today - D(days=25))
    _authorize(light, acme, 3, today)
    _attend([s for s in sessions if s.local_date in days[:2]], light)
    # present on the roster every day but absent: no billable day (the bound drops it without running the engine)
    absent = make_episode(admitted_on=today - D(days=25))
    _authorize(absent, acme, 4, today)
    _attend(sessions, absent, present=False)
    # expiring by date, whatever the usage
    _authorize(make_episode(admitted_on=today - D(days=25)), acme, 5, today, ends_in=3)
    # nearly used but renewed: a later authorization for the same coverage and level takes over
    renewed = make_episode(admitted_on=today - D(days=25))
    first = _authorize(renewed, acme, 6, today)
    services.add_authorization(coverage=first.coverage, episode=renewed, actor=None, number="T6b", level_of_care="iop",
                               units_authorized=30, start_on=first.end_on + D(days=1),
                               end_on=first.end_on + D(days=30), review_frequency_days=30)
    _attend(sessions, renewed)
    # in care under a payer requiring authorization, none in force
    services.add_coverage(patient=make_episode(admitted_on=today - D(days=5)).patient, actor=None, payer=acme,
                          member_id="T7", effective_from=today - D(days=100))

    user = make_staff("case_manager")
    listed = selectors.worklist(user, today)
    counted = selectors.today_counters(user, TodayContext(day=today, sites=[site], active_site=None))
    assert [c.value for c in counted] == [len(listed.reviews_due), len(listed.authorizations),
                                          len(listed.unauthorized)]
    flagged = {r.auth.episode_id for r in listed.authorizations}
    assert busy.pk in flagged and edge.pk in flagged and light.pk not in flagged and absent.pk not in flagged
    assert renewed.pk not in flagged and len(listed.unauthorized) == 1
    assert selectors.count_authorizations_needing_action(user, today) == len(flagged) == 3
    # the bound keeps the engine off authorizations that cannot be nearly used
    candidates = usage_bound()(selectors._in_force_not_renewed(user, today, None))
    bounds = {a.episode_id: a.units_used_bound for a in candidates}
    assert bounds[absent.pk] == 0 and bounds[light.pk] == 2 and bounds[busy.pk] == len(days)


def _today_queries(client: Any) -> int:
    url = reverse("web:home")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _populate(count: int, start: int, make_episode: Any, acme: Any, today: dt.date, sessions: list[Any]) -> None:
    """`count` patients: a third nearly used (attending every day), a third expiring, a third without one."""
    for i in range(start, start + count):
        episode = make_episode(admitted_on=today - D(days=25))
        if i % 3 == 0:
            _authorize(episode, acme, 100 + i, today)
            _attend(sessions, episode)
        elif i % 3 == 1:
            _authorize(episode, acme, 100 + i, today, ends_in=2)
            _attend(sessions[:3], episode)
        else:
            services.add_coverage(patient=episode.patient, actor=None, payer=acme, member_id=f"U{i}",
                                  effective_from=today - D(days=100))


def test_today_query_count_is_the_same_for_3_and_30_patients(make_episode, acme, make_staff, site, track, today,
                                                             client_for):
    user = make_staff("case_manager")
    client = client_for(user)
    sessions = _sessions(site, track, make_staff("group_facilitator"), _weekdays(today, 19))
    _populate(3, 0, make_episode, acme, today, sessions)
    small = _today_queries(client)
    _populate(27, 3, make_episode, acme, today, sessions)
    large = _today_queries(client)
    counters = selectors.today_counters(user, TodayContext(day=today, sites=[site], active_site=None))
    assert [c.value for c in counters][1:] == [20, 10]  # 10 nearly used + 10 expiring; 10 without one
    assert small == large, f"Today: {small} queries with 3 patients, {large} with 30"
