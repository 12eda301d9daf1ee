"""Helpers shared by the billing services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from trellis.billing.boundary import AuthorizationInfo, CoverageInfo, coverage_source
from trellis.billing.models import BillingProfile, FeeScheduleEntry

CHUNK = 200  # claims per query: with their lines the IN lists stay under SQLite's 1,000-deep expression limit


def chunked(ids: list[int], size: int = CHUNK) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


CoverageLookup = Callable[[Any, date], CoverageInfo | None]
AuthorizationLookup = Callable[[Any, date], AuthorizationInfo | None]


def registered_coverage() -> CoverageLookup | None:
    source = coverage_source()
    return source.coverage_for if source else None


def registered_secondary() -> CoverageLookup | None:
    source = coverage_source()
    return source.secondary_for if source else None


def registered_authorization() -> AuthorizationLookup | None:
    source = coverage_source()
    return source.authorization_for if source else None


class ProfileIndex:
    """All billing profiles and fee rows of an organization, loaded once (two queries)."""

    def __init__(self, organization: Any) -> None:
        self.profiles = list(BillingProfile.objects.filter(organization=organization).select_related("program"))
        self.fees: dict[int, list[FeeScheduleEntry]] = {}
        for fee in FeeScheduleEntry.objects.filter(profile__organization=organization).order_by("-effective_from"):
            self.fees.setdefault(fee.profile_id, []).append(fee)

    def profile_for(self, payer_identifier: str, program: Any) -> BillingProfile | None:
        by_payer = [p for p in self.profiles if p.payer_identifier == payer_identifier]
        exact = next((p for p in by_payer if p.program_id == program.pk), None)
        return exact or next(
            (p for p in by_payer if p.program_id is None and p.level_of_care == program.level_of_care), None
        )

    def fee(self, profile: BillingProfile, *, day: date, code: str | None = None,
            service_type: str | None = None) -> FeeScheduleEntry | None:
        for fee in self.fees.get(profile.pk, []):
            if code is not None and fee.code != code:
                continue
            if service_type is not None and fee.service_type != service_type:
                continue
            if fee.effective_from <= day and (fee.effective_to is None or day <= fee.effective_to):
                return fee
        return None
