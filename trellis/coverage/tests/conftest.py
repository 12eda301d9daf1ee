"""Coverage fixtures: payers, a patient in care at the main site with a primary coverage, and helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from trellis.core.clock import today_in
from trellis.core.testing.factories import PatientFactory
from trellis.coverage import services
from trellis.coverage.models import ClaimFilingIndicator, ClaimForm, PayerType
from trellis.coverage.usage import register_usage_provider, usage_bound, usage_provider
from trellis.scheduling.testing import admit, make_program, make_track


@pytest.fixture
def today(site) -> dt.date:
    return today_in(site.zone)


@pytest.fixture
def admin_user(make_staff):
    return make_staff("biller")


@pytest.fixture
def acme(org, admin_user):
    return services.create_payer(organization=org, actor=admin_user, name="Acme Health Plan", payer_identifier="ACME1",
                                 payer_type=PayerType.COMMERCIAL, claim_form=ClaimForm.PROFESSIONAL,
                                 claim_filing_indicator=ClaimFilingIndicator.COMMERCIAL, timely_filing_days=180,
                                 timely_filing_source="Acme agreement §7.2")


@pytest.fixture
def medicare(org, admin_user):
    return services.create_payer(organization=org, actor=admin_user, name="Medicare Part A", payer_identifier="MCRA",
                                 payer_type=PayerType.MEDICARE, claim_form=ClaimForm.INSTITUTIONAL,
                                 claim_filing_indicator=ClaimFilingIndicator.MEDICARE_A, timely_filing_days=365,
                                 requires_authorization=False)


@pytest.fixture
def program(site):
    return make_program(site, name="Adult IOP")


@pytest.fixture
def track(program):
    return make_track(program)


@pytest.fixture
def make_episode(site, track, today):
    def factory(*, admitted_on: dt.date | None = None, at: Any = None, **patient: Any):
        t = track if at is None else make_track(make_program(at, name=f"IOP {at.code}"))
        person = PatientFactory(primary_site=t.program.site, **patient)
        return admit(person, t, admitted_on=admitted_on or today - dt.timedelta(days=10))
    return factory


@pytest.fixture
def episode(make_episode):
    return make_episode(legal_first_name="Alex", legal_last_name="Rivera")


@pytest.fixture
def coverage(episode, acme, admin_user, today):
    return services.add_coverage(patient=episode.patient, actor=admin_user, payer=acme, member_id="ACM123",
                                 group_number="G1", effective_from=today - dt.timedelta(days=365))


@pytest.fixture
def authorization(coverage, episode, admin_user, today):
    return services.add_authorization(coverage=coverage, episode=episode, actor=admin_user, number="PA100",
                                      level_of_care="iop", units_authorized=20, start_on=episode.admitted_on,
                                      end_on=episode.admitted_on + dt.timedelta(days=27), review_frequency_days=7)


@pytest.fixture
def usage():
    """Register a usage provider for the test (as compliance will), removed afterwards."""
    previous, previous_bound = usage_provider(), usage_bound()
    table: dict[int, int] = {}
    calls: list[int] = []

    def provider(auths):
        calls.append(len(auths))
        return {a.pk: table.get(a.pk, 0) for a in auths}

    register_usage_provider(provider)
    yield table
    register_usage_provider(previous, bound=previous_bound)
