"""Intake guardrails (issue 16, item 4): first diagnosis primary by default, rank changes without "entered in error"
(with its confirmation), the way back to the intake after a C-SSRS screen, the referral's program preselected for
the level-of-care determination, the duplicate checkbox only for a possible duplicate, a next step due in the past
refused, and unreadable ?date= parameters answered with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from trellis.core.clock import today_in
from trellis.episodes import services as episode_services
from trellis.episodes.models import Diagnosis
from trellis.referrals import services
from trellis.referrals.models import IntakeAssessment, Referral
from trellis.referrals.tests.builders import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def director(make_staff):
    return make_staff("program_director")


def _intake(c, patient):
    c.post(reverse("referrals:intake_start", kwargs={"patient_id": patient.public_id}))
    return IntakeAssessment.objects.get(patient=patient)


def test_first_diagnosis_defaults_to_primary_then_secondary(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    c = client_for(therapist)
    intake = _intake(c, patient)
    page = c.get(reverse("referrals:intake", kwargs={"intake_id": intake.public_id})).content.decode()
    assert '<option value="primary" selected>' in page
    add = reverse("episodes:intake_diagnosis_add", kwargs={"intake_id": intake.public_id})
    today = today_in(site.zone).isoformat()
    fragment = c.post(add, {"code": "F41.0", "rank": "primary", "diagnosed_on": today},
                      HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="secondary" selected>' in fragment  # the next one starts as secondary
    assert 'data-confirm="Mark F41.0 as entered in error?' in fragment


def test_rank_changes_without_entered_in_error(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    c = client_for(therapist)
    intake = _intake(c, patient)
    today = today_in(site.zone)
    a = episode_services.add_diagnosis(patient=patient, intake=intake, code="F33.1", rank="primary",
                                       diagnosed_on=today, diagnosed_by=therapist)
    b = episode_services.add_diagnosis(patient=patient, intake=intake, code="F41.1", rank="secondary",
                                       diagnosed_on=today, diagnosed_by=therapist)
    url = reverse("episodes:intake_diagnosis_rank", kwargs={"intake_id": intake.public_id, "diagnosis_id": b.public_id})
    assert client_for(make_staff("biller")).post(url, {"rank": "primary"}).status_code == 403
    assert c.get(url).status_code == 405
    response = c.post(url, {"rank": "primary"})
    assert response.status_code == 302
    assert dict(Diagnosis.objects.values_list("code", "rank")) == {"F41.1": "primary", "F33.1": "secondary"}
    assert not Diagnosis.objects.filter(entered_in_error=True).exists()
    c.post(url, {"rank": "bogus"})  # refused with a message, nothing changes
    assert Diagnosis.objects.get(pk=b.pk).rank == "primary"
    # back to secondary: no primary left; the form then defaults to primary again
    c.post(url, {"rank": "secondary"})
    assert not Diagnosis.objects.filter(rank="primary").exists()
    assert episode_services.first_rank(intake=intake) == "primary"
    a.refresh_from_db()
    assert a.rank == "secondary"


def test_cssrs_result_links_back_to_the_intake(client_for, site, make_staff, patient):
    therapist = make_staff("therapist")
    c = client_for(therapist)
    intake = _intake(c, patient)
    new = reverse("referrals:screen_new", kwargs={"patient_id": patient.public_id})
    form_page = c.get(new, {"intake": str(intake.public_id)}).content.decode()
    intake_url = reverse("referrals:intake", kwargs={"intake_id": intake.public_id})
    assert f'href="{intake_url}"' in form_page
    response = c.post(new, {"intake": str(intake.public_id), "q1": "no", "q2": "no", "q6": "no"})
    assert response.status_code == 302
    assert f'href="{intake_url}"' in c.get(response.url).content.decode()


def test_referral_program_preselected_for_determination(client_for, site, director, patient):
    php = make_program(site, name="Adult PHP", certification=False)
    make_program(site, level="iop", name="Adult IOP", certification=False)
    referral = services.create_referral(site=site, created_by=director, first_name="A", last_name="B", program=php)
    Referral.objects.filter(pk=referral.pk).update(patient=patient)
    c = client_for(director)
    page = c.get(reverse("referrals:determination_new", kwargs={"patient_id": patient.public_id})).content.decode()
    assert f'<option value="{php.public_id}" selected>' in page and "Record determination" in page


def test_duplicate_checkbox_only_for_a_possible_duplicate(client_for, site, director):
    referral = services.create_referral(site=site, created_by=director, first_name="Una", last_name="Lone",
                                        date_of_birth=dt.date(1990, 1, 1))
    page = client_for(director).get(reverse("referrals:convert", kwargs={"referral_id": referral.public_id}))
    assert b"confirm_not_duplicate" not in page.content


def test_next_step_due_in_the_past_is_refused(client_for, site, director):
    c = client_for(director)
    today = today_in(site.zone)
    data = {"site": str(site.public_id), "first_name": "Pat", "last_name": "Past", "next_step": "Call",
            "next_step_due": (today - dt.timedelta(days=2)).isoformat()}
    response = c.post(reverse("referrals:new"), data)
    assert response.status_code == 200 and b"That date has passed" in response.content
    assert not Referral.objects.exists()
    data["next_step_due"] = today.isoformat()
    assert c.post(reverse("referrals:new"), data).status_code == 302
    # an edit may keep a due date that has since passed, but not move it to another past day
    referral = Referral.objects.get()
    Referral.objects.filter(pk=referral.pk).update(next_step_due=today - dt.timedelta(days=5))
    edit = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
    keep = {**data, "next_step_due": (today - dt.timedelta(days=5)).isoformat(), "version": 1}
    assert c.post(edit, keep).status_code == 302
    moved = {**keep, "next_step_due": (today - dt.timedelta(days=3)).isoformat()}
    assert b"That date has passed" in c.post(edit, moved).content


@pytest.mark.parametrize("name", ["scheduling:week", "scheduling:day", "attendance:index"])
def test_unreadable_date_is_answered_with_a_message(client_for, make_staff, name):
    c = client_for(make_staff("therapist"))
    response = c.get(reverse(name), {"date": "2026-13-45"})
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "date" in text.lower() and ("not valid" in text or "could not be read" in text)
