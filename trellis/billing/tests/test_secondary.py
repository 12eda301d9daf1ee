"""Secondary claims (coordination of benefits, 837 IG 005010X222A1/X223A2 section 1.4.1, loops 2320-2330 and
2430): after the primary's 835 posts, a claim to the secondary coverage carries the primary payer's paid and
adjusted amounts, claim and lines; the files pass pyx12 (and a broken one does not). Idempotent; refused with a
reason when nothing is left for the secondary, the primary has not decided, or there is no secondary coverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trellis.billing import services
from trellis.billing.boundary import CoverageInfo, PayerInfo
from trellis.billing.coverage_source import billed_units
from trellis.billing.models import Claim, ClaimStatus
from trellis.billing.tests.conftest import TODAY
from trellis.billing.tests.test_corrections import _claim, _send
from trellis.billing.x12.tests import samples
from trellis.billing.x12.validate import validate_x12
from trellis.coverage.models import Authorization

pytestmark = pytest.mark.django_db

MEDICAID = PayerInfo("MCD01", "State Medicaid", "MC", timely_filing_days=365, requires_authorization=False)


def _secondary_for(episode, day):
    return CoverageInfo(MEDICAID, "MCD123456", "", active_from=dt.date(2025, 1, 1))


def _none(episode, day):
    return None


def _remit(world, claim: Claim, *, paid: str, copay: str, write_off: str, payer_number: str = "PAY55") -> Claim:
    """The primary's 835: each line paid `paid`, with a contractual write-down (CO-45) and a copay (PR-3)."""
    lines = list(claim.lines.order_by("number"))
    total_paid = Decimal(paid) * len(lines)
    copays = Decimal(copay) * len(lines)
    body = ["LX*1", f"CLP*{claim.patient_control_number}*1*{claim.total_charge}*{total_paid}*{copays}*12*"
                    f"{payer_number}*11*1", "NM1*QC*1*DOE*JANE****MI*M000000"]
    for line in lines:
        body += [f"SVC*HC:{line.code}*{line.amount}*{paid}**1", f"DTM*472*{line.service_date:%Y%m%d}"]
        body += [f"CAS*CO*45*{write_off}"] if Decimal(write_off) else []
        body += [f"CAS*PR*3*{copay}"] if Decimal(copay) else []
        body += [f"REF*6R*{line.line_control_number}"]
    services.import_remittance(content=samples.build_835(body, bpr_total=str(total_paid), trace=f"EFT{payer_number}"),
                               organization=world.site.organization)
    claim.refresh_from_db()
    return claim


def _batch(world, claim: Claim):
    services.scrub_claims(claims=[claim], today=TODAY)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SCRUBBED, claim.scrub_problems
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    return batch


def test_secondary_837p_carries_the_primary_adjudication_and_validates(world, tmp_path) -> None:
    primary = _remit(world, _send(world, _claim(world, days=2), tmp_path), paid="80", copay="20", write_off="20")
    assert primary.status == ClaimStatus.PAID and primary.patient_responsibility == Decimal("40")
    (secondary,), left = services.create_secondary_claims(claims=[primary], secondary_for=_secondary_for)
    assert left == []
    assert (secondary.payer_sequence, secondary.primary_claim, secondary.payer_identifier, secondary.member_id) == (
        "S", primary, "MCD01", "MCD123456")
    assert secondary.total_charge == primary.total_charge == Decimal("240") and secondary.lines.count() == 2
    assert secondary.other_payer["paid"] == "160.00" and secondary.other_payer["payer_claim_number"] == "PAY55"
    batch = _batch(world, secondary)
    content = batch.content
    assert f"CLM*{secondary.patient_control_number}*240***11:B:1*" in content
    assert "SBR*S*18*" in content  # this claim goes to the secondary payer
    assert "SBR*P*18*GRP1******CI~" in content  # 2320: the primary, commercial
    assert "AMT*D*160~" in content and "AMT*EAF*40~" in content and "OI***Y***Y~" in content
    assert "NM1*PR*2*ACME HEALTH*****PI*ACME1~" in content and "REF*F8*PAY55~" in content  # 2330B
    assert content.count("SVD*ACME1*80*HC:90853**1~") == 2  # 2430 per line
    assert content.count("CAS*CO*45*20~") == 2 and content.count("CAS*PR*3*20~") == 2
    assert "DTP*573*D8*20260120~" in content
    result = validate_x12(content)
    assert result.valid, result.errors
    broken = content.replace("NM1*IL*1*DOE0*JANE****MI*M000000~\nNM1*PR*2*ACME", "NM1*PR*2*ACME")
    assert broken != content and not validate_x12(broken).valid  # 2330A is required: the check can fail


def test_secondary_837i_per_diem_validates(world, tmp_path) -> None:
    primary = _send(world, _claim(world, per_diem=True), tmp_path)
    primary = _remit(world, primary, paid="280", copay="70", write_off="0", payer_number="MCR1")
    assert primary.status == ClaimStatus.PAID, primary.status
    (secondary,), _ = services.create_secondary_claims(claims=[primary], secondary_for=_secondary_for)
    batch = _batch(world, secondary)
    assert "SVD*MCRA1*280*HC:S9480*0905*1~" in batch.content and "SBR*P*18*GRP1******MA~" in batch.content
    result = validate_x12(batch.content)
    assert result.valid, result.errors


def _claim_for_new_patient(world, n: int) -> Claim:
    ep = world.patient(n=n)
    world.attend(ep, dt.date(2026, 1, 6), start=dt.time(8 + n, 0))
    org = world.site.organization
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    claims, _ = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    (claim,) = claims
    return claim


def test_secondary_claims_are_made_once_and_only_when_something_is_left(world, tmp_path) -> None:
    primary = _remit(world, _send(world, _claim(world), tmp_path), paid="100", copay="20", write_off="0")
    made, _ = services.create_secondary_claims(claims=[primary], secondary_for=_secondary_for)
    again, left = services.create_secondary_claims(claims=[primary], secondary_for=_secondary_for)
    assert len(made) == 1 and again == [] and "exists already" in left[0]
    in_full = _remit(world, _send(world, _claim(world, per_diem=True), tmp_path), paid="350", copay="0",
                     write_off="0", payer_number="MCR2")
    pending = _send(world, _claim_for_new_patient(world, 3), tmp_path)
    made, left = services.create_secondary_claims(claims=[in_full, pending], secondary_for=_secondary_for)
    assert made == []
    assert any("nothing is left for the secondary" in r for r in left), left
    assert any("has not adjudicated it (submitted)" in r for r in left), left
    other = _remit(world, _send(world, _claim_for_new_patient(world, 5), tmp_path), paid="100", copay="20",
                   write_off="0", payer_number="PAY66")
    made, left = services.create_secondary_claims(claims=[other], secondary_for=_none)
    assert made == [] and "no secondary coverage in force" in left[0]
    assert Claim.objects.filter(payer_sequence="S").count() == 1


def test_a_secondary_claim_does_not_use_up_the_primary_authorization(world, tmp_path) -> None:
    """Authorization units count the lines billed to the primary only (coverage_source.billed_units)."""
    primary = _remit(world, _send(world, _claim(world), tmp_path), paid="100", copay="20", write_off="0")
    (secondary,), _ = services.create_secondary_claims(claims=[primary], secondary_for=_secondary_for)
    _batch(world, secondary)
    auth = Authorization(episode_id=primary.episode_id, number="AUTH0", start_on=dt.date(2026, 1, 1),
                         end_on=dt.date(2026, 3, 31))
    assert billed_units(auth) == 1  # the primary's one line; the secondary's copy of it does not count
