"""Shared checks of every booking: site hours, staff/room conflicts (after locking the rows), staffing, breaks, rooms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from trellis.core.errors import DomainError
from trellis.programs.models import Room
from trellis.scheduling.models import (
    Session,
    SessionStatus,
)


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
