"""Consent tab, creation (release without recipient/expiry refused), e-signature, revocation and the
accounting of disclosures views."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.consents import services
from trellis.consents.models import Consent, ConsentStatus
from trellis.core.clock import today_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist")


def test_release_without_recipient_or_expiry_refused(client_for, site, therapist, patient):
    c = client_for(therapist)
    url = reverse("consents:new", kwargs={"patient_id": patient.public_id})
    assert c.get(url).status_code == 200
    response = c.post(url, {"kind": "release", "information": "x", "purpose": "y",
                            "expires_on": today_in(site.zone).isoformat(), "categories": ["attendance"]})
    assert response.status_code == 400 and b"needs a recipient" in response.content
    # a release names the categories of information it covers (42 CFR 2.31(a)(3))
    response = c.post(url, {"kind": "part2", "recipient_name": "Dr. A", "information": "x", "purpose": "y",
                            "expires_on": today_in(site.zone).isoformat()})
    assert response.status_code == 400 and b"categories of information the release covers" in response.content
    response = c.post(url, {"kind": "part2", "recipient_name": "Dr. A", "information": "x", "purpose": "y",
                            "categories": ["attendance"]})
    assert response.status_code == 400 and b"expiry date or an expiry event" in response.content
    assert not Consent.objects.exists()


def test_sign_and_revoke_through_views(client_for, site, therapist, patient):
    c = client_for(therapist)
    response = c.post(reverse("consents:new", kwargs={"patient_id": patient.public_id}), {
        "kind": "part2", "recipient_name": "Dr. A", "information": "Attendance", "purpose": "Care coordination",
        "expires_on": (today_in(site.zone) + dt.timedelta(days=30)).isoformat(), "categories": ["attendance"],
    })
    consent = Consent.objects.get()
    assert response.status_code == 302
    page = c.get(reverse("consents:detail", kwargs={"consent_id": consent.public_id}))
    assert b"42 CFR part 2" in page.content
    sign = reverse("consents:sign", kwargs={"consent_id": consent.public_id})
    assert c.post(sign, {"signer_name": "Alex Rivera", "signer_relationship": "self"}).status_code == 400
    response = c.post(sign, {"signer_name": "Alex Rivera", "signer_relationship": "self", "read_confirm": "on"},
                      REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.ACTIVE and consent.signed_ip == "10.1.2.3"
    c.post(reverse("consents:revoke", kwargs={"consent_id": consent.public_id}), {"note": "Written request"})
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.REVOKED and consent.revoked_on == today_in(site.zone)


def test_consent_views_denied(client, client_for, site, other_site, make_staff, patient, therapist):
    consent = services.create_consent(patient=patient, site=site, kind="treatment", created_by=therapist)
    detail = reverse("consents:detail", kwargs={"consent_id": consent.public_id})
    assert client.get(detail).status_code == 302
    assert client_for(make_staff("therapist", at=other_site)).get(detail).status_code == 404
    sign = reverse("consents:sign", kwargs={"consent_id": consent.public_id})
    assert client_for(make_staff("group_facilitator")).post(sign, {"signer_name": "x"}).status_code == 403
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.DRAFT


def test_tab_and_accounting_query_counts(client_for, site, therapist, patient):
    c = client_for(therapist)
    tab = reverse("consents:tab", kwargs={"patient_id": patient.public_id})
    accounting = reverse("consents:accounting", kwargs={"patient_id": patient.public_id})

    def add(n: int) -> None:
        for i in range(n):
            consent = services.create_consent(
                patient=patient, site=site, kind="release", created_by=therapist, recipient_name=f"Dr. {i}",
                information="Summary", purpose="Care", expires_on=today_in(site.zone) + dt.timedelta(days=9),
            )
            services.sign_consent(consent=consent, signer_name="Alex Rivera", collected_by=therapist, ip_address=None)
            services.disclose(patient=patient, site=site, purpose="Care", information="Summary", method="letter",
                              document_title="Letter", disclosed_by=therapist, part2_applies=False,
                              recipient_name=f"Dr. {i}")

    add(2)
    c.get(tab)
    with CaptureQueriesContext(connection) as small_tab:
        assert c.get(tab).status_code == 200
    with CaptureQueriesContext(connection) as small_acc:
        response = c.get(accounting)
    assert b"Dr. 1" in response.content
    add(15)
    with CaptureQueriesContext(connection) as large_tab:
        c.get(tab)
    with CaptureQueriesContext(connection) as large_acc:
        c.get(accounting)
    assert len(large_tab) == len(small_tab)
    assert len(large_acc) == len(small_acc)
    pdf = c.get(accounting, {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_consent_recorded_at_a_site_the_user_works_at(client_for, site, other_site, make_staff, patient):
    from trellis.patients.services import link_patient_to_site

    link_patient_to_site(patient=patient, site=other_site)  # patient also gets care at Riverside
    riverside_staff = make_staff("case_manager", at=other_site)
    c = client_for(riverside_staff)
    response = c.post(reverse("consents:new", kwargs={"patient_id": patient.public_id}), {"kind": "treatment"})
    consent = Consent.objects.get()
    assert response.status_code == 302 and consent.site == other_site
    assert c.get(reverse("consents:detail", kwargs={"consent_id": consent.public_id})).status_code == 200
