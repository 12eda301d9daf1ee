"""Referral pipeline KPIs from the pipeline timestamps (pure; plain-data inputs)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PipelineKpi:
    referrals: int
    admitted: int
    closed_lost: int
    open: int
    median_days_to_admission: float | None

    @property
    def conversion_pct(self) -> float | None:
        decided = self.admitted + self.closed_lost
        return round(100 * self.admitted / decided, 1) if decided else None


def pipeline_kpi(rows: Iterable[tuple[str, dt.datetime, dt.datetime | None]]) -> PipelineKpi:
    """rows: (status, received_at, closed_at). Conversion = admitted / (admitted + declined/not reached/
    referred elsewhere); time to admission = received -> admitted, in days (fractional)."""
    total = admitted = lost = still_open = 0
    days: list[float] = []
    for status, received_at, closed_at in rows:
        total += 1
        if status == "admitted":
            admitted += 1
            if closed_at is not None and closed_at >= received_at:
                days.append((closed_at - received_at).total_seconds() / 86400)
        elif status in ("declined", "not_reached", "referred_elsewhere"):
            lost += 1
        else:
            still_open += 1
    median = round(statistics.median(days), 1) if days else None
    return PipelineKpi(total, admitted, lost, still_open, median)
