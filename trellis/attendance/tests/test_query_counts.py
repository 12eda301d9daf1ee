"""Marking a whole group costs the same number of queries whatever its size (first marks and corrections)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.attendance.models import Attendance, AttendanceCorrection
from trellis.attendance.services import MarkEntry, mark_attendance
from trellis.audit.models import AuditEvent
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 4)  # Wednesday


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, 4, hh + 5, mm, tzinfo=UTC)  # New York wall clock (EST) in UTC


def _mark_counts(size, *, site, facilitator, track, enroll) -> tuple[int, int]:
    session = make_session(site=site, facilitator=facilitator, day=DAY, start=time(9, 0), end=time(10, 30),
                           tracks=[track])
    eps = enroll(track, size)
    with CaptureQueriesContext(connection) as first:
        mark_attendance(session=session, user=facilitator,
                        entries=[MarkEntry(e.pk, "present", expected_version=0) for e in eps])
    # Everyone changes: one correction per row, versions checked.
    with CaptureQueriesContext(connection) as again:
        mark_attendance(session=session, user=facilitator,
                        entries=[MarkEntry(e.pk, "late", arrived_at=at(9, 20), expected_version=1) for e in eps])
    rows = Attendance.objects.filter(session=session)
    assert rows.count() == size
    assert all(a.status == "late" and a.minutes == 70 and a.version == 2 and a.marked_by == facilitator for a in rows)
    assert AttendanceCorrection.objects.filter(attendance__session=session).count() == size
    ids = [str(a.public_id) for a in rows]
    assert AuditEvent.objects.filter(object_type="attendance", action="create", object_id__in=ids).count() == size
    assert AuditEvent.objects.filter(object_type="attendance", action="update", object_id__in=ids).count() == size
    return len(first), len(again)


def test_marking_a_group_costs_the_same_queries_at_6_and_18(time_machine, site, facilitator, track, enroll):
    time_machine.move_to(at(11, 0), tick=False)
    _mark_counts(1, site=site, facilitator=facilitator, track=track, enroll=enroll)  # per-user caches warm up
    small = _mark_counts(6, site=site, facilitator=facilitator, track=track, enroll=enroll)
    large = _mark_counts(18, site=site, facilitator=facilitator, track=track, enroll=enroll)
    assert small == large, f"6 patients: {small} queries, 18 patients: {large}"


def test_audit_events_of_a_marked_group_name_each_patient(time_machine, site, facilitator, track, enroll):
    time_machine.move_to(at(11, 0), tick=False)
    session = make_session(site=site, facilitator=facilitator, day=DAY, start=time(9, 0), end=time(10, 30),
                           tracks=[track])
    eps = enroll(track, 3)
    rows = mark_attendance(session=session, user=facilitator, entries=[MarkEntry(e.pk, "present") for e in eps])
    events = {e.object_id: e for e in AuditEvent.objects.filter(object_type="attendance", action="create")}
    for att in rows:
        ev = events[str(att.public_id)]
        assert ev.patient_id == Attendance.objects.get(pk=att.pk).episode.patient_id
        assert ev.site_id == site.pk and ev.actor_id == facilitator.pk
        assert ev.detail == {"session": str(session.public_id), "status": "present"}
