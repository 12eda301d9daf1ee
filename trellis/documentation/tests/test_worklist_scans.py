"""The documentation worklist (Today's counters and the clinician's list) and the program worklist do not read the
attendance history outside their window, on PostgreSQL, without table statistics (issue 9, part 4).

A row-count bound, not a plan shape (see trellis.core.testing.pgstats for why): PostgreSQL's own per-transaction
counters bound the attendance rows read by the rows in the window while the worklists run over a long history with
no table statistics. A sequential scan of the attendance table reads the whole history and fails it; so does an
index scan that walks all of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from trellis.attendance.models import Attendance
from trellis.core.testing.factories import PatientFactory
from trellis.core.testing.pgstats import forget_statistics, reads
from trellis.documentation import selectors
from trellis.documentation.tests.conftest import DAY
from trellis.scheduling.models import Session
from trellis.scheduling.testing import admit

pytestmark = pytest.mark.django_db

HISTORY_SESSIONS = 300  # a year and more of daily groups before the window, 12 patients each
HISTORY_PATIENTS = 12
TABLES = ("attendance_attendance", "scheduling_session", "audit_auditevent")


def _history(site: Any, track: Any, facilitator: Any, first_session: Any) -> int:
    """Old sessions (before the worklist's 60-day window) with attendance; returns the attendance rows added."""
    episodes = [admit(PatientFactory(primary_site=site), track, admitted_on=DAY - dt.timedelta(days=900))
                for _ in range(HISTORY_PATIENTS)]
    sessions = []
    for i in range(HISTORY_SESSIONS):
        day = DAY - dt.timedelta(days=120 + i)
        shift = first_session.local_date - day
        sessions.append(Session(
            site=site, program=track.program, title="Process group", service_type=first_session.service_type,
            modality=first_session.modality, starts_at=first_session.starts_at - shift,
            ends_at=first_session.ends_at - shift, local_date=day, facilitator=facilitator,
        ))
    sessions = Session.objects.bulk_create(sessions)
    rows = [Attendance(session=s, episode=e, status="present", minutes=s.minutes, scheduled_minutes=s.minutes,
                       modality="in_person", marked_at=s.ends_at) for s in sessions for e in episodes]
    Attendance.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def test_worklists_read_the_window_not_the_attendance_history(make_group, facilitator, site, track, program):
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's per-transaction table counters (pg_stat_xact_user_tables)")
    groups = [make_group(attended=6, absent=1, day=DAY - dt.timedelta(days=d)) for d in (0, 1, 2, 7)]
    in_window = sum(len(g.attended) + len(g.absent) for g in groups)
    history = _history(site, track, facilitator, groups[0].session)
    forget_statistics(TABLES)
    runs = {
        "Today's counters": lambda: selectors.worklist_counts(user=facilitator, sites=[site]),
        "clinician's worklist": lambda: selectors.worklist(user=facilitator, sites=[site]),
        "program worklist": lambda: selectors.worklist(program=program, sites=[site]),
    }
    for label, run in runs.items():
        result, read = reads(TABLES, run)
        # a window row may be read a few times (the counters run two queries); the history never
        assert read["attendance_attendance"] <= 4 * in_window, (label, read, history)
        assert read["scheduling_session"] <= 4 * len(groups) * 4, (label, read)
        assert read["audit_auditevent"] == 0, (label, read)
        if label == "Today's counters":
            assert result[0] == len(groups)  # one unsigned item per group session in the window
        else:
            assert len(result.unsigned) == len(groups)
