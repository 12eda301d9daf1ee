"""The charge correction page: who may open it, what it says saving will do, validation with clear messages,
the audit trail, and the claim that follows - rebuilt while unsent, a replacement claim (frequency 7, REF*F8 with
the payer's claim number) once adjudicated, valid for pyx12 - refused while the payer's decision is pending.
Bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.billing import services
from trellis.billing.models import Charge, ChargeStatus, Claim, ClaimStatus, FeeScheduleEntry
from trellis.billing.submission import FileDropSubmitter
from trellis.billing.tests.conftest import MEDICARE, MONDAY, TODAY
from trellis.billing.x12.tests import samples
from trellis.billing.x12.validate import validate_x12
from trellis.core.testing.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _claim(world, *, per_diem: bool = False, days: int = 1) -> Claim:
    ep = world.patient(MEDICARE, n=9) if per_diem else world.patient()
    for i in range(days):
        world.attend(ep, MONDAY + dt.timedelta(days=i), minutes=200 if per_diem else 90, start=dt.time(9, 0))
    org = world.site.organization
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    (claim,) = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                      authorization_for=world.authorization_for)[0]
    return claim


def _send(world, claim: Claim, tmp_path) -> Claim:
    services.scrub_claims(claims=[claim], today=TODAY)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SCRUBBED, claim.scrub_problems
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    services.submit_batch(batch=batch, submitter=FileDropSubmitter(tmp_path))
    claim.refresh_from_db()
    return claim


def _paid(world, claim: Claim, payer_number: str = "PAY77") -> Claim:
    """The payer's 835 pays the claim in full: it names the payer claim number a replacement refers to."""
    body = ["LX*1", f"CLP*{claim.patient_control_number}*1*{claim.total_charge}*{claim.total_charge}**12*"
                    f"{payer_number}*11*1", "NM1*QC*1*DOE*JANE****MI*M000000"]
    for line in claim.lines.order_by("number"):
        body += [f"SVC*HC:{line.code}*{line.amount}*{line.amount}**1", f"DTM*472*{line.service_date:%Y%m%d}",
                 f"REF*6R*{line.line_control_number}"]
    services.import_remittance(content=samples.build_835(body, bpr_total=str(claim.total_charge)),
                               organization=world.site.organization)
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == (ClaimStatus.PAID, payer_number)
    return claim


def _url(charge: Charge) -> str:
    return reverse("billing:charge_correct", kwargs={"charge_id": charge.public_id})


def _post(client, charge: Charge, **change):
    data = {"code": charge.code, "modifiers": charge.modifiers, "units": str(charge.units),
            "amount": str(charge.amount), "reason": "Session lasted 55 minutes", **change}
    return client.post(_url(charge), data)


def test_correction_page_allowed_and_denied(world, client, client_for, other_site) -> None:
    charge = _claim(world).lines.get().charge
    url = _url(charge)
    assert client.get(url).status_code == 302
    for role in ("therapist", "front_desk", "program_director", "org_admin"):
        assert client_for(make_staff(role, world.site)).get(url).status_code == 403, role
    assert client_for(make_staff("biller", other_site)).get(url).status_code == 404
    page = client_for(make_staff("biller", world.site)).get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Doe0" in body and "has not been sent" in body and "$120.00" in body
    assert "CLINICAL TEXT" not in body
    assert AuditEvent.objects.filter(object_id=str(charge.public_id), action="read").exists()


def test_validation_refuses_bad_input_and_changes_nothing(world, client_for) -> None:
    charge = _claim(world).lines.get().charge
    biller = client_for(make_staff("biller", world.site))
    for change, message in [
        ({"reason": ""}, "This field is required."),
        ({"code": "99999"}, "not a procedure code in the billing catalogue"),
        ({"code": "S9480"}, "a single service is billed with a CPT code"),
        ({"modifiers": "95,X"}, "a modifier is two letters or digits"),
        ({"modifiers": "95,GT,HO,HN,59"}, "At most four modifiers"),
        ({"modifiers": "95,95"}, "listed twice"),
        ({"amount": "0"}, "greater than or equal to 0.01"),
        ({"amount": "250000"}, "less than or equal to 100000"),
        ({"units": "-1"}, "greater than or equal to 0.01"),
        ({}, "Nothing to correct"),
    ]:
        response = _post(biller, charge, **change)
        assert response.status_code == 200 and message in response.content.decode(), change
    assert Charge.objects.get(pk=charge.pk).amount == Decimal("120")
    assert Charge.objects.count() == 1


def test_open_charge_is_corrected_in_place_with_an_audited_reason(world, client_for) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY)
    (charge,) = services.capture_charges(organization=world.site.organization, through=TODAY,
                                         coverage_for=world.coverage_for).created
    biller = client_for(make_staff("biller", world.site))
    assert "not on a claim yet" in biller.get(_url(charge)).content.decode()
    response = _post(biller, charge, modifiers="95, gt", amount="130.00")
    assert response.status_code == 302
    charge.refresh_from_db()
    assert (charge.modifiers, charge.amount, charge.status) == ("95,GT", Decimal("130"), ChargeStatus.OPEN)
    event = AuditEvent.objects.filter(object_id=str(charge.public_id), action="update").latest("pk")
    assert event.detail["reason"] == "Session lasted 55 minutes"
    assert event.detail["was"] == {"modifiers": "", "amount": "120.00"}
    assert event.detail["now"] == {"modifiers": "95,GT", "amount": "130.00"}


def test_unsent_claim_is_rebuilt(world, client_for) -> None:
    claim = _claim(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    charge = claim.lines.get().charge
    response = _post(client_for(make_staff("biller", world.site)), charge, code="90837", amount="210")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.total_charge, claim.lines.get().code) == (ClaimStatus.DRAFT, Decimal("210"), "90837")
    assert not Claim.objects.filter(replaces=claim).exists()


def test_pending_claim_is_refused_until_the_payer_decides(world, client_for, tmp_path) -> None:
    claim = _claim(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=[claim])
    charge = claim.lines.get().charge
    biller = client_for(make_staff("biller", world.site))
    page = biller.get(_url(charge)).content.decode()
    assert "built but not submitted" in page and "Save the correction" not in page
    assert "built but not submitted" in _post(biller, charge, code="90837").content.decode()
    services.submit_batch(batch=batch, submitter=FileDropSubmitter(tmp_path))
    assert "awaits the payer" in _post(biller, charge, code="90837").content.decode()
    assert Charge.objects.get(pk=charge.pk).status == ChargeStatus.CLAIMED
    assert not Claim.objects.filter(replaces=claim).exists()


def test_correction_after_payment_makes_a_valid_replacement_claim(world, client_for, tmp_path) -> None:
    claim = _paid(world, _send(world, _claim(world, days=2), tmp_path))
    charge = claim.lines.order_by("number").first().charge
    biller = client_for(make_staff("biller", world.site))
    page = biller.get(_url(charge)).content.decode()
    assert "replacement claim (frequency 7, REF*F8 PAY77)" in page
    response = _post(biller, charge, code="90837", amount="210")
    replacement = Claim.objects.get(replaces=claim)
    assert response.status_code == 302 and response.url == reverse("billing:claim",
                                                                   kwargs={"claim_id": replacement.public_id})
    assert (replacement.frequency_code, replacement.payer_claim_number) == ("7", "PAY77")
    assert sorted(line.code for line in replacement.lines.all()) == ["90837", "90853"]
    assert replacement.total_charge == Decimal("330")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOID
    corrected = Charge.objects.get(replaces=charge)
    assert Charge.objects.get(pk=charge.pk).status == ChargeStatus.VOID and corrected.status == ChargeStatus.CLAIMED
    assert AuditEvent.objects.filter(object_id=str(corrected.public_id), action="create",
                                     detail__reason="Session lasted 55 minutes").exists()
    # Correcting the voided charge again is refused: the corrected one is the live charge.
    assert "This charge is void" in biller.get(_url(charge)).content.decode()
    # The replacement goes out like any claim, and pyx12 accepts it.
    services.scrub_claims(claims=[replacement], today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=[replacement])
    assert "REF*F8*PAY77~" in batch.content and ":B:7*" in batch.content
    result = validate_x12(batch.content)
    assert result.valid, result.errors
    assert not validate_x12(batch.content.replace("REF*F8*PAY77~", "REF*F8~")).valid  # the check can fail


def test_per_diem_correction_replaces_the_837i_claim(world, client_for, tmp_path) -> None:
    claim = _paid(world, _send(world, _claim(world, per_diem=True), tmp_path), "MCR900")
    charge = claim.lines.get().charge
    response = _post(client_for(make_staff("biller", world.site)), charge, amount="375.00")
    assert response.status_code == 302
    replacement = Claim.objects.get(replaces=claim)
    services.scrub_claims(claims=[replacement], today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=[replacement])
    assert "REF*F8*MCR900~" in batch.content and "*13:A:7*" in batch.content  # type of bill 137
    assert validate_x12(batch.content).valid


def test_correction_page_is_bounded_in_queries(world, client_for, tmp_path, django_assert_max_num_queries) -> None:
    small = _paid(world, _send(world, _claim(world), tmp_path))
    biller = client_for(make_staff("biller", world.site))
    charge = small.lines.get().charge
    biller.get(_url(charge))
    with django_assert_max_num_queries(25) as one:
        assert biller.get(_url(charge)).status_code == 200
    for code in ("90846", "90847", "90792"):  # more rates on the date: still one query for them
        FeeScheduleEntry.objects.create(profile=world.per_service, service_type="x", code=code, rate=Decimal("99"),
                                   effective_from=dt.date(2025, 1, 1), source="Test")
    with django_assert_max_num_queries(25) as more:
        assert biller.get(_url(charge)).status_code == 200
    assert len(more.captured_queries) == len(one.captured_queries)
    with django_assert_max_num_queries(60):
        assert _post(biller, charge, code="90837", amount="210").status_code == 302
