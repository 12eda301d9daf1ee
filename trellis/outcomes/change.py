"""Change between administrations: reliable change, recovery and reliable recovery. Pure (plain numbers).

Definitions (NHS Talking Therapies for anxiety and depression manual, 2024, "outcome measurement"; Jacobson &
Truax 1991 for the reliable-change idea):
- reliable improvement: the score fell by at least the instrument's reliable-change threshold;
- reliable deterioration: the score rose by at least that threshold;
- recovery: at caseness at baseline (score >= cut-off) and below it at the last measurement;
- reliable recovery: recovery together with reliable improvement.
For scales where higher is better (BAM protective factors) the directions are reversed.
Thresholds and cut-offs come from the instrument definition (configurable per organization).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Direction(enum.StrEnum):
    IMPROVED = "improved"
    NO_RELIABLE_CHANGE = "no_reliable_change"
    DETERIORATED = "deteriorated"
    UNKNOWN = "unknown"  # no threshold for this scale

    @property
    def label(self) -> str:
        return {
            "improved": "Reliably improved",
            "no_reliable_change": "No reliable change",
            "deteriorated": "Reliably deteriorated",
            "unknown": "No reliable-change threshold set",
        }[self.value]


@dataclass(frozen=True)
class Change:
    baseline: int
    current: int
    delta: int  # current - baseline
    direction: Direction
    at_caseness_at_baseline: bool | None
    recovered: bool | None
    reliably_recovered: bool | None


def classify(
    baseline: int,
    current: int,
    *,
    reliable_change: int | None,
    caseness: int | None,
    higher_is_better: bool = False,
) -> Change:
    delta = current - baseline
    better = -delta if not higher_is_better else delta
    if reliable_change is None:
        direction = Direction.UNKNOWN
    elif better >= reliable_change:
        direction = Direction.IMPROVED
    elif -better >= reliable_change:
        direction = Direction.DETERIORATED
    else:
        direction = Direction.NO_RELIABLE_CHANGE
    if caseness is None or higher_is_better:
        case0 = recovered = reliable = None
    else:
        case0 = baseline >= caseness
        recovered = case0 and current < caseness
        reliable = recovered and direction is Direction.IMPROVED
    return Change(baseline, current, delta, direction, case0, recovered, reliable)


@dataclass(frozen=True)
class ProgramSummary:
    assessed_at_admission: int
    assessed_at_discharge: int
    paired: int
    mean_change: float | None
    pct_reliably_improved: float | None
    pct_deteriorated: float | None
    cases_at_baseline: int
    pct_recovered: float | None
    pct_reliably_recovered: float | None
    episodes: int
    windows_due: int
    windows_completed: int

    @property
    def completeness(self) -> float | None:
        return None if not self.windows_due else round(100 * self.windows_completed / self.windows_due, 1)


def _pct(n: int, d: int) -> float | None:
    return None if not d else round(100 * n / d, 1)


def summarize(
    pairs: list[tuple[int | None, int | None]],
    *,
    reliable_change: int | None,
    caseness: int | None,
    higher_is_better: bool = False,
    windows_due: int = 0,
    windows_completed: int = 0,
) -> ProgramSummary:
    """One (first score, last score) pair per episode; None where the episode has none.

    Improvement/deterioration percentages are over episodes with both scores; recovery percentages are over
    those that were at caseness at baseline (NHS Talking Therapies manual: recovery is computed only for
    referrals that were a 'case' at the start).
    """
    admission = sum(1 for b, _ in pairs if b is not None)
    discharge = sum(1 for _, c in pairs if c is not None)
    changes = [classify(b, c, reliable_change=reliable_change, caseness=caseness,
                        higher_is_better=higher_is_better)
               for b, c in pairs if b is not None and c is not None]
    n = len(changes)
    cases = [c for c in changes if c.at_caseness_at_baseline]
    return ProgramSummary(
        assessed_at_admission=admission,
        assessed_at_discharge=discharge,
        paired=n,
        mean_change=round(sum(c.delta for c in changes) / n, 1) if n else None,
        pct_reliably_improved=_pct(sum(c.direction is Direction.IMPROVED for c in changes), n)
        if reliable_change else None,
        pct_deteriorated=_pct(sum(c.direction is Direction.DETERIORATED for c in changes), n)
        if reliable_change else None,
        cases_at_baseline=len(cases),
        pct_recovered=_pct(sum(bool(c.recovered) for c in cases), len(cases)) if caseness else None,
        pct_reliably_recovered=_pct(sum(bool(c.reliably_recovered) for c in cases), len(cases))
        if caseness and reliable_change else None,
        episodes=len(pairs),
        windows_due=windows_due,
        windows_completed=windows_completed,
    )
