"""Episode-weeks and episode-days for the compliance operations, judged by the weekly-hours engine
(`trellis.compliance.engine.evaluate_week`), in a bounded number of queries for any number of episodes.

Inputs: the sessions on each episode's derived roster (scheduling), the attendance marked at them, whether
each service type counts toward hours and each session's break (counted minutes, 42 CFR 410.43).

INTERIM requirement: until requirement sets are resolved per episode (payer overrides), the requirement is
the program's weekly minimum and maximum (`Program.weekly_hours_min/max`, set per level of care). When the
engine branch's selectors resolve requirement sets, `requirement_for` is the one function to replace.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from trellis.attendance.models import Attendance
from trellis.compliance import engine
from trellis.compliance.weekstatus import NO_REQUIREMENT, EpisodeDay, EpisodeWeek
from trellis.core.clock import now
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import counts_toward_hours, sessions_for_episodes

PROGRAM_RULE_CITATION = "Program weekly minimum for its level of care (Program.weekly_hours_min)"


def requirement_for(episode: Any) -> engine.Requirement | None:
    program = episode.program
    minimum = getattr(program, "weekly_hours_min", None)
    if not minimum:
        return None
    maximum = getattr(program, "weekly_hours_max", None)
    return engine.Requirement(
        weekly_min_minutes=int(minimum * 60),
        weekly_max_minutes=int(maximum * 60) if maximum and maximum >= minimum else None,
        name=program.name, source=PROGRAM_RULE_CITATION,
    )


def _slots(episodes: list[Any], start: date, end: date) -> dict[int, list[engine.SessionSlot]]:
    """Per episode, its sessions in [start, end] with what happened at each (6 queries in all)."""
    sessions = {s.pk: s for s in sessions_for_episodes(episodes, start, end)}
    ids = [e.pk for e in episodes]
    records = {
        (session_id, episode_id): (status, minutes)
        for session_id, episode_id, status, minutes in Attendance.objects.filter(
            episode_id__in=ids, session__local_date__gte=start, session__local_date__lte=end
        ).values_list("session_id", "episode_id", "status", "minutes")
    }
    missing = {sid for sid, _ in records if sid not in sessions}
    if missing:  # attendance recorded at a session no longer on the derived roster still counts
        sessions.update({s.pk: s for s in Session.objects.filter(pk__in=missing)})
    counts = counts_toward_hours()
    out: dict[int, list[engine.SessionSlot]] = defaultdict(list)
    pairs = {(sid, eid) for sid, s in sessions.items() for eid in getattr(s, "roster_episode_ids", ())}
    pairs |= set(records)
    for session_id, episode_id in sorted(pairs):
        s = sessions[session_id]
        status, minutes = records.get((session_id, episode_id), (engine.UNMARKED, 0))
        if status == engine.UNMARKED and s.status == SessionStatus.CANCELLED:
            status = engine.CANCELLED_BY_PROGRAM
        length = s.minutes
        out[episode_id].append(engine.SessionSlot(
            session_id=session_id, local_date=s.local_date, starts_at=s.starts_at, ends_at=s.ends_at,
            service_type=s.service_type, counts=counts.get(s.service_type, True), scheduled_minutes=length,
            status=status, attended_minutes=min(minutes, length) if status in engine.ATTENDED else 0,
            break_minutes=getattr(s, "break_minutes", 0) or 0, title=s.title,
        ))
    return out


def _mondays(start: date, end: date) -> list[date]:
    monday = start - timedelta(days=start.isoweekday() - 1)
    out = []
    while monday <= end:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def _results(episodes: list[Any], start: date, end: date) -> dict[tuple[int, date], engine.WeekResult]:
    mondays = _mondays(start, end)
    slots = _slots(episodes, mondays[0], mondays[-1] + timedelta(days=6))
    moment = now()
    out = {}
    for e in episodes:
        requirement = requirement_for(e)
        if requirement is None:
            continue
        mine = slots.get(e.pk, [])
        for monday in mondays:
            sunday = monday + timedelta(days=6)
            if e.admitted_on > sunday or (e.discharged_on is not None and e.discharged_on < monday):
                continue
            week = engine.EpisodeWeek(
                episode_id=e.pk, monday=monday, admitted_on=e.admitted_on, discharged_on=e.discharged_on,
                requirement=requirement, sessions=tuple(s for s in mine if monday <= s.local_date <= sunday),
                now=moment,
            )
            out[(e.pk, monday)] = engine.evaluate_week(week)
    return out


def _as_week(episode_id: int, monday: date, result: engine.WeekResult | None) -> EpisodeWeek:
    if result is None:
        return EpisodeWeek(episode_id=episode_id, monday=monday, status=NO_REQUIREMENT, counted_minutes=0,
                           remaining_minutes=0, required_minutes=None, reason="No weekly minimum applies.")
    return EpisodeWeek(
        episode_id=episode_id, monday=monday, status=str(result.status), counted_minutes=result.counted_minutes,
        remaining_minutes=result.remaining_counted_minutes, required_minutes=result.required_minutes,
        reason=result.reason, citation=result.requirement.source,
    )


def weeks(episodes: list[Any], monday: date) -> dict[int, EpisodeWeek]:
    if not episodes:
        return {}
    results = _results(episodes, monday, monday)
    return {e.pk: _as_week(e.pk, monday, results.get((e.pk, monday))) for e in episodes}


def weeks_between(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeWeek]]:
    """Every ISO week touching [start, end] per episode (in care that week), in the same bounded queries."""
    if not episodes:
        return {}
    results = _results(episodes, start, end)
    out: dict[int, list[EpisodeWeek]] = defaultdict(list)
    for (episode_id, monday), result in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        out[episode_id].append(_as_week(episode_id, monday, result))
    return dict(out)


def days(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeDay]]:
    """In-care days in [start, end] on which the patient attended a counted service, billable or not and why."""
    if not episodes:
        return {}
    out: dict[int, list[EpisodeDay]] = defaultdict(list)
    for (episode_id, _monday), result in sorted(_results(episodes, start, end).items(),
                                                key=lambda kv: (kv[0][1], kv[0][0])):
        for d in result.days:
            if start <= d.date <= end and d.in_care and (d.attended_minutes or d.billable):
                out[episode_id].append(EpisodeDay(episode_id=episode_id, day=d.date,
                                                  counted_minutes=d.counted_minutes, billable=d.billable,
                                                  reason="" if d.billable else d.reason))
    return dict(out)
