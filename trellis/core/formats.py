"""The one date and time format of the product (documented in trellis/web/README.md).

Dates are written the US way with the month as a word, so that 12/01 and 01/12 cannot be confused:
"Dec 1, 2026"; with the weekday "Tue, Dec 1, 2026"; without the year ("Dec 1", "Tue, Dec 1") only where
the year is evident (a week's columns, a card on the referral board). Times are 24-hour "14:05": the
clinical-record convention, no AM/PM to misread, and what the time fields accept. Record timestamps
(signatures, the audit trail) add the zone abbreviation: "Dec 1, 2026 14:05 EST".

Everything is shown in the site's wall-clock time: pass the site's zone, or rely on the zone that
ActiveSiteMiddleware activates for the request. Templates use the trellis_ui filters (fmt_date, …);
Python code that builds text (PDFs, messages) calls these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

DATE = "%b {day}, %Y"
DAY = "%a, %b {day}, %Y"
DATE_SHORT = "%b {day}"
DAY_SHORT = "%a, %b {day}"
TIME = "%H:%M"
ISO_DATE = "%Y-%m-%d"


def _zone(zone: Any) -> dt.tzinfo | None:
    if zone in (None, ""):
        return None
    if isinstance(zone, dt.tzinfo):
        return zone
    found = getattr(zone, "zone", None)  # a Site
    if isinstance(found, dt.tzinfo):
        return found
    try:
        return ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local(value: dt.datetime, zone: Any = None) -> dt.datetime:
    """An aware datetime in ``zone`` (a tzinfo, a zone name or a Site), else in the active zone."""
    if timezone.is_naive(value):
        return value
    tz = _zone(zone)
    return timezone.localtime(value, tz) if tz else timezone.localtime(value)


def _as_date(value: Any, zone: Any = None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return local(value, zone).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _fmt(value: Any, pattern: str, zone: Any = None) -> str:
    day = _as_date(value, zone)
    if day is None:
        return ""
    return day.strftime(pattern.format(day=day.day))


def date(value: Any, zone: Any = None) -> str:
    """"Dec 1, 2026" ("" for None)."""
    return _fmt(value, DATE, zone)


def day(value: Any, zone: Any = None) -> str:
    """"Tue, Dec 1, 2026"."""
    return _fmt(value, DAY, zone)


def date_short(value: Any, zone: Any = None) -> str:
    """"Dec 1" (only where the year is evident)."""
    return _fmt(value, DATE_SHORT, zone)


def day_short(value: Any, zone: Any = None) -> str:
    """"Tue, Dec 1" (only where the year is evident)."""
    return _fmt(value, DAY_SHORT, zone)


def time(value: Any, zone: Any = None) -> str:
    """"14:05" for a time or a datetime (in the site's zone)."""
    if isinstance(value, dt.datetime):
        return local(value, zone).strftime(TIME)
    if isinstance(value, dt.time):
        return value.strftime(TIME)
    return ""


def time_range(start: Any, end: Any, zone: Any = None) -> str:
    """"09:00–10:30"."""
    first, last = time(start, zone), time(end, zone)
    return f"{first}–{last}" if first and last else first or last


def datetime(value: Any, zone: Any = None) -> str:
    """"Dec 1, 2026 14:05"."""
    if not isinstance(value, dt.datetime):
        return date(value, zone)
    when = local(value, zone)
    return f"{date(when.date())} {when.strftime(TIME)}"


def stamp(value: Any, zone: Any = None) -> str:
    """A record timestamp with its zone: "Dec 1, 2026 14:05 EST"."""
    if not isinstance(value, dt.datetime):
        return date(value, zone)
    when = local(value, zone)
    abbreviation = when.strftime("%Z")
    return f"{date(when.date())} {when.strftime(TIME)}{' ' + abbreviation if abbreviation else ''}"


def iso_date(value: Any, zone: Any = None) -> str:
    """"2026-12-01": for URLs, form values and sort keys, never for reading."""
    return _fmt(value, ISO_DATE, zone)
