"""The weekly-hours compliance engine — pure functions over plain dataclasses, no ORM.

One call, :func:`evaluate_week`, judges one episode in one ISO week (Monday–Sunday, site-local) against
one resolved :class:`Requirement`. Everything it needs is in :class:`EpisodeWeek`: the sessions on the
patient's schedule that week (each with what happened so far), the open sessions the patient could add, the
admission/discharge dates and "now". The selector layer (``compliance.selectors``) builds these inputs for
many episodes in a bounded number of queries; billing can build them itself and reuse the same rules.
The rules read a week through its per-day sums (:class:`DayTotals`, plain tuples): given directly (the
selector's values-only loader sums them in SQL) or reduced from the sessions by :func:`day_totals` — one code
path, so both inputs are judged alike (property-tested). Only the proposal needs the sessions themselves.

Definitions (each is a rule an auditor may ask about):

* **Counted minutes** of a session: minutes attended at a service type that counts toward weekly treatment
  hours, less the session's declared break minutes (42 CFR 410.43: meals, breaks, transport and physician
  services billed separately are not part of the program's therapeutic hours). A patient who attended only
  part of a session with a break is credited ``max(0, attended - break)``: Trellis never credits time that
  was not documented as spent in a counted service (CMS Medicare Benefit Policy Manual, Ch. 6 §70.3).
* **Remaining** session: on the schedule, not cancelled, attendance not yet marked. An unmarked session whose
  time has passed is still remaining (attendance may not have been entered yet), so the week is never
  judged lost because a sheet is late.
* **Best case** = counted so far + counted minutes of every remaining session.
* **Status**: ``met`` (counted ≥ required and minimum days reached); ``cannot_meet`` (best case below the
  requirement, or not enough days left); ``at_risk`` (reachable only if every remaining session is attended:
  missing the smallest remaining counted session would make it unreachable); ``on_track`` otherwise;
  ``partial_week`` for a week of admission or discharge whose rule set excludes such weeks (a prorated
  partial week is judged against the prorated requirement and carries ``partial=True``).
* **Billable per-diem day**: in care, at least ``per_diem_min_minutes`` counted minutes and at least
  ``min_services_per_day`` attended counted services (Medicare pays PHP/IOP per diem for days with 3 or
  more services, CY2024 OPPS final rule, APCs 5851–5854, 5861–5864).

Statuses are monotone as the week's sessions are marked: the slack ``best case − required`` never grows
until the week is met, so a week never moves from ``cannot_meet`` or ``at_risk`` back to a better unmet
status, and a met week stays met (property-tested).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

# Ledger statuses (same strings as trellis.attendance.ledger; repeated so this module stays import-free).
PRESENT = "present"
LATE = "late"
LEFT_EARLY = "left_early"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
CANCELLED_BY_PROGRAM = "cancelled_by_program"
UNMARKED = "unmarked"
ATTENDED = frozenset({PRESENT, LATE, LEFT_EARLY})


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    CANNOT_MEET = "cannot_meet"
    PARTIAL_WEEK = "partial_week"


STATUS_LABELS: dict[str, str] = {
    Status.MET: "Met",
    Status.ON_TRACK: "On track",
    Status.AT_RISK: "At risk",
    Status.CANNOT_MEET: "Cannot be met",
    Status.PARTIAL_WEEK: "Partial week",
}
#: Badge tones of the design system, one per status (the label always accompanies the colour).
STATUS_TONES: dict[str, str] = {
    Status.MET: "success",
    Status.ON_TRACK: "info",
    Status.AT_RISK: "warn",
    Status.CANNOT_MEET: "danger",
    Status.PARTIAL_WEEK: "neutral",
}
#: Order used to sort worklists, worst first.
STATUS_SEVERITY: dict[str, int] = {
    Status.CANNOT_MEET: 0,
    Status.AT_RISK: 1,
    Status.ON_TRACK: 2,
    Status.PARTIAL_WEEK: 3,
    Status.MET: 4,
}

PRORATE = "prorate"
EXCLUDE = "exclude"


class EngineError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    """The rules in force for one episode-week, resolved from a requirement set (payer override or default)."""

    weekly_min_minutes: int
    weekly_max_minutes: int | None = None
    min_days_per_week: int = 0
    per_diem_min_minutes: int = 0
    min_services_per_day: int = 0
    partial_week: str = PRORATE
    #: Days of the week the program runs (Monday=0); proration counts in-care program days.
    program_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    name: str = ""
    source: str = ""
    requirement_set_id: Hashable | None = None

    def __post_init__(self) -> None:
        if self.weekly_min_minutes < 0 or (self.weekly_max_minutes is not None and self.weekly_max_minutes < 0):
            raise EngineError("Weekly hours cannot be negative.")
        if self.weekly_max_minutes is not None and self.weekly_min_minutes > self.weekly_max_minutes:
            raise EngineError("The weekly minimum is above the maximum.")
        if self.partial_week not in (PRORATE, EXCLUDE):
            raise EngineError(f"Unknown partial-week handling {self.partial_week!r}.")
        if min(self.min_days_per_week, self.per_diem_min_minutes, self.min_services_per_day) < 0:
            raise EngineError("Daily minimums cannot be negative.")


@dataclass(frozen=True)
class SessionSlot:
    """One session on the patient's schedule this week and what happened at it so far."""

    session_id: Hashable
    local_date: date
    starts_at: datetime
    ends_at: datetime
    service_type: str
    counts: bool
    scheduled_minutes: int
    status: str = UNMARKED
    attended_minutes: int = 0
    break_minutes: int = 0
    title: str = ""

    def __post_init__(self) -> None:
        if self.attended_minutes < 0 or self.scheduled_minutes < 0 or self.break_minutes < 0:
            raise EngineError("Minutes cannot be negative.")
        if self.attended_minutes > self.scheduled_minutes:
            raise EngineError("Attended minutes exceed the session's length.")
        if self.status not in ATTENDED and self.attended_minutes:
            raise EngineError(f"Status {self.status!r} cannot carry attended minutes.")

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED_BY_PROGRAM

    @property
    def remaining(self) -> bool:
        return self.status == UNMARKED

    @cached_property
    def attended(self) -> bool:
        return self.status in ATTENDED and self.attended_minutes > 0

    @cached_property
    def scheduled_counted_minutes(self) -> int:
        """What the session adds if attended in full."""
        return counted_minutes(self.counts, self.scheduled_minutes, self.break_minutes)

    @cached_property
    def counted(self) -> int:
        return counted_minutes(self.counts, self.attended_minutes, self.break_minutes) if self.attended else 0


@dataclass(frozen=True)
class OpenSession:
    """A session this week the patient is not on but could join (another track's group with room, or an
    individual slot of the care team)."""

    session_id: Hashable | None
    local_date: date
    starts_at: datetime
    ends_at: datetime
    title: str
    service_type: str
    counts: bool
    minutes: int
    break_minutes: int = 0
    kind: str = "group"  # "group" or "individual"
    detail: str = ""  # e.g. the track or clinician, for the proposal's text
    seats_left: int | None = None

    @property
    def counted_minutes(self) -> int:
        return counted_minutes(self.counts, self.minutes, self.break_minutes)


class DayTotals(NamedTuple):
    """One site-local day of one episode's week reduced to the sums the rules read — a plain tuple, so a loader can
    fill it straight from a database row (``DayTotals(*row)``). :func:`day_totals` computes it from sessions; the
    selector's SQL computes the same numbers without building a row per session."""

    date: date
    #: Sessions on the patient's schedule that day (cancelled ones included).
    sessions: int
    #: ... of which at a service type that counts toward treatment hours.
    counting: int
    #: ... of which counting and not yet marked ("Awaiting attendance").
    awaiting: int
    #: Minutes attended (any service type).
    attended_minutes: int
    #: Counted minutes attended (counting service types, breaks subtracted).
    counted_minutes: int
    #: Attended sessions with counted minutes (the per-diem services rule).
    services: int
    #: Scheduled minutes of the sessions not cancelled.
    scheduled_minutes: int
    #: Counted minutes still scheduled (unmarked, counting, longer than their break).
    remaining_minutes: int
    #: The smallest of those remaining sessions' counted minutes; None when nothing remains.
    smallest_remaining: int | None


def day_totals(sessions: Iterable[SessionSlot]) -> tuple[DayTotals, ...]:
    """Reduce a week's sessions to :class:`DayTotals`, one per day that has any, in date order."""
    acc: dict[date, list] = {}
    for s in sessions:
        a = acc.get(s.local_date)
        if a is None:
            a = acc[s.local_date] = [0, 0, 0, 0, 0, 0, 0, 0, None]
        a[0] += 1
        if s.counts:
            a[1] += 1
            if s.remaining:
                a[2] += 1
        if s.attended:
            a[3] += s.attended_minutes
        c = s.counted
        if c > 0:
            a[4] += c
            a[5] += 1
        if not s.cancelled:
            a[6] += s.scheduled_minutes
            if s.remaining:
                left = s.scheduled_counted_minutes
                if left > 0:
                    a[7] += left
                    a[8] = left if a[8] is None else min(a[8], left)
    return tuple(DayTotals(d, *a) for d, a in sorted(acc.items()))


@dataclass(frozen=True)
class EpisodeWeek:
    """Everything the engine needs for one episode in one ISO week."""

    episode_id: Hashable
    monday: date
    admitted_on: date
    discharged_on: date | None
    requirement: Requirement
    sessions: tuple[SessionSlot, ...] = ()
    open_sessions: tuple[OpenSession, ...] = ()
    now: datetime | None = None
    closed_days: frozenset[date] = frozenset()
    #: Build the proposal for at-risk / cannot-meet weeks (lists and the command skip it for speed).
    propose: bool = True
    #: The week already reduced to per-day sums (:class:`DayTotals`, e.g. from the SQL loader) instead of
    #: ``sessions``. Same rules, same result, except that a proposal and ``remaining_sessions`` need the sessions.
    day_totals: tuple[DayTotals, ...] | None = None

    def __post_init__(self) -> None:
        if self.monday.weekday() != 0:
            raise EngineError("A week starts on a Monday (ISO 8601).")
        if self.discharged_on is not None and self.discharged_on < self.admitted_on:
            raise EngineError("Discharge is before admission.")
        if self.day_totals is not None and self.sessions:
            raise EngineError("Give the week's sessions or its day totals, not both.")


class DayResult(NamedTuple):
    date: date
    in_care: bool
    attended_minutes: int
    counted_minutes: int
    services: int
    billable: bool
    reason: str


@dataclass(frozen=True)
class Addition:
    """An open session proposed to close the gap, with the counted minutes it adds."""

    session: OpenSession
    counted_minutes: int


@dataclass(frozen=True)
class Proposal:
    shortfall_minutes: int
    essential: tuple[SessionSlot, ...]
    additions: tuple[Addition, ...]
    #: Whether essential sessions plus the proposed additions reach the requirement.
    reaches_requirement: bool

    @property
    def added_minutes(self) -> int:
        return sum(a.counted_minutes for a in self.additions)


@dataclass(frozen=True)
class WeekResult:
    episode_id: Hashable
    monday: date
    status: str
    reason: str
    partial: bool
    scheduled_minutes: int
    attended_minutes: int
    counted_minutes: int
    remaining_counted_minutes: int
    best_case_minutes: int
    required_minutes: int
    max_minutes: int | None
    days_attended: int
    days_required: int
    days: tuple[DayResult, ...]
    proposal: Proposal | None
    requirement: Requirement
    remaining_sessions: tuple[SessionSlot, ...] = field(default=())

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def iso_year(self) -> int:
        return self.monday.isocalendar().year

    @property
    def iso_week(self) -> int:
        return self.monday.isocalendar().week

    @property
    def label(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def tone(self) -> str:
        return STATUS_TONES[self.status]

    @property
    def counted_hours(self) -> float:
        return hours(self.counted_minutes)

    @property
    def attended_hours(self) -> float:
        return hours(self.attended_minutes)

    @property
    def remaining_hours(self) -> float:
        return hours(self.remaining_counted_minutes)

    @property
    def best_case_hours(self) -> float:
        return hours(self.best_case_minutes)

    @property
    def required_hours(self) -> float:
        return hours(self.required_minutes)

    @property
    def over_maximum(self) -> bool:
        return self.max_minutes is not None and self.counted_minutes > self.max_minutes

    @property
    def billable_days(self) -> int:
        return sum(1 for d in self.days if d.billable)


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def counted_minutes(counts: bool, minutes: int, break_minutes: int = 0) -> int:
    """Counted minutes of ``minutes`` spent at a session with ``break_minutes`` of declared break."""
    if not counts:
        return 0
    return max(0, minutes - break_minutes)


def in_care_days(monday: date, admitted_on: date, discharged_on: date | None) -> list[date]:
    days = [monday + timedelta(days=i) for i in range(7)]
    return [d for d in days if d >= admitted_on and (discharged_on is None or d <= discharged_on)]


def is_partial_week(monday: date, admitted_on: date, discharged_on: date | None) -> bool:
    """A week of admission (admitted after Monday) or discharge (discharged before Sunday)."""
    sunday = monday + timedelta(days=6)
    return monday < admitted_on <= sunday or (discharged_on is not None and monday <= discharged_on < sunday)


def required_minutes(requirement: Requirement, monday: date, admitted_on: date, discharged_on: date | None) -> int:
    """The week's requirement; a prorated partial week requires the share of in-care program days (rounded up,
    so proration never lowers the bar below the stated rate)."""
    if not is_partial_week(monday, admitted_on, discharged_on):
        return requirement.weekly_min_minutes
    program_days = [monday + timedelta(days=d) for d in requirement.program_weekdays]
    if not program_days:
        return 0
    care = set(in_care_days(monday, admitted_on, discharged_on))
    share = sum(1 for d in program_days if d in care)
    return math.ceil(requirement.weekly_min_minutes * share / len(program_days))


def _days(week: EpisodeWeek, totals: dict[date, DayTotals], care: set[date]) -> tuple[DayResult, ...]:
    req = week.requirement
    out = []
    for i in range(7):
        d = week.monday + timedelta(days=i)
        t = totals.get(d)
        attended = t.attended_minutes if t else 0
        counted = t.counted_minutes if t else 0
        services = t.services if t else 0
        if d not in care:
            billable, reason = False, "Not in care this day."
        elif d in week.closed_days and not attended:
            billable, reason = False, "Program closed."
        elif counted == 0:
            if t is not None and t.awaiting:
                reason = "Awaiting attendance."
            elif t is not None and t.sessions and not t.counting:
                reason = "Only services that do not count toward treatment hours."
            elif t is None or not t.sessions:
                reason = "No sessions scheduled."
            else:
                reason = "No counted minutes attended."
            billable = False
        elif counted < req.per_diem_min_minutes:
            billable, reason = False, f"{counted} counted minutes; a billable day needs {req.per_diem_min_minutes}."
        elif services < req.min_services_per_day:
            billable, reason = False, f"{services} counted services; a billable day needs {req.min_services_per_day}."
        else:
            billable, reason = True, f"{counted} counted minutes in {services} services."
        out.append(DayResult(d, d in care, attended, counted, services, billable, reason))
    return tuple(out)


def evaluate_week(week: EpisodeWeek) -> WeekResult:
    """Judge one episode-week. Pure and deterministic. The rules read the week's :class:`DayTotals` (given, or
    reduced from the sessions); a proposal also needs the sessions themselves."""
    req = week.requirement
    care = set(in_care_days(week.monday, week.admitted_on, week.discharged_on))
    by_day = {t.date: t for t in (week.day_totals if week.day_totals is not None else day_totals(week.sessions))}
    in_care = [t for d, t in by_day.items() if d in care]
    scheduled = sum(t.scheduled_minutes for t in in_care)
    attended = sum(t.attended_minutes for t in in_care)
    counted = sum(t.counted_minutes for t in in_care)
    remaining_minutes = sum(t.remaining_minutes for t in in_care)
    remaining = tuple(s for s in week.sessions if s.local_date in care and s.remaining
                      and s.scheduled_counted_minutes > 0)
    best = counted + remaining_minutes
    partial = is_partial_week(week.monday, week.admitted_on, week.discharged_on)
    required = required_minutes(req, week.monday, week.admitted_on, week.discharged_on)
    days = _days(week, by_day, care)
    attended_days = {t.date for t in in_care if t.counted_minutes > 0}
    possible_days = attended_days | {t.date for t in in_care if t.remaining_minutes > 0}
    days_required = req.min_days_per_week
    if partial and days_required:
        days_required = min(days_required, len([d for d in care if d.weekday() in req.program_weekdays]))

    proposal = None
    if partial and req.partial_week == EXCLUDE:
        status = Status.PARTIAL_WEEK
        reason = "Week of admission or discharge; the rule set excludes it from the weekly minimum."
    elif counted >= required and len(attended_days) >= days_required:
        status = Status.MET
        reason = f"{hours(counted):g} counted hours of {hours(required):g} required."
    elif best < required or len(possible_days) < days_required:
        status = Status.CANNOT_MEET
        if best < required:
            reason = (f"At most {hours(best):g} counted hours are possible as scheduled; "
                      f"{hours(required):g} are required.")
        else:
            reason = f"At most {len(possible_days)} days of service are possible; {days_required} are required."
    else:
        # At risk is judged on hours only: the day minimum decides met / cannot-meet. Judging "tight days" too
        # would let a week go from at risk back to on track once its last needed day is attended.
        smallest = min((t.smallest_remaining for t in in_care if t.smallest_remaining is not None), default=0)
        if best - smallest < required:
            status = Status.AT_RISK
            reason = "Reachable only if every remaining session is attended."
        else:
            status = Status.ON_TRACK
            reason = f"{hours(best - required):g} hours of slack in the remaining schedule."
    if week.propose and week.day_totals is None and status in (Status.AT_RISK, Status.CANNOT_MEET):
        proposal = propose(week, counted=counted, required=required, remaining=remaining, now=week.now)
    return WeekResult(
        episode_id=week.episode_id,
        monday=week.monday,
        status=status,
        reason=reason,
        partial=partial,
        scheduled_minutes=scheduled,
        attended_minutes=attended,
        counted_minutes=counted,
        remaining_counted_minutes=remaining_minutes,
        best_case_minutes=best,
        required_minutes=required,
        max_minutes=req.weekly_max_minutes,
        days_attended=len(attended_days),
        days_required=days_required,
        days=days,
        proposal=proposal,
        requirement=req,
        remaining_sessions=remaining,
    )


def propose(
    week: EpisodeWeek,
    *,
    counted: int,
    required: int,
    remaining: tuple[SessionSlot, ...],
    now: datetime | None,
) -> Proposal:
    """Essential remaining sessions, and open sessions to add (largest counted minutes first, no overlap with
    the patient's schedule or with each other, future only, in care) until the shortfall is covered."""
    best = counted + sum(s.scheduled_counted_minutes for s in remaining)
    essential = tuple(s for s in remaining if best - s.scheduled_counted_minutes < required)
    shortfall = max(0, required - best)
    care = set(in_care_days(week.monday, week.admitted_on, week.discharged_on))
    busy = [(s.starts_at, s.ends_at) for s in week.sessions if not s.cancelled]
    candidates = sorted(
        (o for o in week.open_sessions
         if o.counted_minutes > 0 and o.local_date in care and (now is None or o.starts_at > now)
         and (o.seats_left is None or o.seats_left > 0)),
        key=lambda o: (-o.counted_minutes, o.starts_at, str(o.session_id)),
    )
    additions: list[Addition] = []
    # At risk (no shortfall): still offer the best open sessions as a safety margin, one per day at most.
    target = shortfall if shortfall else 1
    added = 0
    for cand in candidates:
        if added >= target and additions:
            break
        if any(cand.starts_at < end and start < cand.ends_at for start, end in busy):
            continue
        additions.append(Addition(cand, cand.counted_minutes))
        busy.append((cand.starts_at, cand.ends_at))
        added += cand.counted_minutes
    return Proposal(
        shortfall_minutes=shortfall,
        essential=essential,
        additions=tuple(additions),
        reaches_requirement=best + added >= required,
    )


def evaluate_weeks(weeks: Iterable[EpisodeWeek]) -> list[WeekResult]:
    return [evaluate_week(w) for w in weeks]


def week_monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def parse_iso_week(text: str) -> date:
    """``2026-W47`` → that week's Monday. Raises :class:`EngineError` with a message saying what to fix."""
    value = (text or "").strip().upper()
    try:
        year_part, week_part = value.split("-W")
        year, number = int(year_part), int(week_part)
        return date.fromisocalendar(year, number, 1)
    except (ValueError, TypeError) as exc:
        raise EngineError(f"{text!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W47.") from exc
