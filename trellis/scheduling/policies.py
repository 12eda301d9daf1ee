"""Who may do what with schedules and rosters. Deny by default: every answer goes through accounts capabilities."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import decide
from trellis.core.policy import Decision


def can_manage_schedule(user: Any, site: Any) -> Decision:
    return decide(user, Cap.SCHEDULE_MANAGE, site, to="change the schedule")


def can_mark_attendance(user: Any, site: Any) -> Decision:
    return decide(user, Cap.ATTENDANCE_MARK, site, to="mark attendance")


def can_unlock_attendance(user: Any, site: Any) -> Decision:
    return decide(user, Cap.ATTENDANCE_UNLOCK, site, to="unlock attendance locked for billing")


def can_see_patient_names(user: Any, site: Any) -> Decision:
    """Rosters name patients: only for staff who may view patients at that site."""
    return decide(user, Cap.PATIENT_VIEW, site, to="see patients' names")


def can_subscribe_calendar(user: Any) -> Decision:
    """An iCalendar feed token works only while its owner is active and may still read the schedule."""
    if user is None or not user.is_active:
        return Decision(False, "This calendar link is no longer valid.")
    return decide(user, Cap.SCHEDULE_VIEW, to="read the schedule")
