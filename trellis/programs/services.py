"""Program, track and room setup writes: keyword-only, one transaction each, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.programs.models import Program, Room, Track

PROGRAM_FIELDS = (
    "name", "level_of_care", "population", "clinical_model", "days_per_week", "weekly_hours_min",
    "weekly_hours_max", "active",
)


def _check_hours(minimum: Decimal | None, maximum: Decimal | None) -> None:
    if minimum is not None and maximum is not None and minimum > maximum:
        raise DomainError("The weekly hours minimum is above the maximum.", field="weekly_hours_max")


def save_program(*, user: Any, site: Any, program: Program | None = None, **fields: Any) -> Program:
    data = {k: v for k, v in fields.items() if k in PROGRAM_FIELDS}
    _check_hours(data.get("weekly_hours_min"), data.get("weekly_hours_max"))
    with transaction.atomic():
        clash = Program.objects.filter(site=site, name=data.get("name", program.name if program else ""))
        if program is not None:
            clash = clash.exclude(pk=program.pk)
        if clash.exists():
            raise DomainError("This site already has a program with that name.", field="name")
        if program is None:
            program = Program.objects.create(organization=site.organization, site=site, created_by=user, **data)
            action = AuditAction.CREATE
        else:
            for key, value in data.items():
                setattr(program, key, value)
            program.save()
            action = AuditAction.UPDATE
        record(action=action, obj=program, site=site, detail={"fields": sorted(data)})
    return program


def save_track(*, user: Any, program: Program, track: Track | None = None, name: str, kind: str,
               description: str = "", active: bool = True) -> Track:
    with transaction.atomic():
        clash = Track.objects.filter(program=program, name=name)
        if track is not None:
            clash = clash.exclude(pk=track.pk)
        if clash.exists():
            raise DomainError("This program already has a track with that name.", field="name")
        if track is None:
            track = Track.objects.create(program=program, name=name, kind=kind, description=description,
                                         active=active, created_by=user)
            action = AuditAction.CREATE
        else:
            track.name, track.kind, track.description, track.active = name, kind, description, active
            track.save()
            action = AuditAction.UPDATE
        record(action=action, obj=track, site=program.site, detail={"program": str(program.public_id)})
    return track


def save_room(*, user: Any, site: Any, room: Room | None = None, name: str, capacity: int, active: bool = True) -> Room:
    if capacity is None or capacity < 1:
        raise DomainError("A room holds at least one person.", field="capacity")
    with transaction.atomic():
        clash = Room.objects.filter(site=site, name=name)
        if room is not None:
            clash = clash.exclude(pk=room.pk)
        if clash.exists():
            raise DomainError("This site already has a room with that name.", field="name")
        if room is None:
            room = Room.objects.create(site=site, name=name, capacity=capacity, active=active, created_by=user)
            action = AuditAction.CREATE
        else:
            room.name, room.capacity, room.active = name, capacity, active
            room.save()
            action = AuditAction.UPDATE
        record(action=action, obj=room, site=site)
    return room
