"""Demo referral network, pipeline (every state), completed intakes with ICD-10-CM diagnoses, HRSN and
C-SSRS screens, and level-of-care determinations. Bulk inserts; volume scales with ctx.n_patients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trellis.core.demo import DemoContext
from trellis.programs.models import Program
from trellis.referrals import cssrs, icd10
from trellis.referrals.criteria import TEMPLATES
from trellis.referrals.models import (
    IntakeAssessment,
    IntakeStatus,
    LevelOfCareDetermination,
    LossReason,
    ProgramAdmissionCriteria,
    Referral,
    ReferralContact,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
    SafetyPlan,
    SourceKind,
    SuicideRiskScreen,
)
from trellis.referrals.selectors import criteria_for_program

SOURCES = [
    ("Albany Medical Center ED", SourceKind.HOSPITAL, [("Dana Whitfield, RN", "ED social work")]),
    ("St. Peter's Inpatient Psychiatry", SourceKind.INPATIENT, [("Dr. Samuel Ortiz", "Attending psychiatrist"),
                                                               ("Lena Brooks, LCSW", "Discharge planner")]),
    ("Capital Region Primary Care", SourceKind.PRIMARY_CARE, [("Dr. Aisha Rahman", "Family medicine")]),
    ("Hudson Valley Counseling", SourceKind.OUTPATIENT, [("Mark Ellison, LMHC", "Therapist")]),
    ("Troy City School District", SourceKind.SCHOOL, [("Ms. Carla Ruiz", "School counselor")]),
    ("Albany County Probation", SourceKind.COURT, [("Officer Tom Reilly", "Probation officer")]),
    ("Capital City Rescue Mission", SourceKind.SHELTER, [("Jorge Medina", "Case worker")]),
    ("Empire State EAP", SourceKind.EAP, [("Priya Natarajan", "EAP counselor")]),
    ("Self / family", SourceKind.SELF_FAMILY, []),
    ("Ellis Hospital Behavioral Health", SourceKind.INPATIENT, [("Dr. Helen Park", "Unit chief")]),
]
LOSS_REASONS = [
    ("Needs a higher level of care", "declined"),
    ("Does not meet medical necessity", "declined"),
    ("Insurance not accepted", "any"),
    ("No response after three attempts", "not_reached"),
    ("Chose another provider", "referred_elsewhere"),
    ("Referred to a substance-use program", "referred_elsewhere"),
]
PROBLEMS = [
    "Worsening depression with passive death wishes after a job loss",
    "Panic attacks several times a week; stopped driving",
    "Trauma symptoms after an assault: nightmares, avoidance, hypervigilance",
    "Mood swings and impulsivity; recent inpatient stay",
    "Daily alcohol use with failed attempts to cut down; low mood",
    "School refusal, self-harm (cutting), family conflict",
]
DX_SETS = [
    [("F33.1", "primary"), ("F41.1", "secondary")],
    [("F41.0", "primary")],
    [("F43.12", "primary"), ("F33.1", "secondary")],
    [("F31.81", "primary")],
    [("F10.20", "primary"), ("F32.1", "secondary")],
    [("F43.23", "primary")],
    [("F33.2", "primary"), ("F60.3", "secondary")],
    [("F11.20", "primary"), ("F43.10", "secondary")],
]
OPEN = [ReferralStatus.RECEIVED, ReferralStatus.SCREENING, ReferralStatus.INTAKE_SCHEDULED, ReferralStatus.ASSESSED]
FIRST = ["Casey", "Jamie", "Riley", "Morgan", "Avery", "Quinn", "Rowan", "Skyler", "Emerson", "Hayden"]
LAST = ["Bishop", "Carver", "Delgado", "Everett", "Foster", "Gaines", "Holloway", "Ibarra", "Jensen", "Keller"]


def _at(day: dt.date, zone: Any, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def seed(ctx: DemoContext) -> None:
    rng, org = ctx.rng, ctx.org
    for code_set in DX_SETS:  # fail loudly if a demo code ever leaves the code set
        for code, _rank in code_set:
            icd10.validate(code)
    staff = ctx.extra.get("staff_by_email", {})
    therapists = ctx.staff.get("therapist", []) or list(staff.values())
    intake_staff = therapists or [None]
    sources = ReferralSource.objects.bulk_create(
        [ReferralSource(organization=org, name=n, kind=k, phone=f"(518) 555-01{i:02d}", fax=f"(518) 555-02{i:02d}",
                        address=f"{100 + i} State St, Albany, NY") for i, (n, k, _c) in enumerate(SOURCES)]
    )
    ReferralContact.objects.bulk_create(
        [ReferralContact(source=s, name=name, title=title) for s, (_n, _k, contacts) in zip(sources, SOURCES,
                                                                                             strict=True)
         for name, title in contacts]
    )
    reasons = LossReason.objects.bulk_create(
        [LossReason(organization=org, label=label, applies_to=to, order=i) for i, (label, to) in
         enumerate(LOSS_REASONS)]
    )
    programs = list(Program.objects.filter(organization=org).select_related("site"))
    for p in programs:
        if p.is_part2:
            ProgramAdmissionCriteria.objects.create(program=p, template="asam", data=TEMPLATES["asam"].to_data())
    criteria = {p.pk: criteria_for_program(p) for p in programs}

    # Episodes come from the episodes demo (seeded before referrals); no import of the layer above.
    first_episodes: dict[int, Any] = {}
    for e in sorted(ctx.extra.get("episodes", []), key=lambda e: e.admitted_on):
        first_episodes.setdefault(e.patient_id, e)

    referrals: list[Referral] = []
    meta: list[tuple[str, dt.date]] = []
    for patient in ctx.patients:
        site = patient.primary_site
        zone = site.zone
        source = rng.choice(sources)
        episode = first_episodes.get(patient.pk)
        if episode is not None:
            admitted = episode.admitted_on
            received = admitted - dt.timedelta(days=rng.randint(4, 16))
            status = ReferralStatus.ADMITTED
            program = episode.program
        else:
            received = ctx.today - dt.timedelta(days=rng.randint(0, 12))
            status = rng.choice(OPEN)
            program = next((p for p in programs if p.site_id == site.pk), None)
        referrals.append(_referral(ctx, site, zone, source, patient, episode, status, received, program,
                                   rng.choice(therapists) if therapists else None, reasons))
        meta.append((status, received))
    # people referred who never became patients: every closed state and more open ones
    n_extra = max(16, ctx.n_patients // 8)
    states = [ReferralStatus.DECLINED, ReferralStatus.NOT_REACHED, ReferralStatus.REFERRED_ELSEWHERE, *OPEN]
    for i in range(n_extra):
        site = ctx.sites[i % len(ctx.sites)]
        status = states[i % len(states)]
        received = ctx.today - dt.timedelta(days=rng.randint(0, 40))
        program = next((p for p in programs if p.site_id == site.pk), None)
        ref = _referral(ctx, site, site.zone, rng.choice(sources), None, None, status, received, program,
                        rng.choice(therapists) if therapists else None, reasons)
        ref.first_name, ref.last_name = rng.choice(FIRST), rng.choice(LAST)
        ref.date_of_birth = ctx.today - dt.timedelta(days=rng.randint(19 * 365, 60 * 365))
        referrals.append(ref)
        meta.append((status, received))
    Referral.objects.bulk_create(referrals, batch_size=2000)
    events = []
    for ref in referrals:
        chain = [ReferralStatus.RECEIVED]
        for s, attr in ((ReferralStatus.SCREENING, "screening_at"), (ReferralStatus.INTAKE_SCHEDULED,
                                                                     "intake_scheduled_at"),
                        (ReferralStatus.ASSESSED, "assessed_at")):
            if getattr(ref, attr):
                chain.append(s)
        if ref.status not in chain:
            chain.append(ref.status)
        stamps = [ref.received_at, ref.screening_at, ref.intake_scheduled_at, ref.assessed_at, ref.closed_at]
        stamps = [s for s in stamps if s] + [ref.closed_at or ref.received_at] * 3
        prev = ""
        for idx, s in enumerate(chain):
            events.append(ReferralEvent(referral=ref, from_status=prev, to_status=s, at=stamps[idx], by=ref.owner))
            prev = s
    ReferralEvent.objects.bulk_create(events, batch_size=5000)

    # intakes (completed) for admitted patients and for open referrals that reached "assessed"
    intakes: list[IntakeAssessment] = []
    intake_meta: list[tuple[Any, Any, list[tuple[str, str]]]] = []
    for ref in referrals:
        if ref.patient_id is None or ref.status not in (ReferralStatus.ADMITTED, ReferralStatus.ASSESSED):
            continue
        episode = first_episodes.get(ref.patient_id)
        assessed_on = (episode.admitted_on - dt.timedelta(days=rng.randint(1, 3))) if episode else \
            ctx.today - dt.timedelta(days=rng.randint(0, 3))
        k = rng.randrange(len(PROBLEMS))
        dx = DX_SETS[rng.randrange(len(DX_SETS))]
        if episode is not None and episode.program.is_part2:
            dx = rng.choice([DX_SETS[4], DX_SETS[7]])
            k = 4
        hrsn_answers = {
            "living_situation": rng.choice(["steady"] * 5 + ["worried", "not_steady"]),
            "housing_problems": rng.choice([["none"]] * 5 + [["mold"], ["pests", "heat"]]),
            "food_worry": rng.choice(["never"] * 4 + ["sometimes", "often"]),
            "food_last": rng.choice(["never"] * 5 + ["sometimes"]),
            "transportation": rng.choice(["no"] * 4 + ["yes"]),
            "utilities": rng.choice(["no"] * 6 + ["yes", "already_shut_off"]),
            "safety_hurt": "never", "safety_insult": rng.choice(["never", "rarely", "sometimes"]),
            "safety_threaten": "never", "safety_scream": rng.choice(["never", "rarely", "sometimes"]),
        }
        from trellis.referrals import hrsn

        result = hrsn.score(hrsn_answers)
        clinician = (episode.primary_clinician if episode and episode.primary_clinician else rng.choice(intake_staff))
        if clinician is None:
            continue
        intakes.append(IntakeAssessment(
            patient_id=ref.patient_id, site=ref.site, referral=ref, episode=episode, clinician=clinician,
            assessed_on=assessed_on, status=IntakeStatus.COMPLETED, presenting_problem=PROBLEMS[k],
            psychiatric_history="Prior outpatient therapy; one psychiatric hospitalization." if k in (0, 3) else
            "Outpatient therapy in the past year.", substance_use_history="Daily alcohol use for 3 years." if k == 4
            else "Denies current use.", medications=rng.choice(["sertraline 100 mg daily", "none",
                                                                 "lamotrigine 150 mg daily", "bupropion XL 300 mg"]),
            allergies=rng.choice(["NKDA", "NKDA", "penicillin (rash)"]), strengths="Supportive sibling; motivated",
            patient_goals=rng.choice(["I want to feel like myself again", "Get back to work", "Stop drinking",
                                      "Sleep through the night"]),
            hrsn_answers=hrsn_answers, hrsn_positive=list(result.positive_domains),
            hrsn_safety_score=result.safety_score, completed_at=_at(assessed_on, ref.site.zone, 15),
        ))
        intake_meta.append((clinician, episode, dx))
    IntakeAssessment.objects.bulk_create(intakes, batch_size=2000)

    screens, determinations = [], []
    # The diagnoses themselves belong to episodes: its demo stage "episodes.diagnoses" creates them.
    ctx.extra["intake_diagnoses"] = [(intake, episode, clinician, dx)
                                     for intake, (clinician, episode, dx) in zip(intakes, intake_meta, strict=True)]
    for intake, (clinician, episode, _dx) in zip(intakes, intake_meta, strict=True):
        roll = rng.random()
        answers = {"q1": False, "q2": False, "q6": False}
        if roll > 0.55:
            answers = {"q1": True, "q2": False, "q6": False}
        if roll > 0.8:
            answers = {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}
        if roll > 0.93:
            answers = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": True, "q6_recent": False}
        res = cssrs.score(answers)
        screens.append(SuicideRiskScreen(
            patient_id=intake.patient_id, intake=intake, episode=episode, site=intake.site,
            administered_at=_at(intake.assessed_on, intake.site.zone, 11), administered_by=clinician,
            instrument_version=cssrs.INSTRUMENT_VERSION, risk=res.risk.value,
            requires_safety_plan=res.requires_safety_plan, **res.answers,
        ))
        if episode is not None:
            crit = criteria[episode.program_id]
            findings = {d.key: next(f.key for f in d.findings if f.meets) for d in crit.dimensions}
            determinations.append(LevelOfCareDetermination(
                patient_id=intake.patient_id, program=episode.program, intake=intake, episode=episode,
                criteria=crit.to_data(), findings=findings, rationale="Meets the program's admission criteria.",
                criteria_met=True, recommended_level=episode.program.level_of_care, determined_by=clinician,
                determined_at=_at(intake.assessed_on, intake.site.zone, 14),
            ))
    SuicideRiskScreen.objects.bulk_create(screens, batch_size=2000)
    LevelOfCareDetermination.objects.bulk_create(determinations, batch_size=2000)
    SafetyPlan.objects.bulk_create([
        SafetyPlan(patient_id=s.patient_id, screen=s, warning_signs="Isolating, not sleeping",
                   coping_strategies="Walk, music, shower", social_contacts="Sister; church group",
                   help_contacts="Sister (518) 555-0199", professional_contacts="988; program on-call line",
                   means_safety="Medications kept by sister", completed_at=s.administered_at,
                   completed_by=s.administered_by)
        for s in screens if s.risk in ("high", "moderate")
    ])
    counts = {s: sum(1 for st, _ in meta if st == s) for s in ReferralStatus.values}
    ctx.extra["referral_sources"] = sources
    ctx.say(f"{len(sources)} referral sources, {len(referrals)} referrals ({counts}), {len(intakes)} intakes, "
            f"{len(screens)} C-SSRS screens.")


def _referral(ctx: DemoContext, site: Any, zone: Any, source: Any, patient: Any, episode: Any, status: str,
              received: dt.date, program: Any, owner: Any, reasons: list[LossReason]) -> Referral:
    rng = ctx.rng
    ref = Referral(
        organization=ctx.org, site=site, program=program, source=source, status=status,
        first_name=patient.legal_first_name if patient else "", last_name=patient.legal_last_name if patient else "",
        date_of_birth=patient.date_of_birth if patient else None, phone=patient.phone if patient else "",
        reason=rng.choice(PROBLEMS), requested_level=program.level_of_care if program else "", owner=owner,
        received_at=_at(received, zone, 9), patient=patient, episode=episode,
    )
    order = [ReferralStatus.RECEIVED, ReferralStatus.SCREENING, ReferralStatus.INTAKE_SCHEDULED,
             ReferralStatus.ASSESSED]
    reached = 4 if status == ReferralStatus.ADMITTED else (order.index(status) if status in order else
                                                           rng.randint(0, 2))
    day = received
    for idx, attr in ((1, "screening_at"), (2, "intake_scheduled_at"), (3, "assessed_at")):
        if reached >= idx:
            day = min(day + dt.timedelta(days=rng.randint(0, 3)), ctx.today)
            setattr(ref, attr, _at(day, zone, 11 + idx))
    if status == ReferralStatus.ADMITTED and episode is not None:
        ref.closed_at = _at(episode.admitted_on, zone, 9)
    elif status in (ReferralStatus.DECLINED, ReferralStatus.NOT_REACHED, ReferralStatus.REFERRED_ELSEWHERE):
        ref.closed_at = _at(min(day + dt.timedelta(days=2), ctx.today), zone, 16)
        ref.loss_reason = rng.choice([r for r in reasons if r.applies_to in ("any", status)])
    else:
        ref.next_step = {ReferralStatus.RECEIVED: "Call to screen", ReferralStatus.SCREENING: "Finish phone screen",
                         ReferralStatus.INTAKE_SCHEDULED: "Intake appointment",
                         ReferralStatus.ASSESSED: "Collect consents and admit"}[status]
        ref.next_step_due = ctx.today + dt.timedelta(days=rng.randint(-2, 4))
        if status == ReferralStatus.INTAKE_SCHEDULED:
            ref.intake_at = _at(ctx.today + dt.timedelta(days=rng.randint(1, 5)), zone, 10)
    return ref
