"""Plan authoring, signature, review (superseded refused), certification and worklist views."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.careplans.models import CareDeadline, PlanStatus, TreatmentPlan
from trellis.core.clock import today_in
from trellis.core.testing.factories import PatientFactory
from trellis.referrals.tests.builders import admitted_episode, make_program, primary_diagnosis, simple_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist")


def test_author_and_sign_plan_through_views(client_for, site, therapist, patient):
    episode = admitted_episode(patient, make_program(site), therapist)
    c = client_for(therapist)
    response = c.post(reverse("careplans:plan_create", kwargs={"episode_id": episode.public_id}))
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302
    add = lambda kind: reverse("careplans:plan_add", kwargs={"plan_id": plan.public_id, "kind": kind})  # noqa: E731
    assert c.post(add("problem"), {"statement": ""}).status_code == 400
    c.post(add("problem"), {"statement": "Panic attacks"})
    problem = plan.problems.get()
    c.post(add("goal"), {"statement": "I want to ride the bus again", "parent": problem.pk})
    goal = problem.goals.get()
    past = (episode.admitted_on - dt.timedelta(days=5)).isoformat()
    bad = c.post(add("objective"), {"statement": "Ride 2 stops", "target_date": past, "parent": goal.pk},
                 follow=True)
    assert b"before the admission date" in bad.content
    target = (episode.admitted_on + dt.timedelta(days=30)).isoformat()
    c.post(add("objective"), {"statement": "Ride 2 stops", "target_date": target, "parent": goal.pk})
    objective = goal.objectives.get()
    sign_url = reverse("careplans:plan_sign", kwargs={"plan_id": plan.public_id})
    response = c.post(sign_url, {"patient_signer_name": "Alex Rivera"})
    assert response.status_code == 400 and b"Every objective needs at least one intervention" in response.content
    c.post(add("intervention"), {"description": "Exposure practice", "modality": "individual_therapy",
                                 "frequency": "1x/week", "parent": objective.pk, "minutes_per_session": 60,
                                 "sessions_per_week": 1})
    assert c.post(sign_url, {"patient_signer_name": ""}).status_code == 400
    # certified PHP: the primary psychiatric diagnosis and 20 weekly hours (42 CFR 424.24(e)(2), 410.43(c)(1))
    refused = c.post(sign_url, {"patient_signer_name": "Alex Rivera"})
    assert refused.status_code == 400 and b"primary psychiatric diagnosis" in refused.content
    dx = primary_diagnosis(episode, therapist)
    assert c.post(reverse("careplans:plan_diagnosis", kwargs={"plan_id": plan.public_id}),
                  {"primary_diagnosis": dx.pk}).status_code == 302
    refused = c.post(sign_url, {"patient_signer_name": "Alex Rivera"}).content.decode()
    assert "1 h a week (60 minutes), below the program&#x27;s floor of 20 h" in refused
    c.post(add("intervention"), {"description": "Day program groups", "modality": "group_psychotherapy",
                                 "frequency": "daily", "parent": objective.pk, "minutes_per_session": 240,
                                 "sessions_per_week": 5})
    assert c.post(sign_url, {"patient_signer_name": "Alex Rivera"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.patient_signed_ip == "127.0.0.1"


def test_review_view_and_superseded_refusal(client_for, site, therapist, patient, make_staff):
    episode = admitted_episode(patient, make_program(site), therapist)
    plan = simple_plan(episode, therapist)
    objective = plan.problems.get().goals.get().objectives.get()
    c = client_for(therapist)
    url = reverse("careplans:plan_review", kwargs={"plan_id": plan.public_id})
    assert c.get(url).status_code == 200
    response = c.post(url, {"reason": "scheduled", "reviewed_on": today_in(site.zone).isoformat(),
                            "summary": "Going well"})
    assert response.status_code == 400 and b"Record progress for every objective" in response.content
    assert TreatmentPlan.objects.count() == 1
    response = c.post(url, {"reason": "scheduled", "reviewed_on": today_in(site.zone).isoformat(),
                            "summary": "Going well", f"rating_{objective.pk}": "progressing"})
    assert response.status_code == 302
    again = c.post(url, {"reason": "scheduled", "reviewed_on": today_in(site.zone).isoformat(),
                         "summary": "Again", f"rating_{objective.pk}": "progressing"})
    assert again.status_code == 400 and b"superseded" in again.content
    assert TreatmentPlan.objects.count() == 2
    # old version stays readable
    assert c.get(reverse("careplans:plan", kwargs={"plan_id": plan.public_id})).status_code == 200
    # a group facilitator may read but not review
    assert client_for(make_staff("group_facilitator")).get(url).status_code == 403


def test_certify_view_prescriber_only(client_for, site, therapist, patient, make_staff):
    episode = admitted_episode(patient, make_program(site), therapist)
    url = reverse("careplans:certify", kwargs={"episode_id": episode.public_id})
    assert client_for(therapist).post(url).status_code == 403
    prescriber = make_staff("prescriber")
    assert client_for(prescriber).post(url).status_code == 302
    assert episode.certifications.count() == 1
    assert CareDeadline.objects.filter(episode=episode, kind="recertification", met_on=None).exists()


def test_worklist_allowed_other_site_and_query_count(client_for, site, other_site, make_staff, therapist):
    program = make_program(site)
    c = client_for(therapist)
    url = reverse("careplans:worklist")
    past = today_in(site.zone) - dt.timedelta(days=20)
    for _ in range(2):
        admitted_episode(PatientFactory(primary_site=site), program, therapist, admitted_on=past)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        response = c.get(url)
    assert b"Overdue" in response.content
    for _ in range(12):
        admitted_episode(PatientFactory(primary_site=site), program, therapist, admitted_on=past)
    with CaptureQueriesContext(connection) as large:
        c.get(url)
    assert len(large) == len(small)
    outsider = make_staff("therapist", at=other_site)
    assert b"Overdue" not in client_for(outsider).get(url).content


def test_worklist_lists_missing_safety_plans(client_for, site, therapist, patient):
    from trellis.referrals import services as referral_services
    from trellis.referrals.tests.builders import HIGH_RISK

    screen = referral_services.record_risk_screen(patient=patient, site=site, administered_by=therapist,
                                                  answers=HIGH_RISK)
    c = client_for(therapist)
    assert b"Safety plans required now" in c.get(reverse("careplans:worklist")).content
    referral_services.save_safety_plan(screen=screen, changed_by=therapist, complete=True, warning_signs="a",
                                       coping_strategies="b", social_contacts="c", help_contacts="d",
                                       professional_contacts="e", means_safety="f")
    assert b"Safety plans required now" not in c.get(reverse("careplans:worklist")).content


def test_plan_tab_query_count_is_bounded(client_for, site, therapist):
    patient = PatientFactory(primary_site=site)
    programs = [make_program(site, name=f"P{i}") for i in range(4)]
    c = client_for(therapist)
    url = reverse("careplans:tab", kwargs={"patient_id": patient.public_id})
    simple_plan(admitted_episode(patient, programs[0], therapist), therapist)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    for p in programs[1:]:
        simple_plan(admitted_episode(patient, p, therapist), therapist)
    with CaptureQueriesContext(connection) as large:
        response = c.get(url)
    assert response.content.count(b">v1<") == 4
    assert len(large) == len(small)


def test_plan_pdf_printed_and_audited(client_for, site, therapist, patient, other_site, make_staff):
    from trellis.audit.models import AuditEvent

    plan = simple_plan(admitted_episode(patient, make_program(site), therapist), therapist)
    url = reverse("careplans:plan_pdf", kwargs={"plan_id": plan.public_id})
    response = client_for(therapist).get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="print", object_id=str(plan.public_id)).exists()
    assert client_for(make_staff("therapist", at=other_site)).get(url).status_code == 404


def test_current_objectives_for_episodes_follows_versions(site, therapist, patient):
    from trellis.careplans import selectors
    from trellis.careplans import services as plan_services

    episode = admitted_episode(patient, make_program(site), therapist)
    assert selectors.current_objectives_for_episodes([episode]) == {episode.pk: []}
    plan = simple_plan(episode, therapist)
    (objective,) = selectors.current_objectives_for_episodes([episode])[episode.pk]
    review = plan_services.review_plan(plan=plan, reviewer=therapist, summary="ok",
                                       progress={objective.pk: ("progressing", "")})
    (draft_objective,) = selectors.current_objectives_for_episodes([episode.pk])[episode.pk]
    assert draft_objective.goal.problem.plan_id == review.resulting_plan.pk
    assert draft_objective.lineage == objective.lineage


def test_admission_requirements_page(client_for, site, other_site, make_staff):
    from trellis.consents.services import required_kinds
    from trellis.referrals.selectors import criteria_for_program

    director = make_staff("program_director")
    program = make_program(site, level="iop", part2=True, certification=False)
    url = reverse("careplans:admission_requirements", kwargs={"program_id": program.public_id})
    assert client_for(make_staff("therapist")).get(url).status_code == 403
    assert client_for(make_staff("program_director", at=other_site)).get(url).status_code == 404
    c = client_for(director)
    page = c.get(url)
    assert page.status_code == 200 and b"Acute intoxication" in page.content
    data = {"template": "asam", "consents": ["treatment", "financial", "telehealth"],
            "asam_d1": 0, "asam_d2": 1, "asam_d3": 2, "asam_d4": 3, "asam_d5": 3, "asam_d6": 2}
    assert c.post(url, data).status_code == 302
    crit = criteria_for_program(program)
    d1 = crit.dimensions[0]
    assert [f.key for f in d1.findings if f.meets] == ["r0"]
    assert set(required_kinds(program)) == {"treatment", "financial", "telehealth", "part2_notice"}  # 2.22 always


def test_admission_requirements_certification_cadence_all_or_nothing(client_for, site, make_staff):
    from trellis.careplans.models import CertificationPolicy
    from trellis.referrals.models import ProgramAdmissionCriteria

    director = make_staff("program_director")
    program = make_program(site)  # PHP with certification
    url = reverse("careplans:admission_requirements", kwargs={"program_id": program.public_id})
    c = client_for(director)
    assert b"Physician certification cadence" in c.get(url).content
    base = {"template": "php_mh", "consents": ["treatment", "financial"], "cert_initial_due_day": 1}
    response = c.post(url, {**base, "cert_first_recert_day": 25, "cert_recert_interval_days": 30})
    assert response.status_code == 400 and b"by day 18" in response.content
    assert not ProgramAdmissionCriteria.objects.filter(program=program).exists()  # nothing half-saved
    assert c.post(url, {**base, "cert_first_recert_day": 15, "cert_recert_interval_days": 28}).status_code == 302
    assert CertificationPolicy.objects.get(program=program).recert_interval_days == 28


def test_plan_pdf_signature_time_is_site_wall_clock(client_for, site, therapist, patient):
    """The printed signature carries the site's local time and zone, not UTC (DESIGN.md §4: one date format)."""
    import datetime as dt

    from trellis.core import formats
    from trellis.documentation.pdf import extract_text

    plan = simple_plan(admitted_episode(patient, make_program(site), therapist), therapist)
    plan.clinician_signed_at = dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC)
    plan.save(update_fields=["clinician_signed_at"])
    url = reverse("careplans:plan_pdf", kwargs={"plan_id": plan.public_id})
    text = " ".join(extract_text(client_for(therapist).get(url).content).split())
    expected = formats.stamp(plan.clinician_signed_at, site)
    assert expected in text
    assert "UTC" not in text
