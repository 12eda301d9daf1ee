"""Documentation rules as pure functions (no ORM): attendance that needs a clinical section, signature deadlines
and lateness, co-signature need, and when a service counts as documented (and so billable)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from trellis.attendance.minutes import ATTENDED_STATUSES

# Attendance statuses are attendance's vocabulary (trellis.attendance.minutes, a pure module). Only patients who
# were there (ATTENDED_STATUSES) get a clinical section in a group note; every other status (absences and
# sessions the program cancelled) is listed from attendance and gets none.

# Default signature deadline: 24 hours after the session ends. Programs configure their own
# (Program.note_deadline_hours). Source: organizational policy, as required by The Joint Commission
# RC.01.03.01 (the organization sets the time frame for completing records) and CMS Medicare Program Integrity
# Manual (Pub. 100-08) Ch. 3 §3.3.2.5 (entries must be made timely; late entries must be identified as such).
DEFAULT_DEADLINE_HOURS = 24
MAX_DEADLINE_HOURS = 24 * 30


def attended(status: str) -> bool:
    return status in ATTENDED_STATUSES


def signature_deadline(session_ends_at: dt.datetime, deadline_hours: int | None = None) -> dt.datetime:
    if session_ends_at.tzinfo is None:
        raise ValueError("session_ends_at must be timezone-aware")
    hours = DEFAULT_DEADLINE_HOURS if deadline_hours is None else int(deadline_hours)
    if not 0 < hours <= MAX_DEADLINE_HOURS:
        raise ValueError(f"deadline hours must be between 1 and {MAX_DEADLINE_HOURS}")
    return session_ends_at + dt.timedelta(hours=hours)


def is_late(*, signed_at: dt.datetime, session_ends_at: dt.datetime, deadline_hours: int | None = None) -> bool:
    """Signed strictly after the deadline. Signing exactly at the deadline is on time."""
    return signed_at > signature_deadline(session_ends_at, deadline_hours)


def is_overdue(*, now: dt.datetime, session_ends_at: dt.datetime, deadline_hours: int | None = None) -> bool:
    """Unsigned and already past the deadline (will be late whenever it is signed)."""
    return now > signature_deadline(session_ends_at, deadline_hours)


def cosign_required(*, author_requires_cosign: bool) -> bool:
    """A note needs a co-signature when the author's staff profile says so (pre-licensure clinicians, interns,
    peer staff under supervision: state licensure rules and payer policy, configured per StaffProfile). A
    required co-signature with no supervisor named is still required: the note stays incomplete and the worklist
    shows it, rather than silently counting as complete."""
    return bool(author_requires_cosign)


class DocState(StrEnum):
    MISSING = "missing"  # attended, no note at all
    DRAFT = "draft"  # note started, not signed
    AWAITING_COSIGN = "awaiting_cosign"  # signed, co-signature required and missing
    COMPLETE = "complete"  # signed (and co-signed when required)


@dataclass(frozen=True)
class DocFacts:
    has_note: bool
    signed: bool
    cosign_required: bool
    cosigned: bool


def doc_state(f: DocFacts) -> DocState:
    if not f.has_note:
        return DocState.MISSING
    if not f.signed:
        return DocState.DRAFT
    if f.cosign_required and not f.cosigned:
        return DocState.AWAITING_COSIGN
    return DocState.COMPLETE


def documented_for_billing(*, attendance_status: str, facts: DocFacts) -> bool:
    """An attended service is billable, documentation-wise, only once its note is signed and, when needed,
    co-signed (CMS Pub. 100-08 Ch. 3 §3.3.2.4: services must be supported by signed documentation; Medicare
    Benefit Policy Manual Ch. 6 §70.3 for PHP). Non-attended services are never billable."""
    return attended(attendance_status) and doc_state(facts) == DocState.COMPLETE
