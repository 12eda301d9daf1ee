"""Treatment-plan and physician-certification due dates (pure; no database).

All dates are calendar dates in the site's time zone. Intervals are calendar days unless
a rule says months; month arithmetic clamps to the last day of a shorter month
(31 Jan + 1 month = 28/29 Feb).

Treatment plans (program-configurable data on Program):
* the initial plan is due `plan_due_days` calendar days after the admission date
  (default 7: admitted Monday 1st -> due Monday 8th);
* a plan is reviewed every `plan_review_days` days after the last plan version or review
  (default 30), or sooner after a level-of-care change: within `LOC_CHANGE_REVIEW_DAYS`
  days of the change, if that is earlier. (Program policy; state licensing rules and
  payer contracts may be stricter.)

Physician certification for Medicare partial hospitalization and intensive outpatient
services - 42 CFR 424.24(e) (as amended by the CY 2024 OPPS/ASC final rule, 88 FR 81540,
Nov. 22, 2023, which added IOP). The text relied on here, TO CONFIRM against the current
eCFR (could not be fetched from this machine):
* 424.24(e)(2): certification at admission - the initial certification is required at the
  start of services ("as of admission"); modelled as due on the admission date;
* 424.24(e)(3)(i) PHP: "The first recertification is required as of the 18th day of
  partial hospitalization services. Subsequent recertifications are required at intervals
  established by the provider, but no less frequently than every 30 days."
  Day 1 is the admission date, so the 18th day is admission + 17 days.
* 424.24(e)(3) IOP: recertification at intervals established by the provider, but no less
  frequently than every 60 days (counted from the previous certification).
The intervals are data (CertificationRule) so that a program can shorten them or a later
rule change can be applied without code changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOC_CHANGE_REVIEW_DAYS = 7
DUE_SOON_DAYS = 3


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True, slots=True)
class Interval:
    days: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.months < 0 or (self.days == 0 and self.months == 0):
            raise ValueError("An interval needs a positive number of days or months.")

    def after(self, day: dt.date) -> dt.date:
        return add_months(day, self.months) + dt.timedelta(days=self.days)

    def __str__(self) -> str:
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)


def initial_plan_due(admitted_on: dt.date, plan_due_days: int) -> dt.date:
    if plan_due_days < 0:
        raise ValueError("plan_due_days must not be negative.")
    return admitted_on + dt.timedelta(days=plan_due_days)


def next_review_due(
    *,
    last_reviewed_on: dt.date,
    cadence: Interval,
    level_changed_on: dt.date | None = None,
    loc_change_review_days: int = LOC_CHANGE_REVIEW_DAYS,
) -> dt.date:
    """Next plan review: `cadence` after the last version/review, or sooner after a
    level-of-care change made after that review."""
    due = cadence.after(last_reviewed_on)
    if level_changed_on is not None and level_changed_on >= last_reviewed_on:
        due = min(due, level_changed_on + dt.timedelta(days=loc_change_review_days))
    return due


class CertKind(enum.StrEnum):
    INITIAL = "initial"
    RECERTIFICATION = "recertification"


@dataclass(frozen=True, slots=True)
class CertificationRule:
    key: str
    label: str
    initial_due_day: int  # day number of the episode (1 = admission day)
    first_recert_day: int | None  # day number, or None = interval after the initial certification
    recert_interval: Interval
    citation: str


PHP_RULE = CertificationRule(
    key="medicare_php",
    label="Medicare partial hospitalization",
    initial_due_day=1,
    first_recert_day=18,
    recert_interval=Interval(days=30),
    citation="42 CFR 424.24(e)(2)-(3) (PHP: first recertification as of the 18th day, then at least "
    "every 30 days) - to confirm against the current eCFR",
)
IOP_RULE = CertificationRule(
    key="medicare_iop",
    label="Medicare intensive outpatient",
    initial_due_day=1,
    first_recert_day=None,
    recert_interval=Interval(days=60),
    citation="42 CFR 424.24(e)(3) as amended by the CY 2024 OPPS/ASC final rule (IOP: at least every "
    "60 days) - to confirm against the current eCFR",
)
RULES: dict[str, CertificationRule] = {r.key: r for r in (PHP_RULE, IOP_RULE)}


def rule_for_level(level: str) -> CertificationRule | None:
    return {"php": PHP_RULE, "iop": IOP_RULE}.get(level)


def episode_day(admitted_on: dt.date, day_number: int) -> dt.date:
    """Date of the n-th day of an episode (day 1 = admission date)."""
    if day_number < 1:
        raise ValueError("Episode days start at 1.")
    return admitted_on + dt.timedelta(days=day_number - 1)


@dataclass(frozen=True, slots=True)
class CertificationDue:
    kind: CertKind
    due_on: dt.date
    citation: str


def next_certification_due(
    *, admitted_on: dt.date, rule: CertificationRule, signed_on: Sequence[dt.date] | Iterable[dt.date]
) -> CertificationDue:
    """Next certification due, given the dates of the certifications already signed
    (initial first; in any order)."""
    dates = sorted(signed_on)
    if not dates:
        return CertificationDue(CertKind.INITIAL, episode_day(admitted_on, rule.initial_due_day), rule.citation)
    if len(dates) == 1 and rule.first_recert_day is not None:
        # PHP: the first recertification falls on a fixed episode day (the 18th)
        due = episode_day(admitted_on, rule.first_recert_day)
        return CertificationDue(CertKind.RECERTIFICATION, due, rule.citation)
    return CertificationDue(CertKind.RECERTIFICATION, rule.recert_interval.after(dates[-1]), rule.citation)


class DueStatus(enum.StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"


def due_status(due_on: dt.date, today: dt.date, *, soon_days: int = DUE_SOON_DAYS) -> DueStatus:
    if today > due_on:
        return DueStatus.OVERDUE
    if today == due_on:
        return DueStatus.DUE_TODAY
    if (due_on - today).days <= soon_days:
        return DueStatus.DUE_SOON
    return DueStatus.OK


def days_overdue(due_on: dt.date, today: dt.date) -> int:
    return max(0, (today - due_on).days)
