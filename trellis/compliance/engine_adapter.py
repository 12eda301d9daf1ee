"""Episode-weeks and episode-days for the compliance operations, in a bounded number of queries.

PROVISIONAL: until the weekly-hours engine (requirement sets, counted minutes) is merged, the numbers come
from the attendance rows (attended minutes) and the sessions still to come this week, against the program's
weekly minimum (`Program.weekly_hours_min`). The integrator replaces the two functions below with calls to
the engine; their signatures are the contract (trellis.compliance.weekstatus).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from trellis.attendance.minutes import ATTENDED_STATUSES
from trellis.attendance.models import Attendance
from trellis.compliance.weekstatus import (
    AT_RISK,
    CANNOT_MEET,
    MET,
    NO_REQUIREMENT,
    ON_TRACK,
    PARTIAL,
    EpisodeDay,
    EpisodeWeek,
)
from trellis.core.clock import now
from trellis.scheduling.models import Session, SessionStatus

# CMS Medicare Benefit Policy Manual Ch. 6 §70.3 / 42 CFR 410.43 (PHP) and the program's own weekly minimum
# (Program.weekly_hours_min, set per level of care from the payer rules) until requirement sets are in.
PROGRAM_RULE_CITATION = "Program weekly minimum (Program.weekly_hours_min)"


def _attended(episode_ids: list[int], start: date, end: date) -> dict[tuple[int, date], int]:
    rows = (Attendance.objects.filter(episode_id__in=episode_ids, session__local_date__gte=start,
                                      session__local_date__lte=end, status__in=list(ATTENDED_STATUSES))
            .values_list("episode_id", "session__local_date", "minutes"))
    out: dict[tuple[int, date], int] = defaultdict(int)
    for episode_id, day, minutes in rows:
        out[(episode_id, day)] += minutes
    return out


def _remaining(episodes: Sequence[Any], start: date, end: date) -> dict[int, list[int]]:
    """Per episode, the lengths (minutes) of the sessions not yet started this week that it is on the roster of
    (its track's groups, its own individual sessions) and not yet marked."""
    track_ids = {e.track_id for e in episodes if e.track_id}
    episode_ids = [e.pk for e in episodes]
    sessions = (Session.objects.filter(local_date__gte=start, local_date__lte=end, starts_at__gt=now(),
                                       status=SessionStatus.SCHEDULED)
                .filter(Q(tracks__in=track_ids) | Q(episode_id__in=episode_ids))
                .values_list("pk", "starts_at", "ends_at", "episode_id", "tracks", "local_date"))
    by_track: dict[int, dict[int, tuple[int, date]]] = defaultdict(dict)
    by_episode: dict[int, dict[int, tuple[int, date]]] = defaultdict(dict)
    for pk, starts, ends, episode_id, track_id, day in sessions:
        length = int((ends - starts).total_seconds() // 60)
        if episode_id:
            by_episode[episode_id][pk] = (length, day)
        elif track_id:
            by_track[track_id][pk] = (length, day)
    out: dict[int, list[int]] = {}
    for e in episodes:
        found = {**by_track.get(e.track_id, {}), **by_episode.get(e.pk, {})}
        out[e.pk] = [length for length, day in found.values() if e.admitted_on <= day
                     and (e.discharged_on is None or day <= e.discharged_on)]
    return out


def classify(*, counted: int, remaining: list[int], required: int | None, partial: bool) -> tuple[str, str]:
    """(status, reason) of one week from counted minutes, the remaining sessions' lengths and the minimum."""
    if required is None or required <= 0:
        return NO_REQUIREMENT, "No weekly minimum applies."
    if counted >= required:
        return MET, f"{counted} of {required} counted minutes reached."
    if partial:
        return PARTIAL, "Admission or discharge week: the weekly minimum is not applied."
    best = counted + sum(remaining)
    if best < required:
        return CANNOT_MEET, (f"Even attending every remaining session gives {best} of {required} counted minutes; "
                             "add sessions this week.")
    if best - min(remaining) < required:
        return AT_RISK, "Reachable only if every remaining session this week is attended."
    return ON_TRACK, "On track if the patient keeps attending."


def weeks(episodes: list[Any], monday: date) -> dict[int, EpisodeWeek]:
    if not episodes:
        return {}
    sunday = monday + timedelta(days=6)
    attended = _attended([e.pk for e in episodes], monday, sunday)
    remaining = _remaining(episodes, monday, sunday)
    out = {}
    for e in episodes:
        counted = sum(m for (eid, _day), m in attended.items() if eid == e.pk)
        hours_min = getattr(e.program, "weekly_hours_min", None)
        required = int(hours_min * 60) if hours_min else None
        partial = e.admitted_on > monday or (e.discharged_on is not None and e.discharged_on < sunday)
        status, reason = classify(counted=counted, remaining=remaining.get(e.pk, []), required=required,
                                  partial=partial)
        out[e.pk] = EpisodeWeek(
            episode_id=e.pk, monday=monday, status=status, counted_minutes=counted,
            remaining_minutes=sum(remaining.get(e.pk, [])), required_minutes=required, reason=reason,
            citation=PROGRAM_RULE_CITATION,
        )
    return out


def days(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeDay]]:
    if not episodes:
        return {}
    attended = _attended([e.pk for e in episodes], start, end)
    out: dict[int, list[EpisodeDay]] = defaultdict(list)
    for (episode_id, day), minutes in sorted(attended.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        out[episode_id].append(EpisodeDay(
            episode_id=episode_id, day=day, counted_minutes=minutes, billable=minutes > 0,
            reason="" if minutes > 0 else "No counted minutes attended.",
        ))
    return dict(out)
