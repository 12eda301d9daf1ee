"""Test helpers for scheduling data, usable by any app's tests (compliance, billing, documentation).

    from trellis.scheduling.testing import make_program, make_track, make_room, admit, make_session
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from trellis.episodes.models import Episode, EpisodeStatus
from trellis.patients.models import PatientSite
from trellis.programs.models import LevelOfCare, Program, Room, Track
from trellis.scheduling.models import Session
from trellis.scheduling.recurrence import local_to_utc


def make_program(site: Any, *, name: str = "Adult IOP", level: str = LevelOfCare.IOP, **extra: Any) -> Program:
    data = {
        "organization": site.organization,
        "site": site,
        "name": name,
        "level_of_care": level,
        "days_per_week": 3,
        "weekly_hours_min": Decimal("9"),
        "weekly_hours_max": Decimal("19"),
    }
    data.update(extra)
    return Program.objects.create(**data)


def make_track(program: Program, *, name: str = "General") -> Track:
    return Track.objects.create(program=program, name=name)


def make_room(site: Any, *, name: str = "Group Room A", capacity: int = 12) -> Room:
    return Room.objects.create(site=site, name=name, capacity=capacity)


def admit(patient: Any, track: Track, *, admitted_on: date, discharged_on: date | None = None) -> Episode:
    PatientSite.objects.get_or_create(patient=patient, site=track.program.site)
    return Episode.objects.create(
        patient=patient,
        program=track.program,
        track=track,
        status=EpisodeStatus.DISCHARGED if discharged_on else EpisodeStatus.ACTIVE,
        admitted_on=admitted_on,
        discharged_on=discharged_on,
        recommended_level=track.program.level_of_care,
    )


def make_session(
    *,
    site: Any,
    facilitator: Any,
    day: date,
    start: time = time(9, 0),
    end: time = time(10, 30),
    tracks: list[Track] | tuple = (),
    title: str = "Process group",
    service_type: str = "group_psychotherapy",
    room: Room | None = None,
    capacity: int | None = None,
    episode: Episode | None = None,
    modality: str = "in_person",
    program: Program | None = None,
    **extra: Any,
) -> Session:
    """Insert one session directly (no conflict checks): for arranging test data in the past."""
    starts_at: datetime = local_to_utc(day, start, site.zone)
    end_day = day if end > start else day + timedelta(days=1)
    ends_at: datetime = local_to_utc(end_day, end, site.zone)
    session = Session.objects.create(
        site=site, program=program or (tracks[0].program if tracks else None), title=title,
        service_type=service_type, modality=modality, starts_at=starts_at, ends_at=ends_at, local_date=day,
        facilitator=facilitator, room=room, capacity=capacity, episode=episode, **extra,
    )
    if tracks:
        session.tracks.set(tracks)
    return session
