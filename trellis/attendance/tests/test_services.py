"""Marking attendance for a roster, corrections, and the billing lock (database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from trellis.attendance.models import Attendance, AttendanceCorrection, CorrectionKind
from trellis.attendance.services import (
    AttendanceBatchError,
    MarkEntry,
    correct_attendance,
    lock_day,
    mark_attendance,
    unlock_attendance,
)
from trellis.audit.models import AuditEvent
from trellis.core.errors import DomainError
from trellis.scheduling.testing import make_session

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 4)  # Wednesday


def at(hh: int, mm: int = 0) -> datetime:
    """Wall-clock time on DAY in New York (EST, UTC-5) as an aware UTC datetime."""
    return datetime(2026, 3, 4, hh + 5, mm, tzinfo=UTC)


@pytest.fixture
def during(time_machine):
    time_machine.move_to(at(11, 0), tick=False)  # after the 09:00–10:30 group, same day
    return time_machine


@pytest.fixture
def group(site, facilitator, track):
    return make_session(site=site, facilitator=facilitator, day=DAY, start=time(9, 0), end=time(10, 30), tracks=[track])


def test_mark_whole_roster_at_once(during, group, facilitator, enroll, track):
    eps = enroll(track, 5)
    rows = mark_attendance(session=group, user=facilitator, entries=[
        MarkEntry(eps[0].pk, "present"),
        MarkEntry(eps[1].pk, "late", arrived_at=at(9, 25)),
        MarkEntry(eps[2].pk, "left_early", departed_at=at(10, 0), modality="video"),
        MarkEntry(eps[3].pk, "absent_excused", absence_reason="Medical appointment"),
        MarkEntry(eps[4].pk, "absent_unexcused"),
    ])
    assert len(rows) == 5
    got = {a.episode_id: a for a in Attendance.objects.all()}
    assert [got[e.pk].minutes for e in eps] == [90, 65, 60, 0, 0]
    assert got[eps[0].pk].modality == "in_person"  # default from the session's modality
    assert got[eps[2].pk].modality == "video"
    assert got[eps[3].pk].modality == "" and got[eps[3].pk].absence_reason == "Medical appointment"
    assert all(a.scheduled_minutes == 90 for a in got.values())
    assert AuditEvent.objects.filter(object_type="attendance", action="create").count() == 5


def test_one_bad_row_saves_nothing(during, group, facilitator, enroll, track):
    eps = enroll(track, 3)
    with pytest.raises(AttendanceBatchError) as exc:
        mark_attendance(session=group, user=facilitator, entries=[
            MarkEntry(eps[0].pk, "present"),
            MarkEntry(eps[1].pk, "present", arrived_at=at(10, 0), departed_at=at(9, 30)),
            MarkEntry(eps[2].pk, "late"),
        ])
    assert exc.value.errors[eps[1].pk].message == "Arrival must be before departure."
    assert exc.value.errors[eps[2].pk].field == "arrived_at"
    assert eps[0].pk not in exc.value.errors
    assert exc.value.message == "2 rows need fixing; nothing was saved."
    assert Attendance.objects.count() == 0


def test_arrival_after_session_end_is_refused(during, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    with pytest.raises(AttendanceBatchError) as exc:
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "late", arrived_at=at(10, 45))])
    assert "after the session ended" in exc.value.errors[ep.pk].message


def test_patient_not_on_roster_is_refused(during, group, facilitator, enroll, program):
    from trellis.scheduling.testing import make_track

    (stranger,) = enroll(make_track(program, name="Trauma"))
    with pytest.raises(AttendanceBatchError) as exc:
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(stranger.pk, "present")])
    assert "not on the session's roster" in exc.value.errors[stranger.pk].message


def test_cannot_mark_before_start_or_a_cancelled_session(time_machine, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    time_machine.move_to(at(8, 0), tick=False)
    with pytest.raises(DomainError, match="once the session has started"):
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    time_machine.move_to(at(11, 0), tick=False)
    from trellis.scheduling.services import cancel_session

    time_machine.move_to(at(8, 0), tick=False)
    cancel_session(session=group, user=facilitator, reason="Snow")
    time_machine.move_to(at(11, 0), tick=False)
    with pytest.raises(DomainError, match="cancelled"):
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])


def test_same_day_change_is_recorded_without_reason(during, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "late", arrived_at=at(9, 10))])
    att = Attendance.objects.get()
    assert att.minutes == 80 and att.version == 2
    (c,) = AttendanceCorrection.objects.all()
    assert c.before["status"] == "present" and c.after["status"] == "late" and c.after["minutes"] == 80


def test_unchanged_rows_are_not_corrections(during, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    assert AttendanceCorrection.objects.count() == 0


def test_correction_after_the_day_needs_a_reason(time_machine, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    time_machine.move_to(at(11, 0), tick=False)
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "absent_unexcused")])
    time_machine.move_to(datetime(2026, 3, 6, 15, tzinfo=UTC), tick=False)
    with pytest.raises(AttendanceBatchError) as exc:
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    assert exc.value.errors[ep.pk].field == "correction_reason"
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")],
                    correction_reason="Sign-in sheet found: patient attended")
    (c,) = AttendanceCorrection.objects.all()
    assert c.reason == "Sign-in sheet found: patient attended" and c.changed_by == facilitator
    assert Attendance.objects.get().minutes == 90


def test_correct_single_record_with_minutes_override(during, group, facilitator, enroll, track):
    (ep,) = enroll(track)
    (att,) = mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    with pytest.raises(DomainError, match="more than the session's length"):
        correct_attendance(attendance=att, user=facilitator, reason="typo", status="present", minutes=95)
    with pytest.raises(DomainError, match="reason"):
        correct_attendance(attendance=att, user=facilitator, reason="", status="present", minutes=60)
    att = correct_attendance(attendance=att, user=facilitator, reason="Stepped out 30 min", status="present", minutes=60)
    assert att.minutes == 60
    assert Attendance.objects.get().minutes == 60


def test_billing_lock_blocks_changes_until_a_biller_unlocks(during, group, facilitator, make_staff, enroll, track):
    (ep,) = enroll(track)
    biller = make_staff("biller")
    (att,) = mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    assert lock_day(episode=ep, day=DAY, user=biller, reference="CLM-1") == 1
    assert lock_day(episode=ep, day=DAY, user=biller, reference="CLM-1") == 0  # idempotent
    with pytest.raises(AttendanceBatchError) as exc:
        mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "absent_excused")])
    assert "locked" in exc.value.errors[ep.pk].message
    with pytest.raises(DomainError, match="locked"):
        correct_attendance(attendance=att, user=facilitator, reason="x", status="absent_excused")
    with pytest.raises(DomainError, match="Only billing staff"):
        unlock_attendance(attendance=att, user=facilitator, reason="please")
    with pytest.raises(DomainError, match="reason"):
        unlock_attendance(attendance=att, user=biller, reason=" ")
    unlock_attendance(attendance=att, user=biller, reason="Claim voided; attendance disputed")
    correct_attendance(attendance=att, user=facilitator, reason="Was absent", status="absent_excused")
    kinds = list(AttendanceCorrection.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [CorrectionKind.LOCK, CorrectionKind.UNLOCK, CorrectionKind.CORRECTION]
    assert AuditEvent.objects.filter(action="unlock").count() == 1


def test_sessions_with_attendance_are_not_cancelled(during, group, facilitator, enroll, track, org):
    from trellis.scheduling.models import SessionStatus
    from trellis.scheduling.services import cancel_session, create_closure

    (ep,) = enroll(track)
    mark_attendance(session=group, user=facilitator, entries=[MarkEntry(ep.pk, "present")])
    with pytest.raises(DomainError, match="Attendance is already recorded"):
        cancel_session(session=group, user=facilitator, reason="Oops")
    create_closure(user=facilitator, organization=org, on=DAY, reason="Retroactive snow day")
    group.refresh_from_db()
    assert group.status == SessionStatus.SCHEDULED
