"""Scheduling writes: series, occurrences, appointments, rosters, closures, feeds.

Every function is keyword-only, runs in one transaction and writes an audit event. Conflicts and capacity
are checked *after* locking the rows they depend on (``select_for_update``: the staff members' and room's
rows for bookings, the session row for roster adds), so two concurrent requests serialize on PostgreSQL and
exactly one of them wins. On SQLite ``select_for_update`` is a no-op, but SQLite allows one writer at a time.
Lock order is always: staff users (by pk) → room → session → audit chain head, so requests cannot deadlock.

The writes are split by concern into the modules of this package; callers import them from here.
"""

from __future__ import annotations

from trellis.scheduling.services.appointments import book_appointment, create_session
from trellis.scheduling.services.builtins import seed_builtins
from trellis.scheduling.services.checks import Interval, check_site_hours, find_conflicts, site_today
from trellis.scheduling.services.closures import create_closure
from trellis.scheduling.services.feeds import create_feed_token, revoke_feed_token
from trellis.scheduling.services.occurrences import cancel_session, move_session, restaff_session
from trellis.scheduling.services.rosters import add_to_roster, excuse_from_roster
from trellis.scheduling.services.series import (
    DEFAULT_HORIZON_DAYS,
    SERIES_EDITABLE,
    GenerationResult,
    create_series,
    extend_horizons,
    generate_occurrences,
    update_series,
)

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "GenerationResult",
    "Interval",
    "SERIES_EDITABLE",
    "add_to_roster",
    "book_appointment",
    "cancel_session",
    "check_site_hours",
    "create_closure",
    "create_feed_token",
    "create_series",
    "create_session",
    "excuse_from_roster",
    "extend_horizons",
    "find_conflicts",
    "generate_occurrences",
    "move_session",
    "restaff_session",
    "revoke_feed_token",
    "seed_builtins",
    "site_today",
    "update_series",
]
