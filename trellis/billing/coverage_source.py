"""The real coverage source: billing's boundary dataclasses built from the coverage app's records.

Registered from `BillingConfig.ready()` (billing sits above coverage, so it may read coverage's selectors).
`coverage_for(episode, day)` is the patient's primary coverage in force that day; `authorization_for(episode,
day)` the episode's authorization covering that day, with the units already billed under it.

`source_for(episodes)` gives the same two lookups over a preloaded index (two queries for any number of
episodes) for batch work such as the demo's charge capture.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Sum

from trellis.billing.boundary import (
    AuthorizationInfo,
    CoverageInfo,
    CoverageSource,
    PayerInfo,
    SubscriberInfo,
)
from trellis.billing.models import ClaimLine, ClaimStatus
from trellis.coverage import selectors as coverage_selectors
from trellis.coverage.models import Authorization, Coverage, CoverageOrder, Payer

# Units count as used once a claim has gone out (batched or later); drafts and scrubbed claims are the ones being
# checked, voids never counted, and denied units were not paid but the payer still counts the authorized days
# it reviewed - so denials count too unless the claim is voided.
BILLED_STATUSES = (ClaimStatus.BATCHED, ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.PAID,
                   ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED, ClaimStatus.APPEALED)


def payer_info(payer: Payer) -> PayerInfo:
    return PayerInfo(identifier=payer.payer_identifier, name=payer.name,
                     claim_filing_indicator=payer.claim_filing_indicator,
                     timely_filing_days=payer.timely_filing_days,
                     requires_authorization=payer.requires_authorization)


def coverage_info(coverage: Coverage, patient: Any) -> CoverageInfo:
    subscriber = None
    if not coverage.is_self:
        # 837 loop 2010BA: a dependent's subscriber; the address falls back to the patient's household address.
        subscriber = SubscriberInfo(
            last_name=coverage.subscriber_last_name, first_name=coverage.subscriber_first_name,
            birth_date=coverage.subscriber_birth_date, sex=coverage.subscriber_sex or "U",
            address_line1=coverage.subscriber_address_line1 or patient.address_line1,
            city=coverage.subscriber_city or patient.city, state=coverage.subscriber_state or patient.state,
            postal_code=coverage.subscriber_postal_code or patient.postal_code,
        )
    return CoverageInfo(payer=payer_info(coverage.payer), member_id=coverage.member_id,
                        group_number=coverage.group_number, active_from=coverage.effective_from,
                        active_to=coverage.effective_to, relationship=coverage.relationship, subscriber=subscriber,
                        priority=coverage.order)


def billed_units(authorization: Authorization) -> int:
    """Units on claim lines already sent under this authorization number, within its dates (one query)."""
    # Secondary (COB) claims bill the same units again to another payer: only claims to the primary count.
    total = (ClaimLine.objects.filter(claim__episode_id=authorization.episode_id, claim__status__in=BILLED_STATUSES,
                                      claim__payer_sequence="P",
                                      claim__authorization__number=authorization.number,
                                      service_date__gte=authorization.start_on, service_date__lte=authorization.end_on)
             .aggregate(total=Sum("units"))["total"])
    return int(total or 0)


def authorization_info(authorization: Authorization) -> AuthorizationInfo:
    return AuthorizationInfo(number=authorization.number, start=authorization.start_on, end=authorization.end_on,
                             units_authorized=authorization.units_authorized,
                             units_used=billed_units(authorization), codes=authorization.codes)


def coverage_for(episode: Any, day: date) -> CoverageInfo | None:
    coverage = coverage_selectors.coverage_in_force(episode, day)
    return coverage_info(coverage, episode.patient) if coverage else None


def secondary_for(episode: Any, day: date) -> CoverageInfo | None:
    """The patient's secondary coverage in force that day (coverage order S: SBR01 payer responsibility)."""
    coverage = coverage_selectors.coverage_in_force(episode, day, order=CoverageOrder.SECONDARY)
    return coverage_info(coverage, episode.patient) if coverage else None


def authorization_for(episode: Any, day: date) -> AuthorizationInfo | None:
    authorization = coverage_selectors.authorization_in_force(episode, day)
    return authorization_info(authorization) if authorization else None


SOURCE = CoverageSource(coverage_for=coverage_for, authorization_for=authorization_for, secondary_for=secondary_for)


def source_for(episodes: Sequence[Any]) -> CoverageSource:
    """The same lookups over coverages and authorizations loaded once for these episodes."""
    index = coverage_selectors.CoverageIndex(episodes)

    def indexed_coverage(episode: Any, day: date) -> CoverageInfo | None:
        coverage = index.coverage_on(episode, day)
        return coverage_info(coverage, episode.patient) if coverage else None

    def indexed_authorization(episode: Any, day: date) -> AuthorizationInfo | None:
        authorization = index.authorization_on(episode, day)
        return authorization_info(authorization) if authorization else None

    return CoverageSource(coverage_for=indexed_coverage, authorization_for=indexed_authorization)
