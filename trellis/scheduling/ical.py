"""iCalendar (RFC 5545) feed of one staff member's sessions, built with the `icalendar` package.

No patient names leave Trellis this way (HIPAA minimum necessary, 45 CFR 164.502(b)): a group shows only
the number of patients on its roster ("8 patients"), an individual appointment only the patient's initials.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from icalendar import Calendar, Event

from trellis.scheduling.models import Session, SessionStatus


def _who(session: Session, roster: Any) -> str:
    if session.episode_id is not None:
        return f"Patient {session.episode.patient.initials}"
    count = len(roster.members) if roster is not None else 0
    return f"{count} patient{'s' if count != 1 else ''}"


def build_staff_calendar(user: Any, sessions: Sequence[Session], *, rosters: dict[int, Any]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Trellis//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Trellis schedule")
    stamp = timezone.now()
    for s in sessions:
        event = Event()
        event.add("uid", f"{s.public_id}@trellis")
        event.add("dtstamp", stamp)
        event.add("dtstart", s.starts_at)
        event.add("dtend", s.ends_at)
        # An appointment's free-text title may carry a name typed by staff; calendars on phones and shared
        # devices get the service type instead. Group titles are curriculum ("Process group").
        event.add("summary", s.get_service_type_display() if s.episode_id else s.title)
        role = "Facilitator" if s.facilitator_id == user.pk else "Co-facilitator"
        lines = [_who(s, rosters.get(s.pk)), role]
        if s.status == SessionStatus.CANCELLED:
            lines.insert(0, "Cancelled" if s.episode_id or not s.cancel_reason else f"Cancelled: {s.cancel_reason}")
        event.add("description", "\n".join(lines))
        where = ", ".join(x for x in [s.room.name if s.room_id else "", s.site.name] if x)
        if s.modality == "telehealth":
            where = f"Telehealth ({s.site.name})"
        event.add("location", where)
        event.add("status", "CANCELLED" if s.status == SessionStatus.CANCELLED else "CONFIRMED")
        event.add("sequence", s.version)
        cal.add_component(event)
    return cal.to_ical()
