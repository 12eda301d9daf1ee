"""Signature deadlines, lateness, documentation state and the billing rule (pure)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.documentation.rules import (
    DocFacts,
    DocState,
    attended,
    cosign_required,
    doc_state,
    documented_for_billing,
    is_late,
    is_overdue,
    signature_deadline,
)

END = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_default_deadline_is_24_hours_after_the_session_ends():
    assert signature_deadline(END) == END + dt.timedelta(hours=24)
    assert signature_deadline(END, 72) == END + dt.timedelta(hours=72)


def test_late_boundary():
    assert not is_late(signed_at=END + dt.timedelta(hours=24), session_ends_at=END)
    assert is_late(signed_at=END + dt.timedelta(hours=24, seconds=1), session_ends_at=END)
    assert not is_late(signed_at=END + dt.timedelta(hours=47), session_ends_at=END, deadline_hours=48)
    assert is_overdue(now=END + dt.timedelta(hours=25), session_ends_at=END)
    assert not is_overdue(now=END + dt.timedelta(hours=1), session_ends_at=END)


def test_deadline_rejects_bad_input():
    with pytest.raises(ValueError):
        signature_deadline(END.replace(tzinfo=None))
    with pytest.raises(ValueError):
        signature_deadline(END, 0)


@given(st.integers(min_value=1, max_value=720), st.integers(min_value=-10_000, max_value=100_000))
def test_late_iff_after_deadline(hours, minutes_after_end):
    signed = END + dt.timedelta(minutes=minutes_after_end)
    assert is_late(signed_at=signed, session_ends_at=END, deadline_hours=hours) == (minutes_after_end > hours * 60)


def test_attended_statuses():
    assert all(attended(s) for s in ("present", "late", "left_early"))
    assert not any(attended(s) for s in ("absent_excused", "absent_unexcused", "cancelled_by_program"))


def test_doc_state_and_billing():
    assert doc_state(DocFacts(False, False, False, False)) == DocState.MISSING
    assert doc_state(DocFacts(True, False, False, False)) == DocState.DRAFT
    assert doc_state(DocFacts(True, True, True, False)) == DocState.AWAITING_COSIGN
    assert doc_state(DocFacts(True, True, True, True)) == DocState.COMPLETE
    assert doc_state(DocFacts(True, True, False, False)) == DocState.COMPLETE
    complete = DocFacts(True, True, False, False)
    assert documented_for_billing(attendance_status="present", facts=complete)
    assert not documented_for_billing(attendance_status="absent_excused", facts=complete)
    assert not documented_for_billing(attendance_status="present", facts=DocFacts(True, True, True, False))
    assert cosign_required(author_requires_cosign=True)
    assert not cosign_required(author_requires_cosign=False)


def test_attendance_vocabulary_is_attendances():
    from trellis.attendance import minutes
    from trellis.attendance.models import AttendanceStatus
    from trellis.documentation import rules

    assert rules.ATTENDED_STATUSES is minutes.ATTENDED_STATUSES
    not_attended = set(AttendanceStatus.values) - set(rules.ATTENDED_STATUSES)
    assert not_attended == {"absent_excused", "absent_unexcused", "cancelled_by_program"}
    assert all(not rules.attended(status) for status in not_attended)
    assert all(rules.attended(status) for status in ("present", "late", "left_early"))
