"""Who may do what with schedules. Deny by default: every answer goes through accounts capabilities."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability


def can_view_schedule(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.SCHEDULE_VIEW, site)


def can_manage_schedule(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.SCHEDULE_MANAGE, site)


def can_mark_attendance(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.ATTENDANCE_MARK, site)


def can_unlock_attendance(user: Any, site: Any) -> bool:
    return has_capability(user, Cap.ATTENDANCE_UNLOCK, site)


def can_see_patient_names(user: Any, site: Any) -> bool:
    """Rosters name patients: only for staff who may view patients at that site."""
    return has_capability(user, Cap.PATIENT_VIEW, site)
