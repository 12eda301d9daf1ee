"""Administration windows of an episode from its program's schedule. Pure (dates in, windows out).

A schedule says: at admission, every N days, at discharge. Each occasion is a window with a stable key
(``admission``, ``day14``, ``discharge``) so that one administration per instrument per window can be enforced
by a database constraint, and windows that closed without a completed administration count as missed.

Window tolerance: a periodic window opens ``tolerance`` days before its due day and closes ``tolerance`` days
after it (default: half the interval, at most 3 days, so consecutive windows never overlap). The admission
window runs from admission for ``tolerance`` days (program policy: baseline within the first days of care;
NHS Talking Therapies manual asks for a score at first contact). The discharge window covers the last
``tolerance`` days before the discharge date up to the discharge date plus ``tolerance`` days (late paper entry).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta


class WindowState(enum.StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    MISSED = "missed"
    DONE = "done"


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    opens: date
    due: date
    closes: date

    def state(self, today: date, done: bool) -> WindowState:
        if done:
            return WindowState.DONE
        if today < self.opens:
            return WindowState.UPCOMING
        if today <= self.due:
            return WindowState.DUE
        if today <= self.closes:
            return WindowState.OVERDUE
        return WindowState.MISSED


def tolerance_for(every_n_days: int | None) -> int:
    if not every_n_days:
        return 3
    return max(0, min(3, (every_n_days - 1) // 2))


def episode_windows(
    *,
    admitted_on: date,
    discharged_on: date | None,
    until: date,
    at_admission: bool,
    every_n_days: int | None,
    at_discharge: bool,
) -> list[Window]:
    """Windows from admission up to ``until`` (or the discharge date, whichever is first), in date order."""
    tol = tolerance_for(every_n_days)
    end = min(until, discharged_on) if discharged_on else until
    out: list[Window] = []
    if at_admission:
        out.append(Window("admission", "Admission", admitted_on, admitted_on, admitted_on + timedelta(days=3)))
    if every_n_days:
        k = 1
        while True:
            due = admitted_on + timedelta(days=k * every_n_days)
            if due - timedelta(days=tol) > end:
                break
            if discharged_on is None or due < discharged_on - timedelta(days=tol):
                out.append(Window(f"day{k * every_n_days}", f"Day {k * every_n_days}",
                                  due - timedelta(days=tol), due, due + timedelta(days=tol)))
            k += 1
    if at_discharge and discharged_on is not None:
        out.append(Window("discharge", "Discharge", discharged_on - timedelta(days=3), discharged_on,
                          discharged_on + timedelta(days=3)))
    return out
