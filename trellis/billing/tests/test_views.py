"""Billing pages: allowed/denied pairs (anonymous, wrong role, other site), no note text for billers, POST
actions need billing.manage, bounded queries on the work queues."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.billing import services
from trellis.billing.models import Claim, ClaimBatch, ClaimStatus
from trellis.billing.tests.conftest import MONDAY, TODAY
from trellis.billing.x12.tests import samples
from trellis.core.testing.factories import make_staff

pytestmark = pytest.mark.django_db
NOTE_TEXT = "CLINICAL TEXT NEVER SHOWN TO BILLERS"


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _claims(world, n: int = 1):
    for i in range(n):
        ep = world.patient(n=i)
        world.attend(ep, MONDAY + dt.timedelta(days=i % 5), start=dt.time(8 + i % 10, 0))
    org = world.site.organization
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    claims, _ = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    return claims


def test_home_allowed_for_biller_and_denied_otherwise(world, client, client_for, other_site) -> None:
    (claim,) = _claims(world)
    url = reverse("billing:home")
    assert client.get(url).status_code == 302  # anonymous -> sign in
    assert client_for(world.therapist).get(url).status_code == 403  # clinicians have no billing capability
    biller = make_staff("biller", world.site)
    page = client_for(biller).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert claim.patient_control_number in body and "Not scrubbed yet" in body
    assert NOTE_TEXT not in body
    event = AuditEvent.objects.filter(object_type="patient_list").latest("pk")
    assert event.detail["view"] == "billing_home"
    assert event.detail["patients"] == [str(claim.episode.patient.public_id)]
    elsewhere = make_staff("biller", other_site)
    other = client_for(elsewhere).get(url)
    assert other.status_code == 200 and claim.patient_control_number not in other.content.decode()


def test_claim_page_shows_codes_minutes_and_note_status_never_note_text(world, client, client_for,
                                                                        other_site) -> None:
    (claim,) = _claims(world)
    services.scrub_claims(claims=[claim], today=TODAY)
    url = reverse("billing:claim", kwargs={"claim_id": claim.public_id})
    assert client.get(url).status_code == 302
    assert client_for(world.therapist).get(url).status_code == 403
    assert client_for(make_staff("biller", other_site)).get(url).status_code == 404
    page = client_for(make_staff("biller", world.site)).get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "90853" in body and ">90<" in body and "Signed" in body  # code, minutes, documentation status
    assert NOTE_TEXT not in body
    assert claim.episode.patient.legal_last_name not in page.context["request"].path  # no PHI in the URL


def test_post_actions_need_billing_manage(world, connected, client_for) -> None:
    _claims(world)
    admin = make_staff("org_admin", world.site)  # billing.view only
    biller = make_staff("biller", world.site)
    assert client_for(admin).get(reverse("billing:home")).status_code == 200
    for name in ("billing:scrub", "billing:build"):
        assert client_for(admin).post(reverse(name)).status_code == 403
    assert client_for(biller).get(reverse("billing:scrub")).status_code == 405  # a GET never writes
    response = client_for(biller).post(reverse("billing:scrub"), follow=True)
    assert "Scrubbed 1 claims: 1 ready, 0 need a fix." in response.content.decode()
    assert Claim.objects.get().status == ClaimStatus.SCRUBBED
    response = client_for(biller).post(reverse("billing:build"), follow=True)
    assert "each validated by pyx12" in response.content.decode()
    batch = ClaimBatch.objects.get()
    download = client_for(biller).get(reverse("billing:download", kwargs={"batch_id": batch.public_id}))
    assert download.status_code == 200 and download.content.decode() == batch.content
    assert client_for(admin).get(reverse("billing:download", kwargs={"batch_id": batch.public_id})).status_code == 403


def test_submit_is_idempotent_from_the_page(world, client_for, settings, tmp_path) -> None:
    settings.TRELLIS_CLAIMS_DROP_DIR = tmp_path
    claims = _claims(world)
    services.scrub_claims(claims=claims, today=TODAY)
    (batch,) = services.build_batches(organization=world.site.organization, claims=claims)
    biller = client_for(make_staff("biller", world.site))
    url = reverse("billing:submit", kwargs={"batch_id": batch.public_id})
    assert biller.post(url).status_code == 302
    assert biller.post(url).status_code == 302
    assert [p.name for p in tmp_path.iterdir()] == [batch.filename]
    assert Claim.objects.get().status == ClaimStatus.SUBMITTED


def test_appeal_from_the_claim_page(world, client_for, tmp_path) -> None:
    (claim,) = _claims(world)
    Claim.objects.filter(pk=claim.pk).update(patient_control_number="TR0000000102", status=ClaimStatus.SUBMITTED)
    services.import_remittance(content=samples.build_835(samples.DENIED, bpr_total="0"),
                               organization=world.site.organization)
    biller = client_for(make_staff("biller", world.site))
    page = biller.get(reverse("billing:claim", kwargs={"claim_id": claim.public_id})).content.decode()
    assert "Precertification/notification/authorization/pre-treatment absent" in page and "Mark appealed" in page
    home = biller.get(reverse("billing:home")).content.decode()
    assert "request a retro-authorization" in home
    biller.post(reverse("billing:appeal", kwargs={"claim_id": claim.public_id}))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPEALED
    assert "No denials to work" in biller.get(reverse("billing:home")).content.decode()


def test_home_query_count_is_bounded(world, client_for, django_assert_max_num_queries) -> None:
    biller = client_for(make_staff("biller", world.site))
    _claims(world, 1)
    biller.get(reverse("billing:home"))  # warm-up: the first request loads the session's site capabilities
    with django_assert_max_num_queries(40) as small:
        biller.get(reverse("billing:home"))
    _claims(world, 6)
    with django_assert_max_num_queries(40) as large:
        biller.get(reverse("billing:home"))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_today_shows_billers_their_queues_and_not_clinicians(world, client_for) -> None:
    _claims(world)
    biller = client_for(make_staff("biller", world.site))
    page = biller.get(reverse("web:home")).content.decode()
    assert "claims to fix or scrub before billing" in page and "denials to work" in page
    therapist_page = client_for(world.therapist).get(reverse("web:home")).content.decode()
    assert "claims to fix or scrub before billing" not in therapist_page
