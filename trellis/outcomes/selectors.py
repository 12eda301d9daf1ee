"""Every read the outcomes pages need, scoped to the user, with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.attendance.models import Attendance
from trellis.core import formats
from trellis.core.registry import TodayContext, TodayCounter
from trellis.core.svgchart import Band, Bar, LineChart, Point
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.outcomes import library
from trellis.outcomes.change import Change, ProgramSummary, classify, summarize
from trellis.outcomes.models import (
    Administration,
    AdministrationSchedule,
    AdministrationStatus,
    AlertStatus,
    CriticalAlert,
)
from trellis.outcomes.scoring import Definition
from trellis.outcomes.windows import Window, WindowState, episode_windows

if TYPE_CHECKING:
    from trellis.accounts.models import User


# ---------------------------------------------------------------------------------------------------------
# Patient chart: scores, change, trend
# ---------------------------------------------------------------------------------------------------------
@dataclass
class InstrumentTrend:
    definition: Definition
    administrations: list[Administration]
    chart: LineChart | None
    latest: Administration | None
    from_baseline: Change | None
    from_last: Change | None
    subscales: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PatientOutcomes:
    episodes: list[Episode]
    trends: list[InstrumentTrend]
    drafts: list[Administration]
    open_alerts: list[CriticalAlert]
    acknowledged_alerts: list[CriticalAlert]
    due: list[DueRow]


def episodes_of_patient_for(user: User, patient: Any, capability: str = Cap.OUTCOMES_VIEW) -> QuerySet[Episode]:
    return (Episode.objects.restrict(user, capability).filter(patient=patient)
            .select_related("program__site", "track", "primary_clinician", "patient__organization")
            .order_by("-admitted_on"))


def _weekly_attendance(episode_ids: list[int]) -> dict[date, int]:
    """Attended minutes per ISO week (Monday) across the episodes (one query)."""
    # The session's site-local day, not the UTC date: an evening group on Sunday belongs to that week.
    rows = (Attendance.objects.filter(episode_id__in=episode_ids, minutes__gt=0)
            .values_list("session__local_date", "minutes"))
    weeks: dict[date, int] = defaultdict(int)
    for d, minutes in rows:
        weeks[d - timedelta(days=d.weekday())] += minutes or 0
    return dict(weeks)


def trend_chart(defn: Definition, admins: list[Administration], *, chart_id: str,
                attendance: dict[date, int] | None = None) -> LineChart | None:
    scale = defn.primary_scale
    if scale is None:
        return None
    points = [Point(a.completed_on, a.primary_score, f"{formats.date(a.completed_on)}: {a.primary_score} "
                    f"({a.primary_band})") for a in admins if a.primary_score is not None and a.completed_on]
    if not points:
        return None
    bars = []
    if attendance:
        lo, hi = min(p.day for p in points) - timedelta(days=7), max(p.day for p in points) + timedelta(days=1)
        bars = [Bar(d, m / 60, f"{m / 60:.1f} h attended") for d, m in sorted(attendance.items()) if lo <= d <= hi]
    last = points[-1]
    return LineChart(
        title=f"{defn.short_name} {scale.label.lower()} over time",
        description=(f"{len(points)} scores from {formats.date(points[0].day)} to {formats.date(last.day)}; latest "
                     f"{last.value:g} of {scale.max}. Shaded bands are severity ranges."),
        y_min=scale.min, y_max=scale.max, points=points,
        bands=[Band(b.min, b.max, b.label, b.severity) for b in scale.bands],
        bars=bars, bars_label="Attended hours per week" if bars else "", y_label=f"{defn.short_name} score",
        chart_id=chart_id,
    )


def _trends(admins: list[Administration], instruments: dict[str, Definition], attendance: dict[date, int],
            *, chart_prefix: str) -> list[InstrumentTrend]:
    """One trend per instrument with completed administrations: chart, latest, change from first and last."""
    by_key: dict[str, list[Administration]] = defaultdict(list)
    for a in admins:
        if a.status == AdministrationStatus.COMPLETE:
            by_key[a.instrument_key].append(a)
    trends = []
    for key, done in sorted(by_key.items(), key=lambda kv: kv[0]):
        defn = instruments.get(key)
        if defn is None:
            continue
        scale = defn.primary_scale
        latest = done[-1]
        base = change_last = None
        if scale is not None and len(done) > 1 and latest.primary_score is not None:
            kw = {"reliable_change": scale.reliable_change, "caseness": scale.caseness,
                  "higher_is_better": scale.higher_is_better}
            if done[0].primary_score is not None:
                base = classify(done[0].primary_score, latest.primary_score, **kw)
            if done[-2].primary_score is not None:
                change_last = classify(done[-2].primary_score, latest.primary_score, **kw)
        subscales = [s for k, s in (latest.scores.get("scales") or {}).items() if not scale or k != scale.key]
        trends.append(InstrumentTrend(defn, done, trend_chart(defn, done, chart_id=f"{chart_prefix}-{key}",
                                                              attendance=attendance),
                                      latest, base, change_last, subscales))
    return trends


def plan_review_panel(user: User, episode: Any, today: date) -> dict[str, Any] | None:
    """Score trends of this episode beside its treatment-plan review (two queries); None when nothing was
    measured yet, so the review page shows no empty card."""
    admins = list(Administration.objects.filter(episode=episode, status=AdministrationStatus.COMPLETE)
                  .order_by("completed_at", "created_at"))
    if not admins:
        return None
    trends = _trends(admins, library.instruments_for(episode.patient.organization),
                     _weekly_attendance([episode.pk]), chart_prefix="review-trend")
    return {"trends": trends, "patient": episode.patient} if trends else None


def patient_outcomes(user: User, patient: Any, today: date) -> PatientOutcomes:
    episodes = list(episodes_of_patient_for(user, patient))
    ids = [e.pk for e in episodes]
    admins = list(Administration.objects.filter(episode_id__in=ids)
                  .exclude(status=AdministrationStatus.CANCELLED)
                  .select_related("entered_by").order_by("completed_at", "created_at"))
    alerts = list(CriticalAlert.objects.filter(episode_id__in=ids)
                  .select_related("acknowledged_by", "administration").order_by("-raised_at")[:50])
    organization = patient.organization
    instruments = library.instruments_for(organization)
    attendance = _weekly_attendance(ids)
    trends = _trends(admins, instruments, attendance, chart_prefix="trend")
    due = due_rows(episodes=[e for e in episodes if e.status == EpisodeStatus.ACTIVE], today=today)
    return PatientOutcomes(
        episodes=episodes, trends=trends,
        drafts=[a for a in admins if a.status == AdministrationStatus.DRAFT],
        open_alerts=[a for a in alerts if a.status == AlertStatus.OPEN],
        acknowledged_alerts=[a for a in alerts if a.status == AlertStatus.ACKNOWLEDGED],
        due=due,
    )


def administration_for_view(user: User, capability: str = Cap.OUTCOMES_VIEW) -> QuerySet[Administration]:
    return Administration.objects.select_related("episode__patient__organization", "episode__program__site",
                                                 "entered_by")


# ---------------------------------------------------------------------------------------------------------
# Due and overdue
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueRow:
    episode: Episode
    instrument_key: str
    instrument_name: str
    window: Window
    state: WindowState
    draft: Administration | None


def _schedules_by_program(program_ids: set[int]) -> dict[int, list[AdministrationSchedule]]:
    out: dict[int, list[AdministrationSchedule]] = defaultdict(list)
    for s in AdministrationSchedule.objects.filter(program_id__in=program_ids, active=True):
        out[s.program_id].append(s)
    return out


def _effective(schedules: list[AdministrationSchedule], track_id: int | None) -> dict[str, AdministrationSchedule]:
    chosen: dict[str, AdministrationSchedule] = {}
    for s in sorted(schedules, key=lambda s: s.track_id is not None):  # program-wide first, track overrides
        if s.track_id in (None, track_id):
            chosen[s.instrument_key] = s
    return chosen


def _windows_in_states(episodes: list[Any], today: date, states: tuple[WindowState, ...],
                       status_of: dict[tuple[int, str, str], str]) -> Any:
    """(episode, instrument key, window, state) of every scheduled window in `states` (one query: the schedules).
    `episodes` need pk, program_id, track_id, admitted_on and discharged_on; `status_of` maps (episode pk,
    instrument key, window key) to the administration's status."""
    schedules = _schedules_by_program({e.program_id for e in episodes})
    for ep in episodes:
        for key, s in _effective(schedules.get(ep.program_id, []), ep.track_id).items():
            for w in episode_windows(admitted_on=ep.admitted_on, discharged_on=ep.discharged_on, until=today,
                                     at_admission=s.at_admission, every_n_days=s.every_n_days,
                                     at_discharge=s.at_discharge):
                state = w.state(today, status_of.get((ep.pk, key, w.key)) == AdministrationStatus.COMPLETE)
                if state in states:
                    yield ep, key, w, state


def _scheduled_administrations(episode_ids: list[int]) -> QuerySet[Administration]:
    return (Administration.objects.filter(episode_id__in=episode_ids).exclude(status=AdministrationStatus.CANCELLED)
            .exclude(window_key=""))


def due_rows(*, episodes: list[Episode], today: date,
             states: tuple[WindowState, ...] = (WindowState.DUE, WindowState.OVERDUE)) -> list[DueRow]:
    """Scheduled windows in the given states for these episodes (two queries whatever their number)."""
    if not episodes:
        return []
    admins = _scheduled_administrations([e.pk for e in episodes]).only(
        "id", "public_id", "episode_id", "instrument_key", "window_key", "status")
    seen: dict[tuple[int, str, str], Administration] = {(a.episode_id, a.instrument_key, a.window_key): a
                                                         for a in admins}
    names = {k: d.short_name for k, d in library.shipped().items()}
    rows = []
    for ep, key, w, state in _windows_in_states(episodes, today, states, {k: a.status for k, a in seen.items()}):
        a = seen.get((ep.pk, key, w.key))
        rows.append(DueRow(ep, key, names.get(key, key), w, state,
                           a if a is not None and a.status == AdministrationStatus.DRAFT else None))
    rows.sort(key=lambda r: (r.window.due, r.episode.patient.legal_last_name))
    return rows


DUE_LIMIT = 500  # episodes read per due list (the oldest admissions first)


def _due_episodes(user: User, site: Any) -> QuerySet[Episode]:
    qs = Episode.objects.restrict(user, Cap.OUTCOMES_INVITE).filter(status=EpisodeStatus.ACTIVE)
    if site is not None:
        qs = qs.filter(program__site=site)
    # pk breaks ties, so the list and Today's count take the same episodes at the limit
    return qs.order_by("admitted_on", "pk")


def due_for(user: User, today: date, limit: int = DUE_LIMIT, site: Any = None) -> list[DueRow]:
    """Measures due at the user's sites, or at `site` (the working site) only."""
    episodes = list(_due_episodes(user, site).select_related("patient", "program__site", "track")[:limit])
    return due_rows(episodes=episodes, today=today)


@dataclass(frozen=True)
class _EpisodeDates:
    pk: int
    program_id: int
    track_id: int | None
    admitted_on: date
    discharged_on: date | None


def due_counts(user: User, today: date, limit: int = DUE_LIMIT, site: Any = None) -> tuple[int, int]:
    """(due or overdue, of which overdue): ``len(due_for(...))`` and its overdue rows, from plain values (no
    patient, program or administration objects): three queries."""
    episodes = [_EpisodeDates(*row) for row in _due_episodes(user, site).values_list(
        "pk", "program_id", "track_id", "admitted_on", "discharged_on")[:limit]]
    if not episodes:
        return 0, 0
    status_of = {(ep_id, key, wkey): status for ep_id, key, wkey, status in _scheduled_administrations(
        [e.pk for e in episodes]).values_list("episode_id", "instrument_key", "window_key", "status")}
    total = overdue = 0
    for _, _, _, state in _windows_in_states(episodes, today, (WindowState.DUE, WindowState.OVERDUE), status_of):
        total += 1
        overdue += state == WindowState.OVERDUE
    return total, overdue


# ---------------------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------------------
def alerts_for(user: User, *, include_acknowledged_days: int = 14, site: Any = None
               ) -> dict[str, list[CriticalAlert]]:
    """Open and recently acknowledged alerts at the user's sites, or at `site` (the working site) only."""
    scoped = CriticalAlert.objects.restrict(user, Cap.OUTCOMES_VIEW)
    if site is not None:
        scoped = scoped.filter(episode__program__site=site)
    base = (scoped.select_related("episode__patient", "episode__program__site", "acknowledged_by", "administration")
            .prefetch_related("recipients__user"))
    open_alerts = list(base.filter(status=AlertStatus.OPEN).order_by("raised_at")[:200])
    recent = list(base.filter(status=AlertStatus.ACKNOWLEDGED).order_by("-acknowledged_at")[:50])
    return {"open": open_alerts, "acknowledged": recent}


def open_alert_count(user: User) -> int:
    return CriticalAlert.objects.restrict(user, Cap.OUTCOMES_VIEW).filter(status=AlertStatus.OPEN).count()


# ---------------------------------------------------------------------------------------------------------
# Program outcomes report
# ---------------------------------------------------------------------------------------------------------
@dataclass
class ReportRow:
    definition: Definition
    summary: ProgramSummary


@dataclass
class ProgramReport:
    episodes: int
    rows: list[ReportRow]
    start: date
    end: date


ADMISSION_DAYS = 7  # a first score within a week of admission counts as "at admission" (program policy)
DISCHARGE_DAYS = 7  # a score in the last week of a discharged episode counts as "at discharge"


def program_report(*, program: Any, track: Any, start: date, end: date, organization: Any) -> ProgramReport:
    """Outcomes of episodes in care during [start, end]: first vs last completed score per episode.

    Queries: episodes, administrations (values), schedules, licensed definitions - four, whatever the size.
    """
    eps = Episode.objects.filter(program=program).exclude(status=EpisodeStatus.PLANNED).filter(
        Q(admitted_on__lte=end) & (Q(discharged_on__isnull=True) | Q(discharged_on__gte=start)))
    if track is not None:
        eps = eps.filter(track=track)
    episodes = list(eps.values("id", "admitted_on", "discharged_on", "track_id"))
    ids = [e["id"] for e in episodes]
    admins = (Administration.objects.filter(episode_id__in=ids, status=AdministrationStatus.COMPLETE)
              .values_list("episode_id", "instrument_key", "window_key", "completed_on", "primary_score")
              .order_by("completed_at"))
    per: dict[str, dict[int, list[tuple[str, date, int | None]]]] = defaultdict(lambda: defaultdict(list))
    for ep_id, key, wkey, on, value in admins:
        per[key][ep_id].append((wkey, on, value))
    schedules = list(AdministrationSchedule.objects.filter(program=program, active=True))
    instruments = library.instruments_for(organization)
    keys = sorted({s.instrument_key for s in schedules} | set(per))
    rows = []
    for key in keys:
        defn = instruments.get(key)
        if defn is None or defn.primary_scale is None:
            continue
        scale = defn.primary_scale
        pairs: list[tuple[int | None, int | None]] = []
        due = done = 0
        for ep in episodes:
            got = [x for x in per[key].get(ep["id"], []) if x[2] is not None]
            baseline = got[0] if got and got[0][1] <= ep["admitted_on"] + timedelta(days=ADMISSION_DAYS) else None
            final = got[-1] if len(got) > 1 else None
            if final is not None and ep["discharged_on"] is not None \
                    and final[1] < ep["discharged_on"] - timedelta(days=DISCHARGE_DAYS):
                final = None  # discharged without a score near discharge: not "assessed at discharge"
            pairs.append((baseline[2] if baseline else None, final[2] if final else None))
            s = _effective([x for x in schedules if x.instrument_key == key], ep["track_id"]).get(key)
            if s is None:
                continue
            done_keys = {x[0] for x in per[key].get(ep["id"], [])}
            for w in episode_windows(admitted_on=ep["admitted_on"], discharged_on=ep["discharged_on"],
                                     until=end, at_admission=s.at_admission, every_n_days=s.every_n_days,
                                     at_discharge=s.at_discharge):
                if w.key in done_keys:
                    due, done = due + 1, done + 1
                elif w.closes <= end:
                    due += 1  # closed without a completed administration: a missed window
        summary = summarize(pairs, reliable_change=scale.reliable_change, caseness=scale.caseness,
                            higher_is_better=scale.higher_is_better, windows_due=due, windows_completed=done)
        rows.append(ReportRow(defn, summary))
    return ProgramReport(len(episodes), rows, start, end)


# ---------------------------------------------------------------------------------------------------------
# Today counters and the chart overview card (registered in apps.py through trellis.core.registry)
# ---------------------------------------------------------------------------------------------------------
def today_alert_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    n = CriticalAlert.objects.restrict(user, Cap.OUTCOMES_VIEW).filter(status=AlertStatus.OPEN)
    if ctx.active_site is not None:
        n = n.filter(episode__program__site=ctx.active_site)
    count = n.count()
    return [TodayCounter(count, "critical outcome answers to acknowledge", reverse("outcomes:alerts") + "#open",
                         "danger" if count else "")]


def today_due_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    total, overdue = due_counts(user, ctx.day, site=ctx.active_site)
    return [TodayCounter(total, "outcome measures due" + (f" ({overdue} overdue)" if overdue else ""),
                         reverse("outcomes:due") + "#due", "warn" if overdue else "")]


def chart_panel(user: User, patient: Any, today: date) -> dict[str, Any] | None:
    """Latest score per instrument and open alerts for the chart overview (three queries)."""
    ids = list(episodes_of_patient_for(user, patient).values_list("pk", flat=True))
    if not ids:
        return None
    latest: dict[str, Administration] = {}
    for a in (Administration.objects.filter(episode_id__in=ids, status=AdministrationStatus.COMPLETE)
              .order_by("completed_at")):
        latest[a.instrument_key] = a
    names = {k: d.short_name for k, d in library.shipped().items()}
    open_alerts = CriticalAlert.objects.filter(episode_id__in=ids, status=AlertStatus.OPEN).count()
    return {"latest": [(names.get(k, k), a) for k, a in sorted(latest.items())], "open_alerts": open_alerts,
            "patient": patient}
