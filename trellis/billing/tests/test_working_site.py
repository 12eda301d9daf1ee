"""Billing work queues honour the working site: one site shows that site's claims, denials, suspense and
charges; "All my sites" shows every site of the user. Today's billing counters equal the lists they link to,
for each choice (issue 16 part 1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.middleware import ACTIVE_SITE_KEY
from trellis.accounts.models import SiteMembership
from trellis.billing import selectors, services
from trellis.billing.models import Remittance, RemittanceClaim, SuspenseItem
from trellis.billing.tests.conftest import MONDAY, TODAY
from trellis.core.registry import TodayContext
from trellis.core.testing.factories import make_staff
from trellis.episodes.models import Episode
from trellis.scheduling.testing import make_program
from trellis.web.tests.test_today_counters import count_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _remittance(site, trace: str) -> Remittance:
    return Remittance.objects.create(
        organization=site.organization, site=site, payer_identifier="ACME1", payer_name="Acme Health",
        trace_number=trace, total_paid=Decimal("0"), file_sha256="0" * 64, interchange_control_number="1",
        code_list_version="test", posted_at=timezone.now())


@pytest.fixture
def two_sites(world, other_site):
    """Draft claims: two at the world's site, one at the other site; a denial and a suspense item at each."""
    org = world.site.organization
    for i in range(3):
        world.attend(world.patient(n=i), MONDAY + dt.timedelta(days=i), start=dt.time(9 + i, 0))
    services.capture_charges(organization=org, through=TODAY, coverage_for=world.coverage_for)
    claims, _ = services.create_claims(organization=org, coverage_for=world.coverage_for,
                                       authorization_for=world.authorization_for)
    moved = sorted(claims, key=lambda c: c.pk)[-1]
    Episode.objects.filter(pk=moved.episode_id).update(program=make_program(other_site, name="Other IOP"))
    for n, site in enumerate((world.site, other_site)):
        remittance = _remittance(site, f"T{n}")
        for pcn, denied in ((f"TRDENIED{n}", True), (f"TRLOST{n}", False)):
            row = RemittanceClaim.objects.create(remittance=remittance, patient_control_number=pcn, status_code="4",
                                                 charge=Decimal("120"), paid=Decimal("0"), denied=denied)
            if not denied:
                SuspenseItem.objects.create(remittance=remittance, remittance_claim=row, reason="No claim")
    biller = make_staff("biller", world.site)
    SiteMembership.objects.create(user=biller, site=other_site, role="biller")
    return biller


def _client(client_for, user, site):
    client = client_for(user)
    session = client.session
    if site is None:
        session.pop(ACTIVE_SITE_KEY, None)
    else:
        session[ACTIVE_SITE_KEY] = str(site.public_id)
    session.save()
    return client


def test_counters_equal_the_lists_for_each_working_site(world, other_site, two_sites, client_for) -> None:
    biller = two_sites
    for active, drafts, denials in ((world.site, 2, 1), (other_site, 1, 1), (None, 3, 2)):
        to_fix, to_work = selectors.today_counters(biller, TodayContext(day=TODAY, active_site=active))
        assert (to_fix.value, to_work.value) == (drafts, denials), active
        client = _client(client_for, biller, active)
        html = client.get(f"{reverse('billing:home')}?full=1").content.decode()
        assert count_rows(html, "to-scrub") == drafts, active
        assert count_rows(html, "denials") == denials, active
        assert count_rows(html, "suspense") == denials, active  # one suspense item per site
    # A biller of one site sees only that site, whatever the working site says.
    one = make_staff("biller", other_site)
    (to_fix, to_work) = selectors.today_counters(one, TodayContext(day=TODAY, active_site=None))
    assert (to_fix.value, to_work.value) == (1, 1)
