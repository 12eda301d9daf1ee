"""Every read the coverage pages (and billing's coverage source) need, scoped to the user, bounded queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.core.registry import TodayContext, TodayCounter
from trellis.coverage import rules
from trellis.coverage.models import (
    Authorization,
    ConcurrentReview,
    Coverage,
    CoverageOrder,
    Payer,
    ReviewOutcome,
)
from trellis.coverage.usage import units_used_for, usage_bound
from trellis.episodes.models import Episode, EpisodeStatus

if TYPE_CHECKING:
    from trellis.accounts.models import User


# ---------------------------------------------------------------------------------------------------------
# Payers
# ---------------------------------------------------------------------------------------------------------
def payers_for(user: User, *, active_only: bool = False) -> QuerySet[Payer]:
    org_id = getattr(user, "organization_id", None)
    if org_id is None:
        return Payer.objects.none()
    qs = Payer.objects.filter(organization_id=org_id)
    return qs.filter(active=True) if active_only else qs


# ---------------------------------------------------------------------------------------------------------
# Authorizations with usage and state
# ---------------------------------------------------------------------------------------------------------
@dataclass
class AuthRow:
    auth: Authorization
    used: int | None  # None: no usage source registered ("not yet computed")
    state: rules.AuthState
    pending_review: ConcurrentReview | None = None
    reviews: list[ConcurrentReview] = field(default_factory=list)

    @property
    def remaining(self) -> int | None:
        return rules.remaining(self.auth.units_authorized, self.used)

    @property
    def over_by(self) -> int:
        return max(0, (self.used or 0) - self.auth.units_authorized)

    @property
    def percent_used(self) -> int | None:
        if self.used is None:
            return None
        return min(100, round(100 * self.used / self.auth.units_authorized))


def _rows(auths: Sequence[Authorization], today: date, *, with_reviews: bool = True) -> list[AuthRow]:
    used = units_used_for(auths)
    rows = []
    for auth in auths:
        u = None if used is None else used.get(auth.pk, 0)
        state = rules.authorization_state(start=auth.start_on, end=auth.end_on,
                                          units_authorized=auth.units_authorized, units_used=u, today=today)
        reviews = list(auth.reviews.all()) if with_reviews else []
        pending = next((r for r in reviews if r.outcome == ReviewOutcome.PENDING), None)
        rows.append(AuthRow(auth, u, state, pending, reviews))
    return rows


def _auths(user: User, capability: str) -> QuerySet[Authorization]:
    return (Authorization.objects.restrict(user, capability)
            .select_related("coverage__payer", "episode__program__site", "episode__patient"))


# ---------------------------------------------------------------------------------------------------------
# The chart's Coverage tab
# ---------------------------------------------------------------------------------------------------------
@dataclass
class PatientCoverage:
    coverages: list[Coverage]
    authorizations: list[AuthRow]
    episodes: list[Episode]
    usage_known: bool
    uncovered_episodes: list[Episode]


def patient_coverage(user: User, patient: Any, today: date) -> PatientCoverage:
    """Coverages (in force first), authorizations with usage, state and reviews, and the patient's episodes at the
    user's sites. Five queries plus the usage provider's, whatever the number of rows."""
    coverages = sorted(
        Coverage.objects.restrict(user, Cap.COVERAGE_VIEW).filter(patient=patient).select_related("payer"),
        key=lambda c: (not c.active_on(today), c.order, -c.effective_from.toordinal()),
    )
    for c in coverages:
        c.in_force = c.active_on(today)
    episodes = list(Episode.objects.restrict(user, Cap.COVERAGE_VIEW).filter(patient=patient)
                    .select_related("program__site", "track").order_by("-admitted_on"))
    auths = list(_auths(user, Cap.COVERAGE_VIEW).filter(episode__patient=patient)
                 .prefetch_related(Prefetch("reviews", queryset=ConcurrentReview.objects.order_by("due_on", "pk")
                                            .select_related("recorded_by")))
                 .order_by("-start_on", "-pk"))
    rows = _rows(auths, today)
    uncovered = [e for e in episodes if e.status == EpisodeStatus.ACTIVE
                 and not any(r.auth.episode_id == e.pk and r.auth.covers(today) for r in rows)
                 and any(c.active_on(today) and c.payer.requires_authorization for c in coverages)]
    return PatientCoverage(coverages, rows, episodes, units_used_for([]) is not None, uncovered)


def episode_authorizations(user: User, episode: Episode, today: date) -> list[AuthRow]:
    auths = list(_auths(user, Cap.COVERAGE_VIEW).filter(episode=episode)
                 .prefetch_related(Prefetch("reviews", queryset=ConcurrentReview.objects.order_by("due_on", "pk")))
                 .order_by("-start_on"))
    return _rows(auths, today)


def authorization_row(auth: Authorization, today: date) -> AuthRow:
    return _rows([auth], today)[0]


def coverages_in_force(user: User, patient: Any, day: date) -> list[Coverage]:
    return list(Coverage.objects.restrict(user, Cap.COVERAGE_VIEW).filter(patient=patient).active_on(day)
                .select_related("payer").order_by("order"))


# ---------------------------------------------------------------------------------------------------------
# The utilization-review worklist and Today's counters
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Worklist:
    reviews_due: list[ConcurrentReview]
    authorizations: list[AuthRow]  # expiring soon, nearly used, used up or over, not renewed
    unauthorized: list[tuple[Episode, Coverage]]  # active episodes whose payer requires one, none in force
    usage_known: bool
    today: date

    @property
    def patients(self) -> list[Any]:
        seen: dict[int, Any] = {}
        for r in self.reviews_due:
            seen.setdefault(r.authorization.episode.patient_id, r.authorization.episode.patient)
        for row in self.authorizations:
            seen.setdefault(row.auth.episode.patient_id, row.auth.episode.patient)
        for episode, _ in self.unauthorized:
            seen.setdefault(episode.patient_id, episode.patient)
        return list(seen.values())


def _site_filter(qs: QuerySet, path: str, site_ids: Iterable[int] | None) -> QuerySet:
    return qs if site_ids is None else qs.filter(**{f"{path}__in": list(site_ids)})


def reviews_due(user: User, today: date, site_ids: Iterable[int] | None = None) -> QuerySet[ConcurrentReview]:
    """Pending reviews due today or overdue, on authorizations of active episodes."""
    qs = (ConcurrentReview.objects.restrict(user, Cap.AUTHORIZATION_MANAGE)
          .filter(outcome=ReviewOutcome.PENDING, due_on__lte=today,
                  authorization__episode__status=EpisodeStatus.ACTIVE)
          .select_related("authorization__coverage__payer", "authorization__episode__patient",
                          "authorization__episode__program__site", "authorization__episode__case_manager")
          .order_by("due_on", "pk"))
    return _site_filter(qs, "authorization__episode__program__site_id", site_ids)


def _current_auths(user: User, today: date, site_ids: Iterable[int] | None) -> list[Authorization]:
    qs = (_auths(user, Cap.AUTHORIZATION_MANAGE)
          .filter(end_on__gte=today, episode__status=EpisodeStatus.ACTIVE)
          .select_related("episode__case_manager").order_by("end_on", "pk"))
    return list(_site_filter(qs, "episode__program__site_id", site_ids))


def authorizations_needing_action(user: User, today: date, site_ids: Iterable[int] | None = None) -> list[AuthRow]:
    """In force today and expiring within a week, nearly used, used up or over - unless a later authorization
    for the same coverage and level already takes over (renewed). Two queries plus the usage provider's."""
    auths = _current_auths(user, today, site_ids)
    later: dict[tuple[int, str], date] = {}
    for a in auths:
        key = (a.coverage_id, a.level_of_care)
        later[key] = max(later.get(key, a.end_on), a.end_on)
    in_force = [a for a in auths if a.start_on <= today <= a.end_on]
    rows = _rows(in_force, today, with_reviews=False)
    return [r for r in rows if r.state.needs_action and later[(r.auth.coverage_id, r.auth.level_of_care)] <= r.auth.end_on]


def unauthorized_episodes(user: User, today: date, site_ids: Iterable[int] | None = None) -> list[tuple[Episode, Coverage]]:
    """Active episodes receiving services under a payer that requires authorization, with none in force today
    (days worked without an authorization are at risk of denial, CARC 197). Three queries."""
    episodes = list(_site_filter(
        Episode.objects.restrict(user, Cap.AUTHORIZATION_MANAGE)
        .filter(status=EpisodeStatus.ACTIVE, admitted_on__lte=today)
        .select_related("patient", "program__site", "case_manager").order_by("admitted_on", "pk"),
        "program__site_id", site_ids))
    if not episodes:
        return []
    patient_ids = {e.patient_id for e in episodes}
    primary: dict[int, Coverage] = {}
    for cov in (Coverage.objects.filter(patient_id__in=patient_ids, order=CoverageOrder.PRIMARY,
                                        payer__requires_authorization=True).active_on(today)
                .select_related("payer")):
        primary[cov.patient_id] = cov
    authorized = set(Authorization.objects.filter(episode__in=[e.pk for e in episodes], start_on__lte=today,
                                                  end_on__gte=today).values_list("episode_id", flat=True))
    return [(e, primary[e.patient_id]) for e in episodes if e.patient_id in primary and e.pk not in authorized]


def _in_force_not_renewed(user: User, today: date, site_ids: Iterable[int] | None) -> QuerySet[Authorization]:
    """The authorizations `authorizations_needing_action` judges, as one queryset: in force today, of active
    episodes, with no current authorization for the same coverage and level ending later (renewed)."""
    current = _site_filter(Authorization.objects.restrict(user, Cap.AUTHORIZATION_MANAGE)
                           .filter(end_on__gte=today, episode__status=EpisodeStatus.ACTIVE),
                           "episode__program__site_id", site_ids)
    renewed = current.filter(coverage_id=OuterRef("coverage_id"), level_of_care=OuterRef("level_of_care"),
                             end_on__gt=OuterRef("end_on"))
    return current.filter(start_on__lte=today).exclude(Exists(renewed))


def count_authorizations_needing_action(user: User, today: date, site_ids: Iterable[int] | None = None) -> int:
    """``len(authorizations_needing_action(...))`` without building the list: expiring ones are counted in SQL
    (their state needs action whatever the units used); of the others only those that could be nearly used, used
    up or over - by the usage provider's upper bound, when it registered one - get their usage computed.

    An in-force authorization needs action exactly when it expires within `rules.EXPIRING_WITHIN_DAYS` or, with
    usage known, has at most `rules.NEARLY_USED_UNITS` left (or none, or is over): `rules.authorization_state`."""
    qs = _in_force_not_renewed(user, today, site_ids)
    # (end - today).days < EXPIRING_WITHIN_DAYS  <=>  end_on < today + EXPIRING_WITHIN_DAYS
    expiring_before = today + timedelta(days=rules.EXPIRING_WITHIN_DAYS)
    expiring = qs.filter(end_on__lt=expiring_before).count()
    if units_used_for([]) is None:  # usage unknown: only the dates decide (rules.authorization_state)
        return expiring
    rest = qs.filter(end_on__gte=expiring_before)
    bound = usage_bound()
    if bound is not None:
        rest = bound(rest).filter(units_used_bound__gte=F("units_authorized") - rules.NEARLY_USED_UNITS)
    candidates = list(rest.order_by("pk"))
    rows = _rows(candidates, today, with_reviews=False)
    return expiring + sum(1 for r in rows if r.state.needs_action)


def count_unauthorized_episodes(user: User, today: date, site_ids: Iterable[int] | None = None) -> int:
    """``len(unauthorized_episodes(...))`` as one COUNT query."""
    requires = (Coverage.objects.filter(patient_id=OuterRef("patient_id"), order=CoverageOrder.PRIMARY,
                                        payer__requires_authorization=True).active_on(today))
    authorized = Authorization.objects.filter(episode_id=OuterRef("pk"), start_on__lte=today, end_on__gte=today)
    return _site_filter(
        Episode.objects.restrict(user, Cap.AUTHORIZATION_MANAGE)
        .filter(status=EpisodeStatus.ACTIVE, admitted_on__lte=today),
        "program__site_id", site_ids,
    ).filter(Exists(requires)).exclude(Exists(authorized)).count()


def worklist(user: User, today: date, site_ids: Iterable[int] | None = None) -> Worklist:
    return Worklist(list(reviews_due(user, today, site_ids)), authorizations_needing_action(user, today, site_ids),
                    unauthorized_episodes(user, today, site_ids), units_used_for([]) is not None, today)


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """Counts equal to the worklist sections they link to (same filters, same site filter), by COUNT queries
    instead of building the lists (issue 9): the authorizations' usage only for those that could need it."""
    site_ids = [ctx.active_site.pk] if ctx.active_site is not None else None
    url = reverse("coverage:worklist")
    if ctx.active_site is not None:
        url += f"?site={ctx.active_site.public_id}"
    due = reviews_due(user, ctx.day, site_ids).count()
    needing = count_authorizations_needing_action(user, ctx.day, site_ids)
    without = count_unauthorized_episodes(user, ctx.day, site_ids)
    return [
        TodayCounter(due, "concurrent reviews due", f"{url}#reviews-due", "warn" if due else ""),
        TodayCounter(needing, "authorizations expiring or nearly used", f"{url}#authorizations",
                     "warn" if needing else ""),
        TodayCounter(without, "patients in care without an authorization", f"{url}#unauthorized",
                     "danger" if without else ""),
    ]


# ---------------------------------------------------------------------------------------------------------
# Coverage in force for billing (plain lookups; billing builds its boundary dataclasses from these)
# ---------------------------------------------------------------------------------------------------------
def coverage_in_force(episode: Episode, day: date, order: str = CoverageOrder.PRIMARY) -> Coverage | None:
    """The patient's coverage of this order on that day (one query). Not user-scoped: billing runs it as a
    system process over its own organization's claims."""
    return (Coverage.objects.filter(patient_id=episode.patient_id, order=order).active_on(day)
            .select_related("payer").order_by("-effective_from").first())


def authorization_in_force(episode: Episode, day: date) -> Authorization | None:
    """The episode's authorization covering that day (one query); at the episode's current level first."""
    auths = list(Authorization.objects.filter(episode_id=episode.pk, start_on__lte=day, end_on__gte=day)
                 .select_related("coverage__payer").order_by("-start_on"))
    level = episode.authorized_level or episode.recommended_level
    return next((a for a in auths if a.level_of_care == level), auths[0] if auths else None)


class CoverageIndex:
    """Coverages and authorizations of many episodes loaded at once (two queries), for batch work such as
    billing's charge capture over a date range: `coverage_on(episode, day)`, `authorization_on(episode, day)`."""

    def __init__(self, episodes: Sequence[Episode]) -> None:
        self.coverages: dict[int, list[Coverage]] = defaultdict(list)
        for cov in (Coverage.objects.filter(patient_id__in={e.patient_id for e in episodes},
                                            order=CoverageOrder.PRIMARY)
                    .select_related("payer").order_by("-effective_from")):
            self.coverages[cov.patient_id].append(cov)
        self.auths: dict[int, list[Authorization]] = defaultdict(list)
        for auth in (Authorization.objects.filter(episode_id__in=[e.pk for e in episodes])
                     .select_related("coverage__payer").order_by("-start_on")):
            self.auths[auth.episode_id].append(auth)

    def coverage_on(self, episode: Episode, day: date) -> Coverage | None:
        return next((c for c in self.coverages.get(episode.patient_id, []) if c.active_on(day)), None)

    def authorization_on(self, episode: Episode, day: date) -> Authorization | None:
        level = episode.authorized_level or episode.recommended_level
        covering = [a for a in self.auths.get(episode.pk, []) if a.covers(day)]
        return next((a for a in covering if a.level_of_care == level), covering[0] if covering else None)

