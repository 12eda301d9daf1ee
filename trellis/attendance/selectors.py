"""Attendance reads, and THE treatment-hours ledger selector used by the chart, compliance and billing.

``treatment_hours(episode, start, end)`` returns a :class:`trellis.attendance.ledger.Ledger` with per
site-local day and per ISO week minutes attended (by service type and modality), scheduled minutes and
absences. The arithmetic lives in the pure ``attendance.ledger`` module; this module only gathers facts:

* every session on the episode's roster in the period (see scheduling.selectors for the roster rule);
* its attendance record when marked; a cancelled session counts as ``cancelled_by_program``; an unmarked
  one as ``unmarked`` (scheduled, not attended, not an absence);
* an attendance record whose session is no longer on the derived roster (e.g. the patient changed track
  afterwards) still counts: recorded attendance is the fact of record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.attendance.ledger import (
    CANCELLED_BY_PROGRAM,
    UNMARKED,
    AttendanceFact,
    Ledger,
    build_ledger,
)
from trellis.attendance.models import Attendance
from trellis.core.clock import iso_week_bounds
from trellis.episodes.models import Episode
from trellis.episodes.selectors import episodes_of_patient
from trellis.scheduling.models import Session, SessionStatus
from trellis.scheduling.selectors import (
    Roster,
    RosterMember,
    counts_toward_hours,
    roster_for_session,
    sessions_for_episodes,
)


def _facts(episodes: Sequence[Any], start: date, end: date) -> list[AttendanceFact]:
    sessions = {s.pk: s for s in sessions_for_episodes(episodes, start, end, lean=True)}
    ep_ids = [e.pk for e in episodes]
    # Plain tuples: per-track pages read tens of thousands of records; model instances would dominate.
    records = {
        (session_id, episode_id): rest
        for session_id, episode_id, *rest in Attendance.objects.filter(
            episode_id__in=ep_ids, session__local_date__gte=start, session__local_date__lte=end
        ).values_list("session_id", "episode_id", "status", "minutes", "scheduled_minutes", "modality")
    }
    missing = {sid for sid, _ in records if sid not in sessions}
    if missing:  # recorded attendance for a session no longer on the derived roster still counts
        sessions.update({s.pk: s for s in Session.objects.filter(pk__in=missing).select_related("site")})
    counts = counts_toward_hours()
    facts: list[AttendanceFact] = []
    seen: set[tuple[int, int]] = set()
    for s in sessions.values():
        for ep_id in sorted(getattr(s, "roster_episode_ids", ())):
            seen.add((s.pk, ep_id))
            facts.append(_fact(s, ep_id, records.get((s.pk, ep_id)), counts))
    for key, rec in records.items():
        if key not in seen:
            facts.append(_fact(sessions[key[0]], key[1], rec, counts))
    return facts


def _fact(
    session: Session, episode_id: int, rec: Sequence[Any] | None, counts: dict[str, bool] | None = None
) -> AttendanceFact:
    length = session.minutes
    if rec is not None:
        status, minutes, scheduled, modality = rec
        scheduled = scheduled or length
        modality = modality or None
    elif session.status == SessionStatus.CANCELLED:
        status, minutes, modality, scheduled = CANCELLED_BY_PROGRAM, 0, None, length
    else:
        status, minutes, modality, scheduled = UNMARKED, 0, None, length
    return AttendanceFact(
        episode_id=episode_id,
        session_id=session.pk,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=session.site.time_zone,
        service_type=session.service_type,
        status=status,
        minutes=minutes,
        scheduled_minutes=scheduled,
        modality=modality,
        counts=(counts or {}).get(session.service_type, True),
        break_minutes=session.break_minutes,
        title=session.title,
    )


def facts_for_episodes(episodes: Sequence[Any], start: date, end: date) -> list[AttendanceFact]:
    """The ledger's plain facts for many episodes (the compliance engine's input). Bounded queries."""
    return _facts(list(episodes), start, end)


def treatment_hours(episode: Episode, start: date, end: date) -> Ledger:
    """The treatment-hours ledger of one episode for site-local dates ``[start, end]`` (inclusive).

    Days are the site-local start dates of sessions; weeks are ISO 8601 weeks (Monday–Sunday) of those
    dates. Bounded: a constant number of queries whatever the period or number of sessions.
    """
    return build_ledger(_facts([episode], start, end), start=start, end=end,
                        admitted_on=episode.admitted_on, discharged_on=episode.discharged_on)


def treatment_hours_for_episodes(episodes: Sequence[Episode], start: date, end: date) -> dict[int, Ledger]:
    """Ledgers of many episodes at once (per-track page, compliance worklists). Bounded queries."""
    grouped: dict[int, list[AttendanceFact]] = defaultdict(list)
    for fact in _facts(list(episodes), start, end):
        grouped[fact.episode_id].append(fact)
    return {
        e.pk: build_ledger(grouped.get(e.pk, []), start=start, end=end, admitted_on=e.admitted_on,
                           discharged_on=e.discharged_on)
        for e in episodes
    }


@dataclass
class SheetRow:
    member: RosterMember
    attendance: Attendance | None

    @property
    def episode(self) -> Episode:
        return self.member.episode

    @property
    def patient(self) -> Any:
        return self.member.episode.patient


@dataclass
class AttendanceSheet:
    session: Session
    roster: Roster
    rows: list[SheetRow]

    @property
    def marked(self) -> int:
        return sum(1 for r in self.rows if r.attendance is not None)

    @property
    def locked(self) -> bool:
        return any(r.attendance is not None and r.attendance.is_locked for r in self.rows)


def attendance_sheet(session: Session) -> AttendanceSheet:
    """Roster plus recorded attendance for one session. Constant queries in the number of patients."""
    roster = roster_for_session(session)
    records = {a.episode_id: a for a in Attendance.objects.filter(session=session).select_related("episode__patient")}
    rows = [SheetRow(m, records.pop(m.episode.pk, None)) for m in roster.members]
    # Recorded attendance for someone no longer on the roster (e.g. excused afterwards) still shows.
    for att in records.values():
        rows.append(SheetRow(RosterMember(att.episode, "recorded"), att))
    return AttendanceSheet(session, roster, rows)


def corrections_of(attendance: Attendance) -> list[Any]:
    return list(attendance.corrections.select_related("changed_by").order_by("changed_at", "id"))


def week_range(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def attended_hours_by_week(episode: Episode) -> dict[str, Any]:
    """The discharge summary's "hours" part: attended vs scheduled minutes by ISO week over the episode."""
    end = episode.discharged_on or episode.admitted_on
    ledger = treatment_hours(episode, episode.admitted_on, end)
    weeks = [
        {
            "label": w.label,
            "monday": w.monday.isoformat(),
            "attended_minutes": w.attended_minutes,
            "scheduled_minutes": w.scheduled_minutes,
            "days_attended": w.days_attended,
        }
        for w in ledger.weeks
    ]
    return {"available": True, "weeks": weeks, "total_minutes": ledger.total.attended_minutes, "note": ""}


def current_care(user: User, patient: Any, today: date) -> dict[str, Any]:
    """Chart overview card: active episodes with this ISO week's attended vs scheduled hours and the program's weekly target.

    Bounded: one query for episodes plus the ledger selector's fixed set of queries.
    """
    # Only episodes at the user's sites: another site's program stays there (site scope, as every chart tab).
    episodes = list(episodes_of_patient(patient).restrict(user, Cap.PATIENT_VIEW)
                    .filter(status="active").select_related("prescriber", "case_manager"))
    if not episodes:
        return {"care": []}
    monday, sunday = iso_week_bounds(today)
    ledgers = treatment_hours_for_episodes(episodes, monday, sunday)
    rows = []
    for episode in episodes:
        week = ledgers[episode.pk].total
        rows.append({
            "episode": episode,
            "attended_hours": week.attended_hours,
            "scheduled_hours": week.scheduled_hours,
            "target_min": episode.program.weekly_hours_min,
            "target_max": episode.program.weekly_hours_max,
            "absences": week.absences,
            "days_in_care": (today - episode.admitted_on).days + 1,
        })
    return {"care": rows}
