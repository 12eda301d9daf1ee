"""Admission, episode, discharge, step-down, summary and letter views: allowed/denied pairs, bad input,
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.consents.models import Disclosure
from trellis.core.clock import today_in
from trellis.core.testing.factories import PatientFactory
from trellis.episodes.models import Episode, EpisodeStatus
from trellis.referrals.tests.builders import (
    admitted_episode,
    determination,
    make_program,
    make_track,
    ready_for_discharge,
    screen,
    simple_plan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist")


def test_admit_refused_lists_missing_consents_then_succeeds(client_for, site, therapist, patient):
    from trellis.referrals.tests.builders import admission_consents

    program = make_program(site)
    track = make_track(program)
    determination(patient, program, therapist)
    c = client_for(therapist)
    url = reverse("episodes:admit", kwargs={"patient_id": patient.public_id})
    page = c.get(url, {"program": program.public_id})
    assert page.status_code == 200 and b"Required consents are missing" in page.content
    data = {"program": program.pk, "track": track.pk, "admitted_on": today_in(site.zone).isoformat(),
            "primary_clinician": therapist.pk, "authorized_level": "php"}
    response = c.post(url, data)
    assert response.status_code == 400
    assert b"Consent to treatment, Financial responsibility" in response.content
    assert not Episode.objects.exists()
    admission_consents(patient, site, therapist)
    refused = c.post(url, data)  # no C-SSRS screen within the program's window (TJC NPSG.15.01.01)
    assert refused.status_code == 400 and b"C-SSRS suicide-risk screen within 7 days" in refused.content
    screen(patient, site, therapist)
    response = c.post(url, data)
    assert response.status_code == 302
    episode = Episode.objects.get()
    assert episode.track == track and episode.authorized_level == "php"
    page = c.get(reverse("episodes:episode", kwargs={"episode_id": episode.public_id}))
    assert page.status_code == 200 and b"Initial treatment plan due" in page.content


def test_admit_denied_for_wrong_role_and_other_site(client_for, site, other_site, make_staff, patient):
    url = reverse("episodes:admit", kwargs={"patient_id": patient.public_id})
    assert client_for(make_staff("front_desk")).get(url).status_code == 403
    assert client_for(make_staff("therapist", at=other_site)).get(url).status_code == 404


def test_episode_pages_other_site_404(client_for, site, other_site, make_staff, therapist, patient):
    episode = admitted_episode(patient, make_program(site), therapist)
    outsider = make_staff("therapist", at=other_site)
    for name in ("episodes:episode", "episodes:discharge", "episodes:step_down"):
        url = reverse(name, kwargs={"episode_id": episode.public_id})
        assert client_for(outsider).get(url).status_code == 404, name
        assert client_for(therapist).get(url).status_code == 200, name
    assert client_for(make_staff("front_desk")).get(
        reverse("episodes:discharge", kwargs={"episode_id": episode.public_id})).status_code == 403


def test_discharge_view_bad_input_then_summary_pdf(client_for, site, therapist, patient):
    episode = admitted_episode(patient, make_program(site), therapist)
    c = client_for(therapist)
    url = reverse("episodes:discharge", kwargs={"episode_id": episode.public_id})
    today = today_in(site.zone)
    before = (episode.admitted_on - dt.timedelta(days=1)).isoformat()
    response = c.post(url, {"discharged_on": before, "discharge_type": "completed", "reason": "Done"})
    assert response.status_code == 400 and b"before the admission date" in response.content
    response = c.post(url, {"discharged_on": today.isoformat(), "discharge_type": "completed", "reason": "Done",
                            "primary_diagnosis": "Q99.999"})
    assert b"not a valid ICD-10-CM code" in response.content
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE
    ok = {"discharged_on": today.isoformat(), "discharge_type": "ama", "reason": "Left", "primary_diagnosis": "F33.1"}
    refused = c.post(url, ok).content.decode()  # no fresh C-SSRS screen, no medication reconciliation
    assert "NPSG.15.01.01" in refused and "NPSG.03.06.01" in refused
    ready_for_discharge(episode, therapist)
    response = c.post(url, ok)
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.DISCHARGED and episode.discharge_record.aftercare_flag
    pdf = c.get(reverse("episodes:summary_pdf", kwargs={"episode_id": episode.public_id}))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_step_down_view(client_for, site, therapist, patient):
    php = make_program(site)
    iop = make_program(site, level="iop", name="IOP")
    episode = admitted_episode(patient, php, therapist)
    c = client_for(therapist)
    url = reverse("episodes:step_down", kwargs={"episode_id": episode.public_id})
    today = today_in(site.zone).isoformat()
    ready_for_discharge(episode, therapist)
    response = c.post(url, {"to_program": iop.pk, "discharged_on": today, "receiving_clinician": therapist.pk,
                            "reason": "Stable"})
    assert response.status_code == 302
    new = Episode.objects.get(previous_episode=episode)
    page = c.get(reverse("episodes:episode", kwargs={"episode_id": new.public_id}))
    assert b"Hand-off" in page.content and b"Mark hand-off done" in page.content


def test_referral_letter_view_refused_without_release(client_for, site, therapist, patient):
    from trellis.referrals import services as referral_services

    program = make_program(site, part2=True, level="iop", certification=False)
    source = referral_services.create_referral_source(organization=site.organization, created_by=therapist,
                                                      name="Dr. Kim's office")
    referral = referral_services.create_referral(site=site, created_by=therapist, first_name="A", last_name="R",
                                                 source=source)
    referral.patient = patient
    referral.save()
    episode = admitted_episode(patient, program, therapist, referral=referral)
    c = client_for(therapist)
    response = c.post(reverse("episodes:referral_letter", kwargs={"episode_id": episode.public_id}), follow=True)
    assert b"42 CFR Part 2 consent" in response.content
    assert not Disclosure.objects.exists()


def test_episodes_tab_query_count_is_bounded(client_for, site, therapist):
    programs = [make_program(site, name=f"P{i}") for i in range(3)]
    patient = PatientFactory(primary_site=site)
    c = client_for(therapist)
    url = reverse("episodes:episodes_tab", kwargs={"patient_id": patient.public_id})
    admitted_episode(patient, programs[0], therapist)
    c.get(url)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    for p in programs[1:]:
        admitted_episode(patient, p, therapist)
    with CaptureQueriesContext(connection) as large:
        assert c.get(url).status_code == 200
    assert len(large) == len(small)


def test_plan_tab_renders(client_for, site, therapist, patient):
    episode = admitted_episode(patient, make_program(site), therapist)
    simple_plan(episode, therapist)
    page = client_for(therapist).get(reverse("careplans:tab", kwargs={"patient_id": patient.public_id}))
    assert page.status_code == 200 and b"v1" in page.content


def test_episode_diagnosis_add(client_for, site, therapist, patient, make_staff):
    from trellis.episodes.models import Diagnosis

    episode = admitted_episode(patient, make_program(site), therapist)
    url = reverse("episodes:diagnosis_add", kwargs={"episode_id": episode.public_id})
    c = client_for(therapist)
    today = today_in(site.zone).isoformat()
    response = c.post(url, {"code": "F99.99", "rank": "secondary", "diagnosed_on": today}, follow=True)
    assert b"not a valid ICD-10-CM code" in response.content
    c.post(url, {"code": "F41.1", "rank": "secondary", "diagnosed_on": today})
    assert Diagnosis.objects.filter(episode=episode, code="F41.1").exists()
    assert client_for(make_staff("biller")).post(url, {"code": "F41.0", "rank": "secondary",
                                                       "diagnosed_on": today}).status_code == 403
