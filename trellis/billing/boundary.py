"""The boundary with the coverage app (payers, coverages, authorizations), as plain data.

Billing's services take these dataclasses as parameters, so they work before `trellis.coverage` lands and stay
testable without it. After the merge the coverage app plugs its selectors in once, from its or billing's
`AppConfig.ready()`:

    register_coverage_source(CoverageSource(coverage_for=..., authorization_for=...))

Until a source is registered, `coverage_source()` returns the snapshot recorded on each claim when it was
created (see `ClaimCoverageSnapshot` in models) - never a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class PayerInfo:
    identifier: str  # the payer id used on claims (NM1*PR NM109) and matched against 835 N1*PR / TRN03
    name: str
    claim_filing_indicator: str = "CI"  # 837 SBR09 (CI, MB, MA, MC, BL, HM ...)
    timely_filing_days: int = 365  # payer contract; Medicare 12 months from the service date (42 CFR 424.44)
    requires_authorization: bool = True
    # NPIs of clinicians credentialed with the payer, when the payer's roster is recorded; None = not recorded.
    credentialed_npis: frozenset[str] | None = None


@dataclass(frozen=True)
class SubscriberInfo:
    last_name: str
    first_name: str
    birth_date: date
    sex: str  # F, M, U
    address_line1: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class CoverageInfo:
    payer: PayerInfo
    member_id: str
    group_number: str = ""
    active_from: date | None = None
    active_to: date | None = None
    relationship: str = "18"  # patient to subscriber: 18 self, 01 spouse, 19 child, G8 other
    subscriber: SubscriberInfo | None = None  # None when the patient is the subscriber
    priority: str = "P"

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day <= self.active_to
        )


@dataclass(frozen=True)
class AuthorizationInfo:
    number: str
    start: date
    end: date
    units_authorized: int
    units_used: int = 0  # billed before this claim
    codes: frozenset[str] = field(default_factory=frozenset)  # empty = any code of the level of care

    def covers(self, day: date, code: str) -> bool:
        return self.start <= day <= self.end and (not self.codes or code in self.codes)


@dataclass(frozen=True)
class CoverageSource:
    coverage_for: Callable[[Any, date], CoverageInfo | None]  # (episode, day)
    authorization_for: Callable[[Any, date], AuthorizationInfo | None]  # (episode, day)
    # The secondary coverage in force (coordination of benefits); None: secondary claims are not made.
    secondary_for: Callable[[Any, date], CoverageInfo | None] | None = None


_source: CoverageSource | None = None


def register_coverage_source(source: CoverageSource | None) -> None:
    global _source
    _source = source


def coverage_source() -> CoverageSource | None:
    return _source
