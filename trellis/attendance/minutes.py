"""Minutes attended at one session — pure functions, plain-data inputs, no ORM.

Rules (each documented here because billing and the compliance engine depend on them):

* Minutes are whole minutes of presence *inside the session window*: arrival before the start counts
  from the start, departure after the end counts to the end. Seconds are truncated (floor), so a
  patient is never credited with time not actually spent. Time-based services are reported from
  the time actually spent with the patient (AMA CPT code set, Introduction, "Time"; psychotherapy
  codes 90832–90838 are selected by documented face-to-face minutes), so the ledger uses documented
  arrival/departure times, never the scheduled length, for anyone who did not attend the whole
  session.
* Minutes never exceed the session's length (the cap), and are never negative.
* Absences (excused/unexcused) and program cancellations are 0 minutes; entering an arrival or
  departure time for them is refused as contradictory input.
* ``present`` without times means the whole session; ``late`` requires an arrival time;
  ``left_early`` requires a departure time.
* Arrival after departure, arrival at or after the session's end, or departure at or before its start
  are refused (an arrival exactly at the end is not "late with 0 minutes": the patient was absent).
  A manually entered minutes value beyond the session length is refused.
* Contradictions are refused at entry, not silently credited: ``late`` with an arrival at or before the
  start (a "late" arrival at 06:00 for a 09:30 group would otherwise be credited the whole session),
  ``left_early`` with a departure at or after the end, a time later than now (``now``), and a time more
  than ``OUTSIDE_TOLERANCE_MINUTES`` before the start or after the end (a typo such as 06:00 for 09:00,
  not an early arrival). The attendance sheet's script (attendance/static/attendance/sheet.js) mirrors
  these rules for immediate feedback; this module stays the source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from trellis.core.errors import DomainError


class Status(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT_EXCUSED = "absent_excused"
    ABSENT_UNEXCUSED = "absent_unexcused"
    CANCELLED_BY_PROGRAM = "cancelled_by_program"


STATUS_LABELS: dict[str, str] = {
    Status.PRESENT: "Present",
    Status.LATE: "Late",
    Status.LEFT_EARLY: "Left early",
    Status.ABSENT_EXCUSED: "Absent (excused)",
    Status.ABSENT_UNEXCUSED: "Absent (unexcused)",
    Status.CANCELLED_BY_PROGRAM: "Cancelled by program",
}

ATTENDED_STATUSES = frozenset({Status.PRESENT, Status.LATE, Status.LEFT_EARLY})
ABSENT_STATUSES = frozenset({Status.ABSENT_EXCUSED, Status.ABSENT_UNEXCUSED})
ZERO_MINUTE_STATUSES = ABSENT_STATUSES | {Status.CANCELLED_BY_PROGRAM}

# Program policy (not a regulation): an arrival or departure this far outside the session is taken for a
# typing error and refused; early arrivals and late departures within it are clipped to the session.
OUTSIDE_TOLERANCE_MINUTES = 120


class AttendedModality(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    AUDIO_ONLY = "audio_only"


class MinutesError(DomainError):
    """Bad attendance input. ``field`` names the input to fix (for a form error next to it)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class MinutesResult:
    minutes: int
    arrived_at: datetime | None
    departed_at: datetime | None


def session_minutes(starts_at: datetime, ends_at: datetime) -> int:
    """Elapsed whole minutes of a session (real time, so DST-correct for aware datetimes)."""
    _require_aware(starts_at, "starts_at")
    _require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise MinutesError("The session must end after it starts.", "ends_at")
    return int((ends_at - starts_at).total_seconds() // 60)


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise MinutesError(f"{name} must be a time-zone-aware datetime.", name)


def compute_minutes(
    *,
    status: str,
    session_start: datetime,
    session_end: datetime,
    arrived_at: datetime | None = None,
    departed_at: datetime | None = None,
    now: datetime | None = None,
) -> MinutesResult:
    """Minutes attended for ``status`` with optional arrival/departure, clipped and capped.

    ``now`` (aware) refuses times in the future; callers marking live attendance pass the current time.
    Returns the minutes plus the arrival/departure as they should be stored (``None`` for absences).
    Raises :class:`MinutesError` with a field name for contradictory or impossible input.
    """
    try:
        status = Status(status)
    except ValueError as exc:
        raise MinutesError(f"Unknown attendance status {status!r}.", "status") from exc
    _require_aware(arrived_at, "arrived_at")
    _require_aware(departed_at, "departed_at")
    _require_aware(now, "now")
    length = session_minutes(session_start, session_end)

    if status in ZERO_MINUTE_STATUSES:
        if arrived_at is not None or departed_at is not None:
            raise MinutesError(
                f"{STATUS_LABELS[status]} has no arrival or departure time; clear them or choose another status.",
                "arrived_at" if arrived_at is not None else "departed_at",
            )
        return MinutesResult(0, None, None)

    if status == Status.LATE and arrived_at is None:
        raise MinutesError("Enter the arrival time for a late arrival.", "arrived_at")
    if status == Status.LEFT_EARLY and departed_at is None:
        raise MinutesError("Enter the departure time for someone who left early.", "departed_at")

    if arrived_at is not None and arrived_at >= session_end:
        raise MinutesError(
            "Arrival is after the session ended (or exactly at its end); mark the patient absent instead.", "arrived_at"
        )
    if departed_at is not None and departed_at <= session_start:
        raise MinutesError("Departure is before the session began; mark the patient absent instead.", "departed_at")
    if now is not None:
        if arrived_at is not None and arrived_at > now:
            raise MinutesError("The arrival time is in the future; check the time.", "arrived_at")
        if departed_at is not None and departed_at > now:
            raise MinutesError("The departure time is in the future; check the time.", "departed_at")
    tolerance = timedelta(minutes=OUTSIDE_TOLERANCE_MINUTES)
    if arrived_at is not None and arrived_at < session_start - tolerance:
        raise MinutesError(
            f"The arrival is more than {OUTSIDE_TOLERANCE_MINUTES // 60} hours before the session; check the time.",
            "arrived_at",
        )
    if departed_at is not None and departed_at > session_end + tolerance:
        raise MinutesError(
            f"The departure is more than {OUTSIDE_TOLERANCE_MINUTES // 60} hours after the session; check the time.",
            "departed_at",
        )
    if status == Status.LATE and arrived_at is not None and arrived_at <= session_start:
        raise MinutesError(
            "“Late” needs an arrival after the start; choose Present for someone who arrived on time.", "arrived_at"
        )
    if status == Status.LEFT_EARLY and departed_at is not None and departed_at >= session_end:
        raise MinutesError(
            "“Left early” needs a departure before the end; choose Present for someone who stayed.", "departed_at"
        )
    if arrived_at is not None and departed_at is not None and arrived_at >= departed_at:
        raise MinutesError("Arrival must be before departure.", "departed_at")

    start = max(arrived_at or session_start, session_start)
    end = min(departed_at or session_end, session_end)
    minutes = int((end - start).total_seconds() // 60)
    minutes = max(0, min(minutes, length))
    return MinutesResult(minutes, arrived_at, departed_at)


def validate_minutes(minutes: int, *, session_length: int) -> int:
    """Check a manually entered minutes value (e.g. a correction) against the session's length."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise MinutesError("Minutes must be a whole number.", "minutes")
    if minutes < 0:
        raise MinutesError("Minutes cannot be negative.", "minutes")
    if minutes > session_length:
        raise MinutesError(
            f"{minutes} minutes is more than the session's length ({session_length} minutes).", "minutes"
        )
    return minutes
