"""Charge capture asks careplans' billable-service selector (signed note, signed plan in force, certification,
licence on the date - issue 11 part 10): a service that fails is captured *held*, with each reason and its
source on the charge review page; it is released when the check passes (next capture, or a biller's release),
and a biller cannot release it before. The check runs per chunk of services: bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from trellis.accounts.models import Credential
from trellis.billing import services
from trellis.billing.models import Charge, ChargeStatus
from trellis.billing.services.charges import ChargeError
from trellis.billing.tests.conftest import MEDICARE, MONDAY, TODAY
from trellis.careplans.models import TreatmentPlan
from trellis.core.testing.factories import make_staff
from trellis.programs.models import Program

pytestmark = pytest.mark.django_db

PLAN_SOURCE = "42 CFR 424.24(e)(1)(ii)"


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _capture(world):
    return services.capture_charges(organization=world.site.organization, through=TODAY,
                                    coverage_for=world.coverage_for)


def _plan_from(episode, day: dt.date) -> None:
    TreatmentPlan.objects.filter(episode=episode).update(effective_on=day)


def test_service_without_a_plan_in_force_is_held_with_the_reason(world, client_for) -> None:
    """42 CFR 424.24(e)(1)(ii) and 410.43(a)(3): services furnished under a signed individualized plan."""
    ep = world.patient()
    _plan_from(ep, MONDAY + dt.timedelta(days=2))  # signed after the service
    world.attend(ep, MONDAY)
    (charge,) = _capture(world).created
    assert charge.status == ChargeStatus.HELD
    assert charge.not_billable == [f"No signed treatment plan was in force on 2026-01-05. ({PLAN_SOURCE}; "
                                   "42 CFR 410.43(a)(3) (individualized written plan of treatment))"]
    page = client_for(make_staff("biller", world.site)).get(reverse("billing:charges")).content.decode()
    assert "Not billable: No signed treatment plan was in force on 2026-01-05." in page and PLAN_SOURCE in page
    claims, _ = services.create_claims(organization=world.site.organization, coverage_for=world.coverage_for)
    assert claims == []  # a held charge is not claimed
    with pytest.raises(ChargeError, match="still not billable: No signed treatment plan"):
        services.release_charge(charge=charge, actor=None)
    _plan_from(ep, MONDAY)
    result = _capture(world)
    assert result.created == [] and result.released == 1
    charge.refresh_from_db()
    assert (charge.status, charge.not_billable, charge.hold_reason) == (ChargeStatus.OPEN, [], "")


def test_expired_licence_holds_the_charge_until_a_biller_releases_it_after_renewal(world) -> None:
    """42 CFR 424.516(a)(2): the author must hold a licence valid on the date of service."""
    Credential.objects.filter(user=world.therapist).update(expires_on=MONDAY - dt.timedelta(days=1))
    ep = world.patient()
    world.attend(ep, MONDAY)
    (charge,) = _capture(world).created
    assert charge.status == ChargeStatus.HELD
    assert charge.not_billable[0].startswith("The note's author had no licence unexpired on 2026-01-05.")
    Credential.objects.filter(user=world.therapist).update(expires_on=dt.date(2027, 12, 31))
    services.release_charge(charge=charge, actor=None)
    charge.refresh_from_db()
    assert (charge.status, charge.not_billable) == (ChargeStatus.OPEN, [])


def test_certified_program_without_a_certification_is_held(world) -> None:
    """42 CFR 424.24(e)(2)-(3): a certified program's services need a current physician certification."""
    Program.objects.filter(pk=world.program.pk).update(requires_certification=True)
    ep = world.patient()
    world.attend(ep, MONDAY)
    (charge,) = _capture(world).created
    assert charge.status == ChargeStatus.HELD
    assert any("No physician certification signed on or before 2026-01-05" in r for r in charge.not_billable)


def test_per_diem_day_is_held_when_a_service_of_the_day_fails(world) -> None:
    ep = world.patient(MEDICARE)
    _plan_from(ep, MONDAY + dt.timedelta(days=1))
    world.attend(ep, MONDAY, minutes=120)
    world.attend(ep, MONDAY, minutes=90, start=dt.time(13, 0))
    (charge,) = _capture(world).created
    assert charge.per_diem and charge.status == ChargeStatus.HELD
    assert len(charge.not_billable) == 1 and "No signed treatment plan" in charge.not_billable[0]  # once per day
    _plan_from(ep, MONDAY)
    assert _capture(world).released == 1


def test_unsigned_note_still_waits_instead_of_holding(world) -> None:
    ep = world.patient()
    world.attend(ep, MONDAY, note="draft")
    result = _capture(world)
    assert result.created == [] and "note not signed yet" in result.skipped[0]


def test_the_check_is_batched_not_per_service(world) -> None:
    def run(n: int, first: int) -> int:
        episodes = []
        for i in range(first, first + n):
            ep = world.patient(n=i)
            _plan_from(ep, TODAY)  # every service fails the check: every charge is held with reasons
            world.attend(ep, MONDAY + dt.timedelta(days=i % 5), start=dt.time(8 + i % 9, 0))
            episodes.append(ep)
        with CaptureQueriesContext(connection) as ctx:
            created = services.capture_charges(organization=world.site.organization, through=TODAY,
                                               coverage_for=world.coverage_for, episodes=episodes).created
        assert len(created) == n and all(c.status == ChargeStatus.HELD for c in created)
        return len(ctx.captured_queries)

    assert run(2, 0) == run(9, 2)
    assert Charge.objects.filter(status=ChargeStatus.HELD).count() == 11
