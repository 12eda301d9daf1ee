"""Treatment plan, review, certification and deadline writes (due-date rules:
trellis.careplans.schedule)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import User
from trellis.accounts.policies import has_capability
from trellis.audit.services import AuditAction, record
from trellis.careplans import in_force, plan_hours, schedule
from trellis.careplans.models import (
    CareDeadline,
    CertificationKind,
    CertificationPolicy,
    DeadlineKind,
    ObjectiveProgress,
    ObjectiveStatus,
    PhysicianCertification,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    PlanStatus,
    ProgressRating,
    ReviewReason,
    TreatmentPlan,
)
from trellis.consents.services import set_required_kinds
from trellis.core.clock import local_date, now, today_in
from trellis.core.errors import ConflictError, DomainError
from trellis.episodes.models import EpisodeStatus
from trellis.programs.models import ServiceType
from trellis.referrals.services import set_program_criteria


# ---------------------------------------------------------------- deadlines
def _open_deadline(episode: Any, kind: str, due_on: dt.date, citation: str = "") -> CareDeadline:
    existing = CareDeadline.objects.filter(episode=episode, kind=kind, met_on__isnull=True, cancelled=False).first()
    if existing is not None:
        if existing.due_on != due_on:
            existing.due_on = due_on
            existing.citation = citation or existing.citation
            existing.save(update_fields=["due_on", "citation"])
        return existing
    return CareDeadline.objects.create(episode=episode, kind=kind, due_on=due_on, citation=citation)


def _meet_deadline(episode: Any, kinds: tuple[str, ...], met_on: dt.date) -> None:
    CareDeadline.objects.filter(episode=episode, kind__in=kinds, met_on__isnull=True, cancelled=False).update(
        met_on=met_on
    )


def certification_rule(episode: Any) -> schedule.CertificationRule | None:
    return program_certification_rule(episode.program)


def program_certification_rule(program: Any) -> schedule.CertificationRule | None:
    """The program's cadence: its CertificationPolicy if set, else the regulatory default for its level."""
    if not program.requires_certification:
        return None
    default = schedule.rule_for_level(program.level_of_care)
    if default is None:
        return None
    policy = CertificationPolicy.objects.filter(program=program).first()
    if policy is None:
        return default
    return schedule.CertificationRule(
        key=default.key, label=f"{default.label} (program policy)", initial_due_day=policy.initial_due_day,
        first_recert_day=policy.first_recert_day, recert_interval=schedule.Interval(days=policy.recert_interval_days),
        citation=policy.citation,
    )


def program_certification_rules(programs: Iterable[Any]) -> dict[int, schedule.CertificationRule | None]:
    """`program_certification_rule` for many programs in one query (the billable-service check of a batch of
    services calls this once instead of once per program)."""
    by_pk = {p.pk: p for p in programs}
    policies = {c.program_id: c for c in CertificationPolicy.objects.filter(
        program_id__in=[pk for pk, p in by_pk.items() if p.requires_certification])}
    out: dict[int, schedule.CertificationRule | None] = {}
    for pk, program in by_pk.items():
        default = schedule.rule_for_level(program.level_of_care) if program.requires_certification else None
        policy = policies.get(pk)
        if default is None or policy is None:
            out[pk] = default
            continue
        out[pk] = schedule.CertificationRule(
            key=default.key, label=f"{default.label} (program policy)", initial_due_day=policy.initial_due_day,
            first_recert_day=policy.first_recert_day,
            recert_interval=schedule.Interval(days=policy.recert_interval_days), citation=policy.citation,
        )
    return out


def set_certification_policy(*, program: Any, initial_due_day: int, first_recert_day: int | None,
                             recert_interval_days: int, changed_by: User) -> Any:
    """Store a program's cadence. Stricter than the regulation is allowed; looser is refused."""
    default = schedule.rule_for_level(program.level_of_care)
    if default is None or not program.requires_certification:
        raise DomainError("This program does not require physician certification.")
    if initial_due_day < 1 or initial_due_day > default.initial_due_day:
        raise DomainError(f"The initial certification is due by day {default.initial_due_day} ({default.citation}).",
                          field="initial_due_day")
    latest_first = default.first_recert_day or (default.initial_due_day + default.recert_interval.days)
    if default.first_recert_day is not None and first_recert_day is None:
        raise DomainError(f"Set the day of the first recertification (by day {latest_first}; {default.citation}).",
                          field="first_recert_day")
    if first_recert_day is not None and not 1 <= first_recert_day <= latest_first:
        raise DomainError(f"The first recertification must be due by day {latest_first} ({default.citation}).",
                          field="first_recert_day")
    if recert_interval_days < 1 or recert_interval_days > default.recert_interval.days:
        raise DomainError(f"Recertify at least every {default.recert_interval.days} days ({default.citation}).",
                          field="recert_interval_days")
    with transaction.atomic():
        policy, _ = CertificationPolicy.objects.update_or_create(program=program, defaults={
            "initial_due_day": initial_due_day, "first_recert_day": first_recert_day,
            "recert_interval_days": recert_interval_days,
            "citation": f"Program policy, within {default.citation}",
        })
        record(action=AuditAction.UPDATE, obj=program, detail={"certification_policy": True})
    return policy


def schedule_admission_deadlines(*, episode: Any) -> list[CareDeadline]:
    """Set at admission: the initial plan (program.plan_due_days after admission) and, for programs that
    need physician certification, the initial certification (42 CFR 424.24(e))."""
    program = episode.program
    rule = certification_rule(episode)
    plan_due = schedule.initial_plan_due(episode.admitted_on, program.plan_due_days)
    plan_citation = f"Program policy: initial plan within {program.plan_due_days} days of admission"
    cert_due = None
    if rule is not None:
        cert_due = schedule.next_certification_due(admitted_on=episode.admitted_on, rule=rule, signed_on=[])
        if cert_due.due_on < plan_due:
            # The certification attests that an individualized plan has been established (42 CFR
            # 424.24(e)(1)(ii)), so in a certified program the plan is due by the certification date.
            plan_due = cert_due.due_on
            plan_citation = "42 CFR 424.24(e)(1)(ii): plan established by the physician certification date"
    with transaction.atomic():
        made = [_open_deadline(episode, DeadlineKind.INITIAL_PLAN, plan_due, plan_citation)]
        if rule is not None and cert_due is not None:
            made.append(_open_deadline(episode, DeadlineKind.CERTIFICATION, cert_due.due_on, rule.citation))
    return made


def cancel_open_deadlines(*, episode: Any) -> int:
    return CareDeadline.objects.filter(episode=episode, met_on__isnull=True, cancelled=False).update(cancelled=True)


def level_changed(*, episode: Any, changed_on: dt.date) -> CareDeadline | None:
    """A level-of-care change pulls the next plan review in (schedule.next_review_due)."""
    deadline = CareDeadline.objects.filter(
        episode=episode, kind=DeadlineKind.PLAN_REVIEW, met_on__isnull=True, cancelled=False
    ).first()
    if deadline is None:
        return None
    sooner = changed_on + dt.timedelta(days=schedule.LOC_CHANGE_REVIEW_DAYS)
    if sooner < deadline.due_on:
        deadline.due_on = sooner
        deadline.citation = "Program policy: review within 7 days of a level-of-care change"
        deadline.save(update_fields=["due_on", "citation"])
    return deadline


# ---------------------------------------------------------------- plan authoring
def _check_episode_open(episode: Any) -> None:
    if episode.status == EpisodeStatus.DISCHARGED:
        raise DomainError("This episode is discharged; its plan can no longer change.")


def _draft(plan: TreatmentPlan) -> TreatmentPlan:
    if plan.status != PlanStatus.DRAFT:
        raise DomainError("Signed plan versions cannot be edited; review the plan to create a new version.")
    return plan


def create_plan(*, episode: Any, created_by: User, summary: str = "") -> TreatmentPlan:
    _check_episode_open(episode)
    with transaction.atomic():
        if TreatmentPlan.objects.filter(episode=episode).exists():
            raise DomainError("This episode already has a plan; review it to create a new version.")
        plan = TreatmentPlan.objects.create(
            episode=episode, patient=episode.patient, version=1, effective_on=today_in(episode.program.site.zone),
            summary=summary, created_by=created_by,
        )
        record(action=AuditAction.CREATE, obj=plan, patient=episode.patient, site=episode.program.site)
    return plan


def add_problem(*, plan: TreatmentPlan, statement: str, changed_by: User, diagnosis: Any = None) -> PlanProblem:
    _draft(plan)
    if not statement.strip():
        raise DomainError("Describe the problem.", field="statement")
    if diagnosis is not None and diagnosis.patient_id != plan.patient_id:
        raise DomainError("That diagnosis belongs to another patient.", field="diagnosis")
    with transaction.atomic():
        problem = PlanProblem.objects.create(
            plan=plan, statement=statement.strip(), diagnosis=diagnosis, order=plan.problems.count() + 1
        )
        _touch(plan, changed_by, "problem")
    return problem


def add_goal(*, problem: PlanProblem, statement: str, changed_by: User) -> PlanGoal:
    _draft(problem.plan)
    if not statement.strip():
        raise DomainError("Write the goal in the patient's words.", field="statement")
    with transaction.atomic():
        goal = PlanGoal.objects.create(problem=problem, statement=statement.strip(), order=problem.goals.count() + 1)
        _touch(problem.plan, changed_by, "goal")
    return goal


def add_objective(*, goal: PlanGoal, statement: str, target_date: dt.date, changed_by: User,
                  measure: str = "") -> PlanObjective:
    plan = _draft(goal.problem.plan)
    if not statement.strip():
        raise DomainError("Write a measurable objective.", field="statement")
    if target_date < plan.episode.admitted_on:
        raise DomainError("The target date is before the admission date.", field="target_date")
    with transaction.atomic():
        objective = PlanObjective.objects.create(
            goal=goal, statement=statement.strip(), measure=measure.strip(), target_date=target_date,
            order=goal.objectives.count() + 1,
        )
        _touch(plan, changed_by, "objective")
    return objective


def add_intervention(*, objective: PlanObjective, description: str, modality: str, frequency: str,
                     changed_by: User, responsible: Any = None, minutes_per_session: int | None = None,
                     sessions_per_week: int | None = None) -> PlanIntervention:
    plan = _draft(objective.goal.problem.plan)
    if not description.strip():
        raise DomainError("Describe the intervention.", field="description")
    if modality not in ServiceType.values:
        raise DomainError("Choose the modality.", field="modality")
    if not frequency.strip():
        raise DomainError("Say how often (e.g. 'daily in group', '1x/week').", field="frequency")
    if minutes_per_session is not None and not 1 <= minutes_per_session <= 600:
        raise DomainError(f"Minutes per session must be between 1 and 600 ({plan_hours.PLAN_CONTENT_SOURCE}).",
                          field="minutes_per_session")
    if sessions_per_week is not None and not 1 <= sessions_per_week <= 21:
        raise DomainError(f"Sessions per week must be between 1 and 21 ({plan_hours.PLAN_CONTENT_SOURCE}).",
                          field="sessions_per_week")
    with transaction.atomic():
        item = PlanIntervention.objects.create(
            objective=objective, description=description.strip(), modality=modality, frequency=frequency.strip(),
            responsible=responsible, minutes_per_session=minutes_per_session, sessions_per_week=sessions_per_week,
        )
        _touch(plan, changed_by, "intervention")
    return item


def set_primary_diagnosis(*, plan: TreatmentPlan, diagnosis: Any, changed_by: User) -> TreatmentPlan:
    """Name the primary psychiatric diagnosis the plan treats (42 CFR 424.24(e)(2)(i)(A): the physician's
    diagnosis)."""
    _draft(plan)
    if diagnosis.patient_id != plan.patient_id:
        raise DomainError("That diagnosis belongs to another patient.", field="primary_diagnosis")
    if not plan_hours.is_psychiatric(diagnosis.code):
        raise DomainError(f"{diagnosis.code} is not a psychiatric diagnosis (ICD-10-CM F01-F99); the plan names the "
                          f"primary psychiatric diagnosis ({plan_hours.PLAN_CONTENT_SOURCE}).",
                          field="primary_diagnosis")
    with transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(primary_diagnosis=diagnosis)
        plan.primary_diagnosis = diagnosis
        _touch(plan, changed_by, "primary_diagnosis")
    return plan


def plan_hours_items(plan: TreatmentPlan) -> list[plan_hours.InterventionHours]:
    return [plan_hours.InterventionHours(i.description, i.minutes_per_session, i.sessions_per_week)
            for i in PlanIntervention.objects.filter(objective__goal__problem__plan=plan).order_by("id")]


def _check_certified_plan(plan: TreatmentPlan) -> None:
    """A certified PHP/IOP program's plan names the primary psychiatric diagnosis and states hours that reach
    the program's weekly floor (42 CFR 424.24(e)(2)(i); floors: trellis.programs.rules)."""
    program = plan.episode.program
    if certification_rule(plan.episode) is None:
        return
    dx = plan.primary_diagnosis
    if dx is None or not plan_hours.is_psychiatric(dx.code):
        raise DomainError(f"Name the primary psychiatric diagnosis (ICD-10-CM F01-F99) before signing "
                          f"({plan_hours.PLAN_CONTENT_SOURCE}).", field="primary_diagnosis")
    problem = plan_hours.floor_problem(items=plan_hours_items(plan), floor_hours=program.weekly_hours_min,
                                       level_of_care=program.level_of_care)
    if problem:
        raise DomainError(problem, code="plan_below_floor")


def physician_sign_plan(*, plan: TreatmentPlan, physician: Any, signed_at: dt.datetime | None = None
                        ) -> TreatmentPlan:
    """The physician's co-signature on a certified program's plan: the plan is established and periodically
    reviewed by a physician (42 CFR 424.24(e)(2)(i))."""
    profile = getattr(physician, "profile", None)
    if not (profile and profile.is_physician):
        raise DomainError("Only a physician (MD/DO) co-signs the plan of a certified program (42 CFR 424.24(e)(2)).")
    with transaction.atomic():
        current = TreatmentPlan.objects.select_for_update(of=("self",)).select_related(
            "episode__program__site").get(pk=plan.pk)
        if certification_rule(current.episode) is None:
            raise DomainError("This program does not require physician certification; no physician co-signature "
                              "is needed.")
        if current.status != PlanStatus.ACTIVE:
            raise DomainError("The clinician signs the plan first; the physician co-signs the signed version.")
        if current.physician_signed_at is not None:
            raise DomainError("A physician has already co-signed this version.")
        if not has_capability(physician, Cap.CERTIFY, current.episode.program.site):
            raise DomainError("Only a physician at this site can co-sign the plan.")
        current.physician_signed_by = physician
        current.physician_signed_at = signed_at or now()
        current.save(update_fields=["physician_signed_by", "physician_signed_at", "updated_at"])
        # The first co-signed version puts a plan in force: the initial-plan deadline (due by the certification
        # date, 42 CFR 424.24(e)(1)(ii)) is met on the co-signature's local date. No-op once it is met.
        _meet_deadline(current.episode, (DeadlineKind.INITIAL_PLAN,),
                       local_date(current.physician_signed_at, current.episode.program.site.zone))
        record(action=AuditAction.SIGN, obj=current, patient=current.patient, site=current.episode.program.site,
               detail={"version": current.version, "physician_cosign": True})
    return current


def _touch(plan: TreatmentPlan, user: User, what: str) -> None:
    TreatmentPlan.objects.filter(pk=plan.pk).update(row_version=plan.row_version + 1)
    plan.row_version += 1
    record(action=AuditAction.UPDATE, obj=plan, patient=plan.patient, site=plan.episode.program.site,
           detail={"added": what})


def plan_content(plan: TreatmentPlan) -> dict[str, Any]:
    """Canonical content of a version (what the signatures cover)."""
    return {
        "version": plan.version,
        "summary": plan.summary,
        "primary_diagnosis": plan.primary_diagnosis.code if plan.primary_diagnosis_id else None,
        "problems": [
            {
                "statement": p.statement,
                "diagnosis": p.diagnosis.code if p.diagnosis_id else None,
                "goals": [
                    {
                        "statement": g.statement,
                        "objectives": [
                            {
                                "lineage": str(o.lineage),
                                "statement": o.statement,
                                "measure": o.measure,
                                "target_date": o.target_date.isoformat(),
                                "status": o.status,
                                "interventions": [
                                    {"description": i.description, "modality": i.modality, "frequency": i.frequency,
                                     "responsible": i.responsible_id, "minutes_per_session": i.minutes_per_session,
                                     "sessions_per_week": i.sessions_per_week}
                                    for i in o.interventions.all()
                                ],
                            }
                            for o in g.objectives.all()
                        ],
                    }
                    for g in p.goals.all()
                ],
            }
            for p in plan.problems.select_related("diagnosis").prefetch_related(
                "goals__objectives__interventions"
            )
        ],
    }


def sign_plan(
    *,
    plan: TreatmentPlan,
    clinician: User,
    patient_signer_name: str = "",
    patient_declined_reason: str = "",
    ip_address: str | None = None,
    expected_row_version: int | None = None,
    signed_at: dt.datetime | None = None,
) -> TreatmentPlan:
    """Clinician and patient sign a draft version; it becomes the active plan, the previous version is
    superseded, the plan deadline is met and the next review is scheduled."""
    if not patient_signer_name.strip() and not patient_declined_reason.strip():
        raise DomainError("Type the patient's name to sign, or record why the patient did not sign.",
                          field="patient_signer_name")
    with transaction.atomic():
        current = TreatmentPlan.objects.select_for_update(of=("self",)).select_related("episode__program__site").get(pk=plan.pk)
        if expected_row_version is not None and current.row_version != expected_row_version:
            raise ConflictError("The plan changed while you were signing. Reload and review it again.")
        if current.status != PlanStatus.DRAFT:
            raise DomainError("This version is already signed.")
        _check_episode_open(current.episode)
        objectives = PlanObjective.objects.filter(goal__problem__plan=current)
        if not objectives.exists():
            raise DomainError("Add at least one problem, goal and measurable objective before signing.")
        if objectives.filter(interventions__isnull=True).exists():
            raise DomainError("Every objective needs at least one intervention before signing.")
        _check_certified_plan(current)
        stamp = signed_at or now()
        site = current.episode.program.site
        signed_on = local_date(stamp, site.zone)
        content = json.dumps(plan_content(current), sort_keys=True)
        current.content_sha256 = hashlib.sha256(content.encode()).hexdigest()
        current.clinician_signed_by = clinician
        current.clinician_signed_at = stamp
        current.patient_signer_name = patient_signer_name.strip()
        current.patient_declined_reason = patient_declined_reason.strip()
        current.patient_signed_at = stamp if patient_signer_name.strip() else None
        current.patient_signed_ip = ip_address
        previous = TreatmentPlan.objects.select_for_update().filter(
            episode=current.episode, status=PlanStatus.ACTIVE
        ).exclude(pk=current.pk)
        for old in previous:
            old.status = PlanStatus.SUPERSEDED
            old.superseded_at = stamp
            old.save(update_fields=["status", "superseded_at", "updated_at"])
        current.status = PlanStatus.ACTIVE
        current.effective_on = signed_on
        current.row_version += 1
        current.save()
        episode = current.episode
        if current.version == 1 and not in_force.cosign_required(episode.program):
            # In a certified program the initial plan is established only when the physician co-signs it
            # (42 CFR 424.24(e)(2)(i); careplans.in_force): physician_sign_plan meets the deadline then.
            _meet_deadline(episode, (DeadlineKind.INITIAL_PLAN,), signed_on)
        last_review = current.from_review if hasattr(current, "from_review") else None
        last_reviewed_on = last_review.reviewed_on if last_review else signed_on
        due = schedule.next_review_due(
            last_reviewed_on=last_reviewed_on, cadence=schedule.Interval(days=episode.program.plan_review_days)
        )
        _open_deadline(episode, DeadlineKind.PLAN_REVIEW, due,
                       f"Program policy: review every {episode.program.plan_review_days} days")
        record(action=AuditAction.SIGN, obj=current, patient=current.patient, site=site,
               detail={"version": current.version, "sha256": current.content_sha256})
    return current


def review_plan(
    *,
    plan: TreatmentPlan,
    reviewer: User,
    summary: str,
    progress: dict[Any, tuple[str, str]],
    reviewed_on: dt.date | None = None,
    reason: str = ReviewReason.SCHEDULED,
) -> PlanReview:
    """Record a review of the active version with progress for every objective, and open the next
    version (a draft copy carrying each objective's lineage). `progress` maps objective pk (or the
    objective) to (rating, note)."""
    if not summary.strip():
        raise DomainError("Summarize the review.", field="summary")
    if reason not in ReviewReason.values:
        raise DomainError("Choose the reason for the review.", field="reason")
    with transaction.atomic():
        current = TreatmentPlan.objects.select_for_update(of=("self",)).select_related("episode__program__site").get(pk=plan.pk)
        if current.status == PlanStatus.SUPERSEDED:
            newer = TreatmentPlan.objects.filter(episode=current.episode).order_by("-version").first()
            raise DomainError(
                f"Version {current.version} has been superseded; review the current version ({newer.version}).",
                code="superseded",
            )
        if current.status != PlanStatus.ACTIVE:
            raise DomainError("Sign this version before reviewing it.")
        _check_episode_open(current.episode)
        if TreatmentPlan.objects.filter(episode=current.episode, status=PlanStatus.DRAFT).exists():
            raise DomainError("A newer draft version exists; finish and sign it first.")
        site = current.episode.program.site
        day = reviewed_on or today_in(site.zone)
        if day < current.effective_on:
            raise DomainError("The review date is before this version took effect.", field="reviewed_on")
        if day > today_in(site.zone):
            raise DomainError("The review date is in the future.", field="reviewed_on")
        objectives = list(PlanObjective.objects.filter(goal__problem__plan=current))
        by_pk = {(k.pk if hasattr(k, "pk") else int(k)): v for k, v in progress.items()}
        missing = [o for o in objectives if o.pk not in by_pk]
        if missing:
            raise DomainError("Record progress for every objective (missing: "
                              + "; ".join(o.statement[:40] for o in missing) + ").", field="progress")
        if set(by_pk) - {o.pk for o in objectives}:
            raise DomainError("Progress was given for an objective that is not on this version.", field="progress")
        for rating, _note in by_pk.values():
            if rating not in ProgressRating.values:
                raise DomainError("Choose a progress rating for each objective.", field="progress")
        review = PlanReview.objects.create(
            plan=current, reviewed_on=day, reviewer=reviewer, reason=reason, summary=summary.strip(),
            created_by=reviewer,
        )
        ObjectiveProgress.objects.bulk_create(
            [ObjectiveProgress(review=review, objective=o, rating=by_pk[o.pk][0], note=by_pk[o.pk][1] or "")
             for o in objectives]
        )
        new_plan = _copy_as_draft(current, by_pk, reviewer, day)
        review.resulting_plan = new_plan
        review.save(update_fields=["resulting_plan", "updated_at"])
        current.status = PlanStatus.SUPERSEDED
        current.superseded_at = now()
        current.save(update_fields=["status", "superseded_at", "updated_at"])
        _meet_deadline(current.episode, (DeadlineKind.PLAN_REVIEW,), day)
        due = schedule.next_review_due(
            last_reviewed_on=day, cadence=schedule.Interval(days=current.episode.program.plan_review_days)
        )
        _open_deadline(current.episode, DeadlineKind.PLAN_REVIEW, due,
                       f"Program policy: review every {current.episode.program.plan_review_days} days")
        record(action=AuditAction.CREATE, obj=review, patient=current.patient, site=site,
               detail={"version": current.version, "new_version": new_plan.version})
    return review


def _copy_as_draft(plan: TreatmentPlan, progress: dict[int, tuple[str, str]], user: User, day: dt.date
                   ) -> TreatmentPlan:
    new = TreatmentPlan.objects.create(
        episode=plan.episode, patient=plan.patient, version=plan.version + 1, previous=plan, effective_on=day,
        summary=plan.summary, created_by=user, primary_diagnosis=plan.primary_diagnosis,
    )
    for p in plan.problems.prefetch_related("goals__objectives__interventions"):
        np = PlanProblem.objects.create(plan=new, order=p.order, statement=p.statement, diagnosis=p.diagnosis)
        for g in p.goals.all():
            ng = PlanGoal.objects.create(problem=np, order=g.order, statement=g.statement)
            for o in g.objectives.all():
                rating = progress.get(o.pk, ("", ""))[0]
                status = {
                    ProgressRating.ACHIEVED: ObjectiveStatus.ACHIEVED,
                    ProgressRating.DISCONTINUED: ObjectiveStatus.DISCONTINUED,
                }.get(rating, o.status)
                no = PlanObjective.objects.create(
                    goal=ng, order=o.order, lineage=o.lineage, statement=o.statement, measure=o.measure,
                    target_date=o.target_date, status=status,
                )
                PlanIntervention.objects.bulk_create(
                    [PlanIntervention(objective=no, description=i.description, modality=i.modality,
                                      frequency=i.frequency, responsible=i.responsible,
                                      minutes_per_session=i.minutes_per_session,
                                      sessions_per_week=i.sessions_per_week) for i in o.interventions.all()]
                )
    return new


# ---------------------------------------------------------------- certification
CERTIFICATION_STATEMENTS = {
    "php": "I certify that this patient would require inpatient psychiatric care in the absence of partial "
    "hospitalization services, that an individualized plan of treatment has been established and is periodically "
    "reviewed by a physician, and that services are furnished while the patient is under the care of a physician "
    "(42 CFR 424.24(e)(1)).",
    "iop": "I certify that this patient requires intensive outpatient services for a minimum of 9 hours per week, "
    "that an individualized plan of treatment has been established and is periodically reviewed by a physician, and "
    "that services are furnished while the patient is under the care of a physician (42 CFR 424.24(e)(1)).",
}


RECERT_FIELDS = {
    "response_to_treatment": "the patient's response to the therapeutic interventions provided",
    "continuing_symptoms": "the psychiatric symptoms that continue to place the patient at risk of inpatient care",
    "discharge_goals": "the treatment goals for coordinating services to facilitate discharge",
}
RECERT_SOURCE = "42 CFR 424.24(e)(3)"


def record_certification(*, episode: Any, physician: Any, signed_on: dt.date | None = None,
                         statement: str = "", response_to_treatment: str = "", continuing_symptoms: str = "",
                         discharge_goals: str = "") -> PhysicianCertification:
    """Initial certification or recertification by the physician; schedules the next one. A recertification is
    not the initial statement again: it records the patient's response to treatment, the symptoms that still put
    the patient at risk of inpatient care and the goals for coordinating discharge (42 CFR 424.24(e)(3)), each
    required."""
    content = {"response_to_treatment": response_to_treatment.strip(),
               "continuing_symptoms": continuing_symptoms.strip(), "discharge_goals": discharge_goals.strip()}

    rule = certification_rule(episode)
    if rule is None:
        raise DomainError("This program does not require physician certification.")
    site = episode.program.site
    if not has_capability(physician, Cap.CERTIFY, site):
        raise DomainError("Only a physician (prescriber) at this site can certify.")
    profile = getattr(physician, "profile", None)
    if not (profile and profile.is_physician):
        # 42 CFR 424.24(e)(1): the certification is the physician's; an NP or PA prescriber cannot sign it.
        raise DomainError("Medicare certification must be signed by a physician (MD/DO); this prescriber is not "
                          "recorded as one in their staff profile.")
    _check_episode_open(episode)
    day = signed_on or today_in(site.zone)
    if day < episode.admitted_on:
        raise DomainError("The certification date is before the admission date.", field="signed_on")
    if day > today_in(site.zone):
        raise DomainError("The certification date is in the future.", field="signed_on")
    with transaction.atomic():
        previous = list(PhysicianCertification.objects.filter(episode=episode).values_list("signed_on", flat=True))
        if previous and day < max(previous):
            raise DomainError("A later certification already exists.", field="signed_on")
        kind = CertificationKind.INITIAL if not previous else CertificationKind.RECERTIFICATION
        if kind == CertificationKind.RECERTIFICATION:
            for name, what in RECERT_FIELDS.items():
                if not content[name]:
                    raise DomainError(f"A recertification states {what} ({RECERT_SOURCE}).", field=name)
        cert = PhysicianCertification.objects.create(
            episode=episode, kind=kind, physician=physician, signed_on=day, signed_at=now(),
            statement=statement.strip() or CERTIFICATION_STATEMENTS.get(episode.program.level_of_care, ""),
            rule_key=rule.key, citation=rule.citation, created_by=physician, **content,
        )
        _meet_deadline(episode, (DeadlineKind.CERTIFICATION, DeadlineKind.RECERTIFICATION), day)
        nxt = schedule.next_certification_due(admitted_on=episode.admitted_on, rule=rule, signed_on=[*previous, day])
        _open_deadline(episode, DeadlineKind.RECERTIFICATION, nxt.due_on, rule.citation)
        record(action=AuditAction.SIGN, obj=cert, patient=episode.patient, site=site, detail={"kind": kind})
    return cert


# ---------------------------------------------------------------- program admission requirements
def set_admission_requirements(
    *,
    program: Any,
    criteria_data: dict[str, Any],
    template: str,
    consent_kinds: list[str],
    certification: dict[str, Any] | None,
    changed_by: User,
) -> None:
    """A program's admission requirements in one step: its level-of-care criteria (referrals), the consents
    required before admission (consents) and, when given, its physician-certification cadence. All three are
    saved or none (a refused cadence leaves the criteria and consents as they were).
    ``certification`` holds ``initial_due_day``, ``first_recert_day`` and ``recert_interval_days``."""
    with transaction.atomic():
        set_program_criteria(program=program, data=criteria_data, template=template, changed_by=changed_by)
        set_required_kinds(program=program, kinds=consent_kinds, changed_by=changed_by)
        if certification is not None:
            set_certification_policy(
                program=program, initial_due_day=certification.get("initial_due_day") or 1,
                first_recert_day=certification.get("first_recert_day"),
                recert_interval_days=certification["recert_interval_days"], changed_by=changed_by,
            )
