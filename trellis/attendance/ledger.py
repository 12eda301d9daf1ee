"""The treatment-hours ledger — pure aggregation over plain attendance facts, no ORM.

Input: one :class:`AttendanceFact` per (episode, session) the patient was scheduled for.
Output: per site-local day and per ISO week (Monday–Sunday, ISO 8601) totals of

* minutes attended, split by service type and by modality actually used,
* minutes scheduled (what the program offered this patient),
* absences (excused / unexcused) and program cancellations, as counts and minutes,
* **counted minutes**: minutes attended at service types that count toward weekly treatment hours, less
  the session's declared break minutes (42 CFR 410.43: meals, breaks, transport and separately billed
  physician services are not therapeutic hours). Whether a type counts is data
  (``scheduling.ServiceTypeHours``), passed in on each fact. With partial attendance the break is still
  subtracted in full (``max(0, attended - break)``): the ledger never credits undocumented treatment time.

Weeks of admission and discharge are marked ``partial`` when the ledger is given the episode's dates, so a
short first or last week is not read as a failure.

Attribution rule: a fact belongs to the **site-local date on which its session starts**. A session
crossing midnight (UTC or local) is never split across days; e.g. an evening group 18:00–21:00 in
America/Los_Angeles runs 02:00–05:00 UTC the next day, and it counts entirely on the local start
date. Days and weeks are site-local because programs, payers and the compliance rules count
"days of service" and "weeks" where the care happens (CMS Medicare Benefit Policy Manual, Ch. 6
§70.3 counts PHP days/weeks of service; Trellis DESIGN.md §4 "days and weeks are computed in the
site's time zone").

Program cancellations (``cancelled_by_program``) are *not* scheduled minutes — the program did not
offer the session — but they are reported separately so that a week short of the minimum because of
a closure can be told apart from a week short because of absences.

Invariants (property-tested): sum of days == week totals; attended <= scheduled per fact, day and
week; attended == sum over service types == sum over modalities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PRESENT = "present"
LATE = "late"
LEFT_EARLY = "left_early"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
CANCELLED_BY_PROGRAM = "cancelled_by_program"
#: The session is on the patient's roster but nobody has marked attendance yet.
UNMARKED = "unmarked"

ATTENDED = frozenset({PRESENT, LATE, LEFT_EARLY})
KNOWN_STATUSES = ATTENDED | {ABSENT_EXCUSED, ABSENT_UNEXCUSED, CANCELLED_BY_PROGRAM, UNMARKED}
#: Modality key used when minutes were attended but the modality was not recorded.
UNRECORDED_MODALITY = "unrecorded"


class LedgerError(ValueError):
    pass


@dataclass(frozen=True)
class AttendanceFact:
    """One scheduled session for one episode, with what happened.

    ``minutes`` are minutes attended (0 for absences/unmarked); ``scheduled_minutes`` the session's
    length for this patient. ``starts_at``/``ends_at`` are aware datetimes (UTC in the database).
    """

    episode_id: Hashable
    session_id: Hashable
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    service_type: str
    status: str
    minutes: int
    scheduled_minutes: int
    modality: str | None = None
    #: Whether the service type counts toward weekly treatment hours, and the session's break minutes.
    counts: bool = True
    break_minutes: int = 0
    title: str = ""

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise LedgerError("Session times must be time-zone aware.")
        if self.ends_at <= self.starts_at:
            raise LedgerError("A session must end after it starts.")
        if self.status not in KNOWN_STATUSES:
            raise LedgerError(f"Unknown attendance status {self.status!r}.")
        if self.minutes < 0 or self.scheduled_minutes < 0 or self.break_minutes < 0:
            raise LedgerError("Minutes cannot be negative.")
        if self.minutes > self.scheduled_minutes:
            raise LedgerError(
                f"Attended minutes ({self.minutes}) exceed scheduled minutes ({self.scheduled_minutes})."
            )
        if self.status not in ATTENDED and self.minutes:
            raise LedgerError(f"Status {self.status!r} cannot carry attended minutes.")

    @property
    def local_date(self) -> date:
        return local_start_date(self.starts_at, self.time_zone)

    @property
    def counted_minutes(self) -> int:
        if not self.counts or self.status not in ATTENDED:
            return 0
        return max(0, self.minutes - self.break_minutes)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8192)
def local_start_date(starts_at: datetime, time_zone: str) -> date:
    """Site-local calendar date of an aware instant (the attribution date of a session). Memoized: a group's
    session start is converted once for all its patients' facts (the conversion dominated the attendance sheet's
    and the track ledger's CPU); equal instants give the same date whatever their tzinfo, as UTC comes first."""
    return starts_at.astimezone(UTC).astimezone(_zone(time_zone)).date()


def iso_week_monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


@dataclass
class Totals:
    """Counters shared by a day and a week."""

    scheduled_minutes: int = 0
    attended_minutes: int = 0
    counted_minutes: int = 0
    by_service_type: dict[str, int] = field(default_factory=dict)
    by_modality: dict[str, int] = field(default_factory=dict)
    sessions_scheduled: int = 0
    sessions_attended: int = 0
    unmarked_sessions: int = 0
    absences_excused: int = 0
    absences_unexcused: int = 0
    absent_excused_minutes: int = 0
    absent_unexcused_minutes: int = 0
    cancelled_by_program: int = 0
    cancelled_minutes: int = 0

    @property
    def absences(self) -> int:
        return self.absences_excused + self.absences_unexcused

    @property
    def attended_hours(self) -> float:
        return round(self.attended_minutes / 60, 2)

    @property
    def scheduled_hours(self) -> float:
        return round(self.scheduled_minutes / 60, 2)

    @property
    def counted_hours(self) -> float:
        return round(self.counted_minutes / 60, 2)

    def add_fact(self, fact: AttendanceFact) -> None:
        if fact.status == CANCELLED_BY_PROGRAM:
            self.cancelled_by_program += 1
            self.cancelled_minutes += fact.scheduled_minutes
            return
        self.sessions_scheduled += 1
        self.scheduled_minutes += fact.scheduled_minutes
        if fact.status in ATTENDED:
            self.attended_minutes += fact.minutes
            self.counted_minutes += fact.counted_minutes
            if fact.minutes:
                self.sessions_attended += 1
                _bump(self.by_service_type, fact.service_type, fact.minutes)
                _bump(self.by_modality, fact.modality or UNRECORDED_MODALITY, fact.minutes)
        elif fact.status == ABSENT_EXCUSED:
            self.absences_excused += 1
            self.absent_excused_minutes += fact.scheduled_minutes
        elif fact.status == ABSENT_UNEXCUSED:
            self.absences_unexcused += 1
            self.absent_unexcused_minutes += fact.scheduled_minutes
        elif fact.status == UNMARKED:
            self.unmarked_sessions += 1

    def merge(self, other: Totals) -> None:
        for name in (
            "scheduled_minutes",
            "attended_minutes",
            "counted_minutes",
            "sessions_scheduled",
            "sessions_attended",
            "unmarked_sessions",
            "absences_excused",
            "absences_unexcused",
            "absent_excused_minutes",
            "absent_unexcused_minutes",
            "cancelled_by_program",
            "cancelled_minutes",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.by_service_type.items():
            _bump(self.by_service_type, key, value)
        for key, value in other.by_modality.items():
            _bump(self.by_modality, key, value)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["absences"] = self.absences
        return data


def _bump(counter: dict[str, int], key: str, value: int) -> None:
    counter[key] = counter.get(key, 0) + value


@dataclass
class DayLedger(Totals):
    date: date = date.min

    @property
    def attended(self) -> bool:
        return self.attended_minutes > 0

    def as_dict(self) -> dict:
        data = super().as_dict()
        data["date"] = self.date.isoformat()
        return data


@dataclass
class WeekLedger(Totals):
    iso_year: int = 0
    iso_week: int = 0
    monday: date = date.min
    days: list[DayLedger] = field(default_factory=list)
    #: A week of admission or discharge (only known when the ledger was given the episode's dates).
    partial: bool = False

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def days_attended(self) -> int:
        """Days with any attended minutes (e.g. for "N days per week" program expectations)."""
        return sum(1 for d in self.days if d.attended_minutes > 0)

    @property
    def label(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    def as_dict(self) -> dict:
        data = super().as_dict()
        data.update(
            monday=self.monday.isoformat(),
            sunday=self.sunday.isoformat(),
            days=[d.as_dict() for d in self.days],
            days_attended=self.days_attended,
            label=self.label,
            partial=self.partial,
        )
        return data


@dataclass
class Ledger:
    start: date | None
    end: date | None
    days: list[DayLedger]
    weeks: list[WeekLedger]
    total: Totals

    def day(self, d: date) -> DayLedger | None:
        for day in self.days:
            if day.date == d:
                return day
        return None

    def week(self, d: date) -> WeekLedger | None:
        monday = iso_week_monday(d)
        for week in self.weeks:
            if week.monday == monday:
                return week
        return None

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "days": [d.as_dict() for d in self.days],
            "weeks": [w.as_dict() for w in self.weeks],
            "total": self.total.as_dict(),
        }


def build_ledger(
    facts: Iterable[AttendanceFact],
    *,
    start: date | None = None,
    end: date | None = None,
    fill_empty_days: bool = True,
    admitted_on: date | None = None,
    discharged_on: date | None = None,
) -> Ledger:
    """Aggregate ``facts`` into days and ISO weeks (site-local), limited to ``[start, end]``.

    Facts whose local start date falls outside the range are ignored. With ``fill_empty_days``
    and both bounds given, every day of the range appears (zeros for days without sessions), and
    weeks cover every ISO week touching the range (their ``days`` only the days inside it).
    """
    if start is not None and end is not None and end < start:
        raise LedgerError("The ledger period must end on or after it starts.")
    by_day: dict[date, DayLedger] = {}
    for fact in facts:
        d = fact.local_date
        if (start is not None and d < start) or (end is not None and d > end):
            continue
        day = by_day.get(d)
        if day is None:
            day = by_day[d] = DayLedger(date=d)
        day.add_fact(fact)
    if fill_empty_days and start is not None and end is not None:
        d = start
        while d <= end:
            by_day.setdefault(d, DayLedger(date=d))
            d += timedelta(days=1)

    days = [by_day[d] for d in sorted(by_day)]
    weeks_by_monday: dict[date, WeekLedger] = {}
    for day in days:
        monday = iso_week_monday(day.date)
        week = weeks_by_monday.get(monday)
        if week is None:
            iso = monday.isocalendar()
            week = weeks_by_monday[monday] = WeekLedger(iso_year=iso.year, iso_week=iso.week, monday=monday)
        week.days.append(day)
        week.merge(day)
    weeks = [weeks_by_monday[m] for m in sorted(weeks_by_monday)]
    for week in weeks:
        sunday = week.monday + timedelta(days=6)
        week.partial = bool(
            (admitted_on is not None and week.monday < admitted_on <= sunday)
            or (discharged_on is not None and week.monday <= discharged_on < sunday)
        )
    total = Totals()
    for week in weeks:
        total.merge(week)
    return Ledger(start=start, end=end, days=days, weeks=weeks, total=total)


def build_ledgers(
    facts: Iterable[AttendanceFact], *, start: date | None = None, end: date | None = None, fill_empty_days: bool = True
) -> dict[Hashable, Ledger]:
    """One ledger per episode id (for per-track pages)."""
    grouped: dict[Hashable, list[AttendanceFact]] = defaultdict(list)
    for fact in facts:
        grouped[fact.episode_id].append(fact)
    return {
        episode_id: build_ledger(items, start=start, end=end, fill_empty_days=fill_empty_days)
        for episode_id, items in grouped.items()
    }
