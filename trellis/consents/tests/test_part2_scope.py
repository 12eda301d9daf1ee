"""Part 2 disclosures limited to what was consented (issue 11 items 2-5): categories, TPO single consent,
criminal-justice (2.35) consents, minors (2.14), medical emergencies (2.51), the accounting of disclosures
(2.25; 45 CFR 164.528) and the versioned patient notice (2.22)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from trellis.consents import scope
from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind, Disclosure, NoticeReceipt
from trellis.consents.selectors import accounting_range, disclosures_for_patient
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.core.testing.factories import PatientFactory
from trellis.episodes import services as lifecycle
from trellis.referrals.tests.builders import admitted_episode, make_program, ready_for_discharge, sign

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


@pytest.fixture
def discharged_sud(site, make_staff, patient):
    therapist = make_staff("therapist")
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    episode = admitted_episode(patient, program, therapist)
    ready_for_discharge(episode, therapist)
    lifecycle.discharge(episode=episode, discharged_on=today_in(site.zone), discharge_type="completed",
                        reason="Goals met", discharged_by=therapist, diagnoses=[("F10.20", "primary")],
                        medications="naltrexone 50 mg daily")
    return episode, therapist


def _consent(episode, therapist, **extra):
    data = {"recipient_name": "Dr. Smith", "purpose": "Continuity of care",
            "expiration_event": "End of treatment"} | extra
    return sign(consent_services.create_consent(patient=episode.patient, site=episode.program.site,
                                                kind=ConsentKind.PART2, created_by=therapist, **data), therapist)


def test_consent_covering_only_attendance_discloses_only_attendance(discharged_sud):
    """42 CFR 2.31(a)(3), 2.13(a): a disclosure includes only the categories the consent covers, and records
    which went out."""
    episode, therapist = discharged_sud
    _consent(episode, therapist, categories=["attendance"])
    pdf, disclosure = lifecycle.export_discharge_summary(episode=episode, exported_by=therapist,
                                                         recipient_name="Dr. Smith")
    text = _text(pdf)
    assert "Attendance" in text and "Admitted" in text
    for absent in ("F10.20", "naltrexone", "Treatment plan progress", "C-SSRS", "Goals met"):
        assert absent not in text, absent
    assert disclosure.sections == ["attendance"]


def test_requesting_an_uncovered_section_is_refused_naming_the_rule(discharged_sud):
    """42 CFR 2.31(a)(3), 2.13(a): a requested section the consent does not cover is refused; nothing recorded."""
    episode, therapist = discharged_sud
    _consent(episode, therapist, categories=["attendance"])
    with pytest.raises(DomainError, match=r"does not cover: diagnoses.*42 CFR 2\.31\(a\)\(3\), 2\.13\(a\)"):
        lifecycle.export_discharge_summary(episode=episode, exported_by=therapist, recipient_name="Dr. Smith",
                                           sections=["attendance", "diagnoses"])
    assert not Disclosure.objects.exists()


def test_tpo_consent_matches_recipient_class_by_purpose_and_carries_statements(discharged_sud):
    """42 CFR 2.31(a)(4)(i), 2.33: a single TPO consent names a class of recipients matched by purpose, and
    states the consequences of refusing and that records may be redisclosed without Part 2 protection."""
    episode, therapist = discharged_sud
    consent = _consent(episode, therapist, scope="tpo", recipient_classes=["treating_providers"],
                       recipient_name="", purpose="", categories=["all_records"])
    assert "will still treat me" in consent.signed_text and "no longer be protected by 42 CFR part 2" in \
        consent.signed_text
    _pdf, disclosure = lifecycle.export_discharge_summary(episode=episode, exported_by=therapist,
                                                         recipient_name="Hudson Valley Counseling",
                                                         tpo_purpose="treatment")
    assert disclosure.consent == consent and disclosure.recipient_name == "Hudson Valley Counseling"
    with pytest.raises(DomainError, match="Part 2 consent"):
        lifecycle.export_discharge_summary(episode=episode, exported_by=therapist, recipient_name="Acme Health Plan",
                                           tpo_purpose="payment")


def test_criminal_justice_consent_is_irrevocable_for_its_period(discharged_sud, site):
    """42 CFR 2.35: a consent given as a condition of a criminal-justice referral may be irrevocable until a
    stated date, and its text says so."""
    episode, therapist = discharged_sud
    until = today_in(site.zone) + dt.timedelta(days=120)
    with pytest.raises(DomainError, match="2.35"):
        _consent(episode, therapist, scope="court", categories=["attendance"])
    consent = _consent(episode, therapist, scope="court", irrevocable_until=until, recipient_name="Recovery Court",
                       categories=["attendance"])
    assert "cannot be revoked until" in consent.signed_text
    with pytest.raises(DomainError, match=r"cannot be revoked until .*42 CFR 2\.35"):
        consent_services.revoke_consent(consent=consent, revoked_by=therapist)


def test_minor_part2_consent_records_the_214_basis(site, make_staff):
    """42 CFR 2.14: for a minor, who signs depends on state law; the basis is recorded on the consent."""
    therapist = make_staff("therapist")
    teen = PatientFactory(primary_site=site, date_of_birth=today_in(site.zone) - dt.timedelta(days=365 * 15))
    data = {"recipient_name": "School counselor", "purpose": "Coordination", "expiration_event": "End of treatment"}
    with pytest.raises(DomainError, match=r"minor.*42 CFR 2\.14"):
        consent_services.create_consent(patient=teen, site=site, kind=ConsentKind.PART2, created_by=therapist, **data)
    consent = consent_services.create_consent(patient=teen, site=site, kind=ConsentKind.PART2, created_by=therapist,
                                              minor_basis="minor_alone", **data)
    assert consent.minor_basis == "minor_alone"


def test_emergency_disclosure_needs_the_nature_of_the_emergency_and_is_accounted(site, make_staff, patient):
    """42 CFR 2.51: disclosure without consent in a medical emergency records recipient, affiliation, who, when
    and the nature of the emergency, and appears in the accounting of disclosures."""
    therapist = make_staff("therapist")
    base = {"patient": patient, "site": site, "recipient_name": "Dr. Ortiz", "recipient_affiliation": "Mercy ED",
            "information": "Current medications and SUD diagnosis", "disclosed_by": therapist,
            "part2_applies": True}
    with pytest.raises(DomainError, match=r"nature of the emergency \(42 CFR 2\.51\)"):
        consent_services.emergency_disclosure(**base, nature_of_emergency=" ")
    d = consent_services.emergency_disclosure(**base, nature_of_emergency="Unresponsive after suspected overdose")
    assert d.consent is None and d.emergency_nature.startswith("Unresponsive")
    assert list(disclosures_for_patient(patient)) == [d]


def test_accounting_defaults_to_three_years_and_prints_address(site, make_staff, patient, client_for):
    """42 CFR 2.25; 45 CFR 164.528(a): an accounting for the 3 years before the request, with each recipient's
    address, printable for the patient."""
    assert accounting_range(dt.date(2026, 5, 1), None, None) == (dt.date(2023, 5, 1), dt.date(2026, 5, 1))
    therapist = make_staff("therapist")
    consent_services.emergency_disclosure(
        patient=patient, site=site, recipient_name="Dr. Ortiz", recipient_affiliation="Mercy ED, 1 Main St",
        nature_of_emergency="Seizure", information="Medications", disclosed_by=therapist, part2_applies=True)
    Disclosure.objects.update(recipient_address="1 Main St, Albany NY")
    c = client_for(therapist)
    url = reverse("consents:accounting", kwargs={"patient_id": patient.public_id})
    page = c.get(url).content.decode()
    assert "1 Main St, Albany NY" in page and "last 3 years" in page
    old = c.get(url, {"start": "2020-01-01", "end": "2020-12-31"}).content.decode()
    assert "No disclosures in this period" in old
    pdf = c.get(url, {"format": "pdf"})
    assert pdf.status_code == 200 and "1 Main St, Albany NY" in _text(pdf.content)
    assert client_for(make_staff("peer_specialist")).get(reverse("consents:emergency",
                                                            kwargs={"patient_id": patient.public_id})).status_code == 403


def test_patient_notice_is_versioned_per_program_and_recorded_at_admission(site, make_staff, patient):
    """42 CFR 2.22: the program's notice (plain language, headed with its name, uses, rights, complaints) as
    versioned text; the version each patient received is recorded at admission."""
    therapist = make_staff("therapist")
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    consent_services.publish_notice(program=program, body=consent_services.default_notice_text(program),
                                    published_by=therapist)
    v2 = consent_services.publish_notice(program=program, body=consent_services.default_notice_text(program)
                                         + "\n\nUpdated complaint contacts.", published_by=therapist)
    assert v2.version == 2 and v2.body.startswith("Co-occurring IOP")
    for part in ("Your rights", "Complaints", "without your written consent"):
        assert part in v2.body
    admitted_episode(patient, program, therapist)
    assert NoticeReceipt.objects.get(patient=patient).notice == v2
    assert scope.CATEGORIES["attendance"].startswith("Attendance")


def test_program_notice_page_publishes_versions(site, other_site, make_staff, client_for):
    """42 CFR 2.22: the notice is versioned text per program, edited by the program director only."""
    program = make_program(site, level="iop", name="Co-occurring IOP", part2=True, certification=False)
    url = reverse("consents:program_notice", kwargs={"program_id": program.public_id})
    director = client_for(make_staff("program_director"))
    page = director.get(url)
    assert page.status_code == 200 and "Co-occurring IOP: how we protect" in page.content.decode()
    assert director.post(url, {"body": ""}).status_code == 400
    assert director.post(url, {"body": "Co-occurring IOP notice v1"}).status_code == 302
    assert director.post(url, {"body": "Co-occurring IOP notice v2"}).status_code == 302
    assert consent_services.current_notice(program).version == 2
    assert client_for(make_staff("therapist")).get(url).status_code == 403
    assert client_for(make_staff("program_director", at=other_site)).get(url).status_code == 404


def test_claims_find_a_tpo_consent_for_health_plans_when_none_names_the_payer(discharged_sud, site):
    """42 CFR 2.31(a)(4)(i), 2.33: a single TPO consent whose class is "my health plans" covers a payer it does
    not name (billing's batch check); one that covers only treating providers does not."""
    from trellis.consents.selectors import find_releases

    episode, therapist = discharged_sud
    patient, on = episode.patient, today_in(site.zone)
    key = (patient.pk, "Acme Health Plan", on)
    _consent(episode, therapist, scope="tpo", recipient_classes=["treating_providers"], recipient_name="",
             purpose="", categories=["all_records"])
    assert find_releases([(patient, "Acme Health Plan", on)], part2=True)[key] is None
    plans = _consent(episode, therapist, scope="tpo", recipient_classes=["health_plans"], recipient_name="",
                     purpose="", categories=["all_records"])
    assert find_releases([(patient, "Acme Health Plan", on)], part2=True)[key] == plans
    named = _consent(episode, therapist, recipient_name="Acme Health Plan", purpose="Payment",
                     categories=["all_records"])
    assert find_releases([(patient, "acme health plan", on)], part2=True)[(patient.pk, "acme health plan", on)] == named
