"""Scheduling writes: series, occurrences, appointments, rosters, closures, feeds.

Every function is keyword-only, runs in one transaction and writes an audit event. Conflicts and capacity
are checked *after* locking the rows they depend on (``select_for_update``: the staff members' and room's
rows for bookings, the session row for roster adds), so two concurrent requests serialize on PostgreSQL and
exactly one of them wins. On SQLite ``select_for_update`` is a no-op, but SQLite allows one writer at a time.
Lock order is always: staff users (by pk) → room → session → audit chain head, so requests cannot deadlock.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode
from trellis.episodes.selectors import active_on
from trellis.programs.models import Program, Room, ServiceType, Track
from trellis.scheduling.models import (
    FeedToken,
    OrganizationClosure,
    RosterChange,
    RosterChangeKind,
    Session,
    SessionSeries,
    SessionStatus,
)
from trellis.scheduling.recurrence import (
    RecurrenceError,
    WeeklySeriesSpec,
    local_to_utc,
)
from trellis.scheduling.recurrence import (
    generate_occurrences as _pattern_occurrences,
)

#: How far ahead occurrences exist (rolling horizon); a daily job extends it.
DEFAULT_HORIZON_DAYS = 56


# --------------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------------


def site_today(site: Any) -> date:
    return timezone.now().astimezone(site.zone).date()


def check_site_hours(site: Any, start: time, end: time, *, field: str = "start_time") -> None:
    """Sessions sit inside the site's opening hours (Site.opens_at/closes_at, site-local)."""
    if end <= start:
        raise DomainError("The session must end after it starts.", field="end_time")
    opens, closes = site.opens_at, site.closes_at
    if isinstance(opens, str):  # unsaved defaults are strings
        opens = time.fromisoformat(opens)
    if isinstance(closes, str):
        closes = time.fromisoformat(closes)
    if start < opens or end > closes:
        raise DomainError(
            f"{site.name} is open {opens:%H:%M}–{closes:%H:%M}; the session ({start:%H:%M}–{end:%H:%M}) must fit "
            "inside those hours.",
            field=field if start < opens else "end_time",
        )


def _describe(session: Session) -> str:
    zone = session.site.zone
    s, e = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    return f"“{session.title}” on {s:%a %b %d} {s:%H:%M}–{e:%H:%M}"


def _staff_name(user_id: int, people: dict[int, Any]) -> str:
    person = people.get(user_id)
    return person.display_name if person is not None else "That staff member"


@dataclass(frozen=True)
class Interval:
    starts_at: datetime
    ends_at: datetime
    key: Any = None  # e.g. the occurrence date


def _lock_resources(staff_ids: Iterable[int | None], room_id: int | None) -> dict[int, Any]:
    """Lock staff rows (sorted by pk) then the room row, so concurrent bookings serialize."""
    ids = sorted({pk for pk in staff_ids if pk})
    people = {u.pk: u for u in get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if room_id:
        list(Room.objects.select_for_update().filter(pk=room_id))
    return people


def find_conflicts(
    intervals: Sequence[Interval],
    *,
    staff_ids: Iterable[int | None],
    room_id: int | None,
    exclude_ids: Iterable[int] = (),
    exclude_series_id: int | None = None,
) -> list[tuple[Interval, Session, str]]:
    """Scheduled sessions overlapping any interval that share a staff member or the room. One query."""
    staff = {pk for pk in staff_ids if pk}
    if not intervals or (not staff and not room_id):
        return []
    lo = min(i.starts_at for i in intervals)
    hi = max(i.ends_at for i in intervals)
    who = Q()
    if staff:
        who |= Q(facilitator_id__in=staff) | Q(co_facilitator_id__in=staff)
    if room_id:
        who |= Q(room_id=room_id)
    qs = (
        Session.objects.filter(who, status=SessionStatus.SCHEDULED, starts_at__lt=hi, ends_at__gt=lo)
        .exclude(pk__in=list(exclude_ids))
        .select_related("site")
        .order_by("starts_at")
    )
    if exclude_series_id:
        qs = qs.exclude(series_id=exclude_series_id, detached=False)
    existing = list(qs)
    found = []
    for interval in intervals:
        for other in existing:
            if other.starts_at < interval.ends_at and interval.starts_at < other.ends_at:
                if room_id and other.room_id == room_id:
                    found.append((interval, other, "room"))
                else:
                    clash = staff & {other.facilitator_id, other.co_facilitator_id}
                    found.append((interval, other, f"staff:{min(clash)}"))
    return found


def _raise_conflict(conflicts: list[tuple[Interval, Session, str]], people: dict[int, Any]) -> None:
    if not conflicts:
        return
    _, other, what = conflicts[0]
    if what == "room":
        message = f"The room is already booked for {_describe(other)}."
        field = "room"
    else:
        user_id = int(what.split(":")[1])
        message = f"{_staff_name(user_id, people)} is already booked for {_describe(other)}."
        field = "facilitator"
    more = len({c[1].pk for c in conflicts}) - 1
    if more > 0:
        message += f" ({more} more conflicting session{'s' if more > 1 else ''}.)"
    raise DomainError(message, field=field, code="conflict")


def _validate_staffing(facilitator: Any, co_facilitator: Any) -> None:
    if facilitator is None:
        raise DomainError("Choose a facilitator.", field="facilitator")
    if co_facilitator is not None and co_facilitator.pk == facilitator.pk:
        raise DomainError("The co-facilitator must be someone other than the facilitator.", field="co_facilitator")


def _validate_break(break_minutes: int, start: time, end: time) -> None:
    """A break is part of the session, so it must be shorter than it (a session that is all break is a meal
    or rest period: schedule it with a service type that does not count)."""
    if break_minutes is None:
        return
    if break_minutes < 0:
        raise DomainError("Break minutes cannot be negative.", field="break_minutes")
    length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if length > 0 and break_minutes >= length:
        raise DomainError(
            f"A {break_minutes}-minute break leaves no treatment time in a {length}-minute session; "
            "shorten the break.", field="break_minutes")


def _validate_room(site: Any, room: Room | None, capacity: int | None) -> None:
    if room is not None and room.site_id != site.pk:
        raise DomainError("That room is at another site.", field="room")
    if capacity is not None and capacity < 1:
        raise DomainError("Capacity must be at least 1.", field="capacity")


# --------------------------------------------------------------------------------------------------
# Series and occurrence generation
# --------------------------------------------------------------------------------------------------


def _spec(series: SessionSeries, skip: Iterable[date] = ()) -> WeeklySeriesSpec:
    return WeeklySeriesSpec(
        weekdays=frozenset(series.weekdays),
        start_time=series.start_time,
        end_time=series.end_time,
        time_zone=series.site.time_zone,
        start_date=series.starts_on,
        end_date=series.ends_on,
        skip_dates=frozenset(skip),
    )


def _closures(site: Any, start: date, end: date) -> dict[date, OrganizationClosure]:
    qs = OrganizationClosure.objects.filter(
        Q(site=site) | Q(site__isnull=True), organization_id=site.organization_id, date__gte=start, date__lte=end
    )
    return {c.date: c for c in qs}


@dataclass
class GenerationResult:
    created: list[Session]
    skipped_conflicts: list[tuple[date, str]]


def generate_occurrences(
    *,
    series: SessionSeries,
    through: date,
    start: date | None = None,
    on_conflict: str = "raise",
    user: User = None,
    check_conflicts: bool = True,
    audit: bool = True,
) -> GenerationResult:
    """Create the occurrences of ``series`` from ``start`` (default: the site's today) through ``through``.

    Idempotent: occurrence dates that already exist (including moved or cancelled ones) are never
    recreated. Closure dates produce a *cancelled* occurrence that carries the closure's reason.
    ``on_conflict``: "raise" (DomainError naming the conflicting session) or "skip" (leave that date out and
    report it — used by the rolling-horizon job, where raising would block every other date).
    """
    site = series.site
    first = max(series.starts_on, start or site_today(site))
    if through < first or not series.active:
        return GenerationResult([], [])
    with transaction.atomic():
        people = _lock_resources([series.facilitator_id, series.co_facilitator_id], series.room_id) if check_conflicts else {}
        existing = set(
            Session.objects.filter(series=series, occurrence_date__gte=first, occurrence_date__lte=through)
            .values_list("occurrence_date", flat=True)
        )
        try:
            pattern = _pattern_occurrences(_spec(series, skip=existing), window_start=first, window_end=through)
        except RecurrenceError as exc:
            raise DomainError(exc.message, field=exc.field) from exc
        closures = _closures(site, first, through)
        skipped: list[tuple[date, str]] = []
        if check_conflicts and pattern:
            intervals = [Interval(o.starts_at, o.ends_at, o.local_date) for o in pattern if o.local_date not in closures]
            conflicts = find_conflicts(
                intervals, staff_ids=[series.facilitator_id, series.co_facilitator_id], room_id=series.room_id,
                exclude_series_id=series.pk,
            )
            if conflicts and on_conflict == "raise":
                _raise_conflict(conflicts, people)
            bad = {c[0].key for c in conflicts}
            skipped = [(d, "conflict") for d in sorted(bad)]
            pattern = [o for o in pattern if o.local_date not in bad]
        sessions = [
            Session(
                series=series,
                occurrence_date=o.local_date,
                site=site,
                program_id=series.program_id,
                episode_id=series.episode_id,
                title=series.title,
                topic=series.topic,
                service_type=series.service_type,
                modality=series.modality,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                local_date=o.local_date,
                facilitator_id=series.facilitator_id,
                co_facilitator_id=series.co_facilitator_id,
                room_id=series.room_id,
                capacity=series.capacity,
                break_minutes=series.break_minutes,
                status=SessionStatus.CANCELLED if o.local_date in closures else SessionStatus.SCHEDULED,
                cancel_reason=closures[o.local_date].reason if o.local_date in closures else "",
                closure=closures.get(o.local_date),
                created_by=user,
            )
            for o in pattern
        ]
        created = Session.objects.bulk_create(sessions, batch_size=500)
        if created and not created[0].pk:  # backends without RETURNING ids on bulk insert
            created = list(
                Session.objects.filter(series=series, occurrence_date__in=[s.occurrence_date for s in sessions])
            )
        track_ids = list(series.tracks.values_list("pk", flat=True))
        if track_ids and created:
            through_model = Session.tracks.through
            through_model.objects.bulk_create(
                [through_model(session_id=s.pk, track_id=t) for s in created for t in track_ids], batch_size=1000
            )
        if through > (series.generated_through or date.min):
            SessionSeries.objects.filter(pk=series.pk).update(generated_through=through)
            series.generated_through = through
        if audit and created:
            record(action=AuditAction.CREATE, obj=series, site=site,
                   detail={"occurrences": len(created), "through": through.isoformat()})
    return GenerationResult(created, skipped)


def create_series(
    *,
    user: User,
    site: Any,
    title: str,
    service_type: str,
    weekdays: Iterable[int],
    start_time: time,
    end_time: time,
    starts_on: date,
    facilitator: Any,
    program: Program | None = None,
    tracks: Sequence[Track] = (),
    episode: Episode | None = None,
    topic: str = "",
    modality: str = "in_person",
    ends_on: date | None = None,
    co_facilitator: Any = None,
    room: Room | None = None,
    capacity: int | None = None,
    break_minutes: int = 0,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    allow_past: bool = False,
    through: date | None = None,
) -> SessionSeries:
    """Create a weekly series and its occurrences up to the rolling horizon.

    Refused: no days, end not after start, outside the site's hours, first day in the past (unless
    ``allow_past`` — used by demo data and imports), tracks of another program, staff/room conflicts.
    """
    days = sorted({int(d) for d in weekdays})
    try:
        WeeklySeriesSpec(weekdays=frozenset(days), start_time=start_time, end_time=end_time,
                         time_zone=site.time_zone, start_date=starts_on, end_date=ends_on)
    except RecurrenceError as exc:
        raise DomainError(exc.message, field=exc.field) from exc
    check_site_hours(site, start_time, end_time)
    _validate_break(break_minutes, start_time, end_time)
    if not allow_past and starts_on < site_today(site):
        raise DomainError("A new series cannot start in the past; choose today or a later date.", field="starts_on")
    _validate_staffing(facilitator, co_facilitator)
    _validate_room(site, room, capacity)
    if program is not None and program.site_id != site.pk:
        raise DomainError("That program is at another site.", field="program")
    for track in tracks:
        if program is None or track.program_id != program.pk:
            raise DomainError("Every track must belong to the series' program.", field="tracks")
    if episode is not None and episode.program.site_id != site.pk:
        raise DomainError("That patient's episode is at another site.", field="episode")
    if not ServiceType.is_group(service_type) and tracks and episode is None:
        pass  # an individual-type service may still be offered to a whole track (e.g. nursing check-in)
    with transaction.atomic():
        series = SessionSeries.objects.create(
            site=site, program=program, episode=episode, title=title, topic=topic, service_type=service_type,
            modality=modality, weekdays=days, start_time=start_time, end_time=end_time, starts_on=starts_on,
            ends_on=ends_on, facilitator=facilitator, co_facilitator=co_facilitator, room=room, capacity=capacity,
            break_minutes=break_minutes, created_by=user,
        )
        if tracks:
            series.tracks.set(tracks)
        record(action=AuditAction.CREATE, obj=series, site=site, detail={"weekdays": days})
        horizon = through or site_today(site) + timedelta(days=horizon_days)
        generate_occurrences(series=series, through=horizon, start=starts_on if allow_past else None, user=user,
                             audit=False)
    return series


SERIES_EDITABLE = (
    "title", "topic", "service_type", "modality", "weekdays", "start_time", "end_time", "ends_on", "facilitator",
    "co_facilitator", "room", "capacity", "active", "break_minutes",
)


def update_series(*, series: SessionSeries, user: User, version: int | None = None, tracks: Sequence[Track] | None = None,
                  **changes: Any) -> SessionSeries:
    """Edit a series. Future, not individually changed occurrences follow the edit; past ones never change.

    Future occurrences on dates no longer in the pattern are removed when nothing hangs on them (no
    attendance, no roster change) and cancelled otherwise.
    """
    unknown = set(changes) - set(SERIES_EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))} on a series.")
    site = series.site
    with transaction.atomic():
        current = SessionSeries.objects.select_for_update(of=("self",)).select_related("site").get(pk=series.pk)
        if version is not None and current.version != version:
            raise DomainError("Someone else changed this series first; reload and try again.", code="conflict")
        for key, value in changes.items():
            setattr(current, key, value)
        if "weekdays" in changes:
            current.weekdays = sorted({int(d) for d in changes["weekdays"]})
        try:
            WeeklySeriesSpec(weekdays=frozenset(current.weekdays), start_time=current.start_time,
                             end_time=current.end_time, time_zone=site.time_zone, start_date=current.starts_on,
                             end_date=current.ends_on)
        except RecurrenceError as exc:
            raise DomainError(exc.message, field=exc.field) from exc
        check_site_hours(site, current.start_time, current.end_time)
        _validate_break(current.break_minutes, current.start_time, current.end_time)
        _validate_staffing(current.facilitator, current.co_facilitator)
        _validate_room(site, current.room, current.capacity)
        if tracks is not None:
            for track in tracks:
                if current.program_id is None or track.program_id != current.program_id:
                    raise DomainError("Every track must belong to the series' program.", field="tracks")
            current.tracks.set(tracks)
        current.version += 1
        current.save()

        now = timezone.now()
        future = list(
            Session.objects.filter(series=current, starts_at__gt=now, detached=False, status=SessionStatus.SCHEDULED)
        )
        pattern_days = set(current.weekdays)
        keep: list[Session] = []
        for s in future:
            off_pattern = s.occurrence_date.weekday() not in pattern_days or (
                current.ends_on is not None and s.occurrence_date > current.ends_on
            ) or not current.active
            if off_pattern:
                if s.attendance.exists() or s.roster_changes.exists():
                    s.status = SessionStatus.CANCELLED
                    s.cancel_reason = "Series schedule changed"
                    s.save(update_fields=["status", "cancel_reason", "updated_at"])
                else:
                    s.tracks.clear()
                    s.delete()
                continue
            keep.append(s)
        if keep:
            people = _lock_resources([current.facilitator_id, current.co_facilitator_id], current.room_id)
            for s in keep:
                occ_start = local_to_utc(s.occurrence_date, current.start_time, site.zone)
                occ_end = local_to_utc(s.occurrence_date, current.end_time, site.zone)
                s.starts_at, s.ends_at = occ_start, occ_end
            conflicts = find_conflicts(
                [Interval(s.starts_at, s.ends_at, s.pk) for s in keep],
                staff_ids=[current.facilitator_id, current.co_facilitator_id], room_id=current.room_id,
                exclude_ids=[s.pk for s in keep],
            )
            _raise_conflict(conflicts, people)
            for s in keep:
                for key in ("title", "topic", "service_type", "modality", "facilitator_id", "co_facilitator_id",
                            "room_id", "capacity", "break_minutes"):
                    setattr(s, key, getattr(current, key))
                s.version += 1
            Session.objects.bulk_update(
                keep,
                ["starts_at", "ends_at", "title", "topic", "service_type", "modality", "facilitator_id",
                 "co_facilitator_id", "room_id", "capacity", "break_minutes", "version"],
                batch_size=500,
            )
            if tracks is not None:
                through_model = Session.tracks.through
                through_model.objects.filter(session_id__in=[s.pk for s in keep]).delete()
                through_model.objects.bulk_create(
                    [through_model(session_id=s.pk, track_id=t.pk) for s in keep for t in tracks]
                )
        record(action=AuditAction.UPDATE, obj=current, site=site, detail={"fields": sorted(changes)})
        if current.active:
            generate_occurrences(series=current, through=max(current.generated_through or date.min,
                                                              site_today(site) + timedelta(days=DEFAULT_HORIZON_DAYS)),
                                 user=user, audit=False)
    return current


def extend_horizons(*, through: date | None = None, days: int = DEFAULT_HORIZON_DAYS) -> dict[str, int]:
    """The rolling-horizon job: bring every active series up to today + ``days``. Safe to run repeatedly."""
    created = skipped = 0
    for series in SessionSeries.objects.filter(active=True).select_related("site"):
        horizon = through or site_today(series.site) + timedelta(days=days)
        result = generate_occurrences(series=series, through=horizon, on_conflict="skip")
        created += len(result.created)
        skipped += len(result.skipped_conflicts)
    return {"created": created, "skipped": skipped}


# --------------------------------------------------------------------------------------------------
# One occurrence: cancel, move, re-staff
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Closures
# --------------------------------------------------------------------------------------------------


def create_closure(*, user: User, organization: Any, on: date, reason: str, site: Any = None) -> OrganizationClosure:
    """Close the organization (or one site) for a day: its scheduled sessions are cancelled with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for the closure (e.g. “Thanksgiving”).", field="reason")
    if site is not None and site.organization_id != organization.pk:
        raise DomainError("That site belongs to another organization.", field="site")
    with transaction.atomic():
        dupe = OrganizationClosure.objects.filter(organization=organization, date=on)
        dupe = dupe.filter(site__isnull=True) if site is None else dupe.filter(Q(site=site) | Q(site__isnull=True))
        if dupe.exists():
            raise DomainError("That closure is already on the calendar.", field="date")
        closure = OrganizationClosure.objects.create(organization=organization, site=site, date=on,
                                                     reason=reason[:200], created_by=user)
        # Sessions that already have attendance ran (or are being corrected): a closure never rewrites them.
        sessions = Session.objects.select_for_update(of=("self",)).filter(local_date=on, status=SessionStatus.SCHEDULED,
                                                              site__organization=organization,
                                                              attendance__isnull=True)
        if site is not None:
            sessions = sessions.filter(site=site)
        count = sessions.update(status=SessionStatus.CANCELLED, cancel_reason=reason[:200], closure=closure,
                                detached=True, updated_at=timezone.now())
        record(action=AuditAction.CREATE, obj=closure, site=site, detail={"sessions_cancelled": count})
    return closure


# --------------------------------------------------------------------------------------------------
# Individual appointments
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Rosters
# --------------------------------------------------------------------------------------------------


def add_to_roster(*, session: Session, episode: Episode, user: User, reason: str = "") -> RosterChange:
    """Add a patient to one occurrence. Refused without an active episode that day, or when the session is full.

    The session row is locked first, so two people adding the last seat at once are serialized and the
    second sees the session full (exactly one succeeds).
    """
    from trellis.scheduling.selectors import roster_for_session

    with transaction.atomic():
        current = _locked_session(session)
        if current.status == SessionStatus.CANCELLED:
            raise DomainError("This session is cancelled.")
        if current.episode_id is not None:
            raise DomainError("This is an individual appointment; book another appointment instead.")
        ep = Episode.objects.select_related("program", "patient").get(pk=episode.pk)
        if ep.program.site_id != current.site_id:
            raise DomainError("That patient's episode is at another site.", field="episode")
        if not Episode.objects.filter(active_on(current.local_date), pk=ep.pk).exists():
            raise DomainError("The patient has no active episode on the session's date.", field="episode")
        roster = roster_for_session(current)
        if any(m.episode.pk == ep.pk for m in roster):
            raise DomainError("The patient is already on this session's roster.", field="episode")
        capacity = current.effective_capacity
        if capacity is not None and len(roster) >= capacity:
            raise DomainError(f"The session is full ({capacity} seats).", field="episode", code="capacity")
        change, created = RosterChange.objects.get_or_create(
            session=current, episode=ep,
            defaults={"kind": RosterChangeKind.ADD, "reason": reason[:200], "created_by": user},
        )
        if not created:
            change.kind = RosterChangeKind.ADD
            change.reason = reason[:200]
            change.save()
        record(action=AuditAction.UPDATE, obj=current, patient=ep.patient, site=current.site,
               detail={"roster": "add", "episode": str(ep.public_id)})
    return change


def excuse_from_roster(*, session: Session, episode: Episode, user: User, reason: str) -> RosterChange:
    """Take a patient off one occurrence's roster (planned absence agreed in advance)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for excusing the patient.", field="reason")
    from trellis.scheduling.selectors import roster_for_session

    with transaction.atomic():
        current = _locked_session(session)
        ep = Episode.objects.select_related("patient").get(pk=episode.pk)
        if not any(m.episode.pk == ep.pk for m in roster_for_session(current)):
            raise DomainError("The patient is not on this session's roster.", field="episode")
        if current.attendance.filter(episode=ep).exists():
            raise DomainError("Attendance is already recorded for this patient; correct it instead.")
        change, created = RosterChange.objects.get_or_create(
            session=current, episode=ep,
            defaults={"kind": RosterChangeKind.EXCUSE, "reason": reason[:200], "created_by": user},
        )
        if not created:
            if change.kind == RosterChangeKind.ADD:
                # Undo an explicit add: the patient was never on the derived roster.
                change.delete()
                change.kind = RosterChangeKind.EXCUSE
            else:
                change.reason = reason[:200]
                change.save()
        record(action=AuditAction.UPDATE, obj=current, patient=ep.patient, site=current.site,
               detail={"roster": "excuse", "episode": str(ep.public_id)})
    return change


# --------------------------------------------------------------------------------------------------
# iCalendar feed tokens
# --------------------------------------------------------------------------------------------------


def create_feed_token(*, user: User, label: str = "") -> tuple[FeedToken, str]:
    """Returns the token row and the secret (shown once; only its SHA-256 is stored)."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = FeedToken.objects.create(user=user, token_hash=FeedToken.hash_secret(secret), label=label[:80],
                                         created_by=user)
        record(action=AuditAction.CREATE, obj=token, detail={"feed": "ical"})
    return token, secret


def revoke_feed_token(*, token: FeedToken, user: User) -> FeedToken:
    if token.user_id != user.pk:
        raise DomainError("You can only revoke your own calendar links.")
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            record(action=AuditAction.UPDATE, obj=token, detail={"feed": "revoked"})
    return token
