"""Coverage rules over plain data (no ORM): date ranges, authorization states, review scheduling.

Thresholds are the worklist's defaults (issue 12 item 6, "authorizations expiring within N days or with
fewer than N units left"); payers' review cadences of 5-7 days are typical of behavioral-health UR, so an
authorization ending within a week will usually not see another scheduled review before it lapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

EXPIRING_WITHIN_DAYS = 7
NEARLY_USED_UNITS = 3  # units/days left at or below which the authorization needs a review or a new request
PEER_TO_PEER_FOLLOW_UP_DAYS = 1  # payers usually allow one business day to schedule the peer-to-peer


def ranges_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Closed ranges; an open end (None) runs forever."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def within(inner_start: date, inner_end: date, outer_start: date, outer_end: date | None) -> bool:
    return outer_start <= inner_start and (outer_end is None or inner_end <= outer_end)


@dataclass(frozen=True)
class AuthState:
    key: str  # badge/status key
    label: str
    needs_action: bool


FUTURE = AuthState("planned", "Not started", False)
ACTIVE = AuthState("active", "Active", False)
EXPIRING = AuthState("expiring", "Expiring", True)
NEARLY_USED = AuthState("due_soon", "Nearly used", True)
EXHAUSTED = AuthState("not_met", "Used up", True)
OVER = AuthState("overdue", "Over authorized", True)
EXPIRED = AuthState("expired", "Expired", False)


def authorization_state(*, start: date, end: date, units_authorized: int, units_used: int | None, today: date,
                        expiring_within: int = EXPIRING_WITHIN_DAYS,
                        nearly_used: int = NEARLY_USED_UNITS) -> AuthState:
    """The state a case manager acts on. Units are only judged when known (units_used not None)."""
    if end < today:
        return EXPIRED
    if units_used is not None:
        if units_used > units_authorized:
            return OVER
        if units_used == units_authorized:
            return EXHAUSTED
    if start > today:
        return FUTURE
    if units_used is not None and units_authorized - units_used <= nearly_used:
        return NEARLY_USED
    if (end - today).days < expiring_within:
        return EXPIRING
    return ACTIVE


def remaining(units_authorized: int, units_used: int | None) -> int | None:
    return None if units_used is None else units_authorized - units_used


def first_review_due(start: date, end: date, frequency_days: int | None) -> date | None:
    """The first concurrent review: `frequency_days` after the start, and no later than the last covered day
    (the review is what extends the authorization, so it must happen while it is still in force)."""
    if not frequency_days:
        return None
    return min(start + timedelta(days=frequency_days), end)


def next_review_due(reviewed_on: date, end: date, frequency_days: int | None) -> date | None:
    if not frequency_days:
        return None
    return min(reviewed_on + timedelta(days=frequency_days), end)


def extended_end(end: date, approved_days: int) -> date:
    """Approving N more days covers the N days after the current last covered day."""
    return end + timedelta(days=approved_days)
