"""The biller pages added after the work queues: fee schedules, charge review, 835 upload, KPIs. Allowed and
denied per view (anonymous, wrong role, other site), validation messages, audit, bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.billing import selectors, services
from trellis.billing.models import (
    BillingMode,
    BillingProfile,
    Charge,
    ChargeStatus,
    Claim,
    ClaimStatus,
    ClaimType,
    FeeScheduleEntry,
    Remittance,
)
from trellis.billing.tests.conftest import MONDAY, SOURCE, TODAY
from trellis.billing.x12.tests import samples
from trellis.core.svgchart import BarChart, BarItem, bar_chart
from trellis.core.testing.factories import make_staff
from trellis.documentation.models import NoteStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _charges(world, n: int = 1, *, note: str = NoteStatus.COMPLETE) -> list[Charge]:
    for i in range(n):
        ep = world.patient(n=i)
        world.attend(ep, MONDAY + dt.timedelta(days=i % 5), start=dt.time(8 + i % 10, 0), note=note)
    services.capture_charges(organization=world.site.organization, through=TODAY, coverage_for=world.coverage_for)
    return list(Charge.objects.order_by("pk"))


def _claims(world, n: int = 1) -> list[Claim]:
    _charges(world, n)
    claims, _ = services.create_claims(organization=world.site.organization, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    return claims


@pytest.fixture
def people(world, other_site):
    other_site.npi = "1679576722"  # its own billing NPI: remittances to this site's NPI are not for it
    other_site.save()
    return {
        "biller": make_staff("biller", world.site),
        "director": make_staff("program_director", world.site),
        "therapist": world.therapist,
        "front_desk": make_staff("front_desk", world.site),
        "other_biller": make_staff("biller", other_site),
        "other_director": make_staff("program_director", other_site),
    }


def _status(client_for, user, url, method="get", **data) -> int:
    return getattr(client_for(user), method)(url, data).status_code


# ---------------------------------------------------------------------------------------------------------
# Fee schedules
# ---------------------------------------------------------------------------------------------------------
def test_fee_schedule_page_allowed_and_denied(world, people, client, client_for, other_site) -> None:
    program_profile = BillingProfile.objects.create(
        organization=world.site.organization, payer_identifier="ACME1", payer_name="Acme Health",
        program=world.program, level_of_care="iop", billing_mode=BillingMode.PER_SERVICE,
        claim_type=ClaimType.PROFESSIONAL, source=SOURCE)
    url = reverse("billing:fees")
    assert client.get(url).status_code == 302
    for role in ("therapist", "front_desk"):
        assert _status(client_for, people[role], url) == 403, role
    for role in ("biller", "director"):
        page = client_for(people[role]).get(url)
        body = page.content.decode()
        assert page.status_code == 200 and "S9480" in body and "$350.00" in body and "Adult IOP" in body, role
    assert "Add a rate" in client_for(people["biller"]).get(url).content.decode()
    assert "Add a rate" not in client_for(people["director"]).get(url).content.decode()  # reads only
    # Another site's director sees the organization's level-of-care profiles, not this site's program profile.
    other = client_for(people["other_director"]).get(url).content.decode()
    assert "Medicare Part A" in other and f"p-{program_profile.public_id}" not in other


def test_adding_a_rate_validates_code_amount_and_dates(world, people, client_for) -> None:
    url = reverse("billing:fee_add", kwargs={"profile_id": world.per_service.public_id})
    base = {"service_type": "individual_therapy", "code": "90832", "rate": "95.00", "effective_from": "2026-02-01",
            "source": "Acme 2026 fee schedule"}
    biller = client_for(people["biller"])
    assert biller.get(url).status_code == 200
    for role in ("director", "therapist", "front_desk"):
        assert _status(client_for, people[role], url, "post", **base) == 403, role
    # The 90832 rate from 2025-01-01 is open-ended: a new one overlaps until it is end-dated.
    page = biller.post(url, base).content.decode()
    assert "already has a rate of $100.00" in page and "End-date it on 2026-01-31 first" in page
    assert "99999" not in page
    for change, message in [
        ({"code": "99999"}, "not a procedure code in the billing catalogue"),
        ({"code": "S9480"}, "a per-service rate uses a CPT code"),
        ({"service_type": "per_diem"}, "per-service profile per-service rates only"),
        ({"rate": "0"}, "greater than or equal to 0.01"),
        ({"rate": "-5"}, "greater than or equal to 0.01"),
        ({"rate": "250000"}, "at most $100,000.00"),
        ({"effective_to": "2026-01-01"}, "The end date is before the start date."),
        ({"source": ""}, "This field is required."),
        ({"revenue_code": "0999"}, "not a revenue code"),
    ]:
        response = biller.post(url, {**base, "code": "90791", **change})
        assert response.status_code == 200 and message in response.content.decode(), change
    assert FeeScheduleEntry.objects.filter(profile=world.per_service).count() == 5  # nothing added
    entry = FeeScheduleEntry.objects.get(profile=world.per_service, code="90832")
    end_url = reverse("billing:fee_end", kwargs={"entry_id": entry.public_id})
    assert biller.post(end_url, {"effective_to": "2024-12-31"}).status_code == 200  # before it starts: refused
    assert biller.post(end_url, {"effective_to": "2026-01-31"}).status_code == 302
    assert biller.post(url, base).status_code == 302
    new = FeeScheduleEntry.objects.get(profile=world.per_service, code="90832", effective_from="2026-02-01")
    assert new.rate == Decimal("95.00") and new.source == "Acme 2026 fee schedule" and not new.confirmed
    assert AuditEvent.objects.filter(object_id=str(new.public_id), action="create").exists()
    assert AuditEvent.objects.filter(object_id=str(entry.public_id), action="update").exists()
    # Re-opening the old rate would overlap the new one.
    page = biller.post(end_url, {"effective_to": "2026-03-01"}).content.decode()
    assert "already has a rate of $95.00" in page


def test_per_diem_rate_needs_a_revenue_code_on_837i(world, people, client_for) -> None:
    url = reverse("billing:fee_add", kwargs={"profile_id": world.per_diem.public_id})
    data = {"service_type": "per_diem", "code": "H0015", "rate": "300", "effective_from": "2026-02-01",
            "source": "Medicare"}
    page = client_for(people["biller"]).post(url, data).content.decode()
    assert "give the revenue code" in page
    assert client_for(people["biller"]).post(url, {**data, "revenue_code": "0906"}).status_code == 302


def test_fee_pages_of_another_sites_program_are_not_found(world, people, client_for) -> None:
    program_profile = BillingProfile.objects.create(
        organization=world.site.organization, payer_identifier="ACME1", payer_name="Acme Health",
        program=world.program, level_of_care="iop", billing_mode=BillingMode.PER_SERVICE,
        claim_type=ClaimType.PROFESSIONAL, source=SOURCE)
    entry = FeeScheduleEntry.objects.create(profile=program_profile, service_type="x", code="90853",
                                            rate=Decimal("99"), effective_from=dt.date(2025, 1, 1), source=SOURCE)
    add = reverse("billing:fee_add", kwargs={"profile_id": program_profile.public_id})
    end = reverse("billing:fee_end", kwargs={"entry_id": entry.public_id})
    assert _status(client_for, people["other_biller"], add) == 404
    assert _status(client_for, people["other_biller"], end) == 404
    assert _status(client_for, people["biller"], add) == 200
    assert _status(client_for, people["biller"], end) == 200


# ---------------------------------------------------------------------------------------------------------
# Charge review
# ---------------------------------------------------------------------------------------------------------
def test_charge_review_lists_reasons_and_holds_and_releases(world, people, client, client_for) -> None:
    world.per_service.confirmed = False
    world.per_service.save()
    (charge,) = _charges(world)
    url = reverse("billing:charges")
    assert client.get(url).status_code == 302
    for role in ("therapist", "front_desk", "director"):  # patient-level billing data: billers only
        assert _status(client_for, people[role], url) == 403, role
    biller = client_for(people["biller"])
    body = biller.get(url).content.decode()
    assert "Doe0" in body and "billing profile is not confirmed" in body
    assert "CLINICAL TEXT" not in body
    assert "Doe0" not in client_for(people["other_biller"]).get(url).content.decode()
    event = AuditEvent.objects.filter(object_type="patient_list").latest("pk")
    assert event.detail["view"] == "billing_charge_review"
    hold = reverse("billing:charge_hold", kwargs={"charge_id": charge.public_id})
    release = reverse("billing:charge_release", kwargs={"charge_id": charge.public_id})
    assert biller.get(hold).status_code == 405  # a GET never writes
    assert _status(client_for, people["other_biller"], hold, "post", reason="x") == 404
    assert _status(client_for, people["director"], hold, "post", reason="x") == 403
    page = biller.post(hold, {"reason": ""}, follow=True).content.decode()
    assert "Say why the charge is held" in page
    biller.post(hold, {"reason": "Waiting for the authorization"})
    charge.refresh_from_db()
    assert (charge.status, charge.hold_reason) == (ChargeStatus.HELD, "Waiting for the authorization")
    assert "Held: Waiting for the authorization" in biller.get(url).content.decode()
    biller.post(release)
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.OPEN
    page = biller.post(release, follow=True).content.decode()
    assert "Only a held charge can be released." in page


def test_charge_review_is_bounded_in_queries(world, people, client_for, django_assert_max_num_queries) -> None:
    biller = client_for(people["biller"])
    url = reverse("billing:charges")
    Charge.objects.all().delete()
    world.per_service.confirmed = False
    world.per_service.save()
    _charges(world, 1)
    biller.get(url)
    with django_assert_max_num_queries(30) as small:
        assert biller.get(url).status_code == 200
    _charges(world, 6)
    assert selectors.charges_to_review(people["biller"]).total == 7
    with django_assert_max_num_queries(30) as large:
        biller.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------------------------------------------------
# Remittance upload
# ---------------------------------------------------------------------------------------------------------
def _upload(c, content: str | bytes, name: str = "remit.835"):
    raw = content.encode("ascii") if isinstance(content, str) else content
    return c.post(reverse("billing:remittance_upload"), {"file": SimpleUploadedFile(name, raw)}, follow=True)


def test_remittance_upload_posts_and_refuses_with_a_clear_message(world, people, client, client_for,
                                                                   other_site) -> None:
    (claim,) = _claims(world)
    Claim.objects.filter(pk=claim.pk).update(patient_control_number="TR0000000102", status=ClaimStatus.SUBMITTED)
    url = reverse("billing:remittance_upload")
    assert client.get(url).status_code == 302
    for role in ("therapist", "front_desk", "director"):
        assert _status(client_for, people[role], url) == 403, role
    biller = client_for(people["biller"])
    assert biller.get(url).status_code == 200
    an_837 = samples.full_835().replace("GS*HP*", "GS*HC*").replace("005010X222A1", "005010X222A1") \
        .replace("005010X221A1", "005010X222A1")
    for content, message in [
        (an_837, "837 health care claim, not an 835"),
        ("this is not X12 at all", "Nothing was posted"),
        (b"%PDF-1.4 \xff\xfe", "not an X12 text file"),
        ("", "The submitted file is empty."),
    ]:
        page = _upload(biller, content).content.decode()
        assert message in page, message
    assert Remittance.objects.count() == 0
    refused = AuditEvent.objects.filter(object_type="billing.remittance_file", outcome="failure")
    assert refused.count() == 2 and "837" in refused.order_by("pk").first().detail["refused"]
    # A biller of another site cannot post a payment made to this site's NPI.
    denied = samples.build_835(samples.DENIED, bpr_total="0")
    assert "that you bill for" in _upload(client_for(people["other_biller"]), denied).content.decode()
    page = _upload(biller, denied).content.decode()
    assert "The remittance is posted." in page and "Claims matched: 1" in page
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED
    assert AuditEvent.objects.filter(object_type="billing.remittance_file", outcome="success").count() == 1
    assert "Nothing new: this remittance was already posted." in _upload(biller, denied).content.decode()
    assert Remittance.objects.count() == 1


# ---------------------------------------------------------------------------------------------------------
# KPIs
# ---------------------------------------------------------------------------------------------------------
def _remitted(world, tmp_path) -> list[Claim]:
    claims = _claims(world, 2)
    services.scrub_claims(claims=claims, today=TODAY)
    services.build_batches(organization=world.site.organization, claims=claims)
    first, second = sorted(claims, key=lambda c: c.pk)
    Claim.objects.filter(pk=first.pk).update(patient_control_number="TR0000000102", status=ClaimStatus.SUBMITTED)
    Claim.objects.filter(pk=second.pk).update(patient_control_number="TR0000000103", status=ClaimStatus.SUBMITTED,
                                              total_charge=Decimal("150"))
    summary = services.import_remittance(
        content=samples.build_835(samples.DENIED + samples.PAID_IN_FULL, bpr_total="150"),
        organization=world.site.organization)
    assert summary.claims_matched == 2
    return [first, second]


def test_kpi_pages_allowed_and_denied(world, people, client, client_for) -> None:
    for name in ("billing:kpi_ar", "billing:kpi_denials"):
        url = reverse(name)
        assert client.get(url).status_code == 302
        for role in ("therapist", "front_desk"):
            assert _status(client_for, people[role], url) == 403, (name, role)
        for role in ("biller", "director", "other_director"):
            assert _status(client_for, people[role], url) == 200, (name, role)


def test_denial_rate_by_month_and_payer(world, people, client_for, tmp_path) -> None:
    _remitted(world, tmp_path)
    data = selectors.denial_rate(people["director"], today=TODAY)
    assert [(r.label, r.remitted, r.denied, r.rate) for r in data.months][-1] == ("Jan 2026", 2, 1, Decimal("50.0"))
    assert [(r.label, r.remitted, r.denied) for r in data.payers] == [("ACME HEALTH PLAN", 2, 1)]
    page = client_for(people["director"]).get(reverse("billing:kpi_denials")).content.decode()
    assert "Remittance Denial Rate" in page and "50.0%" in page and "<svg" in page and "<table" in page
    assert "Doe0" not in page  # aggregates only
    other = selectors.denial_rate(people["other_director"], today=TODAY)
    assert other.payers == [] and all(r.remitted == 0 for r in other.months)


def test_days_in_ar_by_month_and_payer(world, people, client_for, tmp_path) -> None:
    first, _ = _remitted(world, tmp_path)
    data = selectors.days_in_ar(people["biller"], today=TODAY)
    # Billed: 120 (denied, still outstanding) + 150 (paid in full) = 270 over the last 90 days -> 3.00 a day;
    # outstanding 120 -> 40 days.
    (payer,) = data.payers
    assert (payer.outstanding, payer.average_daily_charges, payer.days) == (Decimal("120"), Decimal("3.00"),
                                                                           Decimal("40.0"))
    assert data.months[-1].days == Decimal("40.0") and data.months[0].days is None  # nothing billed in August
    page = client_for(people["director"]).get(reverse("billing:kpi_ar")).content.decode()
    assert "Net Days in Accounts Receivable" in page and "40.0 days" in page and "<svg" in page
    assert selectors.days_in_ar(people["other_director"], today=TODAY).payers == []


def test_kpi_pages_are_bounded_in_queries(world, people, client_for, tmp_path,
                                          django_assert_max_num_queries) -> None:
    director = client_for(people["director"])
    _remitted(world, tmp_path)
    counts = {}
    for name in ("billing:kpi_ar", "billing:kpi_denials"):
        director.get(reverse(name))
        with django_assert_max_num_queries(20) as ctx:
            director.get(reverse(name))
        counts[name] = len(ctx.captured_queries)
    claims = _claims(world, 5)
    services.scrub_claims(claims=claims, today=TODAY)
    services.build_batches(organization=world.site.organization, claims=claims)
    for name in ("billing:kpi_ar", "billing:kpi_denials"):
        with django_assert_max_num_queries(20) as ctx:
            director.get(reverse(name))
        assert len(ctx.captured_queries) == counts[name], name


def test_bar_chart_draws_each_value_as_text_and_no_data_as_na() -> None:
    svg = bar_chart(BarChart("Days", "Days in A/R", [BarItem("Dec", 40.0, "40.0 days"), BarItem("Jan", None)],
                             chart_id="t"))
    assert svg.count("<rect") == 1 and "40.0 days" in svg and "n/a" in svg and 'role="img"' in svg
    assert "<script" not in bar_chart(BarChart("<script>", "x", [BarItem("<b>", 1)]))
