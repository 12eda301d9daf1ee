"""The hours a treatment plan states (pure; no database).

42 CFR 424.24(e)(2)(i): the plan of a certified PHP/IOP program sets forth the physician's diagnosis, the type,
amount, duration and frequency of the services, and the treatment goals. Each intervention therefore states
minutes per session and sessions per week; their sum is the plan's weekly total, which must reach the program's
weekly floor (PHP 20 h: 42 CFR 410.43(c)(1); IOP 9 h: 42 CFR 424.24(e)(1)(i); a program may set a higher floor,
trellis.programs.rules).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

PLAN_CONTENT_SOURCE = "42 CFR 424.24(e)(2)(i)"
FLOOR_SOURCES = {"php": "42 CFR 410.43(c)(1)", "iop": "42 CFR 424.24(e)(1)(i)"}


@dataclass(frozen=True, slots=True)
class InterventionHours:
    label: str
    minutes_per_session: int | None
    sessions_per_week: int | None

    @property
    def weekly_minutes(self) -> int:
        return (self.minutes_per_session or 0) * (self.sessions_per_week or 0)


def weekly_minutes(items: Iterable[InterventionHours]) -> int:
    return sum(i.weekly_minutes for i in items)


def hm(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def missing_hours(items: Iterable[InterventionHours]) -> list[str]:
    return [i.label for i in items if not i.minutes_per_session or not i.sessions_per_week]


def floor_problem(*, items: list[InterventionHours], floor_hours: Decimal, level_of_care: str) -> str | None:
    """A message with the numbers when a certified program's plan states fewer weekly hours than its floor."""
    missing = missing_hours(items)
    if missing:
        return (f"State minutes per session and sessions per week for every intervention ({PLAN_CONTENT_SOURCE}); "
                f"missing for: {'; '.join(m[:40] for m in missing)}.")
    total = weekly_minutes(items)
    floor = int(floor_hours * 60)
    if total < floor:
        source = FLOOR_SOURCES.get(level_of_care, "program policy")
        return (f"The plan schedules {hm(total)} a week ({total} minutes), below the program's floor of "
                f"{hm(floor)} ({floor} minutes; {source}). Add sessions or minutes before signing.")
    return None


def is_psychiatric(code: str) -> bool:
    """ICD-10-CM chapter 5, Mental, behavioral and neurodevelopmental disorders (F01-F99)."""
    return code.upper().startswith("F")
