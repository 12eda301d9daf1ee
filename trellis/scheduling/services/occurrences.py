"""One occurrence: cancel, move, re-staff."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.programs.models import Room
from trellis.scheduling.models import (
    Session,
    SessionStatus,
)
from trellis.scheduling.recurrence import (
    local_to_utc,
)
from trellis.scheduling.services.checks import (
    Interval,
    _lock_resources,
    _raise_conflict,
    _validate_room,
    _validate_staffing,
    check_site_hours,
    find_conflicts,
)


def _locked_session(session: Session, version: int | None = None) -> Session:
    current = Session.objects.select_for_update(of=("self",)).select_related("site").get(pk=session.pk)
    if version is not None and current.version != version:
        raise DomainError("Someone else changed this session first; reload and try again.", code="conflict")
    return current


def cancel_session(*, session: Session, user: User, reason: str, version: int | None = None) -> Session:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for the cancellation (patients and billing will see it).", field="reason")
    with transaction.atomic():
        current = _locked_session(session, version)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("This session is already cancelled.")
        if current.attendance.exists():
            raise DomainError("Attendance is already recorded for this session; correct the attendance instead "
                              "(mark “Cancelled by program” for each patient if the group did not run).")
        current.status = SessionStatus.CANCELLED
        current.cancel_reason = reason[:200]
        current.detached = True
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, site=current.site, detail={"change": "cancel"})
    return current


def move_session(
    *,
    session: Session,
    user: User,
    local_date: date,
    start_time: time,
    end_time: time,
    room: Room | None | str = "keep",
    version: int | None = None,
) -> Session:
    """Move one occurrence to another date/time (and optionally room), leaving its series untouched."""
    site = session.site
    check_site_hours(site, start_time, end_time)
    starts_at = local_to_utc(local_date, start_time, site.zone)
    ends_at = local_to_utc(local_date, end_time, site.zone)
    if starts_at < timezone.now():
        raise DomainError("A session cannot be moved into the past.", field="local_date")
    with transaction.atomic():
        new_room_id = session.room_id if room == "keep" else (room.pk if room is not None else None)
        if room not in ("keep", None):
            _validate_room(site, room, None)
        people = _lock_resources([session.facilitator_id, session.co_facilitator_id], new_room_id)
        current = _locked_session(session, version)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("A cancelled session cannot be moved; schedule a new one instead.")
        if current.attendance.exists():
            raise DomainError("Attendance is already recorded for this session; it cannot be moved.")
        conflicts = find_conflicts([Interval(starts_at, ends_at)],
                                   staff_ids=[current.facilitator_id, current.co_facilitator_id],
                                   room_id=new_room_id, exclude_ids=[current.pk])
        _raise_conflict(conflicts, people)
        if current.moved_from is None:
            current.moved_from = current.starts_at
        current.starts_at, current.ends_at, current.local_date = starts_at, ends_at, local_date
        current.room_id = new_room_id
        current.detached = True
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, site=site, detail={"change": "move"})
    return current


def restaff_session(
    *,
    session: Session,
    user: User,
    facilitator: Any,
    co_facilitator: Any = None,
    reason: str = "",
    version: int | None = None,
) -> Session:
    """Substitute the facilitator/co-facilitator for one occurrence."""
    _validate_staffing(facilitator, co_facilitator)
    with transaction.atomic():
        people = _lock_resources([facilitator.pk, getattr(co_facilitator, "pk", None)], None)
        current = _locked_session(session, version)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("This session is cancelled.")
        conflicts = find_conflicts([Interval(current.starts_at, current.ends_at)],
                                   staff_ids=[facilitator.pk, getattr(co_facilitator, "pk", None)],
                                   room_id=None, exclude_ids=[current.pk])
        _raise_conflict(conflicts, people)
        current.facilitator = facilitator
        current.co_facilitator = co_facilitator
        current.substitute_reason = (reason or "")[:200]
        current.detached = True
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, site=current.site, detail={"change": "restaff"})
    return current
