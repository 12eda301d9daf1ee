"""The demo schedule and attendance load, are deterministic in shape, and respect the booking rules."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.db.models import Count

from trellis.attendance.models import Attendance
from trellis.core import demo
from trellis.scheduling.models import Session, SessionSeries

pytestmark = pytest.mark.django_db


def test_demo_schedule_and_attendance(time_machine):
    time_machine.move_to("2026-11-23 12:00:00+00:00", tick=False)
    ctx = demo.DemoContext(rng=random.Random(7), today=date(2026, 11, 23), weeks=2, n_patients=40)
    demo.run(ctx, only=["accounts", "patients", "programs", "episodes", "scheduling", "attendance"])
    assert SessionSeries.objects.count() == 20  # every planned series fits without a clash
    assert Session.objects.filter(status="cancelled", cancel_reason="Thanksgiving Day").exists()
    assert Session.objects.filter(episode__isnull=False).count() > 0  # individual appointments
    # no facilitator is double-booked among scheduled sessions
    sessions = list(Session.objects.filter(status="scheduled").values_list("facilitator_id", "starts_at", "ends_at"))
    by_staff: dict = {}
    for fac, s, e in sessions:
        by_staff.setdefault(fac, []).append((s, e))
    for intervals in by_staff.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:], strict=False))
    statuses = dict(Attendance.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["present"] > statuses.get("absent_unexcused", 0) > 0
    assert {"late", "absent_excused"} <= set(statuses)
    assert Attendance.objects.filter(modality__in=["video", "audio_only"]).exists()
    assert not Attendance.objects.filter(session__starts_at__gt="2026-11-23 12:00:00+00:00").exists()
