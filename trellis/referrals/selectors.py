"""Referral / intake reads, scoped to the user's sites, with bounded query counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import sites_with
from trellis.accounts.sites import in_view, scope_for
from trellis.core.clock import now
from trellis.core.registry import TodayContext, TodayCounter
from trellis.referrals import criteria as criteria_mod
from trellis.referrals.models import (
    OPEN_STATUSES,
    IntakeAssessment,
    LevelOfCareDetermination,
    LossReason,
    ProgramAdmissionCriteria,
    Referral,
    ReferralSource,
    ReferralStatus,
    SafetyPlan,
    SuicideRiskScreen,
)

BOARD_COLUMNS = [
    ReferralStatus.RECEIVED,
    ReferralStatus.SCREENING,
    ReferralStatus.INTAKE_SCHEDULED,
    ReferralStatus.ASSESSED,
    ReferralStatus.ADMITTED,
    ReferralStatus.DECLINED,
    ReferralStatus.NOT_REACHED,
    ReferralStatus.REFERRED_ELSEWHERE,
]
BOARD_CARD_LIMIT = 50  # per column; older cards are reachable from the list view


def _site_ids(user: User, capability: str) -> list[int]:
    return [s.pk for s in sites_with(user, capability)]


def sources_for(user: User) -> QuerySet[ReferralSource]:
    orgs = {s.organization_id for s in sites_with(user, Cap.REFERRAL_VIEW)}
    return ReferralSource.objects.filter(organization_id__in=orgs).prefetch_related("contacts")


def loss_reasons_for(organization: Any) -> QuerySet[LossReason]:
    return LossReason.objects.filter(organization=organization, active=True)


def referrals_for(user: User, capability: str = Cap.REFERRAL_VIEW) -> QuerySet[Referral]:
    return Referral.objects.filter(site_id__in=_site_ids(user, capability)).select_related(
        "site", "source", "owner", "program", "loss_reason", "patient"
    )


def next_steps_due(user: User, *, sites: list[Any], day: Any) -> QuerySet[Referral]:
    """The user's own open referrals at `sites` whose next step is due on `day` or earlier: Today's counter and
    the board's "next step due" filter both read this, so the number and the list cannot drift."""
    return referrals_for(user).filter(site__in=sites, owner=user, next_step_due__lte=day,
                                      status__in=OPEN_STATUSES)


def board(user: User, site: Any, *, limit: int = BOARD_CARD_LIMIT, owner: Any = None,
          source: Any = None, sites: list[Any] | None = None, due_by: Any = None) -> list[dict[str, Any]]:
    """Columns of the pipeline board for one site, or for `sites` (all the user's sites) when `site` is None
    (one query per column, bounded); optionally only one owner's referrals or one source's, or only the user's
    next steps due by `due_by`."""
    scope = [site] if site is not None else list(sites or [])
    if due_by is not None:
        base = next_steps_due(user, sites=scope, day=due_by)
    else:
        base = referrals_for(user).filter(site__in=scope)
    if owner is not None:
        base = base.filter(owner=owner)
    if source is not None:
        base = base.filter(source=source)
    columns = []
    for status in BOARD_COLUMNS:
        qs = base.filter(status=status)
        order = ["next_step_due", "-received_at"] if status in (
            ReferralStatus.RECEIVED, ReferralStatus.SCREENING, ReferralStatus.INTAKE_SCHEDULED,
            ReferralStatus.ASSESSED) else ["-closed_at"]
        cards = list(qs.order_by(*order)[: limit + 1])
        columns.append({
            "status": status.value,
            "label": status.label,
            "cards": cards[:limit],
            "more": len(cards) > limit,
        })
    return columns


def referral_events(referral: Referral) -> list[Any]:
    return list(referral.events.select_related("by").all())


def intakes_for_patient(patient: Any) -> QuerySet[IntakeAssessment]:
    return IntakeAssessment.objects.filter(patient=patient).select_related("clinician", "site", "referral")


def intake_detail(intake: IntakeAssessment) -> IntakeAssessment:
    return (
        IntakeAssessment.objects.select_related("patient", "site", "clinician", "referral")
        .prefetch_related(
            Prefetch("risk_screens", queryset=SuicideRiskScreen.objects.prefetch_related("safety_plans")),
        )
        .get(pk=intake.pk)
    )


def intakes_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[IntakeAssessment]:
    return IntakeAssessment.objects.filter(site_id__in=_site_ids(user, capability))


def screens_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[SuicideRiskScreen]:
    return SuicideRiskScreen.objects.filter(site_id__in=_site_ids(user, capability))


def determinations_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[LevelOfCareDetermination]:
    return LevelOfCareDetermination.objects.filter(program__site_id__in=_site_ids(user, capability))


def unresolved_high_risk(patient: Any) -> list[SuicideRiskScreen]:
    """High-risk screens without a completed safety plan: the patient must not leave."""
    screens = (
        SuicideRiskScreen.objects.filter(patient=patient, requires_safety_plan=True)
        .prefetch_related(Prefetch("safety_plans", queryset=SafetyPlan.objects.exclude(completed_at=None)))
    )
    return [s for s in screens if not s.safety_plans.all()]


def criteria_for_program(program: Any) -> criteria_mod.CriteriaSet:
    """The program's declared criteria, or the template for its level (ASAM for Part 2 SUD programs)."""
    stored = ProgramAdmissionCriteria.objects.filter(program=program).first()
    if stored is not None:
        return criteria_mod.CriteriaSet.from_data(stored.data)
    if program.is_part2:
        return criteria_mod.TEMPLATES["asam"]
    return criteria_mod.TEMPLATES["php_mh" if program.level_of_care == "php" else "iop_mh"]


def latest_determination(patient: Any, program: Any) -> LevelOfCareDetermination | None:
    return (
        LevelOfCareDetermination.objects.filter(patient=patient, program=program, episode__isnull=True)
        .order_by("-determined_at")
        .first()
    )


def latest_intake(patient: Any) -> IntakeAssessment | None:
    return IntakeAssessment.objects.filter(patient=patient).order_by("-assessed_on", "-id").first()


def pipeline_kpi(user: User, site: Any, *, days: int = 90, sites: list[Any] | None = None) -> Any:
    """Referral KPIs for a site (or for `sites` when `site` is None) over the last `days` days (one query)."""
    import datetime as dt

    from trellis.referrals.kpi import pipeline_kpi as compute

    since = now() - dt.timedelta(days=days)
    scope = [site] if site is not None else list(sites or [])
    rows = referrals_for(user).filter(site__in=scope, received_at__gte=since).values_list(
        "status", "received_at", "closed_at")
    return compute(rows)


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """The user's own referrals whose next step is due today or earlier, at the sites in view; links to the
    board filtered the same way."""
    site, sites = scope_for(user, Cap.REFERRAL_VIEW, ctx.active_site)
    due = next_steps_due(user, sites=in_view(sites, site), day=ctx.day).count()
    url = reverse("referrals:board") + "?mine=1&due=1#board"
    return [TodayCounter(due, "of your referrals have a next step due", url, "warn" if due else "")]
