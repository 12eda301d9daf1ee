"""The typed signature must be the signer's: the patient's legal name, or a named representative with the
relationship that authorizes them (E-SIGN 15 U.S.C. 7006(5); 42 CFR 2.31(a)(8); 45 CFR 164.508(c)(1)(vi))."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.consents import services
from trellis.consents.models import Consent, ConsentStatus
from trellis.consents.signatures import representative_problem, typed_name_problem


@pytest.fixture
def therapist(make_staff):  # noqa: ANN001, ANN201
    return make_staff("therapist")


@pytest.mark.parametrize(
    "typed",
    ["Alex Rivera", "alex rivera", "Rivera, Alex", "Alex J. Rivera", "ALEX  RIVERA", "Alejandro Rivera"],
)
def test_the_patients_own_name_in_any_ordinary_form_is_accepted(typed):
    assert typed_name_problem(typed=typed, legal_first="Alex", legal_last="Rivera", preferred="Alejandro") is None


@pytest.mark.parametrize("typed", ["Mickey Mouse", "Alex", "Rivera", "Alex Smith", "Jordan Rivera",
                                   "Alex Rivera Signing For Someone Else"])
def test_another_name_is_refused(typed):
    assert typed_name_problem(typed=typed, legal_first="Alex", legal_last="Rivera") is not None


def test_accents_and_hyphens_do_not_matter():
    assert typed_name_problem(typed="Ana O'Brien-Diaz", legal_first="Ana", legal_last="O’Brien-Díaz") is None


def test_a_representative_needs_a_full_name_and_the_relationship():
    assert representative_problem(typed="Maria Rivera", relationship_kind="parent", relationship_detail="mother") is None
    assert representative_problem(typed="Maria", relationship_kind="parent", relationship_detail="mother")
    assert representative_problem(typed="Maria Rivera", relationship_kind="parent", relationship_detail="")
    assert representative_problem(typed="Maria Rivera", relationship_kind="friend", relationship_detail="pal")


@pytest.mark.django_db
def test_mickey_mouse_signing_as_the_patient_is_refused_and_nothing_changes(client_for, site, therapist, patient):
    consent = services.create_consent(patient=patient, site=site, kind="treatment", created_by=therapist)
    c = client_for(therapist)
    url = reverse("consents:sign", kwargs={"consent_id": consent.public_id})
    events = AuditEvent.objects.count()
    response = c.post(url, {"signer_name": "Mickey Mouse", "signer_relationship": "self", "read_confirm": "on"})
    assert response.status_code == 400
    assert "does not match the patient" in response.content.decode()
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.DRAFT and consent.signer_name == ""
    assert AuditEvent.objects.filter(action="sign").count() == 0 and AuditEvent.objects.count() >= events


@pytest.mark.django_db
def test_a_named_parent_signs_with_the_relationship_recorded(client_for, site, therapist, patient):
    consent = services.create_consent(patient=patient, site=site, kind="treatment", created_by=therapist)
    c = client_for(therapist)
    url = reverse("consents:sign", kwargs={"consent_id": consent.public_id})
    refused = c.post(url, {"signer_name": "Maria Rivera", "signer_relationship": "parent", "read_confirm": "on"})
    assert refused.status_code == 400 and "related" in refused.content.decode()
    ok = c.post(url, {"signer_name": "Maria Rivera", "signer_relationship": "parent",
                      "relationship_detail": "Mother", "read_confirm": "on"})
    assert ok.status_code == 302
    consent = Consent.objects.get(pk=consent.pk)
    assert consent.status == ConsentStatus.ACTIVE
    assert (consent.signer_name, consent.signer_relationship) == ("Maria Rivera", "parent: Mother")
