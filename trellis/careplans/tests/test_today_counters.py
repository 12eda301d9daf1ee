"""Today's care-plan counters are COUNT queries that equal the worklist they link to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.careplans import selectors
from trellis.careplans.models import CareDeadline
from trellis.core.clock import today_in
from trellis.core.registry import TodayContext
from trellis.core.testing.factories import PatientFactory
from trellis.referrals.tests.builders import admitted_episode, make_program

pytestmark = pytest.mark.django_db


def _add(site, program, therapist, n, admitted_on):
    return [admitted_episode(PatientFactory(primary_site=site), program, therapist, admitted_on=admitted_on)
            for _ in range(n)]


def test_counters_equal_the_worklist_and_cost_the_same_queries_at_two_sizes(site, other_site, make_staff):
    therapist = make_staff("therapist")
    program, elsewhere = make_program(site), make_program(other_site)
    today = today_in(site.zone)
    ctx = TodayContext(day=today, sites=[site], active_site=site)
    _add(site, program, therapist, 2, today - dt.timedelta(days=20))  # deadlines overdue
    _add(site, program, therapist, 2, today - dt.timedelta(days=1))  # deadlines due soon or later
    outsider = make_staff("therapist", at=other_site)
    _add(other_site, elsewhere, outsider, 2, today - dt.timedelta(days=20))  # another site's: not counted
    mine = CareDeadline.objects.filter(episode__program=program).order_by("pk")
    CareDeadline.objects.filter(pk=mine[0].pk).update(met_on=today)  # met: not counted
    CareDeadline.objects.filter(pk=mine[1].pk).update(cancelled=True)  # cancelled: not counted
    CareDeadline.objects.filter(pk__in=[d.pk for d in mine[2:4]]).update(due_on=today + dt.timedelta(days=1))

    def check() -> int:
        with CaptureQueriesContext(connection) as ctx_queries:
            overdue, due = (c.value for c in selectors.today_counters(therapist, ctx))
        sql = [q["sql"].upper() for q in ctx_queries.captured_queries]
        assert any("COUNT(" in q for q in sql) and not any("PATIENTS_PATIENT" in q for q in sql)  # no list built
        items = selectors.worklist(therapist, today=today, site=site)
        assert overdue == sum(1 for i in items if i["status"] == "overdue")
        assert due == len(items) - overdue
        assert overdue > 0 and due > 0
        return len(ctx_queries)

    small = check()
    _add(site, program, therapist, 10, today - dt.timedelta(days=20))
    later = _add(site, program, therapist, 10, today - dt.timedelta(days=2))
    CareDeadline.objects.filter(episode__in=later).update(due_on=today)
    assert check() == small
