"""Occurrences of a weekly session series — pure functions, plain-data inputs, no ORM.

A series is defined in the *site's* wall-clock time ("Tuesdays and Thursdays 09:00–12:00 in
America/New_York"). Every occurrence is stored as an aware UTC interval plus the site-local date it
belongs to. Because the wall-clock time is what a program promises its patients, a 09:00 group stays
at 09:00 local time across daylight-saving changes (its UTC instant moves by an hour).

Daylight-saving edge cases are resolved the way RFC 5545 §3.3.5 (iCalendar, "FORM #2: DATE WITH
LOCAL TIME AND TIME ZONE REFERENCE") resolves them, so our database and the iCalendar feeds agree:

* **Nonexistent local time (spring-forward gap)**, e.g. 02:30 on the second Sunday of March in
  America/New_York: "the DATE-TIME value is interpreted using the UTC offset before the gap in local
  times" — 02:30 EST = 07:30 UTC, which is 03:30 EDT on the wall clock. In other words the time is
  moved *forward* by the length of the gap. That is also what ``zoneinfo`` does with ``fold=0``.
* **Ambiguous local time (fall-back overlap)**, e.g. 01:30 on the first Sunday of November:
  "the DATE-TIME value refers to the first occurrence of the referenced time" — 01:30 EDT.
  (``fold=0`` as well.)

Sessions whose end time is not after their start time (e.g. 22:00–01:00) cross local midnight: they
end on the next local day. Such an occurrence still belongs to the local date on which it *starts*.
The elapsed length of an occurrence may differ from its nominal wall-clock length on the two DST
days of the year when it spans the transition (a 01:00–03:00 session on spring-forward day lasts
60 minutes); callers use the real UTC interval for minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trellis.core.errors import DomainError

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Hard ceiling on how far ahead one call may generate (keeps a bad horizon from exploding).
MAX_HORIZON_DAYS = 800


class RecurrenceError(DomainError):
    """Invalid series definition; ``field`` names the offending input when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class WeeklySeriesSpec:
    """A weekly pattern in site-local wall-clock time.

    ``weekdays`` uses Python's numbering (Monday=0 … Sunday=6). ``end_date`` is inclusive; ``None``
    means open-ended (occurrences are then generated only up to the caller's horizon).
    """

    weekdays: frozenset[int]
    start_time: time
    end_time: time
    time_zone: str
    start_date: date
    end_date: date | None = None
    skip_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "skip_dates", frozenset(self.skip_dates))
        validate_spec(self)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time

    @property
    def nominal_minutes(self) -> int:
        return nominal_minutes(self.start_time, self.end_time)


@dataclass(frozen=True, order=True)
class Occurrence:
    """One generated occurrence: aware UTC interval and the site-local date it starts on."""

    starts_at: datetime
    ends_at: datetime
    local_date: date

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def validate_spec(spec: WeeklySeriesSpec) -> None:
    if not spec.weekdays:
        raise RecurrenceError("Choose at least one day of the week.", "weekdays")
    bad = [d for d in spec.weekdays if not isinstance(d, int) or not 0 <= d <= 6]
    if bad:
        raise RecurrenceError(f"Unknown weekday number(s): {sorted(bad)!r}.", "weekdays")
    for name in ("start_time", "end_time"):
        value = getattr(spec, name)
        if value.tzinfo is not None:
            raise RecurrenceError("Times are wall-clock times in the site's zone; give them without a zone.", name)
    if spec.start_time == spec.end_time:
        raise RecurrenceError("The session must end after it starts.", "end_time")
    try:
        ZoneInfo(spec.time_zone)
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError subclasses KeyError
        raise RecurrenceError(f"Unknown time zone {spec.time_zone!r}.", "time_zone") from exc
    if spec.end_date is not None and spec.end_date < spec.start_date:
        raise RecurrenceError("The series must end on or after its first day.", "end_date")


def nominal_minutes(start: time, end: time) -> int:
    """Wall-clock length; an end at or before the start means the session ends the next day."""
    s = start.hour * 60 + start.minute
    e = end.hour * 60 + end.minute
    if e <= s:
        e += 24 * 60
    return e - s


def local_to_utc(day: date, wall: time, zone: ZoneInfo | str) -> datetime:
    """Site-local wall-clock (``day`` ``wall``) to an aware UTC datetime, per RFC 5545 §3.3.5.

    Nonexistent times use the offset before the gap (moved forward); ambiguous times use the first
    occurrence. ``zoneinfo`` with ``fold=0`` implements exactly that.
    """
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0)).replace(tzinfo=tz)
    return local.astimezone(UTC)


def is_nonexistent(day: date, wall: time, zone: ZoneInfo | str) -> bool:
    """True when ``wall`` on ``day`` falls in a spring-forward gap of ``zone``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    naive = datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    roundtrip = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return roundtrip != naive


def is_ambiguous(day: date, wall: time, zone: ZoneInfo | str) -> bool:
    """True when ``wall`` on ``day`` occurs twice (fall-back overlap) in ``zone``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0).utcoffset()
    second = naive.replace(tzinfo=tz, fold=1).utcoffset()
    return first != second and not is_nonexistent(day, wall, tz)


def occurrence_on(day: date, start: time, end: time, zone: ZoneInfo | str) -> Occurrence:
    """The occurrence of a ``start``–``end`` local session on local date ``day``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    end_day = day + timedelta(days=1) if end <= start else day
    starts_at = local_to_utc(day, start, tz)
    ends_at = local_to_utc(end_day, end, tz)
    if ends_at <= starts_at:
        # Only reachable for a session lying entirely inside a DST gap/overlap edge, e.g. 02:10–02:20
        # on spring-forward day both map forward by the same amount, so this is defensive.
        raise RecurrenceError("The session has no length on this day because of a clock change.", "end_time")
    return Occurrence(starts_at=starts_at, ends_at=ends_at, local_date=day)


def iter_dates(spec: WeeklySeriesSpec, window_start: date, window_end: date) -> Iterable[date]:
    """Local dates in ``[window_start, window_end]`` (inclusive) on which the series meets."""
    first = max(spec.start_date, window_start)
    last = window_end if spec.end_date is None else min(spec.end_date, window_end)
    if last < first:
        return
    if (last - first).days > MAX_HORIZON_DAYS:
        raise RecurrenceError(f"Generate at most {MAX_HORIZON_DAYS} days at a time.", "horizon")
    day = first
    one = timedelta(days=1)
    while day <= last:
        if day.weekday() in spec.weekdays and day not in spec.skip_dates:
            yield day
        day += one


def generate_occurrences(spec: WeeklySeriesSpec, *, window_start: date, window_end: date) -> list[Occurrence]:
    """All occurrences of ``spec`` whose *local start date* lies in ``[window_start, window_end]``.

    Deterministic and idempotent: the same inputs always give the same list, sorted by start.
    """
    if window_end < window_start:
        raise RecurrenceError("The horizon must end on or after it starts.", "horizon")
    zone = spec.zone
    return [occurrence_on(d, spec.start_time, spec.end_time, zone) for d in iter_dates(spec, window_start, window_end)]


def generate_tuples(spec: WeeklySeriesSpec, *, window_start: date, window_end: date) -> list[tuple[datetime, datetime, date]]:
    """Same as :func:`generate_occurrences`, as ``(starts_at_utc, ends_at_utc, local_date)`` tuples."""
    return [(o.starts_at, o.ends_at, o.local_date) for o in generate_occurrences(spec, window_start=window_start, window_end=window_end)]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open interval overlap: back-to-back sessions (one ends 10:00, next starts 10:00) don't clash."""
    return a_start < b_end and b_start < a_end


def describe_weekdays(weekdays: Iterable[int]) -> str:
    days = sorted(set(weekdays))
    if days == [0, 1, 2, 3, 4]:
        return "Mon–Fri"
    return ", ".join(WEEKDAY_NAMES[d] for d in days)
