"""Referral / intake reads, scoped to the user's sites, with bounded query counts."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet
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
BOARD_CARD_LIMIT = 50  # per column page; "Show more" loads the next page of that column


def sources_for(user: User) -> QuerySet[ReferralSource]:
    orgs = {s.organization_id for s in sites_with(user, Cap.REFERRAL_VIEW)}
    return ReferralSource.objects.filter(organization_id__in=orgs).prefetch_related("contacts")


def loss_reasons_for(organization: Any) -> QuerySet[LossReason]:
    return LossReason.objects.filter(organization=organization, active=True)


def referrals_for(user: User, capability: str = Cap.REFERRAL_VIEW) -> QuerySet[Referral]:
    return Referral.objects.restrict(user, capability).select_related(
        "site", "source", "owner", "program", "loss_reason", "patient"
    )


OPEN_ORDER = ["next_step_due", "-received_at"]  # open stages: the most urgent next step first
CLOSED_ORDER = ["-closed_at"]  # outcomes: the most recent first


def next_steps_due(user: User, *, sites: list[Any], day: Any) -> QuerySet[Referral]:
    """The user's own open referrals at `sites` whose next step is due on `day` or earlier: Today's counter and
    the board's "next step due" filter both read this, so the number and the list cannot drift."""
    return referrals_for(user).filter(site__in=sites, owner=user, next_step_due__lte=day,
                                      status__in=OPEN_STATUSES)


def _board_base(user: User, site: Any, *, sites: list[Any] | None, owner: Any, source: Any,
                due_by: Any) -> QuerySet[Referral]:
    """The board's referrals: one site, or `sites` (all the user's sites) when `site` is None; only the user's
    next steps due by `due_by` when given (Today's counter's list)."""
    scope = [site] if site is not None else list(sites or [])
    qs = (next_steps_due(user, sites=scope, day=due_by) if due_by is not None
          else referrals_for(user).filter(site__in=scope))
    if owner is not None:
        qs = qs.filter(owner=owner)
    if source is not None:
        qs = qs.filter(source=source)
    return qs


def board_column(user: User, site: Any, status: str, *, offset: int = 0, limit: int = BOARD_CARD_LIMIT,
                 owner: Any = None, source: Any = None, sites: list[Any] | None = None,
                 due_by: Any = None) -> dict[str, Any]:
    """One column of the pipeline board, one page of cards (one query), with whether more follow.

    Columns page separately so that a site with thousands of closed referrals still renders the board in
    a constant number of queries and a bounded page size.
    """
    qs = _board_base(user, site, sites=sites, owner=owner, source=source, due_by=due_by).filter(status=status)
    order = OPEN_ORDER if status in (ReferralStatus.RECEIVED, ReferralStatus.SCREENING,
                                     ReferralStatus.INTAKE_SCHEDULED, ReferralStatus.ASSESSED) else CLOSED_ORDER
    offset = max(offset, 0)
    # The page's keys first (a narrow top-N over the column's referrals), then those cards with their related rows:
    # sorting the joined rows of a column of thousands (admitted) cost 330 ms at 10,000 patients, this 20 ms.
    page = qs.order_by(*order, "pk").values("pk")[offset: offset + limit + 1]
    cards = list(qs.filter(pk__in=page).order_by(*order, "pk"))
    return {
        "status": status,
        "label": ReferralStatus(status).label,
        "cards": cards[:limit],
        "more": len(cards) > limit,
        "next_offset": offset + limit,
        "offset": offset,
    }


def board(user: User, site: Any, *, limit: int = BOARD_CARD_LIMIT, owner: Any = None,
          source: Any = None, statuses: list[str] | None = None, sites: list[Any] | None = None,
          due_by: Any = None) -> list[dict[str, Any]]:
    """Columns of the pipeline board for one site, or for `sites` when `site` is None ("All my sites") (one
    query per column plus one for every column's total, bounded); optionally only one owner's referrals or one
    source's, only the user's next steps due by `due_by`, or only some columns (after a move)."""
    qs = _board_base(user, site, sites=sites, owner=owner, source=source, due_by=due_by)
    wanted = [s for s in BOARD_COLUMNS if statuses is None or s in statuses]
    totals = dict(qs.filter(status__in=wanted).order_by().values_list("status").annotate(n=Count("pk")))
    columns = []
    for status in wanted:
        column = board_column(user, site, status, limit=limit, owner=owner, source=source, sites=sites,
                              due_by=due_by)
        column["total"] = totals.get(status, 0)
        columns.append(column)
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
    return IntakeAssessment.objects.restrict(user, capability)


def screens_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[SuicideRiskScreen]:
    return SuicideRiskScreen.objects.restrict(user, capability)


def determinations_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[LevelOfCareDetermination]:
    return LevelOfCareDetermination.objects.restrict(user, capability)


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
