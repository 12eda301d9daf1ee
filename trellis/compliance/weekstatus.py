"""The one seam between the compliance operations (alerts, dashboard, UR packet, audit report) and the weekly
hours engine: episode-weeks and episode-days as plain data, computed for many episodes in a bounded number of
queries.

Everything above this module reads only `EpisodeWeek` / `EpisodeDay` (computed by
`trellis.compliance.engine_adapter`); how the numbers are computed is the engine's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

MET = "met"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
CANNOT_MEET = "cannot_meet"
PARTIAL = "partial_week"  # the engine's Status values
NO_REQUIREMENT = "no_requirement"

STATUS_LABELS: dict[str, str] = {
    CANNOT_MEET: "Cannot be met",
    AT_RISK: "At risk",
    ON_TRACK: "On track",
    MET: "Met",
    PARTIAL: "Partial week",
    NO_REQUIREMENT: "No requirement",
}
# Worst first: the order of the dashboard's groups and of its chart.
STATUS_ORDER = (CANNOT_MEET, AT_RISK, ON_TRACK, MET, PARTIAL)
ALERT_STATUSES = frozenset({AT_RISK, CANNOT_MEET})
# Badge colour per status (the badge always carries the label too, so colour is never the only signal).
BADGE_KINDS = {CANNOT_MEET: "danger", AT_RISK: "warn", ON_TRACK: "info", MET: "success", PARTIAL: "neutral",
               NO_REQUIREMENT: "neutral"}


@dataclass(frozen=True)
class EpisodeWeek:
    episode_id: int
    monday: date
    status: str
    counted_minutes: int
    remaining_minutes: int  # counted minutes still scheduled this week
    required_minutes: int | None
    reason: str = ""
    citation: str = ""

    @property
    def best_case_minutes(self) -> int:
        return self.counted_minutes + self.remaining_minutes

    @property
    def badge_kind(self) -> str:
        return BADGE_KINDS.get(self.status, "neutral")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class EpisodeDay:
    episode_id: int
    day: date
    counted_minutes: int
    billable: bool
    reason: str = ""  # why not billable (empty when billable)
