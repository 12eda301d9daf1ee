"""Program, track and room setup writes: keyword-only, one transaction each, audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.programs import rules
from trellis.programs.models import Program, Room, Track

PROGRAM_FIELDS = (
    "name", "level_of_care", "population", "clinical_model", "days_per_week", "weekly_hours_min",
    "weekly_hours_max", "active", "is_part2", "requires_certification", "asam_level", "plan_due_days",
    "plan_review_days", "note_deadline_hours", "risk_screen_days", "rescreen_every_days",
)

# Bounds for the program-policy intervals (program policy; state rules may be stricter). A plan due more than
# 30 days after admission or reviewed less often than every 90 days is not a treatment plan an IOP/PHP payer
# accepts; a note deadline beyond 7 days defeats timely documentation (The Joint Commission RC.01.03.01).
INTERVAL_BOUNDS = {
    "plan_due_days": (1, 30, "the initial plan is due between 1 and 30 days after admission (program policy)"),
    "plan_review_days": (1, 90, "plans are reviewed at least every 90 days (program policy)"),
    "note_deadline_hours": (1, 168, "notes are signed within 1 to 168 hours (program policy, TJC RC.01.03.01)"),
    "risk_screen_days": (1, 30, "a C-SSRS screen within 1 to 30 days before admission and discharge (program "
                                "policy, TJC NPSG.15.01.01)"),
    "rescreen_every_days": (1, 90, "C-SSRS re-screens every 1 to 90 days, or none (program policy)"),
}


def _check_hours(minimum: Decimal | None, maximum: Decimal | None) -> None:
    if minimum is not None and maximum is not None and minimum > maximum:
        raise DomainError("The weekly hours minimum is above the maximum.", field="weekly_hours_max")


def _check_switches(data: dict[str, Any]) -> None:
    if data.get("is_part2") is None:
        raise DomainError(f"Answer: {rules.PART2_QUESTION} (42 CFR 2.11, 2.12).", field="is_part2")
    if data.get("asam_level", "") not in rules.AsamLevel.values:
        raise DomainError("Choose an ASAM level from the list (The ASAM Criteria, 3rd ed.).", field="asam_level")
    problem = rules.floor_problem(
        level_of_care=data["level_of_care"], population=data["population"], asam_level=data.get("asam_level", ""),
        weekly_hours_min=Decimal(data["weekly_hours_min"]), certified=bool(data.get("requires_certification")),
    )
    if problem:
        raise DomainError(problem, field="weekly_hours_min")
    for name, (low, high, why) in INTERVAL_BOUNDS.items():
        value = data.get(name)
        if value is not None and not low <= value <= high:
            raise DomainError(f"Out of range: {why}.", field=name)


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def save_program(*, user: User, site: Any, program: Program | None = None, **fields: Any) -> Program:
    """Create or change a program, including the switches that decide which rules apply to it (Part 2,
    physician certification, hours floor, plan/review intervals, note deadline). The audit event carries each
    changed field's value before and after."""
    data = {k: v for k, v in fields.items() if k in PROGRAM_FIELDS}
    if program is not None:
        data = {name: getattr(program, name) for name in PROGRAM_FIELDS} | data
    if data.get("requires_certification") is None and "level_of_care" in data:
        data["requires_certification"] = rules.default_requires_certification(data["level_of_care"])
    data.setdefault("asam_level", "")
    data.setdefault("population", "adult")
    _check_hours(data.get("weekly_hours_min"), data.get("weekly_hours_max"))
    _check_switches(data)
    with transaction.atomic():
        clash = Program.objects.filter(site=site, name=data.get("name", program.name if program else ""))
        if program is not None:
            clash = clash.exclude(pk=program.pk)
        if clash.exists():
            raise DomainError("This site already has a program with that name.", field="name")
        if program is None:
            program = Program.objects.create(organization=site.organization, site=site, created_by=user, **data)
            action = AuditAction.CREATE
            changes = {k: [None, _jsonable(v)] for k, v in data.items()}
        else:
            program = Program.objects.select_for_update().get(pk=program.pk)
            changes = {k: [_jsonable(getattr(program, k)), _jsonable(v)] for k, v in data.items()
                       if getattr(program, k) != v}
            for key, value in data.items():
                setattr(program, key, value)
            program.save()
            action = AuditAction.UPDATE
        record(action=action, obj=program, site=site, detail={"fields": sorted(changes), "changes": changes})
    return program


def save_track(*, user: User, program: Program, track: Track | None = None, name: str, kind: str,
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


def save_room(*, user: User, site: Any, room: Room | None = None, name: str, capacity: int, active: bool = True) -> Room:
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
