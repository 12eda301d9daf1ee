"""disclose() itself enforces the release rules when a consent is passed explicitly (not only through the
release lookup), concurrent signers cannot both sign, and revocation is audited with its actor.

Sources: 42 CFR 2.31 and 2.33 (a Part 2 consent naming the recipient is required; a general release is not),
2.31(a)(6) and 2.31(a)(7) (expiry and revocation), 45 CFR 164.312(b) (audit controls)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from trellis.audit.models import AuditEvent
from trellis.consents import services
from trellis.consents.models import Consent, ConsentKind, ConsentStatus, Disclosure
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.referrals.tests.builders import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist(make_staff):  # noqa: ANN001, ANN201
    return make_staff("therapist")


def _release(patient, site, therapist, *, kind=ConsentKind.PART2, days=90):  # noqa: ANN001, ANN202
    consent = services.create_consent(
        patient=patient, site=site, kind=kind, created_by=therapist, recipient_name="Dr. Ana Lopez",
        information="Attendance", purpose="Care coordination",
        expires_on=today_in(site.zone) + dt.timedelta(days=days),
    )
    return sign(consent, therapist)


def _disclose(patient, site, therapist, consent):  # noqa: ANN001, ANN202
    return services.disclose(
        patient=patient, site=site, purpose="Care coordination", information="Attendance", method="fax",
        document_title="Attendance summary", disclosed_by=therapist, part2_applies=True,
        recipient_name="Dr. Ana Lopez", consent=consent,
    )


def test_an_explicit_general_release_is_refused_for_part2_records(patient, site, therapist):
    release = _release(patient, site, therapist, kind=ConsentKind.RELEASE)
    with pytest.raises(DomainError, match="Part 2 consent is required"):
        _disclose(patient, site, therapist, release)
    assert not Disclosure.objects.exists()


def test_an_explicit_revoked_consent_is_refused(patient, site, therapist):
    consent = _release(patient, site, therapist)
    services.revoke_consent(consent=consent, revoked_by=therapist, note="Patient asked in writing")
    with pytest.raises(DomainError, match="not in force"):
        _disclose(patient, site, therapist, Consent.objects.get(pk=consent.pk))
    assert not Disclosure.objects.exists()


def test_an_explicit_expired_consent_is_refused(patient, site, therapist, time_machine):
    consent = _release(patient, site, therapist, days=10)
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=12))
    with pytest.raises(DomainError, match="not in force"):
        _disclose(patient, site, therapist, consent)
    assert not Disclosure.objects.exists()


def test_an_explicit_consent_in_force_is_accepted_and_recorded(patient, site, therapist):
    consent = _release(patient, site, therapist)
    disclosure = _disclose(patient, site, therapist, consent)
    assert disclosure.is_part2 and disclosure.consent == consent and "42 CFR part 2" in disclosure.notice_text


def test_revoking_a_part2_consent_is_audited_with_its_actor(patient, site, therapist, make_staff):
    consent = _release(patient, site, therapist)
    director = make_staff("program_director")
    services.revoke_consent(consent=consent, revoked_by=director, note="Written revocation")
    event = AuditEvent.objects.filter(object_type="consent", object_id=str(consent.public_id)).latest("id")
    assert event.detail == {"revoked": True}
    assert event.actor == director and event.patient == patient


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_two_concurrent_signers_wins(patient, site, therapist):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    consent = services.create_consent(patient=patient, site=site, kind=ConsentKind.TREATMENT, created_by=therapist)
    barrier, results = threading.Barrier(2), []

    def signer() -> None:
        try:
            barrier.wait()
            services.sign_consent(consent=consent, signer_name=patient.legal_name, collected_by=therapist,
                                  ip_address="127.0.0.1")
            results.append("signed")
        except DomainError as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=signer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["This consent is already signed; signed consents cannot change.", "signed"]
    assert Consent.objects.get(pk=consent.pk).status == ConsentStatus.ACTIVE
    assert AuditEvent.objects.filter(action="sign", object_id=str(consent.public_id)).count() == 1
