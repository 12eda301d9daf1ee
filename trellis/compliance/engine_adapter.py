"""Episode-weeks and episode-days for the compliance operations (alerts, dashboard, UR packet, audit report), from
the weekly-hours engine through its selector (`compliance.selectors.weekly_results`: requirement sets resolved
per payer, counted minutes, closures) — a bounded number of queries per ISO week, whatever the number of
episodes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from trellis.compliance import engine, selectors
from trellis.compliance.weekstatus import EpisodeDay, EpisodeWeek


def _mondays(start: date, end: date) -> list[date]:
    monday = engine.week_monday(start)
    out = []
    while monday <= end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def _in_care(e: Any, monday: date) -> bool:
    return e.admitted_on <= monday + timedelta(days=6) and (e.discharged_on is None or e.discharged_on >= monday)


def _as_week(result: engine.WeekResult) -> EpisodeWeek:
    return EpisodeWeek(
        episode_id=result.episode_id, monday=result.monday, status=str(result.status),
        counted_minutes=result.counted_minutes, remaining_minutes=result.remaining_counted_minutes,
        required_minutes=result.required_minutes, reason=result.reason,
        citation=result.requirement.source or result.requirement.name,
    )


def _results(episodes: list[Any], monday: date) -> dict[int, engine.WeekResult]:
    wanted = [e for e in episodes if _in_care(e, monday)]
    return selectors.weekly_results(wanted, monday, proposals=False) if wanted else {}


def weeks(episodes: list[Any], monday: date) -> dict[int, EpisodeWeek]:
    results = _results(list(episodes), monday)
    return {pk: _as_week(r) for pk, r in results.items()}


def weeks_between(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeWeek]]:
    """Every ISO week touching [start, end] in which the episode is in care."""
    out: dict[int, list[EpisodeWeek]] = defaultdict(list)
    for monday in _mondays(start, end):
        for pk, r in _results(list(episodes), monday).items():
            out[pk].append(_as_week(r))
    return dict(out)


def days(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeDay]]:
    """In-care days in [start, end] on which the patient attended something, billable or not and why."""
    out: dict[int, list[EpisodeDay]] = defaultdict(list)
    for monday in _mondays(start, end):
        for pk, r in _results(list(episodes), monday).items():
            for d in r.days:
                if start <= d.date <= end and d.in_care and (d.attended_minutes or d.billable):
                    out[pk].append(EpisodeDay(episode_id=pk, day=d.date, counted_minutes=d.counted_minutes,
                                              billable=d.billable, reason="" if d.billable else d.reason))
    return dict(out)
