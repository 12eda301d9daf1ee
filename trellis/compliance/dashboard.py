"""Reads for the compliance dashboard, the worklist and Today's counter, scoped to the user, in a number of
queries that does not grow with the number of patients."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.attendance.models import Attendance
from trellis.compliance import engine_adapter
from trellis.compliance.alert_models import AlertState, ComplianceAlert
from trellis.compliance.weekstatus import STATUS_LABELS, STATUS_ORDER, EpisodeDay, EpisodeWeek
from trellis.core.clock import iso_week_bounds, today_in
from trellis.core.registry import TodayContext, TodayCounter
from trellis.coverage.models import Authorization, ConcurrentReview, ReviewOutcome, UnitKind
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.programs.models import Program


def auth_expiry_days() -> int:
    return int(getattr(settings, "TRELLIS_COMPLIANCE_AUTH_EXPIRY_DAYS", 3))


def auth_low_units() -> int:
    return int(getattr(settings, "TRELLIS_COMPLIANCE_AUTH_LOW_UNITS", 2))


def review_due_days() -> int:
    return int(getattr(settings, "TRELLIS_COMPLIANCE_REVIEW_DUE_DAYS", 1))


# ------------------------------------------------------------------------------------------------ worklist
def worklist_queryset(user: Any, *, site: Any = None, everyone: bool = False) -> QuerySet[ComplianceAlert]:
    """Open alerts routed to `user` (or, with `everyone`, every open alert at the user's sites)."""
    qs = ComplianceAlert.objects.restrict(user, Cap.COMPLIANCE_WORKLIST).filter(state=AlertState.OPEN)
    if not everyone:
        qs = qs.filter(recipients__user=user)
    if site is not None:
        qs = qs.filter(episode__program__site=site)
    return qs.select_related("patient", "episode__program__site", "episode__case_manager",
                             "episode__primary_clinician").order_by("-raised_at", "-pk")


def today_counters(user: Any, ctx: TodayContext) -> list[TodayCounter]:
    """Open compliance alerts routed to me: the same query as the worklist it links to (count = list length)."""
    n = worklist_queryset(user, site=ctx.active_site).count()
    return [TodayCounter(n, "compliance alerts for me", reverse("compliance:alerts") + "#compliance-alerts", "warn" if n else "")]


# ------------------------------------------------------------------------------------------------ units used
def billable_days_by_episode(episodes: list[Any], start: date, end: date) -> dict[int, list[EpisodeDay]]:
    return engine_adapter.days(episodes, start, end)


def units_used(auth: Authorization, days: list[EpisodeDay]) -> int:
    """Days (or per-diem units) used: billable days inside the authorization's dates."""
    return sum(1 for d in days if d.billable and auth.covers(d.day))


def authorization_usage(authorizations: Sequence[Authorization]) -> dict[int, int]:
    """Units used per authorization for `trellis.coverage.usage`: billable days inside its dates, up to today
    (days authorizations; unit authorizations count billable days too, one per-diem unit a day). Bounded: the
    engine's queries once per ISO week of the span, whatever the number of authorizations."""
    auths = list(authorizations)
    if not auths:
        return {}
    # One query for the episodes whatever the caller loaded with the authorizations.
    episodes = Episode.objects.filter(pk__in={a.episode_id for a in auths}).select_related("program__site").in_bulk()
    today = max(today_in(e.program.site.zone) for e in episodes.values())
    start = min(a.start_on for a in auths)
    end = min(max(a.end_on for a in auths), today)
    if end < start:
        return {a.pk: 0 for a in auths}
    days = billable_days_by_episode(list(episodes.values()), start, end)
    return {a.pk: units_used(a, days.get(a.episode_id, [])) for a in auths}


def authorization_usage_bound(authorizations: QuerySet[Authorization]) -> QuerySet[Authorization]:
    """`authorizations` annotated with ``units_used_bound``, never below what `authorization_usage` counts: a
    billable day needs counted minutes attended that day (`engine._days`: no counted minutes, not billable), so
    the site-local days inside the authorization's dates on which the episode has attendance with minutes bound
    its billable days. No engine run: Today's counter computes usage only where the bound says the authorization
    could be nearly used. One grouped query joining each authorization's episode's attendance through the
    attendance episode index (a correlated subquery let PostgreSQL start from every site's sessions in the
    date range instead: 400 ms against 25 ms at 10,000 patients)."""
    days = "episode__attendance__session__local_date"
    return authorizations.annotate(units_used_bound=Count(days, distinct=True, filter=Q(
        episode__attendance__minutes__gt=0, **{f"{days}__gte": F("start_on"), f"{days}__lte": F("end_on")})))


@dataclass
class AuthRow:
    auth: Authorization
    used: int
    left: int
    days_to_end: int
    reasons: list[str]


def authorizations_at_risk(*, episodes: list[Any], today: date) -> list[AuthRow]:
    """Authorizations of these episodes in force today that end within N days or have fewer than N units left
    (N from settings; two queries whatever the number of episodes)."""
    if not episodes:
        return []
    auths = list(Authorization.objects.filter(episode__in=[e.pk for e in episodes], start_on__lte=today,
                                              end_on__gte=today)
                 .select_related("episode__patient", "coverage__payer").order_by("end_on", "pk"))
    if not auths:
        return []
    start = min(a.start_on for a in auths)
    days = billable_days_by_episode([a.episode for a in auths], start, today)
    out = []
    for a in auths:
        used = units_used(a, days.get(a.episode_id, [])) if a.unit_kind == UnitKind.DAYS else 0
        left = a.units_authorized - used
        to_end = (a.end_on - today).days
        reasons = []
        if to_end <= auth_expiry_days():
            reasons.append(f"ends in {to_end} day{'s' if to_end != 1 else ''}")
        if a.unit_kind == UnitKind.DAYS and left < auth_low_units():
            reasons.append(f"{left} of {a.units_authorized} days left")
        if reasons:
            out.append(AuthRow(auth=a, used=used, left=left, days_to_end=to_end, reasons=reasons))
    return out


def reviews_due(*, episodes: list[Any], until: date) -> list[ConcurrentReview]:
    if not episodes:
        return []
    return list(ConcurrentReview.objects.filter(authorization__episode__in=[e.pk for e in episodes],
                                                outcome__in=[ReviewOutcome.PENDING, ReviewOutcome.PEER_TO_PEER],
                                                due_on__lte=until)
                .select_related("authorization__episode__patient", "authorization__coverage__payer")
                .order_by("due_on", "pk"))


# ------------------------------------------------------------------------------------------------ dashboard
@dataclass
class PatientWeek:
    episode: Episode
    week: EpisodeWeek


@dataclass
class StatusGroup:
    status: str
    label: str
    rows: list[PatientWeek] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class Dashboard:
    site: Any
    program: Program | None
    monday: date
    sunday: date
    groups: list[StatusGroup]
    authorizations: list[AuthRow]
    reviews: list[ConcurrentReview]
    version: str
    selected: str | None = None

    @property
    def shown(self) -> list[StatusGroup]:
        """The groups listed under the chart: the chosen status (drill-down), else every non-empty group."""
        if self.selected:
            return [g for g in self.groups if g.status == self.selected]
        return [g for g in self.groups if g.rows]

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def chart_height(self) -> int:
        return 30 * len(self.groups) + 6

    @property
    def chart(self) -> list[dict[str, Any]]:
        top = max((g.count for g in self.groups), default=0) or 1
        return [{"status": g.status, "label": g.label, "count": g.count, "pct": round(100 * g.count / top)}
                for g in self.groups]


def week_episodes(user: Any, *, site: Any, program: Program | None, monday: date) -> list[Episode]:
    sunday = monday + timedelta(days=6)
    qs = (Episode.objects.restrict(user, Cap.COMPLIANCE_DASHBOARD).filter(program__site=site)
          .exclude(status=EpisodeStatus.PLANNED).filter(admitted_on__lte=sunday)
          .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=monday)))
    if program is not None:
        qs = qs.filter(program=program)
    return list(qs.select_related("patient", "program", "track", "case_manager", "primary_clinician")
                .order_by("patient__legal_last_name", "patient__legal_first_name", "pk"))


def change_token(*, site: Any, monday: date) -> str:
    """Changes when attendance or sessions of the site's week change: the dashboard's poll answers 204 (nothing
    to swap, nothing audited) while it is the same."""
    sunday = monday + timedelta(days=6)
    agg = Attendance.objects.filter(session__site=site, session__local_date__gte=monday,
                                    session__local_date__lte=sunday).aggregate(n=Count("pk"), last=Max("updated_at"))
    last = agg["last"].isoformat() if agg["last"] else "-"
    return f"{agg['n']}.{last}"


def dashboard(user: Any, *, site: Any, program: Program | None, monday: date, status: str | None = None) -> Dashboard:
    episodes = week_episodes(user, site=site, program=program, monday=monday)
    weeks = engine_adapter.weeks(episodes, monday)
    grouped: dict[str, list[PatientWeek]] = defaultdict(list)
    for e in episodes:
        w = weeks.get(e.pk)
        if w is None:
            continue
        grouped[w.status].append(PatientWeek(e, w))
    groups = [StatusGroup(s, STATUS_LABELS[s], grouped.get(s, [])) for s in STATUS_ORDER]
    today = today_in(site.zone)
    in_force_on = min(max(today, monday), monday + timedelta(days=6))
    auths = authorizations_at_risk(episodes=episodes, today=in_force_on)
    reviews = reviews_due(episodes=episodes, until=max(in_force_on + timedelta(days=review_due_days()),
                                                        monday + timedelta(days=6)))
    return Dashboard(site=site, program=program, monday=monday, sunday=monday + timedelta(days=6), groups=groups,
                     authorizations=auths, reviews=reviews, version=change_token(site=site, monday=monday),
                     selected=status if status in STATUS_LABELS else None)


def week_of(day: date) -> date:
    return iso_week_bounds(day)[0]
