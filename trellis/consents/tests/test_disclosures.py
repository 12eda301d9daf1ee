"""Part 2: a letter/export for a SUD patient without consent is refused; with consent it carries the
redisclosure notice and appears in the accounting of disclosures. Revocation stops future disclosures."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from trellis.consents import part2
from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind, ConsentStatus, Disclosure
from trellis.consents.selectors import disclosures_for_patient
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.episodes import services as lifecycle
from trellis.referrals import services as referral_services
from trellis.referrals.tests.builders import admitted_episode, make_program, ready_for_discharge, sign

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    import io

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", " ")


@pytest.fixture
def sud_episode(site, make_staff, patient):
    therapist = make_staff("therapist")
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    source = referral_services.create_referral_source(organization=site.organization, created_by=therapist,
                                                      name="Recovery Court", kind="court")
    referral = referral_services.create_referral(site=site, created_by=therapist, first_name="Alex",
                                                 last_name="Rivera", source=source, program=program)
    referral.patient = patient
    referral.save()
    episode = admitted_episode(patient, program, therapist, referral=referral)
    return episode, source, therapist


def test_letter_without_consent_is_refused(sud_episode):
    episode, source, therapist = sud_episode
    with pytest.raises(DomainError, match="42 CFR Part 2 consent"):
        lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert not Disclosure.objects.exists()


def test_general_release_is_not_enough_for_part2(sud_episode, site):
    episode, source, therapist = sud_episode
    release = consent_services.create_consent(
        patient=episode.patient, site=site, kind=ConsentKind.RELEASE, created_by=therapist, recipient_source=source,
        information="Attendance", purpose="Court compliance", expires_on=today_in(site.zone) + dt.timedelta(days=90),
    )
    sign(release, therapist)
    with pytest.raises(DomainError, match="Part 2"):
        lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert not Disclosure.objects.exists()


def test_letter_with_part2_consent_carries_notice_and_is_accounted(sud_episode, site):
    episode, source, therapist = sud_episode
    consent = consent_services.create_consent(
        patient=episode.patient, site=site, kind=ConsentKind.PART2, created_by=therapist, recipient_source=source,
        information="Admission and discharge dates, attendance, aftercare plan", purpose="Court compliance",
        expiration_event="End of court supervision",
    )
    sign(consent, therapist)
    pdf, disclosure = lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    text = _pdf_text(pdf)
    assert "42 CFR part 2" in text and "prohibit you from making any other use or disclosure" in text
    assert "Scope of the patient's consent" in text and "Court compliance" in text  # 42 CFR 2.32 (2024)
    assert disclosure.is_part2 and disclosure.notice_text == part2.REDISCLOSURE_NOTICE
    assert disclosure.recipient_name == "Recovery Court" and disclosure.consent == consent
    assert len(disclosure.content_sha256) == 64
    assert list(disclosures_for_patient(episode.patient)) == [disclosure]

    # revocation stops future disclosures; the past one stays on the accounting
    consent_services.revoke_consent(consent=consent, revoked_by=therapist, note="Patient request")
    with pytest.raises(DomainError):
        lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert list(disclosures_for_patient(episode.patient)) == [disclosure]


def test_export_discharge_summary_needs_consent(sud_episode, site):
    episode, source, therapist = sud_episode
    ready_for_discharge(episode, therapist)
    lifecycle.discharge(episode=episode, discharged_on=today_in(site.zone), discharge_type="completed",
                        reason="Done", discharged_by=therapist)
    with pytest.raises(DomainError, match="Part 2"):
        lifecycle.export_discharge_summary(episode=episode, exported_by=therapist, recipient_name="Dr. Smith")
    consent = consent_services.create_consent(
        patient=episode.patient, site=site, kind=ConsentKind.PART2, created_by=therapist, recipient_name="Dr. Smith",
        information="Discharge summary", purpose="Continuity of care",
        expires_on=today_in(site.zone) + dt.timedelta(days=30),
    )
    sign(consent, therapist)
    pdf, disclosure = lifecycle.export_discharge_summary(episode=episode, exported_by=therapist,
                                                         recipient_name="dr. smith")
    assert "42 CFR part 2" in _pdf_text(pdf)
    assert disclosure.document_title == "Discharge summary"


def test_release_needs_recipient_and_expiry(site, make_staff, patient):
    therapist = make_staff("therapist")
    with pytest.raises(DomainError, match="recipient"):
        consent_services.create_consent(patient=patient, site=site, kind=ConsentKind.PART2, created_by=therapist,
                                        information="x", purpose="y", expires_on=today_in(site.zone))
    with pytest.raises(DomainError, match="expiry"):
        consent_services.create_consent(patient=patient, site=site, kind=ConsentKind.RELEASE, created_by=therapist,
                                        recipient_name="Dr. A", information="x", purpose="y")
    assert not patient.consents.exists()


def test_part2_consent_cannot_activate_with_missing_elements(site, make_staff, patient):
    therapist = make_staff("therapist")
    consent = consent_services.create_consent(
        patient=patient, site=site, kind=ConsentKind.PART2, created_by=therapist, recipient_name="Dr. A",
        information="", purpose="", expires_on=today_in(site.zone) + dt.timedelta(days=5),
    )
    with pytest.raises(DomainError, match=r"Description of the information.*2\.31\(a\)\(3\).*Purpose"):
        sign(consent, therapist)
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.DRAFT and not consent.signed_text


def test_esignature_evidence(site, make_staff, patient):
    therapist = make_staff("therapist")
    consent = consent_services.create_consent(patient=patient, site=site, kind=ConsentKind.TELEHEALTH,
                                              created_by=therapist)
    signed = consent_services.sign_consent(consent=consent, signer_name="Alex Rivera", collected_by=therapist,
                                           ip_address="10.0.0.5", signature_drawing="M0 0 L10 10")
    assert signed.status == ConsentStatus.ACTIVE
    assert signed.signed_ip == "10.0.0.5" and signed.signed_at and signed.signer_name == "Alex Rivera"
    assert "Telehealth consent (version 1)" in signed.signed_text
    assert signed.signed_text_sha256 == part2.text_digest(signed.signed_text)
    with pytest.raises(DomainError, match="already signed"):
        consent_services.sign_consent(consent=signed, signer_name="X", collected_by=therapist, ip_address=None)


def test_drawn_signature_is_path_data_only(site, make_staff, patient):
    therapist = make_staff("therapist")
    consent = consent_services.create_consent(patient=patient, site=site, kind=ConsentKind.TREATMENT,
                                              created_by=therapist)
    with pytest.raises(DomainError, match="drawn signature"):
        consent_services.sign_consent(consent=consent, signer_name="Alex Rivera", collected_by=therapist,
                                      ip_address=None, signature_drawing='"/><script>alert(1)</script>')
    signed = consent_services.sign_consent(consent=consent, signer_name="Alex Rivera", collected_by=therapist,
                                           ip_address=None, signature_drawing="M1 2 L3 4 L5 6")
    assert signed.signature_drawing == "M1 2 L3 4 L5 6"


def test_expiration_event_stops_disclosures(sud_episode, site):
    episode, source, therapist = sud_episode
    consent = consent_services.create_consent(
        patient=episode.patient, site=site, kind=ConsentKind.PART2, created_by=therapist, recipient_source=source,
        information="Attendance", purpose="Court compliance", expiration_event="End of court supervision",
    )
    sign(consent, therapist)
    lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    with pytest.raises(DomainError, match="future"):
        consent_services.record_expiration_event(consent=consent, occurred_on=today_in(site.zone)
                                                 + dt.timedelta(days=1), recorded_by=therapist)
    consent_services.record_expiration_event(consent=consent, occurred_on=today_in(site.zone), recorded_by=therapist)
    with pytest.raises(DomainError, match="Part 2 consent"):
        lifecycle.referral_source_letter(episode=episode, sent_by=therapist)
    assert Disclosure.objects.count() == 1


def test_part2_admission_flags_the_chart(sud_episode):
    episode, _source, _therapist = sud_episode
    assert episode.patient.flags.filter(kind="part2", active=True).exists()


def test_part2_program_requires_the_2_22_notice(site, make_staff, patient):
    from trellis.consents.services import missing_for_admission
    from trellis.referrals.tests.builders import admission_consents

    therapist = make_staff("therapist")
    program = make_program(site, level="iop", part2=True, certification=False)
    admission_consents(patient, site, therapist)
    assert missing_for_admission(patient=patient, program=program, on=today_in(site.zone)) == [
        "Part 2 confidentiality notice received (42 CFR 2.22)"]
