"""Demo treatment plans (versions, reviews with progress, some overdue), physician certifications,
care deadlines, discharge records of every type and one real step-down. Bulk inserts; volume scales with
ctx.n_patients. Runs after attendance so discharge summaries can read the hours ledger."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from trellis.careplans import schedule
from trellis.careplans.models import (
    CareDeadline,
    CertificationKind,
    DeadlineKind,
    ObjectiveProgress,
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
from trellis.careplans.services import CERTIFICATION_STATEMENTS, program_certification_rule
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, missing_for_admission, sign_consent
from trellis.core.clock import now, today_in
from trellis.core.demo import DemoContext
from trellis.core.errors import DomainError
from trellis.core.hashing import content_hash
from trellis.episodes import discharge_summary
from trellis.episodes.medications import reconcile_medications
from trellis.episodes.models import (
    Diagnosis,
    DischargeRecord,
    DischargeSummary,
    DischargeType,
    Episode,
    EpisodeStatus,
    SummaryStatus,
)
from trellis.episodes.services import aftercare_flag, step_down
from trellis.episodes.summary import build_summary, facts_now
from trellis.programs.models import LevelOfCare, Program
from trellis.referrals.services import record_risk_screen

PLAN_CONTENT = [
    ("Depressed mood limits work and self-care", "I want to get out of bed and back to work",
     [("Complete 3 activation tasks per day, 5 days a week", "Activity log", "skills_group", "daily"),
      ("PHQ-9 below 10", "PHQ-9 every 2 weeks", "individual_therapy", "1x/week")]),
    ("Panic attacks and avoidance", "I want to drive to the store by myself",
     [("Use paced breathing during 4 of 5 panic episodes", "Self-report log", "skills_group", "3x/week")]),
    ("Trauma symptoms disrupt sleep and relationships", "I want to sleep through the night",
     [("Nightmares down to 2 per week", "Sleep diary", "individual_therapy", "1x/week"),
      ("Attend trauma group 4 of 5 days", "Attendance", "group_psychotherapy", "daily")]),
    ("Alcohol use despite consequences", "I want to stay sober for my kids",
     [("Abstinent with negative breathalyzer at every session", "Breathalyzer", "group_psychotherapy", "daily"),
      ("Identify 3 relapse triggers and a plan for each", "Relapse-prevention worksheet", "individual_therapy",
       "1x/week")]),
]
# Recertification content, 42 CFR 424.24(e)(3): response to treatment, continuing symptoms, discharge goals.
RECERT_CONTENT = [
    {"response_to_treatment": "Attending 5 of 5 days; PHQ-9 down from 19 to 14; uses behavioral activation plan.",
     "continuing_symptoms": "Passive death wish on two days this week; sleep 4 hours; would need inpatient care "
                            "without daily structure.",
     "discharge_goals": "PHQ-9 below 10 and no suicidal ideation for 2 weeks; outpatient therapist and "
                        "psychiatrist booked before step-down."},
    {"response_to_treatment": "Panic attacks down from daily to twice weekly; tolerating exposure tasks in group.",
     "continuing_symptoms": "Avoidance still prevents leaving home alone; intermittent hopelessness.",
     "discharge_goals": "Drive to the store alone; step down to IOP with the same therapist; family session "
                        "to plan supports."},
]
RATINGS = [ProgressRating.PROGRESSING] * 4 + [ProgressRating.NO_CHANGE, ProgressRating.ACHIEVED,
                                              ProgressRating.REGRESSED]


def _at(day: dt.date, zone: Any, hour: int = 15) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def seed(ctx: DemoContext) -> None:
    rng, today = ctx.rng, ctx.today
    # Only physicians sign Medicare certifications (42 CFR 424.24(e)); the NP prescriber does not.
    prescribers = [u for u in ctx.staff.get("prescriber", []) if u.profile.is_physician] or ctx.staff.get(
        "prescriber", []
    )
    episodes = list(Episode.objects.filter(patient__organization=ctx.org).select_related(
        "program__site", "patient", "primary_clinician"))
    _ensure_discharge_types(ctx, episodes)
    primary_dx = {d.episode_id: d for d in Diagnosis.objects.filter(episode__in=episodes, rank="primary",
                                                                    entered_in_error=False)}
    plans: list[TreatmentPlan] = []
    plan_specs: list[tuple[TreatmentPlan, int]] = []
    reviews_spec: list[tuple[int, dt.date]] = []  # (index of reviewed plan in plans, date)
    deadlines: list[CareDeadline] = []
    certs: list[PhysicianCertification] = []
    rules: dict[int, Any] = {}
    for e in episodes:
        site, program = e.program.site, e.program
        clinician = e.primary_clinician
        end = e.discharged_on or today
        due = schedule.initial_plan_due(e.admitted_on, program.plan_due_days)
        active = e.status == EpisodeStatus.ACTIVE
        content = 3 if program.is_part2 else rng.randrange(3)
        signed_on = None
        if clinician is not None and (due <= end and rng.random() < 0.85 or due > end and rng.random() < 0.5):
            signed_on = min(end, e.admitted_on + dt.timedelta(days=rng.randint(1, max(1, program.plan_due_days))))
        if signed_on is None:
            if active:
                deadlines.append(CareDeadline(episode=e, kind=DeadlineKind.INITIAL_PLAN, due_on=due))
        else:
            version, last = 1, signed_on
            prev_index = None
            while True:
                certified = program.requires_certification and bool(prescribers)
                dx = primary_dx.get(e.pk)
                plan = TreatmentPlan(
                    episode=e, patient=e.patient, version=version, status=PlanStatus.ACTIVE, effective_on=last,
                    patient_signer_name=e.patient.legal_name, patient_signed_at=_at(last, site.zone),
                    clinician_signed_by=clinician, clinician_signed_at=_at(last, site.zone),
                    content_sha256=uuid.uuid4().hex * 2, created_by=clinician,
                    # certified programs: the physician's diagnosis and co-signature (42 CFR 424.24(e)(2))
                    primary_diagnosis=dx if dx is not None and dx.code.upper().startswith("F") else None,
                    physician_signed_by=rng.choice(prescribers) if certified else None,
                    physician_signed_at=_at(last, site.zone, 17) if certified else None,
                )
                plans.append(plan)
                plan_specs.append((plan, content))
                if prev_index is not None:
                    plans[prev_index].status = PlanStatus.SUPERSEDED
                    plans[prev_index].superseded_at = _at(last, site.zone)
                    reviews_spec.append((prev_index, last))
                prev_index = len(plans) - 1
                next_due = schedule.next_review_due(last_reviewed_on=last,
                                                    cadence=schedule.Interval(days=program.plan_review_days))
                if next_due <= end and version < 3 and rng.random() < 0.7:
                    last = next_due - dt.timedelta(days=rng.randint(0, 4))
                    version += 1
                    continue
                if active:
                    deadlines.append(CareDeadline(episode=e, kind=DeadlineKind.PLAN_REVIEW, due_on=next_due))
                break
            deadlines.append(CareDeadline(episode=e, kind=DeadlineKind.INITIAL_PLAN, due_on=due, met_on=signed_on))
        if program.pk not in rules:
            rules[program.pk] = program_certification_rule(program)
        rule = rules[program.pk]
        if rule is not None and prescribers:
            signed: list[dt.date] = []
            while True:
                nxt = schedule.next_certification_due(admitted_on=e.admitted_on, rule=rule, signed_on=signed)
                if nxt.due_on > end or (signed and rng.random() < 0.12):
                    if active:
                        kind = DeadlineKind.CERTIFICATION if not signed else DeadlineKind.RECERTIFICATION
                        deadlines.append(CareDeadline(episode=e, kind=kind, due_on=nxt.due_on, citation=rule.citation))
                    break
                day = max(e.admitted_on, nxt.due_on - dt.timedelta(days=rng.randint(0, 2)))
                recert = {} if not signed else RECERT_CONTENT[len(signed) % len(RECERT_CONTENT)]
                certs.append(PhysicianCertification(
                    episode=e, kind=CertificationKind.INITIAL if not signed else CertificationKind.RECERTIFICATION,
                    physician=rng.choice(prescribers), signed_on=day, signed_at=_at(day, site.zone, 12),
                    statement=CERTIFICATION_STATEMENTS[program.level_of_care], rule_key=rule.key,
                    citation=rule.citation, **recert,
                ))
                signed.append(day)
                if len(signed) > 12:
                    break
    for i, p in enumerate(plans):  # one active version per episode
        if p.status == PlanStatus.ACTIVE and i + 1 < len(plans) and plans[i + 1].episode is p.episode:
            p.status = PlanStatus.SUPERSEDED
    TreatmentPlan.objects.bulk_create(plans, batch_size=2000)
    for i in range(1, len(plans)):
        if plans[i].episode is plans[i - 1].episode:
            plans[i].previous = plans[i - 1]
    TreatmentPlan.objects.bulk_update([p for p in plans if p.previous_id or getattr(p, "previous", None)],
                                      ["previous"], batch_size=2000)

    problems, goals, objectives, interventions = [], [], [], []
    objective_rows: list[tuple[int, PlanObjective]] = []
    lineages: dict[tuple[int, int, int], uuid.UUID] = {}
    for plan_index, (plan, content) in enumerate(plan_specs):
        statement, goal_text, objs = PLAN_CONTENT[content]
        prob = PlanProblem(plan=plan, order=1, statement=statement, diagnosis=primary_dx.get(plan.episode.pk))
        problems.append(prob)
        goal = PlanGoal(problem=prob, order=1, statement=goal_text)
        goals.append(goal)
        for k, (text, measure, modality, freq) in enumerate(objs):
            lineage = lineages.setdefault((plan.episode.pk, content, k), uuid.uuid4())
            obj = PlanObjective(goal=goal, order=k + 1, lineage=lineage, statement=text, measure=measure,
                                target_date=plan.episode.admitted_on + dt.timedelta(days=42))
            objectives.append(obj)
            objective_rows.append((plan_index, obj))
            per_week = {"daily": 5, "3x/week": 3, "1x/week": 1}.get(freq, 1)
            interventions.append(PlanIntervention(objective=obj, description=f"{text.split(' ')[0]} practice in "
                                                  "program", modality=modality, frequency=freq,
                                                  responsible=plan.episode.primary_clinician,
                                                  minutes_per_session=60, sessions_per_week=per_week))
        # The structured program day that brings the plan to the program's weekly floor (42 CFR 424.24(e)(2)).
        program = plan.episode.program
        stated = sum(i.weekly_minutes for i in interventions if i.objective.goal is goal)
        floor = int(program.weekly_hours_min * 60)
        if stated < floor:
            days = program.days_per_week
            interventions.append(PlanIntervention(
                objective=objectives[-1], description="Structured program day: group therapy and psychoeducation",
                modality="group_psychotherapy", frequency=f"{days}x/week", responsible=plan.episode.primary_clinician,
                minutes_per_session=-(-(floor - stated) // days), sessions_per_week=days))
    PlanProblem.objects.bulk_create(problems, batch_size=5000)
    PlanGoal.objects.bulk_create(goals, batch_size=5000)
    PlanObjective.objects.bulk_create(objectives, batch_size=5000)
    PlanIntervention.objects.bulk_create(interventions, batch_size=5000)

    reviews, progress = [], []
    objectives_by_plan: dict[int, list[PlanObjective]] = {}
    for plan_index, obj in objective_rows:
        objectives_by_plan.setdefault(plan_index, []).append(obj)
    for plan_index, day in reviews_spec:
        plan = plans[plan_index]
        review = PlanReview(plan=plan, resulting_plan=plans[plan_index + 1], reviewed_on=day,
                            reviewer=plan.clinician_signed_by, reason=ReviewReason.SCHEDULED,
                            summary="Reviewed with the patient; goals remain relevant.")
        reviews.append(review)
        for obj in objectives_by_plan.get(plan_index, []):
            progress.append(ObjectiveProgress(review=review, objective=obj, rating=rng.choice(RATINGS),
                                              note="Discussed in individual session."))
    PlanReview.objects.bulk_create(reviews, batch_size=2000)
    ObjectiveProgress.objects.bulk_create(progress, batch_size=5000)
    PhysicianCertification.objects.bulk_create(certs, batch_size=2000)
    CareDeadline.objects.bulk_create(deadlines, batch_size=5000)

    n_records = _discharge_records(ctx, [e for e in episodes if e.status == EpisodeStatus.DISCHARGED])
    step = _one_step_down(ctx, episodes)
    overdue = sum(1 for d in deadlines if d.met_on is None and d.due_on < today)
    ctx.say(f"{len(plans)} plan versions, {len(reviews)} reviews, {len(certs)} certifications, "
            f"{overdue} overdue deadlines, {n_records} discharge records{', 1 step-down' if step else ''}.")


def _ensure_discharge_types(ctx: DemoContext, episodes: list[Episode]) -> None:
    """Make sure the discharged demo episodes cover every discharge type (every type a reviewer should see in the demo)."""
    discharged = [e for e in episodes if e.status == EpisodeStatus.DISCHARGED]
    wanted = [t for t in DischargeType.values if t != DischargeType.STEP_DOWN]
    present = {e.discharge_type for e in discharged}
    changed = []
    for t, e in zip([t for t in wanted if t not in present], [e for e in discharged
                                                             if e.discharge_type == DischargeType.COMPLETED],
                    strict=False):
        e.discharge_type = t
        e.discharge_reason = dict(DischargeType.choices)[t]
        changed.append(e)
    Episode.objects.bulk_update(changed, ["discharge_type", "discharge_reason"])


def _discharge_records(ctx: DemoContext, discharged: list[Episode]) -> int:
    rng = ctx.rng
    records = []
    for e in discharged:
        after = None if rng.random() < 0.15 else e.discharged_on + dt.timedelta(days=rng.choice([3, 5, 7, 10, 14]))
        provider = "" if after is None else rng.choice(["Dr. Lee, Hudson Valley Counseling",
                                                        "Capital Region Primary Care", "Evening IOP"])
        records.append(DischargeRecord(
            episode=e, discharge_type=e.discharge_type or DischargeType.COMPLETED,
            reason=e.discharge_reason or "Treatment goals met", medications="sertraline 100 mg daily",
            aftercare_provider=provider, aftercare_on=after,
            aftercare_flag=aftercare_flag(e.discharged_on, after, provider),
            # kept or missed (program policy, not HEDIS FUH), once the appointment has passed
            aftercare_kept=(rng.random() < 0.8) if after is not None and after <= ctx.today else None,
        ))
    DischargeRecord.objects.bulk_create(records, batch_size=2000)

    # full generated summaries (hours by week from the ledger) for the most recent discharges
    recent = sorted(records, key=lambda r: r.episode.discharged_on, reverse=True)[:25]
    for rec in recent:
        rec.summary = build_summary(rec.episode, rec)
        rec.summary_generated_at = now()
    DischargeRecord.objects.bulk_update(recent, ["summary", "summary_generated_at"])
    # Their clinicians' signed discharge summaries (42 CFR 485.914(e)(2)); older demo discharges stay unsigned, as
    # records made before signed summaries were required.
    summaries = []
    for rec in recent:
        e = rec.episode
        if e.primary_clinician is None:
            continue
        summary = DischargeSummary(
            episode=e, status=SummaryStatus.SIGNED, course=DEMO_SUMMARY["course"],
            condition=DEMO_SUMMARY["condition"], recommendations=DEMO_SUMMARY["recommendations"],
            facts=json.loads(json.dumps(facts_now(e))), signed_by=e.primary_clinician,
            signer_name=e.primary_clinician.display_name,
            signed_at=dt.datetime.combine(e.discharged_on, dt.time(16), tzinfo=e.program.site.zone),
            version=2, created_by=e.primary_clinician,
        )
        summary.content_hash = content_hash(discharge_summary.summary_payload(summary))
        summaries.append(summary)
    DischargeSummary.objects.bulk_create(summaries)
    return len(records)


DEMO_SUMMARY = {
    "course": "Attended the program's groups and weekly individual therapy; learned and practised CBT and "
              "distress-tolerance skills; medication adjusted by the program psychiatrist.",
    "condition": "Mood improved, no suicidal ideation on the discharge C-SSRS, sleeping and eating normally, "
                 "back at work part time.",
    "recommendations": "Weekly outpatient therapy and monthly medication management with the aftercare provider; "
                       "crisis line and safety plan reviewed with the patient.",
}


def _one_step_down(ctx: DemoContext, episodes: list[Episode]) -> bool:
    """One real step-down through the service: PHP -> IOP at the same site, with a hand-off task."""

    for e in episodes:
        if e.status != EpisodeStatus.ACTIVE or e.program.level_of_care != LevelOfCare.PHP or e.primary_clinician is None:
            continue
        if (ctx.today - e.admitted_on).days < 10:
            continue
        target = Program.objects.filter(site=e.program.site, level_of_care=LevelOfCare.IOP, active=True).first()
        if target is None:
            continue

        day = today_in(e.program.site.zone)
        labels = {label: kind for kind, label in ConsentKind.choices}
        for label in missing_for_admission(patient=e.patient, program=target, on=day):
            consent = create_consent(patient=e.patient, site=target.site, kind=labels[label],
                                     created_by=e.primary_clinician)
            sign_consent(consent=consent, signer_name=e.patient.legal_name, collected_by=e.primary_clinician,
                         ip_address="10.0.0.20")
        # Discharge needs a fresh C-SSRS screen and the discharge medication reconciliation (TJC NPSG.15.01.01,
        # NPSG.03.06.01): recorded through their services, as staff would.
        record_risk_screen(patient=e.patient, site=e.program.site, administered_by=e.primary_clinician,
                           answers={"q1": False, "q2": False, "q6": False})
        home = [{"name": "Sertraline", "dose": "50 mg", "route": "oral", "frequency": "daily",
                 "prescriber": "Primary care"},
                {"name": "Trazodone", "dose": "50 mg", "route": "oral", "frequency": "at bedtime",
                 "prescriber": "Primary care"}]
        reconcile_medications(episode=e, list_kind="admission", rows=home, reconciled_by=e.primary_clinician)
        reconcile_medications(episode=e, list_kind="discharge", reconciled_by=e.primary_clinician, rows=[
            {"name": "Sertraline", "dose": "100 mg", "route": "oral", "frequency": "daily",
             "prescriber": "Program psychiatrist"},
            {"name": "Hydroxyzine", "dose": "25 mg", "route": "oral", "frequency": "as needed for anxiety",
             "prescriber": "Program psychiatrist"}])
        try:
            # The clinician's signed discharge summary (42 CFR 485.914(e)(2)), as staff would write it.
            summary = discharge_summary.start_summary(episode=e, user=e.primary_clinician)
            discharge_summary.sign(summary=summary, user=e.primary_clinician, expected_version=summary.version,
                                   **DEMO_SUMMARY)
            step_down(episode=e, to_program=target, to_track=target.tracks.first(),
                      discharged_on=today_in(e.program.site.zone),
                      reason="Stable; ready for a lower level of care", discharged_by=e.primary_clinician,
                      receiving_clinician=e.primary_clinician, medications="sertraline 100 mg daily",
                      handoff_note="Stepped down from PHP after 3 weeks; continue behavioral activation.")
        except DomainError:
            continue
        return True
    return False
