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

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.attendance.ledger import (
    ATTENDED,
    CANCELLED_BY_PROGRAM,
    UNMARKED,
    AttendanceFact,
    Ledger,
    build_ledger,
)
from trellis.attendance.models import Attendance
from trellis.core.clock import iso_week_bounds, today_in
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.episodes.selectors import episodes_of_patient
from trellis.scheduling.models import RosterChange, RosterChangeKind, Session, SessionStatus
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


# The ledger's facts reduced in the database to one row per (episode, site-local day): the same roster rule as
# ``sessions_for_episodes`` + ``_facts`` (group sessions of the episode's track while it is in care and not
# planned, plus patients added, less patients excused; the episode's own appointments; any recorded attendance),
# the same statuses (a record's; else cancelled_by_program for a cancelled session; else unmarked) and the same
# counted minutes (counting service types, break subtracted: 42 CFR 410.43). Weekly lists read tens of thousands
# of facts; summing them here keeps Python to one short tuple per patient-day.
_DAY_TOTALS_SQL = """
WITH ep AS (
    SELECT id, track_id, status, admitted_on, discharged_on FROM {episode} WHERE {episode_filter}
), ses AS (
    SELECT id, episode_id, local_date, status, break_minutes, service_type, {length} AS length
    FROM {session} WHERE local_date >= %s AND local_date <= %s
), wa AS (
    -- the week's attendance records of these episodes, read once for the roster union and the statuses (the
    -- planner may still choose a sequential scan of attendance: an index path for large histories is to do)
    SELECT a.session_id, a.episode_id, a.status, a.minutes, a.scheduled_minutes
    FROM ses s JOIN {attendance} a ON a.session_id = s.id WHERE a.episode_id IN (SELECT id FROM ep)
), pairs AS (
    SELECT s.id AS session_id, ep.id AS episode_id
    FROM ses s JOIN {through} st ON st.session_id = s.id JOIN ep ON ep.track_id = st.track_id
    WHERE s.episode_id IS NULL AND ep.status <> %s AND ep.admitted_on <= s.local_date
      AND (ep.discharged_on IS NULL OR ep.discharged_on >= s.local_date)
      AND NOT EXISTS (SELECT 1 FROM {change} x WHERE x.session_id = s.id AND x.episode_id = ep.id AND x.kind = %s)
    UNION
    SELECT rc.session_id, rc.episode_id FROM {change} rc JOIN ses s ON s.id = rc.session_id
    WHERE rc.kind = %s AND s.episode_id IS NULL AND rc.episode_id IN (SELECT id FROM ep)
    UNION
    SELECT s.id, s.episode_id FROM ses s WHERE s.episode_id IN (SELECT id FROM ep)
    UNION
    SELECT session_id, episode_id FROM wa
), facts AS (
    SELECT p.episode_id, s.local_date, s.break_minutes AS brk,
           COALESCE(a.status, CASE WHEN s.status = %s THEN %s ELSE %s END) AS status,
           COALESCE(a.minutes, 0) AS minutes,
           COALESCE(NULLIF(a.scheduled_minutes, 0), s.length) AS scheduled,
           {counts} AS counts
    FROM pairs p JOIN ses s ON s.id = p.session_id
    LEFT JOIN wa a ON a.session_id = p.session_id AND a.episode_id = p.episode_id
), scored AS (
    SELECT episode_id, local_date, status, minutes, scheduled, counts,
           CASE WHEN counts = 1 AND status IN ({attended}) AND minutes > brk THEN minutes - brk ELSE 0 END AS counted,
           CASE WHEN counts = 1 AND status = %s AND scheduled > brk THEN scheduled - brk ELSE 0 END AS remaining
    FROM facts
)
SELECT episode_id, local_date, COUNT(*), SUM(counts),
       SUM(CASE WHEN counts = 1 AND status = %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN status IN ({attended}) THEN minutes ELSE 0 END),
       SUM(counted), SUM(CASE WHEN counted > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN status <> %s THEN scheduled ELSE 0 END),
       SUM(remaining), MIN(CASE WHEN remaining > 0 THEN remaining END)
FROM scored GROUP BY episode_id, local_date
"""


def day_totals_for_episodes(episode_ids: Sequence[int], start: date, end: date) -> list[tuple[Any, ...]]:
    """Per (episode, site-local day) sums of the ledger's facts for site-local dates ``[start, end]``, as plain
    tuples ``(episode_id, day, sessions, counting, awaiting, attended_minutes, counted_minutes, services,
    scheduled_minutes, remaining_counted_minutes, smallest_remaining_counted_minutes)`` — the fields of
    ``compliance.engine.DayTotals`` after the episode id. Two queries (the counted flags, then one SQL aggregate)
    whatever the number of episodes or sessions; days without a session have no row."""
    if not episode_ids:
        return []
    non_counting = sorted(k for k, v in counts_toward_hours().items() if not v)
    postgres = connection.vendor == "postgresql"
    if postgres:
        episode_filter, id_param = "id = ANY(%s)", list(episode_ids)
        length = "FLOOR(EXTRACT(EPOCH FROM (ends_at - starts_at)) / 60)::integer"
    else:
        episode_filter, id_param = "id IN (SELECT value FROM json_each(%s))", json.dumps(list(episode_ids))
        length = "(CAST(strftime('%%s', ends_at) AS INTEGER) - CAST(strftime('%%s', starts_at) AS INTEGER)) / 60"
    counts = (f"CASE WHEN s.service_type IN ({', '.join(['%s'] * len(non_counting))}) THEN 0 ELSE 1 END"
              if non_counting else "1")
    attended = ", ".join(["%s"] * len(ATTENDED))
    sql = _DAY_TOTALS_SQL.format(
        episode=Episode._meta.db_table, session=Session._meta.db_table, through=Session.tracks.through._meta.db_table,
        change=RosterChange._meta.db_table, attendance=Attendance._meta.db_table, episode_filter=episode_filter,
        length=length, counts=counts, attended=attended,
    )
    statuses = sorted(ATTENDED)
    params: list[Any] = [
        id_param, start, end, EpisodeStatus.PLANNED.value, RosterChangeKind.EXCUSE.value, RosterChangeKind.ADD.value,
        SessionStatus.CANCELLED.value, CANCELLED_BY_PROGRAM, UNMARKED, *non_counting,
        *statuses, UNMARKED,  # scored
        UNMARKED, *statuses, CANCELLED_BY_PROGRAM,  # final select
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and not isinstance(rows[0][1], date):  # SQLite returns dates as text
        rows = [(r[0], date.fromisoformat(r[1]), *r[2:]) for r in rows]
    return rows


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
    """The discharge summary's "hours" part: attended vs scheduled minutes by ISO week over the episode (to
    today while it is still open: the summary is drafted and signed before the discharge)."""
    end = episode.discharged_on or max(episode.admitted_on, today_in(episode.program.site.zone))
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
