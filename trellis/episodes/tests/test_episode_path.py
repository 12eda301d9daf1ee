"""The full path referral -> patient -> intake -> admission -> plan -> reviews -> step-down -> discharge,
through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from trellis.audit.models import AuditEvent
from trellis.audit.services import AuditAction
from trellis.careplans import services as plan_services
from trellis.careplans.models import CareDeadline, DeadlineKind, PlanStatus, ProgressRating, TreatmentPlan
from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.episodes import services as lifecycle
from trellis.episodes.models import Diagnosis, DischargeType, Episode, EpisodeStatus, HandoffTask
from trellis.patients.models import Patient
from trellis.patients.services import DuplicatePatientWarning
from trellis.programs.models import LevelOfCare
from trellis.referrals import services as referral_services
from trellis.referrals.models import ReferralStatus
from trellis.referrals.selectors import criteria_for_program
from trellis.referrals.tests.builders import NO_RISK, make_program, make_track, met_findings, sign

pytestmark = pytest.mark.django_db


def test_full_path(site, make_staff):
    director = make_staff("program_director")
    therapist = make_staff("therapist")
    prescriber = make_staff("prescriber")
    php = make_program(site, level=LevelOfCare.PHP, name="Adult PHP")
    iop = make_program(site, level=LevelOfCare.IOP, name="Adult IOP")
    php_track, iop_track = make_track(php), make_track(iop)
    today = today_in(site.zone)

    # 1. referral
    source = referral_services.create_referral_source(organization=site.organization, created_by=director,
                                                      name="County Hospital", kind="hospital")
    referral = referral_services.create_referral(
        site=site, created_by=director, first_name="Jordan", last_name="Lee", date_of_birth=dt.date(1990, 5, 1),
        source=source, program=php, reason="Discharged from inpatient unit", owner=therapist,
        next_step="Call to screen", next_step_due=today,
    )
    referral = referral_services.move_referral(referral=referral, to_status="screening", changed_by=director)
    referral = referral_services.move_referral(referral=referral, to_status="intake_scheduled", changed_by=director)
    assert referral.screening_at and referral.intake_scheduled_at

    # 2. -> patient, with duplicate detection from the patients app
    from trellis.core.testing.factories import PatientFactory

    PatientFactory(primary_site=site, legal_first_name="Jordan", legal_last_name="Lee",
                   date_of_birth=dt.date(1990, 5, 1))
    with pytest.raises(DuplicatePatientWarning):
        referral_services.convert_referral_to_patient(referral=referral, created_by=director, sex_at_birth="F")
    assert Patient.objects.filter(legal_last_name="Lee").count() == 1
    patient = referral_services.convert_referral_to_patient(
        referral=referral, created_by=director, sex_at_birth="F", confirm_not_duplicate=True
    )
    assert patient.legal_first_name == "Jordan" and patient.date_of_birth == dt.date(1990, 5, 1)

    # 3. intake
    intake = referral_services.start_intake(patient=patient, site=site, clinician=therapist, referral=referral,
                                            presenting_problem="Depression after job loss")
    referral_services.save_intake(intake=intake, changed_by=therapist, patient_goals="Sleep and get back to work",
                                  hrsn_answers={"living_situation": "worried", "transportation": "yes"})
    lifecycle.add_diagnosis(patient=patient, intake=intake, code="F33.1", rank="primary",
                            diagnosed_on=today, diagnosed_by=therapist)
    lifecycle.add_diagnosis(patient=patient, intake=intake, code="f411", rank="secondary",
                            diagnosed_on=today, diagnosed_by=therapist)
    referral_services.record_risk_screen(patient=patient, site=site, intake=intake, administered_by=therapist,
                                         answers=NO_RISK)
    intake = referral_services.complete_intake(intake=intake, completed_by=therapist)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ASSESSED and referral.assessed_at
    intake.refresh_from_db()
    assert intake.hrsn_positive == ["housing", "transportation"]

    # 4. level of care
    det = referral_services.record_loc_determination(
        patient=patient, program=php, intake=intake, findings=met_findings(criteria_for_program(php)),
        rationale="Would need inpatient care otherwise", recommended_level="php", determined_by=therapist,
    )
    assert det.criteria_met

    # 5. admission refused while consents are missing: the message lists them; nothing saved
    with pytest.raises(DomainError, match="Consent to treatment, Financial responsibility"):
        lifecycle.admit(patient=patient, program=php, admitted_on=today, admitted_by=therapist,
                        referral=referral)
    assert not Episode.objects.filter(patient=patient).exists()
    for kind in (ConsentKind.TREATMENT, ConsentKind.FINANCIAL):
        sign(consent_services.create_consent(patient=patient, site=site, kind=kind, created_by=therapist), therapist,
             "Jordan Lee")
    episode = lifecycle.admit(
        patient=patient, program=php, track=php_track, admitted_on=today, admitted_by=therapist,
        primary_clinician=therapist, prescriber=prescriber, authorized_level="php", referral=referral,
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ADMITTED and referral.episode == episode
    assert episode.recommended_level == "php" and episode.authorized_level == "php"
    assert Diagnosis.objects.filter(episode=episode).count() == 2
    # one admission service, one audit event for the new episode
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="episode",
                                        object_id=str(episode.public_id))
    assert created.count() == 1 and created.get().detail["admission"] is True
    deadlines = {d.kind: d.due_on for d in CareDeadline.objects.filter(episode=episode)}
    # certified program: the plan is due by the certification date (42 CFR 424.24(e)(1)(ii)), not a week later
    assert deadlines[DeadlineKind.INITIAL_PLAN] == today
    assert deadlines[DeadlineKind.CERTIFICATION] == today

    # 6. physician certification -> first recertification on the 18th day
    plan_services.record_certification(episode=episode, physician=prescriber)
    recert = CareDeadline.objects.get(episode=episode, kind=DeadlineKind.RECERTIFICATION, met_on=None)
    assert recert.due_on == today + dt.timedelta(days=17)

    # 7. plan, signed by patient and clinician
    plan = plan_services.create_plan(episode=episode, created_by=therapist)
    problem = plan_services.add_problem(plan=plan, statement="Depressed mood", changed_by=therapist,
                                        diagnosis=Diagnosis.objects.get(episode=episode, rank="primary"))
    goal = plan_services.add_goal(problem=problem, statement="I want to enjoy things again", changed_by=therapist)
    objective = plan_services.add_objective(goal=goal, statement="PHQ-9 < 10 for 2 weeks",
                                            target_date=today + dt.timedelta(days=28), changed_by=therapist)
    plan_services.add_intervention(objective=objective, description="Behavioral activation group",
                                   modality="skills_group", frequency="daily", changed_by=therapist,
                                   responsible=therapist, minutes_per_session=240, sessions_per_week=5)
    plan_services.set_primary_diagnosis(plan=plan, diagnosis=Diagnosis.objects.get(episode=episode, rank="primary"),
                                        changed_by=therapist)
    plan = plan_services.sign_plan(plan=plan, clinician=therapist, patient_signer_name="Jordan Lee",
                                   ip_address="127.0.0.1")
    assert plan.status == PlanStatus.ACTIVE and plan.content_sha256
    # A PHP plan is established by the physician's co-signature (42 CFR 424.24(e)(2)(i)): only then is it met.
    assert CareDeadline.objects.get(episode=episode, kind=DeadlineKind.INITIAL_PLAN).met_on is None
    plan = plan_services.physician_sign_plan(plan=plan, physician=prescriber)
    assert CareDeadline.objects.get(episode=episode, kind=DeadlineKind.INITIAL_PLAN).met_on == today
    review_deadline = CareDeadline.objects.get(episode=episode, kind=DeadlineKind.PLAN_REVIEW, met_on=None)
    assert review_deadline.due_on == today + dt.timedelta(days=30)

    # 8. reviews: progress per objective, new version; reviewing the superseded version is refused
    review = plan_services.review_plan(plan=plan, reviewer=therapist, summary="Improving",
                                       progress={objective.pk: (ProgressRating.PROGRESSING, "PHQ-9 14")})
    v2 = review.resulting_plan
    assert v2.version == 2 and v2.status == PlanStatus.DRAFT
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED
    with pytest.raises(DomainError, match="superseded"):
        plan_services.review_plan(plan=plan, reviewer=therapist, summary="again",
                                  progress={objective.pk: (ProgressRating.PROGRESSING, "")})
    assert TreatmentPlan.objects.filter(episode=episode).count() == 2
    v2 = plan_services.sign_plan(plan=v2, clinician=therapist, patient_signer_name="Jordan Lee")
    v2_objective = v2.problems.get().goals.get().objectives.get()
    assert v2_objective.lineage == objective.lineage
    review2 = plan_services.review_plan(plan=v2, reviewer=therapist, summary="Ready to step down",
                                        progress={v2_objective: (ProgressRating.ACHIEVED, "PHQ-9 8")})
    plan_services.sign_plan(plan=review2.resulting_plan, clinician=therapist, patient_signer_name="Jordan Lee")

    # 9. level change pulls the review in
    lifecycle.change_level(episode=episode, field="authorized", to_level="iop", changed_on=today,
                           reason="Payer authorized IOP only", changed_by=therapist)
    assert CareDeadline.objects.get(episode=episode, kind=DeadlineKind.PLAN_REVIEW, met_on=None,
                                    cancelled=False).due_on == today + dt.timedelta(days=7)

    # 10. step-down opens a new IOP episode with a hand-off task, no re-entry
    from trellis.referrals.tests.builders import ready_for_discharge

    ready_for_discharge(episode, therapist)
    rec, new_episode, task = lifecycle.step_down(
        episode=episode, to_program=iop, to_track=iop_track, discharged_on=today, reason="Stable; step down",
        discharged_by=therapist, receiving_clinician=therapist, medications="sertraline 100 mg daily",
    )
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.DISCHARGED and episode.discharge_type == DischargeType.STEP_DOWN
    assert new_episode.previous_episode == episode and new_episode.program == iop
    assert new_episode.recommended_level == "iop"
    assert HandoffTask.objects.get(to_episode=new_episode).assigned_to == therapist
    assert {d.code for d in Diagnosis.objects.filter(episode=new_episode)} == {"F33.1", "F41.1"}
    assert rec.next_episode == new_episode
    assert not CareDeadline.objects.filter(episode=episode, met_on=None, cancelled=False).exists()
    assert CareDeadline.objects.filter(episode=new_episode, kind=DeadlineKind.INITIAL_PLAN).exists()

    # 11. discharge of the new episode with the generated summary
    ready_for_discharge(new_episode, therapist)
    final = lifecycle.discharge(
        episode=new_episode, discharged_on=today, discharge_type=DischargeType.COMPLETED,
        reason="Goals met", discharged_by=therapist, diagnoses=[("F33.41", "primary")],
        medications="sertraline 100 mg daily", aftercare_provider="Dr. Outpatient",
        aftercare_on=today + dt.timedelta(days=10),
    )
    assert final.aftercare_flag.startswith("Aftercare appointment is more than 7 days")
    assert final.summary["discharge_diagnoses"] == ["F33.41 Major depressive disorder, recurrent, in partial "
                                                    "remission (primary)"]
    assert final.summary["hours"]["available"] is True
    assert "weeks" in final.summary["hours"]
    from trellis.episodes.summary import discharge_summary_pdf

    pdf = discharge_summary_pdf(new_episode, final)
    assert pdf.startswith(b"%PDF")


def test_bad_input_nothing_saved(site, make_staff, patient):
    therapist = make_staff("therapist")
    php = make_program(site)
    today = today_in(site.zone)
    from trellis.referrals.tests.builders import admitted_episode

    episode = admitted_episode(patient, php, therapist)
    # overlapping episode in the same program
    with pytest.raises(DomainError, match="overlaps"):
        lifecycle.admit(patient=patient, program=php, admitted_on=today, admitted_by=therapist)
    assert Episode.objects.filter(patient=patient).count() == 1
    # discharge before admission
    with pytest.raises(DomainError, match="before the admission date"):
        lifecycle.discharge(episode=episode, discharged_on=today - dt.timedelta(days=1), discharge_type="completed",
                            reason="x", discharged_by=therapist)
    # unknown ICD-10-CM code on discharge: nothing half-saved
    from trellis.referrals.tests.builders import ready_for_discharge

    ready_for_discharge(episode, therapist)
    with pytest.raises(DomainError, match="not a valid ICD-10-CM code"):
        lifecycle.discharge(episode=episode, discharged_on=today, discharge_type="completed", reason="x",
                            discharged_by=therapist, diagnoses=[("F99.99", "primary")])
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE
    # step-down to a level that is not lower
    other_php = make_program(site, name="Second PHP")
    with pytest.raises(DomainError, match="lower level"):
        lifecycle.step_down(episode=episode, to_program=other_php, discharged_on=today, reason="x",
                            discharged_by=therapist, receiving_clinician=therapist)
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE


def test_criteria_not_met_needs_director_override(site, make_staff, patient):
    therapist = make_staff("therapist")
    director = make_staff("program_director")
    php = make_program(site)
    from trellis.referrals.tests.builders import admission_consents, determination, screen

    admission_consents(patient, site, therapist)
    screen(patient, site, therapist)
    det = determination(patient, php, therapist, met=False)
    with pytest.raises(DomainError, match="criteria are not met"):
        lifecycle.admit(patient=patient, program=php, admitted_on=today_in(site.zone), admitted_by=therapist)
    with pytest.raises(DomainError, match="program director"):
        referral_services.override_loc_determination(determination=det, reason="x", overridden_by=therapist)
    with pytest.raises(DomainError, match="reason"):
        referral_services.override_loc_determination(determination=det, reason=" ", overridden_by=director)
    referral_services.override_loc_determination(determination=det, reason="Payer step-up denied; safest option",
                                                 overridden_by=director)
    episode = lifecycle.admit(patient=patient, program=php, admitted_on=today_in(site.zone), admitted_by=therapist)
    assert episode.status == EpisodeStatus.ACTIVE


def test_high_risk_requires_safety_plan(site, make_staff, patient):
    therapist = make_staff("therapist")
    php = make_program(site)
    from trellis.referrals.tests.builders import HIGH_RISK, ready_to_admit

    ready_to_admit(patient, php, therapist)
    screen = referral_services.record_risk_screen(patient=patient, site=site, administered_by=therapist,
                                                  answers=HIGH_RISK)
    assert screen.risk == "high" and screen.requires_safety_plan
    assert patient.flags.filter(kind="suicide_risk", active=True).exists()
    with pytest.raises(DomainError, match="safety plan"):
        lifecycle.admit(patient=patient, program=php, admitted_on=today_in(site.zone), admitted_by=therapist)
    with pytest.raises(DomainError, match="Complete every section"):
        referral_services.save_safety_plan(screen=screen, changed_by=therapist, complete=True,
                                           warning_signs="Isolating")
    referral_services.save_safety_plan(
        screen=screen, changed_by=therapist, complete=True, warning_signs="Isolating", coping_strategies="Walk",
        social_contacts="Sister", help_contacts="Sister 555-0100", professional_contacts="988; clinic",
        means_safety="Meds locked by sister",
    )
    assert lifecycle.admit(patient=patient, program=php, admitted_on=today_in(site.zone), admitted_by=therapist)


def test_admission_and_discharge_signals(site, make_staff, patient, django_capture_on_commit_callbacks):
    therapist = make_staff("therapist")
    received = []

    def on_admit(sender, episode, **kwargs):
        received.append(("admitted", episode.pk))

    def on_discharge(sender, episode, **kwargs):
        received.append(("discharged", episode.pk))

    lifecycle.episode_admitted.connect(on_admit)
    lifecycle.episode_discharged.connect(on_discharge)
    try:
        from trellis.referrals.tests.builders import admitted_episode

        with django_capture_on_commit_callbacks(execute=True):
            episode = admitted_episode(patient, make_program(site), therapist)
        from trellis.referrals.tests.builders import ready_for_discharge

        ready_for_discharge(episode, therapist)
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.discharge(episode=episode, discharged_on=today_in(site.zone), discharge_type="completed",
                                reason="Done", discharged_by=therapist)
    finally:
        lifecycle.episode_admitted.disconnect(on_admit)
        lifecycle.episode_discharged.disconnect(on_discharge)
    assert received == [("admitted", episode.pk), ("discharged", episode.pk)]
