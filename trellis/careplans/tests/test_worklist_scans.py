"""The plan worklist and Today's plan counters read the open deadlines, not the history of met and cancelled ones,
on PostgreSQL without table statistics (issue 9, part 4). A row-count bound rather than a plan shape: see
trellis.core.testing.pgstats."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from trellis.careplans import selectors
from trellis.careplans.models import CareDeadline
from trellis.core.clock import today_in
from trellis.core.testing.factories import PatientFactory
from trellis.core.testing.pgstats import forget_statistics, reads
from trellis.referrals.tests.builders import admitted_episode, make_program

pytestmark = pytest.mark.django_db

TABLES = ("careplans_caredeadline", "audit_auditevent")


def test_plan_worklist_reads_the_open_deadlines_not_the_met_history(site, make_staff):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's per-transaction table counters (pg_stat_xact_user_tables)")
    therapist = make_staff("therapist")
    program = make_program(site)
    today = today_in(site.zone)
    episodes = [admitted_episode(PatientFactory(primary_site=site), program, therapist,
                                 admitted_on=today - dt.timedelta(days=20)) for _ in range(4)]
    open_now = CareDeadline.objects.filter(episode__in=episodes, met_on__isnull=True, cancelled=False).count()
    assert open_now > 0
    # years of met and cancelled deadlines on the same episodes
    kinds = list(CareDeadline.objects.filter(episode__in=episodes).values_list("kind", flat=True).distinct())
    CareDeadline.objects.bulk_create([
        CareDeadline(episode=episodes[i % 4], kind=kinds[i % len(kinds)], due_on=today - dt.timedelta(days=30 + i % 900),
                     met_on=None if i % 5 == 0 else today - dt.timedelta(days=29 + i % 900), cancelled=i % 5 == 0)
        for i in range(4000)
    ], batch_size=2000)
    forget_statistics(TABLES)
    (overdue, due), counted = reads(TABLES, lambda: selectors.worklist_counts(therapist, today=today))
    items, listed = reads(TABLES, lambda: selectors.worklist(therapist, today=today))
    assert overdue + due == len(items) > 0
    for read in (counted, listed):
        assert read["careplans_caredeadline"] <= 2 * open_now, read
        assert read["audit_auditevent"] == 0, read
