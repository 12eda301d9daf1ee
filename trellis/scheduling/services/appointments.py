"""Individual appointments and one-off sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode
from trellis.programs.models import Program, Room, ServiceType, Track
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
    _validate_break,
    _validate_room,
    _validate_staffing,
    check_site_hours,
    find_conflicts,
)


def book_appointment(
    *,
    user: User,
    episode: Episode,
    service_type: str,
    local_date: date,
    start_time: time,
    end_time: time,
    facilitator: Any,
    title: str = "",
    modality: str = "in_person",
    room: Room | None = None,
    allow_past: bool = False,
) -> Session:
    """Book an individual appointment (therapy, medication management, intake, family) on the calendar."""
    site = episode.program.site
    check_site_hours(site, start_time, end_time)
    if not episode.is_active_on(local_date) and service_type != ServiceType.INTAKE:
        raise DomainError("The patient has no active episode on that date.", field="local_date")
    starts_at = local_to_utc(local_date, start_time, site.zone)
    ends_at = local_to_utc(local_date, end_time, site.zone)
    if not allow_past and starts_at < timezone.now():
        raise DomainError("A new appointment cannot be in the past.", field="local_date")
    _validate_staffing(facilitator, None)
    _validate_room(site, room, None)
    with transaction.atomic():
        people = _lock_resources([facilitator.pk], room.pk if room else None)
        conflicts = find_conflicts([Interval(starts_at, ends_at)], staff_ids=[facilitator.pk],
                                   room_id=room.pk if room else None)
        _raise_conflict(conflicts, people)
        _refuse_patient_overlap(episode, starts_at, ends_at, local_date)
        label = title or ServiceType(service_type).label
        session = Session.objects.create(
            site=site, program=episode.program, episode=episode, title=label, service_type=service_type,
            modality=modality, starts_at=starts_at, ends_at=ends_at, local_date=local_date, facilitator=facilitator,
            room=room, capacity=1, created_by=user,
        )
        record(action=AuditAction.CREATE, obj=session, patient=episode.patient, site=site,
               detail={"service_type": service_type})
    return session


def _refuse_patient_overlap(episode: Episode, starts_at: Any, ends_at: Any, local_date: date) -> None:
    """A patient cannot be in two places: refuse an appointment over a group on their roster or another
    appointment, naming it (the patient can be excused from the group first)."""
    from trellis.scheduling.selectors import sessions_for_episodes

    for other in sessions_for_episodes([episode], local_date - timedelta(days=1), local_date):
        if other.status == SessionStatus.SCHEDULED and other.starts_at < ends_at and starts_at < other.ends_at:
            local = timezone.localtime(other.starts_at, episode.program.site.zone)
            raise DomainError(
                f"The patient is already scheduled for “{other.title}” at {local:%H:%M} that day. "
                "Choose another time, or excuse the patient from that session first.",
                field="start_time",
            )


def create_session(
    *,
    user: User,
    site: Any,
    title: str,
    service_type: str,
    local_date: date,
    start_time: time,
    end_time: time,
    facilitator: Any,
    program: Program | None = None,
    tracks: Sequence[Track] = (),
    topic: str = "",
    modality: str = "in_person",
    co_facilitator: Any = None,
    room: Room | None = None,
    capacity: int | None = None,
    break_minutes: int = 0,
    allow_past: bool = False,
) -> Session:
    """A one-off group session (make-up group, workshop, family night) outside any series."""
    check_site_hours(site, start_time, end_time)
    _validate_break(break_minutes, start_time, end_time)
    starts_at = local_to_utc(local_date, start_time, site.zone)
    ends_at = local_to_utc(local_date, end_time, site.zone)
    if not allow_past and starts_at < timezone.now():
        raise DomainError("A new session cannot be in the past.", field="local_date")
    _validate_staffing(facilitator, co_facilitator)
    _validate_room(site, room, capacity)
    if program is not None and program.site_id != site.pk:
        raise DomainError("That program is at another site.", field="program")
    for track in tracks:
        if program is None or track.program_id != program.pk:
            raise DomainError("Every track must belong to the session's program.", field="tracks")
    with transaction.atomic():
        people = _lock_resources([facilitator.pk, getattr(co_facilitator, "pk", None)], room.pk if room else None)
        conflicts = find_conflicts([Interval(starts_at, ends_at)],
                                   staff_ids=[facilitator.pk, getattr(co_facilitator, "pk", None)],
                                   room_id=room.pk if room else None)
        _raise_conflict(conflicts, people)
        session = Session.objects.create(
            site=site, program=program, title=title, topic=topic, service_type=service_type, modality=modality,
            starts_at=starts_at, ends_at=ends_at, local_date=local_date, facilitator=facilitator,
            co_facilitator=co_facilitator, room=room, capacity=capacity, break_minutes=break_minutes,
            created_by=user,
        )
        if tracks:
            session.tracks.set(tracks)
        record(action=AuditAction.CREATE, obj=session, site=site, detail={"one_off": True})
    return session
