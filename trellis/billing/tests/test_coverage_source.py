"""The real coverage boundary: claims built by build_claims take payer, member, subscriber and authorization from
the coverage app's rows through the source BillingConfig.ready() registers (issue 14)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from trellis.billing import coverage_source
from trellis.billing.boundary import coverage_source as registered
from trellis.billing.models import Claim, ClaimStatus
from trellis.billing.tests.conftest import MONDAY
from trellis.coverage import services as coverage_services
from trellis.coverage.models import ClaimFilingIndicator, ClaimForm, PayerType, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def acme(world):
    return coverage_services.create_payer(
        organization=world.site.organization, actor=None, name="Acme Health", payer_identifier="ACME1",
        payer_type=PayerType.COMMERCIAL, claim_form=ClaimForm.PROFESSIONAL,
        claim_filing_indicator=ClaimFilingIndicator.COMMERCIAL, timely_filing_days=180)


def _cover(episode, payer, **extra):
    return coverage_services.add_coverage(patient=episode.patient, actor=None, payer=payer,
                                          effective_from=dt.date(2025, 6, 1), **({"member_id": "ACM777",
                                                                                  "group_number": "G42"} | extra))


def _authorize(coverage, episode, units=40, number="PA555"):
    return coverage_services.add_authorization(coverage=coverage, episode=episode, actor=None, number=number,
                                               level_of_care="iop", unit_kind="units", units_authorized=units,
                                               start_on=dt.date(2026, 1, 1), end_on=dt.date(2026, 3, 31))


def _build(tmp_path) -> str:
    out = StringIO()
    call_command("build_claims", "--out", str(tmp_path), "--through", "2026-01-11", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_registered_source_is_the_coverage_app():
    assert registered() is coverage_source.SOURCE


def test_claims_come_from_coverage_rows(world, acme, tmp_path):
    episode = world.patient(n=1)
    world.attend(episode, MONDAY)
    _authorize(_cover(episode, acme), episode)
    output = _build(tmp_path)
    claim = Claim.objects.get(episode=episode)
    assert (claim.payer_identifier, claim.payer_name, claim.member_id, claim.group_number) == (
        "ACME1", "Acme Health", "ACM777", "G42")
    assert claim.authorization["number"] == "PA555" and claim.coverage_from == dt.date(2025, 6, 1)
    assert claim.status == ClaimStatus.BATCHED and "batched: 1 in 1 file(s)" in output


def test_dependent_coverage_puts_the_subscriber_on_the_claim(world, acme, tmp_path):
    episode = world.patient(n=2)
    world.attend(episode, MONDAY)
    cov = _cover(episode, acme, relationship=Relationship.CHILD, subscriber_first_name="Dana",
                 subscriber_last_name="Doe2", subscriber_birth_date=dt.date(1970, 2, 3), subscriber_sex="F")
    _authorize(cov, episode)
    _build(tmp_path)
    claim = Claim.objects.get(episode=episode)
    assert claim.relationship == "19"
    assert claim.subscriber["first_name"] == "Dana" and claim.subscriber["city"] == "Portland"  # patient's address
    assert claim.status == ClaimStatus.BATCHED  # and the 837P with a 2000C patient loop passed pyx12


def test_no_coverage_row_means_no_claim(world, tmp_path):
    episode = world.patient(n=3)
    world.attend(episode, MONDAY)
    _build(tmp_path)
    assert not Claim.objects.filter(episode=episode).exists()


def test_no_authorization_row_is_refused_by_the_scrubber(world, acme, tmp_path):
    episode = world.patient(n=4)
    world.attend(episode, MONDAY)
    _cover(episode, acme)
    output = _build(tmp_path)
    claim = Claim.objects.get(episode=episode)
    assert claim.status == ClaimStatus.DRAFT and "[authorization]" in output


def test_units_used_count_claims_already_sent(world, acme, tmp_path):
    episode = world.patient(n=5)
    world.attend(episode, MONDAY)
    auth = _authorize(_cover(episode, acme), episode, units=1)
    _build(tmp_path)
    assert coverage_source.authorization_for(episode, MONDAY).units_used == 1
    world.attend(episode, MONDAY + dt.timedelta(days=1), start=dt.time(13, 0))
    output = _build(tmp_path)
    second = Claim.objects.filter(episode=episode, status=ClaimStatus.DRAFT).get()
    assert "request more units" in output and second.authorization["number"] == auth.number


def test_indexed_source_matches_the_per_call_source(world, acme):
    episodes = [world.patient(n=6), world.patient(n=7)]
    _authorize(_cover(episodes[0], acme), episodes[0])
    indexed = coverage_source.source_for(episodes)
    for ep in episodes:
        assert indexed.coverage_for(ep, MONDAY) == coverage_source.coverage_for(ep, MONDAY)
        assert indexed.authorization_for(ep, MONDAY) == coverage_source.authorization_for(ep, MONDAY)
    assert indexed.coverage_for(episodes[1], MONDAY) is None
