"""Recertification content (42 CFR 424.24(e)(3)) and the hours a certified program's plan states (42 CFR
424.24(e)(2)) - issue 11 items 6 and 7."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from trellis.careplans import plan_hours, services
from trellis.careplans.models import CareDeadline, DeadlineKind, PhysicianCertification
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.referrals.tests.builders import admitted_episode, make_program, primary_diagnosis, simple_plan

pytestmark = pytest.mark.django_db

RECERT = {"response_to_treatment": "PHQ-9 from 19 to 14", "continuing_symptoms": "Passive SI twice this week",
          "discharge_goals": "PHQ-9 < 10; outpatient follow-up booked"}


@pytest.fixture
def physician(make_staff):
    user = make_staff("prescriber")
    user.profile.is_physician = True
    user.profile.save()
    return user


def nurse_practitioner(make_staff):
    user = make_staff("prescriber")
    user.profile.is_physician = False
    user.profile.credentials = "PMHNP-BC"
    user.profile.save()
    return user


def draft_plan(episode, by, *, minutes=240, per_week=5, dx=True):
    plan = simple_plan(episode, by, sign_it=False)
    intervention = plan.problems.get().goals.get().objectives.get().interventions.get()
    intervention.minutes_per_session, intervention.sessions_per_week = minutes, per_week
    intervention.save()
    if not dx:
        plan.primary_diagnosis = None
        plan.save()
    return plan


@pytest.mark.parametrize("missing", list(RECERT))
def test_recertification_requires_each_content_field(site, make_staff, patient, physician, missing):
    """42 CFR 424.24(e)(3): a recertification states the response to treatment, the symptoms still putting the
    patient at risk of inpatient care and the treatment goals for coordinating discharge - each required."""
    episode = admitted_episode(patient, make_program(site), make_staff("therapist"))
    services.record_certification(episode=episode, physician=physician)
    with pytest.raises(DomainError, match=r"42 CFR 424\.24\(e\)\(3\)") as caught:
        services.record_certification(episode=episode, physician=physician, **(RECERT | {missing: "  "}))
    assert caught.value.field == missing
    assert PhysicianCertification.objects.filter(episode=episode).count() == 1
    recert = services.record_certification(episode=episode, physician=physician, **RECERT)
    assert recert.kind == "recertification" and recert.continuing_symptoms == RECERT["continuing_symptoms"]


def test_only_a_physician_signs_a_recertification(site, make_staff, patient, physician):
    """42 CFR 424.24(e): certification and recertification are signed by a physician (MD/DO), not an NP."""
    episode = admitted_episode(patient, make_program(site), make_staff("therapist"))
    services.record_certification(episode=episode, physician=physician)
    np_prescriber = nurse_practitioner(make_staff)
    with pytest.raises(DomainError, match="MD/DO"):
        services.record_certification(episode=episode, physician=np_prescriber, **RECERT)


def test_recertification_form_names_the_rule(site, make_staff, patient, physician, client_for):
    """42 CFR 424.24(e)(3) through the screen: an empty field is refused with the rule named."""
    episode = admitted_episode(patient, make_program(site), make_staff("therapist"))
    services.record_certification(episode=episode, physician=physician)
    c = client_for(physician)
    url = reverse("careplans:certify", kwargs={"episode_id": episode.public_id})
    assert c.get(url).status_code == 200
    bad = c.post(url, RECERT | {"discharge_goals": ""})
    assert bad.status_code == 400 and "42 CFR 424.24(e)(3)" in bad.content.decode()
    assert c.post(url, RECERT).status_code == 302
    assert PhysicianCertification.objects.filter(episode=episode, kind="recertification").count() == 1
    assert client_for(make_staff("therapist")).get(url).status_code == 403


def test_plan_below_the_program_floor_is_refused_with_the_numbers(site, make_staff, patient):
    """42 CFR 410.43(c)(1): a PHP plan states at least 20 hours a week; signing below is refused with the numbers."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = draft_plan(episode, therapist, minutes=180, per_week=5)
    with pytest.raises(DomainError, match=r"15 h a week \(900 minutes\).*20 h \(1200 minutes; 42 CFR 410\.43"):
        services.sign_plan(plan=plan, clinician=therapist, patient_signer_name="Alex Rivera")
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_iop_plan_floor_is_nine_hours(site, make_staff, patient):
    """42 CFR 424.24(e)(1)(i): IOP 9 hours a week."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site, level="iop"), therapist)
    with pytest.raises(DomainError, match="9 h"):
        services.sign_plan(plan=draft_plan(episode, therapist, minutes=120, per_week=4), clinician=therapist,
                           patient_signer_name="Alex Rivera")


def test_plan_hours_are_computed_and_intervention_hours_required():
    """42 CFR 424.24(e)(2)(i)(B): each intervention states its amount and frequency; the weekly total is their sum."""
    items = [plan_hours.InterventionHours("Group", 180, 5), plan_hours.InterventionHours("Individual", 50, 1)]
    assert plan_hours.weekly_minutes(items) == 950
    assert plan_hours.floor_problem(items=items, floor_hours=Decimal("9"), level_of_care="iop") is None
    problem = plan_hours.floor_problem(items=[*items, plan_hours.InterventionHours("Family", None, 1)],
                                       floor_hours=Decimal("9"), level_of_care="iop")
    assert "minutes per session and sessions per week" in problem and "Family" in problem


def test_certified_plan_names_the_primary_psychiatric_diagnosis(site, make_staff, patient):
    """42 CFR 424.24(e)(2)(i)(A): the plan sets forth the physician's diagnosis (ICD-10-CM F01-F99)."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = draft_plan(episode, therapist, dx=False)
    with pytest.raises(DomainError, match="primary psychiatric diagnosis"):
        services.sign_plan(plan=plan, clinician=therapist, patient_signer_name="Alex Rivera")
    dx = primary_diagnosis(episode, therapist)
    dx.code = "E11.9"
    dx.save()
    with pytest.raises(DomainError, match="not a psychiatric diagnosis"):
        services.set_primary_diagnosis(plan=plan, diagnosis=dx, changed_by=therapist)
    dx.code = "F33.1"
    dx.save()
    services.set_primary_diagnosis(plan=plan, diagnosis=dx, changed_by=therapist)
    assert services.sign_plan(plan=plan, clinician=therapist, patient_signer_name="Alex Rivera").status == "active"


def test_plan_is_due_by_the_certification_date(site, make_staff, patient):
    """42 CFR 424.24(e)(1)(ii): the certification attests a plan is established, so in a certified program the
    initial plan is due by the certification date, not plan_due_days later."""
    episode = admitted_episode(patient, make_program(site), make_staff("therapist"))
    due = CareDeadline.objects.get(episode=episode, kind=DeadlineKind.INITIAL_PLAN).due_on
    assert due == episode.admitted_on
    other = admitted_episode(patient, make_program(site, name="Uncertified", certification=False),
                             make_staff("therapist"))
    assert CareDeadline.objects.get(episode=other, kind=DeadlineKind.INITIAL_PLAN).due_on > other.admitted_on


def test_initial_plan_deadline_of_a_certified_program_is_met_by_the_physician_cosignature(
        site, make_staff, patient, physician):
    """42 CFR 424.24(e)(2)(i) with careplans.in_force: in a certified program the plan is in force only once a
    physician co-signs it, so the clinician's signature alone does not meet the initial-plan deadline."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = simple_plan(episode, therapist)
    deadline = CareDeadline.objects.get(episode=episode, kind=DeadlineKind.INITIAL_PLAN)
    assert deadline.met_on is None  # signed by the clinician, awaiting the physician
    services.physician_sign_plan(plan=plan, physician=physician)
    deadline.refresh_from_db()
    assert deadline.met_on == today_in(site.zone)
    other = admitted_episode(patient, make_program(site, name="Uncertified", certification=False), therapist)
    simple_plan(other, therapist)
    assert CareDeadline.objects.get(episode=other, kind=DeadlineKind.INITIAL_PLAN).met_on == today_in(site.zone)


def test_physician_cosigns_plans_of_certified_programs(site, make_staff, patient, physician, client_for):
    """42 CFR 424.24(e)(2)(i): the plan is established and reviewed by a physician, who co-signs it."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = simple_plan(episode, therapist)
    with pytest.raises(DomainError, match="MD/DO"):
        services.physician_sign_plan(plan=plan, physician=nurse_practitioner(make_staff))
    url = reverse("careplans:plan_physician_sign", kwargs={"plan_id": plan.public_id})
    assert client_for(therapist).post(url).status_code == 403
    assert client_for(physician).post(url).status_code == 302
    plan.refresh_from_db()
    assert plan.physician_signed_by == physician and plan.physician_signed_at is not None
    page = client_for(therapist).get(reverse("careplans:plan", kwargs={"plan_id": plan.public_id})).content.decode()
    assert "Meets floor" in page and "20 h" in page
    assert today_in(site.zone) == episode.admitted_on
