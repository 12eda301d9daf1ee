"""The signed discharge summary (issue 11 item 9): drafted, signed with a content hash, immutable afterwards
(addenda instead), required before discharge, and the version every print and export uses."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from trellis.audit.models import AuditEvent
from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.episodes import discharge_summary as ds
from trellis.episodes import medications
from trellis.episodes import services as lifecycle
from trellis.episodes.models import DischargeSummary, DischargeSummaryAddendum, SummaryStatus
from trellis.episodes.summary import discharge_summary_pdf
from trellis.referrals.tests.builders import (
    SUMMARY_TEXT,
    admitted_episode,
    make_program,
    ready_for_discharge,
    sign,
)

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", " ")


@pytest.fixture
def therapist(make_staff):
    return make_staff("therapist")


@pytest.fixture
def episode(site, therapist, patient):
    return admitted_episode(patient, make_program(site, certification=False, level="iop"), therapist)


def _discharge(episode, by):
    return lifecycle.discharge(episode=episode, discharged_on=today_in(episode.program.site.zone),
                               discharge_type="completed", reason="Goals met", discharged_by=by)


def test_discharge_is_refused_until_the_summary_is_signed(episode, therapist):
    """42 CFR 485.914(e)(2): the discharge summary (services, status at discharge, aftercare) before discharge;
    CMS Pub. 100-08 ch. 3 §3.3.2.4: authenticated by its author's signature."""
    ready_for_discharge(episode, therapist, sign_summary=False)
    with pytest.raises(DomainError, match=r"Sign the discharge summary first.*485\.914\(e\)\(2\)"):
        _discharge(episode, therapist)
    summary = ds.start_summary(episode=episode, user=therapist)
    ds.save_draft(summary=summary, user=therapist, expected_version=summary.version, **SUMMARY_TEXT)
    with pytest.raises(DomainError, match="Sign the discharge summary first"):  # a saved draft is not enough
        _discharge(episode, therapist)
    summary.refresh_from_db()
    signed = ds.sign(summary=summary, user=therapist, expected_version=summary.version, **SUMMARY_TEXT)
    assert signed.status == SummaryStatus.SIGNED and signed.signed_by == therapist and signed.signed_at
    assert signed.content_hash.startswith("sha256:") and ds.verify(signed)
    assert signed.facts["medications"][0]["name"] == "Sertraline"  # the reconciled discharge list, frozen
    assert AuditEvent.objects.filter(action="sign", object_id=str(signed.public_id)).exists()
    rec = _discharge(episode, therapist)
    text = _text(discharge_summary_pdf(episode, rec))
    assert "Electronically signed by" in text and signed.content_hash in text
    assert "mood improved" in text and "Weekly outpatient therapy" in text


def test_signing_needs_every_part_and_the_discharge_medications(episode, therapist):
    """42 CFR 485.914(e)(2) (each part of the summary); TJC NPSG.03.06.01 (reconciled discharge list first)."""
    summary = ds.start_summary(episode=episode, user=therapist)
    with pytest.raises(DomainError, match="clinical status at discharge") as caught:
        ds.sign(summary=summary, user=therapist, expected_version=summary.version,
                course="Groups and individual therapy.", recommendations="Weekly therapy.")
    assert caught.value.field == "condition"
    summary.refresh_from_db()  # the failed signature saved nothing
    assert summary.status == SummaryStatus.DRAFT and summary.course == ""
    with pytest.raises(DomainError, match="Reconcile the discharge medication list"):
        ds.sign(summary=summary, user=therapist, expected_version=summary.version, **SUMMARY_TEXT)
    assert DischargeSummary.objects.get().status == SummaryStatus.DRAFT


def test_signed_summary_is_immutable_and_amended_by_addenda(episode, therapist):
    """CMS Pub. 100-08 ch. 3 §3.3.2.5: a signed entry is never altered; corrections are signed addenda."""
    ready_for_discharge(episode, therapist)
    summary = DischargeSummary.objects.get(episode=episode)
    with pytest.raises(DomainError, match="signed"):
        ds.save_draft(summary=summary, user=therapist, expected_version=summary.version, course="Changed")
    summary.course = "Changed behind the service's back"
    with pytest.raises(DomainError, match="cannot be changed"):
        summary.save()
    with pytest.raises(DomainError, match="never deleted"):
        summary.delete()
    with pytest.raises(DomainError, match="addendum"):  # the list the summary reports is frozen too
        medications.reconcile_medications(episode=episode, list_kind="discharge", reconciled_by=therapist,
                                          no_medications=True, rows=[])
    summary.refresh_from_db()
    addendum = ds.add_addendum(summary=summary, user=therapist, text="Aftercare moved to Thursday.")
    assert ds.verify(summary) and addendum.content_hash.startswith("sha256:")
    with pytest.raises(DomainError):
        addendum.save()
    rec = _discharge(episode, therapist)
    assert "Aftercare moved to Thursday." in _text(discharge_summary_pdf(episode, rec))
    # Content changed underneath (a raw update bypasses the model): verification says so.
    DischargeSummary.objects.filter(pk=summary.pk).update(course="Tampered")
    assert not ds.verify(DischargeSummary.objects.get(pk=summary.pk))
    DischargeSummaryAddendum.objects.filter(pk=addendum.pk).update(text="Tampered")
    assert not ds.verify(DischargeSummary.objects.get(pk=summary.pk))


def test_a_stale_draft_save_is_refused(episode, therapist, make_staff):
    """Nobody overwrites another person's draft unseen (optimistic concurrency on the draft's version)."""
    summary = ds.start_summary(episode=episode, user=therapist)
    loaded = summary.version
    ds.save_draft(summary=summary, user=therapist, expected_version=loaded, course="First")
    with pytest.raises(ds.SummaryConflict):
        ds.save_draft(summary=summary, user=make_staff("program_director"), expected_version=loaded, course="Second")
    summary.refresh_from_db()
    assert summary.course == "First"


def test_export_uses_the_signed_version(episode, therapist, site):
    """The export carries the summary as signed: a diagnosis added after signing is not in it, the signature is
    (CMS Pub. 100-08 ch. 3 §3.3.2.4)."""
    ready_for_discharge(episode, therapist)
    lifecycle.add_diagnosis(patient=episode.patient, episode=episode, code="F41.1", rank="secondary",
                            diagnosed_on=today_in(site.zone), diagnosed_by=therapist)
    _discharge(episode, therapist)
    sign(consent_services.create_consent(
        patient=episode.patient, site=site, kind=ConsentKind.RELEASE, created_by=therapist, recipient_name="Dr. Smith",
        information="Discharge summary", purpose="Continuity of care", categories=["all_records"],
        expiration_event="End of treatment"), therapist)
    pdf, disclosure = lifecycle.export_discharge_summary(episode=episode, exported_by=therapist,
                                                         recipient_name="Dr. Smith")
    text = _text(pdf)
    assert "F41.1" not in text and "Electronically signed by" in text and "mood improved" in text
    assert disclosure.sections == ["all_records"]


def test_export_of_an_unsigned_legacy_summary_is_refused(episode, therapist, site):
    """Only a signed summary leaves the program; a record discharged before signing was required can be signed
    late on the summary page."""
    ready_for_discharge(episode, therapist)
    summary = DischargeSummary.objects.get(episode=episode)
    rec = _discharge(episode, therapist)
    DischargeSummary.objects.filter(pk=summary.pk).update(status="draft", signed_at=None, signed_by=None,
                                                          content_hash="")  # as if made before the requirement
    assert "Not signed" in _text(discharge_summary_pdf(episode, rec))
    with pytest.raises(DomainError, match="not signed"):
        lifecycle.export_discharge_summary(episode=episode, exported_by=therapist, recipient_name="Dr. Smith")
    summary.refresh_from_db()
    late = ds.sign(summary=summary, user=therapist, expected_version=summary.version, **SUMMARY_TEXT)
    assert late.status == SummaryStatus.SIGNED


def test_summary_page_draft_sign_and_addendum(client_for, episode, therapist, make_staff):
    """The page a clinician uses: start, save, a refused signature with its reason, sign, then an addendum; a role
    that may not discharge reads it but cannot write it."""
    ready_for_discharge(episode, therapist, sign_summary=False)
    c = client_for(therapist)
    url = reverse("episodes:discharge_summary", kwargs={"episode_id": episode.public_id})
    page = c.get(url)
    assert page.status_code == 200 and b"Start the discharge summary" in page.content
    assert not DischargeSummary.objects.exists()  # a GET never writes
    assert c.post(url, {"action": "start"}).status_code == 302
    summary = DischargeSummary.objects.get()
    page = c.get(url)
    assert b"Sign summary" in page.content and b"Sertraline" in page.content  # facts beside the draft
    refused = c.post(url, {"action": "sign", "version": summary.version, "course": "Groups.", "condition": "",
                           "recommendations": "Weekly therapy."})
    assert refused.status_code == 400 and b"clinical status at discharge" in refused.content
    saved = c.post(url, {"action": "save", "version": summary.version, **SUMMARY_TEXT})
    assert saved.status_code == 302
    summary.refresh_from_db()
    stale = c.post(url, {"action": "sign", "version": summary.version - 1, **SUMMARY_TEXT})
    assert stale.status_code == 400 and b"Someone saved this summary" in stale.content
    signed = c.post(url, {"action": "sign", "version": summary.version, **SUMMARY_TEXT})
    assert signed.status_code == 302
    page = c.get(url)
    assert b"Content matches its signature" in page.content and b"Sign addendum" in page.content
    add_url = reverse("episodes:summary_addendum", kwargs={"episode_id": episode.public_id})
    assert c.post(add_url, {"text": ""}).status_code == 400
    assert c.post(add_url, {"text": "Phone number of aftercare corrected."}).status_code == 302
    assert DischargeSummaryAddendum.objects.count() == 1
    reader = client_for(make_staff("nurse"))
    assert reader.post(url, {"action": "start"}).status_code == 403
