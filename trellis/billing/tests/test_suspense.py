"""Suspense: a biller matches an unmatched 835 claim payment to a claim by hand. Searched by patient control
number or payer claim number within the biller's sites; posted in one transaction exactly as the import posts a
matched claim (amounts, status, line payments, line adjustments); idempotent; audited; refused for a claim of
another site, an already-paid or unsent claim, amounts that do not balance. Bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from trellis.accounts.models import SiteMembership
from trellis.audit.models import AuditEvent
from trellis.billing import services
from trellis.billing.models import (
    Adjustment,
    AdjustmentLevel,
    Claim,
    ClaimStatus,
    RemittanceClaim,
    SuspenseItem,
)
from trellis.billing.submission import FileDropSubmitter
from trellis.billing.tests.conftest import MONDAY, TODAY
from trellis.billing.x12.tests import samples
from trellis.core.testing.factories import make_staff
from trellis.episodes.models import Episode
from trellis.scheduling.testing import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def other_site(other_site):
    other_site.npi = "1679576722"  # its own billing NPI: the 835s here pay the world's site
    other_site.save()
    return other_site


def _sent(world, tmp_path, n: int = 2) -> list[Claim]:
    """n submitted claims, one 90853 line of $120 each (patient i on MONDAY + i)."""
    for i in range(n):
        world.attend(world.patient(n=i), MONDAY + dt.timedelta(days=i), start=dt.time(9 + i, 0))
    org = world.site.organization
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    claims, _ = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    services.scrub_claims(claims=claims, today=TODAY)
    for batch in services.build_batches(organization=org, claims=claims):
        services.submit_batch(batch=batch, submitter=FileDropSubmitter(tmp_path))
    return sorted((Claim.objects.get(pk=c.pk) for c in claims), key=lambda c: c.statement_from)


def _clp(pcn: str, line_control: str, day: dt.date, payer_number: str, charge: str = "120") -> list[str]:
    # Billed 120: contractual write-down 20 (CO-45), copay 20 (PR-3), paid 80; allowed 100.
    return [
        "LX*1",
        f"CLP*{pcn}*1*{charge}*80*20*12*{payer_number}*11*1",
        "NM1*QC*1*DOE*JANE****MI*M000000",
        f"SVC*HC:90853*{charge}*80**1",
        f"DTM*472*{day:%Y%m%d}",
        f"CAS*CO*45*{Decimal(charge) - 100}",
        "CAS*PR*3*20",
        f"REF*6R*{line_control}",
        "AMT*B6*100",
    ]


def _remit(world, matched: Claim, unmatched: Claim, *, pcn: str = "TRLOST0000001", trace: str = "EFT1") -> SuspenseItem:
    """One 835 paying `matched` (its own control numbers) and `unmatched` under a control number nobody sent."""
    line_a, line_b = matched.lines.get(), unmatched.lines.get()
    body = (_clp(matched.patient_control_number, line_a.line_control_number, line_a.service_date, "PAYA1")
            + _clp(pcn, "LOST-1", line_b.service_date, "PAYB1"))
    summary = services.import_remittance(content=samples.build_835(body, bpr_total="160", trace=trace),
                                         organization=world.site.organization)
    assert (summary.claims_matched, summary.claims_in_suspense) == (1, 1)
    return SuspenseItem.objects.get(remittance_claim__patient_control_number=pcn)


def _page(client, item, q: str | None = None):
    url = reverse("billing:suspense_item", kwargs={"item_id": item.public_id})
    return client.get(url, {"q": q} if q is not None else {})


def _match(client, item, claim, q: str = ""):
    url = reverse("billing:suspense_match", kwargs={"item_id": item.public_id})
    return client.post(url, {"claim": str(claim.public_id), "q": q}, follow=True)


def _state(claim: Claim) -> tuple:
    claim.refresh_from_db()
    line = claim.lines.get()
    adjustments = sorted((a.group_code, a.reason_code, a.amount, a.claim_line_id == line.pk)
                         for a in Adjustment.objects.filter(remittance_claim__claim=claim, level=AdjustmentLevel.LINE))
    return (claim.status, claim.paid_amount, claim.patient_responsibility, line.paid_amount, line.allowed_amount,
            adjustments)


def test_the_import_keeps_the_payment_without_the_patient_name(world, tmp_path) -> None:
    a, b = _sent(world, tmp_path)
    item = _remit(world, a, b)
    assert item.payment["paid"] == "80" and item.payment["service_lines"][0]["line_control_number"] == "LOST-1"
    assert "DOE" not in str(item.payment) and "M000000" not in str(item.payment)


def test_match_by_hand_posts_exactly_as_the_import(world, tmp_path, client_for) -> None:
    a, b = _sent(world, tmp_path)
    item = _remit(world, a, b)
    biller = client_for(make_staff("biller", world.site))
    page = _page(biller, item).content.decode()  # opens on the payer claim number: nothing of ours has it yet
    assert "TRLOST0000001" in page and "PAYB1" in page and "No claim found" in page
    page = _page(biller, item, b.patient_control_number.lower()).content.decode()
    assert b.patient_control_number in page and "Post to this claim" in page and "Doe1" in page
    event = AuditEvent.objects.filter(object_type="patient_list").latest("pk")
    assert event.detail["view"] == "billing_suspense_match"
    response = _match(biller, item, b, q=b.patient_control_number)
    assert response.redirect_chain[-1][0] == reverse("billing:claim", kwargs={"claim_id": b.public_id})
    assert "as the import would have posted it" in response.content.decode()
    # Everything the automatic match did for claim A, the manual match did for claim B.
    assert _state(b) == _state(a) == (ClaimStatus.PAID, Decimal("80"), Decimal("20"), Decimal("80"), Decimal("100"),
                                      [("CO", "45", Decimal("20"), True), ("PR", "3", Decimal("20"), True)])
    assert b.payer_claim_number == "PAYB1"
    item.refresh_from_db()
    assert item.resolved_at is not None and item.remittance_claim.claim_id == b.pk
    audit = AuditEvent.objects.get(object_id=str(item.public_id), action="update")
    assert audit.detail["matched_claim"] == str(b.public_id) and audit.patient_id
    # Idempotent: matching again posts nothing twice; another claim is refused.
    _match(biller, item, b)
    assert _state(b)[1] == Decimal("80") and RemittanceClaim.objects.filter(claim=b).count() == 1
    assert AuditEvent.objects.filter(object_id=str(item.public_id), action="update").count() == 1
    with pytest.raises(services.MatchRefused, match="already matched"):
        services.match_suspense(item=item, claim=a, actor=None)
    # A matched item no longer lists candidates and leaves the suspense queue.
    assert "Post to this claim" not in _page(biller, item, b.patient_control_number).content.decode()
    assert "TRLOST0000001" not in biller.get(reverse("billing:home")).content.decode()


def test_search_by_payer_claim_number_and_only_within_the_billers_sites(world, tmp_path, client_for,
                                                                      other_site) -> None:
    a, b, c = _sent(world, tmp_path, 3)
    Claim.objects.filter(pk=b.pk).update(status=ClaimStatus.DENIED, payer_claim_number="PAYB1")  # an earlier denial
    item = _remit(world, a, c)
    biller = client_for(make_staff("biller", world.site))
    page = _page(biller, item).content.decode()  # opens on the 835's payer claim number PAYB1
    assert b.patient_control_number in page and c.patient_control_number not in page
    # Another site's biller does not open this site's suspense item, nor finds its claims.
    other = client_for(make_staff("biller", other_site))
    assert _page(other, item).status_code == 404
    for role in ("therapist", "program_director", "front_desk"):
        assert _page(client_for(make_staff(role, world.site)), item).status_code == 403, role
    assert "Doe" not in _page(biller, item, "TR1").content.decode()  # too short: no search


def test_refusals_leave_everything_as_it_was(world, tmp_path, client_for, other_site) -> None:
    a, b, c, d = _sent(world, tmp_path, 4)
    item = _remit(world, a, b)
    person = make_staff("biller", world.site)
    SiteMembership.objects.create(user=person, site=other_site, role="biller")
    biller = client_for(person)
    # c: billed by another site (its program moved there); d: billed a different amount.
    Episode.objects.filter(pk=c.episode_id).update(program=make_program(other_site, name="Other IOP"))
    Claim.objects.filter(pk=d.pk).update(total_charge=Decimal("250"))
    draft = Claim.objects.create(**{f.name: getattr(d, f.name) for f in Claim._meta.concrete_fields
                                    if f.name not in ("id", "public_id", "patient_control_number", "status",
                                                      "batch", "created_at", "updated_at")},
                                 patient_control_number="TRDRAFT000001", status=ClaimStatus.DRAFT)
    cases = [
        (a, "is already paid"),
        (c, "billed by another site"),
        (d, "The amounts do not balance"),
        (draft, "never sent to a payer"),
    ]
    for claim, message in cases:
        page = _page(biller, item, claim.patient_control_number).content.decode()
        assert message in page and "Post to this claim" not in page, message  # the page says why up front
        response = _match(biller, item, claim)
        assert "Not posted: " in response.content.decode() and message in response.content.decode(), message
    outsider = client_for(make_staff("biller", other_site))
    assert _match(outsider, item, b).status_code == 404  # the item is not theirs
    only_here = client_for(make_staff("biller", world.site))
    assert "not one you bill for" in _match(only_here, item, c).content.decode()
    item.refresh_from_db()
    assert item.resolved_at is None and item.remittance_claim.claim_id is None
    for claim in (c, d, draft):
        claim.refresh_from_db()
        assert claim.paid_amount == 0 and not claim.remittances.exists()
    a.refresh_from_db()
    assert a.paid_amount == Decimal("80")  # not paid twice


def test_suspense_page_is_bounded_in_queries(world, tmp_path, client_for, django_assert_max_num_queries) -> None:
    claims = _sent(world, tmp_path, 5)
    item = _remit(world, claims[0], claims[1])
    biller = client_for(make_staff("biller", world.site))
    _page(biller, item, claims[2].patient_control_number)
    with django_assert_max_num_queries(30) as one:
        assert _page(biller, item, claims[2].patient_control_number).status_code == 200
    # Three claims with the payer's number PAYX (a claim and its replacements, say): three candidates.
    Claim.objects.filter(pk__in=[c.pk for c in claims[2:]]).update(payer_claim_number="PAYX1",
                                                                   status=ClaimStatus.DENIED)
    with django_assert_max_num_queries(30) as three:
        body = _page(biller, item, "PAYX1").content.decode()
    assert body.count("data-row") == 3
    assert len(three.captured_queries) == len(one.captured_queries)
