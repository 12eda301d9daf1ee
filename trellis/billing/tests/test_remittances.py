"""835 posting: paid, partially paid, denied, reversal, PLB; idempotent re-import; suspense; balancing; refusals
leave nothing posted; the denial worklist with reason text and next step (bounded queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from trellis.billing import selectors, services
from trellis.billing.models import (
    Adjustment,
    Claim,
    ClaimLine,
    ClaimStatus,
    FeeScheduleEntry,
    Remittance,
    RemittanceClaim,
    SuspenseItem,
)
from trellis.billing.submission import FileDropSubmitter
from trellis.billing.tests.conftest import MONDAY, TODAY
from trellis.billing.x12.tests import samples
from trellis.core.testing.factories import make_staff

pytestmark = pytest.mark.django_db


def _submitted_claims(world, tmp_path, sessions_per_claim=(3, 1, 1, 1)):  # noqa: ANN001, ANN202
    FeeScheduleEntry.objects.filter(code="90853").update(rate=Decimal("150"))
    for n, count in enumerate(sessions_per_claim):
        ep = world.patient(n=n)
        for offset in range(count):
            world.attend(ep, MONDAY + dt.timedelta(days=offset), start=dt.time(9 + n, 0))
    org = world.site.organization
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    claims, _ = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    claims.sort(key=lambda c: c.episode_id)
    services.scrub_claims(claims=claims, today=TODAY)
    for batch in services.build_batches(organization=org, claims=claims):
        services.submit_batch(batch=batch, submitter=FileDropSubmitter(tmp_path))
    # Give them the control numbers the sample 835 uses.
    for n, claim in enumerate(claims):
        pcn = f"TR000000010{n + 1}"
        Claim.objects.filter(pk=claim.pk).update(patient_control_number=pcn)
        prefix = {0: "PS1", 2: "PS3"}.get(n, f"X{n}")
        for i, line in enumerate(claim.lines.order_by("number")):
            ClaimLine.objects.filter(pk=line.pk).update(line_control_number=f"{prefix}-{i}")
    return [Claim.objects.get(pk=c.pk) for c in claims]


def _import(world, content):  # noqa: ANN001, ANN202
    return services.import_remittance(content=content, organization=world.site.organization)


def test_posting_paid_partial_denied_reversal_and_plb(world, tmp_path) -> None:  # noqa: ANN001
    partial, denied, paid, reversed_ = _submitted_claims(world, tmp_path)
    Claim.objects.filter(pk=reversed_.pk).update(status=ClaimStatus.PAID, paid_amount=Decimal("120"))
    summary = _import(world, samples.full_835())
    assert (summary.payments_posted, summary.claims_matched, summary.denied, summary.reversals) == (1, 4, 1, 1)
    assert summary.total_paid == Decimal("205") and summary.provider_adjustments == Decimal("25")

    partial.refresh_from_db()
    assert partial.status == ClaimStatus.PARTIALLY_PAID
    assert (partial.paid_amount, partial.patient_responsibility, partial.payer_claim_number) == (200, 40, "PAY0001")
    lines = list(partial.lines.order_by("number"))
    assert [ln.paid_amount for ln in lines] == [100, 100, 0]
    assert [ln.allowed_amount for ln in lines] == [120, 120, None]
    line_adj = Adjustment.objects.filter(claim_line=lines[2]).get()
    assert (line_adj.group_code, line_adj.reason_code, line_adj.amount) == ("CO", "151", 150)

    denied.refresh_from_db()
    assert denied.status == ClaimStatus.DENIED and denied.paid_amount == 0
    paid.refresh_from_db()
    assert paid.status == ClaimStatus.PAID and paid.paid_amount == 150
    reversed_.refresh_from_db()
    assert reversed_.status == ClaimStatus.ACCEPTED and reversed_.paid_amount == 0

    remittance = Remittance.objects.get()
    plb = list(remittance.adjustments.filter(level="provider").values_list("reason_code", "amount", "reference"))
    assert plb == [("WO", Decimal("30"), "PAY0009"), ("L6", Decimal("-5"), "")]
    assert remittance.code_list_version and remittance.trace_number == "EFT20260120"


def test_reimporting_the_same_835_posts_nothing_twice(world, tmp_path) -> None:  # noqa: ANN001
    claims = _submitted_claims(world, tmp_path)
    Claim.objects.filter(pk=claims[3].pk).update(status=ClaimStatus.PAID, paid_amount=Decimal("120"))
    _import(world, samples.full_835())
    before = (Remittance.objects.count(), RemittanceClaim.objects.count(), Adjustment.objects.count(),
              list(Claim.objects.order_by("pk").values_list("paid_amount", "status")))
    again = _import(world, samples.full_835())
    assert (again.payments_posted, again.payments_already_posted) == (0, 1)
    after = (Remittance.objects.count(), RemittanceClaim.objects.count(), Adjustment.objects.count(),
             list(Claim.objects.order_by("pk").values_list("paid_amount", "status")))
    assert before == after


def test_unknown_claims_go_to_suspense(world, tmp_path) -> None:  # noqa: ANN001
    _submitted_claims(world, tmp_path, sessions_per_claim=(1, 1, 1))
    body = samples.PAID_IN_FULL + ["CLP*TR9999999999*1*80*80**12*PAYX*11*1"]
    summary = _import(world, samples.build_835(body, bpr_total="230"))
    assert (summary.claims_matched, summary.claims_in_suspense) == (1, 1)
    item = SuspenseItem.objects.get()
    assert "TR9999999999" in item.reason and item.remittance_claim.claim is None
    assert [s.pk for s in selectors.suspense_for(world.therapist)] == []  # no billing capability
    biller_items = selectors.suspense_for(_biller(world))
    assert [s.pk for s in biller_items] == [item.pk]


def _biller(world):  # noqa: ANN001, ANN202
    return make_staff("biller", world.site)


def test_out_of_balance_835_is_refused_and_nothing_posted(world, tmp_path) -> None:  # noqa: ANN001
    _submitted_claims(world, tmp_path, sessions_per_claim=(1, 1, 1))
    with pytest.raises(services.RemittanceRefused, match="does not balance"):
        _import(world, samples.build_835(samples.PAID_IN_FULL + samples.PLB, bpr_total="150"))
    assert Remittance.objects.count() == 0


def test_an_837_is_refused(world) -> None:  # noqa: ANN001
    content = samples.full_835().replace("GS*HP*", "GS*HC*").replace("005010X221A1", "005010X222A1")
    with pytest.raises(services.RemittanceRefused, match="837 health care claim, not an 835"):
        _import(world, content)


def test_unknown_payee_is_refused(world) -> None:  # noqa: ANN001
    content = samples.full_835().replace("*XX*1234567893", "*XX*1679576722")
    with pytest.raises(services.RemittanceRefused, match="payee NPI 1679576722"):
        _import(world, content)
    assert Remittance.objects.count() == 0


def test_a_failure_midway_posts_nothing(world, tmp_path) -> None:  # noqa: ANN001
    claims = _submitted_claims(world, tmp_path, sessions_per_claim=(1, 1, 1))
    Claim.objects.filter(pk=claims[1].pk).update(status=ClaimStatus.DRAFT)  # a claim never sent cannot be paid
    body = samples.PAID_IN_FULL + ["CLP*TR0000000102*1*150*150**12*PAY2*11*1"]
    with pytest.raises(services.RemittanceRefused, match="draft claim cannot become paid"):
        _import(world, samples.build_835(body, bpr_total="300"))
    assert Remittance.objects.count() == RemittanceClaim.objects.count() == 0
    assert Claim.objects.get(pk=claims[2].pk).status == ClaimStatus.SUBMITTED  # the first CLP rolled back


def test_denial_worklist_has_reason_text_and_next_step(world, tmp_path, django_assert_max_num_queries) -> None:  # noqa: ANN001
    claims = _submitted_claims(world, tmp_path)
    Claim.objects.filter(pk=claims[3].pk).update(status=ClaimStatus.PAID, paid_amount=Decimal("120"))
    _import(world, samples.full_835())
    biller = _biller(world)
    with django_assert_max_num_queries(4):
        items = selectors.denials_for(biller)
    assert len(items) == 1
    reason = items[0].reasons[0]
    assert reason.reason_code == "197" and reason.description.startswith("Precertification")
    assert "retro-authorization" in reason.next_step
    # Bounded queries: the same count with one denial and with several.
    for n in range(4):
        body = [f"CLP*TR0000000102*4*150*0**12*PAYD{n}*11*1", "CAS*CO*50*150"]
        _import(world, samples.build_835(body, bpr_total="0", trace=f"DEN{n}"))
    with django_assert_max_num_queries(4):
        items = selectors.denials_for(biller)
    assert len(items) == 5
