"""Treatment plan reads and the worklist of overdue / due plans, reviews and certifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.careplans.models import (
    CareDeadline,
    ObjectiveProgress,
    ObjectiveStatus,
    PhysicianCertification,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    PlanReview,
    PlanStatus,
    TreatmentPlan,
)
from trellis.careplans.schedule import DUE_SOON_DAYS, days_overdue, due_status
from trellis.core.registry import TodayContext, TodayCounter
from trellis.episodes.models import Episode, EpisodeStatus, HandoffTask
from trellis.referrals.models import SafetyPlan, SuicideRiskScreen

WORKLIST_LIMIT = 200


def plans_scope(user: User, capability: str = Cap.PATIENT_VIEW) -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.restrict(user, capability).select_related("episode__program__site", "patient")


def plan_versions(episode: Any) -> list[TreatmentPlan]:
    return list(TreatmentPlan.objects.filter(episode=episode).select_related("clinician_signed_by").order_by("-version"))


def current_plan(episode: Any) -> TreatmentPlan | None:
    """The draft in progress if any, else the active version."""
    plans = plan_versions(episode)
    for status in (PlanStatus.DRAFT, PlanStatus.ACTIVE):
        for p in plans:
            if p.status == status:
                return p
    return plans[0] if plans else None


def plan_tree(plan: TreatmentPlan) -> list[PlanProblem]:
    """Problems -> goals -> objectives -> interventions of one version in 4 queries."""
    return list(
        PlanProblem.objects.filter(plan=plan)
        .select_related("diagnosis")
        .prefetch_related(
            Prefetch(
                "goals",
                queryset=PlanGoal.objects.prefetch_related(
                    Prefetch("objectives", queryset=PlanObjective.objects.prefetch_related(
                        "interventions__responsible"))
                ),
            )
        )
    )


def plan_objectives(plan: TreatmentPlan) -> list[PlanObjective]:
    return list(PlanObjective.objects.filter(goal__problem__plan=plan).select_related("goal__problem"))


def reviews_of_episode(episode: Any) -> list[PlanReview]:
    return list(
        PlanReview.objects.filter(plan__episode=episode)
        .select_related("plan", "reviewer", "resulting_plan")
        .prefetch_related(Prefetch("progress", queryset=ObjectiveProgress.objects.select_related("objective")))
    )


def certifications_of(episode: Any) -> list[PhysicianCertification]:
    return list(PhysicianCertification.objects.filter(episode=episode).select_related("physician"))


def open_deadlines(episode: Any) -> list[CareDeadline]:
    return list(CareDeadline.objects.filter(episode=episode, met_on__isnull=True, cancelled=False))


def _open_deadlines(user: User, *, today: dt.date, site: Any, horizon_days: int) -> QuerySet:
    deadlines = CareDeadline.objects.restrict(user, Cap.PATIENT_VIEW)
    if site is not None:
        deadlines = deadlines.filter(episode__program__site=site)
    return deadlines.filter(
        met_on__isnull=True, cancelled=False,
        due_on__lte=today + dt.timedelta(days=horizon_days),
    )


def worklist_counts(user: User, *, today: dt.date, site: Any = None,
                    horizon_days: int = DUE_SOON_DAYS) -> tuple[int, int]:
    """(overdue, due by today + horizon) of ``worklist`` in one COUNT query, without building the list."""
    counts = _open_deadlines(user, today=today, site=site, horizon_days=horizon_days).aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)), total=Count("pk"))
    return counts["overdue"], counts["total"] - counts["overdue"]


WORKLIST_DUE_FILTERS = ("overdue", "soon")  # Today's two counters link to these halves of the worklist


def worklist(user: User, *, today: dt.date, site: Any = None, horizon_days: int = DUE_SOON_DAYS,
             kind: str = "", limit: int = WORKLIST_LIMIT, due: str = "") -> list[dict[str, Any]]:
    """Open deadlines due by today + horizon at the user's sites, most overdue first (one query); `due`
    "overdue" or "soon" keeps the half that `worklist_counts` counts as such."""
    qs = (
        _open_deadlines(user, today=today, site=site, horizon_days=horizon_days)
        .select_related("episode__patient", "episode__program__site", "episode__primary_clinician")
        .order_by("due_on", "id")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif due == "soon":
        qs = qs.filter(due_on__gte=today)
    return [
        {
            "deadline": d,
            "episode": d.episode,
            "patient": d.episode.patient,
            "status": due_status(d.due_on, today).value,
            "days_overdue": days_overdue(d.due_on, today),
        }
        for d in qs[:limit]
    ]


def handoffs_for(user: User, *, limit: int = 50) -> list[Any]:
    """Open hand-off tasks assigned to the user (step-downs and transfers)."""

    return list(
        HandoffTask.objects.restrict(user, Cap.PATIENT_VIEW).filter(assigned_to=user, completed_at__isnull=True)
        .select_related("to_episode__patient", "to_episode__program", "from_episode__program")
        .order_by("due_on")[:limit]
    )


def safety_plans_due(user: User, *, limit: int = 50) -> list[Any]:
    """High-risk C-SSRS screens at the user's sites without a completed safety plan (the patient must not
    leave before it is done)."""
    done = SafetyPlan.objects.filter(screen=OuterRef("pk"), completed_at__isnull=False)
    return list(
        SuicideRiskScreen.objects.restrict(user, Cap.PATIENT_VIEW).filter(requires_safety_plan=True)
        .exclude(Exists(done))
        .select_related("patient", "administered_by")
        .order_by("-administered_at")[:limit]
    )


def rescreens_due(user: User, *, today: dt.date, limit: int = 50) -> list[tuple[Any, dt.date]]:
    """Active episodes in programs that schedule C-SSRS re-screens (Program.rescreen_every_days; program policy
    under TJC NPSG.15.01.01) whose last screen is older than the interval: (episode, due date), oldest first.
    Two queries."""
    episodes = list(Episode.objects.restrict(user, Cap.PATIENT_VIEW).filter(
        status=EpisodeStatus.ACTIVE, program__rescreen_every_days__isnull=False)
        .select_related("patient", "program")[:2000])
    if not episodes:
        return []
    last: dict[int, dt.datetime] = {}
    for patient_id, at in SuicideRiskScreen.objects.filter(patient_id__in={e.patient_id for e in episodes}
                                                           ).values_list("patient_id", "administered_at"):
        last[patient_id] = max(at, last.get(patient_id, at))
    due = []
    for e in episodes:
        base = last[e.patient_id].date() if e.patient_id in last else e.admitted_on
        on = base + dt.timedelta(days=e.program.rescreen_every_days)
        if on <= today:
            due.append((e, on))
    return sorted(due, key=lambda x: x[1])[:limit]


def current_objectives_for_episodes(episodes: Any) -> dict[int, list[PlanObjective]]:
    """For each episode, the objectives of its current plan version - the active (signed) version, or while a
    review's new version awaits signatures, that newest version - excluding discontinued ones. Two queries for
    any number of episodes (used by documentation to link notes to objectives by `lineage`)."""
    ids = [getattr(e, "pk", e) for e in episodes]
    result: dict[int, list[PlanObjective]] = {pk: [] for pk in ids}
    if not ids:
        return result
    chosen: dict[int, tuple[int, int]] = {}  # episode -> (priority, version) of the chosen plan
    plan_for: dict[int, int] = {}
    for pk, episode_id, status, version in TreatmentPlan.objects.filter(episode_id__in=ids).values_list(
        "pk", "episode_id", "status", "version"
    ):
        rank = (2 if status == PlanStatus.ACTIVE else 1 if status == PlanStatus.DRAFT else 0, version)
        if status != PlanStatus.SUPERSEDED and rank > chosen.get(episode_id, (-1, -1)):
            chosen[episode_id] = rank
            plan_for[episode_id] = pk
    if not plan_for:
        return result
    episode_of_plan = {plan: episode for episode, plan in plan_for.items()}
    objectives = (
        PlanObjective.objects.filter(goal__problem__plan_id__in=list(plan_for.values()))
        .exclude(status=ObjectiveStatus.DISCONTINUED)
        .select_related("goal__problem")
        .order_by("goal__problem__order", "goal__order", "order", "id")
    )
    for o in objectives:
        result[episode_of_plan[o.goal.problem.plan_id]].append(o)
    return result


def plan_progress(episode: Any) -> list[dict[str, Any]]:
    """The discharge summary's "plan_progress" part: each objective of the current plan and its last rating."""
    plan = (
        TreatmentPlan.objects.filter(episode=episode)
        .exclude(status=PlanStatus.DRAFT, version__gt=1)
        .order_by("-version")
        .first()
    ) or TreatmentPlan.objects.filter(episode=episode).order_by("-version").first()
    if plan is None:
        return []
    objectives = PlanObjective.objects.filter(goal__problem__plan=plan).select_related("goal__problem")
    latest: dict[str, str] = {}
    for p in ObjectiveProgress.objects.filter(review__plan__episode=episode).select_related("objective", "review"
                                                                                            ).order_by("review__reviewed_on"):
        latest[str(p.objective.lineage)] = p.get_rating_display()
    return [
        {
            "problem": o.goal.problem.statement,
            "goal": o.goal.statement,
            "objective": o.statement,
            "status": o.get_status_display(),
            "last_progress": latest.get(str(o.lineage), "Not yet reviewed"),
        }
        for o in objectives
    ]


def today_counters(user: User, ctx: TodayContext) -> list[TodayCounter]:
    """Plan, review and certification deadlines: overdue, and due in the next days."""
    overdue, due = worklist_counts(user, today=ctx.day, site=ctx.active_site)
    url = reverse("careplans:worklist")
    return [
        TodayCounter(overdue, "plans, reviews or certifications overdue", f"{url}?due=overdue#worklist",
                     "danger" if overdue else ""),
        TodayCounter(due, "due in the next days", f"{url}?due=soon#worklist"),
    ]


def plan_hours_summary(plan: TreatmentPlan, problems: list[PlanProblem]) -> dict[str, Any]:
    """The hours the plan states (from the already-loaded tree: no query) against the program's floor."""
    program = plan.episode.program
    rows = [i for p in problems for g in p.goals.all() for o in g.objectives.all() for i in o.interventions.all()]
    total = sum(i.weekly_minutes for i in rows)
    floor = int(program.weekly_hours_min * 60)
    return {"rows": rows, "total": total, "floor": floor, "certified": program.requires_certification,
            "below": program.requires_certification and total < floor,
            "missing": [i for i in rows if not i.minutes_per_session or not i.sessions_per_week]}
