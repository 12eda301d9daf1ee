"""Presence → suggested attendance. Pure functions on plain data (no ORM).

A patient counts as attending while two things are both true: their browser is connected (join/reconnect
until leave/superseded) and they are in the session (admitted or in a private breakout with a clinician).
Time in the waiting room is not treatment time. Suggested minutes are whole minutes inside the scheduled
session window with disconnect gaps subtracted, truncated (floor) like every other attendance minute:
time-based services are reported from time actually spent with the patient (AMA CPT code set,
Introduction, "Time"). Arrival is the first moment of attendance, departure the last.
Modality is video when the patient sent a video track at any point, otherwise audio only (the payer's
audio-only rules, e.g. CMS telehealth modifier 93 / FQ, apply downstream in billing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

CONNECT = frozenset({"join", "reconnect"})
DISCONNECT = frozenset({"leave", "superseded"})
ENTER_SESSION = frozenset({"admit"})
EXIT_SESSION = frozenset({"return", "not_seen", "remove"})
# "breakout" keeps the patient in treatment (a private room with a clinician).


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime


@dataclass(frozen=True)
class Suggestion:
    arrived_at: datetime | None
    departed_at: datetime | None
    minutes: int
    gaps: int  # disconnects while in session
    had_video: bool
    status: str  # present | late | left_early | absent_unexcused

    @property
    def attended(self) -> bool:
        return self.arrived_at is not None


LATE_GRACE_MINUTES = 5  # program policy default: arrival within 5 minutes of the start counts as on time


def intervals(events: Iterable[Event]) -> list[tuple[datetime, datetime | None]]:
    """Periods during which the patient was both connected and in the session (open end = still there)."""
    connected = in_session = False
    out: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for ev in sorted(events, key=lambda e: e.at):
        before = connected and in_session
        if ev.kind in CONNECT:
            connected = True
        elif ev.kind in DISCONNECT:
            connected = False
        elif ev.kind in ENTER_SESSION:
            in_session = True
        elif ev.kind in EXIT_SESSION:
            in_session = False
        after = connected and in_session
        if not before and after:
            start = ev.at
        elif before and not after and start is not None:
            out.append((start, ev.at))
            start = None
    if start is not None:
        out.append((start, None))
    return out


def suggest(
    events: Iterable[Event], *, session_start: datetime, session_end: datetime, now: datetime, had_video: bool
) -> Suggestion:
    periods = intervals(events)
    clipped: list[tuple[datetime, datetime]] = []
    for lo, hi in periods:
        hi = hi or min(now, session_end)
        lo, hi = max(lo, session_start), min(hi, session_end)
        if hi > lo:
            clipped.append((lo, hi))
    if not clipped:
        return Suggestion(None, None, 0, 0, had_video, "absent_unexcused")
    seconds = sum((hi - lo).total_seconds() for lo, hi in clipped)
    arrived, departed = clipped[0][0], clipped[-1][1]
    late = (arrived - session_start).total_seconds() > LATE_GRACE_MINUTES * 60
    still_there = periods[-1][1] is None and now < session_end
    early = not still_there and (session_end - departed).total_seconds() > LATE_GRACE_MINUTES * 60
    status = "late" if late else ("left_early" if early else "present")
    return Suggestion(arrived, departed, int(seconds // 60), len(clipped) - 1, had_video, status)
