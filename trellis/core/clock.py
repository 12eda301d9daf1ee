"""Time helpers. The database holds aware UTC datetimes; days and ISO weeks are computed in a site's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def site_zone(site: Any) -> ZoneInfo:
    return ZoneInfo(site.time_zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def today_in(zone: ZoneInfo) -> date:
    return local_date(now(), zone)


def iso_week_bounds(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO 8601 week containing `day`."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    return monday, monday + timedelta(days=6)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of local midnight..next local midnight (23 or 25 hours long on DST days)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
