"""Recurring series and the occurrences generated from them (across DST, closures and edits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.episodes.models import Episode
from trellis.programs.models import Program, Room, ServiceType, Track
from trellis.scheduling.models import (
    OrganizationClosure,
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
from trellis.scheduling.services.checks import (
    Interval,
    _lock_resources,
    _raise_conflict,
    _validate_break,
    _validate_room,
    _validate_staffing,
    check_site_hours,
    find_conflicts,
    site_today,
)

#: How far ahead occurrences exist (rolling horizon); a daily job extends it.
DEFAULT_HORIZON_DAYS = 56


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
    user: User | None = None,
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
