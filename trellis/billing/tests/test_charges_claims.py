"""Charge capture, claims from charges, scrubbing with real data, batches validated by pyx12, submission."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trellis.attendance.models import Attendance
from trellis.billing import services
from trellis.billing.models import (
    BatchStatus,
    Charge,
    ChargeStatus,
    Claim,
    ClaimBatch,
    ClaimStatus,
    ControlNumberCounter,
    Documentation,
)
from trellis.billing.submission import FileDropSubmitter
from trellis.billing.tests.conftest import MEDICARE, MONDAY, TODAY
from trellis.billing.x12.validate import validate_x12
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent
from trellis.documentation.models import Note, NoteStatus

pytestmark = pytest.mark.django_db


def _capture(world, **kw):
    return services.capture_charges(organization=world.site.organization, through=TODAY,
                                    coverage_for=world.coverage_for, **kw)


def _claims(world):
    claims, left = services.create_claims(organization=world.site.organization, coverage_for=world.coverage_for,
                                          authorization_for=world.authorization_for)
    assert left == []
    return claims


def test_per_service_capture_codes_by_minutes_and_modality(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY, minutes=90)
    world.attend(ep, MONDAY + dt.timedelta(days=1), service_type="individual_therapy", minutes=45,
                 start=dt.time(13, 0))
    world.attend(ep, MONDAY + dt.timedelta(days=2), service_type="individual_therapy", minutes=55,
                 modality="video", note=NoteStatus.DRAFT, start=dt.time(13, 0))
    world.attend(ep, MONDAY + dt.timedelta(days=3), service_type="individual_therapy", minutes=12,
                 start=dt.time(13, 0))
    result = _capture(world)
    got = [(c.code, c.modifiers, c.place_of_service, c.documentation, c.amount) for c in result.created]
    assert got == [
        ("90853", "", "11", Documentation.COMPLETE, Decimal("120")),
        ("90834", "", "11", Documentation.COMPLETE, Decimal("160")),
    ]
    assert [reason.split(": ", 1)[1] for reason in result.skipped] == [
        "note not signed yet (unsigned)",
        "Individual psychotherapy of 12 minutes is under the 16-minute CPT minimum.",
    ]
    assert _capture(world).created == []  # idempotent
    Note.objects.filter(participants__attendance__session__local_date=MONDAY + dt.timedelta(days=2)).update(
        status=NoteStatus.COMPLETE, signed_at=dt.datetime(2026, 1, 8, tzinfo=dt.UTC), content_hash="x")
    (video,) = _capture(world).created  # captured once signed: telehealth modifier 95, POS 10 (home)
    assert (video.code, video.modifiers, video.place_of_service, video.amount) == ("90837", "95", "10", 210)


def test_capture_needs_a_rendering_clinician_with_an_npi(world, make_staff) -> None:
    peer = make_staff("group_facilitator", full_name="Leo Peer")
    ep = world.patient()
    att = world.attend(ep, MONDAY, by=peer)
    result = _capture(world)
    assert result.created == [] and "has no NPI" in result.skipped[0]
    att.session.co_facilitator = world.therapist  # a licensed co-facilitator renders it
    att.session.save()
    (charge,) = _capture(world).created
    assert charge.rendering_provider == world.therapist


def test_capture_skips_without_coverage_or_profile(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    world.coverage.pop(ep.pk)
    result = _capture(world)
    assert result.created == [] and "no coverage" in result.skipped[0]
    assert str(ep.patient.legal_last_name) not in result.skipped[0]  # opaque ids only


def test_per_diem_capture_one_charge_per_day_with_day_minutes(world) -> None:
    ep = world.patient(MEDICARE)
    world.attend(ep, MONDAY, minutes=90)
    world.attend(ep, MONDAY, minutes=90, start=dt.time(11, 0))
    world.attend(ep, MONDAY + dt.timedelta(days=1), minutes=120)
    created = _capture(world).created
    assert [(c.code, c.revenue_code, c.minutes, c.per_diem) for c in created] == [
        ("S9480", "0905", 180, True), ("S9480", "0905", 120, True),
    ]


def test_claim_scrub_batch_submit_end_to_end(world, tmp_path) -> None:
    ep = world.patient()
    for offset in (0, 2, 4):
        world.attend(ep, MONDAY + dt.timedelta(days=offset))
    _capture(world)
    (claim,) = _claims(world)
    assert claim.total_charge == Decimal("360") and claim.diagnosis_codes == ["F33.1", "F41.1"]
    assert [line.diagnosis_pointers for line in claim.lines.all()] == [[1, 2]] * 3
    assert set(Charge.objects.values_list("status", flat=True)) == {ChargeStatus.CLAIMED}
    problems = services.scrub_claims(claims=[claim], today=TODAY)
    assert problems[claim.pk] == []
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SCRUBBED
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    assert validate_x12(batch.content).valid
    assert f"CLM*{claim.patient_control_number}*360***11:B:1*Y*A*Y*Y~" in batch.content
    assert "REF*G1*AUTH0~" in batch.content and "NM1*82*1*NATARAJAN*PRIYA****XX*1245319599~" in batch.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.BATCHED and claim.batch == batch
    locked = Attendance.objects.filter(episode=ep).values_list("lock_reference", flat=True)
    assert set(locked) == {batch.filename}  # billed attendance is locked against silent edits
    submitter = FileDropSubmitter(tmp_path)
    services.submit_batch(batch=batch, submitter=submitter)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [batch.filename] and files[0].read_text() == batch.content
    mtime = files[0].stat().st_mtime_ns
    again = services.submit_batch(batch=batch, submitter=submitter)
    assert again.status == BatchStatus.SUBMITTED and files[0].stat().st_mtime_ns == mtime
    assert ClaimBatch.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_institutional_per_diem_week_batch_validates(world) -> None:
    ep = world.patient(MEDICARE)
    for offset in (0, 1, 3):
        world.attend(ep, MONDAY + dt.timedelta(days=offset), minutes=180)
    _capture(world)
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SCRUBBED, claim.scrub_problems
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    assert validate_x12(batch.content).valid
    assert Attendance.objects.filter(episode=ep, locked_at__isnull=False).count() == 3  # per-diem days locked
    assert f"CLM*{claim.patient_control_number}*1050***13:A:1**A*Y*Y~" in batch.content
    assert "HI*BG:92~" in batch.content and "DTP*434*RD8*20260105-20260111~" in batch.content
    assert "NM1*71*1*REYES*SAMUEL****XX*1003000126~" in batch.content


def test_scrub_holds_unsigned_and_short_days_until_fixed(world) -> None:
    ep = world.patient(MEDICARE)
    att = world.attend(ep, MONDAY, minutes=180, note=NoteStatus.DRAFT)
    world.attend(ep, MONDAY + dt.timedelta(days=1), minutes=120)
    _capture(world)
    (claim,) = _claims(world)
    problems = services.scrub_claims(claims=[claim], today=TODAY)[claim.pk]
    assert sorted(p.rule for p in problems) == ["documentation", "per_diem_minimum"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and len(claim.scrub_problems) == 2
    assert "ask the clinician to sign it" in claim.scrub_problems[0]["message"]
    Note.objects.filter(participants__attendance=att).update(
        status=NoteStatus.COMPLETE, signed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), content_hash="x")
    problems = services.scrub_claims(claims=[claim], today=TODAY)[claim.pk]
    assert [p.rule for p in problems] == ["per_diem_minimum"]  # the signed note fixed the documentation rule


def test_invalid_batch_is_refused_and_nothing_is_stored(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    _capture(world)
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    world.site.postal_code = "12345"  # the 837 billing provider loop needs ZIP+4
    world.site.save()
    with pytest.raises(services.BatchRefused, match="ZIP"):
        services.build_batches(organization=world.site.organization, claims=[claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SCRUBBED and ClaimBatch.objects.count() == 0
    assert not ControlNumberCounter.objects.filter(last_value__gt=0).exists()


def test_control_numbers_are_unique_and_increase(world) -> None:
    batches = []
    for n in range(3):
        ep = world.patient(n=n)
        world.attend(ep, MONDAY + dt.timedelta(days=n))
        _capture(world)
        claims = _claims(world)
        services.scrub_claims(claims=claims, today=TODAY)
        batches += services.build_batches(organization=world.site.organization, claims=claims)
    numbers = [b.interchange_control_number for b in batches]
    assert numbers == [1, 2, 3]
    assert all(f"*{n:09d}*0*T*:~" in b.content for n, b in zip(numbers, batches, strict=True))


def test_correction_after_submission_makes_a_replacement_claim(world, tmp_path) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    world.attend(ep, MONDAY + dt.timedelta(days=1), start=dt.time(11, 0))
    _capture(world)
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    services.submit_batch(batch=batch, submitter=FileDropSubmitter(tmp_path))
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID, payer_claim_number="PAY77")
    charge = claim.lines.first().charge
    corrected = services.correct_charge(charge=charge, actor=None, code="90837", amount=Decimal("210"),
                                        reason="Wrong code")
    replacement = Claim.objects.get(replaces=claim)
    assert replacement.frequency_code == "7" and replacement.payer_claim_number == "PAY77"
    assert sorted(line.code for line in replacement.lines.all()) == ["90837", "90853"]
    assert corrected.replaces == charge and Charge.objects.get(pk=charge.pk).status == ChargeStatus.VOID
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOID
    services.scrub_claims(claims=[replacement], today=TODAY)
    (batch2,) = services.build_batches(organization=world.site.organization, claims=[replacement])
    assert "REF*F8*PAY77~" in batch2.content and ":B:7*" in batch2.content
    assert validate_x12(batch2.content).valid


def test_correction_before_submission_rebuilds_the_claim(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    _capture(world)
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    charge = claim.lines.first().charge
    services.correct_charge(charge=charge, actor=None, amount=Decimal("130"), reason="Rate update")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and claim.total_charge == Decimal("130")
    assert not Claim.objects.filter(replaces=claim).exists()


def test_hold_and_release(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    (charge,) = _capture(world).created
    with pytest.raises(ValueError, match="Say why"):
        services.hold_charge(charge=charge, reason=" ", actor=None)
    services.hold_charge(charge=charge, reason="Waiting for authorization", actor=None)
    claims, _ = services.create_claims(organization=world.site.organization, coverage_for=world.coverage_for)
    assert claims == []  # held charges are not claimed
    services.release_charge(charge=charge, actor=None)
    assert len(_claims(world)) == 1


def test_void_of_unsent_claim_reopens_its_charges(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    _capture(world)
    (claim,) = _claims(world)
    services.void_claim(claim=claim, actor=None)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOID
    assert Charge.objects.get().status == ChargeStatus.OPEN
    with pytest.raises(services.ClaimError, match="payer's claim number"):
        services.replace_claim(claim=claim, actor=None)


def test_part2_program_needs_a_consent_naming_the_payer(world) -> None:
    world.program.is_part2 = True
    world.program.save()
    ep = world.patient()
    world.attend(ep, MONDAY)
    _capture(world)
    (claim,) = _claims(world)
    problems = services.scrub_claims(claims=[claim], today=TODAY)[claim.pk]
    assert [p.rule for p in problems] == ["part2_consent"] and "naming Acme Health" in problems[0].message
    consent = create_consent(patient=ep.patient, site=world.site, kind=ConsentKind.PART2, created_by=None,
                             recipient_name="Acme Health", information="Claims data", purpose="Payment",
                             expires_on=dt.date.today() + dt.timedelta(days=365))
    sign_consent(consent=consent, signer_name="Jane Doe0", collected_by=None, ip_address=None,
                 signed_at=dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC))
    assert services.scrub_claims(claims=[claim], today=TODAY)[claim.pk] == []
    # The claim is a disclosure of Part 2 records: it carries the 42 CFR 2.32(a)(2) notice, and still validates.
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    assert "NTE*ADD*42 CFR PART 2 PROHIBITS UNAUTHORIZED USE OR DISCLOSURE OF THESE RECORDS.~" in batch.content
    assert validate_x12(batch.content).valid


def test_claims_of_other_programs_carry_no_part2_note(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    _capture(world)
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    assert "NTE*" not in batch.content
