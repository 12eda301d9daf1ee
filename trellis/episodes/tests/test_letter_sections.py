"""The letter to the referral source and the discharge-summary export carry only the sections the consent covers,
and the disclosure records which went out (issue 11 item 2; 42 CFR 2.31(a)(3), 2.13(a))."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind, Disclosure
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.episodes import services as lifecycle
from trellis.episodes.medications import reconcile_medications
from trellis.referrals import services as referral_services
from trellis.referrals.tests.builders import admitted_episode, make_program, ready_for_discharge, sign

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


@pytest.fixture
def sud(site, make_staff, patient):
    therapist = make_staff("therapist")
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    source = referral_services.create_referral_source(organization=site.organization, created_by=therapist,
                                                      name="Recovery Court", kind="court")
    referral = referral_services.create_referral(site=site, created_by=therapist, first_name="Alex",
                                                 last_name="Rivera", source=source, program=program)
    referral.patient = patient
    referral.save()
    episode = admitted_episode(patient, program, therapist, referral=referral)
    lifecycle.add_diagnosis(patient=patient, episode=episode, code="F10.20", rank="primary",
                            diagnosed_on=episode.admitted_on, diagnosed_by=therapist)
    reconcile_medications(episode=episode, list_kind="admission", reconciled_by=therapist, rows=[
        {"name": "Naltrexone", "dose": "50 mg", "route": "oral", "frequency": "daily"}])
    return episode, source, therapist


def _consent(episode, therapist, categories, **extra):
    data = {"recipient_name": "Recovery Court", "purpose": "Court compliance",
            "expiration_event": "End of court supervision", "categories": categories} | extra
    return sign(consent_services.create_consent(patient=episode.patient, site=episode.program.site,
                                                kind=ConsentKind.PART2, created_by=therapist, **data), therapist)


def test_letter_under_a_consent_for_diagnoses_and_medications_carries_only_those(sud):
    """42 CFR 2.31(a)(3), 2.13(a): a consent covering diagnoses and medications - the letter names the diagnosis
    and the medication and says nothing of attendance, plan progress or risk; the accounting lists the two."""
    episode, source, therapist = sud
    _consent(episode, therapist, ["diagnoses", "medications"], recipient_source=source)
    pdf, disclosure = lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    text = _text(pdf)
    assert "F10.20" in text and "Naltrexone 50 mg" in text and "Dear Recovery Court" in text
    for absent in ("Attendance", "Admitted", "Treatment plan progress", "C-SSRS", "Electronically signed"):
        assert absent not in text, absent
    assert disclosure.sections == ["diagnoses", "medications"]
    assert "Diagnoses" in disclosure.information and "Medications" in disclosure.information


def test_letter_under_an_attendance_consent_is_made_not_refused(sud):
    """42 CFR 2.31(a)(3): a consent covering attendance only gives a letter with attendance only (dates and
    hours), not a refusal and not the diagnoses."""
    episode, source, therapist = sud
    _consent(episode, therapist, ["attendance"], recipient_source=source)
    pdf, disclosure = lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    text = _text(pdf)
    assert "Attendance" in text and "Admitted" in text and "currently in care" in text
    assert "F10.20" not in text and "Naltrexone" not in text
    assert disclosure.sections == ["attendance"]


def test_discharge_summary_section_goes_out_only_once_signed(sud, site):
    """The discharge-summary category carries the clinician's signed summary (42 CFR 485.914(e)(2)) - before it is
    signed the letter has nothing that consent covers and is refused, naming the rule; afterwards it carries the
    narrative and the signature, and still no diagnoses."""
    episode, source, therapist = sud
    _consent(episode, therapist, ["discharge_summary"], recipient_source=source)
    with pytest.raises(DomainError, match=r"covers nothing.*42 CFR 2\.31\(a\)\(3\), 2\.13\(a\)"):
        lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert not Disclosure.objects.exists()
    ready_for_discharge(episode, therapist)
    lifecycle.discharge(episode=episode, discharged_on=today_in(site.zone), discharge_type="completed",
                        reason="Goals met", discharged_by=therapist)
    pdf, disclosure = lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    text = _text(pdf)
    assert "mood improved" in text and "Goals met" in text and "Electronically signed by" in text
    assert "F10.20" not in text and "Sertraline" not in text
    assert disclosure.sections == ["discharge_summary"]


def test_export_under_a_partial_consent_lists_the_sections_sent(sud, site):
    """42 CFR 2.31(a)(3), 2.13(a): the exported summary under a consent for medications and risk assessments
    carries those two (from the signed summary) and the disclosure records them."""
    episode, source, therapist = sud
    ready_for_discharge(episode, therapist)
    lifecycle.discharge(episode=episode, discharged_on=today_in(site.zone), discharge_type="completed",
                        reason="Goals met", discharged_by=therapist)
    _consent(episode, therapist, ["medications", "risk"], recipient_name="Dr. Smith", purpose="Continuity of care")
    pdf, disclosure = lifecycle.export_discharge_summary(episode=episode, exported_by=therapist,
                                                         recipient_name="Dr. Smith")
    text = _text(pdf)
    assert "Sertraline 100 mg" in text and "C-SSRS" in text
    for absent in ("F10.20", "Goals met", "mood improved", "Treatment plan progress", "Attendance"):
        assert absent not in text, absent
    assert disclosure.sections == ["medications", "risk"]


def test_letter_view_downloads_the_covered_sections(client_for, sud):
    episode, source, therapist = sud
    _consent(episode, therapist, ["medications"], recipient_source=source)
    response = client_for(therapist).post(reverse("episodes:referral_letter", kwargs={"episode_id": episode.public_id}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Naltrexone" in _text(response.content) and Disclosure.objects.get().sections == ["medications"]
