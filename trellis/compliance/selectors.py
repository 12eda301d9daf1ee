"""Compliance reads: load plain data for many episodes in a bounded number of queries, run the pure engine.

``weekly_results(episodes, monday)`` is the one entry point the pages, the command, compliance-ops (alerts,
dashboard, UR packet) and billing use. It is values-only: the ledger's facts arrive already summed per episode
and site-local day by one SQL aggregate (``attendance.selectors.day_totals_for_episodes``, plus the counted
flags), as plain ``engine.DayTotals`` tuples — no model row or dataclass per scheduled session. Queries,
whatever the number of episodes: day totals (2), primary coverages (1), payer assignments (1), requirement
sets with rules (2), closures (1) and — only when some week is at risk or cannot be met and proposals are
wanted — those episodes' session-level facts (about six, ``week_inputs``), this week's open groups with their
rosters (about five) and the care team's sessions (1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.attendance.selectors import day_totals_for_episodes, facts_for_episodes
from trellis.compliance import engine
from trellis.compliance.engine import (
    DayTotals,
    EpisodeWeek,
    OpenSession,
    Requirement,
    SessionSlot,
    WeekResult,
)
from trellis.compliance.models import PayerRequirementAssignment, RequirementRule, RequirementSet
from trellis.core.access import site_ids_for
from trellis.core.clock import site_zone, today_in
from trellis.coverage.models import Coverage, CoverageOrder
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.programs.models import ServiceType
from trellis.scheduling.models import OrganizationClosure, Session, SessionStatus
from trellis.scheduling.selectors import counts_toward_hours, rosters_for_sessions

#: Individual slots proposed for the care team: one hour (psychotherapy 90837 is 53+ minutes, AMA CPT) inside
#: the program day, on the hour.
INDIVIDUAL_SLOT_MINUTES = 60
INDIVIDUAL_SLOT_HOURS = range(9, 17)


@dataclass(frozen=True)
class ResolvedRequirement:
    requirement: Requirement
    rule: RequirementRule | None
    requirement_set: RequirementSet | None
    payer_name: str = ""


def _hours_to_minutes(value: Decimal | None) -> int | None:
    return None if value is None else int(Decimal(value) * 60)


def requirement_from_rule(rule: RequirementRule, requirement_set: RequirementSet | None = None) -> Requirement:
    rs = requirement_set or rule.requirement_set
    return Requirement(
        weekly_min_minutes=_hours_to_minutes(rule.weekly_min_hours) or 0,
        weekly_max_minutes=_hours_to_minutes(rule.weekly_max_hours),
        min_days_per_week=rule.min_days_per_week,
        per_diem_min_minutes=rule.per_diem_min_minutes,
        min_services_per_day=rule.min_services_per_day,
        partial_week=rule.partial_week,
        name=f"{rs.name} — {rule.get_level_of_care_display()}, {rule.get_population_display()}",
        source=rule.source,
        requirement_set_id=rs.pk,
    )


def _program_requirement(program: Any) -> Requirement:
    lo = _hours_to_minutes(program.weekly_hours_min) or 0
    hi = _hours_to_minutes(program.weekly_hours_max)
    return Requirement(weekly_min_minutes=lo, weekly_max_minutes=hi if hi is None or hi >= lo else None,
                       name=f"{program.name} weekly target", source="Program setup (no requirement set applies)")


def level_of(episode: Any) -> str:
    return episode.authorized_level or episode.program.level_of_care


def resolve_requirements(episodes: Sequence[Any], monday: date) -> dict[int, ResolvedRequirement]:
    """The requirement in force for each episode in the ISO week starting ``monday``. Four queries."""
    sunday = monday + timedelta(days=6)
    patient_ids = {e.patient_id for e in episodes}
    payer_of: dict[int, Any] = {}
    for cov in (Coverage.objects.filter(patient_id__in=patient_ids, order=CoverageOrder.PRIMARY,
                                        effective_from__lte=sunday)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=monday))
                .select_related("payer").order_by("patient_id", "-effective_from")):
        payer_of.setdefault(cov.patient_id, cov.payer)
    assigned: dict[int, int] = {}
    if payer_of:
        for a in (PayerRequirementAssignment.objects
                  .filter(payer_id__in={p.pk for p in payer_of.values()}, starts_on__lte=sunday)
                  .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=monday)).order_by("-starts_on")):
            assigned.setdefault(a.payer_id, a.requirement_set_id)
    org_ids = {e.program.site.organization_id for e in episodes}
    sets = list(RequirementSet.objects.filter(Q(organization__isnull=True) | Q(organization_id__in=org_ids),
                                              active=True).prefetch_related("rules"))
    by_id = {s.pk: s for s in sets}
    rules: dict[tuple[int, str, str], RequirementRule] = {}
    for s in sets:
        for r in s.rules.all():
            rules[(s.pk, r.level_of_care, r.population)] = r

    def default_for(org_id: int) -> RequirementSet | None:
        own = [s for s in sets if s.is_default and s.organization_id == org_id]
        return (own or [s for s in sets if s.is_default and s.organization_id is None] or [None])[0]

    def by_type(org_id: int, payer_type: str) -> RequirementSet | None:
        hits = [s for s in sets if s.payer_type == payer_type and s.organization_id in (org_id, None)]
        hits.sort(key=lambda s: s.organization_id is None)  # the organization's own set first
        return hits[0] if hits else None

    # Thousands of episodes share a handful of (payer, level, population, program) combinations: resolve each
    # combination once (the weekly lists run this for every episode in care).
    memo: dict[tuple[Any, ...], ResolvedRequirement] = {}
    out: dict[int, ResolvedRequirement] = {}
    for ep in episodes:
        org_id = ep.program.site.organization_id
        payer = payer_of.get(ep.patient_id)
        key_tail = (level_of(ep), ep.program.population)
        memo_key = (org_id, payer.pk if payer else None, *key_tail, ep.program_id)
        cached = memo.get(memo_key)
        if cached is not None:
            out[ep.pk] = cached
            continue
        candidates: list[RequirementSet | None] = []
        if payer is not None:
            candidates.append(by_id.get(assigned.get(payer.pk, -1)))
            candidates.append(by_type(org_id, payer.payer_type))
        candidates.append(default_for(org_id))
        found = None
        for rs in candidates:
            if rs is not None and (rs.pk, *key_tail) in rules:
                rule = rules[(rs.pk, *key_tail)]
                found = ResolvedRequirement(requirement_from_rule(rule, rs), rule, rs, payer.name if payer else "")
                break
        out[ep.pk] = memo[memo_key] = found or ResolvedRequirement(
            _program_requirement(ep.program), None, None, payer.name if payer else "")
    return out


def _slot(fact: Any) -> SessionSlot:
    return SessionSlot(
        session_id=fact.session_id, local_date=fact.local_date, starts_at=fact.starts_at, ends_at=fact.ends_at,
        service_type=fact.service_type, counts=fact.counts, scheduled_minutes=fact.scheduled_minutes,
        status=fact.status, attended_minutes=fact.minutes, break_minutes=fact.break_minutes, title=fact.title,
    )


def _closed_days(episodes: Sequence[Any], monday: date) -> dict[int, frozenset[date]]:
    sunday = monday + timedelta(days=6)
    org_ids = {e.program.site.organization_id for e in episodes}
    by_site: dict[int | None, set[date]] = defaultdict(set)
    by_org: dict[int, set[date]] = defaultdict(set)
    for org_id, site_id, day in OrganizationClosure.objects.filter(
        organization_id__in=org_ids, date__gte=monday, date__lte=sunday
    ).values_list("organization_id", "site_id", "date"):
        (by_site[site_id] if site_id else by_org[org_id]).add(day)
    per_site: dict[int, frozenset[date]] = {}
    out: dict[int, frozenset[date]] = {}
    for e in episodes:
        days = per_site.get(e.program.site_id)
        if days is None:
            days = per_site[e.program.site_id] = frozenset(
                by_site.get(e.program.site_id, set()) | by_org.get(e.program.site.organization_id, set()))
        out[e.pk] = days
    return out


def _episodes_with_program(episodes: Iterable[Any]) -> list[Any]:
    """Episodes loaded with program and site (one query if they were not)."""
    episodes = list(episodes)
    if episodes and not all(
        "program" in e._state.fields_cache and "site" in e.program._state.fields_cache for e in episodes
    ):
        by_pk = {e.pk: e for e in Episode.objects.filter(pk__in=[e.pk for e in episodes])
                 .select_related("program__site", "primary_clinician")}
        episodes = [by_pk[e.pk] for e in episodes if e.pk in by_pk]
    return episodes


def week_inputs(
    episodes: Iterable[Any], monday: date, *, now: datetime | None = None, propose: bool = True
) -> tuple[list[EpisodeWeek], dict[int, ResolvedRequirement]]:
    """Plain engine inputs (without open sessions) for many episodes in one ISO week."""
    episodes = _episodes_with_program(episodes)
    if not episodes:
        return [], {}
    now = now or timezone.now()
    sunday = monday + timedelta(days=6)
    facts_by_episode: dict[int, list[Any]] = defaultdict(list)
    for fact in facts_for_episodes(episodes, monday, sunday):
        facts_by_episode[fact.episode_id].append(fact)
    resolved = resolve_requirements(episodes, monday)
    closed = _closed_days(episodes, monday)
    inputs = [
        EpisodeWeek(
            episode_id=e.pk, monday=monday, admitted_on=e.admitted_on, discharged_on=e.discharged_on,
            requirement=resolved[e.pk].requirement,
            sessions=tuple(_slot(f) for f in sorted(facts_by_episode.get(e.pk, ()), key=lambda f: f.starts_at)),
            now=now, closed_days=closed[e.pk], propose=propose,
        )
        for e in episodes
    ]
    return inputs, resolved


def _open_sessions(episodes: Sequence[Any], inputs: list[EpisodeWeek], monday: date,
                   now: datetime) -> dict[int, tuple[OpenSession, ...]]:
    """Open sessions each (struggling) episode could add this week: other tracks' groups of the same program with
    a free seat, and one free individual hour per remaining day with the primary clinician."""
    sunday = monday + timedelta(days=6)
    counts = counts_toward_hours()
    program_ids = {e.program_id for e in episodes}
    groups = list(
        Session.objects.filter(program_id__in=program_ids, local_date__gte=monday, local_date__lte=sunday,
                               starts_at__gt=now, status=SessionStatus.SCHEDULED, episode__isnull=True)
        .select_related("room", "site").prefetch_related("tracks")
    )
    groups = [g for g in groups if counts.get(g.service_type, True)]
    rosters = rosters_for_sessions(groups, with_patients=False) if groups else {}
    clinician_ids = {e.primary_clinician_id for e in episodes if e.primary_clinician_id}
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if clinician_ids:
        for fac, co, start, end in Session.objects.filter(
            Q(facilitator_id__in=clinician_ids) | Q(co_facilitator_id__in=clinician_ids),
            local_date__gte=monday, local_date__lte=sunday, status=SessionStatus.SCHEDULED,
        ).values_list("facilitator_id", "co_facilitator_id", "starts_at", "ends_at"):
            for uid in (fac, co):
                if uid in clinician_ids:
                    busy[uid].append((start, end))
    by_input = {i.episode_id: i for i in inputs}
    out: dict[int, tuple[OpenSession, ...]] = {}
    for ep in episodes:
        mine = {s.session_id for s in by_input[ep.pk].sessions}
        options: list[OpenSession] = []
        for g in groups:
            if g.program_id != ep.program_id or g.pk in mine:
                continue
            roster = rosters.get(g.pk)
            if roster is not None and any(m.episode.pk == ep.pk for m in roster.members):
                continue
            cap = g.effective_capacity
            seats = None if cap is None else cap - (len(roster) if roster else 0)
            tracks = ", ".join(t.name for t in g.tracks.all()) or "No track"
            options.append(OpenSession(
                session_id=g.pk, local_date=g.local_date, starts_at=g.starts_at, ends_at=g.ends_at, title=g.title,
                service_type=g.service_type, counts=True, minutes=g.minutes, break_minutes=g.break_minutes,
                kind="group", detail=tracks, seats_left=seats,
            ))
        clinician = ep.primary_clinician if ep.primary_clinician_id else None
        if clinician is not None:
            zone = site_zone(ep.program.site)
            patient_busy = [(s.starts_at, s.ends_at) for s in by_input[ep.pk].sessions if not s.cancelled]
            for offset in range(7):
                day = monday + timedelta(days=offset)
                if day.weekday() > 4 or day < ep.admitted_on:
                    continue
                for hour in INDIVIDUAL_SLOT_HOURS:
                    start = datetime.combine(day, time(hour)).replace(tzinfo=zone)
                    end = start + timedelta(minutes=INDIVIDUAL_SLOT_MINUTES)
                    if start <= now:
                        continue
                    if any(start < b and a < end for a, b in busy[clinician.pk] + patient_busy):
                        continue
                    options.append(OpenSession(
                        session_id=None, local_date=day, starts_at=start, ends_at=end,
                        title="Individual therapy", service_type=ServiceType.INDIVIDUAL_THERAPY,
                        counts=counts.get(ServiceType.INDIVIDUAL_THERAPY, True), minutes=INDIVIDUAL_SLOT_MINUTES,
                        kind="individual", detail=clinician.display_name,
                    ))
                    break
        out[ep.pk] = tuple(options)
    return out


def week_totals_inputs(
    episodes: Iterable[Any], monday: date, *, now: datetime | None = None
) -> tuple[list[EpisodeWeek], dict[int, ResolvedRequirement]]:
    """Engine inputs for many episodes in one ISO week from the values-only loader: each ``EpisodeWeek`` carries
    ``day_totals`` (plain tuples summed in SQL) instead of sessions. A constant number of queries."""
    episodes = _episodes_with_program(episodes)
    if not episodes:
        return [], {}
    now = now or timezone.now()
    totals: dict[int, list[DayTotals]] = defaultdict(list)
    for row in day_totals_for_episodes([e.pk for e in episodes], monday, monday + timedelta(days=6)):
        totals[row[0]].append(DayTotals(*row[1:]))
    resolved = resolve_requirements(episodes, monday)
    closed = _closed_days(episodes, monday)
    inputs = [
        EpisodeWeek(
            episode_id=e.pk, monday=monday, admitted_on=e.admitted_on, discharged_on=e.discharged_on,
            requirement=resolved[e.pk].requirement, day_totals=tuple(totals.get(e.pk, ())), now=now,
            closed_days=closed[e.pk], propose=False,
        )
        for e in episodes
    ]
    return inputs, resolved


def weekly_results(
    episodes: Iterable[Any], monday: date, *, now: datetime | None = None, proposals: bool = True
) -> dict[int, WeekResult]:
    """Engine results keyed by episode pk for one ISO week. Bounded queries (see the module docstring).

    Every week is judged from the SQL day totals; only weeks at risk or that cannot be met, when ``proposals`` are
    wanted, are judged again from their sessions (the proposal names sessions), with the open sessions to add.
    ``remaining_sessions`` is filled only on those weeks."""
    episodes = _episodes_with_program(episodes)
    now = now or timezone.now()
    inputs, _ = week_totals_inputs(episodes, monday, now=now)
    results = {r.episode_id: r for r in engine.evaluate_weeks(inputs)}
    if proposals:
        struggling = [e for e in episodes
                      if results[e.pk].status in (engine.Status.AT_RISK, engine.Status.CANNOT_MEET)]
        if struggling:
            detailed, _ = week_inputs(struggling, monday, now=now, propose=True)
            opens = _open_sessions(struggling, detailed, monday, now)
            for i in detailed:
                results[i.episode_id] = engine.evaluate_week(
                    EpisodeWeek(**{**i.__dict__, "open_sessions": opens.get(i.episode_id, ())}))
    return results


def episode_weeks(episode: Any, start: date, end: date, *, now: datetime | None = None) -> list[WeekResult]:
    """Week-by-week results for one episode (the chart's Hours tab): the ledger's facts for the whole range in one
    batch, the requirement resolved per week (a payer or its set may change between weeks)."""
    (episode,) = _episodes_with_program([episode])
    now = now or timezone.now()
    first = engine.week_monday(start)
    mondays = []
    while first <= end:
        mondays.append(first)
        first += timedelta(days=7)
    if not mondays:
        return []
    facts: dict[date, list[Any]] = defaultdict(list)
    for fact in facts_for_episodes([episode], mondays[0], mondays[-1] + timedelta(days=6)):
        facts[engine.week_monday(fact.local_date)].append(fact)
    out = []
    for monday in mondays:
        resolved = resolve_requirements([episode], monday)[episode.pk]
        out.append(engine.evaluate_week(EpisodeWeek(
            episode_id=episode.pk, monday=monday, admitted_on=episode.admitted_on,
            discharged_on=episode.discharged_on, requirement=resolved.requirement,
            sessions=tuple(_slot(f) for f in sorted(facts.get(monday, ()), key=lambda f: f.starts_at)),
            now=now, closed_days=_closed_days([episode], monday)[episode.pk],
        )))
    return out


def current_monday(site: Any) -> date:
    return engine.week_monday(today_in(site_zone(site)))


def active_episodes_in_week(sites: Iterable[Any], monday: date) -> QuerySet[Episode]:
    """Episodes in care on at least one day of the ISO week at these sites."""
    sunday = monday + timedelta(days=6)
    return (
        Episode.objects.filter(program__site__in=list(sites), admitted_on__lte=sunday)
        .exclude(status=EpisodeStatus.PLANNED)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=monday))
        .select_related("patient", "program__site", "track", "primary_clinician", "case_manager")
        .order_by("patient__legal_last_name", "patient__legal_first_name", "pk")
    )


def episodes_for(user: User, sites: Iterable[Any], monday: date,
                 capability: str = Cap.COMPLIANCE_VIEW) -> QuerySet[Episode]:
    """Active episodes of the week at ``sites``, limited to what ``user`` may see with ``capability``."""
    allowed = set(site_ids_for(user, capability))
    return active_episodes_in_week([s for s in sites if s.pk in allowed], monday)


def requirement_sets_for(organization: Any) -> QuerySet[RequirementSet]:
    """The organization's own sets and the built-in ones, with rules and assignments (three queries)."""
    return (RequirementSet.objects.filter(Q(organization=organization) | Q(organization__isnull=True))
            .prefetch_related("rules", "assignments__payer").order_by("organization_id", "name"))
