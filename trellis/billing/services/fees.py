"""Fee schedule rows: add a rate, end-date a rate. A code has at most one rate in force on any day for a
profile, so charge capture (ProfileIndex.fee) never has to guess which rate applies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from trellis.audit.models import AuditAction
from trellis.audit.services import record
from trellis.billing import catalog
from trellis.billing.models import PER_DIEM_SERVICE, BillingMode, BillingProfile, ClaimType, FeeScheduleEntry
from trellis.core.errors import DomainError

if TYPE_CHECKING:
    from trellis.accounts.models import User

MAX_RATE = Decimal("100000.00")  # a per-diem or per-service rate above this is a typing error, not a contract


def _fmt(day: date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "open-ended"


def _check_overlap(*, profile: BillingProfile, code: str, start: date, end: date | None,
                   exclude: int | None = None) -> None:
    rows = FeeScheduleEntry.objects.select_for_update().filter(profile=profile, code=code)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    for row in rows:
        row_end = row.effective_to or date.max
        if row.effective_from <= (end or date.max) and start <= row_end:
            hint = (f" End-date it on {start - timedelta(days=1):%Y-%m-%d} first." if row.effective_from < start
                    else " Choose dates that do not overlap it.")
            raise DomainError(
                f"{code} already has a rate of ${row.rate} from {_fmt(row.effective_from)} to "
                f"{_fmt(row.effective_to)}, which overlaps these dates.{hint}", field="effective_from")


def _check_code(profile: BillingProfile, service_type: str, code: str, revenue_code: str) -> None:
    found = catalog.lookup(code)
    if found is None or found.kind not in ("cpt", "hcpcs"):
        raise DomainError(f"{code or 'The code'} is not a procedure code in the billing catalogue (HCPCS per diem "
                          "S9480/H0015/H0035/S0201 or the CPT codes listed on the page).", field="code")
    per_diem = service_type == PER_DIEM_SERVICE
    if per_diem != (profile.billing_mode == BillingMode.PER_DIEM):
        raise DomainError("A per-diem profile takes per-diem rates only, and a per-service profile per-service "
                          "rates only.", field="service_type")
    if per_diem and found.kind != "hcpcs":
        raise DomainError(f"{code} is a CPT service code: a per-diem rate uses a HCPCS per-diem code "
                          "(S9480, H0015, H0035 or S0201).", field="code")
    if not per_diem and found.kind != "cpt":
        raise DomainError(f"{code} is a per-diem HCPCS code: a per-service rate uses a CPT code.", field="code")
    if revenue_code and catalog.lookup(revenue_code, "revenue") is None:
        raise DomainError(f"{revenue_code} is not a revenue code in the catalogue (0905, 0906, 0912-0916).",
                          field="revenue_code")
    # 837I service lines carry a revenue code in SV201 (005010X223A2, loop 2400).
    if profile.claim_type == ClaimType.INSTITUTIONAL and not revenue_code:
        raise DomainError("This profile bills on 837I: give the revenue code (e.g. 0905 for psychiatric IOP).",
                          field="revenue_code")


@transaction.atomic
def add_fee_entry(
    *, profile: BillingProfile, service_type: str, code: str, rate: Decimal, effective_from: date,
    effective_to: date | None = None, revenue_code: str = "", source: str, confirmed: bool = False, actor: User,
) -> FeeScheduleEntry:
    code, revenue_code, source = code.strip().upper(), revenue_code.strip(), source.strip()
    profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)  # serialise rate changes per profile
    _check_code(profile, service_type, code, revenue_code)
    if rate is None or rate <= 0:
        raise DomainError("The rate must be greater than zero.", field="rate")
    if rate > MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise DomainError(f"Give the rate in dollars and cents, at most ${MAX_RATE:,}.", field="rate")
    if effective_to is not None and effective_to < effective_from:
        raise DomainError("The end date is before the start date.", field="effective_to")
    if not source:
        raise DomainError("Name the contract, fee schedule or bulletin this rate comes from.", field="source")
    _check_overlap(profile=profile, code=code, start=effective_from, end=effective_to)
    entry = FeeScheduleEntry.objects.create(
        profile=profile, service_type=service_type, code=code, revenue_code=revenue_code, rate=rate,
        effective_from=effective_from, effective_to=effective_to, source=source[:300], confirmed=confirmed,
        created_by=actor,
    )
    record(action=AuditAction.CREATE, obj=entry, actor=actor,
           detail={"profile": str(profile.public_id), "code": code, "rate": str(rate),
                   "from": effective_from.isoformat(), "to": effective_to.isoformat() if effective_to else None})
    return entry


@transaction.atomic
def end_fee_entry(*, entry: FeeScheduleEntry, effective_to: date, actor: User) -> FeeScheduleEntry:
    entry = FeeScheduleEntry.objects.select_for_update().select_related("profile").get(pk=entry.pk)
    if effective_to < entry.effective_from:
        raise DomainError(f"The end date is before this rate starts ({entry.effective_from:%Y-%m-%d}).",
                          field="effective_to")
    _check_overlap(profile=entry.profile, code=entry.code, start=entry.effective_from, end=effective_to,
                   exclude=entry.pk)
    previous = entry.effective_to
    entry.effective_to = effective_to
    entry.save(update_fields=["effective_to", "updated_at"])
    record(action=AuditAction.UPDATE, obj=entry, actor=actor,
           detail={"effective_to": effective_to.isoformat(), "was": previous.isoformat() if previous else None})
    return entry
